//! Accounts, roles and the audit log on the operators' port (the whole app
//! in this process, with a clock the tests move): every route of the one
//! role table tried as every kind of caller; the lockout and its end; no
//! telling whether a name exists; sessions that end when idle, on logout,
//! on a lock and on a new password; the forced change; the audit chain and
//! `infotv audit verify` on a tampered file.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{get, send, Response, Server, ADMIN_TOKEN};
use infotv::accounts::{hash_password, Role};
use infotv::admin::access::{Kind, Page, Who, RULES};
use infotv::clock::Clock;
use infotv::store::Store;

/// A server with its clock and a second connection to its store.
struct Site {
    server: Server,
    clock: Arc<Clock>,
    store: Store,
}

fn site() -> Site {
    let (server, clock) = Server::start_with_clock(&common::fixture("basic"));
    let store = Store::open(server.data.path()).unwrap();
    Site { server, clock, store }
}

impl Site {
    fn add(&self, name: &str, role: Role, password: &str) {
        let hash = hash_password(password).unwrap();
        assert!(self.store.add_account(name, role, &hash, false, self.clock.now()).unwrap());
    }

    fn login(&self, name: &str, password: &str) -> Response {
        common::login(self.server.admin, name, password)
    }

    /// A `Cookie:` header of a new session.
    fn session(&self, name: &str, password: &str) -> String {
        common::session(self.server.admin, name, password)
    }

    fn get(&self, path: &str, headers: &[&str]) -> Response {
        get(self.server.admin, path, headers)
    }

    fn post(&self, path: &str, headers: &[&str], body: &str) -> Response {
        send(self.server.admin, "POST", path, headers, if body.is_empty() { "x=" } else { body }, false)
    }

    fn audit(&self) -> Vec<serde_json::Value> {
        audit_of(&self.store)
    }

    /// Stops the server (which writes the strangers' failures, tallied per
    /// address and minute) and reads the whole audit log.
    fn audit_after_stop(self) -> Vec<serde_json::Value> {
        let Site { server, store, .. } = self;
        let _kept = server.stop_keeping_data();
        audit_of(&store)
    }
}

fn audit_of(store: &Store) -> Vec<serde_json::Value> {
    let rows = store.audit_rows(&Default::default()).unwrap();
    rows.into_iter().map(|r| serde_json::to_value(r).unwrap()).collect()
}

fn enc(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

fn cookie_of(r: &Response) -> String {
    let set = r.headers.iter().find(|(k, v)| k.eq_ignore_ascii_case("set-cookie") && v.starts_with("infotv_admin="));
    format!("Cookie: {}", set.unwrap().1.split(';').next().unwrap())
}

/// Refused by the gate: 403, or a 401 that asks for credentials (a wrong
/// password on the login form is a 401 page, not a refusal).
fn refused(r: &Response) -> bool {
    r.status == 403 || r.header("www-authenticate").is_some()
}

const PASSWORDS: [(&str, Role, &str); 4] = [
    ("ada", Role::Admin, "Admin-Pass-2026"),
    ("rui", Role::Reviewer, "Review-Pass-2026"),
    ("ops", Role::Operator, "Operate-Pass-2026"),
    ("aud", Role::Auditor, "Audit-Pass-2026"),
];

/// A path for a rule, its `{x}` segments filled in.
fn example(path: &str) -> String {
    path.replace("{version}", "0000000000000000")
        .replace("{id}", "1")
        .replace("{profile}", "sd")
        .replace("{asset}", "none.png")
        .replace("{name}", "nobody")
        .replace("{reference}", "2612-0001")
}

fn body_for(page: Page) -> &'static str {
    match page {
        Page::Login => "name=nobody&password=wrong",
        Page::AccountAdd => "name=&role=operator",
        _ => "",
    }
}

fn ask(site: &Site, method: &str, path: &str, headers: &[&str], page: Page) -> Response {
    let headers: Vec<&str> = headers.iter().copied().chain(["Accept: application/json"]).collect();
    if page == Page::Login {
        // The form's own way: its CSRF token, then a wrong password.
        return site.login("nobody", "wrong");
    }
    if method == "GET" {
        // The live log never ends: only its head is read.
        send(site.server.admin, "GET", path, &headers, "", page == Page::Events)
    } else {
        site.post(path, &headers, body_for(page))
    }
}

