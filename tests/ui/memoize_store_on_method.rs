use memo::memoize;

#[derive(Clone, PartialEq, Eq, Hash)]
struct Rate(u64);

impl Rate {
    #[memoize(store = disk)]
    fn apply(&self, x: u64) -> u64 {
        self.0 * x
    }
}

fn main() {}
