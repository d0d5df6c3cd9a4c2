//! One browser page in a meeting, over its WebSocket: who may come in (join window, lock,
//! watchword, login, tags, waiting room), and afterwards what they do, recorded as session
//! facts through [`super::Sessions`] like any media event. Nothing here counts anyone: the
//! facts do.

use crate::app::AppState;
use crate::error::ApiError;
use crate::services::{LinkError, LinkUse};
use axum::extract::ws::{Message, WebSocket};
use huiyi_domain::joining::LinkRole;
use huiyi_domain::session::{ClientType, EndReason, Participant, Role, SessionFold, Voice};
use huiyi_domain::{Booking, ConferenceId, Customer, Fact, User};
use huiyi_wire::Code;
use huiyi_wire::live::{ClientMessage, MeetingInfo, ServerMessage, You};
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

/// How long a new socket may take to say who it is.
const JOIN_WITHIN: Duration = Duration::from_secs(10);

/// How the page reached the meeting.
pub enum Entry {
    Link {
        code: String,
        token: Option<String>,
        wuid: Option<i64>,
    },
    Conference(String),
}

/// Why someone is not let in; `reason` is what the page localises.
struct Refusal {
    reason: &'static str,
    code: Code,
    msg: String,
}

impl Refusal {
    fn new(reason: &'static str, code: Code, msg: impl Into<String>) -> Self {
        Refusal {
            reason,
            code,
            msg: msg.into(),
        }
    }

    fn from_api(e: ApiError) -> Self {
        let reason = if e.code == Code::NotJoinable {
            "window"
        } else {
            "invalid"
        };
        Refusal::new(reason, e.code, e.message)
    }
}

/// The meeting and who the page is, once resolved.
struct Seat {
    view: Booking,
    customer: Customer,
    role: Role,
    user: Option<User>,
}

pub async fn run(app: AppState, entry: Entry, address: String, socket: WebSocket) {
    crate::metrics::live_socket_opened();
    serve_page(app, entry, address, socket).await;
    crate::metrics::live_socket_closed();
}

