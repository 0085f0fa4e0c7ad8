//! The operators' port: status, render history, problems, the preview wall,
//! viewing statistics, the live render log and metrics for operators and
//! reviewers; accounts for administrators; the audit log for auditors.
//! People log in with a named account (a session cookie), scripts send an
//! account's API token; every route and who may use it is one table,
//! [`access::RULES`], and every important action is in the audit log.

pub mod access;
mod auditlog;
pub mod auth;
mod csp;
mod interaction;
mod pages;
mod people;
mod reviewing;
mod stats;
pub mod strangers;
pub mod tls;

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use bytes::Bytes;
use chrono::{NaiveDate, Utc};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::audit::{Action, Event};
use crate::clock::Clock;
use crate::health::Fault;
use crate::metrics::Metrics;
use crate::net;
use crate::pipeline::Station;
use crate::renderlog::Report;
use crate::store::Store;
use access::{Caller, Via};
use access::{Found, Page, Who};
use auth::{Gate, Identity};

type Body = BoxBody<Bytes, Infallible>;
type Resp = Response<Body>;

/// Everything the operators' pages read.
pub struct Admin {
    pub station: Station,
    /// `None` when the data folder could not be opened: boxes are served
    /// anyway, and the pages say why history and statistics are missing.
    pub store: Option<Arc<Store>>,
    pub store_error: Option<String>,
    pub metrics: Arc<Metrics>,
    /// Sessions, tokens, the address brake, and the clock they go by.
    pub gate: Gate,
    /// The data folder (the first admin's password file lives there).
    pub data: PathBuf,
    /// The renderer on air, with the review desk: approvals put their
    /// version on air through it.
    pub driver: Arc<crate::driver::Driver>,
    /// A renderer of its own for previews of waiting versions.
    pub previewer: Arc<crate::pipeline::Renderer>,
    /// Previews by version, with the generation on air they were made against.
    previews: std::sync::Mutex<std::collections::HashMap<String, reviewing::Cached>>,
    /// Tells live-log streams to end when the server shuts down.
    closing: tokio::sync::watch::Sender<bool>,
    /// Strangers' failures, written as one audit row per address a minute.
    pub strangers: strangers::Strangers,
    /// Open connections, and how many the port takes.
    open: std::sync::atomic::AtomicUsize,
    pub max_connections: usize,
}

/// What the operators' port is made of, all of it known before it starts.
pub struct Parts {
    pub station: Station,
    /// The store, or why the data folder could not be opened.
    pub store: Result<Arc<Store>, String>,
    pub metrics: Arc<Metrics>,
    pub data: PathBuf,
    pub options: auth::Options,
    pub clock: Arc<Clock>,
    pub driver: Arc<crate::driver::Driver>,
    pub previewer: Arc<crate::pipeline::Renderer>,
    /// Open connections the port takes at most.
    pub max_connections: usize,
}

impl Admin {
    /// The operators' port, built whole.
    pub fn new(parts: Parts) -> Admin {
        let Parts { station, store, metrics, data, options, clock, driver, previewer, max_connections } = parts;
        let (store, store_error) = match store {
            Ok(s) => (Some(s), None),
            Err(e) => (None, Some(e)),
        };
        Admin {
            station,
            store,
            store_error,
            metrics,
            gate: Gate::new(options, clock),
            data,
            driver,
            previewer,
            previews: std::sync::Mutex::default(),
            closing: tokio::sync::watch::channel(false).0,
            strangers: strangers::Strangers::default(),
            open: std::sync::atomic::AtomicUsize::new(0),
            max_connections,
        }
    }

    /// Writes the views counted so far to the store; on failure (a full
    /// disk) they stay counted in memory for the next try.
    pub fn flush(&self) {
        let Some(store) = &self.store else { return };
        let (views, boxes) = self.metrics.take_views();
        if views.is_empty() && boxes.is_empty() {
            return;
        }
        match store.add_views(&views, &boxes) {
            Ok(()) => self.station.health.set_fault(Fault::Store, None),
            Err(err) => {
                self.station
                    .health
                    .set_fault(Fault::Store, Some(format!("无法写入数据库，浏览统计暂存内存，稍后重试：{err:#}")));
                self.metrics.restore_views(views, boxes);
            }
        }
    }

