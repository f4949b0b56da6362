//! What `check` hands to `expand`: one typed plan per attribute, holding only
//! what passed every check, so that each expander is an infallible function
//! of its plan.

use syn::{Expr, Type};

use crate::domain::Domain;
use crate::model::Func;
use crate::options::Options;

pub(crate) enum Plan<'a> {
    Memoize(Memoize<'a>),
    Precompute(Precompute<'a>),
    Counted(Counted<'a>),
}

/// Where a function's state lives.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// A free function: in a companion beside it, `f::stats()`.
    Free,
    /// A method or an associated function naming `Self`: in its own body,
    /// since an `impl` block cannot hold a companion.
    Impl,
}

/// How callers share a cache.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// One cache for every thread; concurrent misses of a key each run the body.
    Shared,
    /// One cache for every thread; concurrent misses of a key run the body once.
    SingleFlight,
    /// One cache per thread.
    ThreadLocal,
}

/// What a cache is keyed by.
pub(crate) enum Key<'a> {
    /// The receiver and every parameter.
    Params,
    /// `key = EXPR`.
    Expr(&'a Expr),
}

/// A bound the cache needs of a type the user wrote, and how it is checked.
pub(crate) struct Bound<'a> {
    /// The type as written: where an unmet bound is reported.
    pub(crate) ty: &'a Type,
    pub(crate) need: Need,
    /// Whether `ty` names no type parameter the macro cannot see through, so
    /// that the bound can be a `where` clause of the function and of its
    /// companion: rustc then reports it once, at `ty`, and checks the body
    /// assuming it. Otherwise it is an `assert_key`/`assert_value` call.
    pub(crate) as_where: bool,
}

/// The bounds `memo::__private::assert_key` and `assert_value` spell, each
/// implying those before it (for a sized `T`, `T: ToOwned` means `T: Clone`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Need {
    /// The stored value.
    Value,
    /// A parameter `&T` keyed by `T::Owned`.
    BorrowedKey,
    /// A parameter `T` keyed by itself.
    Key,
}

pub(crate) struct Memoize<'a> {
    pub(crate) func: &'a Func,
    pub(crate) options: &'a Options,
    pub(crate) scope: Scope,
    pub(crate) mode: Mode,
    pub(crate) key: Key<'a>,
    /// Whether the function has type parameters: one cache per instantiation.
    pub(crate) generic: bool,
    /// The key and value bounds, in the order the types are written.
    pub(crate) bounds: Vec<Bound<'a>>,
}

pub(crate) struct Precompute<'a> {
    pub(crate) func: &'a Func,
    pub(crate) options: &'a Options,
    pub(crate) domain: Domain<'a>,
    /// The return type: what the table holds.
    pub(crate) output: &'a Type,
    /// A `const fn`: the table is built at compile time.
    pub(crate) constant: bool,
}

pub(crate) struct Counted<'a> {
    pub(crate) func: &'a Func,
    pub(crate) options: &'a Options,
    pub(crate) scope: Scope,
}
