//! Answers of the room-era `/confopenapi/room/...` endpoints: book and edit (14, 15) and the
//! full booking record that infos, list and listByAdmin return (17, 18, 23).

use super::{AnswerCtx, flag, invitation_title, invitee_name};
use huiyi_domain::{Booking, Settings};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashSet;

/// `result` of room `reservConference` and `updateReservConference` (examples 14, 15). Unlike
/// the room item, times here are local strings and `length` is a number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomReservAnswer {
    pub conference_id: String,
    pub pcode1: String,
    pub pcode2: String,
    #[serde(rename = "billingcode")]
    pub billingcode: String,
    pub group_id: i64,
    pub event_id: i64,
    pub attendee_join_url: String,
    pub host_join_url: String,
    /// The reference: returned (with the live password) only when live streaming is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_pwd: Option<String>,
    /// `""` until live streaming exists.
    pub pull_url: String,
    pub live_view_flag: i64,
    pub live_playback_flag: i64,
    pub live_playback_time: i64,
    pub bee_attendee_join_url: String,
    pub bee_host_join_url: String,
    pub conf_host_id: i64,
    pub large_group: i64,
    pub used_conf_tickets: i64,
    #[serde(rename = "wcallurl")]
    pub wcallurl: String,
    pub join_host_url: String,
    pub guest_join_url: String,
    pub audience_join_url: String,
    pub audience_union_url: String,
    pub user_id: i64,
    pub conference_title: String,
    pub billing_code: String,
    pub start_time: String,
    pub end_time: String,
    pub length: i64,
    pub status: i64,
    pub create_account: String,
    pub create_name: String,
    pub current_time: String,
    /// The invitation mail's subject, as in v1 answers and as the reference describes the field
    /// ("邮件邀请标题"); example 14 happens to show only the host's name there.
    pub title: String,
    pub d_title: String,
    pub host_name: String,
    pub desc: String,
    pub host: String,
    pub host_conference_url: String,
    pub host_mobile: String,
    /// Where the hardware boxes bound to the meeting (`confBindBox`) are reached.
    pub h323_ip: Vec<String>,
    pub start_time_unix: i64,
    pub end_time_unix: i64,
    pub host_conference_long_url: String,
    pub attendee_join_long_url: String,
    #[serde(rename = "email_notify")]
    pub email_notify: bool,
}

pub fn room_reserv(b: &Booking, ctx: &AnswerCtx) -> RoomReservAnswer {
    debug_assert_eq!(
        b.host, ctx.host.user_id,
        "AnswerCtx::host must be the booking's host"
    );
    let s = &b.details.settings;
    let host_name = ctx.host_name();
    RoomReservAnswer {
        conference_id: b.conference_id.to_string(),
        pcode1: b.pcode1.to_string(),
        pcode2: b.pcode2.to_string(),
        billingcode: b.billing_code.to_string(),
        group_id: b.group_id(),
        event_id: b.event_id,
        attendee_join_url: ctx.attendee_link(b),
        host_join_url: ctx.host_link(b),
        pull_pwd: s
            .live_open
            .unwrap_or(false)
            .then(|| s.live_password.clone().unwrap_or_default()),
        pull_url: String::new(),
        live_view_flag: live_view_flag(s),
        live_playback_flag: 0,
        live_playback_time: 0,
        bee_attendee_join_url: String::new(),
        bee_host_join_url: String::new(),
        conf_host_id: 0,
        large_group: 0,
        used_conf_tickets: 0,
        wcallurl: ctx.wcall_link(b),
        join_host_url: String::new(),
        guest_join_url: String::new(),
        audience_join_url: ctx.attendee_link(b),
        audience_union_url: String::new(),
        user_id: b.host.get(),
        conference_title: b.title.clone(),
        billing_code: b.billing_code.to_string(),
        start_time: b.zone.format(b.start),
        end_time: b.zone.format(b.end()),
        length: b.length_minutes,
        status: ctx.status_code(b),
        create_account: ctx.host.email.clone(),
        create_name: host_name.clone(),
        current_time: b.zone.format(ctx.now),
        title: invitation_title(&host_name),
        d_title: b.title.clone(),
        host_name: host_name.clone(),
        desc: b.pcode2.to_string(),
        host: host_name,
        host_conference_url: ctx.host_link(b),
        host_mobile: ctx.host.mobile.clone(),
        h323_ip: super::box_addresses(b),
        start_time_unix: b.start,
        end_time_unix: b.end(),
        host_conference_long_url: ctx.host_link(b),
        attendee_join_long_url: ctx.attendee_link(b),
        email_notify: s.email_notify.unwrap_or(false),
    }
}

