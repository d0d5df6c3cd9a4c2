//! Customers (tenants), their users and their credentials.

use crate::ids::UserId;
use crate::time::Zone;
use serde::{Deserialize, Serialize};

/// Storage key of a customer; never shown on the wire (the wire uses `customerCode`).
pub type CustomerKey = i64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub key: CustomerKey,
    pub code: String,
    pub name: String,
    /// The zone in which this customer's local times are read and written, parsed once when
    /// the customer is read.
    #[serde(rename = "timezone")]
    pub zone: Zone,
    /// How many hours before the start joining opens.
    pub advance_hours: i64,
    /// The host gets a letter too when a change is told by email (on unless the operator
    /// turned it off).
    #[serde(default = "yes")]
    pub host_mail: bool,
    /// Invitations are in English unless a request names a language; else zh-CN.
    #[serde(default)]
    pub english: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub user_id: UserId,
    pub customer: CustomerKey,
    pub email: String,
    pub name: String,
    pub mobile: String,
    pub admin: bool,
}

impl User {
    /// The user as people see them: the name, or the email when the account has no name.
    pub fn display_name(&self) -> String {
        if self.name.trim().is_empty() {
            self.email.clone()
        } else {
            self.name.clone()
        }
    }
}

/// What a presented credential resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub customer: Customer,
    pub admin: bool,
}

pub const DEFAULT_TIMEZONE: &str = "Asia/Shanghai";
pub const DEFAULT_ADVANCE_HOURS: i64 = 1;
