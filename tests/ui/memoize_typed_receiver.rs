use memo::memoize;

#[derive(Clone, PartialEq, Eq, Hash)]
struct Tree {
    depth: u32,
}

impl Tree {
    #[memoize]
    fn size(self: Box<Self>) -> u64 {
        1 << self.depth
    }
}

fn main() {}