/// DESIGN.md's table of roles, written out again here, page by page. The
/// match has no wildcard: a new page does not compile until this says who
/// may use it, and then the table must agree.
fn contract(page: Page) -> Who {
    const READERS: &[Role] = &[Role::Operator, Role::Reviewer];
    match page {
        Page::Favicon | Page::LoginForm | Page::Login => Who::Anyone,
        // One's own password and one's own token: nobody mints another's.
        Page::Logout | Page::PasswordForm | Page::Password | Page::Token => Who::Signed,
        // What the shared read-only --admin-token may read, and no more:
        // no phone number, no preview, no change.
        Page::Status
        | Page::Renders
        | Page::RenderRun
        | Page::Problems
        | Page::Stats
        | Page::StatsCsv
        | Page::ApiStatus
        | Page::ApiRenders
        | Page::ApiProblems
        | Page::Metrics => Who::RolesAndReadOnly(READERS),
        Page::PreviewHome
        | Page::Preview
        | Page::Asset
        | Page::Events
        | Page::Review
        | Page::ApiReview
        | Page::Polls
        | Page::PollsCsv
        | Page::ApiPolls
        | Page::ApiRatings
        | Page::Requests
        | Page::RequestsCsv
        | Page::ApiRequests => Who::Roles(READERS),
        // Marking a request handled: the operators who call back.
        Page::RequestHandled => Who::Roles(&[Role::Operator]),
        Page::Approve | Page::Reject => Who::Roles(&[Role::Reviewer]),
        Page::Accounts | Page::AccountAdd | Page::AccountLock | Page::AccountUnlock | Page::AccountReset => {
            Who::Roles(&[Role::Admin])
        }
        Page::Audit | Page::ApiAudit | Page::AuditCsv => Who::Roles(&[Role::Auditor]),
    }
}

#[test]
fn the_role_table_is_the_designs() {
    for page in Page::ALL {
        let rules: Vec<_> = RULES.iter().filter(|r| r.page == *page).collect();
        assert_eq!(rules.len(), 1, "{page:?} has one rule");
        let (mut want, mut got) = (contract(*page), rules[0].who);
        for who in [&mut want, &mut got] {
            let sorted = |r: &[Role]| -> &'static [Role] {
                let mut sorted = r.to_vec();
                sorted.sort();
                Box::leak(sorted.into_boxed_slice())
            };
            match who {
                Who::Roles(r) => *who = Who::Roles(sorted(r)),
                Who::RolesAndReadOnly(r) => *who = Who::RolesAndReadOnly(sorted(r)),
                _ => {}
            }
        }
        assert_eq!(got, want, "{page:?}");
    }
    // Powers kept apart: no role both manages accounts and reads the audit
    // log or the content; the auditor reads nothing else.
    for rule in RULES {
        if let Who::Roles(roles) | Who::RolesAndReadOnly(roles) = rule.who {
            assert!(!(roles.contains(&Role::Admin) && roles.len() > 1), "{} {}", rule.method, rule.path);
            assert!(!(roles.contains(&Role::Auditor) && roles.len() > 1), "{} {}", rule.method, rule.path);
        }
        // The read-only token changes nothing.
        if let Who::RolesAndReadOnly(_) = rule.who {
            assert_eq!(rule.method, "GET", "{} {}", rule.method, rule.path);
        }
    }
}

