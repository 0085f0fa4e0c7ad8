//! Real nginx (Debian's) in front of infotv with the shipped cache config, and
//! serving a static export with the shipped edge config: the whole graph of
//! both profiles walked through each, every state's shell and picture; on the
//! edge, the header's date and clock in Chromium by the box's own clock.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

use common::{get, request, wait_for, Binary};

const NGINX: &str = "/usr/sbin/nginx";

/// nginx with one site config from deploy/nginx, rewritten for this test's
/// ports and folders; stopped on drop.
struct Nginx {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Nginx {
    fn start(site: &str, rewrite: &[(&str, String)]) -> Nginx {
        assert!(Path::new(NGINX).exists(), "nginx is missing: run tests/run, which installs it");
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let mut conf = std::fs::read_to_string(common::root().join("deploy/nginx").join(site)).unwrap();
        for (from, to) in rewrite {
            assert!(conf.contains(from), "{site} no longer has {from:?}");
            conf = conf.replace(from, to);
        }
        conf = conf.replace("listen 80;", &format!("listen {addr};"));
        let d = dir.path().display();
        std::fs::write(dir.path().join("site.conf"), conf).unwrap();
        let main = format!(
            "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
             events {{ worker_connections 1024; }}\n\
             http {{ access_log off; client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fastcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;\n\
             include /etc/nginx/mime.types; include {d}/site.conf; }}\n"
        );
        std::fs::write(dir.path().join("nginx.conf"), main).unwrap();
        // Workers may run as nobody: let them write their temp files.
        Command::new("chmod").args(["-R", "a+rwX"]).arg(dir.path()).status().unwrap();
        let child =
            Command::new(NGINX).arg("-p").arg(dir.path()).arg("-c").arg(dir.path().join("nginx.conf")).spawn().unwrap();
        let nginx = Nginx { child, addr, _dir: dir };
        wait_for(Duration::from_secs(10), || std::net::TcpStream::connect(addr).ok()).unwrap_or_else(|| {
            panic!(
                "nginx did not start: {}",
                std::fs::read_to_string(nginx._dir.path().join("error.log")).unwrap_or_default()
            )
        });
        nginx
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // TERM lets the master stop its workers; KILL would orphan them.
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        if wait_for(Duration::from_secs(5), || self.child.try_wait().ok().flatten()).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// nginx with the shipped cache config in front of `server`, its cache in a
/// temporary folder (kept while the returned guard lives).
fn cache_front(server: &Binary) -> (Nginx, tempfile::TempDir) {
    let cache = tempfile::tempdir().unwrap();
    Command::new("chmod").args(["a+rwx"]).arg(cache.path()).status().unwrap();
    let nginx = Nginx::start(
        "infotv-cache.conf",
        &[
            ("server 127.0.0.1:8080;", format!("server {};", server.boxes)),
            ("/var/cache/nginx/infotv", cache.path().display().to_string()),
        ],
    );
    (nginx, cache)
}

/// Every screen and state of every profile through `addr`: shells answer,
/// their pictures decode at the right size, key targets exist. Returns the
/// number of states walked.
fn walk(addr: SocketAddr) -> usize {
    let mut states = 0;
    for (profile, w, h) in [("sd", 720, 576), ("hd", 1280, 720)] {
        let graph = request(addr, "GET", &format!("/api/v1/{profile}/graph.json")).json();
        let screens = graph["screens"].as_object().unwrap();
        assert!(screens.len() > 100, "{profile}: {} screens", screens.len());
        for (id, screen) in screens {
            for (f, state) in screen["states"].as_array().unwrap().iter().enumerate() {
                let shell = request(addr, "GET", &format!("/tv/{profile}/{id}.html?f={f}"));
                assert_eq!(shell.status, 200, "{profile}/{id}#{f}");
                let image = state["image"].as_str().unwrap();
                assert!(shell.text().contains(image), "{profile}/{id}#{f} shows its picture");
                for target in state["keys"].as_object().unwrap().values() {
                    let target = target.as_str().unwrap().split('#').next().unwrap();
                    // 查询's results are made at request time (below, and tests/search.rs).
                    if screen["kind"] == "search" && target.starts_with("search-") {
                        continue;
                    }
                    assert!(screens.contains_key(target), "{profile}/{id}#{f} → {target}");
                }
                states += 1;
            }
            let image = screen["states"][0]["image"].as_str().unwrap();
            let pic = request(addr, "GET", image);
            assert_eq!(pic.status, 200, "{image}");
            let decoded = image::load_from_memory(&pic.body).unwrap();
            assert_eq!((decoded.width(), decoded.height()), (w, h), "{image}");
        }
    }
    let polled = request(addr, "GET", "/api/v1/generation").json();
    assert!(polled["generation"].as_str().unwrap().len() >= 8);
    states
}

#[test]
fn nginx_in_front_of_infotv_serves_the_whole_graph_from_its_cache() {
    let server = Binary::start(&common::root().join("channels"));
    let (nginx, _cache) = cache_front(&server);
    let states = walk(nginx.addr);
    println!("walked {states} states through nginx");
    // Pictures come from nginx's cache the second time, marked so.
    let graph = request(nginx.addr, "GET", "/api/v1/sd/graph.json").json();
    let image = graph["screens"]["home"]["states"][0]["image"].as_str().unwrap().to_string();
    let again = request(nginx.addr, "GET", &image);
    assert_eq!(again.header("x-cache"), Some("HIT"));
    assert_eq!(again.header("cache-control"), Some("public, max-age=31536000, immutable"));
    // A proxy on infotv's machine names the box in X-Real-IP (the config sets
    // it): two boxes with the same browser behind it count as two.
    let auth = format!("Authorization: Bearer {}", common::ADMIN_TOKEN);
    let boxes_today = || {
        let csv = get(server.admin, "/stats.csv", &[&auth]).text();
        csv.lines().nth(1).and_then(|l| l.rsplit(',').next()).and_then(|n| n.parse::<u32>().ok()).unwrap_or(0)
    };
    let before = boxes_today();
    for ip in ["10.20.0.1", "10.20.0.2", "10.20.0.2"] {
        get(server.boxes, "/tv/sd/home.html", &["User-Agent: STB-Same", &format!("X-Real-IP: {ip}")]);
    }
    assert_eq!(boxes_today(), before + 2);
    assert!(std::fs::read_to_string(common::root().join("deploy/nginx/infotv-cache.conf"))
        .unwrap()
        .contains("proxy_set_header X-Real-IP $remote_addr;"));
}

#[test]
fn nginx_in_front_serves_the_broadcast_loop_hls() {
    let work = tempfile::tempdir().unwrap();
    let channels = work.path().join("channels");
    let item = channels.join("01-便民万源/01-便民电话");
    std::fs::create_dir_all(&item).unwrap();
    std::fs::write(channels.join("site.toml"), "[loop]\nseconds = 3\n").unwrap();
    std::fs::write(item.join("常用电话.txt"), "常用服务电话\n火警 119\n").unwrap();
    let server =
        Binary::start_opts(&channels, &work.path().join("data"), Some(common::ADMIN_TOKEN), &["--loop", "on"], "warn");
    let (nginx, _cache) = cache_front(&server);
    let segment = wait_for(Duration::from_secs(30), || {
        let playlist = request(nginx.addr, "GET", "/live/sd/index.m3u8");
        (playlist.status == 200).then_some(())?;
        assert_eq!(playlist.header("content-type"), Some("application/vnd.apple.mpegurl"));
        playlist.text().lines().find(|l| l.ends_with(".ts")).map(String::from)
    })
    .expect("the playlist through nginx");
    let first = request(nginx.addr, "GET", &format!("/live/sd/{segment}"));
    assert_eq!(first.status, 200);
    assert_eq!(first.header("content-type"), Some("video/mp2t"));
    assert_eq!(&first.body[..1], &[0x47], "an MPEG-TS packet");
    let again = request(nginx.addr, "GET", &format!("/live/sd/{segment}"));
    assert_eq!(again.header("x-cache"), Some("HIT"), "segments are cached at the edge");
    assert_eq!(again.body, first.body);
    // The playlist moves: never served stale from the cache.
    let playlist = request(nginx.addr, "GET", "/live/sd/index.m3u8");
    assert_ne!(playlist.header("x-cache"), Some("HIT"));
}

/// The screen that sends the shipped poll's answers, and its question count.
fn answer_screen(addr: SocketAddr) -> (String, usize) {
    let graph = request(addr, "GET", "/api/v1/sd/graph.json").json();
    let (id, s) = graph["screens"].as_object().unwrap().iter().find(|(_, s)| s["ask"]["send"].is_object()).unwrap();
    (id.clone(), s["ask"]["send"]["questions"].as_array().unwrap().len())
}

#[test]
fn answers_pass_through_the_cache_to_infotv_and_are_never_cached() {
    let server = Binary::start(&common::root().join("channels"));
    let (nginx, _cache) = cache_front(&server);
    let (screen, questions) = answer_screen(nginx.addr);
    assert_eq!(questions, 2);
    // Two boxes without ids: each is issued its own through the cache.
    let mut issued = Vec::new();
    for _ in 0..2 {
        let body = format!("profile=sd&screen={screen}&q1=2&q2=1");
        let r = common::send(nginx.addr, "POST", "/api/v1/answer", &[], &body, false);
        assert_eq!(r.status, 200, "{}", r.text());
        assert_ne!(r.header("x-cache"), Some("HIT"));
        issued.push(r.json()["box"].as_str().unwrap().to_string());
    }
    assert_ne!(issued[0], issued[1]);
    // The id issued through the cache is good for the next answer.
    let body = format!("profile=sd&screen={screen}&box={}&q1=1&q2=1", issued[0]);
    let r = common::send(nginx.addr, "POST", "/api/v1/answer", &[], &body, false);
    assert_eq!(r.status, 200, "{}", r.text());
    // A GET is refused by infotv each time, not answered from the cache.
    for _ in 0..2 {
        let r = request(nginx.addr, "GET", &format!("/api/v1/answer?profile=sd&screen={screen}&box=X&q1=1&q2=1"));
        assert_eq!(r.status, 405);
        assert_ne!(r.header("x-cache"), Some("HIT"));
    }
}

#[test]
fn nginx_serves_a_static_export_on_an_edge_node() {
    let out = tempfile::tempdir().unwrap();
    let export = out.path().join("current");
    let status = Command::new(env!("CARGO_BIN_EXE_infotv"))
        .current_dir(common::root())
        .args(["render", "--out"])
        .arg(&export)
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    Command::new("chmod").args(["-R", "a+rX"]).arg(out.path()).status().unwrap();
    // The renderer the edge sends answers on to.
    let origin = Binary::start(&common::root().join("channels"));
    let search_cache = tempfile::tempdir().unwrap();
    let nginx = Nginx::start(
        "infotv-edge.conf",
        &[
            ("/srv/infotv/current", export.display().to_string()),
            ("server 127.0.0.1:8080;", format!("server {};", origin.boxes)),
            ("/var/cache/nginx/infotv-search", search_cache.path().display().to_string()),
        ],
    );
    // An answer given on a screen of the export reaches the origin.
    let (screen, _) = answer_screen(nginx.addr);
    let body = format!("profile=sd&screen={screen}&q1=1&q2=1");
    let r = common::send(nginx.addr, "POST", "/api/v1/answer", &[], &body, false);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json()["box"].as_str().unwrap().starts_with("b1."), "the edge's box is issued an id by the origin");
    assert!(r.json()["next"].as_str().unwrap().starts_with("/tv/sd/v-"));
    let states = walk(nginx.addr);
    println!("walked {states} states on the edge");
    // The header's date and clock in Chromium, by the box's own clock.
    let browser = common::root().join("tests/browser");
    let out = Command::new("node")
        .current_dir(&browser)
        .arg("edge.mjs")
        .arg(format!("http://{}", nginx.addr))
        .output()
        .expect("node runs");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "edge.mjs failed:\n{stdout}\n{stderr}");
    println!("{stdout}");
    let gone = request(nginx.addr, "GET", "/tv/sd/a-0000000000.html");
    assert_eq!(gone.status, 302);
    assert!(gone.header("location").unwrap().ends_with('/'), "a gone screen leads home");

