//! Who is asking: sessions from the login form, API tokens, the read-only
//! `--admin-token`; the login itself with its lockout and the slowing of
//! addresses that keep failing; changing one's own password.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, RETRY_AFTER, SET_COOKIE};
use hyper::{HeaderMap, Request, StatusCode};

use super::access::{Caller, Via};
use super::{access, form, html, pages, redirect, Admin, Resp};
use crate::accounts::{self, Account, Role};
use crate::audit::{Action, Event};
use crate::clock::Clock;
use crate::ids::{random_hex, same_secret};
use crate::store::Store;
use crate::sync::Locked;

pub const COOKIE_NAME: &str = "infotv_admin";
/// However busy, a session ends this long after it began.
const SESSION_MAX: chrono::Duration = chrono::Duration::hours(12);
/// Failed logins (and bad tokens) one address may make in the lockout
/// window before each further try must wait, twice as long each time.
const FREE_FAILURES: u32 = 20;
const MAX_WAIT_SECS: i64 = 300;

/// How the operators' port is guarded.
#[derive(Debug, Clone)]
pub struct Options {
    /// A session idle this long ends (等保: 30 minutes by default).
    pub idle: Duration,
    /// The port speaks TLS: cookies are `Secure`.
    pub tls: bool,
    /// The read-only token for scrapers (`--admin-token`).
    pub token: Option<String>,
    /// Days an account's API token lives.
    pub token_days: u32,
}

impl Default for Options {
    fn default() -> Options {
        Options { idle: Duration::from_secs(30 * 60), tls: false, token: None, token_days: 90 }
    }
}

/// What the request's credentials come to.
#[derive(Debug)]
pub enum Identity {
    Known(Caller),
    /// No credentials at all.
    Nobody,
    /// A session cookie that was once good: idle too long, or ended.
    Expired,
    /// A bearer token nobody has, or one past its days (audited, and
    /// counted against the address).
    BadToken {
        expired: bool,
    },
    /// A bearer token from an address that failed too often lately: not
    /// even looked at until the wait is over.
    Slowed(Duration),
}

struct Session {
    account: String,
    epoch: i64,
    started: DateTime<Utc>,
    last_seen: DateTime<Utc>,
}

/// Failures from one address within the window.
struct Strikes {
    count: u32,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
}

/// Sessions, the address brake and the clock they go by.
pub struct Gate {
    pub clock: Arc<Clock>,
    pub options: Options,
    sessions: Mutex<HashMap<String, Session>>,
    strikes: Mutex<HashMap<IpAddr, Strikes>>,
    /// Two argon2 hashes at a time (19 MiB each): a flood of logins queues
    /// here instead of taking the machine's memory.
    hashing: tokio::sync::Semaphore,
}

impl Gate {
    pub fn new(options: Options, clock: Arc<Clock>) -> Gate {
        Gate {
            clock,
            options,
            sessions: Mutex::default(),
            strikes: Mutex::default(),
            hashing: tokio::sync::Semaphore::new(2),
        }
    }

