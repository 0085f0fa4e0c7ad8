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
                    // 查询's results are made at request time: served too.
                    if tid.starts_with("search-") && !screens.contains_key(tid) {
                        let made = request(addr, "GET", &format!("/tv/{profile}/{tid}.html?f={tf}"));
                        assert_eq!(made.status, 200, "{id}#{f} {key} → {tid}");
                        continue;
                    }
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

/// The box port answers GET and HEAD on its own HTTP/1.1 path and hands a
/// connection to hyper at the first request it leaves to it (here an
/// OPTIONS): the two must give the same answers, byte for byte but the date.
#[test]
fn the_ports_own_http_path_answers_as_hyper_does() {
    let server = Binary::start(&common::fixture("basic"));
    let addr = server.boxes;
    let graph = request(addr, "GET", "/api/v1/sd/graph.json").json();
    let image = graph["screens"]["home"]["states"][0]["image"].as_str().unwrap().to_string();
    let image_tag = request(addr, "GET", &image).header("etag").unwrap().to_string();
    let shell_tag = request(addr, "GET", "/tv/sd/home.html").header("etag").unwrap().to_string();
    let asks: Vec<(String, bool)> = [
        ("GET /tv/sd/home.html", "", false),
        ("GET /tv/sd/home.html?f=1", "User-Agent: Mozilla/5.0 (Box; iPanel 3.0)\r\n", false),
        ("GET /tv/sd/home.html", &format!("If-None-Match: {shell_tag}\r\n"), false),
        ("GET /tv/sd/home.html", "X-Requested-With: XMLHttpRequest\r\n", false),
        ("HEAD /tv/sd/home.html", "", true),
        (&format!("GET {image}"), "", false),
        (&format!("HEAD {image}"), "", true),
        (&format!("GET {image}"), &format!("If-None-Match: W/{image_tag}, \"x\"\r\n"), false),
        ("GET /", "", false),
        ("GET /?return=http%3A%2F%2Fportal%2Fback&x=1", "", false),
        ("GET /healthz", "Content-Length: 0\r\n", false),
        ("GET /favicon.ico", "", false),
        ("GET /api/v1/sd/graph.json", "", false),
        ("GET /tv/sd/a-screen-that-is-gone.html", "", false),
        ("GET /tv/sd/home.html?f=999", "", false),
        ("GET /nothing", "", false),
        ("GET /a/0000.png", "", false),
        ("GET /api/v1/answer", "", false),
        ("HEAD /favicon.ico", "", true),
        ("GET /healthz", "Connection: close\r\n", false),
    ]
    .iter()
    .map(|(line, headers, head)| (format!("{line} HTTP/1.1\r\nHost: tv\r\n{headers}\r\n"), *head))
    .collect();
    let own = answered(addr, None, &asks);
    let by_hyper = answered(addr, Some("OPTIONS /healthz HTTP/1.1\r\nHost: tv\r\n\r\n"), &asks);
    assert_eq!(own.len(), asks.len());
    for ((ask, _), (a, b)) in asks.iter().zip(own.iter().zip(&by_hyper)) {
        assert_eq!(a, b, "{ask}");
    }
    // The last asked to close, and both closed after it.
    assert!(own.last().unwrap().0.contains("connection: close"), "{}", own.last().unwrap().0);
}

/// Sends `asks` one after another on one keep-alive connection (after
/// `first`, whose answer is dropped) and reads each answer: its head
/// without the date, and its body. Ends with the connection's end.
fn answered(addr: std::net::SocketAddr, first: Option<&str>, asks: &[(String, bool)]) -> Vec<(String, Vec<u8>)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let mut buf = Vec::new();
    let mut one = |s: &mut std::net::TcpStream, ask: &str, head_only: bool| {
        s.write_all(ask.as_bytes()).unwrap();
        let end = loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            let mut chunk = [0u8; 65536];
            let n = s.read(&mut chunk).unwrap();
            assert!(n > 0, "closed before answering {ask}");
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8(buf[..end].to_vec()).unwrap();
        let bodiless = head_only || head.starts_with("HTTP/1.1 304") || head.starts_with("HTTP/1.1 204");
        let len: usize = match bodiless {
            true => 0,
            false => head.lines().find_map(|l| l.strip_prefix("content-length: ")).unwrap().trim().parse().unwrap(),
        };
        while buf.len() < end + len {
            let mut chunk = [0u8; 65536];
            let n = s.read(&mut chunk).unwrap();
            assert!(n > 0, "closed in the body of {ask}");
            buf.extend_from_slice(&chunk[..n]);
        }
        let body = buf[end..end + len].to_vec();
        buf.drain(..end + len);
        let head: Vec<&str> = head.split("\r\n").filter(|l| !l.starts_with("date: ")).collect();
        (head.join("\r\n"), body)
    };
    if let Some(first) = first {
        one(&mut s, first, false);
    }
    let answers: Vec<_> = asks.iter().map(|(ask, head_only)| one(&mut s, ask, *head_only)).collect();
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty() && buf.is_empty(), "bytes after the last answer");
    answers
}
