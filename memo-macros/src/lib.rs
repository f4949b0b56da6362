//! The procedural macros of [`memo`](https://docs.rs/memo): `#[memoize]`,
//! `#[precompute]` and `#[counted]`. Use them through the `memo` crate.
//!
//! The pipeline, one module per stage: `options` parses the attribute's
//! arguments, `model` reads the function and checks what every attribute
//! needs, `domain` reads `#[precompute]`'s domain against the parameters, and
//! `expand` writes the code.

mod domain;
mod errors;
mod expand;
mod kw;
mod model;
mod options;
#[cfg(test)]
mod snapshots;

use proc_macro::TokenStream;

/// Caches a function's results; see the `memo` crate.
#[proc_macro_attribute]
pub fn memoize(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::run(options::Attr::Memoize, args.into(), item.into()).into()
}

/// Backs a function over small integer ranges with a table of every result.
///
/// ```ignore
/// use memo::precompute;
///
/// const N_RULES: u32 = 20;
///
/// #[precompute(domain = (0..N_RULES, 0..=19))]
/// fn validate_rule(rule_id: u32, event_type: u32) -> bool { /* ... */ }
///
/// validate_rule(3, 7);        // one bounds check per argument and one load
/// validate_rule(99, 7);       // out of the domain: runs the body, counted as a miss
/// validate_rule::init();      // builds the table now (idempotent)
/// validate_rule::stats();     // calls, hits (table lookups), misses, entries = 400
/// ```
///
/// `domain` gives one entry per parameter, in order: `a..b`, `a..=b`, or `_`
/// for every value of a `bool`, `u8` or `i8`; one parameter may drop the
/// parentheses (`domain = 0..100`). Bounds are literals or constant
/// expressions of the parameter's type (`0..N_RULES`, `-N..=N`); bounds the
/// macro cannot evaluate are checked by `const` assertions. Parameters are
/// primitive integers or `bool`; the return type is any `Clone + Send + Sync`
/// type (a `Copy` one is returned by a plain load).
///
/// The table is one flat row-major array: cell
/// `(a - a0) * len_b + (b - b0)`. Options:
///
/// - `strict`: a call outside the domain panics, naming the parameter, its
///   value and its range, instead of running the body.
/// - `max_entries = N`: raises the limit of 16,777,216 cells.
/// - `crate = path`: the path of the `memo` crate, if renamed.
///
/// **`const fn`**: the table is a `static` filled by const evaluation, so no
/// call ever runs the body for an argument in the domain, and the crate may be
/// `#![no_std]`. The generated function itself is *not* `const` (it counts its
/// calls in a thread-local), so it cannot be called from a `const` context;
/// and a `const fn` that calls itself is rejected, since its table is built
/// before the function exists (remove `const` to build the table at run time).
/// Cells are written over one initial value, so the return type must have no
/// drop glue (`Copy` types, `&'static str`, plain data).
///
/// **Other functions**: the table is built once, thread-safely, on the first
/// call in the domain or on `f::init()`; other threads wait for it. While the
/// table is built, a call from the body to the function itself reads the
/// cells already built (a recursive definition in index order costs one
/// body run per cell) and runs the body for the others.
///
/// Put the attribute on a function at module level: its companion module
/// `f::` reaches the function's module through `super`, which a function
/// declared inside another function's body is not part of.
#[proc_macro_attribute]
pub fn precompute(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::run(options::Attr::Precompute, args.into(), item.into()).into()
}

/// Counts a function's calls; see the `memo` crate.
#[proc_macro_attribute]
pub fn counted(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::run(options::Attr::Counted, args.into(), item.into()).into()
}