    /// Who sent `headers` from `address`.
    pub(crate) fn identify(&self, store: Option<&Store>, headers: &HeaderMap, address: IpAddr) -> Identity {
        let now = self.clock.now();
        let bearer = headers
            .get(hyper::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        if let Some(token) = bearer {
            // Bad tokens are slowed as bad passwords are.
            if let Some(wait) = self.braked(address) {
                return Identity::Slowed(wait);
            }
            if self.options.token.as_deref().is_some_and(|t| same_secret(token, t)) {
                return Identity::Known(caller("token", Role::Operator, Via::AdminToken, address, false));
            }
            let found = store.and_then(|s| s.account_by_token(&accounts::token_hash(token)).ok().flatten());
            return match found {
                Some(a) if a.disabled => Identity::BadToken { expired: false },
                Some(a) if accounts::token_expired(&a, now, self.options.token_days) => {
                    Identity::BadToken { expired: true }
                }
                Some(a) => Identity::Known(caller(&a.name, a.role, Via::Token, address, false)),
                None => Identity::BadToken { expired: false },
            };
        }
        let Some(id) = cookie(headers, COOKIE_NAME) else { return Identity::Nobody };
        let (name, epoch) = {
            let mut sessions = self.sessions.locked();
            sessions.retain(|_, s| self.live(s, now));
            let Some(s) = sessions.get_mut(&id) else { return Identity::Expired };
            s.last_seen = now;
            (s.account.clone(), s.epoch)
        };
        match current(store, &name, epoch) {
            Some(a) => Identity::Known(caller(&a.name, a.role, Via::Session(id), address, a.must_change)),
            None => {
                self.sessions.locked().remove(&id);
                Identity::Expired
            }
        }
    }

    /// Whether `s` is neither idle too long nor too old at `now`.
    fn live(&self, s: &Session, now: DateTime<Utc>) -> bool {
        let idle = chrono::Duration::from_std(self.options.idle).unwrap_or(chrono::Duration::MAX);
        now - s.last_seen < idle && now - s.started < SESSION_MAX
    }

    /// Whether `who`, admitted earlier, would still be: for a long answer
    /// (the live log) that must end with the session or the account.
    pub fn alive(&self, store: Option<&Store>, who: &Caller) -> bool {
        let account = || store.and_then(|s| s.account(&who.account).ok().flatten()).map(|(a, _)| a);
        match &who.via {
            Via::AdminToken => true,
            Via::Token => account().is_some_and(|a| {
                !a.disabled && !accounts::token_expired(&a, self.clock.now(), self.options.token_days)
            }),
            Via::Session(id) => {
                let now = self.clock.now();
                let session = self.sessions.locked().get(id).filter(|s| self.live(s, now)).map(|s| s.epoch);
                session.is_some_and(|epoch| current(store, &who.account, epoch).is_some())
            }
        }
    }

    /// Starts a session for `account`; returns its id.
    pub fn open(&self, account: &Account) -> String {
        let id = random_hex(32);
        let now = self.clock.now();
        let s = Session { account: account.name.clone(), epoch: account.epoch, started: now, last_seen: now };
        self.sessions.locked().insert(id.clone(), s);
        id
    }

    pub fn close(&self, id: &str) {
        self.sessions.locked().remove(id);
    }

    /// The `Set-Cookie` value for session `id`.
    pub fn cookie(&self, id: &str) -> String {
        let secure = if self.options.tls { "; Secure" } else { "" };
        format!("{COOKIE_NAME}={id}; Path=/; HttpOnly; SameSite=Strict{secure}")
    }

    /// How long `address` must still wait before it may try again.
    pub(crate) fn braked(&self, address: IpAddr) -> Option<Duration> {
        let now = self.clock.now();
        let strikes = self.strikes.locked();
        let s = strikes.get(&address).filter(|s| now - s.first < accounts::FAILURE_WINDOW)?;
        let over = s.count.checked_sub(FREE_FAILURES)?;
        let wait = chrono::Duration::seconds((1i64 << over.min(16)).min(MAX_WAIT_SECS));
        let left = s.last + wait - now;
        (left > chrono::Duration::zero()).then(|| left.to_std().unwrap_or_default())
    }

    /// Counts a failure against `address`.
    pub(crate) fn strike(&self, address: IpAddr) {
        let now = self.clock.now();
        let mut strikes = self.strikes.locked();
        if strikes.len() > 10_000 {
            strikes.retain(|_, s| now - s.first < accounts::FAILURE_WINDOW);
        }
        let s = strikes.entry(address).or_insert(Strikes { count: 0, first: now, last: now });
        if now - s.first >= accounts::FAILURE_WINDOW {
            *s = Strikes { count: 0, first: now, last: now };
        }
        s.count += 1;
        s.last = now;
    }

    /// Checks `password` against `phc` off the async threads, two at a time.
    pub async fn verify(&self, phc: String, password: String) -> bool {
        let Ok(_permit) = self.hashing.acquire().await else { return false };
        tokio::task::spawn_blocking(move || accounts::verify_password(&phc, &password)).await.unwrap_or(false)
    }

    /// Hashes a new password off the async threads.
    pub async fn hash(&self, password: String) -> anyhow::Result<String> {
        let _permit = self.hashing.acquire().await?;
        tokio::task::spawn_blocking(move || accounts::hash_password(&password)).await?
    }
}

/// The account `name` as the store has it now, if a session of `epoch`
/// still stands for it: not locked, no new password since. So
/// `infotv account lock` from the command line ends a session on its next
/// request.
fn current(store: Option<&Store>, name: &str, epoch: i64) -> Option<Account> {
    let (a, _) = store?.account(name).ok()??;
    (!a.disabled && a.epoch == epoch).then_some(a)
}

fn caller(account: &str, role: Role, via: Via, address: IpAddr, must_change: bool) -> Caller {
    Caller { account: account.to_string(), role, via, address: address.to_string(), must_change }
}

/// The value of cookie `name` in `headers`.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(hyper::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// Where a login leads: the page asked for when the role may open it,
/// else the role's home. Only paths of this server: never an open redirect.
fn landing(role: Role, next: &str) -> String {
    let local = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    if local && access::may_get(role, next) {
        next.to_string()
    } else {
        access::home(role).to_string()
    }
}

/// The cookie that carries the login form's CSRF token (double submit:
/// the form's hidden field must match it).
const LOGIN_COOKIE: &str = "infotv_login";

/// The login form with a fresh CSRF token, in its field and its cookie.
pub(crate) fn login_form(status: StatusCode, name: &str, next: &str, notice: Option<&str>) -> Resp {
    let csrf = random_hex(16);
    let mut r = html(status, pages::login(name, next, notice, &csrf));
    let set = format!("{LOGIN_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict");
    if let Ok(v) = HeaderValue::from_str(&set) {
        r.headers_mut().insert(SET_COOKIE, v);
    }
    r
}

/// `POST /login`. Refused before any password is checked: a form without
/// its CSRF token (a login forced from another site), an address that
/// failed too often, a name locked for this address, a name being guessed
/// from many addresses (for addresses its owner does not use).
// Long: one check after another, each a refusal with its message, in the
// order they cost nothing, a little, an argon2 hash.
pub async fn login(admin: &Arc<Admin>, req: Request<Incoming>, address: IpAddr) -> Resp {
    let cookie_token = cookie(req.headers(), LOGIN_COOKIE);
    let form = match form(req).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    // The name as typed is a stranger's text: tamed before it is looked
    // up or recorded.
    let name = crate::audit::tame(form.get("name").trim()).to_lowercase();
    let (password, next) = (form.get("password"), form.get("next"));
    let gate = &admin.gate;
    let addr = address.to_string();
    let now = gate.clock.now();
    let failed = |what: &'static str| admin.strangers.note(&addr, what, Some(&name), now);
    let sent_token = form.get("csrf");
    if !cookie_token.is_some_and(|c| !sent_token.is_empty() && same_secret(&c, &sent_token)) {
        failed("login without the form's token");
        let msg = "登录页面已过期，请重新输入账号和口令。";
        return login_form(StatusCode::FORBIDDEN, &name, &next, Some(msg));
    }
    if let Some(wait) = gate.braked(address) {
        failed("login slowed");
        let secs = wait.as_millis().div_ceil(1000).max(1) as u64;
        let msg = format!("这个地址登录失败太多，请 {secs} 秒后再试。");
        let mut r = login_form(StatusCode::TOO_MANY_REQUESTS, &name, &next, Some(&msg));
        r.headers_mut().insert(RETRY_AFTER, HeaderValue::from(secs));
        return r;
    }
    let Some(store) = admin.store.clone() else {
        let msg = "数据库不可用，无法登录；只读令牌仍可使用。";
        return login_form(StatusCode::SERVICE_UNAVAILABLE, &name, &next, Some(msg));
    };
    if let Ok(Some(until)) = store.locked_out(&name, &addr, now) {
        failed("login locked");
        return login_form(StatusCode::UNAUTHORIZED, &name, &next, Some(&locked_message(admin, until)));
    }
    if let Ok(Some(wait)) = store.name_wait(&name, &addr, now) {
        failed("login of a name being guessed");
        let secs = (wait.num_milliseconds().max(0) as u64).div_ceil(1000).max(1);
        let msg = format!("这个账号近来多次登录失败，请 {secs} 秒后再试。");
        let mut r = login_form(StatusCode::TOO_MANY_REQUESTS, &name, &next, Some(&msg));
        r.headers_mut().insert(RETRY_AFTER, HeaderValue::from(secs));
        return r;
    }
    // A name that does not exist costs the same hash as one that does.
    let found = store.account(&name).ok().flatten();
    let phc = found.as_ref().map_or_else(|| accounts::decoy_hash().to_string(), |(_, h)| h.clone());
    let right = gate.verify(phc, password).await && found.is_some();
    let Some((account, _)) = found.filter(|_| right) else {
        gate.strike(address);
        failed("login failed");
        let mut msg = "账号或口令不正确。".to_string();
        if let Ok(Some(until)) = store.login_failed(&name, &addr, now) {
            failed("lockout");
            msg = locked_message(admin, until);
        }
        return login_form(StatusCode::UNAUTHORIZED, &name, &next, Some(&msg));
    };
    if account.disabled {
        admin.record(&Event {
            account: &name,
            role: "-",
            address: &addr,
            action: Action::Login,
            target: &name,
            result: "disabled",
        });
        return login_form(StatusCode::FORBIDDEN, &name, &next, Some("这个账号已被停用，请联系系统管理员。"));
    }
    let _ = store.login_succeeded(&name, &addr, now);
    admin.record(&Event {
        account: &name,
        role: account.role.name(),
        address: &addr,
        action: Action::Login,
        target: &name,
        result: "ok",
    });
    let id = gate.open(&account);
    let to = if account.must_change { "/password".to_string() } else { landing(account.role, &next) };
    let mut r = redirect(&to);
    if let Ok(v) = HeaderValue::from_str(&gate.cookie(&id)) {
        r.headers_mut().append(SET_COOKIE, v);
    }
    // The form's token is spent.
    if let Ok(v) = HeaderValue::from_str(&format!("{LOGIN_COOKIE}=; Path=/login; HttpOnly; SameSite=Strict; Max-Age=0"))
    {
        r.headers_mut().append(SET_COOKIE, v);
    }
    r
}

fn locked_message(admin: &Admin, until: DateTime<Utc>) -> String {
    let local = until.with_timezone(&pages::zone(admin)).format("%H:%M");
    format!(
        "连续 {} 次登录失败，这个账号在本机地址已锁定 15 分钟，请在 {local} 之后再试（在常用的电脑上仍可登录）。",
        accounts::FAILURES_TO_LOCK
    )
}

/// `POST /logout`: the session ends on the server, not just in the browser.
pub fn logout(admin: &Admin, who: &Caller) -> Resp {
    if let Via::Session(id) = &who.via {
        admin.gate.close(id);
    }
    admin.record_by(who, Action::Logout, &who.account, "ok");
    let mut r = redirect("/login");
    let gone = format!("{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    if let Ok(v) = HeaderValue::from_str(&gone) {
        r.headers_mut().insert(SET_COOKIE, v);
    }
    r
}

/// `POST /password`: the current password, the new one twice. Every
/// session of the account ends; this browser gets a new one.
pub(crate) async fn change_password(admin: &Arc<Admin>, req: Request<Incoming>, who: &Caller) -> Resp {
    let form = match form(req).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let (current, new, again) = (form.get("current"), form.get("new"), form.get("again"));
    let Some(store) = admin.store.clone() else { return html(StatusCode::SERVICE_UNAVAILABLE, String::new()) };
    let refuse = |why: &str| {
        admin.record_by(who, Action::Password, &who.account, why);
        html(StatusCode::BAD_REQUEST, pages::password(admin, who, Some(why)))
    };
    let Some((account, phc)) = store.account(&who.account).ok().flatten() else {
        return refuse("账号不存在。");
    };
    if !admin.gate.verify(phc, current.clone()).await {
        admin.gate.strike(who.address.parse().unwrap_or(IpAddr::from([0, 0, 0, 0])));
        return refuse("当前口令不正确。");
    }
    if new != again {
        return refuse("两次输入的新口令不一致。");
    }
    if new == current {
        return refuse("新口令不能与当前口令相同。");
    }
    if let Some(why) = accounts::password_problem(&account.name, &new) {
        return refuse(why);
    }
    let hashed = match admin.gate.hash(new).await {
        Ok(h) => h,
        Err(e) => return refuse(&format!("无法保存：{e:#}")),
    };
    if let Err(e) = store.set_password(&account.name, &hashed, false) {
        return refuse(&format!("无法保存：{e:#}"));
    }
    admin.record_by(who, Action::Password, &who.account, "ok");
    if account.name == "admin" {
        // The first start's password is no longer the password.
        let _ = std::fs::remove_file(admin.data.join(super::FIRST_PASSWORD));
    }
    let Some((fresh, _)) = store.account(&account.name).ok().flatten() else { return redirect("/login") };
    if let Via::Session(old) = &who.via {
        admin.gate.close(old);
    }
    let id = admin.gate.open(&fresh);
    let mut r = redirect(access::home(fresh.role));
    if let Ok(v) = HeaderValue::from_str(&admin.gate.cookie(&id)) {
        r.headers_mut().insert(SET_COOKIE, v);
    }
    r
}

/// `POST /token`: a new API token for the caller's own account, shown once;
/// the one before it stops working. Nobody mints a token for someone else.
pub(crate) fn own_token(admin: &Admin, who: &Caller) -> Resp {
    let Some(store) = &admin.store else { return html(StatusCode::SERVICE_UNAVAILABLE, String::new()) };
    let token = accounts::new_token();
    match store.set_token(&who.account, &accounts::token_hash(&token), admin.gate.clock.now()) {
        Ok(true) => {
            admin.record_by(who, Action::TokenIssue, &who.account, "ok");
            html(StatusCode::OK, pages::password_with(admin, who, None, Some(&token)))
        }
        _ => {
            admin.record_by(who, Action::TokenIssue, &who.account, "refused: not saved");
            html(
                StatusCode::SERVICE_UNAVAILABLE,
                pages::password_with(admin, who, Some("无法保存，请稍后再试。"), None),
            )
        }
    }
}

/// Without credentials: people are sent to the login form, programs get 401.
pub(crate) fn unauthorised(wants_page: bool, path: &str, expired: bool) -> Resp {
    if wants_page {
        let mut to = format!("/login?next={}", super::encode(path));
        if expired {
            to.push_str("&expired=1");
        }
        return redirect(&to);
    }
    let mut r = super::text(StatusCode::UNAUTHORIZED, "401: log in, or send an API token (Authorization: Bearer …)\n");
    r.headers_mut().insert(hyper::header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"infotv\""));
    r
}