async fn serve_page(app: AppState, entry: Entry, address: String, mut socket: WebSocket) {
    let join = match tokio::time::timeout(JOIN_WITHIN, next_message(&mut socket)).await {
        Ok(Some(ClientMessage::Join {
            name,
            client_id,
            pcode,
            watchword,
            tag,
        })) => (name, client_id, pcode, watchword, tag),
        _ => {
            refuse(
                &mut socket,
                Refusal::new(
                    "invalid",
                    Code::InvalidParameter,
                    "send {\"type\":\"join\",\"name\":…} first",
                ),
            )
            .await;
            return;
        }
    };
    let (name, client_id, pcode, watchword, tag) = join;
    let seat = match resolve(&app, &entry, pcode.as_deref()).await {
        Ok(seat) => seat,
        Err(r) => return refuse(&mut socket, r).await,
    };
    let advance = seat.customer.advance_hours;
    let now = app.clock.now();
    let (latest, fold) = match app.sessions.live_state(&seat.view).await {
        Ok(s) => s,
        Err(e) => return refuse(&mut socket, Refusal::from_api(e)).await,
    };
    let me = participant(&seat, &name, &client_id, &address, tag.as_deref());
    if let Err(r) = admissible(
        &seat,
        latest.as_ref(),
        &fold,
        &me,
        watchword.as_deref(),
        now,
    ) {
        return refuse(&mut socket, r).await;
    }
    let settings = &seat.view.details.settings;
    let waiting = seat.role == Role::Attendee && settings.use_waiting_room == Some(true);
    let key = (seat.view.event_id, seat.view.occurrence_key());
    // Subscribe before recording, so nothing that happens after our own fact is missed.
    let mut feed = app.sessions.hub().subscribe(key);
    let first = if waiting {
        Fact::ParticipantWaiting {
            participant: me.clone(),
        }
    } else {
        Fact::ParticipantJoined {
            participant: me.clone(),
        }
    };
    if let Err(e) = app
        .sessions
        .record_page(&seat.view, advance, vec![first])
        .await
    {
        return refuse(&mut socket, Refusal::from_api(e)).await;
    }
    // A page that sends nothing (not even its pings) for this long has gone: a closed laptop,
    // a lost network.
    let heartbeat = Duration::from_millis(app.config.heartbeat_ms);
    let you = You {
        id: me.id.clone(),
        name: me.name.clone(),
        role: me.role,
    };
    let mut admitted = !waiting;
    // What this page shows, folded on from the facts that follow: the page applies the
    // changes the fold computes, and has no rules of its own.
    let mut page: Option<Page> = None;
    let temp = if admitted {
        match snapshot(&app, &seat.view).await {
            Some((temp, shown)) => {
                page = Some(shown);
                temp
            }
            None => {
                // The join is recorded; without a greeting the page cannot stay, so it leaves.
                record_leave(&app, &seat, &me.id).await;
                return;
            }
        }
    } else {
        String::new()
    };
    let hello = ServerMessage::Joined {
        you,
        waiting,
        meeting: meeting_info(&seat.view, temp),
        state: page.as_ref().map(|p| p.fold.view()),
        ping_ms: app.config.heartbeat_ms / 3,
    };
    if send(&mut socket, &hello).await.is_err() {
        record_leave(&app, &seat, &me.id).await;
        return;
    }

    let mut last_heard = Instant::now();
    let gone = loop {
        let deadline = last_heard + heartbeat;
        tokio::select! {
            incoming = tokio::time::timeout_at(deadline, socket.recv()) => {
                let message = match incoming {
                    Err(_) => break Gone::Silent,
                    Ok(None) | Ok(Some(Err(_))) => break Gone::Closed,
                    Ok(Some(Ok(m))) => m,
                };
                last_heard = Instant::now();
                let text = match message {
                    Message::Text(t) => t,
                    Message::Close(_) => break Gone::Closed,
                    _ => continue,
                };
                let Ok(msg) = serde_json::from_str::<ClientMessage>(text.as_str()) else {
                    let _ = send(&mut socket, &ServerMessage::Error { msg: "unreadable message".into() }).await;
                    continue;
                };
                match act(&app, &seat, &me, admitted, msg).await {
                    Ok(Some(g)) => break g,
                    Ok(None) => {}
                    Err(msg) => {
                        let _ = send(&mut socket, &ServerMessage::Error { msg: msg.into() }).await;
                    }
                }
            }
            fact = feed.recv() => {
                let fact = match fact {
                    Ok(f) => f,
                    Err(RecvError::Lagged(_)) => {
                        // Fell behind: start over from the stored state.
                        if admitted && let Some((_, shown)) = snapshot(&app, &seat.view).await {
                            let state = shown.fold.view();
                            page = Some(shown);
                            let _ = send(&mut socket, &ServerMessage::Resync { state }).await;
                        }
                        continue;
                    }
                    Err(RecvError::Closed) => break Gone::Closed,
                };
                match &fact.fact {
                    Fact::ParticipantRemoved { participant_id } if *participant_id == me.id => {
                        let _ = send(&mut socket, &ServerMessage::Removed).await;
                        break Gone::Removed;
                    }
                    Fact::ParticipantAdmitted { participant_id } if *participant_id == me.id && !admitted => {
                        admitted = true;
                        if let Some((_, shown)) = snapshot(&app, &seat.view).await {
                            let state = shown.fold.view();
                            page = Some(shown);
                            let _ = send(&mut socket, &ServerMessage::Admitted { state }).await;
                        }
                        continue;
                    }
                    Fact::SessionEnded { reason: EndReason::Grace } if !admitted => {
                        // The session closed by itself around someone still waiting: wait on
                        // in the next one.
                        let again = Fact::ParticipantWaiting { participant: me.clone() };
                        let _ = app.sessions.record_page(&seat.view, advance, vec![again]).await;
                        continue;
                    }
                    Fact::SessionEnded { .. } if !admitted => {
                        let _ = send(&mut socket, &ServerMessage::Ended).await;
                        break Gone::Ended;
                    }
                    _ => {}
                }
                if admitted {
                    let ended = matches!(fact.fact, Fact::SessionEnded { .. });
                    let changes = match page.as_mut() {
                        Some(p) if p.session == fact.session_id => p.fold.changes_after(&fact.fact, fact.at_ms),
                        // Of a session before the page's: nothing the page shows.
                        Some(p) if fact.session_id < p.session => Vec::new(),
                        // Of a session the page has not seen: start over from the stored state,
                        // which holds this fact already.
                        _ => {
                            if let Some((_, shown)) = snapshot(&app, &seat.view).await {
                                let state = shown.fold.view();
                                page = Some(shown);
                                let _ = send(&mut socket, &ServerMessage::Resync { state }).await;
                            }
                            Vec::new()
                        }
                    };
                    if send(&mut socket, &ServerMessage::Fact { fact: fact.fact.clone(), changes }).await.is_err() {
                        break Gone::Closed;
                    }
                    if ended {
                        let _ = send(&mut socket, &ServerMessage::Ended).await;
                        break Gone::Ended;
                    }
                }
            }
        }
    };
    if matches!(gone, Gone::Closed | Gone::Silent) {
        record_leave(&app, &seat, &me.id).await;
    }
    let _ = socket.send(Message::Close(None)).await;
}

