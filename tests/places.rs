//! Places: townships and villages under a sub-item (a township's villages
//! picked by typed numbers in Chromium is in `programs.rs`), back returning with
//! the focus on the village left, a vanished village leading to its
//! township, a fourth level refused with a hint, and tables that read on SD.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::Duration;

use common::{get, graph, places, Server};

#[test]
fn a_fourth_level_is_a_problem_with_a_hint_and_the_rest_loads() {
    let (site, problems) = infotv::content::load(&common::fixture("places"));
    let item = &site.columns[0].items[0];
    assert_eq!(item.places.len(), 2);
    assert_eq!(item.places[0].title, "太平镇");
    assert_eq!(item.places[0].places.len(), 12);
    assert_eq!(item.places[0].places[11].title, "白岩村");
    assert_eq!(item.docs.len(), 1, "the sub-item's own document stays beside its places");
    assert_eq!(problems.len(), 1, "{problems:?}");
    let p = &problems[0];
    assert!(p.path.ends_with("01-石桥村/旧档案"), "{}", p.path);
    assert!(p.zh.contains("两级") && p.hint_zh.contains("村的文件夹"), "{p:?}");
}

#[test]
fn places_are_screens_with_numbers_and_back_returns_to_the_village_left() {
    let server = Server::start(&common::fixture("places"));
    let g = graph(server.addr, "sd");
    let (county, county_screen) = places(&g, "村务公开");
    let (township, screen) = places(&g, "太平镇");
    // The sub-item: two townships and its own document.
    assert_eq!(county_screen["states"].as_array().unwrap().len(), 3);
    assert_eq!(county_screen["states"][0]["keys"]["ok"].as_str().unwrap(), format!("{township}#0"));
    // The township: 12 villages, digits 1–9 in the graph (for boxes without
    // script), each village's screen leading back to its tile.
    let states = screen["states"].as_array().unwrap();
    assert_eq!(states.len(), 12);
    assert_eq!(screen["parent"], county.as_str());
    for (k, state) in states.iter().enumerate() {
        let village = state["keys"]["ok"].as_str().unwrap().split('#').next().unwrap().to_string();
        let v = &g["screens"][&village];
        assert_eq!(v["states"][0]["keys"]["back"], format!("{township}#{k}"), "village {}", k + 1);
        if k < 9 {
            assert_eq!(states[0]["keys"][&(k + 1).to_string()], state["keys"]["ok"], "digit {}", k + 1);
        }
    }
    // The header path grows down to the village.
    let text = get(server.addr, &format!("/api/v1/sd/screens/{township}.json"), &[]).text();
    assert!(text.contains("首页 › 阳光村务 › 村务公开 › 太平镇"), "{text}");
    let village = states[11]["keys"]["ok"].as_str().unwrap().split('#').next().unwrap();
    let text = get(server.addr, &format!("/api/v1/sd/screens/{village}.json"), &[]).text();
    assert!(text.contains("太平镇 › 白岩村"), "{text}");
}

#[test]
fn a_vanished_village_leads_to_its_township() {
    let dir = common::copy_fixture("places");
    let server = Server::start(dir.path());
    let g = graph(server.addr, "sd");
    let (township, screen) = places(&g, "太平镇");
    let village = screen["states"][4]["keys"]["ok"].as_str().unwrap().split('#').next().unwrap().to_string();
    std::fs::remove_dir_all(dir.path().join("01-阳光村务/01-村务公开/01-太平镇/05-田坝村")).unwrap();
    common::wait_for(Duration::from_secs(20), || {
        let g = graph(server.addr, "sd");
        g["screens"].get(&village).is_none().then_some(())
    })
    .expect("the village is gone after the re-render");
    let r = get(server.addr, &format!("/tv/sd/{village}.html"), &[]);
    assert_eq!(r.status, 302);
    assert!(
        r.header("location").unwrap().starts_with(&format!("/tv/sd/{township}.html")),
        "{:?}",
        r.header("location")
    );
}

/// The loop's screens on SD for `items`, as (kind, title) from the graph.
fn loop_of(items: &str) -> Vec<(String, String)> {
    let dir = common::copy_fixture("places");
    let site = dir.path().join("site.toml");
    let toml = std::fs::read_to_string(&site).unwrap();
    std::fs::write(&site, format!("{toml}\n[loop]\nitems = [{items}]\nprofiles = [\"sd\"]\n")).unwrap();
    let server = Server::start(dir.path());
    let g = server.station.on_air.current().unwrap();
    let graph = graph(server.addr, "sd");
    let plan = g.broadcast.as_ref().unwrap();
    plan.profiles["sd"]
        .entries
        .iter()
        .map(|e| {
            let s = &graph["screens"][&e.screen];
            (s["kind"].as_str().unwrap().to_string(), s["title"].as_str().unwrap().to_string())
        })
        .collect()
}

