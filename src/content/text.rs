//! Bytes to text, the way content staff really save files.
//!
//! Windows tools write UTF-8 with or without a BOM, UTF-16 with a BOM, or the
//! legacy GBK / GB18030 code page; none of them say which. A BOM decides when
//! present; valid UTF-8 is UTF-8; UTF-16 without a BOM shows itself by its
//! zero bytes; everything else goes to a detector (chardetng, told the text is
//! from a `.cn` site) which picks between GBK, Big5 and the rest. GB18030, a
//! superset of GBK and GB2312, stands in for every GBK guess.

use encoding_rs::{Encoding, GB18030, GBK, UTF_16BE, UTF_16LE, UTF_8};

/// The text and the name of the encoding it was found in.
#[derive(Debug, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static str,
}

/// Decodes `bytes`; `None` when no supported encoding reads them cleanly.
pub fn decode(bytes: &[u8]) -> Option<Decoded> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        return clean(encoding, &bytes[bom_len..]);
    }
    if let Some(text) = std::str::from_utf8(bytes).ok().filter(|t| plausible(t)) {
        return Some(Decoded { text: text.to_string(), encoding: UTF_8.name() });
    }
    if let Some(utf16) = utf16_without_bom(bytes) {
        return clean(utf16, bytes);
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    // Told the text is Chinese, the detector leans to GBK; asked without that
    // hint it recognises Big5 and the rest. GBK bytes read as something else
    // (or Big5 read as GBK) land in the private use area, which decides.
    let guesses = [
        detector.guess(Some(b"cn"), chardetng::Utf8Detection::Deny),
        detector.guess(None, chardetng::Utf8Detection::Deny),
    ];
    let widen = |e: &'static Encoding| if e == GBK { GB18030 } else { e };
    guesses
        .iter()
        .filter_map(|&e| clean(widen(e), bytes))
        .find(|d| !d.text.chars().any(is_private_use))
        .or_else(|| clean(GB18030, bytes))
}

fn is_private_use(c: char) -> bool {
    ('\u{e000}'..='\u{f8ff}').contains(&c)
}

/// `bytes` in `encoding`, when they decode without errors into plausible text.
fn clean(encoding: &'static Encoding, bytes: &[u8]) -> Option<Decoded> {
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    (!had_errors && plausible(&text)).then(|| Decoded { text: text.into_owned(), encoding: encoding.name() })
}

/// Rejects control characters that only a misread binary file would produce.
fn plausible(text: &str) -> bool {
    !text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
}

/// UTF-16 saved without a BOM: ASCII characters leave a zero byte in every
/// other position, which no 8-bit encoding of text does.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    if bytes.len() < 4 || !bytes.len().is_multiple_of(2) {
        return None;
    }
    let pairs = bytes.len() / 2;
    let zero_even = bytes.iter().step_by(2).filter(|&&b| b == 0).count();
    let zero_odd = bytes.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    // Chinese text has few ASCII characters, but line ends and digits are
    // enough; a few CJK code units (U+4E00) put a zero on the other side.
    if zero_odd * 10 >= pairs && zero_even * 4 < zero_odd {
        Some(UTF_16LE)
    } else if zero_even * 10 >= pairs && zero_odd * 4 < zero_even {
        Some(UTF_16BE)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::BIG5;

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
    fn detected_without_a_bom() {
        let s = "万源市便民服务中心\r\n办理时间：周一至周五 9:00-17:00\r\n";
        let mut le = Vec::new();
        le.extend(s.encode_utf16().flat_map(|u| u.to_le_bytes()));
        assert_eq!(decode(&le).unwrap(), Decoded { text: s.into(), encoding: UTF_16LE.name() });
        let be: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        assert_eq!(decode(&be).unwrap().encoding, UTF_16BE.name());
        // Traditional Chinese from a Big5 system is told apart from GBK.
        let t = "萬源市便民服務中心，辦理時間為週一至週五。請攜帶身份證件到櫃檯辦理。";
        let (big5, _, _) = BIG5.encode(t);
        assert_eq!(decode(&big5).unwrap(), Decoded { text: t.into(), encoding: BIG5.name() });
        let (gbk, _, _) = GBK.encode(s);
        assert_eq!(decode(&gbk).unwrap(), Decoded { text: s.into(), encoding: GB18030.name() });
        // A Western file (cafe with an accent) is not read as Chinese.
        let latin = b"Caf\xe9 menu, 2026\n";
        assert_eq!(decode(latin).unwrap().text, "Caf\u{e9} menu, 2026\n");
    }

    #[test]
    fn binary_is_refused() {
        assert!(decode(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0xFF]).is_none());
    }
}