    /// Appends to the audit log. A row that cannot be written (a full
    /// disk) is logged and shown on the status page as a fault.
    pub fn record(&self, e: &Event) {
        let Some(store) = &self.store else { return };
        match store.audit(e, self.gate.clock.now()) {
            Ok(_) => self.station.health.set_fault(Fault::Audit, None),
            Err(err) => {
                tracing::error!(action = e.action.name(), account = e.account, "audit row not written: {err:#}");
                self.station.health.set_fault(Fault::Audit, Some(format!("审计日志无法写入：{err:#}")));
            }
        }
    }

    /// Appends what `who` did to `target`.
    pub(crate) fn record_by(&self, who: &Caller, action: Action, target: &str, result: &str) {
        self.record(&Event {
            account: &who.account,
            role: who.role.name(),
            address: &who.address,
            action,
            target,
            result,
        });
    }
}

/// A urlencoded form, decoded.
pub(crate) struct Form(String);

impl Form {
    pub fn get(&self, name: &str) -> String {
        param(&self.0, name)
    }
}

/// How long a request's body may take to arrive, whole.
pub const BODY_TIME: Duration = Duration::from_secs(10);

/// Reads a form body of at most 16 KiB, arriving within [`BODY_TIME`].
pub(crate) async fn form(req: Request<Incoming>) -> Result<Form, Resp> {
    match tokio::time::timeout(BODY_TIME, Limited::new(req.into_body(), 16 * 1024).collect()).await {
        Ok(Ok(body)) => Ok(Form(String::from_utf8_lossy(&body.to_bytes()).into_owned())),
        Ok(Err(_)) => Err(text(StatusCode::PAYLOAD_TOO_LARGE, "form too large\n")),
        Err(_) => {
            let mut r = text(StatusCode::REQUEST_TIMEOUT, "the form did not arrive within 10 s\n");
            r.headers_mut().insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
            Err(r)
        }
    }
}

/// The file in the data folder holding the first `admin`'s one-time password.
pub const FIRST_PASSWORD: &str = "admin-password";

/// Makes the first `admin` when there is no account: its password is
/// saved 0600 in `data/admin-password` and returned, to be printed once.
pub(crate) fn first_admin(store: &Store, data: &std::path::Path, now: chrono::DateTime<Utc>) -> Result<Option<String>> {
    let Some(password) = store.first_admin(now)? else { return Ok(None) };
    let path = data.join(FIRST_PASSWORD);
    write_private(&path, &format!("{password}\n"))?;
    store.audit(
        &Event {
            account: "system",
            role: "-",
            address: "local",
            action: Action::AccountAdd,
            target: "admin",
            result: "ok: first start, role admin, must change password",
        },
        now,
    )?;
    Ok(Some(password))
}

/// The read-only scraper token: the one given, else the one an older
/// infotv saved as `data/admin-token` (so scrapers keep working after an
/// upgrade). None is made any more: people have accounts.
pub(crate) fn legacy_token(given: Option<String>, data: &std::path::Path) -> Option<String> {
    let given = given.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
    given.or_else(|| {
        let saved = std::fs::read_to_string(data.join("admin-token")).ok()?;
        Some(saved.trim().to_string()).filter(|t| !t.is_empty())
    })
}

