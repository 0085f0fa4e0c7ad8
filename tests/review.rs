//! Review before air on the whole app: with `[review] required = true` a
//! new article reaches no box (graph, shells, text JSON, the loop's plan)
//! until a reviewer approves that version; an edit waits while the approved
//! version stays; a rejection's reason reaches the problems; a removal is
//! immediate; decisions survive a restart; an alert waits too; turning
//! review off is a change that waits.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::Duration;

use common::{send, wait_for, Response, Server};
use infotv::accounts::{hash_password, new_token, token_hash, Role};
use infotv::store::Store;

const ARTICLE: &str = "01-第一栏目/01-甲项/2026-11-28-待审的通知.md";

fn start(channels: &std::path::Path, data: tempfile::TempDir) -> Server {
    let mut config = infotv::app::Config::new(channels, data.path());
    config.fonts = common::root().join("fonts");
    config.encode_loop = false;
    config.watch = infotv::watch::Options::new(Duration::from_millis(150));
    Server::start_config(config, data)
}

/// A reviewer's and an operator's token.
fn tokens(server: &Server) -> (String, String) {
    let store = Store::open(server.data.path()).unwrap();
    let mut out = Vec::new();
    for (name, role) in [("rui", Role::Reviewer), ("ops", Role::Operator)] {
        if store.account(name).unwrap().is_none() {
            store
                .add_account(name, role, &hash_password("Some-Password-26").unwrap(), false, chrono::Utc::now())
                .unwrap();
        }
        let t = new_token();
        store.set_token(name, &token_hash(&t), chrono::Utc::now()).unwrap();
        out.push(format!("Authorization: Bearer {t}"));
    }
    (out.remove(0), out.remove(0))
}

/// Everything boxes can read: graphs, shells and text JSON of both profiles.
fn served(server: &Server) -> String {
    let mut all = String::new();
    for profile in ["sd", "hd"] {
        let graph = server.get(&format!("/api/v1/{profile}/graph.json")).text();
        let parsed: serde_json::Value = serde_json::from_str(&graph).unwrap();
        all.push_str(&graph);
        for id in parsed["screens"].as_object().unwrap().keys() {
            all.push_str(&server.get(&format!("/api/v1/{profile}/screens/{id}.json")).text());
            all.push_str(&server.get(&format!("/tv/{profile}/{id}.html")).text());
        }
    }
    all
}

fn review(server: &Server, auth: &str) -> Vec<serde_json::Value> {
    common::get(server.admin, "/api/v1/review", &[auth]).json().as_array().unwrap().clone()
}

/// Waits until `path` waits for review in state `state`.
fn waiting(server: &Server, auth: &str, path: &str, state: &str) -> serde_json::Value {
    wait_for(Duration::from_secs(20), || {
        review(server, auth).into_iter().find(|v| v["path"] == path && v["state"] == state)
    })
    .unwrap_or_else(|| panic!("{path} never waited as {state}: {:?}", review(server, auth)))
}

/// The version of `path` as written (`bytes`), once it waits: a write is
/// a truncation then the bytes, and a busy machine may stage the file in
/// between, so the first pending version seen may be the empty one.
fn waiting_as_written(server: &Server, auth: &str, path: &str, bytes: &str) -> serde_json::Value {
    let version = infotv::review::version_id(path, blake3::hash(bytes.as_bytes()).to_hex().as_str());
    wait_for(Duration::from_secs(20), || {
        review(server, auth).into_iter().find(|v| v["version"] == version.as_str() && v["state"] == "pending")
    })
    .unwrap_or_else(|| panic!("{path} never waited as written: {:?}", review(server, auth)))
}

fn decide(server: &Server, auth: &str, version: &str, verb: &str, body: &str) -> Response {
    send(server.admin, "POST", &format!("/api/v1/review/{version}/{verb}"), &[auth], body, false)
}

fn renders_after(server: &Server, n: usize) {
    wait_for(Duration::from_secs(20), || (server.station.log.history().len() > n).then_some(())).expect("a render");
}

