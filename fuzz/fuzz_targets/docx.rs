//! Any bytes as a .docx document (a zip of XML parts).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = infotv::content::docx::parse("d.docx", data);
});
