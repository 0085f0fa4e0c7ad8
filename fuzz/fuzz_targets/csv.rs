//! Any bytes as a .csv table, decoded as the loader does.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(decoded) = infotv::content::text::decode(data) {
        let mut problems = Vec::new();
        if let Some(t) = infotv::content::workbook::parse_csv("t.csv", &decoded.text, &mut problems) {
            assert!(t.rows.iter().all(|r| r.len() == t.header.len()), "rows are padded to the header");
        }
    }
});
