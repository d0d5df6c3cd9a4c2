//! Answers of the older `/conference/...` endpoints: book and edit (1, 2), list (4), base info
//! (5) and status (6). Examples 01, 02, 04, 05, 06.

use super::{AnswerCtx, StatusCtx, invitation_title, invitee_name};
use huiyi_domain::Booking;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// `result` of `reservConference2` and `updateReservConference` (examples 01, 02).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReservV1Answer {
    pub conference_id: String,
    pub pcode1: String,
    pub pcode2: String,
    pub user_id: i64,
    pub conference_title: String,
    pub billing_code: String,
    #[serde(rename = "billingcode")]
    pub billingcode: String,
    pub start_time: String,
    pub end_time: String,
    pub length: i64,
    pub status: i64,
    pub creator_account: String,
    pub creator_name: String,
    pub location: String,
    pub current_time: String,
    /// The invitation mail's subject, see [`invitation_title`].
    pub title: String,
    pub d_title: String,
    #[serde(rename = "hostname")]
    pub hostname: String,
    /// The attendee passcode again, as the vendor answers it.
    pub desc: String,
    pub host: String,
    pub host_conference_url: String,
    pub attendee_join_url: String,
    pub inform_type: i64,
    pub from: String,
    pub host_mobile: String,
    #[serde(rename = "email_notify")]
    pub email_notify: bool,
    /// Where the hardware boxes bound to the meeting (`confBindBox`) are reached.
    pub h323_ip: Vec<String>,
    /// Real unix seconds (the vendor's v1 example shows 0; same type, more useful).
    pub start_time_unix: i64,
    pub end_time_unix: i64,
    pub used_conf_tickets: i64,
    pub wcall_url: String,
    pub host_conference_long_url: String,
    pub attendee_join_long_url: String,
    /// The reference: "not returned when the meeting has no live stream". Present (with the
    /// live password) only when live streaming is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_pwd: Option<String>,
    /// As `pull_pwd`; `""` until live streaming exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_url: Option<String>,
}

pub fn reserv_v1(b: &Booking, ctx: &AnswerCtx) -> ReservV1Answer {
    debug_assert_eq!(
        b.host, ctx.host.user_id,
        "AnswerCtx::host must be the booking's host"
    );
    let s = &b.details.settings;
    let host_name = ctx.host_name();
    let live = s.live_open.unwrap_or(false);
    ReservV1Answer {
        conference_id: b.conference_id.to_string(),
        pcode1: b.pcode1.to_string(),
        pcode2: b.pcode2.to_string(),
        user_id: b.host.get(),
        conference_title: b.title.clone(),
        billing_code: b.billing_code.to_string(),
        billingcode: b.billing_code.to_string(),
        start_time: b.zone.format(b.start),
        end_time: b.zone.format(b.end()),
        length: b.length_minutes,
        status: ctx.status_code(b),
        creator_account: ctx.host.email.clone(),
        creator_name: host_name.clone(),
        location: b.details.location.clone(),
        current_time: b.zone.format(ctx.now),
        title: invitation_title(&host_name),
        d_title: b.title.clone(),
        hostname: host_name.clone(),
        desc: b.pcode2.to_string(),
        host: host_name,
        host_conference_url: ctx.host_link(b),
        attendee_join_url: ctx.attendee_link(b),
        inform_type: s.inform_type.unwrap_or(0),
        from: b.details.source.clone(),
        host_mobile: ctx.host.mobile.clone(),
        email_notify: s.email_notify.unwrap_or(false),
        h323_ip: super::box_addresses(b),
        start_time_unix: b.start,
        end_time_unix: b.end(),
        used_conf_tickets: 0,
        wcall_url: ctx.wcall_link(b),
        host_conference_long_url: ctx.host_link(b),
        attendee_join_long_url: ctx.attendee_link(b),
        pull_pwd: live.then(|| s.live_password.clone().unwrap_or_default()),
        pull_url: live.then(String::new),
    }
}

