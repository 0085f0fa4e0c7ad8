//! One request's life, top to bottom: method, path, route, answer.

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use hyper::{Method, Request, Response, StatusCode};

use crate::layout::HOME;
use crate::pipeline::Live;
use crate::publish::Generation;

type Resp = Response<Full<Bytes>>;

/// Answers one box request from the generation on air.
pub fn handle(live: &Live, req: Request<Incoming>) -> Resp {
    answer(live, req.method(), req.uri().path(), req.uri().query())
}

/// The routing, apart from hyper's request type so tests and tools can call it.
pub fn answer(live: &Live, method: &Method, path: &str, query: Option<&str>) -> Resp {
    if method != Method::GET && method != Method::HEAD {
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        r.headers_mut().insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let Some(parts) = split_path(path) else {
        return not_found();
    };
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    if parts == ["healthz"] {
        return match live.current() {
            Some(g) => text(StatusCode::OK, &format!("ok {}\n", g.id)),
            None => text(StatusCode::SERVICE_UNAVAILABLE, "no generation on air yet\n"),
        };
    }
    if parts == ["favicon.ico"] {
        // Browsers ask for it on every screen; an empty answer keeps logs clean.
        let mut r = bytes(StatusCode::NO_CONTENT, "image/x-icon", Bytes::new(), "public, max-age=86400");
        r.headers_mut().remove(CONTENT_TYPE);
        return r;
    }
    let Some(g) = live.current() else {
        return text(StatusCode::SERVICE_UNAVAILABLE, "starting: the first render is not finished\n");
    };
    match parts.as_slice() {
        [] => redirect(&format!("/tv/{}/{HOME}.html", g.default_profile)),
        ["a", name] => asset(&g, name),
        ["tv", profile, file] => shell(&g, profile, file, query),
        ["api", "v1", "generation"] => {
            let body = serde_json::json!({ "generation": g.id, "alert": null }).to_string();
            bytes(StatusCode::OK, "application/json", Bytes::from(body), "no-cache")
        }
        ["api", "v1", profile, "graph.json"] => match g.profiles.get(*profile) {
            Some(p) => bytes(StatusCode::OK, "application/json", p.graph_json.clone(), "no-cache"),
            None => not_found(),
        },
        ["api", "v1", profile, "screens", file] => {
            let screen = file.strip_suffix(".json").and_then(|id| g.profiles.get(*profile)?.screens.get(id));
            match screen {
                Some(s) => bytes(StatusCode::OK, "application/json", s.text_json.clone(), "no-cache"),
                None => not_found(),
            }
        }
        _ => not_found(),
    }
}

/// Splits a URL path into its segments, refusing anything but plain names.
/// Screen ids, profiles and asset names are ASCII letters, digits, `-`, `_`
/// and `.`; nothing else (no `..`, no escapes, no encoded separators) is ever
/// a valid route, so it is refused here rather than interpreted.
fn split_path(path: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        let plain = seg.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !plain || seg.starts_with('.') {
            return None;
        }
        parts.push(seg.to_string());
    }
    Some(parts)
}

fn asset(g: &Generation, name: &str) -> Resp {
    match g.assets.get(name) {
        Some(a) => bytes(StatusCode::OK, a.content_type, a.bytes.clone(), "public, max-age=31536000, immutable"),
        None => not_found(),
    }
}

fn shell(g: &Generation, profile: &str, file: &str, query: Option<&str>) -> Resp {
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
            bytes(StatusCode::OK, "text/html; charset=utf-8", screen.shells[f].clone(), "no-cache")
        }
        // A screen that is gone: page n of an article or list falls back to
        // its first page, anything else to the start screen — never a dead end.
        None => {
            let first_page = id.rsplit_once('-').filter(|(base, n)| {
                n.bytes().all(|b| b.is_ascii_digit()) && base.contains('-') && p.screens.contains_key(*base)
            });
            let target = first_page.map_or(p.start.as_str(), |(base, _)| base);
            redirect(&format!("/tv/{profile}/{target}.html"))
        }
    }
}

fn bytes(status: StatusCode, content_type: &'static str, body: Bytes, cache: &'static str) -> Resp {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    r
}

fn text(status: StatusCode, body: &str) -> Resp {
    bytes(status, "text/plain; charset=utf-8", Bytes::from(body.to_string()), "no-cache")
}

fn not_found() -> Resp {
    text(StatusCode::NOT_FOUND, "not found\n")
}

fn redirect(location: &str) -> Resp {
    let mut r = text(StatusCode::FOUND, "");
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(LOCATION, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_rebuilt_from_plain_segments() {
        assert_eq!(split_path("/tv/sd/home.html").unwrap(), vec!["tv", "sd", "home.html"]);
        assert_eq!(split_path("/").unwrap(), Vec::<String>::new());
        for bad in ["/a/../x", "/a/%2e%2e/x", "/a/..%2fx", "/a/x%00", "/a/.hidden", "/a/x\\y", "/tv/sd/主页.html"] {
            assert!(split_path(bad).is_none(), "{bad}");
        }
    }
}
