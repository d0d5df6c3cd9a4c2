//! Tenants: resolving credentials, importing the operator's file, the demo tenant.

use crate::error::{ApiError, ApiResult};
use huiyi_domain::Credential;
use huiyi_domain::secrets::{KeyHash, NewApiKey};
use huiyi_store::{
    ImportCredential, ImportCustomer, ImportData, ImportSummary, ImportUser, Store, StoreError,
};
use huiyi_wire::Code;
use mini_moka::sync::Cache;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// How long a resolved key is trusted without asking the database again. Every request
/// presents a key, so this saves a read per request; the price is that a change to a
/// customer (its time zone, say) reaches requests up to this late.
const CREDENTIAL_TTL: Duration = Duration::from_secs(30);

/// Resolves presented keys. Only hashes are ever looked up, stored or cached; keys that do not
/// resolve are never cached, so a wrong key always costs a lookup and a new key works at once.
#[derive(Clone)]
pub struct Credentials {
    cache: Cache<String, Credential>,
}

impl Default for Credentials {
    fn default() -> Self {
        Self {
            cache: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(CREDENTIAL_TTL)
                .build(),
        }
    }
}

impl Credentials {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn resolve(&self, store: &Arc<dyn Store>, hash: &KeyHash) -> ApiResult<Credential> {
        let key = hash.as_str().to_owned();
        if let Some(found) = self.cache.get(&key) {
            return Ok(found);
        }
        let found = store.credential(hash.as_str()).await?.ok_or_else(|| {
            ApiError::new(
                Code::AuthFailed,
                "the API key is not valid; check the token you send (keys are shown once, when created)",
            )
        })?;
        self.cache.insert(key, found.clone());
        Ok(found)
    }
}

/// Reads and imports an operator's file in one transaction. Errors name the offending entry.
pub async fn import_file(store: &dyn Store, path: &Path) -> anyhow::Result<ImportSummary> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let data: ImportData = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{} is not a valid import file: {e}", path.display()))?;
    data.validate()
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let now = huiyi_domain::time::now_unix();
    store.import(&data, now).await.map_err(|e| match e {
        StoreError::Invalid(m) => anyhow::anyhow!("{}: {m}", path.display()),
        other => anyhow::anyhow!(other),
    })
}

pub const DEMO_CUSTOMER: &str = "DEMO";
pub const DEMO_HOST: i64 = 10001;
pub const DEMO_ADMIN: i64 = 10002;

/// The demo tenant: a customer, a host, an admin and a fresh app key (returned in plain text,
/// to print once).
pub fn demo_tenant() -> (ImportData, NewApiKey) {
    let key = NewApiKey::generate();
    let data = ImportData {
        customers: vec![ImportCustomer {
            customer_code: DEMO_CUSTOMER.into(),
            name: "Demo Company".into(),
            timezone: huiyi_domain::DEFAULT_TIMEZONE.into(),
            advance_hours: huiyi_domain::DEFAULT_ADVANCE_HOURS,
            host_mail: true,
            mail_language: "zh-CN".into(),
        }],
        users: vec![
            ImportUser {
                user_id: DEMO_HOST,
                customer_code: DEMO_CUSTOMER.into(),
                email: "host@demo.huiyi.local".into(),
                name: "演示主持人".into(),
                mobile: String::new(),
                admin: false,
            },
            ImportUser {
                user_id: DEMO_ADMIN,
                customer_code: DEMO_CUSTOMER.into(),
                email: "admin@demo.huiyi.local".into(),
                name: "Demo Admin".into(),
                mobile: String::new(),
                admin: true,
            },
        ],
        credentials: vec![ImportCredential {
            customer_code: DEMO_CUSTOMER.into(),
            key: key.reveal().to_owned(),
            admin: false,
        }],
        ..Default::default()
    };
    (data, key)
}
