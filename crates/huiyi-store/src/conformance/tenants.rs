//! Import, credentials and users.

use super::*;
use crate::{ImportSummary, StoreError};
use huiyi_domain::secrets::KeyHash;

pub async fn import_upserts_and_is_idempotent(store: SharedStore) {
    assert_eq!(store.customer_count().await.unwrap(), 0);
    let summary = store.import(&fixture(), IMPORTED_AT).await.unwrap();
    assert_eq!(
        summary,
        ImportSummary {
            customers: 2,
            users: 3,
            credentials: 3,
            ..ImportSummary::default()
        }
    );
    assert_eq!(store.customer_count().await.unwrap(), 2);
    let acme = store.customer_by_code("ACME").await.unwrap().unwrap();
    assert_eq!(
        (acme.name.as_str(), acme.zone.name(), acme.advance_hours),
        ("Acme Corp", "Asia/Shanghai", 1)
    );
    assert!(
        store.customer_by_code("acme").await.unwrap().is_none(),
        "codes are exact"
    );
    assert!(store.customer_by_code("NOPE").await.unwrap().is_none());

    // The same file again changes nothing.
    assert_eq!(
        store.import(&fixture(), IMPORTED_AT).await.unwrap(),
        summary
    );
    assert_eq!(store.customer_count().await.unwrap(), 2);
    assert_eq!(store.customer_by_code("ACME").await.unwrap().unwrap(), acme);

    // A changed file updates in place, keeping keys.
    let mut changed = fixture();
    changed.customers[0].name = "Acme Corporation".into();
    changed.customers[0].advance_hours = 3;
    changed.users[0].email = "alice@new.example".into();
    changed.users[0].admin = false;
    changed.credentials[0].admin = true;
    store.import(&changed, IMPORTED_AT).await.unwrap();
    assert_eq!(store.customer_count().await.unwrap(), 2);
    let updated = store.customer_by_code("ACME").await.unwrap().unwrap();
    assert_eq!(updated.key, acme.key);
    assert_eq!(
        (updated.name.as_str(), updated.advance_hours),
        ("Acme Corporation", 3)
    );
    let alice = store.user(acme.key, uid(ALICE)).await.unwrap().unwrap();
    assert_eq!(
        (alice.email.as_str(), alice.admin),
        ("alice@new.example", false)
    );
    let app = store
        .credential(KeyHash::of(ACME_APP_KEY).as_str())
        .await
        .unwrap()
        .unwrap();
    assert!(app.admin);
}

