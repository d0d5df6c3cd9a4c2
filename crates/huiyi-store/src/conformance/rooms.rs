//! Rooms in use: every write of a booking keeps its room holds in step, a hold never overlaps
//! another booking's, and the lookups a booking checks against stay within their customer.

use super::*;
use crate::{ImportRoom, StoreError};
use huiyi_domain::RoomChoice;
use huiyi_domain::rooms::approval;

const ROOM: i64 = 10935;

async fn with_room(store: &SharedStore) -> (Customer, Customer) {
    let (acme, globex) = tenants(store).await;
    let room = |room_id, code: &str| ImportRoom {
        room_id,
        customer_code: code.into(),
        name: format!("Room {room_id}"),
        city: String::new(),
        location: String::new(),
        floor: 1,
        capacity: 4,
        needs_approval: false,
        equipment: Vec::new(),
    };
    let data = ImportData {
        rooms: vec![room(ROOM, "ACME"), room(20001, "GLOBEX")],
        ..Default::default()
    };
    store.import(&data, IMPORTED_AT).await.unwrap();
    (acme, globex)
}

fn in_room(acme: &Customer, start: i64, minutes: i64) -> NewBooking {
    let mut b = new_booking(acme, ALICE, start, minutes, PasswordType::Dynamic);
    b.details.settings.rooms = Some(vec![RoomChoice {
        room_id: ROOM,
        is_main_room: 1,
        ..RoomChoice::default()
    }]);
    b
}

fn taken_by(e: StoreError) -> String {
    match e {
        StoreError::RoomTaken {
            room_id,
            conference_id,
            ..
        } => {
            assert_eq!(room_id, ROOM);
            conference_id
        }
        other => panic!("expected RoomTaken, got {other:?}"),
    }
}

pub async fn a_room_is_held_once_and_freed_by_a_cancel(store: SharedStore) {
    let (acme, globex) = with_room(&store).await;
    let first = store.create_booking(&in_room(&acme, T0, 60)).await.unwrap();
    // Overlapping: refused, naming the other booking, and nothing stored.
    let err = store
        .create_booking(&in_room(&acme, T0 + 1800, 60))
        .await
        .unwrap_err();
    assert_eq!(taken_by(err), first.conference_id.as_str());
    let window = crate::Window {
        from: T0 - 86_400,
        to: T0 + 86_400,
    };
    assert_eq!(
        store
            .customer_bookings(acme.key, window, None, 100)
            .await
            .unwrap()
            .len(),
        1
    );
    // Back to back is free.
    let next = store
        .create_booking(&in_room(&acme, T0 + 3600, 30))
        .await
        .unwrap();
    let held = store.room_holds(ROOM, T0 - 3600, T0 + 7200).await.unwrap();
    let spans: Vec<(i64, i64, i64)> = held
        .iter()
        .map(|h| (h.booking.event_id, h.hold.start, h.hold.end))
        .collect();
    assert_eq!(
        spans,
        vec![
            (first.event_id, T0, T0 + 3600),
            (next.event_id, T0 + 3600, T0 + 5400)
        ]
    );
    // Moving the second onto the first is refused and leaves it as it was.
    let mut moved = next.clone();
    moved.start = T0 + 600;
    let err = store.update_booking(&moved, T0 - 60).await.unwrap_err();
    assert_eq!(taken_by(err), first.conference_id.as_str());
    let kept = store
        .booking_by_event(acme.key, next.event_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((kept.start, kept.version), (next.start, next.version));
    // A cancel frees the room; then the move goes through.
    store.cancel_booking(&first, T0 - 60).await.unwrap();
    let saved = store.update_booking(&moved, T0 - 60).await.unwrap();
    let held = store.room_holds(ROOM, T0 - 3600, T0 + 7200).await.unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(
        (held[0].booking.event_id, held[0].hold.start),
        (saved.event_id, T0 + 600)
    );
    // A refused room holds nothing.
    let mut refused = saved.clone();
    if let Some(rooms) = refused.details.settings.rooms.as_mut() {
        rooms[0].approval = approval::REJECTED;
    }
    store.update_booking(&refused, T0 - 60).await.unwrap();
    assert!(
        store
            .room_holds(ROOM, T0 - 3600, T0 + 7200)
            .await
            .unwrap()
            .is_empty()
    );
    // The registry lookups stay within their customer.
    let ids = [ROOM, 20001, 424242];
    let mine: Vec<i64> = store
        .rooms_by_id(acme.key, &ids)
        .await
        .unwrap()
        .iter()
        .map(|r| r.room_id)
        .collect();
    assert_eq!(mine, vec![ROOM]);
    let theirs: Vec<i64> = store
        .rooms_by_id(globex.key, &ids)
        .await
        .unwrap()
        .iter()
        .map(|r| r.room_id)
        .collect();
    assert_eq!(theirs, vec![20001]);
    // A billing code is found in its own customer only.
    let code = saved.billing_code.to_string();
    assert!(
        store
            .booking_by_billing_code(acme.key, &code)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .booking_by_billing_code(globex.key, &code)
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn concurrent_bookings_of_a_room_hold_it_once(store: SharedStore) {
    let (acme, _) = with_room(&store).await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = store.clone();
        let b = in_room(&acme, T0 + (i % 4) * 300, 60);
        tasks.push(tokio::spawn(async move { store.create_booking(&b).await }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => {
                taken_by(e);
            }
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(
        store
            .room_holds(ROOM, T0 - 3600, T0 + 7200)
            .await
            .unwrap()
            .len(),
        1
    );
}

pub async fn panel_keys_are_kept_as_hashes_per_room(store: SharedStore) {
    with_room(&store).await;
    let (room, key) = store.panel_room(ROOM).await.unwrap().unwrap();
    assert_eq!((room.room_id, key), (ROOM, None));
    store.set_panel_key(ROOM, "ab12").await.unwrap();
    assert_eq!(
        store.panel_room(ROOM).await.unwrap().unwrap().1.as_deref(),
        Some("ab12")
    );
    assert!(matches!(
        store.set_panel_key(424242, "x").await,
        Err(StoreError::NotFound)
    ));
    assert!(store.panel_room(424242).await.unwrap().is_none());
}
