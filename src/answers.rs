//! What households send back (issue 20, in progress): the checks every
//! answer passes before anything is stored — a callback phone number, the
//! reference a request is given, a box's identity kept only as a salted
//! hash.

use anyhow::Result;
use chrono::{DateTime, Datelike, FixedOffset};
use rusqlite::{params, OptionalExtension};

use crate::clock::stamp;
use crate::store::Store;

/// A callback number as typed on the remote, normalised: a mainland mobile
/// (`1[3-9]` and 11 digits) or a landline with its area code (`0` and 2–3
/// digits, then 7–8 digits; a hyphen between is allowed). `None` otherwise.
pub fn phone(typed: &str) -> Option<String> {
    let t = typed.trim();
    if t.is_empty() || t.len() > 20 {
        return None;
    }
    let digits: String = t.chars().filter(|c| *c != '-' && *c != ' ').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let b = digits.as_bytes();
    if b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) {
        return Some(digits);
    }
    if b.first() == Some(&b'0') && (10..=12).contains(&b.len()) && b.get(1) != Some(&b'0') {
        // Area codes are 010, 02x (3 digits) or 0xxx (4 digits).
        let area = if b[1] == b'1' || b[1] == b'2' { 3 } else { 4 };
        let local = b.len() - area;
        if (7..=8).contains(&local) {
            return Some(format!("{}-{}", &digits[..area], &digits[area..]));
        }
    }
    None
}

/// A request's reference, short enough to read aloud on the phone:
/// the year and month, then the month's sequence number, `2612-0347`.
pub fn reference(year: i32, month: u32, sequence: u32) -> String {
    format!("{:02}{:02}-{:04}", year.rem_euclid(100), month, sequence % 10_000)
}

/// A box's identity as stored: a salted hash of what the box sent (its
/// middleware id or its `infotv_box` cookie), never the id itself.
pub fn box_key(salt: &str, sent: &str) -> String {
    let mut h = blake3::Hasher::new();
    h.update(salt.as_bytes());
    h.update(b"\0box\0");
    h.update(sent.trim().as_bytes());
    h.finalize().to_hex()[..32].to_string()
}

/// Requests one box may file a day.
pub const REQUESTS_A_DAY: i64 = 3;

/// What became of a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Filed {
    /// Stored, with its reference.
    Reference(String),
    /// The box filed its three today already.
    Limit,
}

impl Store {
    /// Records `box`'s answer to `poll` (one choice number per question),
    /// replacing any earlier one. Committed when this returns.
    pub fn answer_poll(&self, poll: &str, box_key: &str, choices: &[u8], now: DateTime<FixedOffset>) -> Result<()> {
        let text: Vec<String> = choices.iter().map(u8::to_string).collect();
        self.conn().execute(
            "INSERT OR REPLACE INTO poll_answers (poll, box, choices, at) VALUES (?1, ?2, ?3, ?4)",
            params![poll, box_key, text.join(","), stamp(now.to_utc())],
        )?;
        Ok(())
    }

