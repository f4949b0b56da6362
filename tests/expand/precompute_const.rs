//! A `#[precompute]` `const fn`: its table is a `static` filled at compile
//! time; `precompute_const.expanded.rs` beside this file is what it expands to.

use memo::precompute;

/// Population count of a byte.
#[precompute(domain = _)]
pub const fn popcount(byte: u8) -> u32 {
    byte.count_ones()
}
