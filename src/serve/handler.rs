//! One request's life, top to bottom: method, path, route, response.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, ALLOW, CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use hyper::{Method, Request, Response, StatusCode};

use crate::layout::finder::{SEARCH, SEARCH_DOWN};
use crate::layout::HOME;
use crate::net::{self, bytes, text, Resp};
use crate::ondemand::{Made, Refused};
use crate::publish::Generation;
use crate::routes::Route;

use super::Channel;

/// Longest path and query a box may ask for; every real one is far shorter.
pub const MAX_URI: usize = 2048;

/// What the response to a box request depends on, read from its head by
/// either of the port's HTTP paths (its own for GET and HEAD, hyper's for
/// the rest).
pub struct Asked<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    pub query: Option<&'a str>,
    /// The head announces a body: a Content-Length other than 0, or a
    /// Transfer-Encoding.
    pub with_body: bool,
    pub if_none_match: Option<&'a str>,
    /// The shell's own background recheck (`X-Requested-With`): not a view.
    pub recheck: bool,
    pub user_agent: &'a str,
    /// `X-Real-IP` and `X-Forwarded-For`, believed only from a trusted
    /// proxy (`net::Edges`).
    pub real_ip: Option<&'a str>,
    pub forwarded_for: Option<&'a str>,
}

impl<'a> Asked<'a> {
    /// The parts of a request hyper parsed.
    pub fn of<B>(req: &'a Request<B>) -> Asked<'a> {
        let headers = req.headers();
        let text = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
        Asked {
            method: req.method(),
            path: req.uri().path(),
            query: req.uri().query(),
            with_body: headers.get(hyper::header::CONTENT_LENGTH).is_some_and(|v| v.as_bytes() != b"0")
                || headers.contains_key(hyper::header::TRANSFER_ENCODING),
            if_none_match: text(IF_NONE_MATCH),
            recheck: headers.contains_key("x-requested-with"),
            user_agent: text(hyper::header::USER_AGENT).unwrap_or(""),
            real_ip: headers.get("x-real-ip").and_then(|v| v.to_str().ok()),
            forwarded_for: headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()),
        }
    }
}

/// Answers one box request from the generation on air. A request that is
/// malformed for this server (too long, carrying a body) is refused before
/// routing; a bug that panics answers 500 and the server serves on.
pub fn handle(channel: &Channel, asked: &Asked<'_>) -> Resp {
    if asked.path.len() + asked.query.map_or(0, |q| q.len() + 1) > MAX_URI {
        return closing(text(StatusCode::URI_TOO_LONG, "URI too long\n"));
    }
    if asked.with_body && (asked.method == Method::GET || asked.method == Method::HEAD) {
        return closing(text(StatusCode::BAD_REQUEST, "a request body is not accepted here\n"));
    }
    let answered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        respond(channel, asked.method, asked.path, asked.query, asked.if_none_match)
    }));
    let resp = answered.unwrap_or_else(|_| {
        tracing::error!(path = asked.path, "answering panicked");
        text(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n")
    });
    // A refused method's body is never read: end the connection after it.
    if resp.status() == StatusCode::METHOD_NOT_ALLOWED && asked.with_body {
        return closing(resp);
    }
    resp
}

