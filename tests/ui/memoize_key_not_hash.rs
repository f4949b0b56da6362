use memo::memoize;

#[derive(Clone, PartialEq, Eq)]
struct Point {
    x: i64,
    y: i64,
}

#[memoize]
fn norm(scale: u64, point: Point) -> i64 {
    (point.x.abs() + point.y.abs()) * scale as i64
}

fn main() {}
