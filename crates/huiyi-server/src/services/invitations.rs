//! Invitations: the email a person gets when a meeting they are invited to is booked, changed
//! or cancelled, in zh-CN or English, with the meeting's calendar (`huiyi_domain::ics`).

use crate::adapters::mail::Letter;
use askama::Template;
use huiyi_domain::ics::{self, Change, InviteParts};
use huiyi_domain::{Booking, LinkRole, User};
use huiyi_wire::answers::RoomAccessNumber;
use lettre::message::Mailbox;

/// The language of a letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailLang {
    Zh,
    En,
}

/// Every word of a letter, in one language.
struct Words {
    time: &'static str,
    host: &'static str,
    meeting_id: &'static str,
    passcode: &'static str,
    join: &'static str,
    dial_in: &'static str,
    dial_how: &'static str,
    cancelled_note: &'static str,
    footer: &'static str,
    invited: &'static str,
    updated: &'static str,
    cancelled: &'static str,
}

const ZH: Words = Words {
    time: "时间",
    host: "主持人",
    meeting_id: "会议号",
    passcode: "参会密码",
    join: "加入会议",
    dial_in: "电话拨入",
    dial_how: "拨打任一号码，听到提示后输入参会密码并按 # 键。",
    cancelled_note: "组织者已取消这个会议，日历中的会议会随之删除。",
    footer: "此邮件由 huiyi 会议系统发送。附件中的日历邀请可加入 Outlook、Google 日历或 Apple 日历。",
    invited: "会议邀请",
    updated: "会议已更新",
    cancelled: "会议已取消",
};

const EN: Words = Words {
    time: "Time",
    host: "Host",
    meeting_id: "Meeting ID",
    passcode: "Passcode",
    join: "Join the meeting",
    dial_in: "Join by phone",
    dial_how: "Call one of the numbers and, when asked, type the passcode followed by #.",
    cancelled_note: "The organiser cancelled this meeting; it is removed from your calendar.",
    footer: "Sent by the huiyi meeting system. The calendar invite adds the meeting to Outlook, \
             Google Calendar or Apple Calendar.",
    invited: "Invitation",
    updated: "Updated",
    cancelled: "Cancelled",
};

/// What both forms of a letter say.
struct Body<'a> {
    headline: &'a str,
    title: &'a str,
    when: &'a str,
    host: &'a str,
    conference_id: &'a str,
    passcode: &'a str,
    join_url: &'a str,
    numbers: &'a [RoomAccessNumber],
    cancelled: bool,
    t: &'a Words,
}

/// The HTML letter: the body's fields are read through `Deref`.
#[derive(Template)]
#[template(path = "mail/invite.html")]
struct Html<'a> {
    lang: &'static str,
    subject: &'a str,
    body: &'a Body<'a>,
}

#[derive(Template)]
#[template(path = "mail/invite.txt")]
struct Text<'a> {
    body: &'a Body<'a>,
}

impl<'a> std::ops::Deref for Html<'a> {
    type Target = Body<'a>;
    fn deref(&self) -> &Body<'a> {
        self.body
    }
}

impl<'a> std::ops::Deref for Text<'a> {
    type Target = Body<'a>;
    fn deref(&self) -> &Body<'a> {
        self.body
    }
}

/// What a letter is about. `booking` is the stored booking (a series as a whole).
pub struct About<'a> {
    pub booking: &'a Booking,
    pub host: &'a User,
    pub change: Change,
    /// Rises with every change: the booking's `version`.
    pub sequence: i64,
    pub public_url: &'a str,
    /// Dial-in numbers in the letter's language.
    pub numbers: &'a [RoomAccessNumber],
    pub now: i64,
    /// List only this invitee in the calendar (a large meeting); `None`: every invitee.
    pub attendee: Option<&'a str>,
}

/// What a letter and a text both say of a change.
struct Facts {
    t: &'static Words,
    /// The booking, or the occurrence the change is about.
    shown: Booking,
    cancelled: bool,
    headline: &'static str,
    /// The template name the SMS gateway is told.
    template: &'static str,
    join_url: String,
}

