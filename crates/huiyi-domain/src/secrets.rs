//! API keys: generated from the CSPRNG, shown once, stored only as a SHA-256 digest.
//!
//! A key carries ~190 bits of entropy, so a plain (unsalted) digest is safe to index and look
//! up by; the final comparison is still constant-time so no timing reveals a near match.

use rand::distr::{Alphanumeric, SampleString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const PREFIX: &str = "hy_";
const BODY_LEN: usize = 32;

/// A freshly generated key. Deliberately not `Debug`/`Display`: it is printed once, on purpose.
pub struct NewApiKey {
    plain: String,
}

impl NewApiKey {
    pub fn generate() -> Self {
        Self {
            plain: format!(
                "{PREFIX}{}",
                Alphanumeric.sample_string(&mut rand::rng(), BODY_LEN)
            ),
        }
    }

    /// The key to hand to its owner, once.
    pub fn reveal(&self) -> &str {
        &self.plain
    }

    pub fn hash(&self) -> KeyHash {
        KeyHash::of(&self.plain)
    }
}

/// SHA-256 of a key, hex encoded: what the database keeps.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyHash(String);

impl KeyHash {
    pub fn of(presented: &str) -> Self {
        Self(hex::encode(Sha256::digest(presented.trim().as_bytes())))
    }

    pub fn from_stored(hex: String) -> Self {
        Self(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn matches(&self, other: &KeyHash) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl std::fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyHash({}…)", &self.0[..8.min(self.0.len())])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_hash_stably() {
        let a = NewApiKey::generate();
        let b = NewApiKey::generate();
        assert_ne!(a.reveal(), b.reveal());
        assert!(a.reveal().starts_with(PREFIX));
        assert_eq!(a.reveal().len(), PREFIX.len() + BODY_LEN);
        assert!(a.hash().matches(&KeyHash::of(a.reveal())));
        assert!(!a.hash().matches(&b.hash()));
        assert_eq!(a.hash().as_str().len(), 64);
    }
}
