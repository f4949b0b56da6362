//! Looking a key up by its borrowed form, so a hit never allocates.
//!
//! `#[memoize] fn f(s: &str, n: u32)` looks up `(&str, &u32)` in a cache keyed by
//! `(String, u32)`. Both hash alike (a tuple hashes its fields in order, and
//! `Borrow` promises that `String` hashes like `str`), so the generated code hashes
//! the borrowed tuple and compares field by field; the owned key is built only on
//! a miss.

use std::borrow::{Borrow, ToOwned};
use std::hash::Hash;

/// A borrowed view of a cache key.
pub trait Lookup: Hash {
    /// The owned key stored in the cache.
    type Key: Hash + Eq;
    /// Whether `key` is the owned form of this lookup.
    fn matches(&self, key: &Self::Key) -> bool;
    /// The owned key, built on a miss.
    fn into_key(self) -> Self::Key;
}

/// A key that is already owned: `key = EXPR`.
#[derive(Hash)]
pub struct Owned<K>(pub K);

impl<K: Hash + Eq> Lookup for Owned<K> {
    type Key = K;
    fn matches(&self, key: &K) -> bool {
        self.0 == *key
    }
    fn into_key(self) -> K {
        self.0
    }
}

/// An owned key, looked up by reference: how a caller that waited for
/// another's run of its key looks again.
pub struct ByKey<'a, K>(pub &'a K);

impl<K: Hash> Hash for ByKey<'_, K> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl<K: Hash + Eq + Clone> Lookup for ByKey<'_, K> {
    type Key = K;
    fn matches(&self, key: &K) -> bool {
        *self.0 == *key
    }
    fn into_key(self) -> K {
        self.0.clone()
    }
}

macro_rules! tuple_lookup {
    ($($t:ident $i:tt),*) => {
        #[allow(clippy::unused_unit)]
        impl<'a, $($t),*> Lookup for ($(&'a $t,)*)
        where
            $($t: ?Sized + ToOwned + Hash + Eq, $t::Owned: Hash + Eq,)*
        {
            type Key = ($($t::Owned,)*);
            #[allow(unused_variables)]
            fn matches(&self, key: &Self::Key) -> bool {
                true $(&& *self.$i == *Borrow::<$t>::borrow(&key.$i))*
            }
            fn into_key(self) -> Self::Key {
                ($(self.$i.to_owned(),)*)
            }
        }
    };
}

tuple_lookup!();
tuple_lookup!(A 0);
tuple_lookup!(A 0, B 1);
tuple_lookup!(A 0, B 1, C 2);
tuple_lookup!(A 0, B 1, C 2, D 3);
tuple_lookup!(A 0, B 1, C 2, D 3, E 4);
tuple_lookup!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_lookup!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_lookup!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple_lookup!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple_lookup!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
tuple_lookup!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
tuple_lookup!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn borrowed_and_owned_keys_hash_alike() {
        let state = foldhash::fast::RandomState::default();
        let n = 7_u32;
        let query = ("abc", &n);
        let query = (query.0, query.1);
        let key = query.into_key();
        assert_eq!(state.hash_one(query), state.hash_one(&key));
        assert!(query.matches(&key));
        assert!(!("abd", &n).matches(&key));
    }
}