fn closing(mut r: Resp) -> Resp {
    r.headers_mut().insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// The routing, apart from hyper's request type so tests and tools can call it.
pub fn respond(
    channel: &Channel,
    method: &Method,
    path: &str,
    query: Option<&str>,
    if_none_match: Option<&str>,
) -> Resp {
    let resp = route(channel, method, path, query);
    conditional(resp, if_none_match)
}

/// 304 when the client already holds what it asks for.
fn conditional(resp: Resp, if_none_match: Option<&str>) -> Resp {
    let (Some(tags), Some(etag)) = (if_none_match, resp.headers().get(ETAG)) else { return resp };
    if resp.status() != StatusCode::OK {
        return resp;
    }
    let etag = etag.as_bytes();
    let matches = tags.split(',').map(str::trim).any(|t| t == "*" || t.trim_start_matches("W/").as_bytes() == etag);
    if !matches {
        return resp;
    }
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = StatusCode::NOT_MODIFIED;
    for name in [ETAG, CACHE_CONTROL] {
        if let Some(v) = resp.headers().get(&name) {
            r.headers_mut().insert(name, v.clone());
        }
    }
    r
}

fn route(channel: &Channel, method: &Method, path: &str, query: Option<&str>) -> Resp {
    if Route::of_path(path) == Route::Answer {
        // Answers come by POST (answered before this, in `serve`); a GET
        // changes nothing.
        let mut r = super::answer::refusal(StatusCode::METHOD_NOT_ALLOWED, "回答只能用 POST 提交", "bad");
        r.headers_mut().insert(ALLOW, HeaderValue::from_static("POST"));
        return r;
    }
    if method != Method::GET && method != Method::HEAD {
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        r.headers_mut().insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let Some(parts) = split_path(path) else {
        return not_found();
    };
    let route = Route::of(&parts);
    if route == Route::Healthz {
        return match channel.on_air.current() {
            Some(g) => text(StatusCode::OK, &format!("ok {}\n", g.id)),
            None => text(StatusCode::SERVICE_UNAVAILABLE, "no generation on air yet\n"),
        };
    }
    if route == Route::Favicon {
        // Browsers ask for it on every screen; an empty response keeps logs clean.
        let mut r = bytes(StatusCode::NO_CONTENT, "image/x-icon", Bytes::new(), "public, max-age=86400");
        r.headers_mut().remove(CONTENT_TYPE);
        return r;
    }
    let Some(g) = channel.on_air.current() else {
        return text(StatusCode::SERVICE_UNAVAILABLE, "starting: the first render is not finished\n");
    };
    match route {
        // The portal's return address (and anything else it passed) goes on to the start screen.
        Route::Root => match query.filter(|q| !q.is_empty()) {
            Some(q) => redirect(&format!("/tv/{}/{HOME}.html?{q}", g.default_profile)),
            None => redirect(&format!("/tv/{}/{HOME}.html", g.default_profile)),
        },
        Route::Asset(name) => asset(channel, &g, name),
        Route::Keytest => {
            bytes(StatusCode::OK, "text/html; charset=utf-8", Bytes::from(crate::publish::shell::keytest()), "no-cache")
        }
        Route::Shell { profile, file } => shell(channel, &g, profile, file, query),
        Route::Nav { profile, screen, focus, key } => nav(channel, &g, profile, screen, focus, key),
        Route::Live { profile, file } => stream(channel, &g, profile, file),
        Route::Generation => {
            // Not cached: it carries the server's time for the shells' clocks.
            let time = chrono::Utc::now().timestamp_millis();
            let body = serde_json::json!({
                "generation": g.id,
                "age": channel.on_air.age().as_secs(),
                "alert": g.alert,
                "time": time,
                "utc_offset": g.utc_offset_minutes,
            });
            bytes(StatusCode::OK, "application/json", Bytes::from(body.to_string()), "no-cache, no-store")
        }
        Route::Graph { profile } => match g.profiles.get(profile) {
            Some(p) => {
                with_etag(bytes(StatusCode::OK, "application/json", p.graph_json.clone(), "no-cache"), &p.graph_etag)
            }
            None => not_found(),
        },
        Route::ScreenText { profile, file } => {
            let Some(id) = file.strip_suffix(".json") else { return not_found() };
            match g.profiles.get(profile).and_then(|p| p.screens.get(id)) {
                Some(s) => match g.blobs.get(&s.text) {
                    Some(body) => bytes(StatusCode::OK, "application/json", body.bytes, "no-cache"),
                    None => lost(&s.text),
                },
                None if id.starts_with("search-") => match made(channel, &g, profile, id) {
                    Ok(m) => bytes(StatusCode::OK, "application/json", m.one.text.clone(), "no-cache"),
                    Err(refused) => refused_json(&refused),
                },
                None => not_found(),
            }
        }
        Route::Search { profile } => {
            let q = query.into_iter().flat_map(|q| q.split('&')).find_map(|kv| kv.strip_prefix("q=")).unwrap_or("");
            let found = match &channel.on_demand {
                Some(od) => od.find(&g, profile, q),
                None => match crate::search::refuse(q) {
                    Some(message) => Err(Refused::Input(message)),
                    None => Err(Refused::Away),
                },
            };
            match found {
                Ok(found) => {
                    let body = serde_json::to_vec(&*found).unwrap_or_default();
                    bytes(StatusCode::OK, "application/json", Bytes::from(body), "no-cache")
                }
                Err(refused) => refused_json(&refused),
            }
        }
        Route::Healthz | Route::Favicon | Route::NavMalformed | Route::Answer | Route::Other => not_found(),
    }
}

/// Splits a URL path into its segments, refusing anything but plain names.
/// Screen ids, profiles and asset names are ASCII letters, digits, `-`, `_`
/// and `.`; nothing else (no `..`, no escapes, no encoded separators) is ever
/// a valid route, so it is refused here rather than interpreted.
pub fn split_path(path: &str) -> Option<Vec<&str>> {
    let mut parts = Vec::with_capacity(5);
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        let plain = seg.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !plain || seg.starts_with('.') {
            return None;
        }
        parts.push(seg);
    }
    Some(parts)
}

fn asset(channel: &Channel, g: &Generation, name: &str) -> Resp {
    let Some(a) = g.assets.get(name) else {
        // A picture of a screen made at request time.
        return match channel.on_demand.as_ref().and_then(|od| od.picture(name)) {
            Some((kind, body)) => {
                let mut r = bytes(StatusCode::OK, kind, body, "public, max-age=31536000, immutable");
                let etag = format!("\"{}\"", name.split('.').next().unwrap_or(name));
                if let Ok(v) = HeaderValue::from_str(&etag) {
                    r.headers_mut().insert(ETAG, v);
                }
                r
            }
            None => not_found(),
        };
    };
    let Some(body) = g.blobs.get(name) else { return lost(name) };
    // The name is the content hash, so it is the ETag too.
    let mut r =
        backed(bytes(StatusCode::OK, a.content_type, body.bytes.clone(), "public, max-age=31536000, immutable"), body);
    r.headers_mut().insert(ETAG, a.etag.clone());
    r
}

/// Marks `r`'s body as lying in its blob's file, to go out with sendfile(2).
fn backed(mut r: Resp, body: crate::publish::blobs::Blob) -> Resp {
    if let Some(at) = body.at {
        r.extensions_mut().insert(super::sendfile::Backed { body: body.bytes, at });
    }
    r
}

/// A blob of the generation on air that is not in the store: somebody
/// removed it by hand. Said once a blob, loudly, and answered 404.
fn lost(name: &str) -> Resp {
    tracing::error!("blob {name} of the generation on air is missing from the data folder");
    not_found()
}

/// The broadcast loop's HLS, as ffmpeg writes it: the playlist (never
/// cached: it moves every segment) and its segments (named by the clock, so
/// a name is never reused and caches may keep them).
fn stream(channel: &Channel, g: &Generation, profile: &str, file: &str) -> Resp {
    let streamed = g.broadcast.as_ref().is_some_and(|p| p.config.profiles.iter().any(|n| n == profile));
    let (Some(dir), true) = (channel.hls.as_deref(), streamed) else { return not_found() };
    let segment = file
        .strip_prefix("seg-")
        .and_then(|f| f.strip_suffix(".ts"))
        .is_some_and(|n| !n.is_empty() && n.len() <= 20 && n.bytes().all(|b| b.is_ascii_digit()));
    let (content_type, cache) = match file {
        "index.m3u8" => ("application/vnd.apple.mpegurl", "no-cache"),
        _ if segment => ("video/mp2t", "public, max-age=3600"),
        _ => return not_found(),
    };
    match std::fs::read(dir.join(profile).join(file)) {
        Ok(body) => bytes(StatusCode::OK, content_type, Bytes::from(body), cache),
        Err(_) if file == "index.m3u8" => {
            let mut r = text(StatusCode::SERVICE_UNAVAILABLE, "the loop is starting\n");
            r.headers_mut().insert(hyper::header::RETRY_AFTER, HeaderValue::from_static("2"));
            r
        }
        Err(_) => not_found(),
    }
}

/// For boxes that cannot run the shell's script: where `key` leads from state
/// `focus` of `screen`, as a redirect to that state's shell. A key that does
/// nothing there leaves the box where it is.
fn nav(channel: &Channel, g: &Generation, profile: &str, screen: &str, focus: &str, key: &str) -> Resp {
    let Some(p) = g.profiles.get(profile) else { return not_found() };
    if !p.screens.contains_key(screen) && screen.starts_with("search-") {
        let Ok(m) = made(channel, g, profile, screen) else {
            return shell(channel, g, profile, &format!("{screen}.html"), None);
        };
        let f: usize = focus.parse().ok().filter(|&f| f < m.keys.len()).unwrap_or(0);
        let location = match m.keys.get(f).and_then(|keys| keys.get(key)) {
            Some(t) => match t.rsplit_once('#') {
                Some((id, focus)) => format!("/tv/{profile}/{id}.html?f={focus}"),
                None => format!("/tv/{profile}/{screen}.html?f={f}"),
            },
            None => format!("/tv/{profile}/{screen}.html?f={f}"),
        };
        return redirect(&location);
    }
    let Some(s) = p.screens.get(screen) else { return shell(channel, g, profile, &format!("{screen}.html"), None) };
    let states = &s.graph.states;
    let f: usize = focus.parse().ok().filter(|&f| f < states.len()).unwrap_or(0);
    let location = match states.get(f).and_then(|state| state.keys.get(key)) {
        Some(t) => format!("/tv/{profile}/{}.html?f={}", t.screen, t.focus),
        None => format!("/tv/{profile}/{screen}.html?f={f}"),
    };
    redirect(&location)
}

fn with_etag(mut r: Resp, etag: &str) -> Resp {
    if let Ok(v) = HeaderValue::from_str(etag) {
        r.headers_mut().insert(ETAG, v);
    }
    r
}

fn shell(channel: &Channel, g: &Generation, profile: &str, file: &str, query: Option<&str>) -> Resp {
    let Some(p) = g.profiles.get(profile) else {
        return not_found();
    };
    let Some(id) = file.strip_suffix(".html") else {
        return not_found();
    };
    let focus = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|kv| kv.strip_prefix("f="))
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    match p.screens.get(id) {
        Some(screen) => {
            let f = if focus < screen.shells.len() { focus } else { 0 };
            let Some(body) = g.blobs.get(&screen.shells[f]) else { return lost(&screen.shells[f]) };
            let r = bytes(StatusCode::OK, "text/html; charset=utf-8", body.bytes.clone(), "no-cache");
            backed(with_etag(r, &screen.etags[f]), body)
        }
        // 查询's results: made at request time.
        None if id.starts_with("search-") => match made(channel, g, profile, id) {
            Ok(m) => {
                let f = if focus < m.one.shells.len() { focus } else { 0 };
                let Some((html, etag)) = m.one.shells.get(f) else { return not_found() };
                let r = bytes(StatusCode::OK, "text/html; charset=utf-8", Bytes::from(html.clone()), "no-cache");
                with_etag(r, etag)
            }
            Err(Refused::Input(message)) => {
                let page = format!(
                    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>查询</title></head><body><p>{message}</p>\
<p><a href=\"/tv/{profile}/{SEARCH}.html\">重新查询</a></p></body></html>"
                );
                bytes(StatusCode::BAD_REQUEST, "text/html; charset=utf-8", Bytes::from(page), "no-store")
            }
            Err(Refused::NoProfile) => not_found(),
            // Search is away: the generation's own screen says so, back and page numbers still work.
            Err(Refused::Away) => {
                match p.screens.get(SEARCH_DOWN).and_then(|s| Some((g.blobs.get(s.shells.first()?)?, s))) {
                    Some((body, s)) => {
                        let r = bytes(StatusCode::OK, "text/html; charset=utf-8", body.bytes.clone(), "no-store");
                        with_etag(r, &s.etags[0])
                    }
                    None => text(StatusCode::SERVICE_UNAVAILABLE, "查询暂不可用\n"),
                }
            }
        },
        // A screen that is gone leads to its nearest living ancestor (page n
        // of a document to its first page), else the start screen: never a
        // dead end.
        None => {
            let document = crate::layout::document_of(id);
            let first_page = (document != id && p.screens.contains_key(document)).then(|| document.to_string());
            let target =
                first_page.or_else(|| channel.on_air.living_ancestor(profile, id)).unwrap_or_else(|| p.start.clone());
            redirect(&format!("/tv/{profile}/{target}.html"))
        }
    }
}