/// `result` of `getConferenceList` (example 04).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConferenceListAnswer {
    pub total_num: i64,
    /// Keyed by the local start date `YYYY-MM-DD` (in each booking's own zone); dates sort.
    pub list: BTreeMap<String, Vec<ListedConference>>,
    pub current_time: String,
}

/// One booking in `getConferenceList`. Ids, `length` and `status` are strings here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedConference {
    pub user_id: String,
    pub conference_id: String,
    pub conference_title: String,
    pub start_time: String,
    pub end_time: String,
    pub length: String,
    pub pcode1: String,
    pub pcode2: String,
    pub status: String,
    pub location: String,
    pub from: String,
    pub attendee_list: Vec<ListedAttendee>,
    pub creator_account: String,
    pub user_name: String,
    /// 1 when the listing user hosts this booking.
    pub is_host: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedAttendee {
    pub email: String,
    pub mobile: String,
    pub name: String,
    pub country_num: String,
    pub ext_name: String,
    pub ext_type: String,
}

/// `ctx.host` is the user whose list it is: the list holds that host's own bookings, so
/// `creatorAccount`/`userName` are theirs (`isHost` is still computed per booking). `currentTime`
/// is in the customer's zone (the bookings may each have their own).
pub fn conference_list(bs: &[Booking], ctx: &AnswerCtx) -> ConferenceListAnswer {
    let mut list: BTreeMap<String, Vec<ListedConference>> = BTreeMap::new();
    for b in bs {
        list.entry(b.zone.date(b.start))
            .or_default()
            .push(listed(b, ctx));
    }
    let zone = ctx.customer.zone;
    ConferenceListAnswer {
        total_num: bs.len() as i64,
        list,
        current_time: zone.format(ctx.now),
    }
}

fn listed(b: &Booking, ctx: &AnswerCtx) -> ListedConference {
    let attendee_list = b
        .invitees
        .iter()
        .map(|i| ListedAttendee {
            email: i.email.clone(),
            mobile: i.mobile.clone(),
            name: invitee_name(i),
            country_num: String::new(),
            ext_name: String::new(),
            ext_type: "0".to_owned(),
        })
        .collect();
    ListedConference {
        user_id: b.host.to_string(),
        conference_id: b.conference_id.to_string(),
        conference_title: b.title.clone(),
        start_time: b.zone.format(b.start),
        end_time: b.zone.format(b.end()),
        length: b.length_minutes.to_string(),
        pcode1: b.pcode1.to_string(),
        pcode2: b.pcode2.to_string(),
        status: ctx.status_code(b).to_string(),
        location: b.details.location.clone(),
        from: b.details.source.clone(),
        attendee_list,
        creator_account: ctx.host.email.clone(),
        user_name: ctx.host_name(),
        is_host: i64::from(b.host == ctx.host.user_id),
    }
}

/// A dial-in number as base info lists it (`accessNum`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessNumber {
    pub area: String,
    pub number: String,
}

