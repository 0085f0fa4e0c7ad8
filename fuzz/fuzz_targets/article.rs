//! Any bytes as an article file: decoded as the loader does, then read as
//! Markdown and as plain text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let zone = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    if let Some(decoded) = infotv::content::text::decode(data) {
        let _ = infotv::content::article::parse("a.md", &decoded.text, true, zone);
        let _ = infotv::content::article::parse("a.txt", &decoded.text, false, zone);
    }
});
