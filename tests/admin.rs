//! The operators' port, with the real binary: the read-only token reads
//! and nothing else, views counted from box requests reach stats.csv,
//! renders are recorded with their triggers, and the SQLite store (with the
//! first administrator and accounts made by the command line) survives a
//! restart. Roles, logins and the audit log: tests/accounts.rs.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::Duration;

use common::{get, send, wait_for, Binary, ADMIN_TOKEN as TOKEN};

fn bearer() -> String {
    format!("Authorization: Bearer {TOKEN}")
}

#[test]
fn the_read_only_token_reads_and_wrong_credentials_read_nothing() {
    let data = tempfile::tempdir().unwrap();
    let server = Binary::start_with(&common::fixture("basic"), data.path(), Some(TOKEN));
    // It cannot log in as a person.
    assert_eq!(common::login(server.admin, "token", TOKEN).status, 401);
    let graph = common::request(server.boxes, "GET", "/api/v1/sd/graph.json").json();
    let asset = graph["screens"]["home"]["states"][0]["image"].as_str().unwrap().to_string();
    let routes = [
        "/",
        "/renders",
        "/renders/1",
        "/problems",
        "/preview",
        "/preview/sd",
        "/stats",
        "/stats.csv",
        "/stats.csv?from=2026-01-01&to=2026-12-31",
        "/api/v1/status",
        "/api/v1/renders",
        "/api/v1/problems",
        "/events",
        "/metrics",
        asset.as_str(),
        "/no-such-page",
    ];
    let wrong = [
        vec![],
        vec!["Authorization: Bearer wrong-token".to_string()],
        vec![format!("Authorization: Bearer {TOKEN}x")],
        vec![format!("Authorization: Basic {TOKEN}")],
        vec!["Cookie: infotv_admin=0123456789abcdef".to_string()],
    ];
    for route in routes {
        for headers in &wrong {
            let h: Vec<&str> = headers.iter().map(String::as_str).collect();
            // From an address of their own: past twenty failures it is
            // slowed (429), bad tokens as bad passwords.
            let r = common::send_from("127.0.0.5", server.admin, "GET", route, &h, "");
            assert!([401, 429].contains(&r.status), "{route} with {headers:?}: {}", r.text());
            assert!(!r.text().contains("幸福") && !r.text().contains("测试频道"), "{route} leaks content");
        }
        // A person's browser is sent to the login form instead.
        let r = get(server.admin, route, &["Accept: text/html"]);
        assert_eq!(r.status, 303, "{route}");
        assert!(r.header("location").unwrap().starts_with("/login?next="), "{route}");
        let r = send(server.admin, "GET", route, &[&bearer()], "", route == "/events");
        // The token reads status, renders, problems, statistics and
        // metrics; the preview wall and the live log are people's.
        let people = ["/preview", "/preview/sd", "/events", asset.as_str()];
        let want = if route == "/no-such-page" {
            404
        } else if people.contains(&route) {
            403
        } else {
            200
        };
        assert_eq!(r.status, want, "{route} with the token");
    }
    // The token reads, and changes nothing.
    assert_eq!(send(server.admin, "POST", "/renders", &[], "x=1", false).status, 401);
    assert_eq!(send(server.admin, "POST", "/renders", &[&bearer()], "x=1", false).status, 405);
    assert_eq!(send(server.admin, "POST", "/accounts", &[&bearer()], "name=eve&role=admin", false).status, 403);
    assert_eq!(get(server.admin, "/audit", &[&bearer()]).status, 403);
}

