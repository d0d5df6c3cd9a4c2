//! Answers about what happened after a meeting: recordings (9, 19) and the report (10).
//! Examples 09, 10 and 19.

use huiyi_domain::report::{Report, hms, percentage};
use huiyi_domain::session::{ClientType, Role, Voice};
use huiyi_domain::time::Zone;
use huiyi_domain::{Booking, Invitee, SessionState};
use serde::{Deserialize, Serialize};

/// A held session as the recording answers need it.
#[derive(Debug, Clone, Copy)]
pub struct HeldCtx<'a> {
    /// The booking (for a series, the occurrence the session ran).
    pub booking: &'a Booking,
    pub session: &'a SessionState,
    /// A recording file is kept (or named) for the session and not deleted, or one is being
    /// uploaded.
    pub has_record: bool,
    /// That file is complete and can be played.
    pub record_ready: bool,
    pub links: &'a HeldLinks,
}

/// The links huiyi serves for a held session; empty when there is nothing behind them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeldLinks {
    pub replay: String,
    pub download: String,
    pub report: String,
}

/// One ended session in `getConfReplay` (example 09). Every value is a string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplayItem {
    pub user_id: String,
    pub conference_id: String,
    pub temp_conference_id: String,
    pub start_time: String,
    pub end_time: String,
    pub length: String,
    pub pwd_type: String,
    pub inform_type: String,
    pub pcode1: String,
    pub pcode2: String,
    pub status: String,
    pub conference_title: String,
    pub has_report: String,
    pub is_report_ready: String,
    pub has_record: String,
    pub is_record_convert_ready: String,
    pub real_start_time: String,
    pub real_end_time: String,
    pub replay_url: String,
    pub download_url: String,
    pub record_down_url: String,
    pub record_url: String,
    pub report_down_url: String,
}

/// `result` of `getConfReplayById` (example 19): the item of 09 without `status`, with
/// `recordFlag`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplayByIdAnswer {
    pub user_id: String,
    pub conference_id: String,
    pub temp_conference_id: String,
    pub start_time: String,
    pub end_time: String,
    pub length: String,
    pub pwd_type: String,
    pub inform_type: String,
    pub pcode1: String,
    pub pcode2: String,
    pub conference_title: String,
    pub has_report: String,
    pub is_report_ready: String,
    pub has_record: String,
    pub is_record_convert_ready: String,
    pub real_start_time: String,
    pub real_end_time: String,
    /// Whether the booking asked for recording (`autoRecord`), "0"/"1".
    pub record_flag: String,
    pub replay_url: String,
    pub download_url: String,
    pub record_url: String,
    pub record_down_url: String,
    pub report_down_url: String,
}

fn one(b: bool) -> String {
    if b { "1" } else { "0" }.to_owned()
}

/// A unix-ms instant as the vendor's local time.
fn local_ms(zone: Zone, ms: i64) -> String {
    zone.format(ms.div_euclid(1000))
}

pub fn replay_item(h: &HeldCtx) -> ReplayItem {
    let (b, s) = (h.booking, h.session);
    let ended = s.closed_ms.is_some();
    // Links lead somewhere only once the file is complete.
    let record = |url: &str| {
        if h.has_record && h.record_ready {
            url.to_owned()
        } else {
            String::new()
        }
    };
    ReplayItem {
        user_id: b.host.to_string(),
        conference_id: b.conference_id.to_string(),
        temp_conference_id: s.temp_conference_id.to_string(),
        start_time: b.zone.format(b.start),
        end_time: b.zone.format(b.end()),
        length: b.length_minutes.to_string(),
        pwd_type: b.password_type.code().to_string(),
        inform_type: b.details.settings.inform_type.unwrap_or(0).to_string(),
        pcode1: b.pcode1.to_string(),
        pcode2: b.pcode2.to_string(),
        // Only ended sessions are listed: the meeting's status as of that session.
        status: "4".to_owned(),
        conference_title: b.title.clone(),
        has_report: one(true),
        is_report_ready: one(ended),
        has_record: one(h.has_record),
        is_record_convert_ready: one(h.has_record && h.record_ready),
        real_start_time: local_ms(b.zone, s.opened_ms),
        real_end_time: s
            .closed_ms
            .map_or_else(String::new, |c| local_ms(b.zone, c)),
        replay_url: record(&h.links.replay),
        download_url: record(&h.links.download),
        record_down_url: record(&h.links.download),
        record_url: record(&h.links.replay),
        report_down_url: h.links.report.clone(),
    }
}