/// `liveViewFlag`: 0 anyone may watch, 1 a password is needed (2, identity check, is not
/// offered here).
fn live_view_flag(s: &Settings) -> i64 {
    let has_password = s.live_password.as_deref().is_some_and(|p| !p.is_empty());
    i64::from(s.live_open.unwrap_or(false) && has_password)
}

/// A dial-in number in a room item's `accessNumbers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomAccessNumber {
    pub area: String,
    /// A number in the vendor's answers (its doc says string); 0 = not chosen by the customer.
    pub choose_by_self: i64,
    pub number: String,
}

/// A room item's `accessNumbers`: lists by language. Each list is always an array, empty when
/// no number is configured: example 23 shows `null` there, but 17 and 18 show arrays, and a
/// client written against those fails on `null` (API.md leaves it open; we pick arrays).
/// Reading accepts `null` as an empty list, so the vendor's own answers still parse.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RoomAccessNumbers {
    #[serde(rename = "ChooseBySelf", deserialize_with = "null_as_empty")]
    pub choose_by_self: Vec<RoomAccessNumber>,
    #[serde(rename = "En-us", deserialize_with = "null_as_empty")]
    pub en_us: Vec<RoomAccessNumber>,
    #[serde(rename = "Zh-cn", deserialize_with = "null_as_empty")]
    pub zh_cn: Vec<RoomAccessNumber>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<RoomAccessNumber>, D::Error> {
    Ok(Option::<Vec<RoomAccessNumber>>::deserialize(d)?.unwrap_or_default())
}

/// One person in a room item's `attendList`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomAttendee {
    pub city_code: String,
    pub company_name: String,
    pub contact_id: String,
    pub country_code: String,
    pub display_name: String,
    pub mobile_number: String,
    pub office_phone: String,
    pub org_name: String,
    pub phone_email: String,
    pub phone_name: String,
    pub product_status: i64,
    /// "W" (waiting): invitees have not answered; accept/reject do not exist here.
    pub status: String,
    /// The user id as a string; `""` for an external invitee.
    pub user: String,
    pub user_profile: Option<Value>,
    /// 1 a user of the customer, 2 an external invitee (by email or mobile).
    pub user_type: i64,
}

/// A room item's `calExtraInfo`. The vendor's older answers (17, 18) omit the watchword keys,
/// its newer ones (23) carry them; each endpoint answers as its own example does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CalExtraInfo {
    pub allow_h323: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_watchword: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_watchword: Option<i64>,
    pub show_access_numbers: i64,
    #[serde(rename = "showWebRTCUrl")]
    pub show_web_rtc_url: i64,
}

