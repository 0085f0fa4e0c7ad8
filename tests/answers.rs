//! Households talking back, over HTTP against the whole app: every bad
//! answer refused with its status and a Chinese message and nothing stored;
//! one answer per box per poll; requests with references and their daily
//! limit; the brakes on a flood; a thousand boxes at once; an acknowledged
//! answer surviving kill -9; the QR code read back from the SD screen; the
//! operators' pages by role; the portal's return address. The whole flow
//! in Chromium with the remote's keys is in `programs.rs`.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::households::{asks, channel, counts, poll_screen, site};
use common::{get, send, Response, Server, ADMIN_TOKEN};
use infotv::store::Store;

fn post(addr: SocketAddr, body: &str) -> Response {
    send(addr, "POST", "/api/v1/answer", &[], body, false)
}

/// Rows of `table`, read over a connection of the test's own.
fn rows(data: &std::path::Path, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(data.join("infotv.sqlite")).unwrap();
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap()
}

#[test]
fn bad_answers_are_refused_in_chinese_and_nothing_is_stored() {
    let site = site("");
    let addr = site.server.addr;
    let (poll, spec) = poll_screen(addr);
    let asks = asks(addr, "sd");
    let rating = asks["rating"][0].0.clone();
    let phone = asks["phone"].iter().find(|(_, a)| a["number"] == 1).unwrap().0.clone();
    let cases: Vec<(String, u16, &str)> = vec![
        ("profile=sd&screen=p-nope&box=b1&q1=1&q2=1".to_string(), 400, "没有这个画面"),
        (format!("profile=xx&screen={poll}&box=b1&q1=1&q2=1"), 400, "没有这个画面"),
        ("profile=sd&screen=home&box=b1&q1=1&q2=1".to_string(), 400, "不收集回答"),
        (format!("profile=sd&screen={poll}&box=b1&q1=0&q2=1"), 400, "第 1 题的选择无效"),
        (format!("profile=sd&screen={poll}&box=b1&q1=99&q2=1"), 400, "第 1 题的选择无效"),
        (format!("profile=sd&screen={poll}&box=b1&q1=1"), 400, "缺少第 2 题"),
        (format!("profile=sd&screen={poll}&box=made-up-1&q1=1&q2=1"), 403, "机顶盒标识无效"),
        (
            format!(
                "profile=sd&screen={poll}&box=b1.00000000000000000000000000000000.000000000000000000000000&q1=1&q2=1"
            ),
            403,
            "机顶盒标识无效",
        ),
        (format!("profile=sd&screen={poll}&serial=NOT-IN-REGISTRY&box=forged&q1=1&q2=1"), 403, "机顶盒标识无效"),
        (format!("screen={poll}&box=b1&q1=1&q2=1"), 400, "缺少 profile"),
        (format!("profile=sd&screen={rating}&box=b1&rating=0"), 400, "评价应为 1 到 5"),
        (format!("profile=sd&screen={rating}&box=b1&rating=6"), 400, "评价应为 1 到 5"),
        (format!("profile=sd&screen={phone}&box=b1&category=1&phone=abcdefghijk"), 400, "号码有误"),
        (format!("profile=sd&screen={phone}&box=b1&category=1&phone=12345"), 400, "号码有误"),
        (format!("profile=sd&screen={phone}&box=b1&category=2&phone=13881812345"), 400, "类别无效"),
    ];
    for (body, status, message) in &cases {
        let r = post(addr, body);
        assert_eq!(r.status, *status, "{body}: {}", r.text());
        let j = r.json();
        assert!(j["error"].as_str().unwrap().contains(message), "{body}: {}", r.text());
    }
    // A GET changes nothing, and says how answers come.
    let r = get(addr, &format!("/api/v1/answer?profile=sd&screen={poll}&box=b1&q1=1&q2=1"), &[]);
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("POST"));
    assert!(r.json()["error"].as_str().unwrap().contains("POST"));
    // A body far too long for any answer.
    let long = format!("profile=sd&screen={poll}&box={}&q1=1&q2=1", "b".repeat(4000));
    assert_eq!(post(addr, &long).status, 413);

    // The poll closes (the server's clock moves on): 409, nothing stored.
    let closes = chrono::DateTime::parse_from_rfc3339(spec["send"]["closes"].as_str().unwrap()).unwrap();
    let until = closes.with_timezone(&chrono::Utc) - site.clock.now() + chrono::Duration::seconds(1);
    site.clock.advance(until.to_std().unwrap());
    let r = post(addr, &format!("profile=sd&screen={poll}&box=b1&q1=1&q2=1"));
    assert_eq!(r.status, 409, "{}", r.text());
    assert!(r.json()["error"].as_str().unwrap().contains("已截止"));
    assert_eq!(r.json()["notice"], "closed");

    for table in ["poll_answers", "ratings", "requests"] {
        assert_eq!(rows(site.server.data.path(), table), 0, "{table}: nothing stored for a refused answer");
    }
}

