//! Use-cases, one method per thing a client can ask for. Routes call exactly one of these.

pub mod after;
mod bookings;
mod hot;
pub mod invitations;
mod joining;
mod live;
pub mod live_socket;
mod lookups;
mod meetings;
pub mod report_files;
mod rooms;
mod series;
mod sessions;
mod tenants;

pub use after::{After, Held, LinkKind, LinkRefusal};
pub use bookings::{Bookings, Notify};
pub use hot::HOT_TTL;
pub use huiyi_wire::requests::Target;
pub use joining::{Joining, LinkError, LinkUse, OpenedLink};
pub use live::{LiveFact, LiveHub, MeetingKey};
pub use lookups::{AdminListing, HostListing};
pub use meetings::{MeetingNow, Meetings};
pub use rooms::Rooms;
pub use series::occurrence_views;
pub use sessions::Sessions;
pub use tenants::{Credentials, demo_tenant, import_file};
