//! Any bytes as a workbook: .xlsx and .ods (zips of XML parts) and .xls (a
//! compound file of BIFF records, read by calamine and our own scan).
#![no_main]
use libfuzzer_sys::fuzz_target;

static QUIET: std::sync::Once = std::sync::Once::new();

fuzz_target!(|data: &[u8]| {
    // calamine panics on some damaged .xls; infotv catches that with
    // `catch_unwind`. libfuzzer-sys's hook would abort at the panic itself,
    // so a quiet one lets it unwind to that catch: a panic anywhere else
    // still unwinds out of this target, and libfuzzer-sys counts it a crash.
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    for ext in ["xlsx", "ods", "xls"] {
        let mut problems = Vec::new();
        if let Some(tables) = infotv::content::workbook::parse_workbook("t", ext, data.to_vec(), &mut problems) {
            for t in tables {
                assert!(t.rows.iter().all(|r| r.len() == t.header.len()), "rows are padded to the header");
                assert_eq!(t.rows.len(), t.lines.len(), "every row knows its sheet row");
            }
        }
    }
});
