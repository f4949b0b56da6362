use memo::memoize;

#[derive(Clone, PartialEq, Eq, Hash)]
struct Counter {
    n: u64,
}

impl Counter {
    #[memoize]
    fn bump(&mut self) -> u64 {
        self.n += 1;
        self.n
    }
}

fn main() {}
