//! Properties that must hold for every input, checked with proptest over
//! generated ones: path sanitising, Chinese line breaking, and the loader's
//! parsers (text decoding, articles with front matter, CSV, DOCX, pictures).
#![allow(clippy::unwrap_used)]

use crate::common;

use std::path::{Component, Path};

use chrono::FixedOffset;
use infotv::content::{article, docx, photo, text, workbook};
use infotv::fonts::Weight;
use infotv::layout::text::wrap;
use infotv::serve::split_path;
use proptest::prelude::*;

fn cases(n: u32) -> ProptestConfig {
    ProptestConfig { cases: n, failure_persistence: None, ..ProptestConfig::default() }
}

/// Pieces URL paths are made of, hostile ones over-represented.
fn path_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("..".to_string()),
        Just(".".to_string()),
        Just("%2e%2e".to_string()),
        Just("%2E".to_string()),
        Just("%2f".to_string()),
        Just("%5c".to_string()),
        Just("%00".to_string()),
        Just("%c0%ae".to_string()),
        Just("\\".to_string()),
        Just("\0".to_string()),
        Just("/".to_string()),
        Just("//".to_string()),
        Just("~".to_string()),
        Just(".hidden".to_string()),
        "[a-z0-9_-]{1,8}",
        "[a-z0-9]{1,6}\\.(html|png|json)",
        "\\PC{1,3}",
    ]
}

proptest! {
    #![proptest_config(cases(3000))]

    /// Whatever the path, what comes out is plain names only: joined under a
    /// folder, it can never leave it.
    #[test]
    fn sanitised_paths_never_leave_the_root(pieces in prop::collection::vec(path_piece(), 0..8)) {
        let path = format!("/{}", pieces.concat());
        if let Some(parts) = split_path(&path) {
            let root = Path::new("/srv/infotv");
            let mut joined = root.to_path_buf();
            for p in &parts {
                prop_assert!(!p.is_empty());
                prop_assert!(!p.starts_with('.'), "{p:?}");
                prop_assert!(p.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)), "{p:?}");
                joined.push(p);
            }
            prop_assert!(joined.starts_with(root));
            prop_assert!(joined.components().skip(3).all(|c| matches!(c, Component::Normal(_))), "{joined:?}");
        }
        // Anything encoded, escaped or climbing is refused outright.
        let hostile = path.contains('%') || path.contains('\\') || path.contains('\0')
            || path.split('/').any(|s| s == ".." || s == ".");
        if hostile {
            prop_assert!(split_path(&path).is_none(), "{path:?} accepted");
        }
    }

    /// Plain segments come back exactly as they were joined.
    #[test]
    fn plain_paths_round_trip(parts in prop::collection::vec("[a-zA-Z0-9_-][a-zA-Z0-9_.-]{0,12}", 0..6)) {
        let path = format!("/{}", parts.join("/"));
        prop_assert_eq!(split_path(&path).unwrap(), parts.iter().map(String::as_str).collect::<Vec<_>>());
    }
}

/// Chinese prose as staff write it: words (Chinese, Latin, numbers), each
/// perhaps quoted or bracketed and followed by punctuation, the marks line
/// breaking must respect.
fn prose() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        6 => "[万源市山区县乡镇村民政府通知公告办理服务群众安全生产防汛救灾茶叶旅游交通医疗教育]{1,12}",
        1 => "[A-Za-z]{1,9}",
        1 => "[0-9]{1,6}",
    ];
    let open = prop_oneof![4 => Just(String::new()), 1 => "[（《「“]"];
    let close = prop_oneof![3 => Just(String::new()), 1 => "[）》」”]"];
    let after = prop_oneof![
        3 => Just(String::new()),
        3 => "[，。、；：？！]",
        1 => Just("……".to_string()),
        1 => Just("？！".to_string()),
        1 => Just(" ".to_string()),
    ];
    let piece = (open, word, close, after).prop_map(|(o, w, c, a)| format!("{o}{w}{c}{a}"));
    prop::collection::vec(piece, 1..40).prop_map(|v| v.concat())
}

const NO_START: &str = "，。、；：？！）》」』】〕〉…—’”%‰℃·,.;:?!)]}";
const NO_END: &str = "（《「『【〔〈‘“([{";

proptest! {
    #![proptest_config(cases(400))]

    /// Lines fit, keep every character, and never start with closing or end
    /// with opening punctuation — unless a single unbreakable piece is wider
    /// than the whole measure.
    #[test]
    fn line_breaking_fits_keeps_text_and_obeys_kinsoku(
        text in prose(),
        size in 18.0f32..40.0,
        // Measures of real screens: 12 to 30 characters a line.
        em_width in 12u32..30,
        justify in any::<bool>(),
    ) {
        let fonts = common::fonts();
        let width = size * em_width as f32;
        let lines = wrap(&fonts, &[(text.clone(), Weight::Regular)], size, width, 0.0, justify);
        let got: String = lines.iter().flat_map(|l| l.pieces.iter().map(|p| p.text.as_str())).collect();
        let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        prop_assert_eq!(squeeze(&got), squeeze(&text), "characters lost or added");
        for (i, line) in lines.iter().enumerate() {
            let line_text: String = line.pieces.iter().map(|p| p.text.as_str()).collect();
            let trimmed = line_text.trim();
            let overflow = line.width > width + 0.5;
            if overflow {
                // Only a piece that cannot be broken may stick out.
                prop_assert!(!trimmed.contains(' '), "line {i} {trimmed:?} is {} wide in {width}", line.width);
            }
            if i > 0 {
                let first = trimmed.chars().next().unwrap();
                prop_assert!(!NO_START.contains(first) || trimmed.chars().all(|c| NO_START.contains(c)),
                    "line {i} starts with {first:?}: {:?}", lines.iter().map(|l| l.pieces.iter().map(|p| p.text.clone()).collect::<String>()).collect::<Vec<_>>());
            }
            if i + 1 < lines.len() {
                let last = trimmed.chars().last().unwrap();
                prop_assert!(!NO_END.contains(last) || trimmed.chars().all(|c| NO_END.contains(c)),
                    "line {i} ends with {last:?}");
            }
        }
    }
}

