//! The operators' port: status, render history, problems, the preview wall,
//! viewing statistics, the live render log and metrics — every route behind
//! one token, given as `Authorization: Bearer …` or through the login form,
//! which sets a session cookie.

mod pages;
mod stats;

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use bytes::Bytes;
use chrono::{NaiveDate, Utc};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, COOKIE, SET_COOKIE, WWW_AUTHENTICATE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::health::Fault;
use crate::ids::{random_hex, same_secret};
use crate::metrics::Metrics;
use crate::net;
use crate::pipeline::Station;
use crate::renderlog::Report;
use crate::store::Store;
use crate::sync::Locked;

type Body = BoxBody<Bytes, Infallible>;
type Resp = Response<Body>;

/// How long a login lasts.
const SESSION: Duration = Duration::from_secs(12 * 3600);
const COOKIE_NAME: &str = "infotv_admin";

/// Everything the operators' pages read.
pub struct Admin {
    pub station: Station,
    /// `None` when the data folder could not be opened: boxes are served
    /// anyway, and the pages say why history and statistics are missing.
    pub store: Option<Arc<Store>>,
    pub store_error: Option<String>,
    pub metrics: Arc<Metrics>,
    token: String,
    sessions: Mutex<HashMap<String, Instant>>,
    /// Tells live-log streams to end when the server shuts down.
    closing: tokio::sync::watch::Sender<bool>,
}

