//! After the meeting: recordings written with their facts and listed by host and date,
//! deletion by the host only, resumable uploads counted chunk by chunk, the fact stamp, and one
//! link key for every caller.

use super::sessions::{batch, booked, ended, fact, joined};
use super::*;
use crate::{NewUpload, UploadState};
use huiyi_domain::Fact;
use huiyi_domain::session::Recording;

fn produced(location: &str) -> Fact {
    Fact::RecordingProduced {
        recording: Recording {
            location: location.into(),
            size_bytes: 10,
            duration_secs: 5,
            format: "mp4".into(),
        },
    }
}

pub async fn recordings_are_kept_with_their_session_and_deleted_by_the_host(store: SharedStore) {
    let b = booked(&store).await;
    let (acme, globex) = tenants(&store).await;
    let t = T0 * 1000;
    store
        .record_facts(batch(vec![
            fact(&b, "r1", t, true, joined("p1")),
            fact(&b, "r2", t + 60_000, true, ended()),
            fact(
                &b,
                "r3",
                t + 90_000,
                true,
                produced("huiyi:recordings/x.mp4"),
            ),
        ]))
        .await
        .unwrap();
    let alice = UserId::new(ALICE).unwrap();
    let listed = store
        .ended_sessions(acme.key, &[alice], t - 1, t + 1)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let held = &listed[0];
    assert_eq!(held.booking.event_id, b.event_id);
    assert_eq!(
        held.recording().unwrap().recording.location,
        "huiyi:recordings/x.mp4"
    );
    assert_eq!(held.recording().unwrap().produced_ms, t + 90_000);
    // Outside the window, for another host, or for another customer: nothing.
    assert!(
        store
            .ended_sessions(acme.key, &[alice], t + 1, t + 2)
            .await
            .unwrap()
            .is_empty()
    );
    let other = UserId::new(ALICE + 1).unwrap();
    assert!(
        store
            .ended_sessions(acme.key, &[other], t - 1, t + 1)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .ended_sessions(globex.key, &[alice], t - 1, t + 1)
            .await
            .unwrap()
            .is_empty()
    );
    let temp = held.session.temp_conference_id.to_string();
    assert!(
        store
            .held_session(Some(globex.key), &temp)
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.held_session(None, &temp).await.unwrap().is_some());
    let latest = store
        .latest_ended_session(acme.key, b.event_id)
        .await
        .unwrap();
    assert_eq!(latest.unwrap().session.id, held.session.id);

    // Only the host's own sessions are deleted, once.
    let ids = vec![temp.clone()];
    assert!(
        store
            .delete_recordings(globex.key, alice, &ids, t)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .delete_recordings(acme.key, other, &ids, t)
            .await
            .unwrap()
            .is_empty()
    );
    let gone = store
        .delete_recordings(acme.key, alice, &ids, t)
        .await
        .unwrap();
    assert_eq!(gone.len(), 1);
    assert!(
        store
            .delete_recordings(acme.key, alice, &ids, t)
            .await
            .unwrap()
            .is_empty()
    );
    let after = store
        .held_session(Some(acme.key), &temp)
        .await
        .unwrap()
        .unwrap();
    assert!(after.recording().is_none(), "deleted: none to list");
    assert_eq!(after.recordings[0].deleted_ms, Some(t));
}

pub async fn uploads_count_chunks_only_at_their_offset(store: SharedStore) {
    let b = booked(&store).await;
    let t = T0 * 1000;
    let outcome = store
        .record_facts(batch(vec![fact(&b, "u1", t, true, joined("p1"))]))
        .await
        .unwrap();
    let s = &outcome.sessions[0];
    let new = NewUpload {
        upload_id: "up-1".into(),
        customer: b.customer,
        session_id: s.id,
        temp_conference_id: s.temp_conference_id.to_string(),
        total_bytes: 10,
        format: "mp4".into(),
        duration_secs: 5,
        now_ms: t,
    };
    let u = store.begin_upload(&new).await.unwrap();
    assert_eq!((u.received_bytes, u.state), (0, UploadState::Receiving));
    let again = store
        .begin_upload(&NewUpload {
            total_bytes: 99,
            ..new.clone()
        })
        .await
        .unwrap();
    assert_eq!(
        again.total_bytes, 10,
        "an existing upload is answered as it is"
    );
    assert!(
        store.add_chunk("up-1", 4, 4, t).await.unwrap().is_none(),
        "not at 0"
    );
    let u = store.add_chunk("up-1", 0, 4, t + 1).await.unwrap().unwrap();
    assert_eq!((u.received_bytes, u.chunks.clone()), (4, vec![0]));
    assert!(
        store
            .add_chunk("up-1", 0, 4, t + 2)
            .await
            .unwrap()
            .is_none(),
        "a repeat"
    );
    assert!(
        store
            .add_chunk("up-1", 4, 7, t + 2)
            .await
            .unwrap()
            .is_none(),
        "past the end"
    );
    let u = store.add_chunk("up-1", 4, 6, t + 3).await.unwrap().unwrap();
    assert!(u.is_complete());
    assert_eq!(u.chunks, vec![0, 4]);
    assert_eq!(store.idle_uploads(t + 3, 10).await.unwrap().len(), 1);
    assert!(
        store.idle_uploads(t + 2, 10).await.unwrap().is_empty(),
        "touched since"
    );
    let temp = s.temp_conference_id.to_string();
    let held = store.held_session(None, &temp).await.unwrap().unwrap();
    assert!(held.uploading, "an upload is arriving for the session");
    assert!(
        store
            .settle_upload("up-1", UploadState::Done, t + 4)
            .await
            .unwrap()
    );
    let held = store.held_session(None, &temp).await.unwrap().unwrap();
    assert!(!held.uploading);
    assert!(
        !store
            .settle_upload("up-1", UploadState::Failed, t + 5)
            .await
            .unwrap()
    );
    assert!(
        store
            .add_chunk("up-1", 10, 0, t + 6)
            .await
            .unwrap()
            .is_none(),
        "done"
    );
    assert!(store.idle_uploads(t + 9, 10).await.unwrap().is_empty());
    assert!(store.upload("nope").await.unwrap().is_none());
}

pub async fn the_fact_stamp_moves_with_every_fact_and_the_link_key_is_made_once(
    store: SharedStore,
) {
    let b = booked(&store).await;
    let t = T0 * 1000;
    let outcome = store
        .record_facts(batch(vec![fact(&b, "s1", t, true, joined("p1"))]))
        .await
        .unwrap();
    let id = outcome.sessions[0].id;
    let before = store.fact_stamp(id).await.unwrap();
    assert_eq!(before.0, 1);
    store
        .record_facts(batch(vec![fact(&b, "s2", t + 1, true, joined("p2"))]))
        .await
        .unwrap();
    let after = store.fact_stamp(id).await.unwrap();
    assert_eq!(after.0, 2);
    assert!(after.1 > before.1);
    let first = store.link_key(b"first-key").await.unwrap();
    assert_eq!(first, b"first-key");
    assert_eq!(store.link_key(b"second-key").await.unwrap(), b"first-key");
}
