//! The county-scale channel at a size CI can run: `bench/county.py` at a
//! small scale (about 2,000 screens, both profiles), served by the real
//! binary. The assertions are those `bench/scale.py` measures at full size:
//! one edited file is read again alone and only its screens are drawn
//! again; what the edit writes to disk is in proportion to the change; a
//! restart after kill -9, at any moment of a save, serves a whole
//! generation at once.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::path::Path;
use std::time::{Duration, SystemTime};

use common::{request, wait_for, Binary, ADMIN_TOKEN};

/// The county channel at `scale`, every file dated a minute back (as files
/// copied in a while ago are: a file written in the last seconds is read
/// again by every render, in case a coarse clock hides a second change).
fn county(out: &Path, scale: &str) {
    let status = std::process::Command::new("python3")
        .arg(common::root().join("bench/county.py"))
        .arg(out)
        .arg(scale)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    fn age(dir: &Path, when: SystemTime) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                age(&path, when);
            } else {
                std::fs::File::options().write(true).open(&path).unwrap().set_modified(when).unwrap();
            }
        }
    }
    age(out, SystemTime::now() - Duration::from_secs(60));
}

fn generation(server: &Binary) -> String {
    let r = request(server.boxes, "GET", "/healthz");
    assert_eq!(r.status, 200, "{}", r.text());
    r.text().split_whitespace().nth(1).unwrap().to_string()
}

/// The blob packs' bytes on disk.
fn packed(data: &Path) -> u64 {
    std::fs::read_dir(data.join("blobs")).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum()
}

/// `key=value` of the last render line of the log that has `trigger`.
fn logged_field(server: &Binary, trigger: &str, key: &str) -> Option<u64> {
    let log = server.logged();
    let line = log.lines().rev().find(|l| l.contains(" render ") && l.contains(trigger))?;
    let value = line.split_whitespace().find_map(|w| w.strip_prefix(&format!("{key}=")))?;
    value.parse().ok()
}

/// Every picture and shell of both profiles' graphs, as served, is whole:
/// a picture hashes to its name.
fn whole(server: &Binary) -> usize {
    let mut n = 0;
    for profile in ["sd", "hd"] {
        let graph = request(server.boxes, "GET", &format!("/api/v1/{profile}/graph.json")).json();
        let screens = graph["screens"].as_object().unwrap();
        // Every tenth screen: a few hundred requests, not thousands.
        for (id, s) in screens.iter().step_by(10) {
            let shell = request(server.boxes, "GET", &format!("/tv/{profile}/{id}.html"));
            assert!(shell.status == 200 && shell.text().contains("</html>"), "{id}");
            let image = s["states"][0]["image"].as_str().unwrap();
            let r = request(server.boxes, "GET", image);
            let hash = image.trim_start_matches("/a/").split('.').next().unwrap();
            assert_eq!(&blake3::hash(&r.body).to_hex()[..hash.len()], hash, "{image}: wrong bytes");
            n += 1;
        }
    }
    n
}

#[test]
fn a_county_channel_takes_an_edit_in_proportion_and_restarts_whole_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let channels = dir.path().join("channels");
    let data = dir.path().join("data");
    county(&channels, "0.1");
    let start = || Binary::start_opts(&channels, &data, Some(ADMIN_TOKEN), &[], "info");
    let server = start();
    let screens = logged_field(&server, "trigger=start", "screens").unwrap();
    assert!(screens >= 2000, "a county channel at a tenth: {screens} screens");
    let saved = data.join(infotv::publish::disk::FILE);
    wait_for(Duration::from_secs(30), || saved.exists().then_some(())).expect("saved");
    std::thread::sleep(Duration::from_millis(500));
    let (packs_before, manifest) = (packed(&data), std::fs::metadata(&saved).unwrap().len());

    // One article edited: only it is read again, only its pages drawn again.
    let item = channels.join("01-要闻速递/01-时政要闻");
    let article = std::fs::read_dir(&item)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "md"))
        .unwrap();
    let first = generation(&server);
    let mut text = std::fs::read_to_string(&article).unwrap();
    text.push_str("\n补充：编辑后几秒内上电视。\n");
    std::fs::write(&article, text).unwrap();
    wait_for(Duration::from_secs(30), || (generation(&server) != first).then_some(())).expect("the edit went on air");
    let trigger = "trigger=files:";
    // The render is logged just after its generation goes on air.
    let read = wait_for(Duration::from_secs(10), || logged_field(&server, trigger, "files_read"));
    assert_eq!(read, Some(1), "only the edited file is read again");
    let rendered = logged_field(&server, trigger, "rendered").unwrap();
    assert!((1..=8).contains(&rendered), "only the article's pages are drawn again: {rendered} of {screens}");
    let edited = generation(&server);
    wait_for(Duration::from_secs(30), || {
        let log = server.logged();
        log.lines().rev().find(|l| l.contains("saved on-air generation")).filter(|l| l.contains(&edited)).map(|_| ())
    });
    std::thread::sleep(Duration::from_millis(300));
    // What it wrote: its pictures, shells and texts, the buckets of screen
    // records they are listed in, and the manifest naming those buckets —
    // never the channel again.
    let grown = packed(&data) - packs_before;
    let manifest_after = std::fs::metadata(&saved).unwrap().len();
    eprintln!("edit: {grown} bytes of blobs, manifest {manifest} -> {manifest_after} bytes, store {packs_before}");
    assert!(grown < 512 << 10, "the edit added {grown} bytes of blobs");
    assert!(packs_before > 20 * grown, "nothing unchanged was written again: {grown} of {packs_before} bytes");
    assert!(manifest_after < 64 << 10, "the manifest names buckets, not screens: {manifest_after} bytes");
    whole(&server);

    // Killed at moments across renders and saves: every restart serves a
    // whole generation at once, and the start render after it draws nothing
    // that did not change.
    let mut server = server;
    for (round, delay_ms) in [0u64, 150, 700].into_iter().enumerate() {
        let mut text = std::fs::read_to_string(&article).unwrap();
        text.push_str(&format!("\n第 {round} 轮补充。\n"));
        std::fs::write(&article, text).unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms + 400));
        server.kill();
        server = start();
        assert!(!server.logged().contains("trigger=start"), "served from disk before any render");
        assert!(whole(&server) > 100);
    }
    wait_for(Duration::from_secs(60), || logged_field(&server, "trigger=start", "rendered"))
        .filter(|&r| r <= 8)
        .expect("after a restart only what changed while it was down is drawn");
}