/// A results screen made (or found made) at request time.
fn made(channel: &Channel, g: &Generation, profile: &str, id: &str) -> Result<std::sync::Arc<Made>, Refused> {
    match &channel.on_demand {
        Some(od) => od.screen(g, profile, id),
        None => match crate::ondemand::results_id(id) {
            Some(Err(message)) => Err(Refused::Input(message)),
            _ => Err(Refused::Away),
        },
    }
}

/// A refusal as the JSON apps read: `{"error": "…"}`.
fn refused_json(refused: &Refused) -> Resp {
    let (status, message) = match refused {
        Refused::Input(message) => (StatusCode::BAD_REQUEST, *message),
        Refused::Away => (StatusCode::SERVICE_UNAVAILABLE, "查询暂不可用"),
        Refused::NoProfile => (StatusCode::NOT_FOUND, "没有这个画面规格"),
    };
    let body = serde_json::json!({ "error": message }).to_string();
    bytes(status, "application/json", Bytes::from(body), "no-store")
}

fn not_found() -> Resp {
    text(StatusCode::NOT_FOUND, "not found\n")
}

fn redirect(location: &str) -> Resp {
    net::redirect(StatusCode::FOUND, location)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_rebuilt_from_plain_segments() {
        assert_eq!(split_path("/tv/sd/home.html").unwrap(), vec!["tv", "sd", "home.html"]);
        assert_eq!(split_path("/").unwrap(), Vec::<&str>::new());
        for bad in ["/a/../x", "/a/%2e%2e/x", "/a/..%2fx", "/a/x%00", "/a/.hidden", "/a/x\\y", "/tv/sd/主页.html"] {
            assert!(split_path(bad).is_none(), "{bad}");
        }
    }
}