/// Writes a secret readable by its owner only.
fn write_private(path: &std::path::Path, text: &str) -> Result<()> {
    use anyhow::Context;
    crate::atomic::write(path, text.as_bytes(), crate::atomic::PRIVATE)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
/// Writes every render `events` carries to the store, with its problems,
/// until `stop` completes; then those already told. Subscribe before the
/// first render so that one is kept too.
pub(crate) async fn keep_records(
    admin: Arc<Admin>,
    mut events: tokio::sync::broadcast::Receiver<Arc<Report>>,
    stop: impl Future<Output = ()>,
) {
    let Some(store) = admin.store.clone() else { return };
    tokio::pin!(stop);
    let mut stopping = false;
    loop {
        let got = if stopping {
            match events.try_recv() {
                Ok(r) => Ok(r),
                Err(tokio::sync::broadcast::error::TryRecvError::Lagged(n)) => {
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n))
                }
                Err(_) => return,
            }
        } else {
            tokio::select! {
                got = events.recv() => got,
                () = &mut stop => {
                    stopping = true;
                    continue;
                }
            }
        };
        match got {
            Ok(report) => {
                let store = store.clone();
                let written = tokio::task::spawn_blocking(move || store.record_render(&report)).await;
                match written {
                    Ok(Ok(_)) => admin.station.health.set_fault(Fault::Store, None),
                    Ok(Err(err)) => admin
                        .station
                        .health
                        .set_fault(Fault::Store, Some(format!("无法写入数据库，这次渲染记录未保存：{err:#}"))),
                    Err(err) => tracing::warn!("render record task failed: {err}"),
                }
            }
            Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!("{n} renders were not stored: the store fell behind");
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Writes counted views to the store every `every` until `stop` completes.
pub(crate) async fn flush_views(admin: Arc<Admin>, every: Duration, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = &mut stop => return,
        }
        let a = admin.clone();
        let _ = tokio::task::spawn_blocking(move || a.flush()).await;
    }
}

/// Serves the operators' port until `shutdown` completes; over TLS when
/// `tls` is given.
pub async fn run(
    listener: TcpListener,
    admin: Arc<Admin>,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let Some((stream, peer)) = net::accept(&listener, &mut shutdown, "operators'").await else { break };
        // A cap of its own: a flood of connections here never takes the
        // files and memory the box port needs. Past it, new ones are closed.
        let open = Open::of(&admin);
        if open.count > admin.max_connections {
            tracing::warn!(%peer, "operators' port: {} connections open, one more refused", open.count - 1);
            continue;
        }
        // A response that stops moving (a client that never reads) is given up.
        let stream = net::Moving::new(stream, net::WRITE_STALL);
        let admin = admin.clone();
        let service = service_fn(move |req| {
            let admin = admin.clone();
            async move { Ok::<_, Infallible>(handle(&admin, req, peer).await) }
        });
        let builder = {
            let mut b = http1::Builder::new();
            b.timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .max_buf_size(net::MAX_HEAD)
                .max_headers(100);
            b
        };
        let watcher = graceful.watcher();
        let acceptor = tls.clone().map(tokio_rustls::TlsAcceptor::from);
        tokio::spawn(async move {
            let ended = match acceptor {
                None => watcher.watch(builder.serve_connection(TokioIo::new(stream), service)).await,
                Some(acceptor) => {
                    // A client that never finishes its handshake is dropped.
                    let shake = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await;
                    let Ok(Ok(stream)) = shake else {
                        tracing::debug!(%peer, "TLS handshake failed or timed out");
                        return;
                    };
                    watcher.watch(builder.serve_connection(TokioIo::new(stream), service)).await
                }
            };
            if let Err(err) = ended {
                tracing::debug!("admin connection ended: {err}");
            }
            drop(open);
        });
    }
    let _ = admin.closing.send(true);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(Duration::from_secs(5)) => {}
    }
    admin.flush();
    Ok(())
}

/// One open connection of the operators' port, counted while it lives.
struct Open {
    admin: Arc<Admin>,
    count: usize,
}

