//! Any bytes as an .xlsx workbook (a zip of XML parts).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut problems = Vec::new();
    if let Some(t) = infotv::content::table::parse_xlsx("t.xlsx", data.to_vec(), &mut problems) {
        assert!(t.rows.iter().all(|r| r.len() == t.header.len()), "rows are padded to the header");
    }
});
