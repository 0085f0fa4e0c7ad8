//! Layout, raster and encode of each screen kind of the shipped channel, on
//! both profiles, with a warm and a cold glyph cache: `cargo bench`.
//!
//! Compare with the Chromium figure in issue 7 (84–151 ms a page warm): the
//! per-screen total here is layout share + raster + encode; `channel/…`
//! renders the whole shipped channel (both profiles, every screen drawn, on
//! all cores) and reports screens a second, whose inverse is the time per
//! screen; `incremental/…` one edited file in the county-scale channel;
//! `request/…` one screen made at request time on its own (a list of 8
//! results: laid out, drawn, its shells and text made), glyph caches warm.

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
        let cx = layout::Context { fonts: &fonts, profile: &profile, now, memo: None };
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

/// One edited file in the county-scale channel (`bench/county.py`, scale
/// `INFOTV_BENCH_SCALE`, default 1: about 21,000 screens a profile; 0.02
/// under `cargo test`), as the
/// server renders it: blobs on disk, files unchanged since the last render
/// not read again, pictures and shells of unchanged screens reused.
fn incremental(c: &mut Criterion) {
    // `cargo test --all-targets` runs each bench once, unoptimised: there a
    // small county proves the bench works without costing minutes.
    let measuring = std::env::args().any(|a| a == "--bench");
    let scale = std::env::var("INFOTV_BENCH_SCALE").unwrap_or_else(|_| if measuring { "1" } else { "0.02" }.into());
    let dir = tempfile::tempdir().expect("temp dir");
    let channels = dir.path().join("channels");
    let made = std::process::Command::new("python3")
        .arg(root().join("bench/county.py"))
        .arg(&channels)
        .arg(&scale)
        .status()
        .expect("python3");
    assert!(made.success(), "bench/county.py failed");
    age(&channels, std::time::SystemTime::now() - std::time::Duration::from_secs(60));
    let fonts = Arc::new(Fonts::load(&root().join("fonts")).expect("fonts"));
    let blobs = Arc::new(infotv::publish::blobs::Blobs::open(&dir.path().join("blobs")).expect("blobs"));
    let renderer = infotv::pipeline::Renderer::new(&channels, fonts).with_blobs(blobs);
    let screens = renderer.render("bench").1.screens;
    let item = channels.join("01-要闻速递/01-时政要闻");
    let article = std::fs::read_dir(&item)
        .expect("item")
        .map(|e| e.expect("entry").path())
        .find(|p| p.extension().is_some_and(|e| e == "md"))
        .expect("an article");
    let mut group = c.benchmark_group("incremental");
    let mut n = 0;
    group.bench_function(format!("one-file/county-x{scale}-{screens}-screens"), |b| {
        b.iter(|| {
            n += 1;
            let mut text = std::fs::read_to_string(&article).expect("article");
            text.push_str(&format!("\n第 {n} 次补充。\n"));
            std::fs::write(&article, text).expect("write");
            renderer.render("bench")
        })
    });
    group.finish();
}

/// Dates every file under `dir` at `when`.
fn age(dir: &std::path::Path, when: std::time::SystemTime) {
    for entry in std::fs::read_dir(dir).expect("dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            age(&path, when);
        } else {
            std::fs::File::options().write(true).open(&path).and_then(|f| f.set_modified(when)).expect("date");
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

/// A list of `n` results, as a search might find them.
fn results(n: usize) -> layout::menu::Spec {
    let titles = ["低保公示", "低保政策问答", "党务公开", "电费缴纳", "道路通行", "大竹镇", "大沙镇", "蛋品价格"];
    let accent = infotv::config::Rgb(0xe0, 0x8a, 0x1e);
    layout::menu::Spec {
        base: "search-3247".into(),
        kind: Kind::List,
        title: "查询：3247".into(),
        crumbs: vec!["查询".into(), "dbgs".into()],
        parent: Some(layout::Target::new(layout::HOME, 0)),
        accent,
        columns: 1,
        rows: 8,
        entries: (0..n)
            .map(|i| layout::menu::Entry {
                title: titles[i % titles.len()].into(),
                caption: format!("阳光万源 › 第 {} 项", i + 1),
                badge: None,
                accent,
                target: layout::Target::new(format!("a-{i:010}"), 0),
            })
            .collect(),
        extra_keys: Vec::new(),
        empty: "没有找到",
        lead: vec![],
    }
}

fn request(c: &mut Criterion) {
    let fonts = Arc::new(Fonts::load(&root().join("fonts")).expect("fonts"));
    let renderer = infotv::pipeline::Renderer::new(&root().join("channels"), fonts);
    let (g, _) = renderer.render_at("bench", None, true);
    let g = g.expect("the shipped channel renders");
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-27T20:00:00+08:00").expect("time");
    for profile in ["sd", "hd"] {
        c.bench_function(&format!("request/list-8/{profile}"), |b| {
            b.iter(|| {
                let screens = renderer.request_menu(profile, now, results(8)).expect("laid out");
                renderer.screen(&screens[0], &g, profile).expect("made")
            })
        });
    }
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
criterion_group! {
    name = county;
    config = Criterion::default().sample_size(10).warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(20));
    targets = incremental
}
criterion_group! {
    name = requested;
    config = Criterion::default().sample_size(30).warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = request
}
criterion_main!(render, requested, whole, county);
