//! The domain of huiyi: bookings, tenants, ids and secrets, time and status.
//!
//! Nothing here does I/O. Values are built through `parse`/`generate` so that a value that
//! exists is valid; the lenient vendor formats are handled above, in `huiyi-wire`.

pub mod booking;
pub mod delivery;
pub mod ics;
pub mod ids;
pub mod joining;
pub mod phone_region;
pub mod recurrence;
pub mod report;
pub mod rooms;
pub mod secrets;
pub mod series;
pub mod session;
pub mod status;
pub mod tenant;
pub mod time;

pub use booking::*;
pub use ids::*;
pub use joining::{JoinToken, JoinTokenKind, LinkRole, NewJoinToken, TokenSecret};
pub use series::{Exception, HeldOccurrence, Occurrence, Series};
pub use session::{Fact, Placement, Presence, SessionIndex, SessionState};
pub use status::{Meeting, Status};
pub use tenant::*;