#[test]
fn the_loop_plays_a_places_index_and_the_villages_of_a_place_it_names() {
    // The whole column: the sub-item's index of places and its own
    // document, none of the villages' (a county has hundreds).
    let column = loop_of("\"阳光村务\"");
    assert!(column.contains(&("places".into(), "村务公开".into())), "{column:?}");
    assert!(!column.iter().any(|(_, t)| t.ends_with("村务公告")), "{column:?}");
    // A township named: its index and each of its 12 villages' notice.
    let township = loop_of("\"阳光村务/村务公开/太平镇\"");
    assert_eq!(township[1], ("places".to_string(), "太平镇".to_string()), "{township:?}");
    assert_eq!(township.iter().filter(|(_, t)| t.ends_with("村务公告")).count(), 12, "{township:?}");
}

/// Statistics know places: a village's screens are counted under the
/// sub-item's path down to the village, a township's under the township.
#[test]
fn views_are_counted_per_township_and_village() {
    let server = Server::start(&common::fixture("places"));
    let g = graph(server.addr, "sd");
    let (township, screen) = places(&g, "太平镇");
    let village = screen["states"][11]["keys"]["ok"].as_str().unwrap().split('#').next().unwrap().to_string();
    for (id, times) in [(&township, 1), (&village, 2)] {
        for _ in 0..times {
            assert_eq!(get(server.addr, &format!("/tv/sd/{id}.html"), &["User-Agent: STB-A"]).status, 200);
        }
    }
    let auth = format!("Authorization: Bearer {}", common::ADMIN_TOKEN);
    let text = get(server.admin, "/stats.csv", &[&auth]).text();
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').split("\r\n").filter(|l| !l.is_empty()).collect();
    let day = lines[1].split(',').next().unwrap().to_string();
    assert!(lines.contains(&format!("{day},阳光村务,村务公开 › 太平镇,1,1").as_str()), "{text}");
    assert!(lines.contains(&format!("{day},阳光村务,村务公开 › 太平镇 › 白岩村,2,1").as_str()), "{text}");
}

/// A county's screens are tens of thousands: what many of them share (the
/// section a township's screens are counted under, the frame's keys every
/// state answers alike) is held once, as rendered and as read back after a
/// restart.
#[test]
fn what_many_screens_share_is_held_once_as_rendered_and_as_read_back() {
    use std::collections::{HashMap, HashSet};
    let renderer = infotv::pipeline::Renderer::new(&common::fixture("places"), common::fonts());
    let (g, report) = renderer.render_at("test", None, true);
    let g = g.unwrap_or_else(|| panic!("not rendered: {:#?}", report.problems));
    let data = tempfile::tempdir().unwrap();
    infotv::publish::disk::save(data.path(), &g, &mut Default::default()).unwrap();
    let back = infotv::publish::disk::load(data.path(), &g.blobs).unwrap().unwrap().generation;
    for (which, g) in [("rendered", &g), ("read back", &back)] {
        for (profile, p) in &g.profiles {
            // Each section and each set of frame keys: the places holding it.
            let mut sections: HashMap<_, HashSet<_>> = HashMap::new();
            let mut frames: HashMap<_, HashSet<_>> = HashMap::new();
            let mut states = 0;
            for s in p.screens.values() {
                if let Some(section) = &s.section {
                    sections.entry((**section).clone()).or_default().insert(std::sync::Arc::as_ptr(section));
                }
                for state in &s.graph.states {
                    let Some(frame) = state.keys.frame() else { continue };
                    frames.entry(frame.to_vec()).or_default().insert(std::sync::Arc::as_ptr(frame) as *const u8);
                    states += 1;
                    // They still read as the state's own keys.
                    for (key, target) in frame.iter() {
                        assert_eq!(state.keys.get(key.name()), Some(target), "{which} {profile} {key:?}");
                    }
                }
            }
            let twice: Vec<_> = sections.iter().filter(|(_, held)| held.len() > 1).map(|(s, _)| s).collect();
            assert!(twice.is_empty(), "{which} {profile}: sections held more than once: {twice:?}");
            let village = sections.keys().find(|s| s.item.as_deref().is_some_and(|i| i.matches(" › ").count() == 2));
            assert!(village.is_some(), "{which} {profile}: no village's section in {:?}", sections.keys());
            assert!(frames.values().all(|held| held.len() == 1), "{which} {profile}: frame keys held per state");
            assert!(frames.len() < states / 10, "{which} {profile}: {} frames for {states} states", frames.len());
        }
    }
}