#[test]
fn every_route_answers_every_caller_as_the_one_table_says() {
    let site = site();
    for (name, role, password) in PASSWORDS {
        site.add(name, role, password);
    }
    let mut tried = 0;
    // Each role, with a session and with an API token.
    for (name, role, password) in PASSWORDS {
        let token = infotv::accounts::new_token();
        site.store.set_token(name, &infotv::accounts::token_hash(&token), site.clock.now()).unwrap();
        let bearer = format!("Authorization: Bearer {token}");
        let mut cookie = site.session(name, password);
        for rule in RULES {
            let path = example(rule.path);
            for (via, headers, kind) in
                [("session", &cookie, Kind::Session(role)), ("token", &bearer, Kind::Token(role))]
            {
                let r = ask(&site, rule.method, &path, &[headers], rule.page);
                let admitted = rule.who.admits(kind);
                assert_eq!(
                    !refused(&r),
                    admitted,
                    "{} {path} as {role:?} by {via}: {} {}",
                    rule.method,
                    r.status,
                    r.text()
                );
                if !admitted && rule.who != Who::Signed {
                    assert_eq!(r.status, 403, "{} {path} as {role:?} by {via}", rule.method);
                }
                tried += 1;
            }
            if rule.page == Page::Token {
                // The session minted a token of its own: the one this test
                // holds is back in place for the rules after.
                site.store.set_token(name, &infotv::accounts::token_hash(&token), site.clock.now()).unwrap();
            }
            if rule.page == Page::Logout {
                // That ended the session.
                assert_eq!(site.get("/password", &[&cookie, "Accept: application/json"]).status, 401);
                cookie = site.session(name, password);
            }
        }
    }
    // Sessions to let expire, made before the strangers' wrong tokens
    // slow this address down.
    let cookies: Vec<String> = PASSWORDS.iter().map(|(n, _, p)| site.session(n, p)).collect();
    // Strangers and the read-only token.
    let forged = "Cookie: infotv_admin=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff".to_string();
    let wrong = "Authorization: Bearer itv_000000000000000000000000000000000000000000000000".to_string();
    let basic = format!("Authorization: Basic {ADMIN_TOKEN}");
    let readonly = format!("Authorization: Bearer {ADMIN_TOKEN}");
    for rule in RULES {
        let path = example(rule.path);
        // The read-only token: admitted only where the table names it, and
        // then it only reads.
        let r = ask(&site, rule.method, &path, &[&readonly], rule.page);
        let admitted = rule.who.admits(Kind::ReadOnly);
        assert_eq!(!refused(&r), admitted, "{} {path} with --admin-token: {}", rule.method, r.status);
        if !admitted && rule.who != Who::Anyone {
            assert_eq!(r.status, 403, "{} {path} with --admin-token", rule.method);
        }
        tried += 1;
        for (who, headers) in
            [("nobody", None), ("forged cookie", Some(&forged)), ("wrong token", Some(&wrong)), ("basic", Some(&basic))]
        {
            let headers: Vec<&str> = headers.into_iter().map(String::as_str).collect();
            // Wrong tokens from an address of their own: past twenty the
            // address is slowed (429), which would slow the callers above.
            let r = if who == "wrong token" && rule.page != Page::Login {
                let headers: Vec<&str> = headers.iter().copied().chain(["Accept: application/json"]).collect();
                let body = if rule.method == "POST" { "x=" } else { "" };
                common::send_from("127.0.0.3", site.server.admin, rule.method, &path, &headers, body)
            } else {
                ask(&site, rule.method, &path, &headers, rule.page)
            };
            let refused_or_slowed = refused(&r) || r.status == 429;
            assert_eq!(!refused_or_slowed, rule.who == Who::Anyone, "{} {path} as {who}: {}", rule.method, r.status);
            if rule.who != Who::Anyone && r.status != 429 {
                assert_eq!(r.status, 401, "{} {path} as {who}", rule.method);
                assert!(!r.text().contains("测试频道"), "{path} tells a stranger something");
            }
            tried += 1;
        }
    }
    // A session idle past the limit is a stranger's.
    site.clock.advance(Duration::from_secs(31 * 60));
    for rule in RULES {
        for cookie in &cookies {
            let r = ask(&site, rule.method, &example(rule.path), &[cookie], rule.page);
            assert_eq!(!refused(&r), rule.who == Who::Anyone, "{} {} with an expired session", rule.method, rule.path);
            tried += 1;
        }
    }
    // Paths outside the table: strangers learn nothing, the known get 404.
    assert_eq!(site.get("/no-such-page", &[]).status, 401);
    assert_eq!(site.get("/no-such-page", &[&readonly]).status, 404);
    println!("{tried} requests, {} rules", RULES.len());
    assert!(tried >= RULES.len() * 17);
}

#[test]
fn every_forbidden_request_is_in_the_audit_log() {
    let site = site();
    site.add("aud", Role::Auditor, "Audit-Pass-2026");
    let cookie = site.session("aud", "Audit-Pass-2026");
    let r = site.get("/stats", &[&cookie, "Accept: text/html"]);
    assert_eq!(r.status, 403);
    assert!(r.text().contains("无权访问") && r.text().contains("审计日志"), "a page with the auditor's menu");
    assert!(!r.text().contains("href=\"/stats\""), "the auditor's menu has no statistics");
    let rows = site.audit();
    let row = rows.iter().find(|r| r["action"] == "forbidden").unwrap();
    assert_eq!(
        (row["account"].as_str(), row["role"].as_str(), row["target"].as_str()),
        (Some("aud"), Some("auditor"), Some("GET /stats"))
    );
    assert_eq!(row["address"], "127.0.0.1");
    assert_eq!(row["result"], "denied");
}

