//! Any text as a `*.poll.toml`: a poll's questions and choices.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let zone = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let _ = infotv::content::poll::parse("x.poll.toml", text, zone);
});