/// The full booking record of room `infos`, `list` and `listByAdmin` (examples 17, 18, 23).
/// Times are unix seconds here, and `title` is URL-encoded.
///
/// Example 23 (the vendor's newer answer) adds `testAudienceUnionUrl` and the watchword keys of
/// `calExtraInfo` to the shape of 17/18; [`RoomItemEra`] picks which one an endpoint answers, so
/// each endpoint's keys are exactly its example's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomItem {
    #[serde(rename = "CreateTime")]
    pub create_time: i64,
    #[serde(rename = "ExtraMeetingRoom")]
    pub extra_meeting_room: Option<Value>,
    #[serde(rename = "ManagerCustomerCode")]
    pub manager_customer_code: String,
    pub access_number_info: Option<Value>,
    pub access_numbers: RoomAccessNumbers,
    pub add_attend_list: Option<Value>,
    pub add_device_list: Vec<Value>,
    pub add_media_list: Option<Value>,
    pub advance_hours: String,
    pub allow_box: i64,
    /// 1: external invitees (by email or mobile) are accepted.
    pub allow_external: i64,
    pub allow_hard_video: i64,
    /// 0: no Lync/Skype gateway here.
    pub allow_lync: i64,
    pub app_source: String,
    pub approval_name: String,
    pub approval_status: i64,
    pub approval_user_id: i64,
    pub attend_list: Vec<RoomAttendee>,
    pub attendee_join_url: String,
    pub audience_join_url: String,
    pub audience_union_url: String,
    pub audio_conference_type: i64,
    pub authority: Option<Value>,
    pub billing_code: String,
    pub cal_extra_info: CalExtraInfo,
    /// "E" single meeting ("M" series, when recurrence exists).
    pub cal_type: String,
    #[serde(rename = "callbackURL")]
    pub callback_url: String,
    pub callback_ud: String,
    pub capacity: i64,
    pub client_os: String,
    pub client_type: i64,
    pub conf_host_id: i64,
    pub conf_master: i64,
    pub conf_mode: i64,
    /// 1 standard meeting (0 would be a confidential one).
    pub conf_node_type: i64,
    pub conference_id: String,
    /// The assistant who created a live activity for the host (the reference); `""` and 0
    /// here, as the vendor answers for ordinary meetings.
    pub creator_name: String,
    pub creator_user_id: i64,
    pub customer_code: String,
    pub del_attend_list: Option<Value>,
    pub del_device_list: Vec<Value>,
    pub del_media_list: Option<Value>,
    pub detail_house_list: Option<Value>,
    #[serde(rename = "enableCloudMCU")]
    pub enable_cloud_mcu: i64,
    pub end_time: i64,
    pub equip_list: Vec<super::RoomDevice>,
    pub event_form: i64,
    pub event_id: i64,
    pub event_live: i64,
    pub event_manual_service: i64,
    pub event_source: i64,
    pub exchange_external_id: String,
    pub exchange_sync_date: i64,
    pub external_flag: String,
    pub extras_info: String,
    pub group_id: i64,
    pub guest_join_url: String,
    pub guest_join_verify_url: String,
    pub host_id: i64,
    pub host_join_url: String,
    pub host_name: String,
    pub hosts_layout: String,
    pub house_list: Vec<super::RoomDevice>,
    pub importance: i64,
    /// 1: a cloud meeting.
    pub is_gnet: i64,
    pub is_plugin: bool,
    pub is_shared_media: i64,
    pub join_conf_sel_tag: i64,
    pub join_conf_tags: String,
    pub join_login: i64,
    pub join_url_type: i64,
    pub joint_host_url: String,
    pub joint_host_verify_url: String,
    pub large_group: i64,
    /// A JSON array inside a string, as the vendor answers it.
    pub ledger_tag: String,
    pub length: i64,
    #[serde(rename = "liveChannelID")]
    pub live_channel_id: i64,
    pub live_cover: String,
    pub live_open_flag: i64,
    pub live_playback_flag: i64,
    pub live_playback_time: i64,
    pub live_pull_pwd: String,
    pub live_pull_url: String,
    pub live_screen: i64,
    pub live_view_flag: i64,
    pub location: String,
    pub mail_lang: i64,
    pub meeting_language: String,
    pub meeting_room: i64,
    pub modify_time: i64,
    pub nochange_attend_list: Option<Value>,
    pub nochange_device_list: Vec<Value>,
    pub old_conf_host_id: i64,
    pub ori_start: i64,
    pub par_join_conf_logined: i64,
    pub parent_id: i64,
    pub password_flag: i64,
    pub pcode1: String,
    pub pcode2: String,
    pub recurrence_info: Option<Value>,
    pub reject_reason: String,
    pub rest_length: i64,
    pub room_id: String,
    pub shared_media: Option<Value>,
    pub shared_media_info: Option<Value>,
    pub site_id: i64,
    pub source_domain: String,
    pub start_time: i64,
    pub status: i64,
    pub summary: String,
    pub sv: i64,
    pub tel_access: i64,
    /// Only in the vendor's newer answers (example 23); `""` until live streaming exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_audience_union_url: Option<String>,
    /// The IANA name of the booking's zone.
    pub timezone: String,
    pub timezone_for_email: String,
    /// The booking's title, URL-encoded (see [`encode_title`]).
    pub title: String,
    pub uniform_env: String,
    pub upd_attend_list: Option<Value>,
    pub update_flag: i64,
    pub use_waiting_room: i64,
    pub used_conf_tickets: i64,
    pub video_conference_mode: i64,
    pub watch_mcu_video_mode: i64,
    pub wcall_monitor_url: String,
    pub wcall_url: String,
    #[serde(rename = "webRTCUrl")]
    pub web_rtc_url: String,
    pub whole_type: i64,
}

