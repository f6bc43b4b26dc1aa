//! NIK and No. KK at rest: AES-256-GCM ciphertext, a keyed hash for lookups and dedup, and the
//! masked form (`3171**********01`) that answers show.
//!
//! Keys come from the environment, never from the store (a stolen GeoPackage or dump alone reveals
//! nothing):
//! - `SIGAP_PII_KEY`: the current encryption key, 64 hex digits (32 bytes). `sigap recipients
//!   keygen` prints a fresh one.
//! - `SIGAP_PII_OLD_KEYS`: earlier keys, comma-separated, still accepted for decryption while
//!   `sigap recipients rekey` re-encrypts every value under the current key (key rotation).
//! - `SIGAP_PII_HASH_KEY`: the lookup key (64 hex digits) of the HMAC-SHA-256 hashes that find
//!   and deduplicate households. It is kept apart from the encryption key so rotating the latter
//!   leaves every hash (and so every dedup and lookup) valid.
//!
//! Each ciphertext starts with the 4-byte id of its key (the first bytes of the key's SHA-256), then
//! the 12-byte random nonce, then the sealed value; the field name (`nik`, `no_kk`) is the
//! associated data, so a NIK ciphertext copied into the No. KK column does not decrypt.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::Aes256Gcm;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The environment variable of the current encryption key.
pub const KEY_ENV: &str = "SIGAP_PII_KEY";
/// The environment variable of earlier keys (comma-separated), for rotation.
pub const OLD_KEYS_ENV: &str = "SIGAP_PII_OLD_KEYS";
/// The environment variable of the lookup-hash key.
pub const HASH_KEY_ENV: &str = "SIGAP_PII_HASH_KEY";

