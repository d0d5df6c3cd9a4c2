//! Use-cases, one method per thing a client can ask for. Routes call exactly one of these.

mod bookings;
mod joining;
mod live;
pub mod live_socket;
mod series;
mod sessions;
mod tenants;

pub use bookings::{Bookings, Target, customer_zone as bookings_zone, display_name};
pub use joining::{Joining, LinkError, OpenedLink};
pub use live::{LiveFact, LiveHub, MeetingKey};
pub use series::{current_view, occurrence_views};
pub use sessions::Sessions;
pub use tenants::{Credentials, demo_tenant, import_file};