#[test]
fn views_counted_from_box_requests_appear_in_stats_csv() {
    let data = tempfile::tempdir().unwrap();
    let server = Binary::start_with(&common::root().join("channels"), data.path(), Some(TOKEN));
    let graph = common::request(server.boxes, "GET", "/api/v1/sd/graph.json").json();
    let screens = graph["screens"].as_object().unwrap();
    let column = screens.iter().find(|(_, s)| s["kind"] == "column" && s["title"] == "便民万源").unwrap().0;
    // The column's second tile opens 便民电话.
    let item = screens[column]["states"][1]["keys"]["ok"].as_str().unwrap().split('#').next().unwrap();
    let shell = |id: &str, headers: &[&str]| {
        let r = get(server.boxes, &format!("/tv/sd/{id}.html"), headers);
        assert!(r.status == 200 || r.status == 304);
        r
    };
    // Box A opens the column twice and the sub-item once; box B the column once.
    shell(column, &["User-Agent: STB-A"]);
    let etag = shell(column, &["User-Agent: STB-A"]).header("etag").unwrap().to_string();
    shell(item, &["User-Agent: STB-A"]);
    // A box coming back to a screen it holds, answered 304, still saw it.
    shell(column, &["User-Agent: STB-B", &format!("If-None-Match: {etag}")]);
    // The shell's own background check for new content is not a view.
    shell(column, &["User-Agent: STB-A", "X-Requested-With: XMLHttpRequest", &format!("If-None-Match: {etag}")]);
    // Nor is anything but a shell.
    get(server.boxes, "/api/v1/generation", &["User-Agent: STB-C"]);

    let csv = get(server.admin, "/stats.csv", &[&bearer()]);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(csv.body.starts_with(b"\xEF\xBB\xBF"), "a BOM, so Excel reads UTF-8");
    let text = csv.text();
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], "日期,栏目,子栏目,浏览次数,当日机顶盒数");
    let day = lines[1].split(',').next().unwrap().to_string();
    assert_eq!(&lines[1..], [format!("{day},便民万源,,3,2"), format!("{day},便民万源,便民电话,1,2")], "{text}");

    // The statistics page shows the same.
    let page = get(server.admin, "/stats", &[&bearer()]).text();
    assert!(page.contains("便民电话") && page.contains("<svg"), "{page}");
    // And /metrics counts them with the requests.
    let metrics = get(server.admin, "/metrics", &[&bearer()]).text();
    assert!(metrics.contains("infotv_views_total 4"), "{metrics}");
    assert!(metrics.contains("infotv_http_requests_total{route=\"shell\",status=\"200\"} 3"), "{metrics}");
    assert!(metrics.contains("infotv_http_requests_total{route=\"shell\",status=\"304\"} 2"), "{metrics}");
    assert!(metrics.contains("infotv_render_duration_seconds_count 1"), "{metrics}");
    assert!(metrics.contains("# TYPE infotv_render_duration_seconds histogram"), "{metrics}");
}

#[test]
fn renders_and_problems_are_recorded_with_their_triggers() {
    let channel = common::copy_fixture("basic");
    // A day without news makes a column stale here.
    let site = std::fs::read_to_string(channel.path().join("site.toml")).unwrap();
    std::fs::write(channel.path().join("site.toml"), format!("stale_days = 1\n{site}")).unwrap();
    let data = tempfile::tempdir().unwrap();
    let server = Binary::start_with(channel.path(), data.path(), Some(TOKEN));
    let item = channel.path().join("01-第一栏目/02-乙项");
    std::fs::write(item.join("2026-11-27-坏文件.md"), "+++\ndate = 2026-13-01\n+++\n").unwrap();
    let runs = wait_for(Duration::from_secs(10), || {
        let runs = get(server.admin, "/api/v1/renders", &[&bearer()]).json();
        (runs.as_array().unwrap().len() >= 2).then_some(runs)
    })
    .expect("a second render is recorded");
    let newest = &runs[0];
    assert_eq!(newest["trigger"], "files:01-第一栏目/02-乙项/2026-11-27-坏文件.md");
    assert!(newest["change_to_air_ms"].as_i64().unwrap() > 0);
    assert!(newest["problem_count"].as_i64().unwrap() >= 1);
    assert_eq!(runs[1]["trigger"], "start");

    let problems = get(server.admin, "/api/v1/problems", &[&bearer()]).json();
    let open: Vec<&serde_json::Value> =
        problems.as_array().unwrap().iter().filter(|p| p["path"].as_str().unwrap().ends_with("坏文件.md")).collect();
    assert!(!open.is_empty(), "{problems}");
    assert!(open.iter().all(|p| p["since"].as_str().is_some() && !p["hint_zh"].as_str().unwrap().is_empty()));
    let page = get(server.admin, "/problems", &[&bearer()]).text();
    assert!(page.contains("坏文件.md") && page.contains("提示"));
    let run = get(server.admin, &format!("/renders/{}", newest["id"]), &[&bearer()]).text();
    assert!(run.contains("坏文件.md"), "the drill-down lists the run's problems");

    // Fixed: the problem is resolved, not open any more.
    std::fs::remove_file(item.join("2026-11-27-坏文件.md")).unwrap();
    wait_for(Duration::from_secs(10), || {
        let problems = get(server.admin, "/api/v1/problems", &[&bearer()]).json();
        problems.as_array().unwrap().iter().all(|p| !p["path"].as_str().unwrap().ends_with("坏文件.md")).then_some(())
    })
    .expect("a fixed file's problem is resolved");
    let status = get(server.admin, "/api/v1/status", &[&bearer()]).json();
    assert_eq!(status["store"], "ok");
    assert!(status["generation"].as_str().is_some());
    // 新闻's newest article is dated 2026-11-20; 第二栏目's only file has no
    // date and was written just now.
    let stale: Vec<&str> =
        status["stale_columns"].as_array().unwrap().iter().map(|c| c["column"].as_str().unwrap()).collect();
    assert!(stale.contains(&"新闻") && !stale.contains(&"第二栏目"), "{status}");
    assert!(get(server.admin, "/", &[&bearer()]).text().contains("「新闻」已"));
}