pub fn replay_by_id(h: &HeldCtx) -> ReplayByIdAnswer {
    let i = replay_item(h);
    ReplayByIdAnswer {
        user_id: i.user_id,
        conference_id: i.conference_id,
        temp_conference_id: i.temp_conference_id,
        start_time: i.start_time,
        end_time: i.end_time,
        length: i.length,
        pwd_type: i.pwd_type,
        inform_type: i.inform_type,
        pcode1: i.pcode1,
        pcode2: i.pcode2,
        conference_title: i.conference_title,
        has_report: i.has_report,
        is_report_ready: i.is_report_ready,
        has_record: i.has_record,
        is_record_convert_ready: i.is_record_convert_ready,
        real_start_time: i.real_start_time,
        real_end_time: i.real_end_time,
        record_flag: one(h.booking.details.settings.auto_record.unwrap_or(false)),
        replay_url: i.replay_url,
        download_url: i.download_url,
        record_url: i.record_url,
        record_down_url: i.record_down_url,
        report_down_url: i.report_down_url,
    }
}

/// `result` of `getReportData` (example 10). The example shows two `summary` objects (an older
/// and a newer shape); this one carries the keys of both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportAnswer {
    pub summary: ReportSummary,
    pub attendees: Vec<ReportAttendee>,
    pub invitees: Vec<ReportInvitee>,
    pub live: Vec<ReportViewer>,
    pub rollcall: Vec<ReportRollCall>,
    pub video_rollcall: Vec<ReportRollCall>,
    pub handsup: Vec<ReportHand>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportSummary {
    pub conf_title: String,
    pub start_time: String,
    pub end_time: String,
    /// Distinct people who attended (the older shape's name).
    pub total_num: i64,
    /// The same count (the newer shape's name).
    pub total_count: i64,
    pub invite_count: i64,
    pub invite_attended_count: i64,
    /// Invitees who attended, of those invited: `"67%"`; `""` with nobody invited.
    pub attendee_percentage: String,
    pub rollcall_num: i64,
    pub rollcall_answer: Vec<RollCallCount>,
    pub video_rollcall_num: i64,
    pub video_rollcall_answer: Vec<RollCallCount>,
    /// People who raised a hand.
    pub handsup_count: i64,
    pub handsup_percentage: String,
}

