//! What households send back (issue 20, in progress): the checks every
//! answer passes before anything is stored — a callback phone number, the
//! reference a request is given, a box's identity kept only as a salted
//! hash.

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
