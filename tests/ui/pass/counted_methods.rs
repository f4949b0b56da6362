// `#[counted]` has no cache, so every receiver works, `&mut self` included.
use memo::counted;

struct Tally {
    n: u64,
}

impl Tally {
    #[counted]
    fn new() -> Self {
        Tally { n: 0 }
    }

    #[counted]
    fn get(&self) -> u64 {
        self.n
    }

    #[counted]
    fn bump(&mut self) {
        self.n += 1;
    }

    #[counted]
    fn into_inner(self) -> u64 {
        self.n
    }
}

fn main() {
    let mut tally = Tally::new();
    tally.bump();
    tally.bump();
    assert_eq!(tally.get(), 2);
    assert_eq!(tally.into_inner(), 2);
    let report = memo::report();
    let bump = report
        .iter()
        .find(|s| s.name.ends_with("Tally::bump"))
        .unwrap();
    assert_eq!((bump.calls, bump.misses), (2, 2));
}
