//! What both HTTP ports share: listening and accepting, the longest head
//! either takes, and the plain answers (text, bytes, redirects) they build
//! responses from. A leaf below `serve` and `admin`.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use hyper::{Response, StatusCode};
use tokio::net::{TcpListener, TcpSocket};

/// A whole answer in memory.
pub type Resp = Response<Full<Bytes>>;

/// Longest request head (request line and headers) accepted; more is 431.
/// Boxes send a few hundred bytes.
pub const MAX_HEAD: usize = 16 * 1024;

/// How many connections the kernel completes and queues for a port before
/// they are accepted. A listener bound the usual way gets 128: measured
/// under 1,000 connections opened at once (bench/load.sh), hundreds of
/// handshakes were dropped (`TcpExtListenOverflows`) and those boxes
/// waited a whole second for their SYN to be sent again. Boxes reconnect
/// together — after a head-end restart, a power cut in a township — so
/// we ask for 4096, which `net.core.somaxconn` caps (4096 by default
/// since Linux 5.4; nginx asks for 511).
pub const BACKLOG: u32 = 4096;

/// A listener on `addr` with a [`BACKLOG`]-deep queue, its address reusable
/// at once after a restart (as `TcpListener::bind` does). Both ports.
pub fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

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
