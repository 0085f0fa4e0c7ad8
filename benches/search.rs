//! 查询 on the county channel (`bench/county.py`, every village, scale
//! `INFOTV_BENCH_SCALE`, default 1; 0.02 under `cargo test`): the index
//! built inside the render (time against the render's, entries, bytes), an
//! uncached query answered at the server (find, lay out, draw, shells and
//! text: what a box's first request for `search-{digits}` costs) and a
//! cached one, as medians and p95 over many queries: `cargo bench --bench search`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use infotv::fonts::Fonts;
use infotv::layout;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn percentile(times: &mut [Duration], p: f64) -> f64 {
    times.sort();
    let i = ((times.len() as f64 - 1.0) * p).round() as usize;
    times[i].as_secs_f64() * 1e3
}

fn main() {
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
    let fonts = Arc::new(Fonts::load(&root().join("fonts")).expect("fonts"));
    let blobs = Arc::new(infotv::publish::blobs::Blobs::open(&dir.path().join("blobs")).expect("blobs"));
    let renderer = Arc::new(infotv::pipeline::Renderer::new(&channels, fonts.clone()).with_blobs(blobs));
    let t = Instant::now();
    let (g, report) = renderer.render("bench");
    let render = t.elapsed();
    let g = g.expect("the county renders");

    // The index alone, as the render builds it (one profile's).
    let (site, _) = infotv::content::load(&channels);
    let now = chrono::Utc::now().with_timezone(&site.config.time_zone);
    let profile = &site.config.profiles[0];
    let cx = layout::Context { fonts: &fonts, profile, now, memo: None };
    let screens = layout::build(&site, &cx);
    let mut builds = Vec::new();
    let mut index = None;
    for _ in 0..if measuring { 7 } else { 1 } {
        let t = Instant::now();
        index = Some(infotv::search::Index::build(&site, &screens, now));
        builds.push(t.elapsed());
    }
    let index = index.expect("built");
    let build = percentile(&mut builds, 0.5);
    println!(
        "county x{scale}: {} screens, render {:.0} ms; index of {}: {} entries, {:.1} MB, built in {build:.1} ms \
         (median; {} profiles: {:.1} % of the render)",
        report.screens,
        render.as_secs_f64() * 1e3,
        profile.name,
        index.len(),
        index.weight() as f64 / 1e6,
        site.config.profiles.len(),
        100.0 * build * site.config.profiles.len() as f64 / (render.as_secs_f64() * 1e3),
    );

    // Queries as households type them: every prefix of some titles' initials.
    let od = infotv::ondemand::OnDemand::new(renderer.clone(), infotv::ondemand::BUDGET);
    let mut queries: Vec<String> = Vec::new();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    while queries.len() < if measuring { 300 } else { 20 } {
        // Two to seven digits on the letter keys, from a xorshift.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let len = 2 + (x % 6) as usize;
        let q: String = (0..len).map(|k| char::from(b'2' + ((x >> (8 + 3 * k)) % 8) as u8)).collect();
        if !queries.contains(&q) {
            queries.push(q);
        }
    }
    for profile in ["sd", "hd"] {
        let mut uncached = Vec::new();
        let mut found = Vec::new();
        for q in &queries {
            let t = Instant::now();
            let made = od.screen(&g, profile, &format!("search-{q}")).expect("made");
            uncached.push(t.elapsed());
            assert!(!made.one.shells.is_empty());
            let t = Instant::now();
            let _ = index.find(q, infotv::search::SHOWN);
            found.push(t.elapsed());
        }
        let mut cached = Vec::new();
        for q in queries.iter().cycle().take(queries.len() * 3) {
            let t = Instant::now();
            let _ = od.screen(&g, profile, &format!("search-{q}")).expect("made");
            cached.push(t.elapsed());
        }
        println!(
            "{profile}: {} queries; uncached screen median {:.2} ms, p95 {:.2} ms (of which finding: median {:.2} ms, p95 {:.2} ms); \
             cached median {:.3} ms, p95 {:.3} ms",
            queries.len(),
            percentile(&mut uncached, 0.5),
            percentile(&mut uncached, 0.95),
            percentile(&mut found, 0.5),
            percentile(&mut found, 0.95),
            percentile(&mut cached, 0.5),
            percentile(&mut cached, 0.95),
        );
    }
    let (held, limit) = od.held();
    println!("on-demand caches: {:.1} MB held of {:.0} MB", held as f64 / 1e6, limit as f64 / 1e6);
}
