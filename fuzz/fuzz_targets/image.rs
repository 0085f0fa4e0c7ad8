//! Any bytes as a picture: the loader's header checks, then (when they pass)
//! the bounded decoder the rasteriser uses.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(image) = infotv::content::photo::probe("p.jpg", data.to_vec()) {
        let _ = infotv::raster::decode_picture(&image);
    }
});