impl Open {
    fn of(admin: &Arc<Admin>) -> Open {
        let count = admin.open.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        Open { admin: admin.clone(), count }
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.admin.open.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// One request, with the headers every response of this port carries.
async fn handle(admin: &Arc<Admin>, req: Request<Incoming>, peer: SocketAddr) -> Resp {
    let mut r = respond(admin, req, peer.ip()).await;
    let h = r.headers_mut();
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    // Not `no-referrer`: with it, browsers send `Origin: null` on this
    // site's own forms, which the cross-site check must refuse.
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    if admin.gate.options.tls {
        h.insert("strict-transport-security", HeaderValue::from_static("max-age=31536000"));
    }
    // Pages set theirs with the nonces of their script and style; every
    // other response allows nothing at all.
    if !h.contains_key("content-security-policy") {
        h.insert("content-security-policy", HeaderValue::from_static(csp::NOTHING));
    }
    r
}

/// Who is asking, whether the table lets them, then the page.
async fn respond(admin: &Arc<Admin>, req: Request<Incoming>, ip: IpAddr) -> Resp {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let wants_page =
        req.headers().get(hyper::header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    let (who, expired) = match admin.gate.identify(admin.store.as_deref(), req.headers(), ip) {
        Identity::Known(c) => (Some(c), false),
        Identity::Nobody => (None, false),
        Identity::Expired => (None, true),
        Identity::BadToken { expired } => {
            // Counted, and summed into one audit row a minute: a flood of
            // bad tokens never writes a row per request.
            admin.gate.strike(ip);
            let what = if expired { "expired token" } else { "bad token" };
            admin.strangers.note(&ip.to_string(), what, None, admin.gate.clock.now());
            if expired {
                return text(StatusCode::UNAUTHORIZED, "401: this API token has expired: mint a new one\n");
            }
            (None, false)
        }
        Identity::Slowed(wait) => {
            admin.strangers.note(&ip.to_string(), "token slowed", None, admin.gate.clock.now());
            let secs = wait.as_millis().div_ceil(1000).max(1) as u64;
            let mut r = text(StatusCode::TOO_MANY_REQUESTS, "429: too many failures from this address; wait\n");
            r.headers_mut().insert(hyper::header::RETRY_AFTER, HeaderValue::from(secs));
            return r;
        }
    };
    let (rule, params) = match (access::find(req.method().as_str(), &path), &who) {
        (Found::Route(rule, params), _) => (rule, params.into_iter().map(str::to_string).collect::<Vec<_>>()),
        // Nothing about which routes exist is told to strangers.
        (_, None) => return auth::unauthorised(wants_page, &path, expired),
        (Found::WrongMethod, Some(_)) => return text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n"),
        (Found::NotFound, Some(who)) => return html(StatusCode::NOT_FOUND, pages::not_found(admin, who)),
    };
    let session = who.as_ref().is_some_and(|w| matches!(w.via, Via::Session(_)));
    // A browser's POST must come from this site's own pages: a cookie rides
    // along on any site's form, a bearer token never does.
    let from_elsewhere = req.method() == Method::POST && (session || rule.page == Page::Login) && !same_site(&req);
    if rule.who == Who::Anyone {
        if from_elsewhere {
            admin.strangers.note(&ip.to_string(), "cross-site form", None, admin.gate.clock.now());
            return text(StatusCode::FORBIDDEN, "403: forms are accepted from this site's own pages only\n");
        }
        return open_page(admin, req, rule.page, &query, ip).await;
    }
    let Some(who) = who else { return auth::unauthorised(wants_page, &path, expired) };
    if !rule.who.admits(who.kind()) {
        admin.record_by(&who, Action::Forbidden, &format!("{} {path}", req.method()), "denied");
        return forbidden(admin, &who, wants_page);
    }
    if from_elsewhere {
        admin.record_by(&who, Action::Forbidden, &format!("{} {path}", req.method()), "denied: cross-site form");
        return text(StatusCode::FORBIDDEN, "403: forms are accepted from this site's own pages only\n");
    }
    if who.must_change && !matches!(rule.page, Page::PasswordForm | Page::Password | Page::Logout) {
        return if wants_page {
            redirect("/password")
        } else {
            text(StatusCode::FORBIDDEN, "403: the password must be changed first (/password)\n")
        };
    }
    page(admin, req, rule.page, &params, &query, &who).await
}

/// Whether a POST comes from this site's own pages: its `Origin` (which
/// browsers send with every form post), else its `Referer`, names this
/// host. Neither is refused: SameSite=Strict already keeps the cookie from
/// other sites, and this refuses them once more, deny by default.
fn same_site(req: &Request<Incoming>) -> bool {
    let header = |name| req.headers().get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    let host = header(hyper::header::HOST).unwrap_or("");
    let host_of = |url: &str| -> Option<String> {
        let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
        Some(rest.split(['/', '?', '#']).next().unwrap_or("").to_ascii_lowercase())
    };
    let from = match (header(hyper::header::ORIGIN), header(hyper::header::REFERER)) {
        (Some("null"), _) => None,
        (Some(origin), _) => host_of(origin),
        (None, Some(referer)) => host_of(referer),
        (None, None) => None,
    };
    !host.is_empty() && from.is_some_and(|f| f == host.to_ascii_lowercase())
}

fn forbidden(admin: &Admin, who: &Caller, wants_page: bool) -> Resp {
    if wants_page {
        html(StatusCode::FORBIDDEN, pages::forbidden(admin, who))
    } else {
        text(StatusCode::FORBIDDEN, &format!("403: role {} may not use this route\n", who.role.name()))
    }
}

/// The pages anyone may open.
async fn open_page(admin: &Arc<Admin>, req: Request<Incoming>, page: Page, query: &str, ip: IpAddr) -> Resp {
    match page {
        // Browsers ask on every page; nothing secret in an empty answer.
        Page::Favicon => {
            let mut r = Response::new(Full::new(Bytes::new()).boxed());
            *r.status_mut() = StatusCode::NO_CONTENT;
            r
        }
        Page::LoginForm => {
            let notice = (param(query, "expired") == "1").then_some("会话已超时（30 分钟无操作），请重新登录。");
            auth::login_form(StatusCode::OK, "", &param(query, "next"), notice)
        }
        Page::Login => auth::login(admin, req, ip).await,
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    }
}

/// Every other page, for a caller the table admitted.
async fn page(
    admin: &Arc<Admin>,
    req: Request<Incoming>,
    page: Page,
    params: &[String],
    query: &str,
    who: &Caller,
) -> Resp {
    let on_air = &admin.station.on_air;
    let first = params.first().map_or("", String::as_str);
    match page {
        Page::Favicon | Page::LoginForm | Page::Login => {
            open_page(admin, req, page, query, IpAddr::from([0, 0, 0, 0])).await
        }
        Page::Logout => auth::logout(admin, who),
        Page::PasswordForm => html(StatusCode::OK, pages::password(admin, who, None)),
        Page::Password => auth::change_password(admin, req, who).await,
        Page::Status => html(StatusCode::OK, pages::status(admin, who)),
        Page::Renders => html(StatusCode::OK, pages::renders(admin, who)),
        Page::RenderRun => match first.parse::<i64>().ok().and_then(|id| admin.store.as_ref()?.render(id).ok()?) {
            Some(run) => html(StatusCode::OK, pages::render_run(admin, who, &run)),
            None => html(StatusCode::NOT_FOUND, pages::not_found(admin, who)),
        },
        Page::Problems => html(StatusCode::OK, pages::problems(admin, who)),
        Page::PreviewHome => {
            let profile = on_air.current().map(|g| g.default_profile.clone()).unwrap_or_else(|| "sd".into());
            redirect(&format!("/preview/{profile}"))
        }
        Page::Preview => match pages::preview(admin, who, first) {
            Some(page) => html(StatusCode::OK, page),
            None => html(StatusCode::NOT_FOUND, pages::not_found(admin, who)),
        },
        Page::Stats => match range(admin, query) {
            Ok((from, to)) => {
                flush(admin).await;
                html(StatusCode::OK, pages::stats(admin, who, from, to))
            }
            Err(why) => text(StatusCode::BAD_REQUEST, &why),
        },
        Page::StatsCsv => match range(admin, query) {
            Ok((from, to)) => {
                flush(admin).await;
                admin.record_by(who, Action::Export, &format!("stats.csv {from}..{to}"), "ok");
                stats_csv(admin, from, to)
            }
            Err(why) => text(StatusCode::BAD_REQUEST, &why),
        },
        Page::Asset => {
            let found = |g: &crate::publish::Generation| g.asset(first).map(|(a, body)| (a.content_type, body.bytes));
            match on_air.current().and_then(|g| found(&g)).or_else(|| preview_asset(admin, found)) {
                Some((content_type, bytes)) => {
                    let mut r = Response::new(Full::new(bytes).boxed());
                    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
                    r.headers_mut()
                        .insert(CACHE_CONTROL, HeaderValue::from_static("private, max-age=31536000, immutable"));
                    r
                }
                None => text(StatusCode::NOT_FOUND, "not found\n"),
            }
        }
        Page::ApiStatus => json(pages::status_json(admin)),
        Page::ApiRenders => api_renders(admin, query),
        Page::ApiProblems => json(serde_json::json!(pages::open_problems(admin))),
        Page::Events => events(admin, who.clone()),
        Page::Metrics => {
            let st = &admin.station;
            let mut r = text(StatusCode::OK, &admin.metrics.render(&st.on_air, &st.log, &st.health));
            r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
            r
        }
        Page::Accounts => html(StatusCode::OK, people::page(admin, who, None)),
        Page::AccountAdd | Page::AccountLock | Page::AccountUnlock | Page::AccountReset => {
            people::act(admin, req, page, first, who).await
        }
        Page::Token => auth::own_token(admin, who),
        Page::Audit => auditlog::page(admin, who, query).await,
        Page::ApiAudit => auditlog::api(admin, who, query),
        Page::AuditCsv => auditlog::csv(admin, who, query),
        Page::Review => reviewing::page(admin, who).await,
        Page::ApiReview => reviewing::api(admin).await,
        Page::Approve => reviewing::decide(admin, req, who, first, true).await,
        Page::Reject => reviewing::decide(admin, req, who, first, false).await,
        Page::Polls => interaction::polls_page(admin, who).await,
        Page::PollsCsv => interaction::polls_csv(admin, who).await,
        Page::ApiPolls => interaction::polls_api(admin).await,
        Page::ApiRatings => interaction::ratings_api(admin).await,
        Page::Requests => interaction::requests_page(admin, who).await,
        Page::RequestsCsv => interaction::requests_csv(admin, who).await,
        Page::ApiRequests => interaction::requests_api(admin, who).await,
        Page::RequestHandled => interaction::handled(admin, who, first).await,
    }
}

/// A picture of a review preview.
fn preview_asset<T>(admin: &Admin, found: impl Fn(&crate::publish::Generation) -> Option<T>) -> Option<T> {
    use crate::sync::Locked;
    admin.previews.locked().values().find_map(|(_, g, _)| found(g))
}

fn api_renders(admin: &Admin, query: &str) -> Resp {
    let limit = param(query, "limit").parse().unwrap_or(100).clamp(1, 10_000);
    match &admin.store {
        Some(store) => json(serde_json::json!(store.renders(limit).unwrap_or_default())),
        None => {
            json(serde_json::json!(admin.station.log.history().iter().rev().map(Report::to_json).collect::<Vec<_>>()))
        }
    }
}

async fn flush(admin: &Arc<Admin>) {
    let a = admin.clone();
    let _ = tokio::task::spawn_blocking(move || a.flush()).await;
}

/// `from` and `to` from the query, by default the last 30 days of the
/// channel's calendar.
fn range(admin: &Admin, query: &str) -> Result<(NaiveDate, NaiveDate), String> {
    let offset = admin.station.on_air.current().map_or(480, |g| g.utc_offset_minutes);
    let today = crate::store::local_hour(Utc::now(), offset).0;
    let to = day_param(query, "to")?.unwrap_or(today);
    let from = day_param(query, "from")?.unwrap_or(to - chrono::Duration::days(29));
    if from > to {
        return Err("from 晚于 to (from is after to)\n".into());
    }
    Ok((from, to))
}

/// The day `name` of a query, `YYYY-MM-DD`; `None` when it is not given.
fn day_param(query: &str, name: &str) -> Result<Option<NaiveDate>, String> {
    let v = param(query, name);
    if v.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(&v, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| format!("{name}={v}: 日期应写成 2026-11-27 (expected YYYY-MM-DD)\n"))
}

/// Views per day, column and sub-item, with the day's unique boxes: UTF-8
/// with a BOM and CRLF, so Excel opens it with the Chinese intact.
fn stats_csv(admin: &Admin, from: NaiveDate, to: NaiveDate) -> Resp {
    let Some(store) = &admin.store else {
        return text(StatusCode::SERVICE_UNAVAILABLE, "no data folder\n");
    };
    let stats = match store.stats(from, to) {
        Ok(s) => s,
        Err(err) => return text(StatusCode::INTERNAL_SERVER_ERROR, &format!("{err:#}\n")),
    };
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut csv = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(&mut out);
        let _ = csv.write_record(["日期", "栏目", "子栏目", "浏览次数", "当日机顶盒数"]);
        for (day, column, item, views) in &stats.rows {
            let boxes = stats.boxes.get(day).copied().unwrap_or(0);
            let column = if column.is_empty() { "首页" } else { column.as_str() };
            let _ = csv.write_record([day.as_str(), column, item.as_str(), &views.to_string(), &boxes.to_string()]);
        }
        let _ = csv.flush();
    }
    let mut r = Response::new(Full::new(Bytes::from(out)).boxed());
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    let name = format!("attachment; filename=\"infotv-stats-{from}-{to}.csv\"");
    if let Ok(v) = HeaderValue::from_str(&name) {
        r.headers_mut().insert(hyper::header::CONTENT_DISPOSITION, v);
    }
    r
}

/// The render log, live: the last few renders, then each new one as it
/// finishes, as server-sent events.
fn events(admin: &Arc<Admin>, who: Caller) -> Resp {
    let (mut tx, body) = http_body_util::Channel::<Bytes, Infallible>::new(16);
    let admin = admin.clone();
    let mut rx = admin.station.log.subscribe();
    let recent: Vec<Report> = admin.station.log.recent(20);
    let mut closing = admin.closing.subscribe();
    tokio::spawn(async move {
        let event = |r: &Report| Bytes::from(format!("event: render\ndata: {}\n\n", r.to_json()));
        if tx.send(Frame::data(Bytes::from_static(b"retry: 3000\n\n"))).await.is_err() {
            return;
        }
        for r in &recent {
            if tx.send(Frame::data(event(r))).await.is_err() {
                return;
            }
        }
        loop {
            let frame = tokio::select! {
                got = rx.recv() => match got {
                    Ok(r) => event(&r),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => return,
                },
                // A comment now and then keeps proxies from closing an idle stream.
                () = tokio::time::sleep(Duration::from_secs(15)) => Bytes::from_static(b": keep-alive\n\n"),
                _ = closing.changed() => return,
            };
            if tx.send(Frame::data(frame)).await.is_err() {
                return;
            }
            // A stream outlives no logout, lock or idle timeout: checked at
            // every frame, the keep-alive included.
            if !admin.gate.alive(admin.store.as_deref(), &who) {
                return;
            }
        }
    });
    let mut r = Response::new(body.boxed());
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream; charset=utf-8"));
    r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

/// A page, its script and style allowed by nonce and nothing else inline.
fn html(status: StatusCode, page: String) -> Resp {
    let (page, policy) = csp::nonced(&page);
    let mut r = boxed(net::bytes(status, "text/html; charset=utf-8", Bytes::from(page), "no-store"));
    if let Ok(v) = HeaderValue::from_str(&policy) {
        r.headers_mut().insert("content-security-policy", v);
    }
    r
}

fn json(value: serde_json::Value) -> Resp {
    boxed(net::bytes(StatusCode::OK, "application/json", Bytes::from(value.to_string()), "no-store"))
}

fn text(status: StatusCode, body: &str) -> Resp {
    boxed(net::text(status, body))
}

fn redirect(to: &str) -> Resp {
    boxed(net::redirect(StatusCode::SEE_OTHER, to))
}

fn boxed(r: net::Resp) -> Resp {
    r.map(BodyExt::boxed)
}

/// One `name=value` of a query string or urlencoded form, decoded.
fn param(query: &str, name: &str) -> String {
    form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned()).unwrap_or_default()
}

/// `path` as one value of a query string.
fn encode(path: &str) -> String {
    form_urlencoded::byte_serialize(path.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode() {
        assert_eq!(param("token=a%2Bb+c&next=%2Fstats", "token"), "a+b c");
        assert_eq!(param("token=a%2Bb+c&next=%2Fstats", "next"), "/stats");
        assert_eq!(param("x=%E4%B8%87%", "x"), "万%");
        assert_eq!(param("x=1", "y"), "");
        assert_eq!(encode("/renders/3?x"), "%2Frenders%2F3%3Fx");
    }
}