enum Gone {
    /// The socket closed (a closed tab) or failed.
    Closed,
    /// Nothing heard within the heartbeat (`heartbeat_ms`).
    Silent,
    /// They left on purpose (their `left` is recorded).
    Left,
    Removed,
    Ended,
}

/// Does what a message asks. `Ok(Some(_))` ends the connection; `Err` is told to the page.
async fn act(
    app: &AppState,
    seat: &Seat,
    me: &Participant,
    admitted: bool,
    msg: ClientMessage,
) -> Result<Option<Gone>, &'static str> {
    let host = seat.role == Role::Host;
    let fact = match msg {
        ClientMessage::Ping | ClientMessage::Join { .. } => return Ok(None),
        ClientMessage::Leave => {
            record_leave(app, seat, &me.id).await;
            return Ok(Some(Gone::Left));
        }
        _ if !admitted => return Err("you are waiting to be admitted"),
        ClientMessage::Hand { up } => {
            let participant_id = me.id.clone();
            if up {
                vec![Fact::HandRaised { participant_id }]
            } else {
                vec![Fact::HandLowered { participant_id }]
            }
        }
        ClientMessage::Answer { roll_call_id } => vec![Fact::RollCallAnswered {
            roll_call_id,
            participant_id: me.id.clone(),
            video: false,
        }],
        _ if !host => return Err("only the host may do that"),
        ClientMessage::Lock { locked: true } => vec![Fact::RoomLocked],
        ClientMessage::Lock { locked: false } => vec![Fact::RoomUnlocked],
        ClientMessage::Rollcall => vec![Fact::RollCallStarted {
            roll_call_id: format!("rc-{}", uuid::Uuid::new_v4().simple()),
            video: false,
        }],
        ClientMessage::Admit { participant_id } => {
            let state = app
                .sessions
                .live_state(&seat.view)
                .await
                .map_err(|_| "the meeting could not be read; try again")?
                .1
                .view();
            let Some(who) = state.waiting.iter().find(|p| p.id == participant_id) else {
                return Err("nobody with that id is waiting");
            };
            let participant = Participant {
                id: who.id.clone(),
                name: who.name.clone(),
                role: who.role,
                client: who.client,
                voice: who.voice,
                tag: who.tag.clone(),
                ..Default::default()
            };
            vec![
                Fact::ParticipantAdmitted { participant_id },
                Fact::ParticipantJoined { participant },
            ]
        }
        ClientMessage::Remove { participant_id } => {
            vec![Fact::ParticipantRemoved { participant_id }]
        }
        ClientMessage::End => vec![Fact::SessionEnded {
            reason: EndReason::Host,
        }],
    };
    app.sessions
        .record_page(&seat.view, seat.customer.advance_hours, fact)
        .await
        .map_err(|_| "that could not be recorded; try again")?;
    Ok(None)
}

