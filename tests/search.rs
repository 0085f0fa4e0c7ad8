//! 查询 over HTTP on a server started for real: what digits find and in
//! which order, the results screens made at request time (shell, pictures,
//! text, keys), bad input, a new generation, and search when it cannot answer.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use crate::common;
use common::{graph, Server};

fn search(s: &Server, profile: &str, q: &str) -> serde_json::Value {
    let r = s.get(&format!("/api/v1/{profile}/search?q={q}"));
    assert_eq!(r.status, 200, "{q}: {}", r.text());
    r.json()
}

fn titles(found: &serde_json::Value) -> Vec<String> {
    found["results"].as_array().unwrap().iter().map(|h| h["title"].as_str().unwrap().to_string()).collect()
}

fn t9(letters: &str) -> String {
    letters.chars().map(|c| char::from(infotv::search::t9::digit_of(c).unwrap())).collect()
}

#[test]
fn digits_find_titles_places_and_units_best_first() {
    let s = Server::start(&common::fixture("search"));
    let found = search(&s, "sd", "3247");
    assert_eq!(found["q"], "3247");
    let first = &found["results"][0];
    assert_eq!(first["title"], "低保公示", "{found}");
    assert_eq!(first["path"], "阳光万源 › 低保公示");
    assert_eq!(first["kind"], "list");
    assert_eq!(first["number"], 101);
    assert_eq!(found["total"].as_u64().unwrap() as usize, found["results"].as_array().unwrap().len());
    // Every target is a screen of the channel, on both profiles.
    for profile in ["sd", "hd"] {
        let g = graph(s.addr, profile);
        for hit in search(&s, profile, "3247")["results"].as_array().unwrap() {
            let target = hit["target"].as_str().unwrap();
            let screen = target.split('#').next().unwrap();
            assert!(g["screens"].get(screen).is_some(), "{profile}: {target}");
        }
    }

    // Full spellings, mixed with initials; a polyphone by either reading.
    assert_eq!(titles(&search(&s, "sd", &t9("dibao")))[0], "低保公示");
    // dib = 342 is also 第2… (di, 2): newer first among beginnings.
    let dib = titles(&search(&s, "sd", &t9("dib")));
    assert!(dib.contains(&"低保公示".to_string()) && dib[0].starts_with("第2次"), "{dib:?}");
    for q in ["zbc", "cbc", "zhangba"] {
        assert!(titles(&search(&s, "sd", &t9(q))).contains(&"长坝村".to_string()), "{q}");
    }
    for q in ["zsc", "csc", "chongshi"] {
        assert!(titles(&search(&s, "sd", &t9(q))).contains(&"重石村".to_string()), "{q}");
    }
    assert!(titles(&search(&s, "sd", &t9("yhwd"))).contains(&"银行网点".to_string()));
    // A village opens its own screen.
    let village = search(&s, "sd", &t9("cbc"))["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["title"] == "长坝村")
        .cloned()
        .unwrap();
    assert_eq!(village["path"], "阳光万源 › 村务公开 › 太平镇 › 长坝村");
    let g = graph(s.addr, "sd");
    let id = village["target"].as_str().unwrap().split('#').next().unwrap().to_string();
    assert!(g["screens"][&id]["title"].as_str().unwrap().contains("长坝村"), "{}", g["screens"][&id]);

    // A unit of 便民电话 leads to the page of the table it is on: the
    // first and the last of thirty are on different pages of SD.
    let page_of = |letters: &str, title: &str| {
        let found = search(&s, "sd", &t9(letters));
        let hit = found["results"].as_array().unwrap().iter().find(|h| h["title"] == title).cloned();
        let hit = hit.unwrap_or_else(|| panic!("{title}: {found}"));
        assert_eq!(hit["kind"], "table");
        assert_eq!(hit["path"], "便民万源 › 便民电话 › 常用电话");
        let page = hit["target"].as_str().unwrap().split('#').next().unwrap().to_string();
        let text = s.get(&format!("/api/v1/sd/screens/{page}.json")).text();
        assert!(text.contains(title), "{page}: {text}");
        page
    };
    assert_ne!(page_of("wysrmyy", "万源市人民医院"), page_of("wysyczmj", "万源市烟草专卖局"));

    // People are never found: the 户主姓名 column is not indexed.
    assert!(!titles(&search(&s, "sd", &t9("zsf"))).contains(&"张三丰".to_string()));
    assert!(search(&s, "sd", "9")["total"].as_u64().unwrap() > 0);
}

#[test]
fn a_results_screen_is_a_screen_like_any_other() {
    let s = Server::start(&common::fixture("search"));
    let shell = s.get("/tv/sd/search-3247.html");
    assert_eq!(shell.status, 200);
    let html = shell.text();
    assert!(html.contains("I='search-3247'"), "{html}");
    let etag = shell.header("etag").unwrap().to_string();
    // Its pictures are served like the generation's.
    let base = html.split("id=\"b\" src=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let pic = s.get(&base);
    assert_eq!((pic.status, pic.header("content-type")), (200, Some("image/png")));
    assert!(pic.header("cache-control").unwrap().contains("immutable"));
    // Asked again: the same bytes, and a 304 for the shell's ETag.
    assert_eq!(s.get("/tv/sd/search-3247.html").text(), html);
    let again = common::get(s.addr, "/tv/sd/search-3247.html", &[&format!("If-None-Match: {etag}")]);
    assert_eq!(again.status, 304);
    // Its text names what was typed and what it found.
    let text = s.get("/api/v1/sd/screens/search-3247.json").json();
    let lines: Vec<String> = text["states"][0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap().to_string())
        .collect();
    assert!(lines.iter().any(|l| l.contains("3247")), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("def·abc·ghi·pqrs")), "{lines:?}");
    assert!(lines.iter().any(|l| l == "低保公示"), "{lines:?}");
    assert!(lines.iter().any(|l| l == "阳光万源 › 低保公示"), "{lines:?}");
    // On HD too.
    let hd = s.get("/api/v1/hd/screens/search-3247.json").text();
    assert!(hd.contains("低保公示"), "{hd}");

    // Keys for boxes without script: OK opens the first result, a digit
    // types one more, left takes one back, back clears the query.
    let first = search(&s, "sd", "3247")["results"][0]["target"].as_str().unwrap().to_string();
    let (screen, focus) = first.split_once('#').unwrap();
    let nav = |key: &str| s.get(&format!("/nav/sd/search-3247/0/{key}")).header("location").unwrap().to_string();
    assert_eq!(nav("ok"), format!("/tv/sd/{screen}.html?f={focus}"));
    assert_eq!(nav("5"), "/tv/sd/search-32475.html?f=0");
    assert_eq!(nav("left"), "/tv/sd/search-324.html?f=0");
    assert_eq!(nav("back"), "/tv/sd/search.html?f=0");
    // Many results page: 3 alone finds every d/e/f title.
    let many = search(&s, "sd", "3");
    assert!(many["total"].as_u64().unwrap() > 5, "{many}");
    assert_eq!(s.get("/tv/sd/search-3-2.html").status, 200);
    assert!(s.get("/tv/sd/search-3-2.html").text().contains("I='search-3-2'"));

    // Nothing found says so, and names the page-number way.
    let none = s.get("/api/v1/sd/screens/search-111111.json").text();
    assert!(none.contains("没有找到") && none.contains("三位页码"), "{none}");

    // The entry screen is in the generation, reachable by 0 from every screen.
    let g = graph(s.addr, "sd");
    assert_eq!(g["screens"]["search"]["kind"], "search");
    assert_eq!(g["screens"]["home"]["states"][0]["keys"]["0"], "search#0");
    for (id, screen) in g["screens"].as_object().unwrap() {
        if screen["kind"] != "search" {
            for state in screen["states"].as_array().unwrap() {
                assert_eq!(state["keys"]["0"], "search#0", "{id}");
            }
        }
    }
}

#[test]
fn bad_queries_are_refused_in_chinese_and_change_nothing() {
    let s = Server::start(&common::fixture("search"));
    let forty = "3".repeat(40);
    for q in ["", "abc", "32%2F47", "1234567890123", forty.as_str(), "3247%00", "-1", "%EF%BC%93%EF%BC%92"] {
        let r = s.get(&format!("/api/v1/sd/search?q={q}"));
        assert_eq!(r.status, 400, "{q}: {}", r.text());
        let message = r.json()["error"].as_str().unwrap().to_string();
        assert!(message.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{q}: {message}");
    }
    for id in ["search-32a", "search-1234567890123", "search-3247-0", "search-3247-99", "search-"] {
        let r = s.get(&format!("/tv/sd/{id}.html"));
        assert_eq!(r.status, 400, "{id}");
        assert!(r.text().contains("查询"), "{id}");
        assert_eq!(s.get(&format!("/api/v1/sd/screens/{id}.json")).status, 400, "{id}");
    }
    assert_eq!(s.get("/api/v1/xx/search?q=3").status, 404);
    assert_eq!(s.get("/tv/xx/search-3.html").status, 404);
    // The channel serves on as before.
    assert_eq!(search(&s, "sd", "3247")["results"][0]["title"], "低保公示");
}

#[test]
fn a_new_generation_is_searched_at_once() {
    let dir = common::copy_fixture("search");
    let s = Server::start(dir.path());
    let q = t9("dbxz");
    assert_eq!(search(&s, "sd", &q)["total"], 0);
    let shell = s.get(&format!("/tv/sd/search-{q}.html")).text();
    std::fs::write(
        dir.path().join("01-阳光万源/01-低保公示/2026-11-20-低保新政解读.md"),
        "# 低保新政解读\n\n新政要点。\n",
    )
    .unwrap();
    let found = common::wait_for(Duration::from_secs(20), || {
        let found = search(&s, "sd", &q);
        (found["total"] == 1).then_some(found)
    })
    .expect("the new article is found");
    assert_eq!(found["results"][0]["title"], "低保新政解读");
    // The results screen cached for the old generation is made anew.
    let now = s.get(&format!("/tv/sd/search-{q}.html")).text();
    assert_ne!(now, shell);
    assert!(s.get(&format!("/api/v1/sd/screens/search-{q}.json")).text().contains("低保新政解读"));
}

#[test]
fn search_that_cannot_answer_says_so_and_back_still_works() {
    use infotv::pipeline::Renderer;
    let fonts = common::fonts();
    let renderer = std::sync::Arc::new(Renderer::new(&common::fixture("search"), fonts));
    let (g, _) = renderer.render(infotv::renderlog::Trigger::Start);
    let mut g = g.unwrap();
    // As a generation read back from disk: no index until the first render.
    for out in g.profiles.values_mut() {
        out.search = None;
    }
    let on_air = std::sync::Arc::new(infotv::onair::OnAir::new());
    on_air.swap(std::sync::Arc::new(g));
    let down = |on_demand| {
        let channel = infotv::serve::Channel { on_air: on_air.clone(), on_demand, ..Default::default() };
        let r = infotv::serve::respond(&channel, &hyper::Method::GET, "/tv/sd/search-3247.html", None, None);
        let status = r.status();
        let body = futures_body(r);
        (status, body)
    };
    let od = infotv::ondemand::OnDemand::new(renderer.clone(), 1 << 20);
    for on_demand in [None, Some(od)] {
        let (status, body) = down(on_demand);
        assert_eq!(status, 200);
        assert!(body.contains("I='search-down'"), "{body}");
        // Back leads home, and digits are page numbers there.
        assert!(body.contains("'back':'home#0'"), "{body}");
        assert!(body.contains("DG=1"), "{body}");
    }
    let channel = infotv::serve::Channel { on_air: on_air.clone(), ..Default::default() };
    let r = infotv::serve::respond(&channel, &hyper::Method::GET, "/api/v1/sd/search", Some("q=3247"), None);
    assert_eq!(r.status(), 503);
    assert!(futures_body(r).contains("查询暂不可用"));
}

fn futures_body(r: infotv::net::Resp) -> String {
    use http_body_util::BodyExt;
    let bytes = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(r.into_body().collect())
        .unwrap()
        .to_bytes();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The budget holds: a thousand different queries keep the caches of
/// screens made at request time within it.
#[test]
fn screens_made_at_request_time_stay_within_their_budget() {
    use infotv::pipeline::Renderer;
    let renderer = std::sync::Arc::new(Renderer::new(&common::fixture("search"), common::fonts()));
    let (g, _) = renderer.render(infotv::renderlog::Trigger::Start);
    let g = g.unwrap();
    let budget = 2 << 20;
    let od = infotv::ondemand::OnDemand::new(renderer, budget);
    for n in 0..300u32 {
        let id = format!("search-{}", 2 + n % 8);
        let id = if n >= 8 { format!("{id}{n}") } else { id };
        let made = od.screen(&g, "sd", &id).unwrap();
        assert_eq!(made.one.id, id);
        let (held, limit) = od.held();
        assert!(held <= limit, "{held} > {limit}");
    }
    // The most recent screen's pictures are still served.
    let made = od.screen(&g, "sd", "search-2299").unwrap();
    for (name, _, bytes) in &made.one.pictures {
        assert_eq!(od.picture(name).unwrap().1, *bytes);
    }
}

#[test]
fn site_toml_may_move_search_to_a_colour_key() {
    let dir = common::copy_fixture("search");
    let site = dir.path().join("site.toml");
    let text = std::fs::read_to_string(&site).unwrap();
    std::fs::write(&site, format!("{text}search_key = \"blue\"\n")).unwrap();
    let renderer = infotv::pipeline::Renderer::new(dir.path(), common::fonts());
    let (g, report) = renderer.render(infotv::renderlog::Trigger::Start);
    assert!(!report.problems.iter().any(|p| p.zh.contains("search_key")), "{:?}", report.problems);
    let g = g.unwrap();
    let graph: serde_json::Value = serde_json::from_slice(&g.profiles["sd"].graph_json).unwrap();
    let home = &graph["screens"]["home"]["states"][0]["keys"];
    assert_eq!(home["blue"], "search#0");
    assert!(home.get("0").is_none(), "{home}");
    // A key that is neither a digit nor a colour key is a problem; 0 stays.
    std::fs::write(&site, format!("{text}search_key = \"ok\"\n")).unwrap();
    let (g, report) = renderer.render_at(infotv::renderlog::Trigger::Start, None, true);
    assert!(report.problems.iter().any(|p| p.zh.contains("search_key")), "{:?}", report.problems);
    let graph: serde_json::Value = serde_json::from_slice(&g.unwrap().profiles["sd"].graph_json).unwrap();
    assert_eq!(graph["screens"]["home"]["states"][0]["keys"]["0"], "search#0");
}
