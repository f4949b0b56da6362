// `single_flight` as a flag and as `= true` / `= false`, with every option it
// combines with (`capacity`, `policy = lru`, `ttl`, `key`), borrowed arguments,
// `Result`, and methods.
#![deny(warnings)]

use memo::memoize;

#[memoize(single_flight)]
fn flag(n: u64) -> u64 {
    n
}

#[memoize(single_flight = true)]
fn on(n: u64) -> u64 {
    n
}

#[memoize(single_flight = false)]
fn off(n: u64) -> u64 {
    n
}

#[memoize(single_flight, capacity = 8)]
fn bounded(n: u64) -> u64 {
    n
}

#[memoize(capacity = 8, policy = lru, single_flight)]
fn bounded_lru(n: u64) -> u64 {
    n
}

#[memoize(single_flight, ttl = "30s")]
fn expiring(n: u64) -> u64 {
    n
}

#[memoize(single_flight, key = n % 4)]
fn keyed(n: u64) -> u64 {
    n % 4
}

#[memoize(ttl = "2m", single_flight = true, key = n % 4, policy = lru, capacity = 8)]
fn everything(n: u64) -> u64 {
    n % 4
}

#[memoize(single_flight)]
fn borrowed(text: &str, bytes: &[u8]) -> usize {
    text.len() + bytes.len()
}

#[memoize(single_flight)]
fn fallible(text: &str) -> Result<u32, std::num::ParseIntError> {
    text.parse()
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct Grid {
    width: u32,
}

impl Grid {
    #[memoize(single_flight)]
    fn cell(&self, x: u32, y: u32) -> u32 {
        y * self.width + x
    }

    #[memoize(single_flight, key = x)]
    fn column(&self, x: u32) -> u32 {
        x % self.width
    }

    #[memoize(single_flight, capacity = 4, policy = lru, ttl = "1s")]
    fn into_area(self, height: u32) -> u32 {
        self.width * height
    }
}

fn main() {
    for f in [
        flag,
        on,
        off,
        bounded,
        bounded_lru,
        expiring,
        keyed,
        everything,
    ] {
        assert_eq!(f(1), 1);
        assert_eq!(f(1), 1);
    }
    assert_eq!(keyed(5), 1);
    assert_eq!(everything(5), 1);
    let s = flag::stats();
    assert_eq!((s.calls, s.hits, s.misses, s.waited), (2, 1, 1, 0));
    assert_eq!(everything::stats().hits, 2);

    assert_eq!(borrowed("ab", b"c"), 3);
    assert_eq!(borrowed(&String::from("ab"), &[b'c'][..]), 3);
    assert_eq!(borrowed::stats().hits, 1);
    assert!(fallible("x").is_err());
    assert_eq!(fallible("12"), Ok(12));

    let grid = Grid { width: 10 };
    assert_eq!(grid.cell(1, 2), 21);
    assert_eq!(grid.cell(1, 2), 21);
    assert_eq!(grid.column(13), 3);
    assert_eq!(grid.clone().into_area(3), 30);
    assert_eq!(grid.into_area(3), 30);
    let report = memo::report();
    let cell = report
        .iter()
        .find(|s| s.name.ends_with("Grid::cell"))
        .expect("the method's row");
    assert_eq!((cell.calls, cell.hits, cell.waited), (2, 1, 0));
}