/// Everything but RFC 3986's unreserved characters is encoded, so a space is `%20` (never
/// `+`) and any URL decoder, form-style or not, gets the title back.
const TITLE_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A room item's `title`: `分流测试1的会议` → `%E5%88%86%E6%B5%81…` (example 17).
pub fn encode_title(title: &str) -> String {
    utf8_percent_encode(title, TITLE_ENCODE).to_string()
}

/// Which of the vendor's two room-item shapes an endpoint answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomItemEra {
    /// `infos` and `list` (examples 17, 18).
    Older,
    /// `listByAdmin` (example 23).
    Newer,
}

pub fn room_item(
    b: &Booking,
    ctx: &AnswerCtx,
    access: &RoomAccessNumbers,
    era: RoomItemEra,
) -> RoomItem {
    let newer = era == RoomItemEra::Newer;
    debug_assert_eq!(
        b.host, ctx.host.user_id,
        "AnswerCtx::host must be the booking's host"
    );
    let s = &b.details.settings;
    let (house_list, equip_list) = super::room_devices(b);
    RoomItem {
        create_time: b.created_at,
        extra_meeting_room: None,
        manager_customer_code: String::new(),
        access_number_info: None,
        access_numbers: access.clone(),
        add_attend_list: None,
        add_device_list: Vec::new(),
        add_media_list: None,
        advance_hours: ctx.advance_hours(),
        allow_box: i64::from(!b.details.boxes.is_empty()),
        allow_external: 1,
        allow_hard_video: flag(s.hardware_video),
        allow_lync: 0,
        app_source: "meeting".to_owned(),
        approval_name: String::new(),
        approval_status: 0,
        approval_user_id: 0,
        attend_list: attend_list(b),
        attendee_join_url: ctx.attendee_link(b),
        audience_join_url: ctx.attendee_link(b),
        audience_union_url: String::new(),
        audio_conference_type: 0,
        authority: None,
        billing_code: b.billing_code.to_string(),
        cal_extra_info: CalExtraInfo {
            allow_h323: 0,
            event_watchword: newer.then(|| s.event_watchword.clone().unwrap_or_default()),
            open_watchword: newer.then(|| flag(s.open_watchword)),
            show_access_numbers: 0,
            show_web_rtc_url: 0,
        },
        cal_type: if b.is_series() { "M" } else { "E" }.to_owned(),
        callback_url: String::new(),
        callback_ud: String::new(),
        capacity: 0,
        client_os: String::new(),
        client_type: 0,
        conf_host_id: 0,
        conf_master: 0,
        conf_mode: 0,
        conf_node_type: 1,
        conference_id: b.conference_id.to_string(),
        creator_name: String::new(),
        creator_user_id: 0,
        customer_code: ctx.customer.code.clone(),
        del_attend_list: None,
        del_device_list: Vec::new(),
        del_media_list: None,
        detail_house_list: None,
        enable_cloud_mcu: flag(s.enable_cloud_mcu),
        end_time: b.end(),
        equip_list,
        event_form: 0,
        event_id: b.event_id,
        event_live: 0,
        event_manual_service: 0,
        event_source: 0,
        exchange_external_id: String::new(),
        exchange_sync_date: 0,
        external_flag: String::new(),
        extras_info: String::new(),
        group_id: b.group_id(),
        guest_join_url: String::new(),
        guest_join_verify_url: String::new(),
        host_id: b.host.get(),
        host_join_url: ctx.host_link(b),
        host_name: ctx.host_name(),
        hosts_layout: String::new(),
        house_list,
        importance: 0,
        is_gnet: 1,
        is_plugin: false,
        is_shared_media: 0,
        join_conf_sel_tag: flag(s.join_conf_sel_tag),
        join_conf_tags: s.join_conf_tags.clone().unwrap_or_default(),
        join_login: flag(s.join_login),
        join_url_type: 1,
        joint_host_url: String::new(),
        joint_host_verify_url: String::new(),
        large_group: 0,
        ledger_tag: "[]".to_owned(),
        length: b.length_minutes,
        live_channel_id: 0,
        live_cover: String::new(),
        live_open_flag: flag(s.live_open),
        live_playback_flag: 0,
        live_playback_time: 0,
        live_pull_pwd: s.live_password.clone().unwrap_or_default(),
        live_pull_url: String::new(),
        live_screen: 0,
        live_view_flag: live_view_flag(s),
        location: b.details.location.clone(),
        mail_lang: 0,
        meeting_language: String::new(),
        meeting_room: 0,
        modify_time: b.modified_at,
        nochange_attend_list: None,
        nochange_device_list: Vec::new(),
        old_conf_host_id: 0,
        ori_start: b.occurrence_of.unwrap_or(0),
        par_join_conf_logined: 0,
        parent_id: 0,
        password_flag: 0,
        pcode1: b.pcode1.to_string(),
        pcode2: b.pcode2.to_string(),
        recurrence_info: super::recurrence_info(b),
        reject_reason: String::new(),
        rest_length: 0,
        room_id: String::new(),
        shared_media: None,
        shared_media_info: None,
        site_id: 0,
        source_domain: String::new(),
        start_time: b.start,
        status: ctx.status_code(b),
        summary: b.details.summary.clone(),
        sv: s.sv.unwrap_or(0),
        tel_access: 0,
        test_audience_union_url: newer.then(String::new),
        timezone: b.zone.name().to_owned(),
        timezone_for_email: b.zone.name().to_owned(),
        title: encode_title(&b.title),
        uniform_env: String::new(),
        upd_attend_list: None,
        update_flag: 0,
        use_waiting_room: flag(s.use_waiting_room),
        used_conf_tickets: 0,
        video_conference_mode: 0,
        watch_mcu_video_mode: 0,
        wcall_monitor_url: String::new(),
        wcall_url: ctx.wcall_link(b),
        web_rtc_url: ctx.webrtc_link(b),
        whole_type: 0,
    }
}

/// The host first (the vendor lists them, example 23), then each invitee once: users of the
/// customer by id (type 1), external invitees by email/mobile (type 2).
fn attend_list(b: &Booking) -> Vec<RoomAttendee> {
    let blank = |user: String, user_type: i64| RoomAttendee {
        city_code: String::new(),
        company_name: String::new(),
        contact_id: String::new(),
        country_code: String::new(),
        display_name: String::new(),
        mobile_number: String::new(),
        office_phone: String::new(),
        org_name: String::new(),
        phone_email: String::new(),
        phone_name: String::new(),
        product_status: 1,
        status: "W".to_owned(),
        user,
        user_profile: None,
        user_type,
    };
    let mut seen = HashSet::from([b.host]);
    let mut list = vec![blank(b.host.to_string(), 1)];
    for i in &b.invitees {
        match i.user_id {
            Some(id) => {
                if seen.insert(id) {
                    list.push(blank(id.to_string(), 1));
                }
            }
            None => list.push(RoomAttendee {
                display_name: invitee_name(i),
                mobile_number: i.mobile.clone(),
                phone_email: i.email.clone(),
                ..blank(String::new(), 2)
            }),
        }
    }
    list
}
