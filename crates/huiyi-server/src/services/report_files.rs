//! The report as files: an XLSX workbook with one sheet per section (Chinese headers, English
//! beneath them), and the attendees as CSV (UTF-8 with a BOM, so spreadsheet programs read the
//! Chinese names; cells that a spreadsheet would run as a formula are neutralised).

use huiyi_wire::answers::ReportAnswer;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// One cell of a section.
enum Cell {
    Text(String),
    Number(i64),
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Number(n) => n.to_string(),
        }
    }
}

fn t(s: &str) -> Cell {
    Cell::Text(s.to_owned())
}

/// A section: its sheet name, its columns as (Chinese, English), and its rows.
struct Section {
    name: &'static str,
    columns: &'static [(&'static str, &'static str)],
    rows: Vec<Vec<Cell>>,
}

const PERSON_COLUMNS: &[(&str, &str)] = &[
    ("姓名", "Name"),
    ("分组", "Group"),
    ("手机", "Mobile"),
    ("邮箱", "Email"),
    ("角色", "Role"),
    ("入会时间", "Joined"),
    ("离会时间", "Left"),
    ("参会时长", "Time in meeting"),
    ("终端类型", "Client"),
    ("接入方式", "Access"),
    ("IP/电话", "IP or phone"),
    ("电话时长", "Phone time"),
    ("网络语音时长", "VoIP time"),
];

fn person_row(a: &huiyi_wire::answers::ReportAttendee) -> Vec<Cell> {
    vec![
        t(&a.name),
        t(&a.group_name),
        t(&a.mobile),
        t(&a.email),
        t(if a.role == 1 {
            "主持人 host"
        } else {
            "参会人 attendee"
        }),
        t(&a.join_time),
        t(&a.offline_time),
        t(&a.total_time),
        t(&a.client_type),
        t(&a.access_type),
        t(&a.ip),
        t(&a.phone_time),
        t(&a.voip_time),
    ]
}

