use super::*;
use crate::UserId;

const M: i64 = 60_000;

fn person(id: &str, voice: Voice) -> Participant {
    Participant {
        id: id.into(),
        name: format!("name-{id}"),
        email: format!("{id}@example.com"),
        voice,
        address: "10.0.0.1".into(),
        ..Participant::default()
    }
}

fn joined(id: &str, voice: Voice) -> Fact {
    Fact::ParticipantJoined {
        participant: person(id, voice),
    }
}

fn left(id: &str) -> Fact {
    Fact::ParticipantLeft {
        participant_id: id.into(),
    }
}

fn report(facts: &[(i64, Fact)], closed: Option<i64>, invitees: &[Invitee]) -> Report {
    Report::compute(&ReportInput {
        title: "t",
        opened_ms: 0,
        closed_ms: closed,
        now_ms: 1_000 * M,
        invitees,
        facts,
    })
}

#[test]
fn segments_sum_and_the_end_closes_whoever_is_still_in() {
    let facts = vec![
        (0, joined("a", Voice::Network)),
        (10 * M, left("a")),
        (20 * M, joined("a", Voice::Network)),
        // A repeated join while in changes nothing about the time.
        (25 * M, joined("a", Voice::Network)),
        (30 * M, left("a")),
        (5 * M, joined("b", Voice::Network)),
        (
            40 * M,
            Fact::SessionEnded {
                reason: Default::default(),
            },
        ),
    ];
    let mut facts = facts;
    facts.sort_by_key(|f| f.0);
    let r = report(&facts, Some(40 * M), &[]);
    assert_eq!(r.total(), 2);
    let a = &r.attendees[0];
    assert_eq!(
        (a.joined_ms, a.left_ms, a.total_ms),
        (0, 30 * M, 20 * M),
        "two segments of 10 minutes"
    );
    let b = &r.attendees[1];
    assert_eq!(
        (b.joined_ms, b.left_ms, b.total_ms),
        (5 * M, 40 * M, 35 * M)
    );
    assert_eq!(b.voip_ms, 35 * M);
    assert_eq!(b.phone_ms, 0);
}

#[test]
fn voice_time_splits_at_each_switch() {
    let facts = vec![
        (0, joined("a", Voice::Network)),
        (
            4 * M,
            Fact::VoiceSwitched {
                participant_id: "a".into(),
                voice: Voice::Phone,
                address: "+8613800000000".into(),
            },
        ),
        (
            9 * M,
            Fact::VoiceSwitched {
                participant_id: "a".into(),
                voice: Voice::Network,
                address: String::new(),
            },
        ),
        (10 * M, left("a")),
    ];
    let r = report(&facts, Some(10 * M), &[]);
    let a = &r.attendees[0];
    assert_eq!((a.voip_ms, a.phone_ms), (5 * M, 5 * M));
    assert_eq!(a.access, Voice::Network, "the voice they joined with");
    assert_eq!(a.address, "10.0.0.1 +8613800000000");
}

#[test]
fn invitees_match_by_user_email_or_mobile() {
    let mut p = person("a", Voice::Network);
    p.user_id = Some(7);
    p.mobile = "138".into();
    let facts = vec![(0, Fact::ParticipantJoined { participant: p })];
    let invitees = vec![
        Invitee {
            user_id: UserId::new(7),
            ..Invitee::default()
        },
        Invitee {
            email: " A@Example.com ".into(),
            ..Invitee::default()
        },
        Invitee {
            mobile: "138".into(),
            ..Invitee::default()
        },
        Invitee {
            email: "nobody@example.com".into(),
            ..Invitee::default()
        },
        Invitee::default(),
    ];
    let r = report(&facts, Some(M), &invitees);
    let attended: Vec<_> = r.invitees.iter().map(|i| i.attended).collect();
    assert_eq!(attended, vec![Some(0), Some(0), Some(0), None, None]);
    assert_eq!(r.invited_attended(), 3);
}

#[test]
fn roll_calls_count_answers_from_their_start_once_per_person() {
    let facts = vec![
        (0, joined("a", Voice::Network)),
        (0, joined("b", Voice::Network)),
        (
            M,
            Fact::RollCallAnswered {
                roll_call_id: "r1".into(),
                participant_id: "b".into(),
                video: false,
            },
        ),
        (
            2 * M,
            Fact::RollCallStarted {
                roll_call_id: "r1".into(),
                video: false,
            },
        ),
        (
            3 * M,
            Fact::RollCallAnswered {
                roll_call_id: "r1".into(),
                participant_id: "a".into(),
                video: false,
            },
        ),
        (
            4 * M,
            Fact::RollCallAnswered {
                roll_call_id: "r1".into(),
                participant_id: "a".into(),
                video: false,
            },
        ),
        (
            5 * M,
            Fact::RollCallStarted {
                roll_call_id: "v1".into(),
                video: true,
            },
        ),
        (
            6 * M,
            Fact::RollCallAnswered {
                roll_call_id: "v1".into(),
                participant_id: "b".into(),
                video: true,
            },
        ),
        (
            7 * M,
            Fact::HandRaised {
                participant_id: "a".into(),
            },
        ),
        (
            8 * M,
            Fact::HandRaised {
                participant_id: "a".into(),
            },
        ),
    ];
    let r = report(&facts, Some(10 * M), &[]);
    assert_eq!(r.roll_calls.len(), 1);
    assert_eq!(
        r.roll_calls[0].answered,
        vec![(0, 3 * M)],
        "b answered before it started"
    );
    assert_eq!(r.video_roll_calls[0].answered, vec![(1, 6 * M)]);
    assert_eq!(r.hands.len(), 2, "listed per raise");
    assert_eq!(r.hands_people, 1, "counted per person");
}

#[test]
fn viewers_are_timed_like_people() {
    let viewer = Viewer {
        id: "v".into(),
        name: "viewer".into(),
        ..Viewer::default()
    };
    let facts = vec![
        (
            M,
            Fact::ViewerJoined {
                viewer: viewer.clone(),
            },
        ),
        (
            3 * M,
            Fact::ViewerLeft {
                viewer_id: "v".into(),
            },
        ),
        (5 * M, Fact::ViewerJoined { viewer }),
    ];
    let r = report(&facts, Some(6 * M), &[]);
    let v = &r.viewers[0];
    assert_eq!((v.joined_ms, v.left_ms, v.total_ms), (M, 6 * M, 3 * M));
}

#[test]
fn an_open_session_is_reported_as_of_now() {
    let facts = vec![(0, joined("a", Voice::Phone))];
    let r = report(&facts, None, &[]);
    assert_eq!(r.ended_ms, 1_000 * M);
    assert_eq!(r.attendees[0].phone_ms, 1_000 * M);
}

#[test]
fn percentages_and_durations_read_like_the_vendor() {
    assert_eq!(percentage(2, 3), "67%");
    assert_eq!(percentage(1, 3), "33%");
    assert_eq!(percentage(1, 8), "13%", "12.5 rounds half up");
    assert_eq!(percentage(0, 5), "0%");
    assert_eq!(percentage(0, 0), "");
    assert_eq!(hms(3_610_999), "01:00:10");
    assert_eq!(hms(0), "00:00:00");
    assert_eq!(hms(100 * 3_600_000), "100:00:00");
}
