//! Every word the pages show, in zh-CN (the default) and English. The join page's script gets
//! the whole table, so the language toggle works without a reload (a reload would spend a
//! secure link's use).

use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// `en`, `en-US`, `zh`, `zh-CN`, … (case-insensitive); anything else is no choice.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase();
        if s == "en" || s.starts_with("en-") || s.starts_with("en_") {
            Some(Lang::En)
        } else if s == "zh" || s == "cn" || s.starts_with("zh-") || s.starts_with("zh_") {
            Some(Lang::Zh)
        } else {
            None
        }
    }

    /// The `lang` attribute of the page.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The value of `?lang=` and of the `huiyi_lang` cookie.
    pub fn param(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Self {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// The text for `key`; an unknown key shows itself (the tests keep that from happening).
    pub fn t(self, key: &str) -> &str {
        match TEXTS.iter().find(|(k, _, _)| *k == key) {
            Some((_, zh, en)) => match self {
                Lang::Zh => zh,
                Lang::En => en,
            },
            None => key,
        }
    }
}

/// `{"zh": {key: text}, "en": {key: text}}` for the page's script.
pub fn table() -> Value {
    let (mut zh, mut en) = (Map::new(), Map::new());
    for (k, z, e) in TEXTS {
        zh.insert((*k).to_owned(), Value::from(*z));
        en.insert((*k).to_owned(), Value::from(*e));
    }
    serde_json::json!({"zh": zh, "en": en})
}

/// `{name}` placeholders are filled in by the script.
const TEXTS: &[(&str, &str, &str)] = &[
    ("lang.other", "English", "中文"),
    ("meeting.time", "时间", "Time"),
    ("meeting.id", "会议号", "Meeting ID"),
    (
        "landing.asHost",
        "你将以主持人身份加入。",
        "You join as the host.",
    ),
    ("landing.joinInBrowser", "在浏览器中加入", "Join in browser"),
    (
        "landing.browserNote",
        "无需安装任何软件：参会名单、举手和点名都在浏览器中进行。",
        "Nothing to install: the participant list, hands and roll-calls work in the browser.",
    ),
    ("dialin.numbers", "拨入号码", "Dial-in numbers"),
    (
        "dialin.none",
        "尚未配置拨入号码，请联系会议组织者。",
        "No dial-in numbers are set up; ask the organiser.",
    ),
    ("dialin.passcode", "会议密码", "Passcode"),
    (
        "dialin.howto",
        "拨打上面任一号码，听到提示后输入会议密码并按 # 键。",
        "Call one of the numbers above and, when asked, type the passcode followed by #.",
    ),
    (
        "error.unknown.title",
        "链接无效",
        "This link does not exist",
    ),
    (
        "error.unknown.detail",
        "找不到这个会议链接，请检查链接是否完整。",
        "No meeting has this link; check that the whole link was copied.",
    ),
    ("error.expired.title", "链接已过期", "This link has expired"),
    (
        "error.expired.detail",
        "这个安全链接已过期，请向会议组织者索取新的链接。",
        "This secure link has expired; ask the organiser for a new one.",
    ),
    (
        "error.usedUp.title",
        "链接已失效",
        "This link has been used up",
    ),
    (
        "error.usedUp.detail",
        "这个安全链接的使用次数已用完，请向会议组织者索取新的链接。",
        "This secure link has been used as often as it may be; ask the organiser for a new one.",
    ),
    (
        "error.cancelled.title",
        "会议已取消",
        "The meeting was cancelled",
    ),
    (
        "error.cancelled.detail",
        "组织者已取消这个会议。",
        "The organiser cancelled this meeting.",
    ),
    ("error.noMeeting.title", "会议不存在", "No such meeting"),
    (
        "error.noRoom.title",
        "无法打开会议室面板",
        "This room panel cannot be opened",
    ),
    (
        "error.noRoom.detail",
        "会议室不存在或面板密钥不正确，请向管理员索取新的面板链接。",
        "There is no such room, or the panel key is wrong; ask the administrator for a new panel link.",
    ),
    ("panel.free", "空闲", "Free"),
    ("panel.busy", "使用中", "In use"),
    ("panel.freeUntil", "空闲至 {time}", "Free until {time}"),
    (
        "panel.freeAllDay",
        "今天余下时间均空闲",
        "Free for the rest of the day",
    ),
    ("panel.busyUntil", "使用至 {time}", "In use until {time}"),
    ("panel.now", "当前会议", "Now"),
    ("panel.next", "下一场", "Next"),
    ("panel.today", "今日预订", "Today"),
    ("panel.nothing", "今天没有预订。", "No bookings today."),
    ("panel.host", "主持人", "Host"),
    ("panel.attendees", "在会人数", "In the meeting"),
    ("panel.floor", "{floor} 层", "Floor {floor}"),
    ("panel.capacity", "{n} 人", "{n} seats"),
    ("panel.status.1", "未开始", "Scheduled"),
    ("panel.status.2", "进行中", "In progress"),
    ("panel.status.18", "已锁定", "Locked"),
    ("panel.status.4", "已结束", "Ended"),
    ("panel.status.5", "已过期", "Expired"),
    ("panel.status.0", "已取消", "Cancelled"),
    (
        "error.noMeeting.detail",
        "没有这个会议号的会议，请检查会议号。",
        "No meeting has this number; check the meeting ID.",
    ),
    (
        "error.deleted.title",
        "录制已删除",
        "This recording was deleted",
    ),
    (
        "error.deleted.detail",
        "这场会议的录制文件已被删除，无法再观看或下载。会议报告仍可下载。",
        "The recording of this meeting has been deleted: it can no longer be watched or downloaded. The meeting report can still be downloaded.",
    ),
    ("replay.heading", "会议录制回放", "Meeting recording"),
    ("replay.started", "开始", "Started"),
    ("replay.ended", "结束", "Ended"),
    ("replay.download", "下载录制", "Download recording"),
    ("replay.report", "下载会议报告", "Download meeting report"),
    (
        "replay.noVideo",
        "你的浏览器无法播放这段录制，请下载后观看。",
        "Your browser cannot play this recording; download it to watch.",
    ),
    ("error.server.title", "服务器出错", "Something went wrong"),
    (
        "error.server.detail",
        "服务器暂时无法处理请求，请稍后再试。",
        "The server could not handle the request; try again in a moment.",
    ),
    (
        "join.as.host",
        "你将以主持人身份加入。",
        "You join as the host.",
    ),
    (
        "join.as.attendee",
        "你将以参会人身份加入。",
        "You join as an attendee.",
    ),
    ("form.name", "你的名字", "Your name"),
    ("form.namePlaceholder", "例如：张三", "e.g. Alex Chen"),
    ("form.pcode", "会议密码", "Passcode"),
    (
        "form.pcodeNote",
        "输入主持人密码以主持人身份加入，输入参会密码以参会人身份加入。",
        "The host passcode joins you as the host, the attendee passcode as an attendee.",
    ),
    ("form.watchword", "会议口令", "Watchword"),
    ("form.tag", "选择标签", "Choose a tag"),
    ("form.tagChoose", "请选择…", "Choose…"),
    (
        "form.waitingRoomNote",
        "本会议开启了等候室：加入后需等待主持人准入。",
        "This meeting has a waiting room: the host lets you in after you join.",
    ),
    (
        "form.loginNote",
        "本会议仅限受邀用户通过个人链接加入。",
        "Only invited users may join, through their personal link.",
    ),
    ("form.join", "加入会议", "Join"),
    ("form.nameRequired", "请输入你的名字。", "Type your name."),
    (
        "form.pcodeRequired",
        "请输入会议密码。",
        "Type the passcode.",
    ),
    ("form.tagRequired", "请选择一个标签。", "Choose a tag."),
    (
        "waiting.title",
        "等待主持人准入",
        "Waiting for the host to admit you",
    ),
    (
        "waiting.detail",
        "主持人准入后你会自动进入会议，请不要关闭此页面。",
        "You are let in as soon as the host admits you; keep this page open.",
    ),
    ("live.connecting", "正在连接…", "Connecting…"),
    ("live.joined", "你已加入会议", "You are in the meeting"),
    (
        "live.waiting",
        "等待主持人准入…",
        "Waiting for the host to admit you…",
    ),
    (
        "live.reconnecting",
        "连接中断，正在重新连接…",
        "Connection lost; reconnecting…",
    ),
    (
        "live.lost",
        "与服务器的连接已断开，请重新加入。",
        "The connection to the server was lost; join again.",
    ),
    ("live.ended", "会议已结束", "The meeting has ended"),
    ("live.left", "你已离开会议。", "You left the meeting."),
    ("live.rejoin", "重新加入", "Join again"),
    ("live.leave", "离开会议", "Leave"),
    ("live.raiseHand", "举手", "Raise hand"),
    ("live.lowerHand", "放下手", "Lower hand"),
    ("live.handUp", "举手中", "Hand raised"),
    (
        "live.locked",
        "会议已锁定，新的参会人无法加入。",
        "The meeting is locked: nobody new can join.",
    ),
    ("live.participants", "参会人", "Participants"),
    ("live.noName", "未命名", "(no name)"),
    ("live.you", "我", "You"),
    ("live.phone", "电话", "Phone"),
    (
        "live.error",
        "操作未完成：{msg}",
        "That did not work: {msg}",
    ),
    ("role.host", "主持人", "Host"),
    ("host.lock", "锁定会议", "Lock"),
    ("host.unlock", "解锁会议", "Unlock"),
    ("host.rollcall", "发起点名", "Start a roll-call"),
    ("host.end", "结束全体会议", "End for everyone"),
    ("host.endCancel", "取消", "Cancel"),
    ("host.endConfirm", "确认结束会议", "Yes, end the meeting"),
    ("host.waiting", "等候室", "Waiting room"),
    ("host.admit", "准入", "Admit"),
    ("host.remove", "移出", "Remove"),
    ("rollcall.title", "点名", "Roll-call"),
    (
        "rollcall.prompt",
        "主持人正在点名，请应答。",
        "The host is taking a roll-call: answer it.",
    ),
    ("rollcall.answer", "到", "Here"),
    ("rollcall.done", "你已应答。", "You answered."),
    ("rollcall.here", "到", "Here"),
    (
        "rollcall.count",
        "已应答 {answered}/{total}",
        "Answered {answered}/{total}",
    ),
    (
        "refused.window",
        "现在不能加入：会议尚未开放，或已结束太久。",
        "You cannot join now: joining has not opened yet, or it closed after the meeting.",
    ),
    (
        "refused.locked",
        "主持人已锁定会议，暂时无法加入。",
        "The host has locked the meeting; nobody new can join.",
    ),
    (
        "refused.watchword",
        "会议口令不正确。",
        "The watchword is not right.",
    ),
    (
        "refused.login",
        "本会议仅限受邀用户，请通过你的个人链接加入。",
        "This meeting admits invited users only; join through your personal link.",
    ),
    (
        "refused.tag",
        "请选择一个有效的标签。",
        "Choose one of the meeting's tags.",
    ),
    (
        "refused.cancelled",
        "会议已取消。",
        "The meeting was cancelled.",
    ),
    (
        "refused.removed",
        "你已被主持人移出会议。",
        "The host removed you from the meeting.",
    ),
    (
        "refused.pcode",
        "会议密码不正确。",
        "That passcode is not this meeting's.",
    ),
    ("refused.ended", "会议已结束。", "The meeting has ended."),
    // Link problems found when the socket opens, should the server name them.
    (
        "refused.expired",
        "链接已过期，请向会议组织者索取新的链接。",
        "This link has expired; ask the organiser for a new one.",
    ),
    (
        "refused.usedup",
        "链接的使用次数已用完，请向会议组织者索取新的链接。",
        "This link has been used up; ask the organiser for a new one.",
    ),
    (
        "refused.unknown",
        "找不到这个会议链接，请检查链接是否完整。",
        "No meeting has this link; check that the whole link was copied.",
    ),
    (
        "refused.invalid",
        "无法加入：{msg}",
        "You cannot join: {msg}",
    ),
    ("refused.other", "无法加入：{msg}", "You cannot join: {msg}"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_key_is_unique_and_has_both_languages() {
        let mut seen = HashSet::new();
        for (k, zh, en) in TEXTS {
            assert!(seen.insert(*k), "{k} twice");
            assert!(!zh.is_empty() && !en.is_empty(), "{k}");
        }
    }

    /// Keys named in the templates (`t("…")`, `data-i18n="…"`) and in the script (`t('…')`,
    /// `'refused.' + reason`) all exist, so no page ever shows a bare key.
    #[test]
    fn every_key_the_pages_use_exists() {
        let sources = [
            include_str!("../../../templates/base.html"),
            include_str!("../../../templates/error.html"),
            include_str!("../../../templates/landing.html"),
            include_str!("../../../templates/meeting_facts.html"),
            include_str!("../../../templates/dialin.html"),
            include_str!("../../../templates/join.html"),
            include_str!("../../../templates/panel.html"),
        ];
        let mut used = Vec::new();
        // In the script every quoted `word.word` that is not a fact type is a text key.
        let facts = [
            "participant.joined",
            "participant.waiting",
            "participant.left",
            "participant.removed",
            "participant.admitted",
            "voice.switched",
            "hand.raised",
            "hand.lowered",
            "rollcall.started",
            "rollcall.answered",
            "room.locked",
            "room.unlocked",
            "session.ended",
            "huiyi.name",
            "huiyi.lang",
            "huiyi.clientId",
        ];
        let script = include_str!("../../../static/live.js");
        let quoted = script
            .lines()
            .flat_map(|line| line.split('\'').skip(1).step_by(2));
        for piece in quoted {
            let looks_like_key =
                piece.contains('.') && piece.chars().all(|c| c.is_ascii_alphanumeric() || c == '.');
            if looks_like_key && !facts.contains(&piece) && !piece.ends_with('.') {
                used.push(piece.to_owned());
            }
        }
        for src in sources {
            for opener in ["t(\"", "data-i18n=\"", "data-i18n-placeholder=\""] {
                for piece in src.split(opener).skip(1) {
                    let key: String = piece
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
                        .collect();
                    if key.contains('.') {
                        used.push(key);
                    }
                }
            }
        }
        used.extend(
            [
                "window",
                "locked",
                "watchword",
                "login",
                "tag",
                "cancelled",
                "removed",
                "pcode",
                "ended",
                "invalid",
                "expired",
                "usedup",
                "unknown",
            ]
            .map(|r| format!("refused.{r}")),
        );
        assert!(used.len() > 40, "found only {used:?}");
        for key in used {
            assert!(TEXTS.iter().any(|(k, _, _)| *k == key), "no text for {key}");
        }
    }

    #[test]
    fn languages_parse_leniently() {
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(Lang::parse("en-US"), Some(Lang::En));
        assert_eq!(Lang::parse("zh-CN"), Some(Lang::Zh));
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::En.t("form.join"), "Join");
        assert_eq!(Lang::Zh.t("form.join"), "加入会议");
    }
}