/// How many answered one roll-call, and what share of the attendees that is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollCallCount {
    pub num: i64,
    pub percentage: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportAttendee {
    pub name: String,
    pub group_name: String,
    pub mobile: String,
    pub email: String,
    /// 1 host, 0 attendee.
    pub role: i64,
    pub join_time: String,
    pub offline_time: String,
    pub total_time: String,
    /// `pc`, `phone` or `web`.
    pub client_type: String,
    /// `voip` or `phone`: the voice they joined with.
    pub access_type: String,
    /// The IP address they joined from, then the phone number they switched to, if any.
    pub ip: String,
    pub phone_time: String,
    pub voip_time: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportInvitee {
    #[serde(flatten)]
    pub line: ReportAttendee,
    pub attend: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportViewer {
    pub name: String,
    pub mobile: String,
    pub join_time: String,
    pub offline_time: String,
    pub device_type: String,
    pub total_time: String,
    pub browser_name: String,
    pub ip: String,
    pub city: String,
}

/// One roll-call, with who answered it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportRollCall {
    pub create_time: String,
    pub num: i64,
    pub percentage: String,
    #[serde(rename = "Answered")]
    pub answered: Vec<ReportAnswered>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportAnswered {
    pub name: String,
    pub mobile: String,
    pub email: String,
    pub answer_time: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportHand {
    pub name: String,
    pub mobile: String,
    pub email: String,
    pub create_time: String,
}

/// The group an attendee is listed under: huiyi keeps no groups, so everyone is ungrouped, as
/// the vendor writes it.
pub const UNGROUPED: &str = "未分组";

fn duration(ms: i64) -> String {
    if ms > 0 { hms(ms) } else { String::new() }
}

fn client_name(c: ClientType) -> &'static str {
    match c {
        ClientType::Pc => "pc",
        ClientType::Phone => "phone",
        ClientType::Web => "web",
    }
}

pub fn report(r: &Report, zone: Zone) -> ReportAnswer {
    let t = |ms: i64| local_ms(zone, ms);
    let total = r.total();
    let attendees: Vec<ReportAttendee> = r
        .attendees
        .iter()
        .map(|a| ReportAttendee {
            name: a.name.clone(),
            group_name: UNGROUPED.to_owned(),
            mobile: a.mobile.clone(),
            email: a.email.clone(),
            role: i64::from(a.role == Role::Host),
            join_time: t(a.joined_ms),
            offline_time: t(a.left_ms),
            total_time: hms(a.total_ms),
            client_type: client_name(a.client).to_owned(),
            access_type: match a.access {
                Voice::Network => "voip",
                Voice::Phone => "phone",
            }
            .to_owned(),
            ip: a.address.clone(),
            phone_time: duration(a.phone_ms),
            voip_time: duration(a.voip_ms),
        })
        .collect();
    let invitees = r
        .invitees
        .iter()
        .map(|i| match i.attended {
            Some(k) => ReportInvitee {
                line: ReportAttendee {
                    name: invitee_label(&i.invitee, &attendees[k].name),
                    mobile: or(&i.invitee.mobile, &attendees[k].mobile),
                    email: or(&i.invitee.email, &attendees[k].email),
                    ..attendees[k].clone()
                },
                attend: 1,
            },
            None => ReportInvitee {
                line: ReportAttendee {
                    name: invitee_label(&i.invitee, ""),
                    group_name: UNGROUPED.to_owned(),
                    mobile: i.invitee.mobile.clone(),
                    email: i.invitee.email.clone(),
                    role: 0,
                    join_time: String::new(),
                    offline_time: String::new(),
                    total_time: String::new(),
                    client_type: String::new(),
                    access_type: String::new(),
                    ip: String::new(),
                    phone_time: String::new(),
                    voip_time: String::new(),
                },
                attend: 0,
            },
        })
        .collect();
    let roll_calls = |lines: &[huiyi_domain::report::RollCallLine]| -> Vec<ReportRollCall> {
        lines
            .iter()
            .map(|c| ReportRollCall {
                create_time: t(c.started_ms),
                num: c.answered.len() as i64,
                percentage: percentage(c.answered.len(), total),
                answered: c
                    .answered
                    .iter()
                    .map(|(k, at)| {
                        let a = &r.attendees[*k];
                        ReportAnswered {
                            name: a.name.clone(),
                            mobile: a.mobile.clone(),
                            email: a.email.clone(),
                            answer_time: t(*at),
                        }
                    })
                    .collect(),
            })
            .collect()
    };
    let rollcall = roll_calls(&r.roll_calls);
    let video_rollcall = roll_calls(&r.video_roll_calls);
    let counts = |calls: &[ReportRollCall]| -> Vec<RollCallCount> {
        calls
            .iter()
            .map(|c| RollCallCount {
                num: c.num,
                percentage: c.percentage.clone(),
            })
            .collect()
    };
    ReportAnswer {
        summary: ReportSummary {
            conf_title: r.title.clone(),
            start_time: t(r.started_ms),
            end_time: t(r.ended_ms),
            total_num: total as i64,
            total_count: total as i64,
            invite_count: r.invitees.len() as i64,
            invite_attended_count: r.invited_attended() as i64,
            attendee_percentage: percentage(r.invited_attended(), r.invitees.len()),
            rollcall_num: rollcall.len() as i64,
            rollcall_answer: counts(&rollcall),
            video_rollcall_num: video_rollcall.len() as i64,
            video_rollcall_answer: counts(&video_rollcall),
            handsup_count: r.hands_people as i64,
            handsup_percentage: percentage(r.hands_people, total),
        },
        attendees,
        invitees,
        live: r
            .viewers
            .iter()
            .map(|v| ReportViewer {
                name: v.viewer.name.clone(),
                mobile: v.viewer.mobile.clone(),
                join_time: t(v.joined_ms),
                offline_time: t(v.left_ms),
                device_type: v.viewer.device.clone(),
                total_time: hms(v.total_ms),
                browser_name: v.viewer.browser.clone(),
                ip: v.viewer.ip.clone(),
                city: v.viewer.city.clone(),
            })
            .collect(),
        rollcall,
        video_rollcall,
        handsup: r
            .hands
            .iter()
            .map(|h| {
                let a = &r.attendees[h.attendee];
                ReportHand {
                    name: a.name.clone(),
                    mobile: a.mobile.clone(),
                    email: a.email.clone(),
                    create_time: t(h.at_ms),
                }
            })
            .collect(),
    }
}

fn or(first: &str, then: &str) -> String {
    if first.trim().is_empty() {
        then.to_owned()
    } else {
        first.to_owned()
    }
}

/// An invitee's name: as invited, else the attendee's, else the email or mobile.
fn invitee_label(i: &Invitee, attended_as: &str) -> String {
    if !i.name.trim().is_empty() {
        i.name.clone()
    } else if !attended_as.is_empty() {
        attended_as.to_owned()
    } else {
        super::invitee_name(i)
    }
}