impl Facts {
    fn of(about: &About, lang: MailLang) -> Self {
        let b = about.booking;
        let t = match lang {
            MailLang::Zh => &ZH,
            MailLang::En => &EN,
        };
        let shown = match about.change {
            Change::RequestOccurrence { ori_start } | Change::CancelOccurrence { ori_start } => b
                .occurrence(ori_start)
                .map_or_else(|| b.clone(), |o| b.as_occurrence(&o)),
            Change::Request | Change::Cancel => b.clone(),
        };
        let cancelled = about.change.method() == "CANCEL";
        let (headline, template) = if cancelled {
            (t.cancelled, "cancel")
        } else if about.sequence > 1 {
            (t.updated, "update")
        } else {
            (t.invited, "invite")
        };
        Self {
            t,
            shown,
            cancelled,
            headline,
            template,
            join_url: b.links.url(about.public_url, LinkRole::Attendee),
        }
    }

    fn subject(&self, lang: MailLang) -> String {
        match lang {
            MailLang::Zh => format!("{}：{}", self.headline, self.shown.title),
            MailLang::En => format!("{}: {}", self.headline, self.shown.title),
        }
    }
}

/// A text message about a change: `(template, text)`, short enough for one or two 70-character
/// segments with a short title: the headline, title, local start, and (unless cancelled) the
/// join link and the attendee passcode.
pub fn text(about: &About, lang: MailLang) -> (&'static str, String) {
    let f = Facts::of(about, lang);
    let s = &f.shown;
    let start = s.zone.format(s.start);
    // `MM-DD HH:MM` of `YYYY-MM-DD HH:MM:SS`.
    let when = start.get(5..16).unwrap_or(&start);
    let mut text = format!("{} {}", f.subject(lang), when);
    if !f.cancelled {
        text.push_str(&format!(
            " {} {} {} {}",
            f.t.join, f.join_url, f.t.passcode, about.booking.pcode2
        ));
    }
    (f.template, text)
}

/// The letter to `to` about a change, in `lang`. The time is shown in the booking's zone; a
/// change of one occurrence shows that occurrence.
pub fn letter(about: &About, to: Mailbox, lang: MailLang) -> Result<Letter, askama::Error> {
    let b = about.booking;
    let f = Facts::of(about, lang);
    let (t, shown, cancelled, headline) = (f.t, &f.shown, f.cancelled, f.headline);
    let subject = f.subject(lang);
    let when = format!(
        "{}–{} ({})",
        shown.zone.format(shown.start),
        shown.zone.clock(shown.end()),
        shown.zone.label(shown.start)
    );
    let join_url = f.join_url.clone();
    let host = about.host.display_name();
    let passcode = b.pcode2.to_string();
    let conference_id = b.conference_id.to_string();
    let uid_domain = about
        .public_url
        .split("://")
        .nth(1)
        .unwrap_or(about.public_url)
        .split(['/', ':'])
        .next()
        .unwrap_or("huiyi");
    let ics = ics::invite(
        b,
        &InviteParts {
            organizer_name: &host,
            organizer_email: &about.host.email,
            join_url: &join_url,
            passcode: &passcode,
            uid_domain,
            attendee: about.attendee,
        },
        about.change,
        about.sequence,
        about.now,
    );
    let body = Body {
        headline,
        title: &shown.title,
        when: &when,
        host: &host,
        conference_id: &conference_id,
        passcode: &passcode,
        join_url: &join_url,
        numbers: about.numbers,
        cancelled,
        t,
    };
    let html = Html {
        lang: match lang {
            MailLang::Zh => "zh-CN",
            MailLang::En => "en",
        },
        subject: &subject,
        body: &body,
    }
    .render()?;
    let text = Text { body: &body }.render()?;
    Ok(Letter {
        to,
        subject,
        text,
        html,
        ics,
        method: about.change.method(),
    })
}
