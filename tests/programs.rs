//! Tests from other rooms that need a program from outside Rust, so that
//! `cargo test` runs everything else on a machine with Rust alone: the
//! households' flow and typed village numbers in Chromium (node and
//! playwright-core), and the render's progress bar on a terminal
//! (util-linux `script`).
#![allow(clippy::unwrap_used)]

use crate::common;

use std::process::Command;

use common::households::{asks, counts, poll_screen, site};
use common::{graph, places, Server};

#[test]
fn households_answer_with_the_remote_in_chromium() {
    let dir = common::root().join("tests/browser");
    assert!(dir.join("node_modules/playwright-core").exists(), "run tests/run: it installs the npm packages");
    let site = site("");
    let addr = site.server.addr;
    let (_, spec) = poll_screen(addr);
    let out = Command::new("node")
        .current_dir(&dir)
        .arg("answers.mjs")
        .arg(format!("http://{addr}"))
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "answers.mjs failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("answers ok"), "{stdout}");
    // What the browser did is what the store holds: two boxes, the first
    // changed its mind (3 then 2 on question 1).
    let (c, boxes) = counts(&site.store, spec["send"]["key"].as_str().unwrap());
    assert_eq!(boxes, 2, "{c:?}");
    assert_eq!(c[0], [1, 1, 0, 0], "box 1's answer replaced, box 2's added");
    assert_eq!(site.store.ratings().unwrap()[0].levels, [0, 0, 0, 1, 0]);
    let requests = site.store.requests(5).unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].phone.as_deref(), Some("13881812345"));
    assert!(stdout.contains(&format!("reference {}", requests[0].reference)), "{stdout}");

    // Every answer screen's script is ES3 and no answer path uses JSON.
    let mut urls = Vec::new();
    for (_, list) in asks(addr, "sd") {
        urls.extend(list.into_iter().map(|(id, _)| format!("http://{addr}/tv/sd/{id}.html")));
    }
    let out = Command::new("node").current_dir(&dir).arg("es3.mjs").args(&urls).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains(&format!("{} scripts parse", urls.len())), "{text}");
}

#[test]
fn numbers_typed_on_a_township_pick_its_villages_in_chromium() {
    let dir = common::root().join("tests/browser");
    assert!(dir.join("node_modules/playwright-core").exists(), "run tests/run: it installs the npm packages");
    let server = Server::start(&common::fixture("places"));
    let (township, _) = places(&graph(server.addr, "sd"), "太平镇");
    let out = Command::new("node")
        .current_dir(&dir)
        .arg("places.mjs")
        .arg(format!("http://{}", server.addr))
        .arg(&township)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "places.mjs failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("places ok"), "{stdout}");
}

#[test]
fn render_shows_a_progress_bar_on_a_terminal_and_none_in_a_pipe() {
    let out_dir = tempfile::tempdir().unwrap();
    let basic = common::fixture("basic");
    let line = format!(
        "{} render --channels {} --out {}",
        env!("CARGO_BIN_EXE_infotv"),
        basic.display(),
        out_dir.path().display()
    );
    // util-linux `script` gives the command a pseudo-terminal, as a person has.
    let tty = Command::new("script").args(["-qec", &line, "/dev/null"]).output().unwrap();
    assert!(tty.status.success());
    let shown = String::from_utf8_lossy(&tty.stdout);
    assert!(shown.contains("sd [") && shown.contains("hd [") && shown.contains("screens"), "{shown}");
    let piped = Command::new(env!("CARGO_BIN_EXE_infotv"))
        .args(["render", "--channels", basic.to_str().unwrap(), "--out", out_dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(piped.status.success());
    assert!(!String::from_utf8_lossy(&piped.stderr).contains("screens"), "no bar in a pipe");
}

#[test]
fn households_search_with_the_number_keys_in_chromium() {
    let dir = common::root().join("tests/browser");
    assert!(dir.join("node_modules/playwright-core").exists(), "run tests/run: it installs the npm packages");
    let server = Server::start(&common::fixture("search"));
    let out = Command::new("node")
        .current_dir(&dir)
        .arg("search.mjs")
        .arg(format!("http://{}", server.addr))
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "search.mjs failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("search ok"), "{stdout}");
    // The script of the search screens (and of a screen it leads from) is ES3.
    let urls: Vec<String> = ["search", "search-3247", "search-3-2", "search-down", "home"]
        .iter()
        .map(|id| format!("http://{}/tv/sd/{id}.html", server.addr))
        .collect();
    let out = Command::new("node").current_dir(&dir).arg("es3.mjs").args(&urls).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains(&format!("{} scripts parse", urls.len())), "{text}");
}