    /// Per question, the count of each choice (1-based choices, `sizes`
    /// choices per question), and how many boxes answered.
    pub fn poll_counts(&self, poll: &str, sizes: &[usize]) -> Result<(Vec<Vec<u64>>, u64)> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT choices FROM poll_answers WHERE poll = ?1")?;
        let mut counts: Vec<Vec<u64>> = sizes.iter().map(|n| vec![0; *n]).collect();
        let mut boxes = 0;
        for row in stmt.query_map([poll], |r| r.get::<_, String>(0))? {
            boxes += 1;
            for (q, c) in row?.split(',').enumerate() {
                let Ok(c) = c.parse::<usize>() else { continue };
                if let Some(slot) = counts.get_mut(q).and_then(|v| v.get_mut(c.wrapping_sub(1))) {
                    *slot += 1;
                }
            }
        }
        Ok((counts, boxes))
    }

    /// Records `box`'s rating (1–5) of `item`, replacing any earlier one.
    pub fn rate(&self, item: &str, box_key: &str, level: u8, now: DateTime<FixedOffset>) -> Result<()> {
        self.conn().execute(
            "INSERT OR REPLACE INTO ratings (item, box, level, at) VALUES (?1, ?2, ?3, ?4)",
            params![item, box_key, level, stamp(now.to_utc())],
        )?;
        Ok(())
    }

    /// Files a request, unless the box filed its three today; the
    /// reference is the month's next number.
    pub fn file_request(
        &self,
        item: &str,
        category: &str,
        phone: &str,
        box_key: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<Filed> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let day = now.date_naive().to_string();
        let today: i64 =
            tx.query_row("SELECT count(*) FROM requests WHERE box = ?1 AND day = ?2", params![box_key, day], |r| {
                r.get(0)
            })?;
        if today >= REQUESTS_A_DAY {
            return Ok(Filed::Limit);
        }
        let prefix = reference(now.year(), now.month(), 0);
        let prefix = &prefix[..5];
        let last: Option<String> = tx
            .query_row(
                "SELECT reference FROM requests WHERE reference LIKE ?1 ORDER BY reference DESC LIMIT 1",
                [format!("{prefix}%")],
                |r| r.get(0),
            )
            .optional()?;
        let next = last.and_then(|r| r[5..].parse::<u32>().ok()).map_or(1, |n| n + 1);
        let reference = reference(now.year(), now.month(), next);
        tx.execute(
            "INSERT INTO requests (reference, at, day, item, category, phone, box, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'new')",
            params![reference, stamp(now.to_utc()), day, item, category, phone, box_key],
        )?;
        tx.commit()?;
        Ok(Filed::Reference(reference))
    }

    /// Forgets the callback numbers of requests older than `days`.
    pub fn forget_requests(&self, days: i64, now: DateTime<FixedOffset>) -> Result<usize> {
        let before = (now - chrono::Duration::days(days)).to_utc();
        Ok(self
            .conn()
            .execute("UPDATE requests SET phone = NULL WHERE at < ?1 AND phone IS NOT NULL", [stamp(before)])?)
    }
}

#[cfg(test)]
mod store_tests {
    use super::*;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn one_answer_per_box_and_three_requests_a_day() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let now = at("2026-12-01T10:00:00+08:00");
        store.answer_poll("p", "box-a", &[1, 2], now).unwrap();
        store.answer_poll("p", "box-a", &[3, 2], now).unwrap();
        store.answer_poll("p", "box-b", &[3, 1], now).unwrap();
        let (counts, boxes) = store.poll_counts("p", &[4, 2]).unwrap();
        assert_eq!((counts, boxes), (vec![vec![0, 0, 2, 0], vec![1, 1]], 2), "a later answer replaces the earlier");

        let refs: Vec<Filed> =
            (0..4).map(|_| store.file_request("i", "路灯不亮", "13881812345", "box-a", now).unwrap()).collect();
        assert_eq!(refs[0], Filed::Reference("2612-0001".into()));
        assert_eq!(refs[2], Filed::Reference("2612-0003".into()));
        assert_eq!(refs[3], Filed::Limit);
        assert_eq!(
            store.file_request("i", "路灯不亮", "13881812345", "box-b", now).unwrap(),
            Filed::Reference("2612-0004".into())
        );
        let tomorrow = at("2026-12-02T08:00:00+08:00");
        assert!(matches!(store.file_request("i", "x", "13881812345", "box-a", tomorrow).unwrap(), Filed::Reference(_)));
        assert_eq!(store.forget_requests(180, at("2027-06-30T00:00:00+08:00")).unwrap(), 5);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert_eq!(phone("13881812345").as_deref(), Some("13881812345"));
        assert_eq!(phone("138-8181-2345").as_deref(), Some("13881812345"));
        assert_eq!(phone("08188621234").as_deref(), Some("0818-8621234"));
        assert_eq!(phone("0818-8621234").as_deref(), Some("0818-8621234"));
        assert_eq!(phone("01012345678").as_deref(), Some("010-12345678"));
        assert_eq!(phone("028-86123456").as_deref(), Some("028-86123456"));
        for bad in [
            "",
            "abc",
            "12345",
            "12881812345",
            "1388181234",
            "138818123456",
            "0018-8621234",
            "0818-86212",
            "１３８８１８１２３４５",
        ] {
            assert_eq!(phone(bad), None, "{bad}");
        }
    }

    #[test]
    fn references_and_box_keys() {
        assert_eq!(reference(2026, 12, 347), "2612-0347");
        assert_eq!(reference(2027, 1, 12_345), "2701-2345");
        let a = box_key("salt", "STB-0001");
        assert_eq!(a.len(), 32);
        assert_eq!(a, box_key("salt", " STB-0001 "));
        assert_ne!(a, box_key("other", "STB-0001"));
        assert!(!a.contains("STB"));
    }
}
