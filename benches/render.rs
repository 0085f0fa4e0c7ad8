//! Layout, raster and encode of each screen kind of the shipped channel, on
//! both profiles, with a warm and a cold glyph cache: `cargo bench`.
//!
//! Compare with the Chromium figure in issue 7 (84–151 ms a page warm): the
//! per-screen total here is layout share + raster + encode.

use std::path::PathBuf;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use infotv::config::Profile;
use infotv::content;
use infotv::fonts::Fonts;
use infotv::layout::{self, Kind, Screen};
use infotv::raster::{self, encode, RasterCache};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn benches(c: &mut Criterion) {
    let fonts = Arc::new(Fonts::load(&root().join("fonts")).expect("fonts"));
    let (site, _) = content::load(&root().join("channels"));
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-27T20:00:00+08:00").expect("time");
    for profile in [Profile::new("sd", 720, 576), Profile::new("hd", 1280, 720)] {
        let cx = layout::Context { fonts: &fonts, profile: &profile, now };
        let name = &profile.name;
        c.bench_function(&format!("layout/whole-channel/{name}"), |b| b.iter(|| layout::build(&site, &cx)));
        let screens = layout::build(&site, &cx);
        let warm = RasterCache::new(fonts.clone());
        for kind in [Kind::Home, Kind::Column, Kind::List, Kind::Article, Kind::Table, Kind::Gallery] {
            // The screen of this kind with the most to draw.
            let Some(screen) = screens.iter().filter(|s| s.kind == kind).max_by_key(|s| weight(s)) else { continue };
            let kind = format!("{kind:?}").to_lowercase();
            let _ = raster::pictures(screen, &profile, &warm);
            c.bench_function(&format!("raster/warm/{kind}/{name}"), |b| {
                b.iter(|| raster::pictures(screen, &profile, &warm))
            });
            c.bench_function(&format!("raster/cold/{kind}/{name}"), |b| {
                b.iter(|| raster::pictures(screen, &profile, &RasterCache::new(fonts.clone())))
            });
            let (base, _) = raster::pictures(screen, &profile, &warm);
            let photo = screen.ops.iter().any(|op| matches!(op, layout::Op::Image { .. }));
            c.bench_function(&format!("encode/{kind}/{name}"), |b| {
                b.iter(|| if photo { encode::jpeg(&base) } else { encode::png(&base) })
            });
            c.bench_function(&format!("render/{kind}/{name}"), |b| b.iter(|| raster::render(screen, &profile, &warm)));
        }
    }
}

/// Characters on a screen: how much there is to draw.
fn weight(screen: &Screen) -> usize {
    screen
        .ops
        .iter()
        .map(|op| match op {
            layout::Op::Text(t) => t.text.chars().count(),
            _ => 1,
        })
        .sum()
}

criterion_group! {
    name = render;
    config = Criterion::default().sample_size(20).warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = benches
}
criterion_main!(render);
