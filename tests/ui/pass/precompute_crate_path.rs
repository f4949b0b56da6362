// `crate = path` for `#[precompute]`, as for the other attributes (see
// memoize_crate_path.rs for what resolves).
extern crate memo as my_memo;

pub use ::memo as renamed;

#[my_memo::precompute(crate = my_memo, domain = 0..10)]
fn renamed_dependency(n: u32) -> u32 {
    n + 1
}

#[renamed::precompute(crate = self::renamed, domain = (0..4, _))]
const fn through_self(n: u8, on: bool) -> u8 {
    if on { n } else { 0 }
}

mod nested {
    #[crate::renamed::precompute(crate = super::renamed, domain = -2..=2)]
    pub fn deeper(n: i32) -> i32 {
        n * 4
    }
}

fn main() {
    assert_eq!(renamed_dependency(3), 4);
    assert_eq!(through_self(3, true), 3);
    assert_eq!(nested::deeper(2), 8);
    renamed_dependency::init();
    through_self::init();
    nested::deeper::init();
    assert_eq!(renamed_dependency::stats().hits, 1);
    assert_eq!(through_self::stats().hits, 1);
    assert_eq!(nested::deeper::stats().hits, 1);
}
