//! The registry: rooms with equipment, boxes and dial-in numbers imported all or nothing, each
//! staying with its customer, and listed per customer.

use super::*;
use crate::{ImportAccessNumber, ImportBox, ImportEquipment, ImportRoom, StoreError};

fn room(room_id: i64, code: &str, equipment: &[(i64, &str)]) -> ImportRoom {
    ImportRoom {
        room_id,
        customer_code: code.into(),
        name: format!("房间 {room_id}"),
        city: "西安".into(),
        location: "锦业路".into(),
        floor: 14,
        capacity: 12,
        needs_approval: room_id % 2 == 0,
        equipment: equipment
            .iter()
            .map(|(id, name)| ImportEquipment {
                equip_id: *id,
                name: (*name).into(),
            })
            .collect(),
    }
}

fn number(access_id: &str, code: Option<&str>) -> ImportAccessNumber {
    ImportAccessNumber {
        access_id: access_id.into(),
        number: "01058858950".into(),
        kind: "1".into(),
        platform: "summit2".into(),
        customer_code: code.map(str::to_owned),
        display: "+86(10)5885-8950".into(),
    }
}

pub async fn the_registry_imports_with_its_customer_all_or_nothing(store: SharedStore) {
    let (acme, globex) = tenants(&store).await;
    let data = ImportData {
        rooms: vec![
            room(10935, "ACME", &[(58933, "投影仪"), (58934, "白板")]),
            room(10936, "ACME", &[]),
            room(20001, "GLOBEX", &[(60001, "Screen")]),
        ],
        boxes: vec![ImportBox {
            box_id: "GN3399BOX0001856".into(),
            customer_code: "ACME".into(),
            name: "会议盒子".into(),
            room_id: Some(10935),
            address: "sip:1856@box.example".into(),
        }],
        access_numbers: vec![number("7135", None), number("7136", Some("ACME"))],
        ..Default::default()
    };
    let summary = store.import(&data, IMPORTED_AT).await.unwrap();
    assert_eq!(
        (summary.rooms, summary.boxes, summary.access_numbers),
        (3, 1, 2)
    );
    let rooms = store.rooms(acme.key).await.unwrap();
    assert_eq!(rooms.len(), 2, "{rooms:?}");
    assert_eq!(rooms[0].room_id, 10935);
    assert_eq!(rooms[0].name, "房间 10935");
    let equipment: Vec<i64> = rooms[0].equipment.iter().map(|e| e.equip_id).collect();
    assert_eq!(equipment, vec![58933, 58934]);
    assert!(rooms[1].needs_approval && !rooms[0].needs_approval);
    assert_eq!(store.rooms(globex.key).await.unwrap().len(), 1);
    let boxes = store.boxes(acme.key).await.unwrap();
    assert_eq!(boxes.len(), 1);
    assert_eq!(boxes[0].room_id, Some(10935));
    assert!(store.boxes(globex.key).await.unwrap().is_empty());
    let ids = |ns: Vec<huiyi_domain::rooms::DialInNumber>| {
        ns.into_iter().map(|n| n.access_id).collect::<Vec<_>>()
    };
    assert_eq!(
        ids(store.dial_in_numbers(acme.key).await.unwrap()),
        vec!["7136", "7135"],
        "its own first, then the shared ones"
    );
    assert_eq!(
        ids(store.dial_in_numbers(globex.key).await.unwrap()),
        vec!["7135"]
    );
    // The same file again changes nothing.
    store.import(&data, IMPORTED_AT).await.unwrap();
    assert_eq!(store.rooms(acme.key).await.unwrap(), rooms);

    // Another customer cannot take a room, a room's equipment, or a box, nor put a box in
    // another customer's room; each refusal names the entry, and nothing of the file is kept.
    let refused = [
        ImportData {
            rooms: vec![room(10935, "GLOBEX", &[])],
            ..Default::default()
        },
        ImportData {
            rooms: vec![room(20002, "GLOBEX", &[(58933, "投影仪")])],
            ..Default::default()
        },
        ImportData {
            rooms: vec![room(20003, "GLOBEX", &[])],
            boxes: vec![ImportBox {
                box_id: "GLOBEXBOX".into(),
                customer_code: "GLOBEX".into(),
                name: String::new(),
                room_id: Some(10936),
                address: String::new(),
            }],
            ..Default::default()
        },
        ImportData {
            boxes: vec![ImportBox {
                box_id: "GN3399BOX0001856".into(),
                customer_code: "GLOBEX".into(),
                name: String::new(),
                room_id: None,
                address: String::new(),
            }],
            ..Default::default()
        },
        ImportData {
            access_numbers: vec![number("7137", Some("NOPE"))],
            ..Default::default()
        },
    ];
    for data in refused {
        match store.import(&data, IMPORTED_AT).await {
            Err(StoreError::Invalid(msg)) => assert!(
                msg.contains("rooms[") || msg.contains("boxes[") || msg.contains("accessNumbers["),
                "{msg}"
            ),
            other => panic!("{data:?} was not refused: {other:?}"),
        }
    }
    assert_eq!(
        store.rooms(globex.key).await.unwrap().len(),
        1,
        "20002, 20003 not kept"
    );
    assert_eq!(store.rooms(acme.key).await.unwrap(), rooms);
    assert_eq!(store.boxes(acme.key).await.unwrap(), boxes);
}
