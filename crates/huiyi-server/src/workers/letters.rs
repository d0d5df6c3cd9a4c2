//! The delivery worker's invitations: an outbox message to `mailto:` is a letter and one to
//! `sms:` a text, each written when it is sent (from the booking as it then stands, with the
//! SEQUENCE of the change that enqueued it). Letters go through the configured SMTP server;
//! texts are posted to the SMS gateway, signed like webhooks.

use crate::adapters::mail::{MailError, Mailer};
use crate::adapters::webhook::{
    ID_HEADER, SIGNATURE_HEADER, Sent, TIMESTAMP_HEADER, Verdict, excerpt, signature_header,
};
use crate::app::AppState;
use crate::services::invitations::{About, MailLang, letter, text};
use huiyi_domain::delivery::{NoticeBody, NoticeChange};
use huiyi_domain::ics::Change;
use huiyi_store::{Attempt, ClaimedMessage};
use lettre::message::Mailbox;
use std::sync::Arc;
use std::time::Instant;

/// What a change's notices in one language say: the same for every recipient, so written once
/// and kept a minute (a booking with 500 invitees queues 501 letters of one change).
#[derive(Clone, Hash, PartialEq, Eq)]
struct Written {
    customer: huiyi_domain::CustomerKey,
    event_id: i64,
    sequence: i64,
    change: String,
    english: bool,
    sms: bool,
}

/// Invitees beyond which each calendar lists only its own recipient.
const LISTED_INVITEES: usize = 50;

/// A written letter (its `to` is the first recipient's) or text.
#[derive(Clone)]
enum Draft {
    Letter(Box<crate::adapters::mail::Letter>),
    Text(&'static str, String),
    /// The change's meeting has more than [`LISTED_INVITEES`] invitees: look again per recipient.
    Large,
}

#[derive(Clone)]
pub struct Letters {
    app: AppState,
    drafts: mini_moka::sync::Cache<Written, Draft>,
    mailer: Option<Arc<Mailer>>,
    /// Posts texts to the operator's SMS gateway (an address the operator chose, so it may be
    /// on the internal network, unlike a caller's webhook URL).
    gateway: reqwest::Client,
}

impl Letters {
    pub fn new(app: AppState) -> anyhow::Result<Self> {
        let mailer = Mailer::from_config(&app.config)?.map(Arc::new);
        let gateway = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_millis(
                app.config.webhook_timeout_ms,
            ))
            .build()?;
        Ok(Self {
            app,
            drafts: mini_moka::sync::Cache::builder()
                .max_capacity(256)
                .time_to_live(std::time::Duration::from_secs(60))
                .build(),
            mailer,
            gateway,
        })
    }

    /// One attempt at the letter `m`: delivered, retried (the server is down or answers 4xx),
    /// or failed for good (5xx, or the letter can no longer be written).
    pub async fn send(&self, m: &ClaimedMessage, now_ms: i64) -> Sent {
        let started = Instant::now();
        let outcome = self.try_send(m, now_ms).await;
        let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let (verdict, error) = match outcome {
            Ok(()) => (Verdict::Delivered, None),
            Err(MailError::Transient(e)) => (Verdict::Retry { after: None }, Some(e)),
            Err(MailError::Permanent(e)) => (Verdict::Failed, Some(e)),
        };
        Sent {
            attempt: Attempt {
                at_ms: now_ms,
                status: None,
                latency_ms,
                error: error.map(|e| excerpt(&e)),
            },
            verdict,
        }
    }

    async fn try_send(&self, m: &ClaimedMessage, now_ms: i64) -> Result<(), MailError> {
        let body: NoticeBody = serde_json::from_str(&m.body)
            .map_err(|_| MailError::Permanent("the notice's record is unreadable".into()))?;
        let n = &body.notice;
        let key = Written {
            customer: m.customer,
            event_id: body.event_id,
            sequence: body.sequence,
            change: serde_json::to_string(&n.change).unwrap_or_default(),
            english: n.english,
            sms: n.sms,
        };
        // A large meeting's letters are written per recipient (each calendar lists only its
        // own); that is learnt from the first of its change's letters.
        let large = matches!(self.drafts.get(&key), Some(Draft::Large));
        let draft = match self.drafts.get(&key).filter(|_| !large) {
            Some(d) => d,
            None => {
                let (d, is_large) = self.write(m, &body, &n.to, now_ms).await?;
                if is_large {
                    self.drafts.insert(key, Draft::Large);
                } else {
                    self.drafts.insert(key, d.clone());
                }
                d
            }
        };
        match draft {
            Draft::Text(template, text) => {
                let lang = if n.english { "en" } else { "zh-CN" };
                self.post_text(m, template, &text, lang, &n.to, now_ms)
                    .await
            }
            Draft::Large => Err(MailError::Transient("the letter was not written".into())),
            Draft::Letter(letter) => {
                let Some(mailer) = &self.mailer else {
                    return Err(MailError::Permanent(
                        "no smtp_url is configured any more".into(),
                    ));
                };
                let address = n.to.parse().map_err(|_| {
                    MailError::Permanent("the address is not an email address".into())
                })?;
                let mut l = *letter;
                l.to = Mailbox::new(Some(n.to_name.clone()).filter(|s| !s.is_empty()), address);
                mailer.send(&l).await
            }
        }
    }

