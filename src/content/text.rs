//! Bytes to text, the way content staff really save files.
//!
//! Windows tools write UTF-8 with a BOM, UTF-16 with a BOM, or the legacy GBK /
//! GB18030 code page; none of them say which. The BOM decides when present,
//! valid UTF-8 is taken as UTF-8, and GB18030 (a superset of GBK and GB2312) is
//! the fallback for everything else.

use encoding_rs::{Encoding, GB18030, UTF_8};

/// The text and the name of the encoding it was found in.
#[derive(Debug, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static str,
}

/// Decodes `bytes`; `None` when no supported encoding reads them cleanly.
pub fn decode(bytes: &[u8]) -> Option<Decoded> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        return (!had_errors).then(|| Decoded { text: text.into_owned(), encoding: encoding.name() });
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Some(Decoded { text: text.to_string(), encoding: UTF_8.name() });
    }
    let (text, had_errors) = GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        return None;
    }
    // Reject control characters that only a misread binary file would produce.
    let suspicious = text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'));
    (!suspicious).then(|| Decoded { text: text.into_owned(), encoding: GB18030.name() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{UTF_16BE, UTF_16LE};

    #[test]
    fn encodings_staff_use() {
        let s = "万源市便民服务";
        let utf8_bom = [&[0xEF, 0xBB, 0xBF][..], s.as_bytes()].concat();
        assert_eq!(decode(&utf8_bom).unwrap().text, s);
        assert_eq!(decode(s.as_bytes()).unwrap().encoding, "UTF-8");
        let (gbk, _, _) = GB18030.encode(s);
        let d = decode(&gbk).unwrap();
        assert_eq!((d.text.as_str(), d.encoding), (s, "gb18030"));
        let mut le = vec![0xFF, 0xFE];
        le.extend(s.encode_utf16().flat_map(|u| u.to_le_bytes()));
        assert_eq!(decode(&le).unwrap().encoding, UTF_16LE.name());
        let mut be = vec![0xFE, 0xFF];
        be.extend(s.encode_utf16().flat_map(|u| u.to_be_bytes()));
        assert_eq!(decode(&be).unwrap().encoding, UTF_16BE.name());
    }

    #[test]
    fn binary_is_refused() {
        assert!(decode(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0xFF]).is_none());
    }
}