#[test]
fn five_failed_logins_lock_a_name_for_the_address_they_came_from() {
    let site = site();
    site.add("li", Role::Operator, "Li-Password-26");
    for i in 1..5 {
        let r = site.login("li", "wrong-password");
        assert_eq!(r.status, 401, "failure {i}");
        assert!(r.text().contains("账号或口令不正确"), "failure {i}");
    }
    let r = site.login("li", "wrong-password");
    assert!(r.text().contains("已锁定 15 分钟"), "the fifth locks: {}", r.text());
    // Locked: even the right password is refused from here, and says why…
    let r = site.login("li", "Li-Password-26");
    assert_eq!(r.status, 401);
    assert!(r.text().contains("已锁定"));
    // …but a stranger's failures never keep its owner out: from another
    // address the right password works.
    assert_eq!(common::login_from("127.0.0.2", site.server.admin, "li", "Li-Password-26").status, 303);
    site.clock.advance(Duration::from_secs(14 * 60));
    assert!(site.login("li", "Li-Password-26").text().contains("已锁定"), "still locked after 14 minutes");
    site.clock.advance(Duration::from_secs(61));
    assert_eq!(site.login("li", "Li-Password-26").status, 303, "free after 15");
    // Failures older than the window do not add up.
    for _ in 0..4 {
        site.login("li", "wrong-password");
    }
    site.clock.advance(Duration::from_secs(16 * 60));
    assert!(
        site.login("li", "wrong-password").text().contains("账号或口令不正确"),
        "a sixth, but not within 15 minutes"
    );

    // The command line lifts a lockout at once.
    for _ in 0..5 {
        site.login("li", "wrong-password");
    }
    assert!(site.login("li", "Li-Password-26").text().contains("已锁定"));
    let (ok, out) = common::infotv(&["account", "unlock", "li"], site.server.data.path(), "");
    assert!(ok, "{out}");
    assert_eq!(site.login("li", "Li-Password-26").status, 303);

    let rows = site.audit_after_stop();
    let actions: Vec<String> =
        rows.iter().map(|r| format!("{} {}", r["action"].as_str().unwrap(), r["result"].as_str().unwrap())).collect();
    assert!(actions.contains(&"login ok".to_string()), "{actions:?}");
    assert!(actions.contains(&"account.unlock ok".to_string()));
    // The failures, summed into a row for the address: what was tried, how often.
    let refused: Vec<&str> =
        rows.iter().filter(|r| r["action"] == "refused").map(|r| r["target"].as_str().unwrap()).collect();
    assert_eq!(refused.len(), 1, "one row for the address: {refused:?}");
    for what in ["login failed ×", "lockout ×", "login locked ×", "| names: li"] {
        assert!(refused[0].contains(what), "{what} in {refused:?}");
    }
}

#[test]
fn guessing_one_name_from_many_addresses_is_slowed_but_its_owner_is_not() {
    let site = site();
    site.add("li", Role::Operator, "Li-Password-26");
    // The owner logs in from their own machine once: an address of theirs.
    assert_eq!(common::login_from("127.0.0.9", site.server.admin, "li", "Li-Password-26").status, 303);
    // Ten addresses, one wrong guess each: no lock anywhere yet.
    for i in 10..20 {
        let r = common::login_from(&format!("127.0.0.{i}"), site.server.admin, "li", "wrong");
        assert_eq!(r.status, 401, "guess from 127.0.0.{i}");
    }
    // The eleventh address must wait, twice as long each further failure.
    let r = common::login_from("127.0.0.30", site.server.admin, "li", "wrong");
    assert_eq!((r.status, r.header("retry-after")), (429, Some("1")), "{}", r.text());
    assert!(r.text().contains("这个账号近来多次登录失败"));
    site.clock.advance(Duration::from_millis(1100));
    assert_eq!(common::login_from("127.0.0.30", site.server.admin, "li", "wrong").status, 401);
    let r = common::login_from("127.0.0.31", site.server.admin, "li", "Li-Password-26");
    assert_eq!(
        (r.status, r.header("retry-after")),
        (429, Some("2")),
        "even the right password waits, from a stranger's address"
    );
    // The owner's own address never waits.
    assert_eq!(common::login_from("127.0.0.9", site.server.admin, "li", "Li-Password-26").status, 303);
    // And the wait is never a lockout: at most a minute, whatever the count.
    for i in 0..40 {
        site.clock.advance(Duration::from_secs(61));
        common::login_from(&format!("127.0.1.{i}"), site.server.admin, "li", "wrong");
    }
    let r = common::login_from("127.0.2.1", site.server.admin, "li", "wrong");
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
}