#[test]
fn one_answer_per_box_a_later_one_replaces_it_and_results_are_redrawn() {
    let site = site("");
    let addr = site.server.addr;
    let (poll, spec) = poll_screen(addr);
    let key = spec["send"]["key"].as_str().unwrap().to_string();
    let results = spec["send"]["next"].as_str().unwrap().split('#').next().unwrap().to_string();

    let r = post(addr, &format!("profile=sd&screen={poll}&serial=STB-0001&q1=1&q2=2"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["next"], format!("/tv/sd/{results}.html?f=0"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    // Acknowledged means committed: a second connection to the store sees it.
    assert_eq!(counts(&site.store, &key), (vec![vec![1, 0, 0, 0], vec![0, 1]], 1));
    // The same box changes its mind: counts do not double.
    assert_eq!(post(addr, &format!("profile=sd&screen={poll}&serial=STB-0001&q1=3&q2=2")).status, 200);
    assert_eq!(counts(&site.store, &key), (vec![vec![0, 0, 1, 0], vec![0, 1]], 1));
    // A second box adds.
    assert_eq!(post(addr, &format!("profile=sd&screen={poll}&serial=STB-0002&q1=3&q2=1")).status, 200);
    assert_eq!(counts(&site.store, &key), (vec![vec![0, 0, 2, 0], vec![1, 1]], 2));
    // The box's id is kept only as a salted hash.
    let conn = rusqlite::Connection::open(site.server.data.path().join("infotv.sqlite")).unwrap();
    let mut stmt = conn.prepare("SELECT box FROM poll_answers").unwrap();
    let stored: Vec<String> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    assert!(stored.iter().all(|b| b.len() == 32 && !b.contains("STB")), "{stored:?}");
    // A box of the registry is known by its serial: no id is issued to it.
    assert!(post(addr, &format!("profile=sd&screen={poll}&serial=STB-0002&q1=3&q2=1")).json().get("box").is_none());

    // The results screen is re-rendered (results_seconds = 1) and shows them.
    let shown = common::wait_for(Duration::from_secs(20), || {
        let text = get(addr, &format!("/api/v1/sd/screens/{results}.json"), &[]).text();
        text.contains("2 户参与").then_some(text)
    });
    let text = shown.expect("the results screen shows both boxes");
    assert!(text.contains("2 票 100%"), "{text}");

    // Ratings: one per box, a later one replaces it.
    let rating = asks(addr, "sd")["rating"][0].0.clone();
    assert_eq!(post(addr, &format!("profile=sd&screen={rating}&serial=STB-0001&rating=2")).status, 200);
    assert_eq!(post(addr, &format!("profile=sd&screen={rating}&serial=STB-0001&rating=5")).status, 200);
    assert_eq!(post(addr, &format!("profile=sd&screen={rating}&serial=STB-0002&rating=4")).status, 200);
    let ratings = site.store.ratings().unwrap();
    assert_eq!(ratings[0].levels, [0, 0, 0, 1, 1]);
    assert_eq!(ratings[0].average(), Some(4.5));

    // Requests: a reference on screen; the fourth of the day is refused.
    let phone = asks(addr, "sd")["phone"].iter().find(|(_, a)| a["number"] == 2).unwrap().0.clone();
    let mut references = Vec::new();
    for _ in 0..3 {
        let r = post(addr, &format!("profile=sd&screen={phone}&serial=STB-0001&category=2&phone=138-8181-2345"));
        assert_eq!(r.status, 200, "{}", r.text());
        let reference = r.json()["reference"].as_str().unwrap().to_string();
        assert!(reference.len() == 9 && reference.as_bytes()[4] == b'-', "{reference}");
        assert!(r.json()["next"].as_str().unwrap().ends_with(&format!("&r={reference}")));
        references.push(reference);
    }
    references.dedup();
    assert_eq!(references.len(), 3, "every request its own reference");
    let r = post(addr, &format!("profile=sd&screen={phone}&serial=STB-0001&category=2&phone=13881812345"));
    assert_eq!(r.status, 429);
    assert!(r.json()["error"].as_str().unwrap().contains("每天最多提交 3 次"));
    assert_eq!(r.json()["notice"], "limit");
    let requests = site.store.requests(10).unwrap();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0].phone.as_deref(), Some("13881812345"));
    assert_eq!(requests[0].category, "道路破损");

    // /metrics counts what was taken.
    let m = get(site.server.admin, "/metrics", &[&format!("Authorization: Bearer {ADMIN_TOKEN}")]).text();
    for line in [
        "infotv_answers_total{kind=\"poll\"} 4",
        "infotv_answers_total{kind=\"rating\"} 3",
        "infotv_answers_total{kind=\"request\"} 3",
    ] {
        assert!(m.contains(line), "{line} in\n{m}");
    }
}

#[test]
fn made_up_box_ids_count_for_nothing_and_new_ids_are_braked_per_address() {
    let site = site("new_boxes_hour = 20\nbox_minute = 5\n");
    let addr = site.server.addr;
    let (poll, _) = poll_screen(addr);
    let answer = |b: &str| post(addr, &format!("profile=sd&screen={poll}&box={b}&q1=1&q2=1"));
    // Ids a box makes up are refused outright, however many.
    let forged: Vec<u16> = (0..50).map(|i| answer(&format!("forged-{i}")).status).collect();
    assert!(forged.iter().all(|s| *s == 403), "{forged:?}");
    // A box without an id is issued one, signed, with its first answer;
    // one address gets 20 new ids an hour, then no more.
    let fresh: Vec<Response> = (0..30).map(|_| answer("")).collect();
    let issued: Vec<String> = fresh.iter().filter_map(|r| r.json()["box"].as_str().map(str::to_string)).collect();
    assert_eq!(fresh.iter().filter(|r| r.status == 200).count(), 20);
    assert_eq!(issued.len(), 20, "an id with each answer taken");
    assert!(issued.iter().all(|b| b.starts_with("b1.") && b.len() < 128), "{issued:?}");
    let held = &fresh[29];
    assert_eq!((held.status, held.json()["notice"].as_str()), (429, Some("often")));
    // A box that has its id answers again, up to its own brake.
    let again: Vec<u16> = (0..6).map(|_| answer(&issued[3]).status).collect();
    assert_eq!(again, [200, 200, 200, 200, 429, 429], "issued[3] answered once before");
    // An id with one character changed is another box's no more.
    let mut tampered = issued[4].clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };
    assert_eq!(answer(&String::from_utf8(tampered).unwrap()).status, 403);
    assert_eq!(rows(site.server.data.path(), "poll_answers"), 20);
    // The next hour brings new ids again.
    site.clock.advance(Duration::from_secs(3600));
    assert_eq!(answer("").status, 200);
}