/// Text in the hands of staff: Chinese, Latin, punctuation, new lines.
fn staff_text() -> impl Strategy<Value = String> {
    "[一-龥A-Za-z0-9，。：；！？“”（）《》、 \n]{1,400}"
}

proptest! {
    #![proptest_config(cases(500))]

    /// Whatever a file holds, decoding gives back exactly what was written,
    /// in UTF-8 (with or without BOM), GBK and UTF-16 with BOM.
    #[test]
    fn every_encoding_staff_save_in_decodes_back(s in staff_text()) {
        prop_assert_eq!(text::decode(s.as_bytes()).unwrap().text, s.clone());
        let bom = [b"\xef\xbb\xbf".as_slice(), s.as_bytes()].concat();
        prop_assert_eq!(text::decode(&bom).unwrap().text, s.clone());
        let mut utf16 = vec![0xff, 0xfe];
        utf16.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
        prop_assert_eq!(text::decode(&utf16).unwrap().text, s.clone());
        // GBK: long enough to be told from other encodings, as real files are.
        let long = format!("万源市便民服务通知：{s}。请广大群众相互转告。");
        let (gbk, _, unmappable) = encoding_rs::GBK.encode(&long);
        prop_assume!(!unmappable);
        prop_assert_eq!(text::decode(&gbk).unwrap().text, long);
    }

    /// Any bytes: decoding either refuses or gives text, never panics.
    #[test]
    fn any_bytes_decode_or_are_refused(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = text::decode(&bytes);
    }

    /// An article written with front matter reads back with its title, date
    /// and every paragraph; arbitrary text never panics the parser.
    #[test]
    fn articles_read_back(
        title in "[一-龥A-Za-z0-9]{1,20}",
        (y, m, d) in (2000i32..2100, 1u32..13, 1u32..29),
        paragraphs in prop::collection::vec("[一-龥，。A-Za-z0-9]{1,80}", 1..8),
        markdown in any::<bool>(),
        noise in "\\PC{0,200}",
    ) {
        let zone = FixedOffset::east_opt(8 * 3600).unwrap();
        let body = paragraphs.join("\n\n");
        let file = format!("+++\ntitle = \"{title}\"\ndate = {y:04}-{m:02}-{d:02}\n+++\n{body}\n");
        let (parsed, problems) = article::parse("a.md", &file, markdown, zone);
        prop_assert!(problems.is_empty(), "{problems:?}");
        let parsed = parsed.unwrap();
        prop_assert_eq!(parsed.front.title.as_deref(), Some(title.as_str()));
        prop_assert_eq!(parsed.front.date, chrono::NaiveDate::from_ymd_opt(y, m, d));
        let texts: Vec<String> = parsed.blocks.iter().map(|b| b.spans().iter().map(|s| s.text.as_str()).collect()).collect();
        prop_assert_eq!(texts, paragraphs);
        let _ = article::parse("n.md", &noise, markdown, zone);
        let _ = article::parse("n.md", &format!("+++\n{noise}\n+++\n正文"), markdown, zone);
    }

    /// A CSV of plain cells reads back cell for cell (trimmed, padded to the
    /// widest row); arbitrary text never panics it.
    #[test]
    fn csv_tables_read_back(
        rows in prop::collection::vec(prop::collection::vec("[一-龥A-Za-z0-9.%]{1,10}", 1..6), 2..20),
        noise in "\\PC{0,300}",
    ) {
        let csv: String = rows.iter().map(|r| format!("{}\r\n", r.join(","))).collect();
        let mut problems = Vec::new();
        let t = workbook::parse_csv("t.csv", &csv, &mut problems).unwrap();
        let width = rows.iter().map(Vec::len).max().unwrap();
        let mut want = rows.clone();
        for r in &mut want {
            r.resize(width, String::new());
        }
        prop_assert_eq!(&t.header, &want[0]);
        prop_assert_eq!(&t.rows, &want[1..].to_vec());
        let _ = workbook::parse_csv("n.csv", &noise, &mut problems);
    }

    /// Bytes that are not a document or not a picture are problems, never panics.
    #[test]
    fn docx_and_pictures_refuse_garbage(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        prop_assert!(docx::parse("x.docx", &bytes).is_err());
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend_from_slice(&bytes);
        let _ = photo::probe("x.png", png);
        let mut jpeg = vec![0xff, 0xd8, 0xff, 0xe0];
        jpeg.extend_from_slice(&bytes);
        let _ = photo::probe("x.jpg", jpeg);
        let mut problems = Vec::new();
        for ext in ["xlsx", "xls", "ods"] {
            prop_assert!(workbook::parse_workbook("x", ext, bytes.clone(), &mut problems).is_none());
        }
    }
}
