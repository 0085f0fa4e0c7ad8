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
pub(crate) async fn accept<F: Future<Output = ()>>(
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
pub(crate) fn redirect(status: StatusCode, location: &str) -> Resp {
    let mut r = bytes(status, "text/plain; charset=utf-8", Bytes::new(), "no-cache");
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(LOCATION, v);
    }
    r
}

/// The proxies whose word on a client's address is taken (`--edge`): this
/// machine always (the shipped nginx cache), and the addresses and
/// networks given. From anyone else, forwarding headers are the client's
/// own say and ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Edges {
    nets: Vec<(std::net::IpAddr, u8)>,
}

impl Edges {
    /// `10.1.0.5`, `10.1.0.0/16`, `fd00::/8`, each an address or network.
    pub fn parse(items: &[String]) -> anyhow::Result<Edges> {
        let mut nets = Vec::new();
        for item in items.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
            let (addr, bits) = item.split_once('/').unwrap_or((item, ""));
            let addr: std::net::IpAddr =
                addr.parse().map_err(|_| anyhow::anyhow!("--edge {item}: not an address or network"))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let bits = if bits.is_empty() { max } else { bits.parse::<u8>().unwrap_or(u8::MAX) };
            anyhow::ensure!(bits <= max, "--edge {item}: the prefix length is at most {max}");
            nets.push((addr, bits));
        }
        Ok(Edges { nets })
    }

    /// Whether `ip` is a proxy whose forwarding headers are believed.
    pub(crate) fn trusts(&self, ip: std::net::IpAddr) -> bool {
        let ip = canonical(ip);
        ip.is_loopback() || self.nets.iter().any(|&(net, bits)| in_net(ip, canonical(net), bits))
    }

    /// The client a request from `peer` comes from. Behind a trusted proxy:
    /// the nearest address in `X-Forwarded-For` (read from the right) that
    /// is not itself a trusted proxy, else `X-Real-IP`, else the peer.
    pub fn client(
        &self,
        peer: std::net::IpAddr,
        forwarded_for: Option<&str>,
        real_ip: Option<&str>,
    ) -> std::net::IpAddr {
        if !self.trusts(peer) {
            return canonical(peer);
        }
        let mut nearest = peer;
        if let Some(chain) = forwarded_for {
            for hop in chain.rsplit(',').map(str::trim) {
                let Ok(ip) = hop.parse::<std::net::IpAddr>() else { return canonical(nearest) };
                nearest = ip;
                if !self.trusts(ip) {
                    return canonical(ip);
                }
            }
        }
        match real_ip.and_then(|r| r.trim().parse::<std::net::IpAddr>().ok()) {
            Some(ip) if nearest == peer => canonical(ip),
            _ => canonical(nearest),
        }
    }
}

/// An IPv4 address mapped into IPv6 is the IPv4 address.
fn canonical(ip: std::net::IpAddr) -> std::net::IpAddr {
    match ip {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, std::net::IpAddr::V4),
        v4 => v4,
    }
}

fn in_net(ip: std::net::IpAddr, net: std::net::IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (std::net::IpAddr::V4(a), std::net::IpAddr::V4(n)) => {
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - u32::from(bits)) };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (std::net::IpAddr::V6(a), std::net::IpAddr::V6(n)) => {
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - u32::from(bits)) };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod edge_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ip(s: &str) -> std::net::IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_addresses_only_from_trusted_proxies() {
        let edges = Edges::parse(&["10.1.0.0/16".into(), "192.0.2.7".into()]).unwrap();
        // A box straight to the port: what it claims is ignored.
        assert_eq!(edges.client(ip("203.0.113.9"), Some("1.2.3.4"), Some("5.6.7.8")), ip("203.0.113.9"));
        // Through an edge: the box the edge saw.
        assert_eq!(edges.client(ip("10.1.4.4"), Some("203.0.113.9"), None), ip("203.0.113.9"));
        // A box that sent its own header through the edge: the edge appended the truth.
        assert_eq!(edges.client(ip("10.1.4.4"), Some("1.1.1.1, 203.0.113.9"), None), ip("203.0.113.9"));
        // Edge to the local cache to infotv: both proxies are skipped.
        assert_eq!(edges.client(ip("127.0.0.1"), Some("203.0.113.9, 192.0.2.7"), Some("192.0.2.7")), ip("203.0.113.9"));
        // The local cache alone names the box with X-Real-IP.
        assert_eq!(edges.client(ip("127.0.0.1"), None, Some("203.0.113.9")), ip("203.0.113.9"));
        assert_eq!(edges.client(ip("::ffff:203.0.113.9"), None, None), ip("203.0.113.9"));
        // Garbage in the chain stops the walk at the last good hop.
        assert_eq!(edges.client(ip("10.1.4.4"), Some("x, 10.1.9.9"), None), ip("10.1.9.9"));
        assert!(Edges::parse(&["10.0.0.0/33".into()]).is_err());
        assert!(Edges::parse(&["edge-1".into()]).is_err());
        assert!(!Edges::default().trusts(ip("10.1.4.4")));
    }
}