#[test]
fn a_vote_is_replaced_only_by_the_box_that_cast_it() {
    let site = site("");
    let addr = site.server.addr;
    let (poll, spec) = poll_screen(addr);
    let key = spec["send"]["key"].as_str().unwrap().to_string();
    let first = post(addr, &format!("profile=sd&screen={poll}&q1=1&q2=1")).json()["box"].as_str().unwrap().to_string();
    let second = post(addr, &format!("profile=sd&screen={poll}&q1=2&q2=2")).json()["box"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    assert_eq!(counts(&site.store, &key), (vec![vec![1, 1, 0, 0], vec![1, 1]], 2));
    // The first box changes its mind: its own vote is replaced.
    assert_eq!(post(addr, &format!("profile=sd&screen={poll}&box={first}&q1=4&q2=2")).status, 200);
    assert_eq!(counts(&site.store, &key), (vec![vec![0, 1, 0, 1], vec![0, 2]], 2));
    // Another box cannot pass itself off as the first: an id made from the
    // first's random part with any other signature is refused.
    let (random, _) = first.rsplit_once('.').unwrap();
    for mac in ["000000000000000000000000", "ffffffffffffffffffffffff", ""] {
        let r = post(addr, &format!("profile=sd&screen={poll}&box={random}.{mac}&q1=3&q2=1"));
        assert_eq!(r.status, 403, "{mac}");
    }
    assert_eq!(counts(&site.store, &key), (vec![vec![0, 1, 0, 1], vec![0, 2]], 2), "nothing replaced");
}

#[test]
fn a_thousand_boxes_answer_at_once_and_each_is_counted_once() {
    let site = site("");
    let addr = site.server.addr;
    let (poll, spec) = poll_screen(addr);
    let key = spec["send"]["key"].as_str().unwrap().to_string();
    let renders_before = site.server.station.log.history().len();
    let started = Instant::now();
    // 1,000 boxes over 50 connections at once, while others keep loading shells.
    let posters: Vec<_> = (0..50)
        .map(|t| {
            let poll = poll.clone();
            std::thread::spawn(move || {
                (0..20)
                    .map(|i| {
                        let n = t * 20 + i;
                        let body =
                            format!("profile=sd&screen={poll}&serial=BOX-{n:04}&q1={}&q2={}", n % 4 + 1, n % 2 + 1);
                        post(addr, &body).status
                    })
                    .collect::<Vec<u16>>()
            })
        })
        .collect();
    let viewers: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                let mut statuses = Vec::new();
                let until = Instant::now() + Duration::from_millis(1500);
                while Instant::now() < until {
                    statuses.push(get(addr, "/tv/sd/home.html", &[]).status);
                }
                statuses
            })
        })
        .collect();
    let statuses: Vec<u16> = posters.into_iter().flat_map(|h| h.join().unwrap()).collect();
    let burst = started.elapsed();
    let shells: Vec<u16> = viewers.into_iter().flat_map(|h| h.join().unwrap()).collect();
    assert_eq!(statuses.len(), 1000);
    assert!(statuses.iter().all(|s| *s == 200), "{:?}", statuses.iter().filter(|s| **s != 200).collect::<Vec<_>>());
    assert!(!shells.is_empty() && shells.iter().all(|s| *s == 200), "shells kept serving during the burst");
    let (c, boxes) = counts(&site.store, &key);
    assert_eq!(boxes, 1000);
    assert_eq!(c, vec![vec![250; 4], vec![500; 2]], "every answer counted exactly once");
    // Results are re-rendered on a timer (1 s here), never per answer.
    std::thread::sleep(Duration::from_millis(2500));
    let answer_renders = site.server.station.log.history()[renders_before..]
        .iter()
        .filter(|r| r.trigger == infotv::renderlog::Trigger::Answers)
        .count();
    let bound = burst.as_secs() as usize + 4;
    assert!((1..=bound).contains(&answer_renders), "{answer_renders} renders for 1,000 answers in {burst:?}");
}

