//! The watch loop: files written, changed and removed in a served channel
//! reach the boxes without a restart.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::{wait_for, Server};

fn titles(server: &Server) -> Vec<String> {
    let graph = server.get("/api/v1/sd/graph.json").json();
    graph["screens"].as_object().unwrap().values().map(|s| s["title"].as_str().unwrap().to_string()).collect()
}

/// Generous against a loaded CI machine; the time taken is printed.
const LIMIT: Duration = Duration::from_secs(10);

#[test]
fn added_changed_and_removed_files_go_on_air() {
    let dir = common::copy_fixture("basic");
    let server = Server::start(dir.path());
    let first = server.get("/api/v1/generation").json()["generation"].clone();

    // Added: a new article appears in its list.
    let item = dir.path().join("01-第一栏目/02-乙项");
    let started = Instant::now();
    std::fs::write(item.join("2026-11-26-新加的消息.md"), "新加的正文。\n").unwrap();
    wait_for(LIMIT, || titles(&server).contains(&"新加的消息".to_string()).then_some(()))
        .expect("a new file goes on air");
    println!("added → on air in {:?}", started.elapsed());
    let second = server.get("/api/v1/generation").json()["generation"].clone();
    assert_ne!(first, second);

    // Changed: the single article of a sub-item shows its new text.
    let only = dir.path().join("02-第二栏目/01-只有一篇/通知.txt");
    let graph = server.get("/api/v1/sd/graph.json").json();
    let id = graph["screens"].as_object().unwrap().iter().find(|(_, s)| s["title"] == "通知").unwrap().0.clone();
    let started = Instant::now();
    std::fs::write(&only, "改过的通知正文。\n").unwrap();
    wait_for(LIMIT, || {
        server.get(&format!("/api/v1/sd/screens/{id}.json")).text().contains("改过的通知正文").then_some(())
    })
    .expect("a changed file goes on air");
    println!("changed → on air in {:?}", started.elapsed());

    // Removed: the article is gone, and its old URL leads somewhere living.
    let gone =
        graph["screens"].as_object().unwrap().iter().find(|(_, s)| s["title"] == "较早的消息").unwrap().0.clone();
    std::fs::remove_file(item.join("2026-11-01-较早的消息.md")).unwrap();
    wait_for(LIMIT, || (!titles(&server).contains(&"较早的消息".to_string())).then_some(()))
        .expect("a removed file goes off air");
    let r = server.get(&format!("/tv/sd/{gone}.html"));
    assert_eq!(r.status, 302);

    // Temp files do not trigger anything that changes what is on air.
    let before = server.get("/api/v1/generation").json()["generation"].clone();
    std::fs::write(item.join("~$草稿.docx"), b"lock").unwrap();
    std::fs::write(item.join("草稿.md.swp"), b"swap").unwrap();
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(server.get("/api/v1/generation").json()["generation"], before);
}

#[test]
fn a_broken_site_toml_keeps_the_last_good_generation() {
    let dir = common::copy_fixture("basic");
    let server = Server::start(dir.path());
    let good = server.get("/api/v1/generation").json()["generation"].clone();
    let home_before = server.get("/tv/sd/home.html").text();
    std::fs::write(dir.path().join("site.toml"), "title = \"半个").unwrap();
    // Then a legitimate change elsewhere, which must not publish either.
    std::fs::write(dir.path().join("01-第一栏目/02-乙项/2026-11-27-另一条.md"), "正文。\n").unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(server.get("/api/v1/generation").json()["generation"], good);
    assert_eq!(server.get("/tv/sd/home.html").text(), home_before);
    // Fixing site.toml publishes everything.
    std::fs::write(dir.path().join("site.toml"), "title = \"修好了\"\n").unwrap();
    wait_for(LIMIT, || titles(&server).contains(&"另一条".to_string()).then_some(())).expect("fixed config publishes");
}

#[test]
fn a_broken_site_toml_at_start_still_serves_with_defaults() {
    let server = Server::start(&common::fixture("broken-site"));
    assert_eq!(server.get("/healthz").status, 200);
    let graph = server.get("/api/v1/sd/graph.json").json();
    assert_eq!(graph["screens"]["home"]["title"], "信息频道");
}

#[test]
fn scheduled_publish_and_expiry_take_effect_on_time_without_a_file_event() {
    let dir = common::copy_fixture("basic");
    let item = dir.path().join("01-第一栏目/02-乙项");
    let at = |secs: i64| {
        (chrono::Utc::now() + chrono::Duration::seconds(secs))
            .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
            .format("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
    };
    std::fs::write(item.join("2026-11-27-定时发布.md"), format!("+++\npublish = {}\n+++\n到点才播出。\n", at(3)))
        .unwrap();
    std::fs::write(item.join("2026-11-27-到期撤下.md"), format!("+++\nexpires = {}\n+++\n到点就撤下。\n", at(4)))
        .unwrap();
    let server = Server::start(dir.path());
    let has = |t: &str| titles(&server).contains(&t.to_string());
    assert!(!has("定时发布") && has("到期撤下"));
    wait_for(LIMIT, || (has("定时发布") && !has("到期撤下")).then_some(())).expect("publish and expiry happen on time");
}