#[test]
fn answers_do_not_tell_whether_a_name_exists() {
    let site = site();
    site.add("wang", Role::Operator, "Wang-Password-26");
    site.add("zhao", Role::Operator, "Zhao-Password-26");
    // The same words for a wrong password and a name nobody has…
    let known = site.login("wang", "Not-The-Password-1");
    let unknown = site.login("nobody", "Not-The-Password-1");
    assert_eq!((known.status, unknown.status), (401, 401));
    // (The form keeps the name typed and carries a CSRF token of its own.)
    let same = |r: &Response, name: &str| {
        let text = r.text().replace(&format!("value=\"{name}\""), "value=\"NAME\"");
        let (before, after) = text.split_once("name=\"csrf\" value=\"").unwrap();
        let text = format!("{before}{}", after.split_once('"').unwrap().1);
        let (before, after) = text.split_once("nonce=\"").unwrap();
        format!("{before}{}", after.split_once('"').unwrap().1)
    };
    assert_eq!(same(&known, "wang"), same(&unknown, "nobody"));
    // …and a lockout alike for both.
    for _ in 0..4 {
        site.login("wang", "x");
        site.login("nobody", "x");
    }
    let (known, unknown) = (site.login("wang", "x"), site.login("nobody", "x"));
    assert_eq!(same(&known, "wang"), same(&unknown, "nobody"));
    assert!(known.text().contains("已锁定"));
    site.clock.advance(Duration::from_secs(16 * 60));

    // And the same time: a name that does not exist is checked against a
    // decoy hash. Interleaved, two tries a name (under the lockout and the
    // address brake), eight of each kind.
    for name in ["qian", "sun"] {
        site.add(name, Role::Operator, "Some-Password-26");
    }
    let (mut with_name, mut without) = (Vec::new(), Vec::new());
    for round in 0..2 {
        for (name, exists) in [
            ("wang", true),
            ("ghost1", false),
            ("zhao", true),
            ("ghost2", false),
            ("qian", true),
            ("ghost3", false),
            ("sun", true),
            ("ghost4", false),
        ] {
            let t = Instant::now();
            assert_eq!(site.login(name, &format!("Wrong-{round}-Password")).status, 401);
            let into = if exists { &mut with_name } else { &mut without };
            into.push(t.elapsed().as_secs_f64());
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (a, b) = (median(&mut with_name), median(&mut without));
    println!("login answer: existing name {:.1} ms, unknown name {:.1} ms", a * 1e3, b * 1e3);
    // Without the decoy the ratio is over 100 (a hash against none).
    assert!((1.0 / 3.0..3.0).contains(&(a / b)), "timing tells names apart: {a:.4} s vs {b:.4} s");
}

#[test]
fn an_address_that_keeps_failing_is_slowed() {
    let site = site();
    for i in 0..20 {
        assert_eq!(site.login(&format!("name{i}"), "wrong").status, 401, "try {i}");
    }
    let r = site.login("another", "wrong");
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("1"));
    site.clock.advance(Duration::from_millis(1100));
    assert_eq!(site.login("another", "wrong").status, 401, "after the wait, one more try");
    let r = site.login("another", "wrong");
    assert_eq!((r.status, r.header("retry-after")), (429, Some("2")), "and the next wait is twice as long");
    site.clock.advance(Duration::from_secs(16 * 60));
    assert_eq!(site.login("another", "wrong").status, 401, "the window passed");
    let rows = site.audit_after_stop();
    assert!(rows.iter().any(|r| r["action"] == "refused" && r["target"].as_str().unwrap().contains("login slowed")));
}

#[test]
fn sessions_end_when_idle_on_logout_on_a_lock_and_on_a_new_password() {
    let site = site();
    site.add("ada", Role::Admin, "Admin-Pass-2026");
    site.add("ops", Role::Operator, "Operate-Pass-2026");
    let json = "Accept: application/json";
    // Idle: 29 minutes twice is fine (each request renews), 31 is not.
    let c = site.session("ops", "Operate-Pass-2026");
    let set = site.login("ops", "Operate-Pass-2026");
    let header = set.header("set-cookie").unwrap();
    assert!(
        header.contains("HttpOnly") && header.contains("SameSite=Strict") && !header.contains("Secure"),
        "{header}"
    );
    for _ in 0..2 {
        site.clock.advance(Duration::from_secs(29 * 60));
        assert_eq!(site.get("/api/v1/status", &[&c, json]).status, 200);
    }
    site.clock.advance(Duration::from_secs(31 * 60));
    assert_eq!(site.get("/api/v1/status", &[&c, json]).status, 401);
    let r = site.get("/stats", &[&c, "Accept: text/html"]);
    assert_eq!(r.header("location"), Some("/login?next=%2Fstats&expired=1"));
    assert!(site.get("/login?expired=1", &[]).text().contains("会话已超时"));

    // Logout ends it on the server: the cookie kept elsewhere is dead.
    let c = site.session("ops", "Operate-Pass-2026");
    assert_eq!(site.post("/logout", &[&c], "").status, 303);
    assert_eq!(site.get("/api/v1/status", &[&c, json]).status, 401);

    // A new password ends every other session; this browser gets a new one.
    let (one, two) = (site.session("ops", "Operate-Pass-2026"), site.session("ops", "Operate-Pass-2026"));
    let r = site.post("/password", &[&one], "current=Operate-Pass-2026&new=Operate-Pass-2027&again=Operate-Pass-2027");
    assert_eq!(r.status, 303, "{}", r.text());
    let three = cookie_of(&r);
    assert_eq!(site.get("/api/v1/status", &[&one, json]).status, 401);
    assert_eq!(site.get("/api/v1/status", &[&two, json]).status, 401);
    assert_eq!(site.get("/api/v1/status", &[&three, json]).status, 200);

    // A lock by an administrator ends the session and stops the token.
    let token = infotv::accounts::new_token();
    site.store.set_token("ops", &infotv::accounts::token_hash(&token), site.clock.now()).unwrap();
    let bearer = format!("Authorization: Bearer {token}");
    assert_eq!(site.get("/api/v1/status", &[&bearer]).status, 200);
    let admin = site.session("ada", "Admin-Pass-2026");
    let r = site.post("/accounts/ops/lock", &[&admin], "");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(site.get("/api/v1/status", &[&three, json]).status, 401);
    assert_eq!(site.get("/api/v1/status", &[&bearer]).status, 401);
    let r = site.login("ops", "Operate-Pass-2027");
    assert_eq!(r.status, 403);
    assert!(r.text().contains("已被停用"));
    // An administrator cannot lock themselves out, nor the last administrator.
    assert_eq!(site.post("/accounts/ada/lock", &[&admin], "").status, 400);
    assert_eq!(site.post("/accounts/ops/unlock", &[&admin], "").status, 200);
    assert_eq!(site.login("ops", "Operate-Pass-2027").status, 303);
    // Forms from another site are refused even with the cookie.
    let r = site.post("/accounts/ops/lock", &[&admin, "Origin: http://evil.example"], "");
    assert_eq!(r.status, 403);
}

#[test]
fn a_password_someone_else_set_must_be_changed_first() {
    let site = site();
    // The first start made `admin` with a password saved for the owner.
    let first = std::fs::read_to_string(site.server.data.path().join("admin-password")).unwrap().trim().to_string();
    let r = site.login("admin", &first);
    assert_eq!(r.header("location"), Some("/password"));
    let c = cookie_of(&r);
    // Nothing else until it is changed.
    assert_eq!(site.get("/accounts", &[&c, "Accept: text/html"]).header("location"), Some("/password"));
    assert_eq!(site.get("/accounts", &[&c]).status, 403);
    assert!(site.get("/password", &[&c]).text().contains("请先设置您自己的口令"));
    // The rules, each with its reason.
    for (new, again, why) in [
        ("Short-1", "Short-1", "至少 10 个字符"),
        ("alllowercase", "alllowercase", "至少三种"),
        ("Admin-Password-1", "Admin-Password-1", "不能包含账号名"),
        ("Good-Password-26", "Good-Password-27", "不一致"),
        (first.as_str(), first.as_str(), "不能与当前口令相同"),
    ] {
        let body = format!("current={}&new={}&again={}", enc(&first), enc(new), enc(again));
        let r = site.post("/password", &[&c], &body);
        assert_eq!(r.status, 400, "{new}");
        assert!(r.text().contains(why), "{new}: {why}");
    }
    let r = site.post("/password", &[&c], "current=wrong&new=Good-Password-26&again=Good-Password-26");
    assert!(r.text().contains("当前口令不正确"));
    let body = format!("current={}&new=Good-Password-26&again=Good-Password-26", enc(&first));
    let r = site.post("/password", &[&c], &body);
    assert_eq!(r.header("location"), Some("/accounts"));
    assert!(!site.server.data.path().join("admin-password").exists(), "the first password's file is gone");
    let c = cookie_of(&r);

    // The administrator adds a reviewer: the password is made, shown once.
    let page = site.post("/accounts", &[&c], "name=chen&role=reviewer").text();
    assert!(page.contains("已新增账号 chen"), "{page}");
    let made = page.split("<code>").nth(1).unwrap().split("</code>").next().unwrap().to_string();
    assert!(!site.get("/accounts", &[&c]).text().contains(&made), "shown only once");
    let r = site.login("chen", &made);
    assert_eq!(r.header("location"), Some("/password"), "a made password must be changed");
    // A reset, the same.
    let page = site.post("/accounts/chen/reset", &[&c], "").text();
    let reset = page.split("<code>").nth(1).unwrap().split("</code>").next().unwrap().to_string();
    assert_ne!(reset, made);
    assert_eq!(site.login("chen", &made).status, 401, "the old password is gone");
    assert_eq!(site.login("chen", &reset).header("location"), Some("/password"));
    // Tokens: each person mints their own, shown once, stored only as
    // their digest; an administrator cannot mint one for chen.
    assert_eq!(site.post("/accounts/chen/token", &[&c], "").status, 404);
    let body = format!("current={}&new=Reviewer-Pass-26&again=Reviewer-Pass-26", enc(&reset));
    let chen = site.session("chen", &reset);
    let chen = cookie_of(&site.post("/password", &[&chen], &body));
    let page = site.post("/token", &[&chen], "").text();
    let token = page.split("<code>").nth(1).unwrap().split("</code>").next().unwrap().to_string();
    assert!(token.starts_with("itv_"));
    assert_eq!(site.get("/api/v1/status", &[&format!("Authorization: Bearer {token}")]).status, 200);
    let raw = std::fs::read(site.server.data.path().join("infotv.sqlite")).unwrap();
    let wal = std::fs::read(site.server.data.path().join("infotv.sqlite-wal")).unwrap_or_default();
    for secret in [&token, &reset, &made] {
        for file in [&raw, &wal] {
            assert!(!file.windows(secret.len()).any(|w| w == secret.as_bytes()), "{secret} is stored in clear");
        }
    }
}

#[test]
fn the_audit_log_records_each_action_and_verify_finds_a_tampered_row() {
    let site = site();
    site.add("ada", Role::Admin, "Admin-Pass-2026");
    site.add("aud", Role::Auditor, "Audit-Pass-2026");
    site.add("ops", Role::Operator, "Operate-Pass-2026");
    site.login("ops", "wrong");
    let admin = site.session("ada", "Admin-Pass-2026");
    site.post("/accounts", &[&admin], "name=xu&role=operator");
    site.post("/accounts/xu/lock", &[&admin], "");
    site.post("/accounts/xu/unlock", &[&admin], "");
    site.post("/accounts/xu/reset", &[&admin], "");
    site.post("/token", &[&admin], "");
    site.get("/audit", &[&admin]);
    site.post("/logout", &[&admin], "");
    let ops = site.session("ops", "Operate-Pass-2026");
    site.get("/stats.csv", &[&ops]);
    let aud = site.session("aud", "Audit-Pass-2026");

    let rows = site.get("/api/v1/audit", &[&aud]).json();
    let rows = rows.as_array().unwrap();
    let has = |account: &str, role: &str, action: &str, target: &str, result: &str| {
        rows.iter().any(|r| {
            r["account"] == account
                && r["role"] == role
                && r["action"] == action
                && r["target"].as_str().unwrap().starts_with(target)
                && r["result"].as_str().unwrap().starts_with(result)
                && r["address"] == "127.0.0.1"
        })
    };
    assert!(has("ada", "admin", "login", "ada", "ok"), "{rows:?}");
    assert!(has("ada", "admin", "account.add", "xu", "ok"));
    assert!(has("ada", "admin", "account.lock", "xu", "ok"));
    assert!(has("ada", "admin", "account.unlock", "xu", "ok"));
    assert!(has("ada", "admin", "account.reset", "xu", "ok"));
    assert!(has("ada", "admin", "token.issue", "ada", "ok"));
    assert!(has("ada", "admin", "forbidden", "GET /audit", "denied"));
    assert!(has("ada", "admin", "logout", "ada", "ok"));
    assert!(has("ops", "operator", "export", "stats.csv", "ok"));
    assert!(rows.iter().any(|r| r["account"] == "system" && r["target"] == "admin"), "the first admin's creation");
    // Filters.
    let only = site.get("/api/v1/audit?account=ada&action=account.add", &[&aud]).json();
    assert_eq!(only.as_array().unwrap().len(), 1);
    let future = site.get("/api/v1/audit?from=2099-01-01", &[&aud]).json();
    assert!(future.as_array().unwrap().is_empty());
    assert_eq!(site.get("/api/v1/audit?from=yesterday", &[&aud]).status, 400);
    // The CSV, for Excel.
    let csv = site.get("/audit.csv", &[&aud]);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(csv.body.starts_with("\u{feff}序号,时间(UTC),账号".as_bytes()));
    assert!(csv.text().contains("account.add 新增账号"));
    // The page shows the chain intact.
    assert!(site.get("/audit", &[&aud]).text().contains("哈希链完整"));
    assert!(site.audit().iter().any(|r| r["action"] == "export" && r["account"] == "aud"));

    // Tampering, as someone with the file would: triggers dropped first.
    let Site { server, store, .. } = site;
    let kept = server.stop_keeping_data();
    // The stranger's failed login is a row for its address, written at the stop.
    let rows = audit_of(&store);
    assert!(rows.iter().any(|r| r["action"] == "refused" && r["target"] == "login failed ×1 | names: ops"), "{rows:?}");
    drop(store);
    let data = kept.path().to_path_buf();
    let (ok, out) = common::infotv(&["audit", "verify"], &data, "");
    assert!(ok && out.contains("审计日志完整"), "{out}");
    let tamper = |sql: &str| -> (bool, String) {
        let copy = tempfile::tempdir().unwrap();
        for file in ["infotv.sqlite", "infotv.sqlite-wal"] {
            if data.join(file).exists() {
                std::fs::copy(data.join(file), copy.path().join(file)).unwrap();
            }
        }
        let conn = rusqlite::Connection::open(copy.path().join("infotv.sqlite")).unwrap();
        conn.execute_batch("DROP TRIGGER audit_append_only; DROP TRIGGER audit_kept;").unwrap();
        conn.execute_batch(sql).unwrap();
        drop(conn);
        common::infotv(&["audit", "verify"], copy.path(), "")
    };
    let (ok, out) = tamper("UPDATE audit SET target = 'someone-else' WHERE id = 3");
    assert!(!ok && out.contains("第 3 行"), "an edited row: {out}");
    let (ok, out) = tamper("UPDATE audit SET hash = '00' WHERE id = 4");
    assert!(!ok && out.contains("第 4 行"), "an edited hash: {out}");
    let (ok, out) = tamper("DELETE FROM audit WHERE id = 5");
    assert!(!ok && out.contains("第 5 行"), "a removed row: {out}");
    let (ok, out) = tamper("DELETE FROM audit WHERE id = (SELECT max(id) FROM audit)");
    assert!(!ok && out.contains("缺失"), "the newest row removed: {out}");
}

#[test]
fn the_command_line_manages_accounts_beside_the_running_server() {
    let site = site();
    let data = site.server.data.path();
    // Names and passwords are checked before anything is stored.
    let (ok, out) = common::infotv(&["account", "add", "Zhang Wei", "--role", "operator"], data, "Good-Password-26\n");
    assert!(!ok && out.contains("账号名"), "{out}");
    let (ok, out) = common::infotv(&["account", "add", "zhang", "--role", "boss"], data, "Good-Password-26\n");
    assert!(!ok && out.contains("unknown role"), "{out}");
    let (ok, out) = common::infotv(&["account", "add", "zhang", "--role", "operator"], data, "short\n");
    assert!(!ok && out.contains("至少 10 个字符"), "{out}");
    let (ok, out) = common::infotv(&["account", "add", "zhang", "--role", "operator"], data, "Good-Password-26\n");
    assert!(ok, "{out}");
    let (ok, out) = common::infotv(&["account", "add", "zhang", "--role", "admin"], data, "Good-Password-26\n");
    assert!(!ok && out.contains("已存在"), "{out}");
    let (_, list) = common::infotv(&["account", "list"], data, "");
    let row = list.lines().find(|l| l.starts_with("zhang ")).unwrap();
    assert!(row.contains("operator") && row.contains("must-change"), "{list}");
    assert!(list.lines().any(|l| l.starts_with("admin ") && l.contains("admin")), "{list}");

    // A password from the command line is changed at the next login…
    assert_eq!(site.login("zhang", "Good-Password-26").header("location"), Some("/password"));
    let c = site.session("zhang", "Good-Password-26");
    let r = site.post("/password", &[&c], "current=Good-Password-26&new=Better-Password-27&again=Better-Password-27");
    assert_eq!(r.status, 303);
    let c = cookie_of(&r);
    assert_eq!(site.get("/api/v1/status", &[&c]).status, 200);
    // …a lock from the command line ends the running session on its next request…
    let (ok, out) = common::infotv(&["account", "lock", "zhang"], data, "");
    assert!(ok, "{out}");
    assert_eq!(site.get("/api/v1/status", &[&c]).status, 401);
    let (ok, _) = common::infotv(&["account", "unlock", "zhang"], data, "");
    assert!(ok);
    // …and so does a new password set there.
    let c = site.session("zhang", "Better-Password-27");
    let (ok, out) = common::infotv(&["account", "passwd", "zhang"], data, "Reset-Password-28\n");
    assert!(ok, "{out}");
    assert_eq!(site.get("/api/v1/status", &[&c]).status, 401);
    assert_eq!(site.login("zhang", "Reset-Password-28").header("location"), Some("/password"));
    let (ok, out) = common::infotv(&["account", "lock", "nobody"], data, "");
    assert!(!ok && out.contains("没有账号"), "{out}");
    // Each change is recorded as the command line's.
    let rows = site.audit();
    for action in ["account.add", "account.lock", "account.unlock", "account.reset"] {
        assert!(
            rows.iter().any(|r| r["account"] == "cli" && r["action"] == action && r["target"] == "zhang"),
            "{action}"
        );
    }
    let (ok, out) = common::infotv(&["audit", "verify"], data, "");
    assert!(ok && out.contains("审计日志完整"), "{out}");
}

#[test]
fn the_live_log_ends_with_the_session() {
    let site = site();
    site.add("ops", Role::Operator, "Operate-Pass-2026");
    let c = site.session("ops", "Operate-Pass-2026");
    let mut stream = std::net::TcpStream::connect(site.server.admin).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    use std::io::{Read, Write};
    write!(stream, "GET /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{c}\r\n\r\n").unwrap();
    let mut buf = [0u8; 4096];
    let n = stream.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"), "the live log opens");
    assert_eq!(site.post("/logout", &[&c], "").status, 303);
    // The next keep-alive (within 15 s) finds the session gone and ends the stream.
    let began = Instant::now();
    let mut rest = Vec::new();
    let read = stream.read_to_end(&mut rest);
    assert!(read.is_ok(), "the stream ended instead of timing out: {read:?}");
    let text = String::from_utf8_lossy(&rest);
    assert!(text.ends_with("0\r\n\r\n"), "a clean end of the chunked stream: {text:?}");
    assert!(began.elapsed() < Duration::from_secs(20));
}
