//! One screen rendered on its own, as screens made at request time (search
//! results, lookups) are: the same pictures and shells as the generation
//! makes for the same screen, and a menu laid out from a query served
//! whole — pictures, a shell per focus state, its text.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chrono::DateTime;
use infotv::content;
use infotv::layout::{self, menu, Kind, Target};
use infotv::pipeline::Renderer;

use crate::common;

fn now() -> chrono::DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-27T09:00:00+08:00").unwrap()
}

/// Eight results, as a search for "3247" might find them.
pub fn results(n: usize) -> menu::Spec {
    let titles = ["低保公示", "低保政策问答", "党务公开", "电费缴纳", "道路通行", "大竹镇", "大沙镇", "蛋品价格"];
    menu::Spec {
        base: "search-3247".into(),
        kind: Kind::List,
        title: "查询：3247".into(),
        crumbs: vec!["查询".into(), "dbgs".into()],
        parent: Some(Target::new(layout::HOME, 0)),
        accent: infotv::config::Rgb(0xe0, 0x8a, 0x1e),
        columns: 1,
        rows: 8,
        entries: (0..n)
            .map(|i| menu::Entry {
                title: titles[i % titles.len()].into(),
                caption: format!("阳光万源 › 第 {} 项", i + 1),
                badge: None,
                accent: infotv::config::Rgb(0xe0, 0x8a, 0x1e),
                target: Target::new(format!("a-{i:010}"), 0),
            })
            .collect(),
        extra_keys: Vec::new(),
        empty: "没有找到",
        lead: vec![],
    }
}

fn rendered(channels: &std::path::Path) -> (Renderer, infotv::publish::Generation) {
    let renderer = Renderer::new(channels, common::fonts());
    let (g, report) = renderer.render_at("test", Some(now()), true);
    assert!(report.published, "{:?}", report.problems);
    (renderer, g.unwrap())
}

#[test]
fn a_screen_of_the_channel_made_alone_is_the_one_the_generation_made() {
    let channels = common::fixture("kinds");
    let (renderer, g) = rendered(&channels);
    let (site, _) = content::load(&channels);
    for profile in &site.config.profiles {
        let cx = layout::Context { fonts: &common::fonts(), profile, now: now(), memo: None };
        let screens = layout::build(&site, &cx);
        let made = &g.profiles[&profile.name].screens;
        let mut compared = 0;
        for screen in screens.iter() {
            let alone = renderer.screen(screen, &g, &profile.name).unwrap();
            let out = &made[screen.id.as_str()];
            // The same pictures, by content hash...
            let images: Vec<String> = out.graph.states.iter().map(|s| s.image.clone()).collect();
            assert!(
                images.iter().all(|i| alone.pictures.iter().any(|(n, _, _)| *i == format!("/a/{n}"))),
                "{}",
                screen.id
            );
            // ...byte for byte the same shells, and the same text.
            assert_eq!(alone.shells.len(), out.shells.len());
            for ((html, etag), (name, want_etag)) in alone.shells.iter().zip(out.shells.iter().zip(&out.etags)) {
                assert_eq!(html.as_bytes(), &g.blobs.get(name).unwrap().bytes[..], "{} shell", screen.id);
                assert_eq!(etag, want_etag);
            }
            assert_eq!(&alone.text[..], &g.blobs.get(&out.text).unwrap().bytes[..], "{} text", screen.id);
            compared += 1;
        }
        assert!(compared >= 10, "{compared} screens compared on {}", profile.name);
    }
}

#[test]
fn a_menu_made_from_a_query_is_served_whole_on_both_profiles() {
    let channels = common::fixture("basic");
    let (renderer, g) = rendered(&channels);
    assert_eq!(renderer.request_menu("nope", now(), results(8)).map(|s| s.len()), None, "unknown profile");
    for (profile, (w, h)) in [("sd", (720, 576)), ("hd", (1280, 720))] {
        let screens = renderer.request_menu(profile, now(), results(8)).unwrap();
        assert_eq!(screens.len(), 1, "8 results fit one page");
        let screen = &screens[0];
        assert_eq!(screen.id, "search-3247");
        assert_eq!(screen.states.len(), 8, "a focus state per result");
        // Back leads where the spec says, home and the colour keys work.
        assert_eq!(screen.states[0].keys[&layout::Key::Back].screen, layout::HOME);
        assert!(screen.states[0].keys.contains_key(&layout::Key::Home));
        let one = renderer.screen(screen, &g, profile).unwrap();
        let base = image::load_from_memory(&one.pictures[0].2).unwrap();
        assert_eq!((base.width(), base.height()), (w, h), "{profile}");
        if std::env::var_os("INFOTV_SAVE_SCREENS").is_some() {
            std::fs::write(format!("/tmp/onscreen-{profile}.png"), &one.pictures[0].2).unwrap();
        }
        // Every picture a shell names is among those returned.
        for (html, etag) in &one.shells {
            assert!(etag.starts_with('"'), "{etag}");
            for (name, _, _) in &one.pictures[..1] {
                assert!(html.contains(&format!("/a/{name}")), "{profile}: the shell shows its picture");
            }
            assert!(html.contains("search-3247"), "the shell knows its id");
        }
        let text: serde_json::Value = serde_json::from_slice(&one.text).unwrap();
        let all = text.to_string();
        for t in ["低保公示", "蛋品价格", "查询：3247"] {
            assert!(all.contains(t), "{profile}: {t} in the text JSON");
        }
    }
    // No results: one screen that says so, never nothing.
    let empty = renderer.request_menu("sd", now(), results(0)).unwrap();
    assert_eq!(empty.len(), 1);
    let one = renderer.screen(&empty[0], &g, "sd").unwrap();
    assert!(String::from_utf8_lossy(&one.text).contains("没有找到"));
}

#[test]
fn a_generation_read_back_from_disk_makes_no_screen_until_the_first_render() {
    let channels = common::fixture("basic");
    let data = tempfile::tempdir().unwrap();
    let blobs = Arc::new(infotv::publish::blobs::Blobs::open(&data.path().join("blobs")).unwrap());
    let renderer = Renderer::new(&channels, common::fonts()).with_blobs(blobs.clone());
    let (g, _) = renderer.render_at("test", Some(now()), true);
    let g = g.unwrap();
    infotv::publish::disk::save(data.path(), &g, &mut Default::default()).unwrap();
    let restored = infotv::publish::disk::load(data.path(), &blobs).unwrap().unwrap().generation;
    let screen = &renderer.request_menu("sd", now(), results(3)).unwrap()[0];
    assert!(renderer.screen(screen, &restored, "sd").is_none(), "no overlays saved");
    assert!(renderer.screen(screen, &g, "sd").is_some());
}
