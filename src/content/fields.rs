//! Values staff type in front matter, item.toml and poll files: dates and
//! times in the forms they write, and addresses for phones to open.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};

/// Longest address a QR code carries: at level M and 4 px modules that is
/// still a code an SD screen shows whole (version 10, 57 modules).
pub const MAX_QR_ADDRESS: usize = 200;

/// An address for phones to open (`qr = …` in item.toml or front matter):
/// http or https, printable ASCII, short enough for a code on SD.
pub(crate) fn qr_address(text: &str) -> Option<String> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let scheme = lower.starts_with("https://") || lower.starts_with("http://");
    let printable = t.bytes().all(|b| b.is_ascii_graphic());
    (scheme && printable && t.len() <= MAX_QR_ADDRESS && t.len() > 8).then(|| t.to_string())
}

/// Accepts TOML dates and datetimes and the strings staff type for them.
pub(crate) fn to_datetime(value: &toml::Value, zone: FixedOffset) -> Option<DateTime<FixedOffset>> {
    let s = match value {
        toml::Value::Datetime(dt) => dt.to_string(),
        toml::Value::String(s) => s.trim().to_string(),
        _ => return None,
    };
    if let Ok(dt) = DateTime::parse_from_rfc3339(&s) {
        return Some(dt);
    }
    let naive = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y/%m/%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&s, f).ok())
        .or_else(|| {
            ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"]
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(&s, f).ok())
                .map(|d| d.and_time(NaiveTime::MIN))
        })?;
    zone.from_local_datetime(&naive).single()
}
