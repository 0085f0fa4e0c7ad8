//! Any text between `+++` lines: the TOML front matter of an article.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|front: &str| {
    let zone = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let text = format!("+++\n{front}\n+++\n正文第一段。\n");
    let _ = infotv::content::article::parse("a.md", &text, true, zone);
});
