//! Layout, raster and encode of each screen kind of the shipped channel, on
//! both profiles, with a warm and a cold glyph cache: `cargo bench`.
//!
//! Compare with the Chromium figure in issue 7 (84–151 ms a page warm): the
//! per-screen total here is layout share + raster + encode; `channel/…`
//! renders the whole shipped channel (both profiles, every screen drawn, on
//! all cores) and reports screens a second, whose inverse is the time per
//! screen.

use std::path::PathBuf;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
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

/// The whole channel as a render on air does it (load, layout, raster and
/// encode on all cores, publish), every screen drawn: with the glyph cache
/// cold (a new renderer, as at start) and warm (as in a warm browser).
fn channel(c: &mut Criterion) {
    let fonts = Arc::new(Fonts::load(&root().join("fonts")).expect("fonts"));
    let channels = root().join("channels");
    let renderer = infotv::pipeline::Renderer::new(&channels, fonts.clone());
    let screens = renderer.render("bench").1.screens as u64;
    let mut group = c.benchmark_group("channel");
    group.throughput(Throughput::Elements(screens));
    group.bench_function("cold-glyphs/both-profiles", |b| {
        b.iter(|| infotv::pipeline::Renderer::new(&channels, fonts.clone()).render("bench"))
    });
    group.bench_function("warm-glyphs/both-profiles", |b| {
        b.iter(|| {
            renderer.forget_memo();
            renderer.render("bench")
        })
    });
    group.finish();
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
criterion_group! {
    name = whole;
    config = Criterion::default().sample_size(10).warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(20));
    targets = channel
}
criterion_main!(render, whole);