/// Finds the meeting and the role the page joins with.
async fn resolve(app: &AppState, entry: &Entry, pcode: Option<&str>) -> Result<Seat, Refusal> {
    let now = app.clock.now();
    match entry {
        Entry::Link { code, token, wuid } => {
            let opened = app
                .joining
                .open_link(code, token.as_deref(), *wuid, now, LinkUse::Peek)
                .await
                .map_err(|e| {
                    let (reason, msg) = match e {
                        LinkError::Unknown => ("unknown", "there is no such link"),
                        LinkError::Expired => ("expired", "this link has expired"),
                        LinkError::UsedUp => ("usedup", "this link has been used up"),
                        LinkError::Cancelled => ("cancelled", "the meeting is cancelled"),
                        LinkError::Unavailable => {
                            return Refusal::new(
                                "invalid",
                                Code::Internal,
                                "the link could not be opened just now; try again",
                            );
                        }
                    };
                    Refusal::new(reason, Code::NotJoinable, msg)
                })?;
            let role = match opened.role {
                LinkRole::Host => Role::Host,
                LinkRole::Attendee => Role::Attendee,
                LinkRole::Wcall => {
                    return Err(Refusal::new(
                        "invalid",
                        Code::InvalidParameter,
                        "a dial-in link cannot join from the browser",
                    ));
                }
            };
            Ok(Seat {
                view: opened.booking,
                customer: opened.customer,
                role,
                user: opened.user,
            })
        }
        Entry::Conference(id) => {
            let missing = || {
                Refusal::new(
                    "invalid",
                    Code::ConferenceNotFound,
                    format!("conference {id} does not exist"),
                )
            };
            let cid = ConferenceId::parse(id).map_err(|_| missing())?;
            let (meeting, customer) = app
                .meetings
                .anywhere(&cid, now)
                .await
                .map_err(Refusal::from_api)?
                .ok_or_else(missing)?;
            let view = meeting.view;
            let typed = pcode.map(str::trim).unwrap_or_default();
            let role = if typed == view.pcode1.as_str() {
                Role::Host
            } else if typed == view.pcode2.as_str() {
                Role::Attendee
            } else {
                return Err(Refusal::new(
                    "pcode",
                    Code::InvalidParameter,
                    "the passcode is not this meeting's",
                ));
            };
            Ok(Seat {
                view,
                customer,
                role,
                user: None,
            })
        }
    }
}

/// The join settings and the meeting's state, checked in the order a person would want to hear
/// about them.
fn admissible(
    seat: &Seat,
    latest: Option<&huiyi_domain::SessionState>,
    fold: &SessionFold,
    me: &Participant,
    watchword: Option<&str>,
    now: i64,
) -> Result<(), Refusal> {
    let meeting = seat.view.meeting(seat.customer.advance_hours);
    let refused = |reason, msg: &str| Err(Refusal::new(reason, Code::NotJoinable, msg));
    if meeting.cancelled {
        return refused("cancelled", "the meeting is cancelled");
    }
    let open = latest.is_some_and(|s| s.is_open());
    if !open && !meeting.may_open(now) {
        return refused(
            "window",
            "joining is closed: it opens advanceHours before the start and closes 12 hours after the booked end",
        );
    }
    if fold.was_removed(&me.id) {
        return refused("removed", "the host removed you from this meeting");
    }
    if seat.role == Role::Host {
        return Ok(());
    }
    if open && latest.is_some_and(|s| s.locked) && !fold.is_present(&me.id) {
        return refused("locked", "the host has locked the meeting");
    }
    let s = &seat.view.details.settings;
    if s.open_watchword == Some(true) {
        let expected = s.event_watchword.as_deref().unwrap_or("").trim();
        if watchword.map(str::trim) != Some(expected) {
            return refused("watchword", "type the meeting's watchword");
        }
    }
    if s.join_login == Some(true) && seat.user.is_none() {
        return refused(
            "login",
            "this meeting admits known users only: join through your personal link",
        );
    }
    if s.join_conf_sel_tag == Some(true) {
        let tags: Vec<&str> = s
            .join_conf_tags
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        if !tags.contains(&me.tag.as_str()) {
            return refused("tag", "pick one of the meeting's tags");
        }
    }
    Ok(())
}

