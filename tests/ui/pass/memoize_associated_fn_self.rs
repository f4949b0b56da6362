// Associated functions without a receiver that name `Self` in their signature:
// the macro sees `Self` and keeps the state in the body, since an `impl` block
// cannot hold a companion module.
//
// An associated function that names neither `self` nor `Self` (`fn origin() ->
// Point` inside `impl Point`) looks like a free function to the macro, which
// cannot see that it is inside an `impl`; it is not supported (rustc reports
// "module is not supported in `trait`s or `impl`s"). Write `-> Self` instead.
use memo::memoize;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Point {
    x: i32,
    y: i32,
}

impl Point {
    #[memoize]
    fn new(x: i32, y: i32) -> Self {
        Point { x, y }
    }

    #[memoize]
    fn manhattan(a: Self, b: Self) -> i32 {
        (a.x - b.x).abs() + (a.y - b.y).abs()
    }

    #[memoize]
    fn origin() -> Self {
        Point { x: 0, y: 0 }
    }

    #[memoize]
    fn all(points: Vec<Self>) -> usize {
        points.len()
    }
}

fn main() {
    assert_eq!(Point::new(1, 2), Point { x: 1, y: 2 });
    assert_eq!(Point::new(1, 2), Point { x: 1, y: 2 });
    assert_eq!(Point::manhattan(Point::origin(), Point::new(3, -4)), 7);
    assert_eq!(Point::all(vec![Point::origin()]), 1);
    let report = memo::report();
    let new = report
        .iter()
        .find(|s| s.name.ends_with("Point::new"))
        .unwrap();
    assert_eq!((new.calls, new.hits), (3, 1));
}
