//! Golden images: fixture channels rendered at a fixed moment and compared
//! with reviewed reference pictures, so a change of look is a visible diff.
//!
//! Update after an intended change of look, then review the PNGs:
//!     UPDATE_GOLDENS=1 cargo test --test suite golden::
#![allow(clippy::unwrap_used)]

use crate::common;

use chrono::DateTime;
use infotv::config::Profile;
use infotv::content;
use infotv::layout::{self, Kind, Screen};
use infotv::raster::{self, Canvas, RasterCache};

/// Renders the first screen of `kind` (its first state, focus drawn) and
/// compares it with `tests/golden/{name}.png`.
fn check(fixture: &str, profile: &Profile, kind: Kind, name: &str) {
    let (site, _) = content::load(&common::fixture(fixture));
    let now = DateTime::parse_from_rfc3339("2026-11-27T09:00:00+08:00").unwrap();
    let screens = layout::build(&site, &layout::Context { fonts: &common::fonts(), profile, now, memo: None });
    let screen: &Screen = screens.iter().find(|s| s.kind == kind).unwrap_or_else(|| panic!("no {kind:?} in {fixture}"));
    let cache = RasterCache::new(common::fonts());
    let (mut base, sprites) = raster::pictures(screen, profile, &cache);
    if let Some(Some((rect, sprite))) = sprites.first() {
        paste(&mut base, sprite, rect.x as u32, rect.y as u32);
    }
    let actual = image::RgbImage::from_raw(base.width(), base.height(), base.pixels().to_vec()).unwrap();
    let path = common::root().join("tests/golden").join(format!("{name}.png"));
    if std::env::var_os("UPDATE_GOLDENS").is_some() {
        actual.save(&path).unwrap();
        return;
    }
    let expected = image::open(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run UPDATE_GOLDENS=1 cargo test --test suite golden::)", path.display()))
        .to_rgb8();
    assert_eq!(expected.dimensions(), actual.dimensions(), "{name}: size changed");
    // Tolerant of rounding in resampling and anti-aliasing, not of a changed look.
    let mut sum = 0u64;
    let mut far = 0usize;
    for (a, b) in actual.pixels().zip(expected.pixels()) {
        let d: u32 = (0..3).map(|i| (a.0[i] as i32 - b.0[i] as i32).unsigned_abs()).max().unwrap();
        sum += u64::from(d);
        if d > 24 {
            far += 1;
        }
    }
    let n = actual.pixels().len();
    let mean = sum as f64 / n as f64;
    let far_share = far as f64 / n as f64;
    if mean > 0.5 || far_share > 0.002 {
        let diff_path = std::env::temp_dir().join(format!("{name}-actual.png"));
        actual.save(&diff_path).unwrap();
        panic!(
            "{name} differs from its golden (mean {mean:.3}, {:.3}% of pixels far off); actual picture: {}",
            far_share * 100.0,
            diff_path.display()
        );
    }
}

fn paste(base: &mut Canvas, sprite: &Canvas, x: u32, y: u32) {
    let mut img = image::RgbImage::from_raw(base.width(), base.height(), base.pixels().to_vec()).unwrap();
    let s = image::RgbImage::from_raw(sprite.width(), sprite.height(), sprite.pixels().to_vec()).unwrap();
    image::imageops::overlay(&mut img, &s, x as i64, y as i64);
    let mut c = Canvas::new(base.width(), base.height());
    c.pixels_mut().copy_from_slice(img.as_raw());
    *base = c;
}

#[test]
fn every_kind_of_screen_matches_its_golden() {
    for profile in [Profile::new("sd", 720, 576), Profile::new("hd", 1280, 720)] {
        let p = &profile.name;
        check("basic", &profile, Kind::Home, &format!("{p}-home"));
        check("basic", &profile, Kind::Column, &format!("{p}-column"));
        check("basic", &profile, Kind::List, &format!("{p}-list"));
        check("basic", &profile, Kind::Article, &format!("{p}-article"));
        check("kinds", &profile, Kind::Table, &format!("{p}-table"));
        check("kinds", &profile, Kind::Gallery, &format!("{p}-gallery"));
    }
}

#[test]
fn shipped_screens_use_a_broadcast_safe_palette() {
    // No large areas of pure white (above studio white) or saturated red,
    // which bloom and smear on composite video.
    let (site, _) = content::load(&common::root().join("channels"));
    let now = DateTime::parse_from_rfc3339("2026-11-27T09:00:00+08:00").unwrap();
    let profile = Profile::new("sd", 720, 576);
    let screens =
        layout::build(&site, &layout::Context { fonts: &common::fonts(), profile: &profile, now, memo: None });
    let cache = RasterCache::new(common::fonts());
    for screen in screens.iter().filter(|s| s.kind != Kind::Gallery) {
        let (base, _) = raster::pictures(screen, &profile, &cache);
        let px = base.pixels().chunks_exact(3);
        let n = px.len() as f64;
        let white = px.clone().filter(|p| p.iter().all(|&c| c >= 245)).count() as f64 / n;
        let red = px.filter(|p| p[0] >= 200 && p[1] < 70 && p[2] < 70).count() as f64 / n;
        assert!(white < 0.01, "{}: {:.1}% near-pure white", screen.id, white * 100.0);
        assert!(red < 0.01, "{}: {:.1}% saturated red", screen.id, red * 100.0);
    }
}
