//! The box port's own HTTP/1.1 for what boxes ask all day: GET and HEAD of
//! shells, pictures and the graph, one after another on a keep-alive
//! connection.
//!
//! Measured under 1,000 keep-alive connections, hyper's machinery around
//! each of these requests (its parser filling a header map, the request and
//! response types, its encoder, a timer re-armed per request) cost more
//! than the answer itself, and kept the port below nginx's rate. Here a
//! head is parsed in place with httparse, answered by the same handler, and
//! written with one head buffer per connection. Anything this path does not
//! fully understand — another method, HTTP/1.0, a body, `Expect`, an
//! upgrade, an absolute or odd target, a malformed or oversized head — is
//! handed to hyper with the bytes already read, and hyper serves the rest of
//! that connection exactly as before. So the answer to every request is
//! hyper's or provably the same as hyper's (tests/server.rs compares them).

use std::mem::MaybeUninit;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use hyper::header::CONNECTION;
use hyper::{Method, StatusCode};

use super::sendfile::{Backed, Conn};
use super::{Asked, Closing, Open};

/// Most header lines a head may have here; hyper refuses more (431).
const MAX_HEADERS: usize = 100;

/// The read buffer's first size; it grows to [`crate::net::MAX_HEAD`] for a
/// head that needs it. Boxes send a few hundred bytes.
const FIRST_READ: usize = 2048;

static GET: Method = Method::GET;
static HEAD: Method = Method::HEAD;

/// How this path left a connection.
pub(super) enum Ended {
    /// Closed: by the client, an error, a `Connection: close`, the idle
    /// limit or the server asking.
    Closed,
    /// A request for hyper: the bytes read and not answered, from the start
    /// of that request.
    ToHyper(Bytes),
}

/// What a connection's requests are answered with.
pub(super) struct Ctx<'a> {
    pub channel: &'a super::Channel,
    pub metrics: &'a crate::metrics::Metrics,
    pub peer: &'a super::Peer,
    pub closing: &'a Closing,
    pub open: &'a Open,
}

/// Serves `conn`'s requests until it closes or a request needs hyper.
pub(super) async fn serve(conn: &mut Conn, ctx: Ctx<'_>) -> Ended {
    let mut buf = vec![0u8; FIRST_READ];
    let (mut start, mut end) = (0, 0);
    let mut head = Vec::with_capacity(512);
    ctx.closing.wait_for_head(ctx.open);
    loop {
        let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
        match parse(&buf[start..end], &mut slots) {
            Parsed::Own { len, asked, close } => {
                ctx.closing.responding();
                let close = close || ctx.closing.asked.load(Ordering::Acquire);
                match respond(conn, &ctx, &asked, close, &mut head).await {
                    Ok(true) => {}
                    Ok(false) | Err(_) => return Ended::Closed,
                }
                start += len;
                if start == end {
                    (start, end) = (0, 0);
                }
                ctx.closing.wait_for_head(ctx.open);
            }
            Parsed::Partial if end - start < crate::net::MAX_HEAD => {
                if end == buf.len() {
                    // Room for more: move the head to the front, or grow.
                    if start > 0 {
                        buf.copy_within(start..end, 0);
                        (start, end) = (0, end - start);
                    } else {
                        buf.resize((buf.len() * 2).min(crate::net::MAX_HEAD), 0);
                    }
                }
                match read(conn, ctx.closing, &mut buf[end..]).await {
                    Some(n) => end += n,
                    None => return Ended::Closed,
                }
            }
            // Too long a head, or one hyper must judge: hyper answers it
            // (431, 400, or the request itself).
            Parsed::Partial | Parsed::Hyper => {
                ctx.closing.responding();
                return Ended::ToHyper(Bytes::copy_from_slice(&buf[start..end]));
            }
        }
    }
}

/// Reads what the client sent next into `into`: `None` at its end, on an
/// error, or when the connection is asked to close while it waits.
async fn read(conn: &mut Conn, closing: &Closing, into: &mut [u8]) -> Option<usize> {
    let mut into = tokio::io::ReadBuf::new(into);
    let got = std::future::poll_fn(|cx| {
        closing.waker.register(cx.waker());
        if closing.asked.load(Ordering::Acquire) {
            return std::task::Poll::Ready(Err(std::io::ErrorKind::ConnectionAborted.into()));
        }
        tokio::io::AsyncRead::poll_read(std::pin::Pin::new(&mut *conn), cx, &mut into)
    })
    .await;
    match got {
        Ok(()) if !into.filled().is_empty() => Some(into.filled().len()),
        _ => None,
    }
}

