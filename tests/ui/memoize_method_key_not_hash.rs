use memo::memoize;

#[derive(Clone, PartialEq, Eq)]
struct Point {
    x: i64,
}

#[derive(Clone, Hash, PartialEq, Eq)]
struct Grid;

impl Grid {
    #[memoize]
    fn at(&self, point: Point) -> i64 {
        point.x
    }
}

fn main() {
    let _ = Grid.at(Point { x: 1 });
}