    // 查询: the export has its entry screen; results come from the origin,
    // their pictures too, and the API answers through the edge.
    assert!(request(nginx.addr, "GET", "/tv/sd/search.html").text().contains("I='search'"));
    let results = request(nginx.addr, "GET", "/tv/sd/search-3247.html");
    assert_eq!(results.status, 200);
    let html = results.text();
    assert!(html.contains("I='search-3247'"), "{html}");
    let base = html.split("id=\"b\" src=\"").nth(1).unwrap().split('"').next().unwrap();
    let pic = request(nginx.addr, "GET", base);
    assert_eq!((pic.status, pic.header("content-type")), (200, Some("image/png")), "{base}");
    let found = request(nginx.addr, "GET", "/api/v1/sd/search?q=3247");
    assert_eq!(found.status, 200);
    assert_eq!(found.json()["results"][0]["title"], "低保公示");
    assert!(request(nginx.addr, "GET", "/api/v1/sd/screens/search-3247.json").text().contains("低保公示"));
    // The origin away: a query not cached shows the export's search-down.
    origin.kill();
    let down = request(nginx.addr, "GET", "/tv/sd/search-324.html");
    assert_eq!(down.status, 200);
    let html = down.text();
    assert!(html.contains("I='search-down'") && html.contains("'back':'home#0'"), "{html}");
}
