//! The server, started for real: the binary on a free port serving the shipped
//! channel, walked over HTTP.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::{request, Binary};
use std::collections::{HashMap, HashSet};

#[test]
fn the_shipped_channel_walked_over_http() {
    let server = Binary::start(&common::root().join("channels"));
    let addr = server.boxes;

    let root = request(addr, "GET", "/");
    assert_eq!(root.status, 302);
    assert_eq!(root.header("location"), Some("/tv/sd/home.html"));
    assert_eq!(request(addr, "GET", "/healthz").status, 200);
    let generation = request(addr, "GET", "/api/v1/generation").json();
    assert!(generation["generation"].as_str().unwrap().len() >= 8);
    assert!(generation["alert"].is_null());

    for (profile, w, h) in [("sd", 720, 576), ("hd", 1280, 720)] {
        let graph = request(addr, "GET", &format!("/api/v1/{profile}/graph.json")).json();
        assert_eq!(graph["generation"], generation["generation"]);
        assert_eq!((graph["width"].as_u64(), graph["height"].as_u64()), (Some(w), Some(h)));
        let screens = graph["screens"].as_object().unwrap();
        assert!(screens.len() > 140, "{profile}: {} screens", screens.len());
        let mut images: HashSet<String> = HashSet::new();
        let mut focus_images: HashMap<String, (u64, u64)> = HashMap::new();
        for (id, screen) in screens {
            let states = screen["states"].as_array().unwrap();
            for (f, state) in states.iter().enumerate() {
                images.insert(state["image"].as_str().unwrap().to_string());
                if let Some(focus) = state.get("focus") {
                    let size = (focus["w"].as_u64().unwrap(), focus["h"].as_u64().unwrap());
                    focus_images.insert(focus["image"].as_str().unwrap().to_string(), size);
                }
                for (key, target) in state["keys"].as_object().unwrap() {
                    let (tid, tf) = target.as_str().unwrap().rsplit_once('#').unwrap();
                    let t = screens.get(tid).unwrap_or_else(|| panic!("{id}#{f} {key} → {tid} missing"));
                    assert!(tf.parse::<usize>().unwrap() < t["states"].as_array().unwrap().len());
                }
                // Every state's shell is served.
                let shell = request(addr, "GET", &format!("/tv/{profile}/{id}.html?f={f}"));
                assert_eq!(shell.status, 200, "{id}");
                assert_eq!(shell.header("content-type"), Some("text/html; charset=utf-8"));
                assert!(shell.text().contains(state["image"].as_str().unwrap()));
            }
            assert_eq!(screen["parent"].is_null(), id == "home");
            let text = request(addr, "GET", &format!("/api/v1/{profile}/screens/{id}.json")).json();
            assert_eq!(text["states"].as_array().unwrap().len(), states.len());
        }
        // Every picture has the profile's size; every focus picture its box's size.
        for url in &images {
            let r = request(addr, "GET", url);
            assert_eq!(r.status, 200);
            assert_eq!(r.header("cache-control"), Some("public, max-age=31536000, immutable"));
            let want = if url.ends_with(".jpg") { "image/jpeg" } else { "image/png" };
            assert_eq!(r.header("content-type"), Some(want), "{url}");
            assert_eq!(r.header("content-length").unwrap().parse::<usize>().unwrap(), r.body.len());
            let img = image::load_from_memory(&r.body).unwrap();
            assert_eq!((img.width(), img.height()), (w as u32, h as u32), "{url}");
        }
        for (url, (fw, fh)) in &focus_images {
            let img = image::load_from_memory(&request(addr, "GET", url).body).unwrap();
            assert_eq!((img.width() as u64, img.height() as u64), (*fw, *fh), "{url}");
        }
    }
}

#[test]
fn errors_and_methods() {
    let server = Binary::start(&common::root().join("channels"));
    let addr = server.boxes;
    assert_eq!(request(addr, "GET", "/nothing").status, 404);
    assert_eq!(request(addr, "GET", "/a/0000.png").status, 404);
    assert_eq!(request(addr, "GET", "/api/v1/xx/graph.json").status, 404);
    assert_eq!(request(addr, "GET", "/tv/../../etc/passwd").status, 404);
    assert_eq!(request(addr, "GET", "/tv/sd/%2e%2e%2fhome.html").status, 404);
    let post = request(addr, "POST", "/tv/sd/home.html");
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));
    // HEAD: the headers of GET, no body.
    let head = request(addr, "HEAD", "/tv/sd/home.html");
    let get = request(addr, "GET", "/tv/sd/home.html");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-length"), get.header("content-length"));
    // A screen that no longer exists is never a dead end.
    let gone = request(addr, "GET", "/tv/sd/a-0123456789.html");
    assert_eq!(gone.status, 302);
    assert_eq!(gone.header("location"), Some("/tv/sd/home.html"));
    // An out-of-range focus shows the first state instead of failing.
    assert_eq!(request(addr, "GET", "/tv/sd/home.html?f=99").status, 200);
}