#[test]
fn an_acknowledged_answer_survives_kill_9() {
    let channels = channel("");
    let data = tempfile::tempdir().unwrap();
    let server = common::Binary::start_with(channels.path(), data.path(), None);
    let (poll, spec) = poll_screen(server.boxes);
    for n in 0..20 {
        let r = post(server.boxes, &format!("profile=sd&screen={poll}&serial=K-{n}&q1=2&q2=1"));
        assert_eq!(r.status, 200, "{}", r.text());
    }
    server.kill();
    let store = Store::open(data.path()).unwrap();
    let (c, boxes) = store.poll_counts(spec["send"]["key"].as_str().unwrap(), &[4, 2]).unwrap();
    assert_eq!((c[0][1], boxes), (20, 20), "every acknowledged answer is on disk");
}

#[test]
fn the_qr_code_read_off_the_sd_screen_is_the_address() {
    let server = Server::start(channel("").path());
    let graph = server.get("/api/v1/sd/graph.json").json();
    let mut read = Vec::new();
    for (_, s) in graph["screens"].as_object().unwrap() {
        if s["kind"] != "article" {
            continue;
        }
        let png = server.get(s["states"][0]["image"].as_str().unwrap()).body;
        let img = image::load_from_memory(&png).unwrap().to_luma8();
        let mut prepared = rqrr::PreparedImage::prepare(img);
        for grid in prepared.detect_grids() {
            read.push(grid.decode().unwrap().1);
        }
    }
    read.sort();
    assert_eq!(read, ["https://example.gov.cn/banshi/guide", "https://example.gov.cn/shebao"]);
}