fn participant(
    seat: &Seat,
    name: &str,
    client_id: &str,
    address: &str,
    tag: Option<&str>,
) -> Participant {
    let client_id: String = client_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(64)
        .collect();
    let id = if client_id.len() >= 8 {
        format!("w-{client_id}")
    } else {
        format!("w-{}", uuid::Uuid::new_v4().simple())
    };
    let typed: String = name
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(huiyi_domain::session::MAX_NAME_CHARS)
        .collect();
    let name = match (&seat.user, typed.is_empty()) {
        (Some(u), true) => u.display_name(),
        (_, true) => match seat.role {
            Role::Host => "主持人".to_owned(),
            Role::Attendee => "参会人".to_owned(),
        },
        (_, false) => typed,
    };
    Participant {
        id,
        user_id: seat.user.as_ref().map(|u| u.user_id.get()),
        name,
        email: seat
            .user
            .as_ref()
            .map(|u| u.email.clone())
            .unwrap_or_default(),
        mobile: seat
            .user
            .as_ref()
            .map(|u| u.mobile.clone())
            .unwrap_or_default(),
        role: seat.role,
        client: ClientType::Web,
        voice: Voice::Network,
        address: address.to_owned(),
        tag: tag.unwrap_or("").trim().to_owned(),
    }
}

/// The session a page shows and the fold of its facts so far.
struct Page {
    /// 0 before the meeting has had a session.
    session: i64,
    fold: SessionFold,
}

/// The latest session's tempConferenceId and what the page shows of it.
async fn snapshot(app: &AppState, view: &Booking) -> Option<(String, Page)> {
    let (session, fold) = app.sessions.live_state(view).await.ok()?;
    let temp = session
        .as_ref()
        .map(|s| s.temp_conference_id.as_str().to_owned())
        .unwrap_or_default();
    let session = session.map_or(0, |s| s.id);
    Some((temp, Page { session, fold }))
}

fn meeting_info(view: &Booking, temp_conference_id: String) -> MeetingInfo {
    MeetingInfo {
        conference_id: view.conference_id.as_str().to_owned(),
        title: view.title.clone(),
        temp_conference_id,
    }
}

async fn record_leave(app: &AppState, seat: &Seat, id: &str) {
    let left = Fact::ParticipantLeft {
        participant_id: id.to_owned(),
    };
    if let Err(e) = app
        .sessions
        .record_page(&seat.view, seat.customer.advance_hours, vec![left])
        .await
    {
        tracing::warn!(code = e.code.number(), msg = %e.message, "a page's leave was not recorded");
    }
}

async fn next_message(socket: &mut WebSocket) -> Option<ClientMessage> {
    loop {
        match socket.recv().await? {
            Ok(Message::Text(t)) => return serde_json::from_str(t.as_str()).ok(),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
}

async fn send(socket: &mut WebSocket, m: &ServerMessage) -> Result<(), axum::Error> {
    socket.send(Message::Text(m.to_text().into())).await
}

async fn refuse(socket: &mut WebSocket, r: Refusal) {
    let _ = send(
        socket,
        &ServerMessage::Refused {
            reason: r.reason.to_owned(),
            code: r.code.number(),
            msg: r.msg,
        },
    )
    .await;
    let _ = socket.send(Message::Close(None)).await;
}