/// How long an answer may sit without a byte leaving before its connection
/// is given up: a client that stops reading holds nothing for long.
pub const WRITE_STALL: Duration = Duration::from_secs(15);

/// A clock for writes that stopped moving: armed when a write must wait,
/// disarmed by any progress; when it runs out the write fails.
#[derive(Debug)]
pub struct Stall {
    limit: Duration,
    sleep: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl Stall {
    pub fn new(limit: Duration) -> Stall {
        Stall { limit, sleep: None }
    }

    /// Passes a write's `poll` on: progress disarms the clock; a write that
    /// must wait arms it, and fails with `TimedOut` once it has waited
    /// `limit` in all without progress.
    pub fn guard<T>(
        &mut self,
        cx: &mut std::task::Context<'_>,
        poll: std::task::Poll<std::io::Result<T>>,
    ) -> std::task::Poll<std::io::Result<T>> {
        use std::future::Future;
        match poll {
            std::task::Poll::Ready(r) => {
                self.sleep = None;
                std::task::Poll::Ready(r)
            }
            std::task::Poll::Pending => {
                let limit = self.limit;
                let sleep = self.sleep.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                match sleep.as_mut().poll(cx) {
                    std::task::Poll::Ready(()) => {
                        self.sleep = None;
                        std::task::Poll::Ready(Err(std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            "the client took nothing for too long",
                        )))
                    }
                    std::task::Poll::Pending => std::task::Poll::Pending,
                }
            }
        }
    }
}

/// A stream whose writes must keep moving ([`Stall`]).
pub struct Moving<S> {
    inner: S,
    stall: Stall,
}

impl<S> Moving<S> {
    pub fn new(inner: S, limit: Duration) -> Moving<S> {
        Moving { inner, stall: Stall::new(limit) }
    }
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Moving<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Moving<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let this = &mut *self;
        let poll = std::pin::Pin::new(&mut this.inner).poll_write(cx, buf);
        this.stall.guard(cx, poll)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let this = &mut *self;
        let poll = std::pin::Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.stall.guard(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = &mut *self;
        let poll = std::pin::Pin::new(&mut this.inner).poll_flush(cx);
        this.stall.guard(cx, poll)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = &mut *self;
        let poll = std::pin::Pin::new(&mut this.inner).poll_shutdown(cx);
        this.stall.guard(cx, poll)
    }
}

#[cfg(test)]
mod stall_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test(start_paused = true)]
    async fn a_reader_that_stops_is_given_up_and_a_slow_one_is_not() {
        // A pipe of 64 bytes: the far end reads when the test says.
        let (near, mut far) = tokio::io::duplex(64);
        let mut moving = Moving::new(near, Duration::from_secs(15));
        // Slow but moving: 64 bytes every 10 s, 640 bytes in all.
        let reader = tokio::spawn(async move {
            let mut buf = [0u8; 64];
            let mut got = 0;
            while got < 640 {
                tokio::time::sleep(Duration::from_secs(10)).await;
                got += far.read(&mut buf).await.unwrap();
            }
            far
        });
        moving.write_all(&[7u8; 640]).await.unwrap();
        let _far = reader.await.unwrap();
        // Now nobody reads: the next answer fails after 15 s, not never.
        let started = tokio::time::Instant::now();
        let err = moving.write_all(&[7u8; 1000]).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed().as_secs(), 15);
    }
}
