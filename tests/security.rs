//! The holes a security review found (issue 50), each tried as an attacker
//! would, against a real server: links out of the channel (a TS target in
//! the data folder needs ffmpeg: broadcast.rs), references past 9,999, forged box ids, a flood of bad
//! tokens, a cut audit tail with its head rewritten, the read-only token
//! trying to change things, bodies that never come, posts from other sites,
//! an export through planted links. Each asserts that nothing was lost or
//! leaked. (The lockout from another address and the role table: accounts.rs.)
#![allow(clippy::unwrap_used)]

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{bearer, get, send, send_as_is, Response, Server, ADMIN_TOKEN};

/// What an attacker would love to put on 53,000 TVs.
const SECRET: &str = "SECRET-KEY-MATERIAL-7f3a";

/// Every text the box port gives out for `profile`: the graph, each
/// screen's text JSON, what shells poll.
fn everything_on_air(addr: std::net::SocketAddr) -> String {
    let mut all = get(addr, "/api/v1/generation", &[]).text();
    for profile in ["sd", "hd"] {
        let graph = get(addr, &format!("/api/v1/{profile}/graph.json"), &[]);
        all.push_str(&graph.text());
        for id in graph.json()["screens"].as_object().unwrap().keys() {
            all.push_str(&get(addr, &format!("/api/v1/{profile}/screens/{id}.json"), &[]).text());
        }
    }
    all
}

fn problems(server: &Server) -> Vec<serde_json::Value> {
    get(server.admin, "/api/v1/problems", &[&bearer()]).json().as_array().unwrap().clone()
}

#[test]
fn links_out_of_the_channel_are_refused_and_nothing_of_them_goes_on_air() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("key.pem");
    std::fs::write(&secret, format!("{SECRET}\n")).unwrap();
    let toml = outside.path().join("evil.toml");
    std::fs::write(&toml, format!("title = \"{SECRET}\"\n")).unwrap();
    let channels = common::copy_fixture("kinds");
    let root = channels.path();
    // Every file infotv opens by a fixed name, planted as a link out.
    symlink(&secret, root.join("alert.txt")).unwrap();
    symlink(&secret, root.join("loop.mp3")).unwrap();
    std::fs::remove_file(root.join("02-图集/01-照片/02-竖拍.txt")).unwrap();
    symlink(&secret, root.join("02-图集/01-照片/02-竖拍.txt")).unwrap();
    symlink(&toml, root.join("01-表格/column.toml")).unwrap();
    symlink(&toml, root.join("01-表格/01-电话/item.toml")).unwrap();
    symlink(&secret, root.join("03-文章/01-图文/2026-11-23-链接.md")).unwrap();
    // A named pipe where the alert may be: refused at once, nothing waits on it.
    common::mkfifo(&root.join("alert.md"));
    let server = Server::start(root);
    let on_air = everything_on_air(server.addr);
    assert!(!on_air.contains(SECRET), "the linked files' text is on air");
    assert_eq!(get(server.addr, "/api/v1/generation", &[]).json()["alert"], serde_json::Value::Null);
    // Each refusal says so, and says it was not read.
    let found = problems(&server);
    for path in [
        "alert.txt",
        "loop.mp3",
        "02-图集/01-照片/02-竖拍.txt",
        "01-表格/column.toml",
        "01-表格/01-电话/item.toml",
        "03-文章/01-图文/2026-11-23-链接.md",
    ] {
        let p = found.iter().find(|p| p["path"] == path);
        let zh = p.map(|p| p["zh"].as_str().unwrap().to_string()).unwrap_or_default();
        assert!(zh.contains("链接指向频道文件夹以外") && zh.contains("未读取"), "{path}: {zh:?} in {found:?}");
    }
    assert!(found.iter().any(|p| p["path"] == "alert.md" && p["zh"].as_str().unwrap().contains("不是普通文件")));

    // site.toml swapped for a link while on air: refused, the channel stays.
    std::fs::remove_file(root.join("site.toml")).unwrap();
    symlink(&toml, root.join("site.toml")).unwrap();
    let refused = common::wait_for(Duration::from_secs(20), || {
        problems(&server).into_iter().find(|p| p["path"] == "site.toml" && p["zh"].as_str().unwrap().contains("未读取"))
    });
    assert!(refused.is_some(), "site.toml through a link is refused");
    let home = get(server.addr, "/api/v1/sd/graph.json", &[]).json();
    assert_ne!(home["screens"]["home"]["title"], SECRET);
    assert!(!everything_on_air(server.addr).contains(SECRET));
}

