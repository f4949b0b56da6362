//! What the report learns about a function's inputs, without touching the hit
//! path: key hashes for the distinct-input sketch, and the values of integer
//! parameters for the observed domain.

use std::hash::{BuildHasher, Hash};

/// Sketch hashes need no secret seed: they never index a table.
pub(crate) fn hash_of<T: Hash + ?Sized>(value: &T) -> u64 {
    foldhash::fast::FixedState::with_seed(0x6d65_6d6f).hash_one(value)
}

/// An integer or `bool` parameter, widened for the observed domain.
pub trait Observe {
    /// The value as an `i128`.
    fn observe(&self) -> i128;
}

macro_rules! observe_via_from {
    ($($t:ty),*) => {$(
        impl Observe for $t {
            #[inline]
            fn observe(&self) -> i128 {
                i128::from(*self)
            }
        }
    )*};
}

observe_via_from!(bool, u8, u16, u32, u64, i8, i16, i32, i64);

impl Observe for usize {
    #[inline]
    fn observe(&self) -> i128 {
        i128::try_from(*self).unwrap_or(i128::MAX)
    }
}

impl Observe for isize {
    #[inline]
    fn observe(&self) -> i128 {
        i128::try_from(*self).unwrap_or(i128::MAX)
    }
}

/// Wraps a `#[counted]` function's arguments so that `key_hash()` hashes them
/// when they are `Hash`, and gives `None` when they are not (method resolution
/// picks [`Hashed`] first when it applies, else [`Unhashed`] through one more
/// auto-reference).
pub struct KeyProbe<'a, T: ?Sized>(pub &'a T);

/// `key_hash()` for arguments that are `Hash`.
pub trait Hashed {
    /// The arguments' hash.
    fn key_hash(&self) -> Option<u64>;
}

impl<T: Hash + ?Sized> Hashed for KeyProbe<'_, T> {
    fn key_hash(&self) -> Option<u64> {
        Some(hash_of(self.0))
    }
}

/// `key_hash()` for arguments that are not `Hash`.
pub trait Unhashed {
    /// Nothing to hash.
    fn key_hash(&self) -> Option<u64> {
        None
    }
}

impl<T: ?Sized> Unhashed for &KeyProbe<'_, T> {}

#[cfg(test)]
mod tests {
    use super::*;

    struct Opaque;

    #[test]
    fn probes_hash_only_hashable_keys() {
        assert!(KeyProbe(&(&1_u32, &"a")).key_hash().is_some());
        assert_eq!((&KeyProbe(&(&Opaque,))).key_hash(), None);
    }
}
