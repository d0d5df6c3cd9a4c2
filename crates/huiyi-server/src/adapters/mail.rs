//! Email out: letters through the configured SMTP server, with lettre over rustls on ring (no
//! OpenSSL, no aws-lc). A letter is HTML and plain text in one `multipart/alternative`, with its
//! calendar both as the `text/calendar; method=…` alternative that calendar clients act on and
//! as an `invite.ics` attachment for those that only offer attachments.

use crate::config::Config;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use std::time::Duration;

/// How long one SMTP conversation may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);
/// The sender when `mail_from` is not set.
const DEFAULT_FROM: &str = "huiyi <huiyi@localhost>";

/// One email to send.
#[derive(Debug, Clone)]
pub struct Letter {
    pub to: Mailbox,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The iCalendar object, and the iTIP method it carries ("REQUEST", "CANCEL").
    pub ics: String,
    pub method: &'static str,
}

/// Why a letter was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// Worth trying again later: the server is unreachable, timed out, or answered 4xx.
    #[error("{0}")]
    Transient(String),
    /// Will never go: the server refused it for good (5xx), or the letter cannot be built.
    #[error("{0}")]
    Permanent(String),
}

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transport holds the credentials: never printed.
        f.debug_struct("Mailer")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// The mailer the configuration asks for; `None` without `smtp_url` (email is skipped).
    pub fn from_config(c: &Config) -> anyhow::Result<Option<Self>> {
        let Some(url) = &c.smtp_url else {
            return Ok(None);
        };
        // The URL may hold a password: its parse error is not repeated.
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
            .map_err(|_| {
                anyhow::anyhow!(
                    "smtp_url is not an SMTP URL: use smtp://host:port, \
                     smtp://host:port?tls=required or smtps://host:port"
                )
            })?
            .timeout(Some(SMTP_TIMEOUT));
        if let Some(user) = &c.smtp_user {
            let password = c
                .smtp_password
                .as_ref()
                .map(|p| p.expose_secret().to_owned())
                .unwrap_or_default();
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        let from_text = c.mail_from.as_deref().unwrap_or(DEFAULT_FROM);
        let from: Mailbox = from_text.parse().map_err(|e| {
            anyhow::anyhow!("mail_from {from_text:?} is not a mailbox (Name <addr@host>): {e}")
        })?;
        Ok(Some(Self {
            transport: builder.build(),
            from,
        }))
    }

    /// The letter as a MIME message from the configured sender.
    pub fn compose(&self, l: &Letter) -> Result<Message, MailError> {
        let bad = |e: &dyn std::fmt::Display| MailError::Permanent(format!("cannot build: {e}"));
        let calendar = ContentType::parse(&format!(
            "text/calendar; method={}; charset=utf-8",
            l.method
        ))
        .map_err(|e| bad(&e))?;
        let ics_file = ContentType::parse("application/ics").map_err(|e| bad(&e))?;
        let body = MultiPart::mixed()
            .multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::plain(l.text.clone()))
                    .singlepart(SinglePart::html(l.html.clone()))
                    .singlepart(SinglePart::builder().header(calendar).body(l.ics.clone())),
            )
            .singlepart(Attachment::new("invite.ics".to_owned()).body(l.ics.clone(), ics_file));
        Message::builder()
            .from(self.from.clone())
            .to(l.to.clone())
            .subject(l.subject.clone())
            .multipart(body)
            .map_err(|e| bad(&e))
    }

    pub async fn send(&self, l: &Letter) -> Result<(), MailError> {
        let message = self.compose(l)?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(MailError::Permanent(e.to_string())),
            Err(e) => Err(MailError::Transient(e.to_string())),
        }
    }
}