    /// Writes what the notices of one change say, from the booking as it now stands, and
    /// whether the meeting is large: then the calendar lists only `recipient`, and the draft is
    /// that recipient's alone.
    async fn write(
        &self,
        m: &ClaimedMessage,
        body: &NoticeBody,
        recipient: &str,
        now_ms: i64,
    ) -> Result<(Draft, bool), MailError> {
        let permanent = |what: &str| MailError::Permanent(what.to_owned());
        let transient = |e: &dyn std::fmt::Display| MailError::Transient(e.to_string());
        let store = &self.app.store;
        let b = store
            .booking_by_event(m.customer, body.event_id)
            .await
            .map_err(|e| transient(&e))?
            .ok_or_else(|| permanent("the meeting no longer exists"))?;
        let host = store
            .user(m.customer, b.host)
            .await
            .map_err(|e| transient(&e))?
            .ok_or_else(|| permanent("the meeting's host no longer exists"))?;
        let numbers = self
            .app
            .rooms
            .room_access(m.customer)
            .await
            .map_err(|e| MailError::Transient(e.message))?;
        let n = &body.notice;
        let (lang, numbers) = if n.english {
            (MailLang::En, numbers.en_us)
        } else {
            (MailLang::Zh, numbers.zh_cn)
        };
        let large = b.invitees.len() > LISTED_INVITEES;
        let about = About {
            booking: &b,
            attendee: large.then_some(recipient),
            host: &host,
            change: match n.change {
                NoticeChange::Request => Change::Request,
                NoticeChange::Cancel => Change::Cancel,
                NoticeChange::RequestOccurrence { ori_start } => {
                    Change::RequestOccurrence { ori_start }
                }
                NoticeChange::CancelOccurrence { ori_start } => {
                    Change::CancelOccurrence { ori_start }
                }
            },
            sequence: body.sequence,
            public_url: &self.app.config.public_url,
            numbers: &numbers,
            now: now_ms / 1000,
        };
        if n.sms {
            let (template, text) = text(&about, lang);
            return Ok((Draft::Text(template, text), false));
        }
        // The draft's `to` is replaced by each recipient's.
        let to = Mailbox::new(
            None,
            "draft@huiyi.invalid"
                .parse()
                .map_err(|_| MailError::Permanent("cannot write a letter".into()))?,
        );
        let l = letter(&about, to, lang)
            .map_err(|e| MailError::Permanent(format!("cannot write: {e}")))?;
        Ok((Draft::Letter(Box::new(l)), large))
    }

    /// Posts `{"to", "text", "template", "lang"}` to the SMS gateway, signed with the SMS
    /// secret as Standard Webhooks sign (`webhook-id`, `-timestamp`, `-signature`).
    async fn post_text(
        &self,
        m: &ClaimedMessage,
        template: &str,
        text: &str,
        lang: &str,
        to: &str,
        now_ms: i64,
    ) -> Result<(), MailError> {
        let Some(url) = &self.app.config.sms_webhook_url else {
            return Err(MailError::Permanent(
                "no sms_webhook_url is configured any more".into(),
            ));
        };
        let payload = serde_json::json!({
            "to": to,
            "text": text,
            "template": template,
            "lang": lang,
        })
        .to_string();
        let timestamp = now_ms.div_euclid(1000);
        let signature = signature_header(&m.signing, &m.msg_id, timestamp, payload.as_bytes())
            .ok_or_else(|| MailError::Permanent("the SMS secret is not a whsec_ secret".into()))?;
        let answer = self
            .gateway
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(ID_HEADER, m.msg_id.as_str())
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, signature)
            .body(payload)
            .send()
            .await
            // The gateway's URL may hold a token: it stays out of the log.
            .map_err(|e| MailError::Transient(e.without_url().to_string()))?;
        let status = answer.status();
        if status.is_success() {
            Ok(())
        } else if status.is_client_error()
            && status != reqwest::StatusCode::TOO_MANY_REQUESTS
            && status != reqwest::StatusCode::REQUEST_TIMEOUT
        {
            Err(MailError::Permanent(format!(
                "the SMS gateway answered {status}"
            )))
        } else {
            Err(MailError::Transient(format!(
                "the SMS gateway answered {status}"
            )))
        }
    }
}
