//! Requests about rooms, boxes and dial-in: `getPhoneAccessNum` (11) and `confBindBox` (13).

use crate::codes::WireError;
use crate::lenient::Fields;
use serde::{Deserialize, Serialize};

/// The most boxes one `confBindBox` binds.
pub const MAX_BOXES: usize = 20;

/// 11 `getPhoneAccessNum`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneAccessRequest {
    /// The caller's number as typed: a landline with area code, a mobile, or `+86…`.
    pub phone: String,
    /// 1: with no region found (or no number in it), answer the Beijing numbers.
    pub beijing_fallback: bool,
    /// 1: the customer's own (exclusive) numbers too, before the shared ones; 0: shared only.
    pub exclusive: bool,
    /// A booking's billing code: only numbers that booking's customer may use.
    pub billing_code: Option<String>,
}

impl PhoneAccessRequest {
    pub fn parse(f: &Fields) -> Result<Self, WireError> {
        let phone = f.nonempty("phone")?.ok_or_else(|| {
            WireError::invalid(
                "phone is required: the caller's number, e.g. \"010-59937429\" or \"13812345678\"",
            )
        })?;
        let flag = |key: &str| -> Result<bool, WireError> {
            match f.i64(key)? {
                None | Some(0) => Ok(false),
                Some(1) => Ok(true),
                Some(n) => Err(WireError::invalid(format!(
                    "{} must be 0 or 1; got {n}",
                    f.name(key)
                ))),
            }
        };
        Ok(Self {
            phone,
            beijing_fallback: flag("strategy")?,
            exclusive: flag("acFlag")?,
            billing_code: f.nonempty("billingCode")?.or(f.nonempty("billingcode")?),
        })
    }
}

/// One entry of `boxInfoList`, echoed back in the answer's lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BoxInfo {
    pub box_id: String,
    pub conference_room_id: i64,
    pub conference_room_phone: String,
}

/// 13 `confBindBox`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindBoxRequest {
    pub conference_id: String,
    /// Empty: unbind every box.
    pub boxes: Vec<BoxInfo>,
}

impl BindBoxRequest {
    pub fn parse(f: &Fields) -> Result<Self, WireError> {
        let conference_id = f
            .nonempty("conferenceId")?
            .ok_or_else(|| WireError::invalid("conferenceId is required"))?;
        let list = f.objects("boxInfoList")?.ok_or_else(|| {
            WireError::invalid(
                "boxInfoList is required: the boxes to bind, or [] to unbind every box",
            )
        })?;
        if list.len() > MAX_BOXES {
            return Err(WireError::invalid(format!(
                "boxInfoList holds {} boxes; send at most {MAX_BOXES} per request",
                list.len()
            )));
        }
        let mut boxes: Vec<BoxInfo> = Vec::with_capacity(list.len());
        for b in &list {
            let box_id = b
                .nonempty("boxId")?
                .ok_or_else(|| WireError::invalid(format!("{} is required", b.name("boxId"))))?;
            if boxes.iter().any(|x| x.box_id == box_id) {
                return Err(WireError::invalid(format!(
                    "{} repeats box {box_id}; name each box once",
                    b.name("boxId")
                )));
            }
            boxes.push(BoxInfo {
                box_id,
                conference_room_id: b.i64("conferenceRoomId")?.unwrap_or(0),
                conference_room_phone: b.str("conferenceRoomPhone")?.unwrap_or_default(),
            });
        }
        Ok(Self {
            conference_id,
            boxes,
        })
    }
}
