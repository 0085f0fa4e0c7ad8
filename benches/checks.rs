//! What the content checks cost, `cargo bench --bench checks`: the checks
//! alone over every text of the shipped channel (titles, paragraphs,
//! captions, table cells), beside loading the channel and a whole render
//! of it (both profiles, every screen drawn) in the same run.

use std::path::PathBuf;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use infotv::content::checks::{Checker, Findings, Piece};
use infotv::content::{self, Body};
use infotv::fonts::Fonts;
use infotv::pipeline::Renderer;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn texts(site: &content::Site) -> Vec<String> {
    let mut out = Vec::new();
    for item in site.columns.iter().flat_map(|c| &c.items) {
        for doc in &item.docs {
            out.push(doc.title.clone());
            match &doc.body {
                Body::Text(blocks) => {
                    out.extend(blocks.iter().map(|b| b.spans().iter().map(|s| s.text.as_str()).collect()))
                }
                Body::Table(tables) => out.extend(tables.iter().flat_map(|t| t.texts()).cloned()),
                Body::Poll(p) => {
                    out.extend(p.questions.iter().flat_map(|q| std::iter::once(&q.text).chain(&q.choices)).cloned())
                }
            }
        }
        out.extend(item.photos.iter().map(|p| p.caption.clone()));
    }
    out
}

fn benches(c: &mut Criterion) {
    let channels = root().join("channels");
    let (site, _) = content::load(&channels);
    let all = texts(&site);
    let checker = Checker { config: &site.config.review, today_year: 2026 };
    let chars: usize = all.iter().map(|t| t.chars().count()).sum();
    println!(
        "checks: {} texts, {chars} characters, {} correction pairs",
        all.len(),
        site.config.review.corrections.len()
    );
    c.bench_function("checks/whole-channel", |b| {
        b.iter(|| {
            let mut v = Findings::default();
            for t in &all {
                let mut t = t.clone();
                checker.text("x", &mut t, &Piece { line: None, context: "" }, &mut v);
            }
            assert!(v.found.is_empty());
        })
    });
    c.bench_function("checks/load-whole-channel", |b| b.iter(|| content::load(&channels)));
    let fonts = Arc::new(Fonts::load(&root().join("fonts")).expect("fonts"));
    let renderer = Renderer::new(&channels, fonts);
    let mut group = c.benchmark_group("checks");
    group.sample_size(10);
    group.bench_function("render-whole-channel-cold", |b| {
        b.iter(|| {
            renderer.forget_memo();
            renderer.render("bench")
        })
    });
    group.finish();
}

criterion_group!(group, benches);
criterion_main!(group);