/// A request head, parsed.
enum Parsed<'b> {
    /// Not whole yet.
    Partial,
    /// One this path answers: its length, what it asks, whether the client
    /// said `Connection: close`.
    Own { len: usize, asked: Asked<'b>, close: bool },
    /// One for hyper.
    Hyper,
}

/// Parses the head at the start of `bytes`.
fn parse<'b>(bytes: &'b [u8], slots: &mut [MaybeUninit<httparse::Header<'b>>]) -> Parsed<'b> {
    let mut req = httparse::Request::new(&mut []);
    let len = match req.parse_with_uninit_headers(bytes, slots) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(_) => return Parsed::Hyper,
    };
    let method = match req.method {
        Some("GET") => &GET,
        Some("HEAD") => &HEAD,
        _ => return Parsed::Hyper,
    };
    let Some(target) = req.path.filter(|t| t.starts_with('/') && t.bytes().all(plain_target)) else {
        return Parsed::Hyper;
    };
    if req.version != Some(1) {
        return Parsed::Hyper;
    }
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    let mut asked = Asked {
        method,
        path,
        query,
        with_body: false,
        if_none_match: None,
        recheck: false,
        user_agent: "",
        real_ip: None,
        forwarded_for: None,
    };
    let (mut close, mut user_agent, mut length) = (false, None, false);
    for h in req.headers.iter() {
        let name = h.name;
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        if is("content-length") {
            // A body, or a repeated length: hyper judges it. A zero
            // length is no body.
            if h.value != b"0" || length {
                return Parsed::Hyper;
            }
            length = true;
        } else if is("transfer-encoding") || is("expect") || is("upgrade") {
            return Parsed::Hyper;
        } else if is("connection") {
            let tokens = || h.value.split(|b| *b == b',').map(|t| t.trim_ascii());
            if tokens().any(|t| t.eq_ignore_ascii_case(b"upgrade")) {
                return Parsed::Hyper;
            }
            close |= tokens().any(|t| t.eq_ignore_ascii_case(b"close"));
        } else if is("if-none-match") {
            asked.if_none_match = asked.if_none_match.or(visible(h.value));
        } else if is("x-requested-with") {
            asked.recheck = true;
        } else if is("user-agent") {
            // Only the first counts, as with hyper's `get`.
            user_agent = user_agent.or(Some(visible(h.value).unwrap_or("")));
        } else if is("x-real-ip") {
            asked.real_ip = asked.real_ip.or(visible(h.value));
        } else if is("x-forwarded-for") {
            // A repeated header is a list hyper would join: left to hyper.
            if asked.forwarded_for.is_some() {
                return Parsed::Hyper;
            }
            asked.forwarded_for = visible(h.value);
        }
    }
    asked.user_agent = user_agent.unwrap_or("");
    Parsed::Own { len, asked, close }
}

/// A target byte this path takes as it is; anything else (fragments,
/// quotes, brackets, non-ASCII) goes to hyper's stricter URI parser.
fn plain_target(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~/?&=%+,;:@!$'()*".contains(&b)
}

/// A header value as text, as hyper's `to_str` gives it: visible ASCII,
/// spaces and tabs only.
fn visible(value: &[u8]) -> Option<&str> {
    let ok = value.iter().all(|&b| b == b'\t' || (b' '..0x7f).contains(&b));
    ok.then(|| std::str::from_utf8(value).ok()).flatten()
}

/// Responds to one request and writes the response; `Ok(false)` when the
/// connection closes after it.
async fn respond(
    conn: &mut Conn,
    ctx: &Ctx<'_>,
    asked: &Asked<'_>,
    close: bool,
    head: &mut Vec<u8>,
) -> std::io::Result<bool> {
    use hyper::body::Body;
    super::made_first(ctx.channel, asked).await;
    let mut resp = super::observed(ctx.channel, ctx.metrics, ctx.peer, asked);
    let backed = resp.extensions_mut().remove::<Backed>();
    let close = close || resp.headers().contains_key(CONNECTION);
    let status = resp.status();
    let body = resp.body().size_hint().exact().unwrap_or(0) as usize;
    let bare = asked.method == Method::HEAD || matches!(status, StatusCode::NO_CONTENT | StatusCode::NOT_MODIFIED);
    write_head(head, &resp, body, asked.method == Method::HEAD, close);
    match (bare, backed) {
        (true, _) => conn.send(head, &[], None).await?,
        (false, Some(b)) => conn.send(head, &b.body, Some(&b.at)).await?,
        (false, None) => {
            use http_body_util::BodyExt;
            let bytes: Bytes = resp.into_body().collect().await.map(|c| c.to_bytes()).unwrap_or_default();
            conn.send(head, &bytes, None).await?
        }
    }
    if close {
        conn.shut().await;
    }
    Ok(!close)
}