const ID_LEN: usize = 4;
const NONCE_LEN: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptError {
    #[error("{0} is not set: recipients' NIK and No. KK are stored encrypted; create a key with `sigap recipients keygen`")]
    Missing(&'static str),
    #[error("{0} must be 64 hex digits (32 bytes)")]
    BadKey(&'static str),
    #[error("a stored value is sealed with key {0}, which is neither {KEY_ENV} nor in {OLD_KEYS_ENV}")]
    UnknownKey(String),
    #[error("a stored value cannot be decrypted (tampered, or stored under another field)")]
    Corrupt,
}

/// The keys of this process.
#[derive(Clone)]
pub struct Pii {
    current: ([u8; ID_LEN], Aes256Gcm),
    old: Vec<([u8; ID_LEN], Aes256Gcm)>,
    hash_key: Vec<u8>,
}

impl std::fmt::Debug for Pii {
    /// Never prints a key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pii(key {}, {} old)", hex::encode(self.current.0), self.old.len())
    }
}

fn parse_key(name: &'static str, text: &str) -> Result<[u8; 32], CryptError> {
    let bytes = hex::decode(text.trim()).map_err(|_| CryptError::BadKey(name))?;
    bytes.try_into().map_err(|_| CryptError::BadKey(name))
}

fn key_id(key: &[u8; 32]) -> [u8; ID_LEN] {
    let d = Sha256::digest(key);
    [d[0], d[1], d[2], d[3]]
}

fn cipher(key: &[u8; 32]) -> ([u8; ID_LEN], Aes256Gcm) {
    (key_id(key), Aes256Gcm::new(&(*key).into()))
}

impl Pii {
    /// Keys from hex text: the current key, earlier keys, the lookup-hash key.
    pub fn new(current: &str, old: &[&str], hash_key: &str) -> Result<Pii, CryptError> {
        let old = old.iter().filter(|k| !k.trim().is_empty()).map(|k| parse_key(OLD_KEYS_ENV, k).map(|k| cipher(&k))).collect::<Result<Vec<_>, _>>()?;
        Ok(Pii { current: cipher(&parse_key(KEY_ENV, current)?), old, hash_key: parse_key(HASH_KEY_ENV, hash_key)?.to_vec() })
    }

    /// Keys from the environment (see the module documentation).
    pub fn from_env() -> Result<Pii, CryptError> {
        let current = std::env::var(KEY_ENV).map_err(|_| CryptError::Missing(KEY_ENV))?;
        let hash = std::env::var(HASH_KEY_ENV).map_err(|_| CryptError::Missing(HASH_KEY_ENV))?;
        let old = std::env::var(OLD_KEYS_ENV).unwrap_or_default();
        Pii::new(&current, &old.split(',').collect::<Vec<_>>(), &hash)
    }

    /// A new random key as 64 hex digits.
    pub fn generate_key() -> String {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        hex::encode(k)
    }

    /// Seals `value` of `field` under the current key.
    pub fn seal(&self, field: &str, value: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let (id, c) = &self.current;
        // Encryption with a valid key and nonce length cannot fail (only decryption checks a tag).
        let sealed = c.encrypt(&nonce.into(), Payload { msg: value.as_bytes(), aad: field.as_bytes() }).unwrap_or_default();
        let mut out = Vec::with_capacity(ID_LEN + NONCE_LEN + sealed.len());
        out.extend_from_slice(id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens a value sealed by [`Pii::seal`] under the current or an old key.
    pub fn open(&self, field: &str, sealed: &[u8]) -> Result<String, CryptError> {
        if sealed.len() < ID_LEN + NONCE_LEN {
            return Err(CryptError::Corrupt);
        }
        let (id, rest) = sealed.split_at(ID_LEN);
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let c = std::iter::once(&self.current)
            .chain(self.old.iter())
            .find(|(k, _)| k == id)
            .map(|(_, c)| c)
            .ok_or_else(|| CryptError::UnknownKey(hex::encode(id)))?;
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CryptError::Corrupt)?;
        let plain = c.decrypt(&nonce.into(), Payload { msg: body, aad: field.as_bytes() }).map_err(|_| CryptError::Corrupt)?;
        String::from_utf8(plain).map_err(|_| CryptError::Corrupt)
    }

    /// Whether `sealed` is under the current key (rotation skips those).
    pub fn is_current(&self, sealed: &[u8]) -> bool {
        sealed.len() >= ID_LEN && sealed[..ID_LEN] == self.current.0
    }

    /// The keyed lookup hash of `value` of `field` (hex): equal values of a field hash equal, and
    /// without the key a hash cannot be checked against the 10^16 possible NIKs.
    pub fn hash(&self, field: &str, value: &str) -> String {
        // HMAC takes a key of any length.
        let mut m = match <Hmac<Sha256> as Mac>::new_from_slice(&self.hash_key) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC accepts any key length"),
        };
        m.update(field.as_bytes());
        m.update(b":");
        m.update(value.as_bytes());
        hex::encode(m.finalize().into_bytes())
    }
}

/// The masked form shown in answers: the first 4 and the last 2 characters, the rest `*`
/// (`3171**********01`); shorter values are all `*`.
pub fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let n = chars.len();
    chars.iter().enumerate().map(|(i, c)| if i < 4 || i >= n - 2 { *c } else { '*' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const K2: &str = "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100";
    const H: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    #[test]
    fn seals_opens_and_rotates() {
        let p1 = Pii::new(K1, &[], H).unwrap();
        let s = p1.seal("nik", "3171014101900001");
        assert!(!s.windows(16).any(|w| w == b"3171014101900001"), "the ciphertext does not hold the NIK");
        assert_ne!(s, p1.seal("nik", "3171014101900001"), "a fresh nonce each time");
        assert_eq!(p1.open("nik", &s).unwrap(), "3171014101900001");
        assert_eq!(p1.open("no_kk", &s).unwrap_err(), CryptError::Corrupt, "bound to its field");
        let mut bad = s.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(p1.open("nik", &bad).unwrap_err(), CryptError::Corrupt);
        // Rotation: K2 current, K1 old still opens; without K1 the old value names its key.
        let p2 = Pii::new(K2, &[K1], H).unwrap();
        assert_eq!(p2.open("nik", &s).unwrap(), "3171014101900001");
        assert!(!p2.is_current(&s) && p2.is_current(&p2.seal("nik", "x")));
        let p3 = Pii::new(K2, &[], H).unwrap();
        assert!(matches!(p3.open("nik", &s), Err(CryptError::UnknownKey(_))));
        assert_eq!(p1.hash("nik", "1"), p3.hash("nik", "1"), "the lookup hash survives rotation");
        assert_ne!(p1.hash("nik", "1"), p1.hash("no_kk", "1"));
    }

    #[test]
    fn bad_keys_are_named() {
        assert_eq!(Pii::new("abc", &[], H).unwrap_err(), CryptError::BadKey(KEY_ENV));
        assert_eq!(Pii::new(K1, &["zz"], H).unwrap_err(), CryptError::BadKey(OLD_KEYS_ENV));
        assert_eq!(Pii::new(K1, &[], &H[..62]).unwrap_err(), CryptError::BadKey(HASH_KEY_ENV));
        assert_eq!(Pii::generate_key().len(), 64);
        assert!(!format!("{:?}", Pii::new(K1, &[], H).unwrap()).contains(K1));
    }

    #[test]
    fn masks_keep_four_and_two() {
        assert_eq!(mask("3171014101900001"), "3171**********01");
        assert_eq!(mask("123"), "***");
    }
}
