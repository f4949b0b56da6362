//! Bound checks the macros emit at the user's types, so that a missing `Hash`
//! or `Clone` is reported on the parameter that lacks it.

use std::borrow::ToOwned;
use std::hash::Hash;

/// A parameter type that can be part of a cache key (its owned form is stored).
#[inline(always)]
pub fn assert_key<T>()
where
    T: ?Sized + ToOwned + Hash + Eq,
    T::Owned: Hash + Eq + Clone + Send + Sync + 'static,
{
}

/// A return type that a cache can hand out again.
#[inline(always)]
pub fn assert_value<V: Clone + Send + Sync + 'static>() {}

/// A key or value a second-level store keeps: serialized with serde.
#[cfg(feature = "store")]
#[inline(always)]
pub fn assert_stored<T: serde::Serialize + serde::de::DeserializeOwned>() {}
