//! Joining: which side of a booking a short link opens, and the tokens that make a link secure
//! (endpoint 7), login-free (21) or log a client in (22).
//!
//! A token is shown once, in the link or answer that carries it, and stored only as its SHA-256
//! ([`KeyHash`]). It looks like the vendor's (`5b23de7a-e4ce-47bc-a4eb-dd7afeab8f22`): a
//! UUID v4 whose 122 random bits come from the CSPRNG, so tokens cannot be guessed.

use crate::ids::{EventId, UserId};
use crate::secrets::KeyHash;
use crate::tenant::CustomerKey;
use rand::Rng;

/// Which side of a booking a short link `/k/<code>` opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkRole {
    Host,
    Attendee,
    /// The phone call-out link (`wcallUrl`).
    Wcall,
}

impl LinkRole {
    /// As stored in `links.role` and `join_tokens.role`.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkRole::Host => "host",
            LinkRole::Attendee => "attendee",
            LinkRole::Wcall => "wcall",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "host" => Some(LinkRole::Host),
            "attendee" => Some(LinkRole::Attendee),
            "wcall" => Some(LinkRole::Wcall),
            _ => None,
        }
    }
}

/// What a token is for. A token is only ever accepted where its kind is asked for: a login
/// token opens no join link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JoinTokenKind {
    /// Endpoint 7's secure link: bound to a user, a few uses, minutes long.
    Secure,
    /// Endpoint 21's login-free link: bound to a user (`wuid`), one use.
    NoSecret,
    /// Endpoint 22's client login: bound to a user, no meeting, one use.
    Login,
    /// A join page's pass to its live socket. Opening the page took a use of a secure or
    /// login-free link; the socket (and its reconnects) then shows this instead of the spent
    /// token. Bound to the same booking, role and user.
    Page,
}

impl JoinTokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JoinTokenKind::Secure => "secure",
            JoinTokenKind::NoSecret => "nosecret",
            JoinTokenKind::Login => "login",
            JoinTokenKind::Page => "page",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "secure" => Some(JoinTokenKind::Secure),
            "nosecret" => Some(JoinTokenKind::NoSecret),
            "login" => Some(JoinTokenKind::Login),
            "page" => Some(JoinTokenKind::Page),
            _ => None,
        }
    }
}

/// A stored token, as the store answers it (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinToken {
    pub kind: JoinTokenKind,
    pub customer: CustomerKey,
    /// The booking whose links it opens; `None` for a login token.
    pub event_id: Option<EventId>,
    pub user_id: Option<UserId>,
    /// The side of the booking it opens; `Attendee` for a login token.
    pub role: LinkRole,
    /// Unix seconds; the token is refused from this instant on.
    pub expires_at: i64,
    pub uses_left: i64,
    /// The name the person joins with.
    pub name: String,
}

impl JoinToken {
    pub fn is_expired(&self, now: i64) -> bool {
        now >= self.expires_at
    }
}

/// A token to store: its hash and what it grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJoinToken {
    /// SHA-256 of the token, hex ([`KeyHash::as_str`]).
    pub token_hash: String,
    pub kind: JoinTokenKind,
    pub customer: CustomerKey,
    pub event_id: Option<EventId>,
    pub user_id: Option<UserId>,
    pub role: LinkRole,
    pub name: String,
    pub expires_at: i64,
    /// How many times it may be used (at least 1).
    pub uses: i64,
    pub created_at: i64,
}

/// A freshly generated token. Deliberately not `Debug`/`Display`: it is revealed once, in the
/// answer that hands it out.
pub struct TokenSecret {
    plain: String,
}

impl TokenSecret {
    pub fn generate() -> Self {
        let mut b = [0u8; 16];
        rand::rng().fill(&mut b);
        // RFC 9562 version 4 and variant bits, so it reads as any UUID v4 does.
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h = hex::encode(b);
        Self {
            plain: format!(
                "{}-{}-{}-{}-{}",
                &h[..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..]
            ),
        }
    }

    /// The token to hand out, once.
    pub fn reveal(&self) -> &str {
        &self.plain
    }

    pub fn hash(&self) -> KeyHash {
        KeyHash::of(&self.plain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_look_like_uuid_v4_and_are_unique() {
        let a = TokenSecret::generate();
        let b = TokenSecret::generate();
        assert_ne!(a.reveal(), b.reveal());
        let t = a.reveal();
        assert_eq!(t.len(), 36);
        let groups: Vec<usize> = t.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert_eq!(&t[14..15], "4");
        assert!("89ab".contains(&t[19..20]), "{t}");
        assert!(t.bytes().all(|c| c == b'-' || c.is_ascii_hexdigit()));
        assert!(a.hash().matches(&KeyHash::of(t)));
        assert!(!a.hash().matches(&b.hash()));
    }

    #[test]
    fn roles_and_kinds_round_trip_their_stored_names() {
        for r in [LinkRole::Host, LinkRole::Attendee, LinkRole::Wcall] {
            assert_eq!(LinkRole::parse(r.as_str()), Some(r));
        }
        for k in [
            JoinTokenKind::Secure,
            JoinTokenKind::NoSecret,
            JoinTokenKind::Login,
        ] {
            assert_eq!(JoinTokenKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(LinkRole::parse("Host"), None);
    }
}
