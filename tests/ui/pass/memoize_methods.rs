// Methods with `&self` and `self`, keyed by the receiver too.
use memo::memoize;

#[derive(Clone, PartialEq, Eq, Hash)]
struct Grid {
    width: u32,
}

impl Grid {
    #[memoize]
    fn cell(&self, x: u32, y: u32) -> u32 {
        y * self.width + x
    }

    #[memoize]
    fn into_area(self, height: u32) -> u32 {
        self.width * height
    }

    #[memoize(key = x)]
    fn column(&self, x: u32) -> u32 {
        x % self.width
    }
}

fn main() {
    let grid = Grid { width: 10 };
    assert_eq!(grid.cell(1, 2), 21);
    assert_eq!(grid.cell(1, 2), 21);
    assert_eq!(grid.column(13), 3);
    assert_eq!(grid.clone().into_area(3), 30);
    assert_eq!(grid.into_area(3), 30);
    assert!(memo::report()
        .iter()
        .any(|s| s.name.ends_with("Grid::cell")));
}