impl Admin {
    pub fn new(station: Station, store: Result<Arc<Store>, String>, metrics: Arc<Metrics>, token: String) -> Admin {
        let (store, store_error) = match store {
            Ok(s) => (Some(s), None),
            Err(e) => (None, Some(e)),
        };
        Admin {
            station,
            store,
            store_error,
            metrics,
            token,
            sessions: Mutex::default(),
            closing: tokio::sync::watch::channel(false).0,
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

    fn authorised(&self, req: &Request<Incoming>) -> bool {
        let bearer = req
            .headers()
            .get(hyper::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|t| same_secret(t.trim(), &self.token));
        bearer || self.session(req).is_some()
    }

    fn session(&self, req: &Request<Incoming>) -> Option<String> {
        let id = cookie(req, COOKIE_NAME)?;
        let mut sessions = self.sessions.locked();
        sessions.retain(|_, at| at.elapsed() < SESSION);
        sessions.contains_key(&id).then_some(id)
    }
}

/// The value of cookie `name` the request carries.
fn cookie(req: &Request<Incoming>, name: &str) -> Option<String> {
    req.headers()
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// The admin token: the one given, else the one saved in the data folder,
/// else a new one saved there (and `true`: the caller prints it once).
pub fn token(given: Option<String>, data: &Path) -> Result<(String, bool)> {
    if let Some(t) = given.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()) {
        return Ok((t, false));
    }
    let path = data.join("admin-token");
    if let Ok(saved) = std::fs::read_to_string(&path) {
        if !saved.trim().is_empty() {
            return Ok((saved.trim().to_string(), false));
        }
    }
    let made = random_hex(16);
    std::fs::create_dir_all(data).with_context(|| format!("cannot create {}", data.display()))?;
    std::fs::write(&path, format!("{made}\n")).with_context(|| format!("cannot save {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
    }
    Ok((made, true))
}

/// Writes every render `events` carries to the store, with its problems,
/// until `stop` completes; then those already told. Subscribe before the
/// first render so that one is kept too.
pub async fn keep_records(
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
pub async fn flush_views(admin: Arc<Admin>, every: Duration, stop: impl Future<Output = ()>) {
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

/// Serves the operators' port until `shutdown` completes.
pub async fn run(listener: TcpListener, admin: Arc<Admin>, shutdown: impl Future<Output = ()>) -> Result<()> {
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let Some((stream, _)) = net::accept(&listener, &mut shutdown, "operators'").await else { break };
        let admin = admin.clone();
        let service = service_fn(move |req| {
            let admin = admin.clone();
            async move { Ok::<_, Infallible>(handle(&admin, req).await) }
        });
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(10))
            .max_buf_size(net::MAX_HEAD)
            .max_headers(100)
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(err) = conn.await {
                tracing::debug!("admin connection ended: {err}");
            }
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

/// One request: the login routes are open, everything else needs the token.
async fn handle(admin: &Arc<Admin>, req: Request<Incoming>) -> Resp {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    match (req.method(), path.as_str()) {
        // Browsers ask on every page; nothing secret in an empty answer.
        (&Method::GET, "/favicon.ico") => {
            let mut r = Response::new(Full::new(Bytes::new()).boxed());
            *r.status_mut() = StatusCode::NO_CONTENT;
            return r;
        }
        (&Method::GET, "/login") => return html(StatusCode::OK, pages::login(&param(&query, "next"), None)),
        (&Method::POST, "/login") => return login(admin, req).await,
        (&Method::POST, "/logout") => {
            if let Some(id) = admin.session(&req) {
                admin.sessions.locked().remove(&id);
            }
            let mut r = redirect("/login");
            r.headers_mut().insert(SET_COOKIE, HeaderValue::from_static("infotv_admin=; Path=/; Max-Age=0"));
            return r;
        }
        _ => {}
    }
    if !admin.authorised(&req) {
        return refuse(&req, &path);
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
    }
    route(admin, &path, &query).await
}

/// Without the token: people are sent to the login form, programs get 401.
fn refuse(req: &Request<Incoming>, path: &str) -> Resp {
    let wants_page =
        req.headers().get(hyper::header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    if wants_page {
        return redirect(&format!("/login?next={}", encode(path)));
    }
    let mut r = text(StatusCode::UNAUTHORIZED, "401: this route needs the admin token (Authorization: Bearer …)\n");
    r.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"infotv\""));
    r
}

async fn login(admin: &Arc<Admin>, req: Request<Incoming>) -> Resp {
    let Ok(body) = Limited::new(req.into_body(), 16 * 1024).collect().await else {
        return text(StatusCode::PAYLOAD_TOO_LARGE, "form too large\n");
    };
    let form = String::from_utf8_lossy(&body.to_bytes()).into_owned();
    let next = param(&form, "next");
    // Only paths of this server: never an open redirect.
    let next = if next.starts_with('/') && !next.starts_with("//") { next } else { "/".to_string() };
    if !same_secret(param(&form, "token").trim(), &admin.token) {
        // Slow down guessing; the token is 128 random bits anyway.
        tokio::time::sleep(Duration::from_millis(300)).await;
        return html(StatusCode::UNAUTHORIZED, pages::login(&next, Some("令牌不正确，请重新输入。")));
    }
    let id = random_hex(24);
    admin.sessions.locked().insert(id.clone(), Instant::now());
    let mut r = redirect(&next);
    let cookie = format!("{COOKIE_NAME}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}", SESSION.as_secs());
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(SET_COOKIE, v);
    }
    r
}

async fn route(admin: &Arc<Admin>, path: &str, query: &str) -> Resp {
    let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let on_air = &admin.station.on_air;
    match parts.as_slice() {
        [] => html(StatusCode::OK, pages::status(admin)),
        ["renders"] => html(StatusCode::OK, pages::renders(admin)),
        ["renders", id] => match id.parse::<i64>().ok().and_then(|id| admin.store.as_ref()?.render(id).ok()?) {
            Some(run) => html(StatusCode::OK, pages::render_run(admin, &run)),
            None => html(StatusCode::NOT_FOUND, pages::not_found(admin)),
        },
        ["problems"] => html(StatusCode::OK, pages::problems(admin)),
        ["preview"] => {
            let profile = on_air.current().map(|g| g.default_profile.clone()).unwrap_or_else(|| "sd".into());
            redirect(&format!("/preview/{profile}"))
        }
        ["preview", profile] => match pages::preview(admin, profile) {
            Some(page) => html(StatusCode::OK, page),
            None => html(StatusCode::NOT_FOUND, pages::not_found(admin)),
        },
        ["stats"] => match range(admin, query) {
            Ok((from, to)) => {
                flush(admin).await;
                html(StatusCode::OK, pages::stats(admin, from, to))
            }
            Err(why) => text(StatusCode::BAD_REQUEST, &why),
        },
        ["stats.csv"] => match range(admin, query) {
            Ok((from, to)) => {
                flush(admin).await;
                stats_csv(admin, from, to)
            }
            Err(why) => text(StatusCode::BAD_REQUEST, &why),
        },
        ["a", name] => match on_air.current().and_then(|g| g.assets.get(*name).cloned()) {
            Some(a) => {
                let mut r = Response::new(Full::new(a.bytes).boxed());
                r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(a.content_type));
                r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("private, max-age=31536000, immutable"));
                r
            }
            None => text(StatusCode::NOT_FOUND, "not found\n"),
        },
        ["api", "v1", "status"] => json(pages::status_json(admin)),
        ["api", "v1", "renders"] => {
            let limit = param(query, "limit").parse().unwrap_or(100).clamp(1, 10_000);
            match &admin.store {
                Some(store) => json(serde_json::json!(store.renders(limit).unwrap_or_default())),
                None => json(serde_json::json!(admin
                    .station
                    .log
                    .history()
                    .iter()
                    .rev()
                    .map(Report::to_json)
                    .collect::<Vec<_>>())),
            }
        }
        ["api", "v1", "problems"] => json(serde_json::json!(pages::open_problems(admin))),
        ["events"] => events(admin),
        ["metrics"] => {
            let st = &admin.station;
            let mut r = text(StatusCode::OK, &admin.metrics.render(&st.on_air, &st.log, &st.health));
            r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
            r
        }
        _ => html(StatusCode::NOT_FOUND, pages::not_found(admin)),
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
    let day = |name: &str, default: NaiveDate| {
        let v = param(query, name);
        if v.is_empty() {
            return Ok(default);
        }
        NaiveDate::parse_from_str(&v, "%Y-%m-%d")
            .map_err(|_| format!("{name}={v}: 日期应写成 2026-11-27 (expected YYYY-MM-DD)\n"))
    };
    let to = day("to", today)?;
    let from = day("from", to - chrono::Duration::days(29))?;
    if from > to {
        return Err("from 晚于 to (from is after to)\n".into());
    }
    Ok((from, to))
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
fn events(admin: &Arc<Admin>) -> Resp {
    let (mut tx, body) = http_body_util::Channel::<Bytes, Infallible>::new(16);
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
        }
    });
    let mut r = Response::new(body.boxed());
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream; charset=utf-8"));
    r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

fn html(status: StatusCode, page: String) -> Resp {
    boxed(net::bytes(status, "text/html; charset=utf-8", Bytes::from(page), "no-store"))
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
