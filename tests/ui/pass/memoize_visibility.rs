// `pub(crate)`, `pub(super)` and `pub` functions keep their visibility, and
// so does the companion module.
mod shapes {
    use memo::memoize;

    #[memoize]
    pub(crate) fn square(n: u64) -> u64 {
        n * n
    }

    pub mod inner {
        use memo::memoize;

        #[memoize]
        pub(super) fn cube(n: u64) -> u64 {
            n * n * n
        }

        #[memoize]
        pub fn twice(n: u64) -> u64 {
            n * 2
        }
    }

    pub fn cube_of(n: u64) -> u64 {
        let value = inner::cube(n);
        assert_eq!(inner::cube::stats().calls, 1);
        value
    }
}

fn main() {
    assert_eq!(shapes::square(3), 9);
    assert_eq!(shapes::square::stats().calls, 1);
    assert_eq!(shapes::cube_of(2), 8);
    assert_eq!(shapes::inner::twice(2), 4);
    shapes::inner::twice::clear();
}