/// The month's references as a request desk hands them out now.
fn yymm() -> String {
    chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).format("%y%m").to_string()
}

fn phone_screen(addr: std::net::SocketAddr, number: u64) -> String {
    let graph = get(addr, "/api/v1/sd/graph.json", &[]).json();
    let (id, _) = graph["screens"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, s)| s["ask"]["kind"] == "phone" && s["ask"]["number"] == number)
        .unwrap();
    id.clone()
}

fn poll_screen(addr: std::net::SocketAddr) -> String {
    let graph = get(addr, "/api/v1/sd/graph.json", &[]).json();
    let (id, _) = graph["screens"].as_object().unwrap().iter().find(|(_, s)| s["ask"]["send"].is_object()).unwrap();
    id.clone()
}

fn post(addr: std::net::SocketAddr, body: &str) -> Response {
    send(addr, "POST", "/api/v1/answer", &[], body, false)
}

#[test]
fn references_run_on_past_9999_and_one_bad_answer_fails_no_other() {
    let channels = common::copy_fixture("answers");
    let server = Server::start(channels.path());
    let addr = server.addr;
    let month = yymm();
    // 9,999 requests filed this month already (a store whose counter has not
    // started yet: it starts past the highest number on file).
    let db = rusqlite::Connection::open(server.data.path().join("infotv.sqlite")).unwrap();
    db.execute_batch(&format!(
        "INSERT INTO requests (reference, at, day, item, category, phone, box, state)
             VALUES ('{month}-9999', '2026-12-01T00:00:00Z', '2026-12-01', 'x', 'x', '13800000000', 'seed', 'new');"
    ))
    .unwrap();
    let phone = phone_screen(addr, 1);
    let file =
        |serial: &str| post(addr, &format!("profile=sd&screen={phone}&serial={serial}&category=1&phone=13881812345"));
    let refs: Vec<String> = ["STB-0001", "STB-0002", "BOX-0001"]
        .iter()
        .map(|s| {
            let r = file(s);
            assert_eq!(r.status, 200, "{}", r.text());
            r.json()["reference"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(refs, [format!("{month}-10000"), format!("{month}-10001"), format!("{month}-10002")]);
    // A number already on file (a stray row) is passed over, not repeated.
    db.execute(
        &format!("INSERT INTO requests (reference, at, day, item, category, phone, box, state) VALUES ('{month}-10003', '2026-12-01T00:00:00Z', '2026-12-01', 'x', 'x', NULL, 'seed', 'new')"),
        [],
    )
    .unwrap();
    assert_eq!(file("BOX-0002").json()["reference"], format!("{month}-10004"));

    // Two writers at once — the server's and a second process's — never
    // hand out the same number.
    let other = infotv::answers::Writer::open(server.data.path()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let theirs = std::thread::scope(|scope| {
        let ours: Vec<_> = (0..40)
            .map(|i| {
                scope.spawn(move || {
                    file(&format!("BOX-{:04}", 100 + i)).json()["reference"].as_str().unwrap().to_string()
                })
            })
            .collect();
        let now = chrono::Utc::now().fixed_offset();
        let theirs: Vec<String> = (0..40)
            .map(|i| {
                let answer = infotv::answers::Answer::Request {
                    item: "x".into(),
                    category: "x".into(),
                    phone: "13881812345".into(),
                };
                match runtime.block_on(other.write(answer, format!("other-{i}"), now)).unwrap() {
                    infotv::answers::Written::Filed(infotv::answers::Filed::Reference(r)) => r,
                    w => panic!("{w:?}"),
                }
            })
            .collect();
        let mut all: Vec<String> = ours.into_iter().map(|h| h.join().unwrap()).collect();
        all.extend(theirs);
        all
    });
    let mut unique = theirs.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 80, "every reference its own: {theirs:?}");

    // One answer that cannot be stored (this trigger stands for a page the
    // disk will not take) fails alone; the answers beside it commit.
    db.execute_batch(
        "CREATE TRIGGER one_bad BEFORE INSERT ON requests WHEN new.category = '其他问题'
         BEGIN SELECT RAISE(ABORT, 'the disk refused this row'); END;",
    )
    .unwrap();
    let poll = poll_screen(addr);
    let bad = phone_screen(addr, 3);
    let results: Vec<(bool, u16)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..60)
            .map(|i| {
                let (poll, bad) = (poll.clone(), bad.clone());
                scope.spawn(move || {
                    if i % 20 == 7 {
                        let r = post(
                            addr,
                            &format!("profile=sd&screen={bad}&serial=BOX-{:04}&category=3&phone=13881812345", 300 + i),
                        );
                        (true, r.status)
                    } else {
                        (
                            false,
                            post(addr, &format!("profile=sd&screen={poll}&serial=BOX-{:04}&q1=1&q2=1", 300 + i)).status,
                        )
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (bad, status) in &results {
        assert_eq!(*status, if *bad { 503 } else { 200 }, "{results:?}");
    }
    let votes: i64 = db.query_row("SELECT count(*) FROM poll_answers", [], |r| r.get(0)).unwrap();
    assert_eq!(votes, 57, "every good answer committed");
}

#[test]
fn five_hundred_forged_box_ids_from_one_address_count_for_nothing() {
    let channels = common::copy_fixture("answers");
    let server = Server::start(channels.path());
    let poll = poll_screen(server.addr);
    let vote = |b: &str| post(server.addr, &format!("profile=sd&screen={poll}&box={b}&q1=1&q2=1"));
    let forged: Vec<u16> = (0..500).map(|i| vote(&format!("forged-{i}-{}", i * 7919)).status).collect();
    assert!(forged.iter().all(|s| *s == 403), "made-up ids are refused");
    // Asking for new ids instead: 30 an hour for one address, no more.
    let fresh: Vec<u16> = (0..500).map(|_| vote("").status).collect();
    let counted = fresh.iter().filter(|s| **s == 200).count();
    println!("500 forged ids: 0 counted; 500 asks for a new id: {counted} counted");
    assert_eq!(counted, 30);
    assert!(fresh[30..].iter().all(|s| *s == 429));
    let db = rusqlite::Connection::open(server.data.path().join("infotv.sqlite")).unwrap();
    let votes: i64 = db.query_row("SELECT count(*) FROM poll_answers", [], |r| r.get(0)).unwrap();
    assert_eq!(votes, 30);
    // A box behind a configured edge is the address the edge names; the
    // header from anyone else is the sender's own say and ignored.
    let r = send(
        server.addr,
        "POST",
        "/api/v1/answer",
        &["X-Forwarded-For: 10.0.0.99"],
        &format!("profile=sd&screen={poll}&q1=1&q2=1"),
        false,
    );
    assert_eq!(r.status, 200, "loopback is the local cache: its word is taken ({})", r.text());
}

#[test]
fn twenty_thousand_bad_tokens_cost_one_audit_row_and_the_port_answers_on() {
    let server = Server::start(&common::fixture("basic"));
    let store = infotv::store::Store::open(server.data.path()).unwrap();
    let before = store.audit_rows(&Default::default()).unwrap().len();
    let admin = server.admin;
    let done = std::sync::atomic::AtomicBool::new(false);
    let (latencies, statuses) = std::thread::scope(|scope| {
        let good = scope.spawn(|| {
            let mut lat = Vec::new();
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let t = Instant::now();
                let r = get(admin, "/api/v1/status", &[&bearer()]);
                lat.push((t.elapsed(), r.status));
                std::thread::sleep(Duration::from_millis(5));
            }
            lat
        });
        let flood: Vec<_> = (0..8)
            .map(|t| {
                scope.spawn(move || {
                    let mut s = std::collections::BTreeMap::<u16, usize>::new();
                    for i in 0..2500 {
                        let header = format!("Authorization: Bearer itv_{t:02}{i:046}");
                        let r = common::send_from("127.0.0.8", admin, "GET", "/api/v1/status", &[&header], "");
                        *s.entry(r.status).or_default() += 1;
                    }
                    s
                })
            })
            .collect();
        let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
        for f in flood {
            for (k, v) in f.join().unwrap() {
                *statuses.entry(k).or_default() += v;
            }
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        (good.join().unwrap(), statuses)
    });
    assert_eq!(statuses.values().sum::<usize>(), 20_000);
    assert!(statuses.keys().all(|s| [401, 429].contains(s)), "{statuses:?}");
    assert!(latencies.iter().all(|(_, s)| *s == 200), "the right token is answered throughout");
    let mut ms: Vec<f64> = latencies.iter().map(|(d, _)| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    println!(
        "20,000 bad tokens ({statuses:?}); the read-only token meanwhile: {} requests, p50 {:.1} ms, p99 {:.1} ms",
        ms.len(),
        ms[ms.len() / 2],
        ms[ms.len() * 99 / 100]
    );
    // Nothing written per request: the flood is one row, written when the
    // minute (here: the server) ends.
    assert_eq!(store.audit_rows(&Default::default()).unwrap().len(), before, "no row per request");
    let _kept = server.stop_keeping_data();
    let rows = store.audit_rows(&Default::default()).unwrap();
    let added: Vec<_> = rows.iter().take(rows.len() - before).collect();
    assert!((1..=2).contains(&added.len()), "one row a minute for the address: {added:?}");
    let total: u64 = added
        .iter()
        .map(|r| {
            assert_eq!((r.action.as_str(), r.address.as_str()), ("refused", "127.0.0.8"));
            r.result.trim_start_matches("denied ×").split(' ').next().unwrap().parse::<u64>().unwrap()
        })
        .sum();
    assert_eq!(total, 20_000, "{added:?}");
}

#[test]
fn a_cut_tail_with_its_head_rewritten_is_caught_by_the_anchor_and_the_system_log_has_every_row() {
    let channels = common::fixture("basic");
    let data = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let anchor = logs.path().join("audit-anchor");
    // The system log: a datagram socket of the test's own.
    let socket_path = logs.path().join("log.sock");
    let syslog = std::os::unix::net::UnixDatagram::bind(&socket_path).unwrap();
    syslog.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut config = infotv::app::Config::new(&channels, data.path());
    config.fonts = common::root().join("fonts");
    config.admin_token = Some(ADMIN_TOKEN.to_string());
    config.encode_loop = false;
    config.audit_anchor = Some(anchor.clone());
    config.audit_syslog = Some(socket_path.clone());
    let server = Server::start_config(config, data);
    let store = infotv::store::Store::open(server.data.path()).unwrap();
    let hash = infotv::accounts::hash_password("Operate-Pass-2026").unwrap();
    store.add_account("ops", infotv::accounts::Role::Operator, &hash, false, chrono::Utc::now()).unwrap();
    for _ in 0..3 {
        let c = common::session(server.admin, "ops", "Operate-Pass-2026");
        assert_eq!(send(server.admin, "POST", "/logout", &[&c], "x=", false).status, 303);
    }
    let kept = server.stop_keeping_data();
    // Every row went to the system log too, with its hash.
    let rows = store.audit_rows(&Default::default()).unwrap();
    let mut logged = Vec::new();
    let mut buf = [0u8; 8192];
    while let Ok(n) = syslog.recv(&mut buf) {
        logged.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        if logged.len() >= rows.len() {
            break;
        }
    }
    for row in &rows {
        assert!(
            logged.iter().any(|l| l.starts_with("<86>infotv-audit[")
                && l.contains(&format!("id={} ", row.id))
                && l.ends_with(&format!("hash={}", row.hash))),
            "row {} in the system log: {logged:?}",
            row.id
        );
    }
    drop(store);
    let path = kept.path().to_path_buf();
    let verify = |anchor: Option<&Path>| {
        let mut args = vec!["audit", "verify"];
        let a = anchor.map(|a| a.to_string_lossy().into_owned());
        if let Some(a) = &a {
            args.extend(["--audit-anchor", a]);
        }
        common::infotv(&args, &path, "")
    };
    let (ok, out) = verify(Some(&anchor));
    assert!(ok && out.contains("与锚点"), "{out}");
    // The attack: the newest rows cut, the head in the database rewritten
    // to the new last row, the triggers dropped first.
    let n = rows.len() as i64;
    let conn = rusqlite::Connection::open(path.join("infotv.sqlite")).unwrap();
    conn.execute_batch(&format!(
        "DROP TRIGGER audit_kept; DELETE FROM audit WHERE id > {};
         INSERT OR REPLACE INTO meta (key, value) SELECT 'audit_head', id || ' ' || hash FROM audit ORDER BY id DESC LIMIT 1;",
        n - 3
    ))
    .unwrap();
    drop(conn);
    let (ok, out) = verify(None);
    assert!(ok, "the chain alone cannot tell: {out}");
    let (ok, out) = verify(Some(&anchor));
    assert!(!ok && out.contains("末尾的行被删除"), "{out}");
    // An anchor inside the data folder is refused at the start.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_infotv"))
        .args(["serve", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--loop", "off"])
        .arg("--channels")
        .arg(&channels)
        .arg("--data")
        .arg(&path)
        .arg("--audit-anchor")
        .arg(path.join("anchor"))
        .output()
        .unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("inside the data folder"));
}

#[test]
fn the_read_only_token_changes_nothing_and_tokens_expire_and_die_with_the_password() {
    let channels = common::copy_fixture("answers");
    let (server, clock) = Server::start_with_clock(channels.path());
    let phone = phone_screen(server.addr, 1);
    let r = post(server.addr, &format!("profile=sd&screen={phone}&serial=STB-0001&category=1&phone=13881812345"));
    let reference = r.json()["reference"].as_str().unwrap().to_string();
    // Every state-changing route, tried with the read-only token.
    for rule in infotv::admin::access::RULES.iter().filter(|r| r.method == "POST") {
        let path = rule
            .path
            .replace("{reference}", &reference)
            .replace("{name}", "admin")
            .replace("{version}", "0000000000000000");
        let r = send(server.admin, "POST", &path, &[&bearer()], "reason=x&name=eve&role=admin", false);
        assert!(
            [403, 401].contains(&r.status) || rule.page == infotv::admin::access::Page::Login,
            "{path}: {}",
            r.status
        );
    }
    let store = infotv::store::Store::open(server.data.path()).unwrap();
    assert_eq!(store.requests(10).unwrap()[0].state, "new", "the request is as it was");
    assert!(store.account("eve").unwrap().is_none());
    // It never sees a phone number.
    for path in ["/api/v1/requests", "/requests", "/requests.csv", "/polls"] {
        let r = get(server.admin, path, &[&bearer()]);
        assert_eq!(r.status, 403, "{path}");
        assert!(!r.text().contains("13881812345"));
    }
    assert_eq!(get(server.admin, "/api/v1/status", &[&bearer()]).status, 200);

    // An account's token lives 90 days…
    let hash = infotv::accounts::hash_password("Operate-Pass-2026").unwrap();
    store.add_account("ops", infotv::accounts::Role::Operator, &hash, false, clock.now()).unwrap();
    let c = common::session(server.admin, "ops", "Operate-Pass-2026");
    let page = send(server.admin, "POST", "/token", &[&c], "x=", false).text();
    let token = page.split("<code>").nth(1).unwrap().split("</code>").next().unwrap().to_string();
    let theirs = format!("Authorization: Bearer {token}");
    assert_eq!(get(server.admin, "/api/v1/requests", &[&theirs]).status, 200);
    clock.advance(Duration::from_secs(89 * 86_400));
    assert_eq!(get(server.admin, "/api/v1/status", &[&theirs]).status, 200);
    clock.advance(Duration::from_secs(2 * 86_400));
    let r = get(server.admin, "/api/v1/status", &[&theirs]);
    assert_eq!(r.status, 401);
    assert!(r.text().contains("expired"));
    // …and dies with a new password.
    let c = common::session(server.admin, "ops", "Operate-Pass-2026");
    let page = send(server.admin, "POST", "/token", &[&c], "x=", false).text();
    let token = page.split("<code>").nth(1).unwrap().split("</code>").next().unwrap().to_string();
    let theirs = format!("Authorization: Bearer {token}");
    assert_eq!(get(server.admin, "/api/v1/status", &[&theirs]).status, 200);
    let r = send(
        server.admin,
        "POST",
        "/password",
        &[&c],
        "current=Operate-Pass-2026&new=Operate-Pass-2027&again=Operate-Pass-2027",
        false,
    );
    assert_eq!(r.status, 303);
    assert_eq!(get(server.admin, "/api/v1/status", &[&theirs]).status, 401, "a new password ends the token");
}

/// Sends a head announcing a body of 500 bytes and 10 of them; how long
/// until the server answers and closes, and what it answered.
fn never_finishes(addr: std::net::SocketAddr, path: &str) -> (Duration, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let t = Instant::now();
    write!(s, "POST {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\nprofile=sd").unwrap();
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    (t.elapsed(), String::from_utf8_lossy(&got).into_owned())
}

#[test]
fn bodies_that_never_come_are_cut_off_and_a_flood_of_one_port_leaves_the_other() {
    let data = tempfile::tempdir().unwrap();
    let mut config = infotv::app::Config::new(common::fixture("answers"), data.path());
    config.fonts = common::root().join("fonts");
    config.admin_token = Some(ADMIN_TOKEN.to_string());
    config.encode_loop = false;
    config.admin_max_connections = 16;
    let server = Server::start_config(config, data);
    let (boxes, admin) = (server.addr, server.admin);
    let (on_boxes, on_admin) = std::thread::scope(|scope| {
        let b = scope.spawn(|| never_finishes(boxes, "/api/v1/answer"));
        let a = scope.spawn(|| never_finishes(admin, "/login"));
        (b.join().unwrap(), a.join().unwrap())
    });
    for (port, (took, answer)) in [("box", &on_boxes), ("operators'", &on_admin)] {
        assert!(answer.starts_with("HTTP/1.1 408"), "{port} port: {answer}");
        assert!((Duration::from_secs(9)..Duration::from_secs(20)).contains(took), "{port} port took {took:?}");
    }
    // Connections held open on the operators' port past its cap: the
    // excess are closed at once, and the box port never notices.
    let held: Vec<TcpStream> = (0..40).map(|_| TcpStream::connect(admin).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(300));
    let closed = held
        .iter()
        .filter(|s| {
            s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
            matches!((&**s).read(&mut [0u8; 1]), Ok(0))
        })
        .count();
    assert!(closed >= 24, "{closed} of 40 closed past a cap of 16");
    assert_eq!(get(boxes, "/healthz", &[]).status, 200);
    assert_eq!(get(boxes, "/tv/sd/home.html", &[]).status, 200);
    drop(held);
    // (A connection may still be refused while the held ones are closing.)
    let status = || -> Option<u16> {
        let mut s = TcpStream::connect(admin).ok()?;
        write!(s, "GET /api/v1/status HTTP/1.1\r\nHost: x\r\n{}\r\nConnection: close\r\n\r\n", bearer()).ok()?;
        let mut got = Vec::new();
        s.read_to_end(&mut got).ok()?;
        String::from_utf8_lossy(&got).split(' ').nth(1)?.parse().ok()
    };
    let back = common::wait_for(Duration::from_secs(5), || (status() == Some(200)).then_some(()));
    assert!(back.is_some(), "the operators' port serves again once they close");
}

#[test]
fn posts_from_other_sites_are_refused_and_pages_run_only_their_own_script() {
    let server = Server::start(&common::fixture("basic"));
    let admin = server.admin;
    let store = infotv::store::Store::open(server.data.path()).unwrap();
    let hash = infotv::accounts::hash_password("Admin-Pass-2026").unwrap();
    store.add_account("ada", infotv::accounts::Role::Admin, &hash, false, chrono::Utc::now()).unwrap();
    let c = common::session(admin, "ada", "Admin-Pass-2026");
    let add = |headers: &[&str], name: &str| {
        send_as_is(admin, "POST", "/accounts", headers, &format!("name={name}&role=operator"), false)
    };
    // A signed-in administrator's browser, posting without Origin or
    // Referer, or from another site: refused, nothing made.
    assert_eq!(add(&[&c], "eve1").status, 403);
    assert_eq!(add(&[&c, "Origin: http://evil.example"], "eve2").status, 403);
    assert_eq!(add(&[&c, "Origin: null"], "eve3").status, 403);
    assert_eq!(add(&[&c, "Referer: http://evil.example/x"], "eve4").status, 403);
    assert_eq!(add(&[&c, &format!("Origin: http://{admin}.evil.example")], "eve5").status, 403);
    for n in 1..=5 {
        assert!(store.account(&format!("eve{n}")).unwrap().is_none());
    }
    // From the site's own pages: made.
    assert_eq!(add(&[&c, &format!("Referer: http://{admin}/accounts")], "wu").status, 200);
    assert_eq!(add(&[&c, &format!("Origin: http://{admin}")], "wu2").status, 200);
    // The login form needs its own token: a login forced from elsewhere fails.
    let r = send(admin, "POST", "/login", &[], "name=ada&password=Admin-Pass-2026", false);
    assert_eq!(r.status, 403);
    assert!(r.text().contains("登录页面已过期"));
    // Every answer has a policy without unsafe-inline; a page's script and
    // style carry the answer's nonce, and no element has a style attribute.
    for path in ["/", "/accounts", "/login", "/stats", "/api/v1/status", "/nope"] {
        let r = get(admin, path, &[&c, "Accept: text/html"]);
        let csp = r.header("content-security-policy").unwrap_or_else(|| panic!("{path}: no policy"));
        assert!(!csp.contains("unsafe-inline") && csp.contains("default-src 'none'"), "{path}: {csp}");
        if r.header("content-type").is_some_and(|t| t.starts_with("text/html")) {
            let text = r.text();
            let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap();
            assert!(
                !text.contains("<script>") && !text.contains("<style>"),
                "{path}: an inline element without a nonce"
            );
            assert!(text.contains(&format!("<style nonce=\"{nonce}\">")), "{path}");
            assert!(!text.contains(" style=\""), "{path}: a style attribute");
        }
    }
}

#[test]
fn an_export_never_writes_through_a_planted_link() {
    let out = tempfile::tempdir().unwrap();
    let victim = tempfile::tempdir().unwrap();
    std::fs::write(victim.path().join("infotv.sqlite"), "the store").unwrap();
    let export = |dir: &Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_infotv"))
            .current_dir(common::root())
            .args(["render", "--channels"])
            .arg(common::fixture("basic"))
            .arg("--out")
            .arg(dir)
            .output()
            .unwrap()
    };
    // A folder of the export replaced by a link into the data folder.
    symlink(victim.path(), out.path().join("tv")).unwrap();
    let r = export(out.path());
    assert!(!r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr).contains("is a link"), "{}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(std::fs::read_dir(victim.path()).unwrap().count(), 1, "nothing written through it");
    std::fs::remove_file(out.path().join("tv")).unwrap();
    // Files of an earlier export replaced by links, and the name written
    // beside one: the links are replaced, their targets untouched.
    assert!(export(out.path()).status.success());
    let index = out.path().join("index.html");
    std::fs::remove_file(&index).unwrap();
    symlink(victim.path().join("infotv.sqlite"), &index).unwrap();
    symlink(victim.path().join("infotv.sqlite"), out.path().join("api/v1/sd/graph.part")).unwrap();
    assert!(export(out.path()).status.success());
    assert_eq!(std::fs::read(victim.path().join("infotv.sqlite")).unwrap(), b"the store");
    assert!(!std::fs::symlink_metadata(&index).unwrap().file_type().is_symlink());
    assert!(std::fs::read_to_string(&index).unwrap().contains("home.html"));
}
