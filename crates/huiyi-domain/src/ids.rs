//! Identifiers that appear on the wire. Random ones come from the OS-seeded CSPRNG that
//! `rand::rng()` provides (ChaCha12, reseeded), so they cannot be guessed or enumerated.

use rand::Rng;
use serde::{Deserialize, Serialize};

fn digits(n: usize) -> String {
    let mut rng = rand::rng();
    // The first digit is never 0 so the value keeps its length when a client reads it as a number.
    let mut s = String::with_capacity(n);
    s.push(char::from(b'1' + rng.random_range(0..9u8)));
    for _ in 1..n {
        s.push(char::from(b'0' + rng.random_range(0..10u8)));
    }
    s
}

fn all_digits(s: &str, len: std::ops::RangeInclusive<usize>) -> bool {
    len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

macro_rules! digit_id {
    ($(#[$m:meta])* $name:ident, $len:expr, $what:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const LEN: usize = $len;

            pub fn generate() -> Self {
                Self(digits($len))
            }

            /// Accepts what a client sends back to us; the vendor's older ids were shorter, so
            /// only "digits, not empty, not absurdly long" is required.
            pub fn parse(s: &str) -> Result<Self, crate::ids::IdError> {
                let s = s.trim();
                if all_digits(s, 1..=20) {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(crate::ids::IdError($what))
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0} must be a string of digits")]
pub struct IdError(pub &'static str);

digit_id!(
    /// A booking's public id: 9 digits, one per booking (a series keeps one).
    ConferenceId, 9, "conferenceId"
);
digit_id!(
    /// Billing code: 8 digits, unique per booking.
    BillingCode, 8, "billingCode"
);
digit_id!(
    /// A passcode typed on a phone keypad: 8 digits.
    Passcode, 8, "pcode"
);
digit_id!(
    /// One actual session of a booking: 10 digits.
    TempConferenceId, 10, "tempConferenceId"
);

/// The code in a short link `/k/<code>`: 11 base62 characters (~65 bits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LinkCode(String);

impl LinkCode {
    pub const LEN: usize = 11;

    pub fn generate() -> Self {
        use rand::distr::{Alphanumeric, SampleString};
        Self(Alphanumeric.sample_string(&mut rand::rng(), Self::LEN))
    }

    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == Self::LEN && s.bytes().all(|b| b.is_ascii_alphanumeric()))
            .then(|| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for LinkCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A vendor user id (UMS userId): a positive integer, unique across all customers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(i64);

impl UserId {
    pub fn new(v: i64) -> Option<Self> {
        (v > 0).then_some(Self(v))
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The booking's integer id on the room-era API (`eventId`); also the storage key.
pub type EventId = i64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_have_their_length_and_parse_back() {
        for _ in 0..1000 {
            let c = ConferenceId::generate();
            assert_eq!(c.as_str().len(), 9);
            assert_eq!(ConferenceId::parse(c.as_str()).unwrap(), c);
            assert_eq!(BillingCode::generate().as_str().len(), 8);
            assert_eq!(Passcode::generate().as_str().len(), 8);
            assert_eq!(TempConferenceId::generate().as_str().len(), 10);
            let l = LinkCode::generate();
            assert_eq!(LinkCode::parse(l.as_str()), Some(l));
        }
    }

    #[test]
    fn ids_are_not_sequential() {
        let a: Vec<String> = (0..50).map(|_| Passcode::generate().to_string()).collect();
        let distinct: std::collections::HashSet<_> = a.iter().collect();
        assert!(distinct.len() > 45, "passcodes repeat: {a:?}");
    }

    #[test]
    fn parse_rejects_non_digits() {
        assert!(ConferenceId::parse("12a").is_err());
        assert!(ConferenceId::parse("").is_err());
        assert_eq!(
            ConferenceId::parse(" 2797368 ").unwrap().as_str(),
            "2797368"
        );
        assert!(LinkCode::parse("abc").is_none());
        assert!(UserId::new(0).is_none());
    }
}
