//! The operator's import file (`huiyi admin import FILE.json`). Unknown keys are refused so a
//! typo cannot pass silently. Besides the tenants it holds the registry: rooms with their
//! equipment, hardware boxes, and dial-in numbers.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImportData {
    pub customers: Vec<ImportCustomer>,
    pub users: Vec<ImportUser>,
    pub credentials: Vec<ImportCredential>,
    pub rooms: Vec<ImportRoom>,
    pub boxes: Vec<ImportBox>,
    #[serde(rename = "accessNumbers")]
    pub access_numbers: Vec<ImportAccessNumber>,
}

/// A meeting room and its equipment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ImportRoom {
    pub room_id: i64,
    pub customer_code: String,
    pub name: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub floor: i64,
    #[serde(default)]
    pub capacity: i64,
    #[serde(default)]
    pub needs_approval: bool,
    #[serde(default)]
    pub equipment: Vec<ImportEquipment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ImportEquipment {
    pub equip_id: i64,
    pub name: String,
}

/// A hardware meeting box, in a room of its customer or in none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ImportBox {
    pub box_id: String,
    pub customer_code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub room_id: Option<i64>,
    #[serde(default)]
    pub address: String,
}

/// A dial-in number; `customerCode` null shares it with every customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ImportAccessNumber {
    pub access_id: String,
    pub number: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub platform: String,
    #[serde(default)]
    pub customer_code: Option<String>,
    #[serde(default)]
    pub display: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ImportCustomer {
    pub customer_code: String,
    pub name: String,
    #[serde(default = "default_timezone")]
    pub timezone: String,
    #[serde(default = "default_advance_hours")]
    pub advance_hours: i64,
    /// Hosts get their own invitation letters (default on).
    #[serde(default = "default_host_mail")]
    pub host_mail: bool,
    /// The language of invitations: `zh-CN` (default) or `en`.
    #[serde(default = "default_mail_language")]
    pub mail_language: String,
}

fn default_mail_language() -> String {
    "zh-CN".to_owned()
}

fn default_host_mail() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ImportUser {
    pub user_id: i64,
    pub customer_code: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub mobile: String,
    #[serde(default)]
    pub admin: bool,
}

/// A key given in plain text; only its hash is stored.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ImportCredential {
    pub customer_code: String,
    pub key: String,
    #[serde(default)]
    pub admin: bool,
}

impl std::fmt::Debug for ImportCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportCredential")
            .field("customer_code", &self.customer_code)
            .field("key", &"<redacted>")
            .field("admin", &self.admin)
            .finish()
    }
}

fn default_timezone() -> String {
    huiyi_domain::DEFAULT_TIMEZONE.to_owned()
}

fn default_advance_hours() -> i64 {
    huiyi_domain::DEFAULT_ADVANCE_HOURS
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub customers: u64,
    pub users: u64,
    pub credentials: u64,
    pub rooms: u64,
    pub boxes: u64,
    pub access_numbers: u64,
}

impl ImportData {
    /// Checks what can be checked without the database; the error names the offending entry.
    pub fn validate(&self) -> Result<(), String> {
        for (i, c) in self.customers.iter().enumerate() {
            if c.customer_code.trim().is_empty() {
                return Err(format!("customers[{i}]: customerCode must not be empty"));
            }
            if huiyi_domain::time::Zone::parse(&c.timezone).is_none() {
                return Err(format!(
                    "customers[{i}] ({}): timezone {:?} is not an IANA time zone such as Asia/Shanghai",
                    c.customer_code, c.timezone
                ));
            }
            if !(0..=48).contains(&c.advance_hours) {
                return Err(format!(
                    "customers[{i}] ({}): advanceHours must be between 0 and 48",
                    c.customer_code
                ));
            }
            if !matches!(c.mail_language.as_str(), "zh-CN" | "en") {
                return Err(format!(
                    "customers[{i}] ({}): mailLanguage must be \"zh-CN\" or \"en\", not {:?}",
                    c.customer_code, c.mail_language
                ));
            }
        }
        for (i, u) in self.users.iter().enumerate() {
            if u.user_id <= 0 {
                return Err(format!("users[{i}]: userId must be a positive integer"));
            }
            if u.email.is_empty() && u.name.is_empty() {
                return Err(format!(
                    "users[{i}] ({}): give at least an email or a name",
                    u.user_id
                ));
            }
        }
        for (i, c) in self.credentials.iter().enumerate() {
            if c.key.trim().len() < 16 {
                return Err(format!(
                    "credentials[{i}] ({}): key must be at least 16 characters",
                    c.customer_code
                ));
            }
        }
        let mut equipment = std::collections::HashSet::new();
        for (i, r) in self.rooms.iter().enumerate() {
            if r.room_id <= 0 {
                return Err(format!("rooms[{i}]: roomId must be a positive integer"));
            }
            if r.name.trim().is_empty() {
                return Err(format!(
                    "rooms[{i}] ({}): name must not be empty",
                    r.room_id
                ));
            }
            if r.capacity < 0 {
                return Err(format!(
                    "rooms[{i}] ({}): capacity must not be negative",
                    r.room_id
                ));
            }
            for (j, e) in r.equipment.iter().enumerate() {
                if e.equip_id <= 0 || !equipment.insert(e.equip_id) {
                    return Err(format!(
                        "rooms[{i}].equipment[{j}]: equipId {} must be a positive integer, \
                         and given once in the file",
                        e.equip_id
                    ));
                }
            }
        }
        for (i, b) in self.boxes.iter().enumerate() {
            if b.box_id.trim().is_empty() {
                return Err(format!("boxes[{i}]: boxId must not be empty"));
            }
        }
        for (i, n) in self.access_numbers.iter().enumerate() {
            if n.access_id.trim().is_empty() {
                return Err(format!("accessNumbers[{i}]: accessId must not be empty"));
            }
            let digits = n.number.trim_start_matches('+');
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "accessNumbers[{i}] ({}): number must be digits (an optional leading +), \
                     e.g. 01058858950",
                    n.access_id
                ));
            }
        }
        Ok(())
    }
}