/// The head hyper would write for `resp` (body of `len` bytes): status
/// line, the handler's headers, the length, the date.
fn write_head(out: &mut Vec<u8>, resp: &crate::net::Resp, len: usize, head_request: bool, close: bool) {
    out.clear();
    let status = resp.status();
    if status == StatusCode::OK {
        out.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
    } else {
        out.extend_from_slice(b"HTTP/1.1 ");
        out.extend_from_slice(status.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(status.canonical_reason().unwrap_or("<none>").as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    for (name, value) in resp.headers() {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if close && !resp.headers().contains_key(CONNECTION) {
        out.extend_from_slice(b"connection: close\r\n");
    }
    // As hyper: none on 204 and 304, nor an empty one on HEAD.
    let no_length = matches!(status, StatusCode::NO_CONTENT | StatusCode::NOT_MODIFIED) || head_request && len == 0;
    if !no_length {
        out.extend_from_slice(b"content-length: ");
        out.extend_from_slice(itoa::Buffer::new().format(len).as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"date: ");
    date(out);
    out.extend_from_slice(b"\r\n\r\n");
}

/// Today's `Date` value, formatted once a second per thread.
fn date(out: &mut Vec<u8>) {
    use std::cell::RefCell;
    use std::time::{SystemTime, UNIX_EPOCH};
    thread_local!(static DATE: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) });
    let now = SystemTime::now();
    let second = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    DATE.with_borrow_mut(|(at, text)| {
        if *at != second {
            *at = second;
            *text = httpdate::fmt_http_date(now);
        }
        out.extend_from_slice(text.as_bytes());
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taken(head: &str) -> Option<(String, Option<String>, bool)> {
        let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
        match parse(head.as_bytes(), &mut slots) {
            Parsed::Own { len, asked, close } => {
                assert_eq!(len, head.len());
                Some((asked.path.to_string(), asked.query.map(str::to_string), close))
            }
            Parsed::Partial => panic!("partial: {head}"),
            Parsed::Hyper => None,
        }
    }

    #[test]
    fn plain_gets_and_heads_are_taken_and_everything_else_goes_to_hyper() {
        let own = |h: &str| taken(&format!("{h}\r\n\r\n"));
        assert_eq!(own("GET /tv/sd/home.html HTTP/1.1"), Some(("/tv/sd/home.html".into(), None, false)));
        assert_eq!(
            own("HEAD /?f=2&r=x%20y HTTP/1.1\r\nHost: tv"),
            Some(("/".into(), Some("f=2&r=x%20y".into()), false))
        );
        assert_eq!(own("GET / HTTP/1.1\r\nConnection: Keep-Alive, CLOSE"), Some(("/".into(), None, true)));
        assert!(own("GET / HTTP/1.1\r\nContent-Length: 0").is_some());
        for hyper in [
            "POST /api/v1/answer HTTP/1.1",
            "OPTIONS / HTTP/1.1",
            "GET / HTTP/1.0",
            "GET http://tv/ HTTP/1.1",
            "GET /a#b HTTP/1.1",
            "GET /a\"b HTTP/1.1",
            "GET / HTTP/1.1\r\nContent-Length: 5",
            "GET / HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 0",
            "GET / HTTP/1.1\r\nTransfer-Encoding: chunked",
            "GET / HTTP/1.1\r\nExpect: 100-continue",
            "GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket",
            "GET / HTTP/1.1\r\nBad Header: x",
        ] {
            assert!(own(hyper).is_none(), "{hyper}");
        }
        let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
        assert!(matches!(parse(b"GET /tv/sd/home.html HTTP/1.1\r\nHost: t", &mut slots), Parsed::Partial));
        let many = format!("GET / HTTP/1.1\r\n{}\r\n", "X-A: 1\r\n".repeat(MAX_HEADERS + 1));
        assert!(matches!(parse(many.as_bytes(), &mut slots), Parsed::Hyper));
    }

    #[test]
    fn header_values_are_read_as_hypers_to_str_reads_them() {
        let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
        let head = "GET / HTTP/1.1\r\nUser-Agent: boxé\r\nUser-Agent: second\r\nX-Real-IP: 10.0.0.7\r\nIf-None-Match: \"a\"\r\nX-Requested-With: x\r\n\r\n";
        let Parsed::Own { asked, .. } = parse(head.as_bytes(), &mut slots) else { panic!("not taken") };
        // The first User-Agent, not visible ASCII: none, as hyper's `get` then `to_str`.
        assert_eq!(asked.user_agent, "");
        assert_eq!(asked.real_ip, Some("10.0.0.7"));
        assert_eq!(asked.if_none_match, Some("\"a\""));
        assert!(asked.recheck && !asked.with_body);
    }
}
