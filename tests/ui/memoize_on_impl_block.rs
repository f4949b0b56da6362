use memo::memoize;

struct Grid;

#[memoize]
impl Grid {
    fn cell(&self, x: u32) -> u32 {
        x
    }
}

fn main() {
    let _ = Grid.cell(1);
}
