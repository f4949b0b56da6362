//! Methods whose key and value types are the user's own: the bounds become
//! `where` clauses of the method, which must hold in every shape a method
//! can take (inherent, generic impl, trait impl, trait default, generic trait).

use std::hash::Hash;

use memo::memoize;

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct Point {
    x: i64,
}

#[derive(Clone, Hash, PartialEq, Eq)]
struct Grid;

impl Grid {
    #[memoize]
    fn shift(&self, p: Point, by: &Point) -> Point {
        Point { x: p.x + by.x }
    }
}

#[derive(Clone, Hash, PartialEq, Eq)]
struct Wrap<T>(T);

impl<T: Clone + Hash + Eq + Send + Sync + 'static> Wrap<T> {
    #[memoize]
    fn pair(&self, other: T) -> (T, T) {
        (self.0.clone(), other)
    }
}

trait Move {
    fn step(&self, p: Point) -> Point;

    #[memoize]
    fn twice(&self, p: Point) -> Point
    where
        Self: Clone + Hash + Eq + Send + Sync + Sized + 'static,
    {
        self.step(self.step(p))
    }
}

impl Move for Grid {
    #[memoize]
    fn step(&self, p: Point) -> Point {
        Point { x: p.x + 1 }
    }
}

trait Keyed<T> {
    fn keyed(&self, t: T) -> Point;
}

impl<T: Clone + Hash + Eq + Send + Sync + 'static> Keyed<T> for Grid {
    #[memoize]
    fn keyed(&self, _t: T) -> Point {
        Point { x: 7 }
    }
}

fn main() {
    let g = Grid;
    assert_eq!(g.shift(Point { x: 1 }, &Point { x: 2 }), Point { x: 3 });
    assert_eq!(Wrap(1_u8).pair(2), (1, 2));
    assert_eq!(g.twice(Point { x: 0 }), Point { x: 2 });
    assert_eq!(g.keyed("a"), Point { x: 7 });
}