fn sections(r: &ReportAnswer) -> Vec<Section> {
    let s = &r.summary;
    let calls = |list: &[huiyi_wire::answers::ReportRollCall]| -> Vec<Vec<Cell>> {
        let mut rows = Vec::new();
        for (i, c) in list.iter().enumerate() {
            for a in &c.answered {
                rows.push(vec![
                    Cell::Number(i as i64 + 1),
                    t(&c.create_time),
                    t(&a.name),
                    t(&a.mobile),
                    t(&a.email),
                    t(&a.answer_time),
                ]);
            }
        }
        rows
    };
    const CALL_COLUMNS: &[(&str, &str)] = &[
        ("第几次", "Roll-call"),
        ("发起时间", "Started"),
        ("姓名", "Name"),
        ("手机", "Mobile"),
        ("邮箱", "Email"),
        ("应答时间", "Answered"),
    ];
    vec![
        Section {
            name: "概要 Summary",
            columns: &[
                ("会议主题", "Title"),
                ("开始时间", "Started"),
                ("结束时间", "Ended"),
                ("参会人数", "Attendees"),
                ("邀请人数", "Invited"),
                ("受邀参会人数", "Invited who attended"),
                ("受邀出席率", "Attendance of invited"),
                ("点名次数", "Roll-calls"),
                ("视频点名次数", "Video roll-calls"),
                ("举手人数", "Raised hands"),
                ("举手比例", "Share who raised a hand"),
            ],
            rows: vec![vec![
                t(&s.conf_title),
                t(&s.start_time),
                t(&s.end_time),
                Cell::Number(s.total_count),
                Cell::Number(s.invite_count),
                Cell::Number(s.invite_attended_count),
                t(&s.attendee_percentage),
                Cell::Number(s.rollcall_num),
                Cell::Number(s.video_rollcall_num),
                Cell::Number(s.handsup_count),
                t(&s.handsup_percentage),
            ]],
        },
        Section {
            name: "参会人 Attendees",
            columns: PERSON_COLUMNS,
            rows: r.attendees.iter().map(person_row).collect(),
        },
        Section {
            name: "被邀请人 Invitees",
            columns: &[
                ("姓名", "Name"),
                ("手机", "Mobile"),
                ("邮箱", "Email"),
                ("是否参会", "Attended"),
                ("入会时间", "Joined"),
                ("离会时间", "Left"),
                ("参会时长", "Time in meeting"),
            ],
            rows: r
                .invitees
                .iter()
                .map(|i| {
                    vec![
                        t(&i.line.name),
                        t(&i.line.mobile),
                        t(&i.line.email),
                        t(if i.attend == 1 { "是 yes" } else { "否 no" }),
                        t(&i.line.join_time),
                        t(&i.line.offline_time),
                        t(&i.line.total_time),
                    ]
                })
                .collect(),
        },
        Section {
            name: "直播观众 Live viewers",
            columns: &[
                ("姓名", "Name"),
                ("手机", "Mobile"),
                ("进入时间", "Joined"),
                ("离开时间", "Left"),
                ("设备", "Device"),
                ("观看时长", "Time watched"),
                ("浏览器", "Browser"),
                ("IP", "IP"),
                ("城市", "City"),
            ],
            rows: r
                .live
                .iter()
                .map(|v| {
                    vec![
                        t(&v.name),
                        t(&v.mobile),
                        t(&v.join_time),
                        t(&v.offline_time),
                        t(&v.device_type),
                        t(&v.total_time),
                        t(&v.browser_name),
                        t(&v.ip),
                        t(&v.city),
                    ]
                })
                .collect(),
        },
        Section {
            name: "点名 Roll-calls",
            columns: CALL_COLUMNS,
            rows: calls(&r.rollcall),
        },
        Section {
            name: "视频点名 Video roll-calls",
            columns: CALL_COLUMNS,
            rows: calls(&r.video_rollcall),
        },
        Section {
            name: "举手 Hands up",
            columns: &[
                ("姓名", "Name"),
                ("手机", "Mobile"),
                ("邮箱", "Email"),
                ("举手时间", "Raised"),
            ],
            rows: r
                .handsup
                .iter()
                .map(|h| vec![t(&h.name), t(&h.mobile), t(&h.email), t(&h.create_time)])
                .collect(),
        },
    ]
}

/// The report as an XLSX workbook.
pub fn xlsx(r: &ReportAnswer) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    for section in sections(r) {
        let sheet = book.add_worksheet();
        sheet.set_name(section.name)?;
        for (col, (zh, en)) in section.columns.iter().enumerate() {
            let col = col as u16;
            sheet.write_string_with_format(0, col, *zh, &bold)?;
            sheet.write_string_with_format(1, col, *en, &bold)?;
            sheet.set_column_width(col, 18)?;
        }
        for (i, row) in section.rows.iter().enumerate() {
            let row_no = i as u32 + 2;
            for (col, cell) in row.iter().enumerate() {
                match cell {
                    // Written as text, never as a formula, whatever it starts with.
                    Cell::Text(s) => sheet.write_string(row_no, col as u16, s)?,
                    Cell::Number(n) => sheet.write_number(row_no, col as u16, *n as f64)?,
                };
            }
        }
    }
    book.save_to_buffer()
}

/// A cell a spreadsheet would take for a formula (`= + - @`, or a tab or carriage return
/// before one) is prefixed with `'`, as OWASP advises against CSV injection.
fn neutralised(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_owned(),
    }
}

/// The attendees as CSV: UTF-8 with a BOM, a header row in Chinese and English.
pub fn csv(r: &ReportAnswer) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::from(*b"\xEF\xBB\xBF");
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(PERSON_COLUMNS.iter().map(|(zh, en)| format!("{zh} {en}")))?;
        for a in &r.attendees {
            w.write_record(person_row(a).iter().map(|c| neutralised(&c.text())))?;
        }
        w.flush()?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(neutralised("=1+1"), "'=1+1");
        assert_eq!(neutralised("+86 138"), "'+86 138");
        assert_eq!(neutralised("-x"), "'-x");
        assert_eq!(neutralised("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralised("张三"), "张三");
        assert_eq!(neutralised(""), "");
    }
}
