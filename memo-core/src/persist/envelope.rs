//! Keys and values as stored: the key is a readable prefix naming the function
//! followed by the serialized arguments; the value is a small envelope (format
//! byte, expiry, serialized value). Both are stable across processes, builds
//! and machines: postcard for the data, FNV-1a for the signature fingerprint,
//! nothing seeded per process.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{StoreError, StoreErrorKind};

/// The envelope's format byte. A value starting with any other byte is garbage.
pub const FORMAT: u8 = 1;

/// Format byte + expiry.
const HEADER: usize = 1 + 8;

/// The key layout's version, the `v1` in `memo:v1:…`.
const KEY_LAYOUT: &str = "memo:v1:";

/// FNV-1a (64 bit) of `signature` with ASCII whitespace skipped, so that
/// `Vec<u8>` and `Vec < u8 >` (as a token printer may space it) agree.
pub const fn fingerprint(signature: &str) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let bytes = signature.as_bytes();
    let mut hash = OFFSET;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !b.is_ascii_whitespace() {
            hash ^= b as u64;
            hash = hash.wrapping_mul(PRIME);
        }
        i += 1;
    }
    hash
}

/// The part of every key that names one function: its path, the fingerprint
/// of its signature and its `version`. Written out as
/// `memo:v1:<path>:<fingerprint, 16 hex digits>:<version>:`; a function's
/// `clear()` drops every key that starts with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Prefix {
    path: &'static str,
    fingerprint: u64,
    version: u32,
}

impl Prefix {
    /// The prefix of the function at `path` (`module_path!()` + name), whose
    /// parameter and return types, as written, are `signature`.
    pub const fn new(path: &'static str, signature: &str, version: u32) -> Self {
        Prefix {
            path,
            fingerprint: fingerprint(signature),
            version,
        }
    }

    /// The function's path.
    pub const fn path(&self) -> &'static str {
        self.path
    }

    /// Appends the prefix's bytes to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(KEY_LAYOUT.as_bytes());
        out.extend_from_slice(self.path.as_bytes());
        out.push(b':');
        let fingerprint = self.fingerprint;
        for shift in (0..16).rev() {
            let nibble = (fingerprint >> (shift * 4)) & 0xf;
            out.push(b"0123456789abcdef"[nibble as usize]);
        }
        out.push(b':');
        out.extend_from_slice(self.version.to_string().as_bytes());
        out.push(b':');
    }

    /// The prefix's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(KEY_LAYOUT.len() + self.path.len() + 30);
        self.write_to(&mut out);
        out
    }
}

/// The stored key of the arguments `key`: the prefix, then `key` in postcard.
pub fn key_bytes<K: Serialize + ?Sized>(prefix: &Prefix, key: &K) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::with_capacity(KEY_LAYOUT.len() + prefix.path.len() + 46);
    prefix.write_to(&mut out);
    postcard::to_extend(key, out)
        .map_err(|e| StoreError::new("memo", "encode key", StoreErrorKind::Encode, e))
}

/// The envelope of `value`: [`FORMAT`], the expiry in unix milliseconds as a
/// little-endian `u64` (0 = never), then `value` in postcard.
pub fn encode<V: Serialize + ?Sized>(value: &V, expires_at: u64) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::with_capacity(64);
    out.push(FORMAT);
    out.extend_from_slice(&expires_at.to_le_bytes());
    postcard::to_extend(value, out)
        .map_err(|e| StoreError::new("memo", "encode value", StoreErrorKind::Encode, e))
}

/// What a stored value turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decoded<V> {
    /// A value that has not expired.
    Fresh(V),
    /// A well-formed value past its expiry: a miss.
    Expired,
    /// Not an envelope of a `V` (another format, another type, truncated,
    /// trailing bytes): a miss, counted.
    Garbage,
}

/// Reads an envelope written by [`encode`], as of `now` (unix milliseconds).
pub fn decode<V: DeserializeOwned>(bytes: &[u8], now: u64) -> Decoded<V> {
    let Some((header, body)) = bytes.split_at_checked(HEADER) else {
        return Decoded::Garbage;
    };
    if header[0] != FORMAT {
        return Decoded::Garbage;
    }
    let mut expiry = [0; 8];
    expiry.copy_from_slice(&header[1..]);
    let expires_at = u64::from_le_bytes(expiry);
    match postcard::take_from_bytes::<V>(body) {
        Ok((value, [])) if expires_at == 0 || now < expires_at => Decoded::Fresh(value),
        Ok((_, [])) => Decoded::Expired,
        _ => Decoded::Garbage,
    }
}

/// The wall clock in unix milliseconds (0 if it is before 1970).
pub fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The expiry of an entry written now with `ttl` (0 = never).
pub(crate) fn expiry_after(ttl: Option<Duration>) -> u64 {
    match ttl {
        None => 0,
        Some(ttl) => {
            let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
            now_millis().saturating_add(ms.max(1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PREFIX: Prefix = Prefix::new("app::fib", "(u64) -> u64", 3);

    #[test]
    fn the_fingerprint_is_fixed_and_ignores_spacing() {
        // A fixed value: a seeded or per-build hash would change it.
        assert_eq!(fingerprint(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fingerprint("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(
            fingerprint("(Vec<u8>) -> u64"),
            fingerprint("( Vec < u8 > ) -> u64")
        );
        assert_ne!(fingerprint("(u64) -> u64"), fingerprint("(u32) -> u64"));
    }

    #[test]
    fn keys_start_with_a_readable_prefix() {
        let key = key_bytes(&PREFIX, &(7u64, "x")).unwrap_or_default();
        let prefix = PREFIX.to_bytes();
        let text = String::from_utf8_lossy(&prefix);
        assert!(text.starts_with("memo:v1:app::fib:"), "{text}");
        assert!(text.ends_with(":3:"), "{text}");
        assert_eq!(prefix.len(), "memo:v1:app::fib:".len() + 16 + ":3:".len());
        assert_eq!(&key[..prefix.len()], &prefix[..]);
        assert_eq!(&key[prefix.len()..], &[7, 1, b'x']);
        let other = Prefix::new("app::fib", "(u64) -> u64", 4);
        assert_ne!(other.to_bytes(), prefix);
    }

    #[test]
    fn envelopes_round_trip_and_expire() {
        let bytes = encode(&vec![1u32, 2, 3], 0).unwrap_or_default();
        assert_eq!(
            decode::<Vec<u32>>(&bytes, u64::MAX),
            Decoded::Fresh(vec![1, 2, 3])
        );
        let bytes = encode("hi", 1_000).unwrap_or_default();
        assert_eq!(
            decode::<String>(&bytes, 999),
            Decoded::Fresh("hi".to_owned())
        );
        assert_eq!(decode::<String>(&bytes, 1_000), Decoded::Expired);
    }

    #[test]
    fn anything_else_is_garbage() {
        let good = encode(&(1u8, 2u8), 0).unwrap_or_default();
        let mut other_format = good.clone();
        other_format[0] = 2;
        let mut trailing = good.clone();
        trailing.push(0);
        for bytes in [
            &b""[..],
            b"\x01",
            &good[..HEADER],
            &good[..good.len() - 1],
            &other_format,
            &trailing,
        ] {
            assert_eq!(decode::<(u8, u8)>(bytes, 0), Decoded::Garbage, "{bytes:?}");
        }
        // A value of another type (a bool is 0 or 1, 7 is neither).
        let seven = encode(&7u8, 0).unwrap_or_default();
        assert_eq!(decode::<bool>(&seven, 0), Decoded::Garbage);
    }
}