#[test]
fn the_store_and_the_token_survive_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let channels = common::fixture("basic");
    let server = Binary::start_with(&channels, data.path(), None);
    // No account yet: the first administrator is made, its password printed
    // once and saved for the owner only.
    let saved = data.path().join("admin-password");
    let password = std::fs::read_to_string(&saved).unwrap().trim().to_string();
    assert!(server.banner.contains(&format!("account admin, password {password}")), "{}", server.banner);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&saved).unwrap().permissions().mode() & 0o777, 0o600);
    }
    assert!(!data.path().join("admin-token").exists(), "no shared token is made any more");
    // An operator account and its token from the command line, beside the
    // running server.
    let (ok, out) =
        common::infotv(&["account", "add", "ops", "--role", "operator"], data.path(), "Metrics-2026-Scrape\n");
    assert!(ok, "{out}");
    let (ok, token) = common::infotv(&["account", "token", "ops"], data.path(), "");
    assert!(ok, "{token}");
    let auth = format!("Authorization: Bearer {}", token.trim());
    assert_eq!(get(server.admin, "/api/v1/status", &[&auth]).status, 200, "the new token works at once");
    let graph = common::request(server.boxes, "GET", "/api/v1/sd/graph.json").json();
    let column = graph["screens"].as_object().unwrap().iter().find(|(_, s)| s["kind"] == "column").unwrap().0.clone();
    for _ in 0..5 {
        get(server.boxes, &format!("/tv/sd/{column}.html"), &["User-Agent: STB-A"]);
    }
    server.stop();

    let server = Binary::start_with(&channels, data.path(), None);
    assert!(!server.banner.contains("first start"), "the first password is not made again: {}", server.banner);
    // Renders are written to the store just after they go on air.
    let runs = wait_for(Duration::from_secs(10), || {
        let runs = get(server.admin, "/api/v1/renders", &[&auth]).json();
        (runs.as_array().unwrap().len() >= 2).then_some(runs)
    })
    .expect("this start's render is recorded");
    assert_eq!(runs.as_array().unwrap().len(), 2, "the first run's render and this one's: {runs}");
    let csv = get(server.admin, "/stats.csv", &[&auth]).text();
    assert!(csv.lines().any(|l| l.ends_with(",5,1")), "views counted before the restart: {csv}");
}

#[test]
fn an_unusable_data_folder_still_serves_the_boxes() {
    let data = tempfile::tempdir().unwrap();
    // A file where the data folder should be: nothing can be stored there.
    let blocked = data.path().join("data");
    std::fs::write(&blocked, "not a folder").unwrap();
    let server = Binary::start_with(&common::fixture("basic"), &blocked, Some(TOKEN));
    assert_eq!(common::request(server.boxes, "GET", "/healthz").status, 200);
    let status = get(server.admin, "/api/v1/status", &[&bearer()]).json();
    assert!(status["store"].as_str().unwrap().contains("cannot create the data folder"), "{status}");
    let page = get(server.admin, "/", &[&bearer()]).text();
    assert!(page.contains("数据库不可用"));
}
