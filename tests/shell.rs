//! The box protocol beyond the walk: the shell driven like real boxes in
//! Chromium (key codes of each middleware, digits, alerts), its script proven
//! ES3, and /nav, caching, 304, HEAD and vanished screens over HTTP.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::process::Command;
use std::time::Duration;

use common::{request, Server};

fn node(script: &str, args: &[String]) -> String {
    let dir = common::root().join("tests/browser");
    assert!(dir.join("node_modules/playwright-core").exists(), "run tests/run: it installs the npm packages");
    let out = Command::new("node").current_dir(&dir).arg(script).args(args).output().expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{script} failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

fn channel() -> tempfile::TempDir {
    let dir = common::copy_fixture("basic");
    std::fs::write(
        dir.path().join("site.toml"),
        "title = \"测试频道\"\npoll_seconds = 1\n[key_codes]\n283 = \"back\"\n",
    )
    .unwrap();
    dir
}

#[test]
fn boxes_drive_the_shell_with_their_own_key_codes() {
    let dir = channel();
    let server = Server::start(dir.path());
    let out = node("shell.mjs", &[format!("http://{}", server.addr), dir.path().display().to_string()]);
    assert!(out.contains("all as expected"), "{out}");
}

#[test]
fn shell_scripts_are_es3() {
    let server = Server::start(&common::fixture("kinds"));
    let graph = server.get("/api/v1/hd/graph.json").json();
    let mut urls = vec![format!("http://{}/tv/keytest", server.addr)];
    for id in graph["screens"].as_object().unwrap().keys() {
        urls.push(format!("http://{}/tv/hd/{id}.html", server.addr));
    }
    let out = node("es3.mjs", &urls);
    assert!(out.contains(&format!("{} scripts parse as ECMAScript 3", urls.len())), "{out}");
}

#[test]
fn nav_caching_and_vanished_screens() {
    let dir = channel();
    let server = Server::start(dir.path());
    let addr = server.addr;
    let graph = server.get("/api/v1/sd/graph.json").json();
    let home = &graph["screens"]["home"]["states"];

    // /nav: every key of a state redirects to its target's shell; a key that
    // does nothing there keeps the box where it is.
    let ok = home[1]["keys"]["ok"].as_str().unwrap().split_once('#').unwrap();
    let r = request(addr, "GET", "/nav/sd/home/1/ok");
    assert_eq!(r.status, 302);
    assert_eq!(r.header("location").unwrap(), format!("/tv/sd/{}.html?f={}", ok.0, ok.1));
    let r = request(addr, "GET", "/nav/sd/home/0/left");
    assert_eq!(r.header("location"), Some("/tv/sd/home.html?f=0"));
    assert_eq!(request(addr, "GET", "/nav/xx/home/0/ok").status, 404);

    // Caching: shells and graphs revalidate (ETag, 304), assets are immutable.
    for path in ["/tv/sd/home.html?f=1", "/api/v1/sd/graph.json"] {
        let first = request(addr, "GET", path);
        assert_eq!(first.header("cache-control"), Some("no-cache"));
        let etag = first.header("etag").unwrap().to_string();
        let again =
            raw(addr, &format!("GET {path} HTTP/1.1\r\nHost: x\r\nIf-None-Match: {etag}\r\nConnection: close\r\n\r\n"));
        assert_eq!(again.status, 304, "{path}");
        assert!(again.body.is_empty());
        let stale = raw(
            addr,
            &format!("GET {path} HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"old\"\r\nConnection: close\r\n\r\n"),
        );
        assert_eq!(stale.status, 200);
    }
    let image = home[0]["image"].as_str().unwrap();
    let asset = request(addr, "GET", image);
    assert_eq!(asset.header("cache-control"), Some("public, max-age=31536000, immutable"));
    let head = request(addr, "HEAD", image);
    assert_eq!((head.status, head.body.len()), (200, 0));
    assert_eq!(head.header("content-length"), asset.header("content-length"));

    // HTTP/1.0 boxes are served, and keep-alive serves several requests on one connection.
    let old = raw(addr, "GET /healthz HTTP/1.0\r\n\r\n");
    assert_eq!(old.status, 200);
    keep_alive(addr, image);

    // A vanished screen leads to its nearest living ancestor.
    let list = graph["screens"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, s)| s["kind"] == "list" && s["title"] == "乙项")
        .map(|(id, s)| (id.clone(), s["parent"].as_str().unwrap().to_string()))
        .unwrap();
    let article =
        graph["screens"].as_object().unwrap().iter().find(|(_, s)| s["title"] == "较新的消息").unwrap().0.clone();
    let before = server.get("/api/v1/generation").json()["generation"].clone();
    std::fs::remove_dir_all(dir.path().join("01-第一栏目/02-乙项")).unwrap();
    common::wait_for(Duration::from_secs(15), || {
        (server.get("/api/v1/generation").json()["generation"] != before).then_some(())
    })
    .expect("the removal goes on air");
    let r = request(addr, "GET", &format!("/tv/sd/{article}.html"));
    assert_eq!(r.status, 302);
    assert_eq!(r.header("location").unwrap(), format!("/tv/sd/{}.html", list.1), "article → its column");
    let r = request(addr, "GET", &format!("/nav/sd/{}/0/ok", list.0));
    assert_eq!(r.status, 302);
}

/// One raw request, read to the end.
/// Shells name neither the generation nor the alert, so a change elsewhere
/// leaves a screen's shell byte for byte as it was (a box holding it is not
/// reloaded, and a store of shells has nothing new to write); the screen that
/// changed gets a new shell.
#[test]
fn a_change_elsewhere_leaves_a_shell_byte_for_byte() {
    let dir = channel();
    let server = Server::start(dir.path());
    let graph = server.get("/api/v1/sd/graph.json").json();
    let id_of = |title: &str| {
        graph["screens"].as_object().unwrap().iter().find(|(_, s)| s["title"] == title).unwrap().0.clone()
    };
    let (here, there) = (id_of("通知"), id_of("乙项"));
    let shells = || [&here, &there, &"home".to_string()].map(|id| server.get(&format!("/tv/sd/{id}.html?f=0")).body);
    let before = shells();
    let generation = || server.get("/api/v1/generation").json()["generation"].as_str().unwrap().to_string();
    let first = generation();
    assert!(server.get("/api/v1/generation").json()["age"].as_u64().is_some());
    std::fs::write(dir.path().join("01-第一栏目/02-乙项/2026-11-27-别处的新消息.md"), "别处的正文。\n").unwrap();
    common::wait_for(Duration::from_secs(20), || (generation() != first).then_some(()))
        .expect("the change went on air");
    let after = shells();
    assert_eq!(after[0], before[0], "a screen nothing changed on kept its shell");
    assert_ne!(after[1], before[1], "the list that gained an entry has a new shell");
    let text = String::from_utf8_lossy(&after[0]).into_owned();
    assert!(!text.contains(&first) && !text.contains(&generation()), "a shell names no generation");
}

fn raw(addr: std::net::SocketAddr, text: &str) -> common::Response {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(text.as_bytes()).unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    common::parse_response(&buf)
}

/// Three requests on one connection, each answered in full.
fn keep_alive(addr: std::net::SocketAddr, path: &str) {
    use std::io::{BufRead, BufReader, Read, Write};
    let s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    for _ in 0..3 {
        write!(w, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut len = 0;
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        assert!(line.starts_with("HTTP/1.1 200"), "{line}");
        loop {
            line.clear();
            r.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; len];
        r.read_exact(&mut body).unwrap();
    }
}