#[test]
fn the_start_screen_carries_the_portals_return_address() {
    let server = Server::start(channel("").path());
    let r = server.get("/?returnurl=http%3A%2F%2Fportal.example%2Fback");
    assert_eq!(r.status, 302);
    assert_eq!(r.header("location"), Some("/tv/sd/home.html?returnurl=http%3A%2F%2Fportal.example%2Fback"));
    assert_eq!(server.get("/").header("location"), Some("/tv/sd/home.html"));
    // site.toml's portal_url is every shell's fallback.
    assert!(server.get("/tv/sd/home.html").text().contains("PORTAL='http://portal.example/epg/index.html'"));
}

fn login(admin: SocketAddr, name: &str, password: &str) -> String {
    common::session(admin, name, password)
}

#[test]
fn operators_read_polls_and_requests_as_their_role_allows() {
    let site = site("");
    let (addr, admin) = (site.server.addr, site.server.admin);
    for (name, role, password) in [
        ("li", infotv::accounts::Role::Operator, "Yunwei-2026-ok"),
        ("zhou", infotv::accounts::Role::Reviewer, "Shenhe-2026-ok"),
    ] {
        let hash = infotv::accounts::hash_password(password).unwrap();
        site.store.add_account(name, role, &hash, false, site.clock.now()).unwrap();
    }
    let (poll, spec) = poll_screen(addr);
    assert_eq!(post(addr, &format!("profile=sd&screen={poll}&serial=STB-0001&q1=2&q2=2")).status, 200);
    let phone = asks(addr, "sd")["phone"].iter().find(|(_, a)| a["number"] == 1).unwrap().0.clone();
    let r = post(addr, &format!("profile=sd&screen={phone}&serial=STB-0001&category=1&phone=08188621234"));
    let reference = r.json()["reference"].as_str().unwrap().to_string();

    let operator = login(admin, "li", "Yunwei-2026-ok");
    let reviewer = login(admin, "zhou", "Shenhe-2026-ok");
    let polls = get(admin, "/api/v1/polls", &[&operator]).json();
    let p = &polls.as_array().unwrap().iter().find(|p| p["id"] == spec["send"]["key"]).unwrap();
    assert_eq!(p["title"], "城区公交意见征集");
    assert_eq!(p["boxes"], 1);
    assert_eq!(p["questions"][0]["choices"][1], serde_json::json!({"text": "2路", "count": 1}));
    let ratings = get(admin, "/api/v1/ratings", &[&reviewer]).json();
    assert_eq!(ratings[0]["title"], "指南");

    let full = get(admin, "/api/v1/requests", &[&operator]).json();
    assert_eq!(full[0]["phone"], "0818-8621234");
    assert_eq!(full[0]["reference"], reference.as_str());
    assert_eq!(full[0]["item"], "问题反映");
    let masked = get(admin, "/api/v1/requests", &[&reviewer]).json();
    assert_eq!(masked[0]["phone"], "081*-***1234");
    let page = get(admin, "/requests", &[&reviewer, "Accept: text/html"]).text();
    assert!(page.contains("081*-***1234") && !page.contains("0818-8621234"));

    let csv = get(admin, "/polls.csv", &[&operator]);
    assert!(csv.body.starts_with("\u{feff}".as_bytes()), "Excel needs the BOM");
    assert!(csv.text().contains("城区公交意见征集"));
    let csv = get(admin, "/requests.csv", &[&reviewer]).text();
    assert!(csv.contains(&reference) && csv.contains("081*-***1234"));

    // Only operators mark requests handled.
    let path = format!("/requests/{reference}/handled");
    assert_eq!(send(admin, "POST", &path, &[&reviewer], "x=", false).status, 403);
    assert_eq!(send(admin, "POST", &path, &[&operator], "x=", false).status, 303);
    assert_eq!(site.store.requests(1).unwrap()[0].state, "handled");

    let audit: Vec<(String, String, String)> = site
        .store
        .audit_rows(&Default::default())
        .unwrap()
        .into_iter()
        .map(|r| (r.account, r.action, r.target))
        .collect();
    for want in [
        ("li", "export", "polls.csv"),
        ("zhou", "export", "requests.csv"),
        ("li", "requests.read", "/api/v1/requests"),
        ("li", "request.handled", reference.as_str()),
    ] {
        assert!(audit.iter().any(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()) == want), "{want:?} in {audit:?}");
    }
}
