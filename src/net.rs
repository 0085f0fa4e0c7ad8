//! What both HTTP ports share: accepting connections, the longest head
//! either takes, and the plain answers (text, bytes, redirects) they build
//! responses from. A leaf below `serve` and `admin`.

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use hyper::{Response, StatusCode};
use tokio::net::TcpListener;

/// A whole answer in memory.
pub type Resp = Response<Full<Bytes>>;

/// Longest request head (request line and headers) accepted; more is 431.
/// Boxes send a few hundred bytes.
pub const MAX_HEAD: usize = 16 * 1024;

/// The next connection on `listener`, or `None` once `shutdown` completes.
/// A failed accept (out of file descriptors and the like) is logged and
/// retried after a short pause: the server keeps serving. Shared by the box
/// and the operators' ports.
pub async fn accept<F: Future<Output = ()>>(
    listener: &TcpListener,
    shutdown: &mut std::pin::Pin<&mut F>,
    port: &str,
) -> Option<(tokio::net::TcpStream, std::net::SocketAddr)> {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => return Some(conn),
                Err(err) => {
                    tracing::warn!("{port} port: accept failed: {err}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            () = shutdown.as_mut() => return None,
        }
    }
}

/// `body` as `content_type`, cached as `cache` says.
pub fn bytes(status: StatusCode, content_type: &'static str, body: Bytes, cache: &'static str) -> Resp {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    r
}

/// A short plain-text answer, never cached.
pub fn text(status: StatusCode, body: &str) -> Resp {
    bytes(status, "text/plain; charset=utf-8", Bytes::from(body.to_string()), "no-cache")
}

/// A redirect (`302 Found` for boxes, `303 See Other` after a form).
pub fn redirect(status: StatusCode, location: &str) -> Resp {
    let mut r = bytes(status, "text/plain; charset=utf-8", Bytes::new(), "no-cache");
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(LOCATION, v);
    }
    r
}
