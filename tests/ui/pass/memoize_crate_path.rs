// `crate = path` names the `memo` crate for code that cannot reach it as `::memo`.
//
// What works: a path that resolves, from the function's module, to the `memo`
// crate or to a module that re-exports all of it:
// - `crate = ::memo`, or `crate = my_memo` for a dependency renamed in
//   Cargo.toml (`my_memo = { package = "memo", .. }`): the extern prelude makes
//   that name visible in every module. trybuild cannot rename a dependency;
//   `extern crate memo as my_memo;` puts the same name in the extern prelude;
// - a re-export `pub use ::memo as renamed;` named as `crate = crate::renamed`
//   (from any module), `crate = self::renamed` (in the module holding it) or
//   `crate = super::renamed` (one module down).
// What does not: a bare name brought in by `use` (`use ::memo as renamed;` then
// `crate = renamed`): the companion module `fn_name::` sits one module down,
// where the `use` is not visible. Write `crate = self::renamed`.
extern crate memo as my_memo;

use memo::memoize;

pub use ::memo as renamed;

mod dependency_renamed {
    #[my_memo::memoize(crate = my_memo)]
    pub fn memoized(n: u64) -> u64 {
        n + 10
    }

    #[my_memo::counted(crate = my_memo)]
    pub fn counted(n: u64) -> u64 {
        n + 20
    }
}

#[memoize(crate = ::memo)]
fn absolute(n: u64) -> u64 {
    n + 1
}

#[memoize(crate = crate::renamed, capacity = 4)]
fn through_reexport(n: u64) -> u64 {
    n * 2
}

#[memoize(crate = self::renamed)]
fn through_self(n: u64) -> u64 {
    n * 3
}

mod nested {
    #[crate::renamed::memoize(crate = crate::renamed)]
    pub fn deeper(n: u64) -> u64 {
        n * 4
    }

    #[super::renamed::counted(crate = super::renamed)]
    pub fn counted_deeper(n: u64) -> u64 {
        n * 5
    }
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct Meters(u64);

impl Meters {
    #[memoize(crate = self::renamed)]
    fn double(&self) -> u64 {
        self.0 * 2
    }

    #[memoize(crate = crate::renamed)]
    fn new(n: u64) -> Self {
        Meters(n)
    }
}

fn main() {
    assert_eq!(absolute(1), 2);
    assert_eq!(through_reexport(2), 4);
    assert_eq!(through_self(3), 9);
    assert_eq!(nested::deeper(1), 4);
    assert_eq!(nested::counted_deeper(1), 5);
    assert_eq!(absolute::stats().calls, 1);
    assert_eq!(through_reexport::stats().calls, 1);
    assert_eq!(through_self::stats().calls, 1);
    assert_eq!(nested::deeper::stats().calls, 1);
    assert_eq!(nested::counted_deeper::stats().calls, 1);
    assert_eq!(Meters::new(1).double(), 2);
    assert_eq!(dependency_renamed::memoized(1), 11);
    assert_eq!(dependency_renamed::counted(1), 21);
    assert_eq!(dependency_renamed::memoized::stats().calls, 1);
    assert_eq!(dependency_renamed::counted::stats().calls, 1);
}
