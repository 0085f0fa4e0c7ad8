//! The watch loop: files written, changed and removed in a served channel
//! reach the boxes without a restart.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{wait_for, Server};
use infotv::config::WatchMode;
use infotv::watch::Options;

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

/// Renders recorded since the server started (the start render excluded).
fn renders_since_start(server: &Server) -> Vec<infotv::renderlog::Report> {
    server.station.log.history().into_iter().skip(1).collect()
}

/// A big JPEG (noise compresses badly): several MB, like a camera photo.
fn big_photo() -> Vec<u8> {
    let (w, h) = (2400, 1600);
    let mut seed = 0x2545_f491_u32;
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let n = (seed & 0x3f) as u8;
        image::Rgb([(x / 10) as u8 ^ n, (y / 7) as u8 ^ n, 90 + n])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95).encode_image(&img).unwrap();
    out
}

/// Copies `bytes` to `to` in `chunks` pieces with `gap` between them, the
/// way a copy over a slow network share arrives.
fn slow_copy(bytes: &[u8], to: &Path, chunks: usize, gap: Duration) {
    let mut file = std::fs::File::create(to).unwrap();
    for piece in bytes.chunks(bytes.len().div_ceil(chunks)) {
        file.write_all(piece).unwrap();
        file.flush().unwrap();
        std::thread::sleep(gap);
    }
}

fn slow_copy_makes_one_render(options: Options) {
    let dir = common::copy_fixture("basic");
    let gallery = dir.path().join("01-第一栏目/09-新图集");
    std::fs::create_dir_all(&gallery).unwrap();
    std::fs::write(
        gallery.join("01-先放的.jpg"),
        std::fs::read(common::fixture("kinds/02-图集/01-照片/01-草地.jpg")).unwrap(),
    )
    .unwrap();
    let server = Server::start_with(dir.path(), options);
    let photo = big_photo();
    println!("copying {} KB in 40 chunks", photo.len() / 1024);
    let started = Instant::now();
    slow_copy(&photo, &gallery.join("02-大照片.jpg"), 40, Duration::from_millis(60));
    let copied = started.elapsed();
    wait_for(LIMIT, || titles(&server).contains(&"大照片".to_string()).then_some(())).expect("the photo goes on air");
    std::thread::sleep(Duration::from_millis(600));
    let renders = renders_since_start(&server);
    println!("copy took {copied:?}; renders: {:#?}", renders.iter().map(|r| r.line()).collect::<Vec<_>>());
    assert_eq!(renders.len(), 1, "one render, after the copy completed");
    assert!(renders[0].problems.is_empty(), "never a half picture: {:#?}", renders[0].problems);
}

#[test]
fn a_slow_copy_yields_one_render_after_it_completes() {
    slow_copy_makes_one_render(Options::new(Duration::from_millis(200)));
}

#[test]
fn the_polling_watcher_sees_changes_and_slow_copies() {
    let poll = Options {
        mode: WatchMode::Poll,
        poll_interval: Duration::from_millis(150),
        ..Options::new(Duration::from_millis(100))
    };
    slow_copy_makes_one_render(poll);

    // Added, changed and removed, seen by scanning alone.
    let dir = common::copy_fixture("basic");
    let server = Server::start_with(dir.path(), poll);
    let item = dir.path().join("01-第一栏目/02-乙项");
    std::fs::write(item.join("2026-11-26-轮询发现.md"), "正文。\n").unwrap();
    wait_for(LIMIT, || titles(&server).contains(&"轮询发现".to_string()).then_some(())).expect("poll sees a new file");
    std::fs::rename(item.join("2026-11-26-轮询发现.md"), item.join("2026-11-26-改了名.md")).unwrap();
    wait_for(LIMIT, || {
        let t = titles(&server);
        (t.contains(&"改了名".to_string()) && !t.contains(&"轮询发现".to_string())).then_some(())
    })
    .expect("poll sees a rename");
    let trigger = &renders_since_start(&server)[0].trigger;
    let infotv::renderlog::Trigger::Files { names, .. } = trigger else { panic!("{trigger}") };
    assert!(names.iter().any(|n| n.ends_with("02-乙项/2026-11-26-轮询发现.md")), "{trigger}");
}

#[test]
fn a_burst_of_a_hundred_files_makes_a_few_renders() {
    let dir = common::copy_fixture("basic");
    let server = Server::start(dir.path());
    let item = dir.path().join("01-第一栏目/05-批量");
    let started = Instant::now();
    std::fs::create_dir_all(&item).unwrap();
    for i in 0..100 {
        std::fs::write(item.join(format!("{i:03}-第{i}条.md")), format!("第 {i} 条消息的正文。\n")).unwrap();
    }
    wait_for(LIMIT, || {
        let t = titles(&server);
        (0..100).all(|i| t.contains(&format!("第{i}条"))).then_some(())
    })
    .expect("all hundred on air");
    println!("100 files → on air in {:?}", started.elapsed());
    std::thread::sleep(Duration::from_millis(600));
    let renders = renders_since_start(&server);
    for r in &renders {
        println!("{}", r.line());
    }
    assert!((1..=3).contains(&renders.len()), "{} renders", renders.len());
    assert!(renders.iter().all(|r| r.change_to_air.is_some()), "change → on-air is logged for every render");
}

#[test]
fn renamed_and_deleted_files_and_folders_go_on_air() {
    let dir = common::copy_fixture("basic");
    let server = Server::start(dir.path());
    let has = |t: &str| titles(&server).contains(&t.to_string());
    let column = dir.path().join("01-第一栏目");
    // A renamed article takes its new title from its new name.
    std::fs::rename(column.join("02-乙项/2026-11-01-较早的消息.md"), column.join("02-乙项/2026-11-01-改名的消息.md"))
        .unwrap();
    wait_for(LIMIT, || (has("改名的消息") && !has("较早的消息")).then_some(())).expect("renamed file");
    // A renamed sub-item folder keeps its articles under its new title.
    std::fs::rename(column.join("02-乙项"), column.join("02-丙项")).unwrap();
    wait_for(LIMIT, || (has("丙项") && !has("乙项") && has("改名的消息")).then_some(())).expect("renamed folder");
    // A deleted folder takes its articles with it.
    std::fs::remove_dir_all(column.join("02-丙项")).unwrap();
    wait_for(LIMIT, || (!has("丙项") && !has("改名的消息")).then_some(())).expect("deleted folder");
}

#[test]
fn a_file_that_breaks_on_air_keeps_its_last_good_screens() {
    let dir = common::copy_fixture("basic");
    let server = Server::start(dir.path());
    let only = dir.path().join("02-第二栏目/01-只有一篇/通知.txt");
    let graph = server.get("/api/v1/sd/graph.json").json();
    let id = graph["screens"].as_object().unwrap().iter().find(|(_, s)| s["title"] == "通知").unwrap().0.clone();
    let before = server.get(&format!("/api/v1/sd/screens/{id}.json")).text();
    // Emptied by a save that went wrong: the screen stays as it was.
    std::fs::write(&only, "").unwrap();
    let report = wait_for(LIMIT, || renders_since_start(&server).pop()).expect("a render");
    let problem = report.problems.iter().find(|p| p.path.ends_with("通知.txt")).expect("a problem");
    assert!(problem.last_good, "{problem:#?}");
    assert_eq!(server.get(&format!("/api/v1/sd/screens/{id}.json")).text(), before);
}
