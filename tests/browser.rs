//! The channel in real headless Chromium (Debian's, driven by playwright-core):
//! every sub-item reached and read with the keys alone, no script errors.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::process::Command;

#[test]
fn every_sub_item_is_reachable_with_the_keys_alone() {
    let browser_dir = common::root().join("tests/browser");
    assert!(
        browser_dir.join("node_modules/playwright-core").exists(),
        "playwright-core is missing: run tests/run, which installs it (npm ci in tests/browser)"
    );
    let server = common::Server::start(&common::root().join("channels"));
    let shots = tempfile::tempdir().unwrap();
    let out = Command::new("node")
        .current_dir(&browser_dir)
        .arg("walk.mjs")
        .arg(format!("http://{}", server.addr))
        .arg(shots.path())
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "walk failed:\n{stdout}\n{stderr}");
    println!("{stdout}");
    let walked: usize =
        stdout.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no count in {stdout}"));
    assert!(walked >= 50, "the shipped channel has about 50 sub-items, walked {walked}");
    let shot = image::open(shots.path().join("home-sd.png")).unwrap();
    assert_eq!((shot.width(), shot.height()), (720, 576));
}

/// The first administrator's password, from the banner of a first start.
fn first_password(banner: &str) -> String {
    let after =
        banner.split("account admin, password ").nth(1).unwrap_or_else(|| panic!("no first password in {banner}"));
    after.split_whitespace().next().unwrap().to_string()
}

#[test]
fn the_operators_pages_load_in_chromium_without_script_errors() {
    let browser_dir = common::root().join("tests/browser");
    let server = common::Binary::start(&common::root().join("channels"));
    // Some box traffic first, so the statistics have something to draw.
    let graph = common::request(server.boxes, "GET", "/api/v1/sd/graph.json").json();
    for (i, id) in graph["screens"].as_object().unwrap().keys().enumerate().take(40) {
        common::get(server.boxes, &format!("/tv/sd/{id}.html"), &[&format!("User-Agent: STB-{}", i % 7)]);
    }
    let out = Command::new("node")
        .current_dir(&browser_dir)
        .arg("admin.mjs")
        .arg(format!("http://{}", server.admin))
        .arg(first_password(&server.banner))
        .args(std::env::var("ADMIN_SHOTS").ok())
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "admin pages failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("admin pages ok"), "{stdout}");
}

#[test]
fn a_reviewer_approves_a_waiting_article_in_chromium() {
    let browser_dir = common::root().join("tests/browser");
    let channels = common::copy_fixture("basic");
    let site = channels.path().join("site.toml");
    let toml = std::fs::read_to_string(&site).unwrap();
    std::fs::write(&site, format!("{toml}\n[review]\nrequired = true\n")).unwrap();
    let server = common::Server::start(channels.path());
    let store = infotv::store::Store::open(server.data.path()).unwrap();
    let hash = infotv::accounts::hash_password("Shenhe-Wanyuan-26").unwrap();
    store.add_account("chen", infotv::accounts::Role::Reviewer, &hash, false, chrono::Utc::now()).unwrap();
    // The reviewer's own token (the shared read-only one sees no review).
    let token = infotv::accounts::new_token();
    store.set_token("chen", &infotv::accounts::token_hash(&token), chrono::Utc::now()).unwrap();
    let article = channels.path().join("01-第一栏目/01-甲项/2026-11-28-冬季用电安全提示.md");
    std::fs::write(&article, "# 冬季用电安全提示\n\n取暖器不要靠近窗帘和被褥，出门前断开电源。\n").unwrap();
    // The watcher sees it; the article waits.
    common::wait_for(std::time::Duration::from_secs(20), || {
        let v = common::get(server.admin, "/api/v1/review", &[&format!("Authorization: Bearer {token}")]);
        v.text().contains("冬季用电安全提示").then_some(())
    })
    .expect("the article waits for review");
    let out = Command::new("node")
        .current_dir(&browser_dir)
        .arg("review.mjs")
        .arg(format!("http://{}", server.admin))
        .arg(format!("http://{}", server.addr))
        .args(["chen", "Shenhe-Wanyuan-26", "冬季用电安全提示"])
        .args(std::env::var("ADMIN_SHOTS").ok())
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "review in Chromium failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("review ok"), "{stdout}");
}
