//! The procedural macros of [`memo`](https://docs.rs/memo): `#[memoize]`,
//! `#[precompute]` and `#[counted]`. Use them through the `memo` crate.
//!
//! The pipeline, one module per stage: `options` parses the attribute's
//! arguments, `model` reads the function (syntax only), `check` holds every
//! rule and turns the function and options into a typed `plan` (reading
//! `#[precompute]`'s domain against the parameters with `domain`), and
//! `expand` writes the code of a plan, which cannot fail.

#![warn(missing_docs)]

mod check;
mod domain;
mod errors;
mod expand;
mod kw;
mod model;
mod options;
mod plan;
#[cfg(test)]
mod snapshots;

use proc_macro::TokenStream;

/// Caches a function's results; see the `memo` crate.
#[proc_macro_attribute]
pub fn memoize(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::run(options::Attr::Memoize, args.into(), item.into()).into()
}

/// Backs a function over small integer ranges with a table of every result;
/// see the `memo` crate.
#[proc_macro_attribute]
pub fn precompute(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::run(options::Attr::Precompute, args.into(), item.into()).into()
}

/// Counts a function's calls; see the `memo` crate.
#[proc_macro_attribute]
pub fn counted(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::run(options::Attr::Counted, args.into(), item.into()).into()
}