/// `result` of `getConferenceBaseInfoById` (example 05). Ids, `length`, `status` and
/// `total_invitee` are strings here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BaseInfoAnswer {
    pub user_id: String,
    pub conference_title: String,
    pub start_time: String,
    pub end_time: String,
    pub length: String,
    pub pcode1: String,
    pub pcode2: String,
    pub conference_id: String,
    /// A human label of the zone at the start, e.g. `GMT+8 Asia/Shanghai`.
    pub timezone: String,
    /// `""`: base info describes the booking, not one of its sessions.
    pub temp_conference_id: String,
    pub status: String,
    pub location: String,
    /// A string (not a list) in the vendor's answer; invitee groups do not exist here.
    pub invitee_group_list: String,
    pub from: String,
    #[serde(rename = "billingcode")]
    pub billingcode: String,
    pub display_name: String,
    pub name: String,
    pub host_join_url: String,
    pub attendee_join_url: String,
    #[serde(rename = "total_invitee")]
    pub total_invitee: String,
    pub invitee: Vec<BaseInfoInvitee>,
    pub current_time: String,
    pub more_access_num_url: String,
    pub access_num: Vec<AccessNumber>,
    pub status_info: Option<Value>,
    pub extra_info: Option<Value>,
    pub wcall_url: String,
    pub hardware_location: String,
    /// H.323 gateway addresses; empty: huiyi has no H.323 gateway.
    pub hardware_video_ip_list: Vec<String>,
    /// `""` until live streaming exists.
    pub pull_url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BaseInfoInvitee {
    pub group_name: String,
    pub email: String,
    pub mobile: String,
    pub country_num: String,
    pub name: String,
    /// "0": whether the invitee is in the meeting now; sessions come later.
    pub is_during: String,
    pub update_time: String,
    pub c_id: String,
    pub ext_type: String,
    pub ext_name: String,
}

/// `moreAccessNumUrl` is this server's page of every dial-in number for the conference,
/// `<public_url>/access-numbers/<conferenceId>`.
pub fn base_info(b: &Booking, ctx: &AnswerCtx, access_numbers: &[AccessNumber]) -> BaseInfoAnswer {
    debug_assert_eq!(
        b.host, ctx.host.user_id,
        "AnswerCtx::host must be the booking's host"
    );
    let invitee: Vec<BaseInfoInvitee> = b
        .invitees
        .iter()
        .map(|i| BaseInfoInvitee {
            group_name: String::new(),
            email: i.email.clone(),
            mobile: i.mobile.clone(),
            country_num: String::new(),
            name: invitee_name(i),
            is_during: "0".to_owned(),
            update_time: String::new(),
            c_id: "0".to_owned(),
            ext_type: "0".to_owned(),
            ext_name: String::new(),
        })
        .collect();
    BaseInfoAnswer {
        user_id: b.host.to_string(),
        conference_title: b.title.clone(),
        start_time: b.zone.format(b.start),
        end_time: b.zone.format(b.end()),
        length: b.length_minutes.to_string(),
        pcode1: b.pcode1.to_string(),
        pcode2: b.pcode2.to_string(),
        conference_id: b.conference_id.to_string(),
        timezone: b.zone.label(b.start),
        temp_conference_id: String::new(),
        status: ctx.status_code(b).to_string(),
        location: b.details.location.clone(),
        invitee_group_list: String::new(),
        from: b.details.source.clone(),
        billingcode: b.billing_code.to_string(),
        display_name: ctx.host_name(),
        name: ctx.host_name(),
        host_join_url: ctx.host_link(b),
        attendee_join_url: ctx.attendee_link(b),
        total_invitee: invitee.len().to_string(),
        invitee,
        current_time: b.zone.format(ctx.now),
        more_access_num_url: format!("{}/access-numbers/{}", ctx.public_url, b.conference_id),
        access_num: access_numbers.to_vec(),
        status_info: None,
        extra_info: None,
        wcall_url: ctx.wcall_link(b),
        hardware_location: String::new(),
        hardware_video_ip_list: Vec::new(),
        pull_url: String::new(),
    }
}

/// `result` of `getConfStatus` (example 06).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfStatusAnswer {
    pub conf_status: i64,
    /// People in the session right now; 0 when no session is open.
    pub attendees: i64,
    pub pwd_type: i64,
    pub may_join: i64,
    pub advance_hours: String,
}

pub fn conf_status(b: &Booking, ctx: &StatusCtx) -> ConfStatusAnswer {
    ConfStatusAnswer {
        conf_status: ctx.status_code(b),
        attendees: ctx.attendees(b),
        pwd_type: b.password_type.code(),
        may_join: i64::from(ctx.may_join(b)),
        advance_hours: ctx.advance_hours(),
    }
}