#[test]
fn nothing_reaches_the_boxes_before_a_reviewer_approves_it() {
    let channels = common::copy_fixture("basic");
    let site = channels.path().join("site.toml");
    let toml = std::fs::read_to_string(&site).unwrap();
    std::fs::write(&site, format!("{toml}\n[review]\nrequired = true\n")).unwrap();
    let server = start(channels.path(), tempfile::tempdir().unwrap());
    let (reviewer, operator) = tokens(&server);
    // Turning review on approved what was there: the channel stays on air.
    assert!(served(&server).contains("较新的消息"));
    assert!(review(&server, &reviewer).is_empty());

    // A new article waits.
    let first = "# 待审的通知\n\n第一版正文。\n";
    std::fs::write(channels.path().join(ARTICLE), first).unwrap();
    let v1 = waiting_as_written(&server, &reviewer, ARTICLE, first);
    let all = served(&server);
    assert!(!all.contains("待审的通知") && !all.contains("第一版正文"), "a waiting version reached the boxes");
    let g = server.station.on_air.current().unwrap();
    assert!(!format!("{:?}", g.broadcast).contains("待审"), "nor the loop");
    // The reviewer sees it as the TV will show it, in both profiles.
    for profile in ["sd", "hd"] {
        let shots = v1["screens"][profile].as_array().unwrap();
        assert!(!shots.is_empty(), "{profile} previews: {v1}");
        let png = common::get(server.admin, shots[0].as_str().unwrap(), &[&reviewer]);
        assert_eq!(png.status, 200);
        assert!(png.body.starts_with(b"\x89PNG") || png.body.starts_with(b"\xff\xd8"));
    }
    let page = common::get(server.admin, "/review", &[&operator]).text();
    assert!(
        page.contains(ARTICLE) && page.contains("通过后") && !page.contains("通过并播出"),
        "operators look, do not decide"
    );
    // Only a reviewer decides.
    assert_eq!(decide(&server, &operator, v1["version"].as_str().unwrap(), "approve", "x=").status, 403);

    // Approved: on air when the answer comes.
    let r = decide(&server, &reviewer, v1["version"].as_str().unwrap(), "approve", "x=");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(served(&server).contains("第一版正文"), "{}", r.text());

    // An edit waits; the approved version stays on air meanwhile.
    let renders = server.station.log.history().len();
    let second = "# 待审的通知\n\n第二版正文。\n";
    std::fs::write(channels.path().join(ARTICLE), second).unwrap();
    let v2 = waiting_as_written(&server, &reviewer, ARTICLE, second);
    renders_after(&server, renders);
    let all = served(&server);
    assert!(all.contains("第一版正文") && !all.contains("第二版正文"));

    // Rejected: the reason reaches the problems and the render log.
    let r = decide(&server, &reviewer, v2["version"].as_str().unwrap(), "reject", "x=");
    assert_eq!(r.status, 400, "a rejection needs a reason");
    let r = decide(
        &server,
        &reviewer,
        v2["version"].as_str().unwrap(),
        "reject",
        "reason=%E6%97%A5%E6%9C%9F%E5%86%99%E9%94%99",
    );
    assert_eq!(r.status, 200);
    // Open problems are what the render recorder wrote to the store: it
    // follows the render log, a moment behind on a busy machine.
    let problem = "审核未通过（rui）：日期写错";
    let open = || common::get(server.admin, "/api/v1/problems", &[&operator]).text();
    wait_for(Duration::from_secs(20), || open().contains(problem).then_some(()))
        .unwrap_or_else(|| panic!("the rejection is an open problem: {}", open()));
    let last = server.station.log.history().last().cloned().unwrap();
    assert!(last.problems.iter().any(|p| p.path == ARTICLE && p.zh.contains("日期写错") && p.last_good));
    assert!(served(&server).contains("第一版正文"));
    // `infotv check --data` tells content staff too.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_infotv"))
        .current_dir(common::root())
        .args(["check", "--channels"])
        .arg(channels.path())
        .arg("--data")
        .arg(server.data.path())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("审核未通过") && said.contains("日期写错") && said.contains("rejected in review"), "{said}");

    // A static export (for edge servers) carries approved versions only.
    let out = tempfile::tempdir().unwrap();
    let export = |data: Option<&std::path::Path>| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_infotv"));
        c.current_dir(common::root()).args(["render", "--channels"]).arg(channels.path()).arg("--out").arg(out.path());
        if let Some(d) = data {
            c.arg("--data").arg(d);
        }
        c.output().unwrap()
    };
    let refused = export(None);
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("--data"));
    assert!(export(Some(server.data.path())).status.success());
    let mut exported = String::new();
    for e in common::files_under(out.path()) {
        if e.extension().is_some_and(|x| x == "json" || x == "html") {
            exported.push_str(&std::fs::read_to_string(e).unwrap());
        }
    }
    assert!(exported.contains("第一版正文") && !exported.contains("第二版正文"));

    // An alert waits too, and the dashboard says so at the top.
    let alert = "明天上午停水，请提前储水。\n";
    std::fs::write(channels.path().join("alert.txt"), alert).unwrap();
    let alert = waiting_as_written(&server, &reviewer, "alert.txt", alert);
    assert_eq!(server.get("/api/v1/generation").json()["alert"], serde_json::Value::Null);
    let dash = common::get(server.admin, "/", &[&reviewer]).text();
    assert!(dash.contains("紧急通知") && dash.contains("通过并立即播出"), "the waiting alert tops the dashboard");
    decide(&server, &reviewer, alert["version"].as_str().unwrap(), "approve", "x=");
    assert!(server.get("/api/v1/generation").text().contains("停水"));

    // Taking down never waits.
    let renders = server.station.log.history().len();
    std::fs::remove_file(channels.path().join("01-第一栏目/02-乙项/2026-11-20-较新的消息.md")).unwrap();
    renders_after(&server, renders);
    wait_for(Duration::from_secs(20), || (!served(&server).contains("较新的消息")).then_some(()))
        .expect("removed at once");

    // Decisions survive a restart: the approved version on air, the rejected one still rejected.
    let data = server.stop_keeping_data();
    let server = start(channels.path(), data);
    let (reviewer, _) = tokens(&server);
    let all = served(&server);
    assert!(all.contains("第一版正文") && !all.contains("第二版正文") && !all.contains("较新的消息"));
    assert!(server.get("/api/v1/generation").text().contains("停水"));
    waiting(&server, &reviewer, ARTICLE, "rejected");

    // Turning review off is a change that waits for a reviewer.
    std::fs::write(&site, &toml).unwrap();
    let off = waiting_as_written(&server, &reviewer, "site.toml", &toml);
    let renders = server.station.log.history().len();
    std::fs::write(channels.path().join("01-第一栏目/01-甲项/2026-11-29-又一篇.md"), "# 又一篇\n\n正文。\n").unwrap();
    waiting_as_written(&server, &reviewer, "01-第一栏目/01-甲项/2026-11-29-又一篇.md", "# 又一篇\n\n正文。\n");
    // The render of the new file is over before the decision: the render
    // the approval makes must put the folder on air by itself.
    renders_after(&server, renders);
    assert!(!served(&server).contains("又一篇"));
    let r = decide(&server, &reviewer, off["version"].as_str().unwrap(), "approve", "x=");
    assert_eq!(r.status, 200, "{}", r.text());
    wait_for(Duration::from_secs(20), || served(&server).contains("又一篇").then_some(()))
        .expect("review off: on air at once");
    // The audit log holds each decision.
    let store = Store::open(server.data.path()).unwrap();
    let rows = store.audit_rows(&Default::default()).unwrap();
    assert!(rows.iter().any(|r| r.action == "approve" && r.account == "rui" && r.target.starts_with(ARTICLE)));
    assert!(rows.iter().any(|r| r.action == "reject" && r.result.contains("日期写错")));
    assert!(rows.iter().any(|r| r.action == "approve" && r.account == "system" && r.target.starts_with("baseline")));
}