pub async fn import_with_a_bad_entry_changes_nothing(store: SharedStore) {
    let (acme, globex) = tenants(&store).await;

    let mut bad = ImportData {
        customers: vec![ImportCustomer {
            customer_code: "INITECH".into(),
            name: "Initech".into(),
            timezone: "America/Chicago".into(),
            advance_hours: 1,
            host_mail: true,
            mail_language: "zh-CN".into(),
        }],
        users: fixture().users,
        ..Default::default()
    };
    bad.customers.push(bad.customers[0].clone());
    bad.customers[1].customer_code = "HOOLI".into();
    bad.users[0].name = "Alice Renamed".into();
    bad.users.push(ImportUser {
        user_id: 3002,
        customer_code: "NOPE".into(),
        email: "x@nope.example".into(),
        name: "X".into(),
        mobile: String::new(),
        admin: false,
    });
    match store.import(&bad, IMPORTED_AT).await {
        Err(StoreError::Invalid(msg)) => {
            assert_eq!(
                msg,
                r#"users[3] (3002): customerCode "NOPE" does not exist"#
            )
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(
        store.customer_count().await.unwrap(),
        2,
        "no customer was added"
    );
    assert!(store.customer_by_code("INITECH").await.unwrap().is_none());
    let alice = store.user(acme.key, uid(ALICE)).await.unwrap().unwrap();
    assert_eq!(
        alice.name, "Alice",
        "earlier entries of the file were rolled back"
    );

    let unknown_credential = ImportData {
        credentials: vec![ImportCredential {
            customer_code: "NOPE".into(),
            key: "some-long-enough-key-000".into(),
            admin: false,
        }],
        ..Default::default()
    };
    match store.import(&unknown_credential, IMPORTED_AT).await {
        Err(StoreError::Invalid(msg)) => assert!(
            msg.starts_with("credentials[0]") && msg.contains("\"NOPE\""),
            "{msg}"
        ),
        other => panic!("expected Invalid, got {other:?}"),
    }

    // A userId of another customer cannot be moved by naming it under this one.
    let mut moved = fixture();
    moved.users = vec![ImportUser {
        customer_code: "ACME".into(),
        ..fixture().users[2].clone()
    }];
    match store.import(&moved, IMPORTED_AT).await {
        Err(StoreError::Invalid(msg)) => {
            assert!(msg.starts_with(&format!("users[0] ({CAROL})")), "{msg}")
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert!(store.user(globex.key, uid(CAROL)).await.unwrap().is_some());
    assert!(store.user(acme.key, uid(CAROL)).await.unwrap().is_none());

    // What validate() refuses never reaches the database.
    let mut empty_code = fixture();
    empty_code.customers[0].customer_code = " ".into();
    assert!(matches!(
        store.import(&empty_code, IMPORTED_AT).await,
        Err(StoreError::Invalid(_))
    ));

    // Entries may name customers that exist only in the database.
    let later = ImportData {
        users: vec![ImportUser {
            user_id: 2002,
            customer_code: "GLOBEX".into(),
            email: "dave@globex.example".into(),
            name: "Dave".into(),
            mobile: String::new(),
            admin: false,
        }],
        ..Default::default()
    };
    store.import(&later, IMPORTED_AT).await.unwrap();
    assert!(store.user(globex.key, uid(2002)).await.unwrap().is_some());
}

pub async fn credentials_are_found_by_hash(store: SharedStore) {
    let (acme, globex) = tenants(&store).await;
    let app = store
        .credential(KeyHash::of(ACME_APP_KEY).as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(app.customer, acme);
    assert!(!app.admin);
    let admin = store
        .credential(KeyHash::of(ACME_ADMIN_KEY).as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(admin.customer, acme);
    assert!(admin.admin);
    let other = store
        .credential(KeyHash::of(GLOBEX_APP_KEY).as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(other.customer, globex);
    assert!(
        store
            .credential(KeyHash::of("not-a-key-at-all-000").as_str())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store.credential(ACME_APP_KEY).await.unwrap().is_none(),
        "the plain key is not a hash"
    );

    let fresh = KeyHash::of("globex-admin-key-0123456789");
    store
        .add_credential("GLOBEX", fresh.as_str(), true, IMPORTED_AT)
        .await
        .unwrap();
    let added = store.credential(fresh.as_str()).await.unwrap().unwrap();
    assert_eq!((added.customer.key, added.admin), (globex.key, true));
    assert!(matches!(
        store
            .add_credential(
                "NOPE",
                KeyHash::of("another-key-0123456789").as_str(),
                false,
                IMPORTED_AT
            )
            .await,
        Err(StoreError::Invalid(_))
    ));
}

pub async fn users_are_found_within_their_customer_only(store: SharedStore) {
    let (acme, globex) = tenants(&store).await;
    let alice = store.user(acme.key, uid(ALICE)).await.unwrap().unwrap();
    assert_eq!(
        (
            alice.customer,
            alice.email.as_str(),
            alice.name.as_str(),
            alice.admin
        ),
        (acme.key, "alice@acme.example", "Alice", true)
    );
    assert!(store.user(globex.key, uid(ALICE)).await.unwrap().is_none());
    assert!(store.user(acme.key, uid(9999)).await.unwrap().is_none());

    let by_email = store
        .user_by_email(acme.key, "ALICE@Acme.Example")
        .await
        .unwrap();
    assert_eq!(by_email, Some(alice));
    assert!(
        store
            .user_by_email(globex.key, "alice@acme.example")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .user_by_email(globex.key, " carol@globex.example ")
            .await
            .unwrap()
            .map(|u| u.user_id),
        Some(uid(CAROL))
    );
    assert!(store.user_by_email(acme.key, "").await.unwrap().is_none());
}
