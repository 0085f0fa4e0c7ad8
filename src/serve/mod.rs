//! The box-facing HTTP server: hyper on tokio, answering from the generation
//! on air.

pub mod answer;
mod h1;
mod handler;
mod sendfile;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use crate::metrics::{Metrics, ViewSeen};
use crate::net;
use crate::onair::OnAir;
use crate::routes::Route;
use crate::sync::Locked;

pub use handler::{handle, respond, split_path, Asked};

/// Has the screen a request asks for made, if it is one made at request
/// time and not made yet, on the on-demand thread: the box worker waits
/// for it without holding up its other connections.
async fn made_first(channel: &Channel, asked: &Asked<'_>) {
    let Some(od) = &channel.on_demand else { return };
    let (profile, id) = match Route::of_path(asked.path) {
        Route::Shell { profile, file } => (profile, file.strip_suffix(".html")),
        Route::ScreenText { profile, file } => (profile, file.strip_suffix(".json")),
        _ => return,
    };
    let Some(id) = id.filter(|id| id.starts_with("search-")) else { return };
    let Some(g) = channel.on_air.current() else { return };
    if g.profiles.get(profile).is_some_and(|p| !p.screens.contains_key(id)) {
        od.warm(g, profile, id).await;
    }
}

/// How much the box port lets any one client hold, and how many threads answer.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Open connections before the oldest are asked to close.
    pub max_connections: usize,
    /// How long a connection may sit without a complete request head — idle
    /// between keep-alive requests, or trickling headers (slowloris) — before
    /// it is closed.
    pub idle: Duration,
    /// Box workers (threads); 0 is one per core.
    pub workers: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_connections: 10_000, idle: Duration::from_secs(10), workers: 0 }
    }
}

/// What the box port answers from.
#[derive(Clone, Default)]
pub struct Channel {
    /// The generation on air.
    pub on_air: Arc<OnAir>,
    /// Where `/live/{profile}/…` is read from: the loop's HLS folder
    /// (`{hls}/{profile}/`), whichever server encodes into it; `None`
    /// answers every `/live/` file 404.
    pub hls: Option<std::path::PathBuf>,
    /// Where answers go; `None` (no data folder) refuses them.
    pub answers: Option<Arc<crate::answers::Intake>>,
    /// The time answers are taken at (whether a poll has closed, the day
    /// of a request): the app's one clock, which tests move.
    pub clock: Arc<crate::clock::Clock>,
    /// Proxies whose forwarded client addresses are believed.
    pub edges: crate::net::Edges,
    /// Where screens made at request time (查询's results) are made and
    /// kept; `None` answers them with `search-down`.
    pub on_demand: Option<Arc<crate::ondemand::OnDemand>>,
}

/// How a connection is asked to close (shed, or the server stopping): a
/// flag and the waker of the task serving it.
///
/// Measured under 1,000 keep-alive connections: a `select!` over the
/// connection, a `Notify` and the stop `watch` re-polled both signals on
/// every wake, 2 % of the box port's time; this is one atomic load.
///
/// It also says since when the connection has been waiting for a request
/// head, for the idle limit: the sweeper ([`sweep`]) asks one waiting too
/// long to close, instead of a timer re-armed for every request.
#[derive(Default)]
struct Closing {
    asked: std::sync::atomic::AtomicBool,
    waker: atomic_waker::AtomicWaker,
    /// [`Open::now`] when the wait for a head began, plus one; 0 while
    /// answering, or once hyper (with its own head timer) serves it.
    waiting: std::sync::atomic::AtomicU64,
}

impl Closing {
    fn ask(&self) {
        self.asked.store(true, Ordering::Release);
        self.waker.wake();
    }

    fn wait_for_head(&self, open: &Open) {
        self.waiting.store(open.now.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }

    fn responding(&self) {
        self.waiting.store(0, Ordering::Relaxed);
    }
}

/// The connections open now, oldest first, each with its way to be asked to
/// close.
#[derive(Default)]
struct Open {
    next: std::sync::atomic::AtomicU64,
    /// Milliseconds since the port opened, as the sweeper last saw them.
    now: std::sync::atomic::AtomicU64,
    conns: std::sync::Mutex<std::collections::BTreeMap<u64, Arc<Closing>>>,
}

impl Open {
    fn add(&self) -> (u64, Arc<Closing>, usize) {
        let id = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let closing = Arc::new(Closing::default());
        let mut conns = self.conns.locked();
        conns.insert(id, closing.clone());
        (id, closing, conns.len())
    }

    fn remove(&self, id: u64) {
        self.conns.locked().remove(&id);
    }

    /// Asks the `n` oldest connections to close: an idle one closes at once,
    /// one answering a request closes after its answer.
    fn shed_oldest(&self, n: usize) {
        let conns = self.conns.locked();
        for closing in conns.values().take(n) {
            closing.ask();
        }
    }

    /// Asks every connection to close (the server is stopping).
    fn close_all(&self) {
        self.conns.locked().values().for_each(|c| c.ask());
    }

    /// Asks every connection that has waited for a head since `limit`
    /// before `now` (milliseconds) to close.
    fn close_idle(&self, now: u64, limit: u64) {
        self.now.store(now, Ordering::Relaxed);
        let conns = self.conns.locked();
        for closing in conns.values() {
            let since = closing.waiting.load(Ordering::Relaxed);
            if since != 0 && now.saturating_sub(since - 1) >= limit {
                closing.ask();
            }
        }
    }

    fn len(&self) -> usize {
        self.conns.locked().len()
    }
}

/// Serves boxes on `listener` from `channel` until `shutdown` completes,
/// counting requests, bytes, connections and views in `metrics`, within
/// `limits`; then lets in-flight requests finish (up to ten seconds).
///
/// Past `max_connections`, the oldest connections are asked to close — idle
/// keep-alives and trickling heads first in practice, since they are the ones
/// held longest — so a flood of idle sockets can never lock out a box that
/// connects now. Every connection also closes after `idle` without a whole
/// request head.
pub async fn run(
    listener: TcpListener,
    channel: Channel,
    metrics: Arc<Metrics>,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let open = Arc::new(Open::default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let threads = match limits.workers {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let shared = Shared { channel, metrics, limits, open: open.clone(), stop: stop_rx };
    let workers = (0..threads).map(|n| Worker::start(n, shared.clone())).collect::<std::io::Result<Vec<_>>>()?;
    let sweeper = tokio::spawn(sweep(open.clone(), limits.idle, shared.stop.clone()));
    tokio::pin!(shutdown);
    loop {
        let Some((stream, peer)) = crate::net::accept(&listener, &mut shutdown, "box").await else { break };
        let _ = stream.set_nodelay(true);
        let (id, closing, count) = open.add();
        if count > limits.max_connections {
            // A sixteenth at a time, so a flood does not shed on every accept.
            open.shed_oldest(count - limits.max_connections + limits.max_connections / 16);
        }
        shared.metrics.connection_opened();
        // The worker holding the fewest connections takes it.
        let worker = workers.iter().min_by_key(|w| w.held.load(Ordering::Relaxed)).expect("at least one worker");
        let handed = stream.into_std().map_err(|e| e.to_string()).and_then(|stream| {
            worker.held.fetch_add(1, Ordering::Relaxed);
            worker.conns.send(Handed { stream, peer, id, closing }).map_err(|_| "worker gone".to_string())
        });
        if let Err(err) = handed {
            tracing::warn!("box port: cannot hand over a connection: {err}");
            open.remove(id);
            shared.metrics.connection_closed();
        }
    }
    // In-flight requests finish; idle connections close now.
    let _ = stop_tx.send(true);
    let _ = sweeper.await;
    open.close_all();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while open.len() > 0 {
        if tokio::time::Instant::now() >= deadline {
            tracing::warn!("shutdown: {} connections still open after 10 s", open.len());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let threads: Vec<_> = workers.into_iter().map(|w| w.thread).collect();
    let _ = tokio::task::spawn_blocking(move || threads.into_iter().for_each(|t| drop(t.join()))).await;
    Ok(())
}

/// Keeps the idle limit: every few moments, asks the connections that have
/// waited longer than `idle` for a request head to close (within `idle`
/// and `idle` plus two sweeps), until the port stops.
async fn sweep(open: Arc<Open>, idle: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
    let every = (idle / 8).clamp(Duration::from_millis(50), Duration::from_secs(1));
    let opened = tokio::time::Instant::now();
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let now = opened.elapsed().as_millis() as u64;
        open.close_idle(now, (idle + every).as_millis() as u64);
    }
}

/// What every connection needs, whichever worker serves it.
#[derive(Clone)]
struct Shared {
    channel: Channel,
    metrics: Arc<Metrics>,
    limits: Limits,
    open: Arc<Open>,
    stop: tokio::sync::watch::Receiver<bool>,
}

/// An accepted connection on its way to a worker.
struct Handed {
    stream: std::net::TcpStream,
    peer: std::net::SocketAddr,
    id: u64,
    closing: Arc<Closing>,
}

/// One thread with a single-threaded runtime serving the connections handed
/// to it, first come first served.
///
/// Measured: tokio's work-stealing runtime with 1,000 busy keep-alive
/// connections let some wait behind others (each worker's queue holds 256
/// tasks, the rest wait in a shared queue looked at every 61st task), so
/// the slowest 1 % of answers took 2–3x as long as nginx's. A runtime per
/// core, each answering its connections strictly in turn, is how nginx's
/// workers do it.
struct Worker {
    conns: tokio::sync::mpsc::UnboundedSender<Handed>,
    held: Arc<AtomicUsize>,
    thread: std::thread::JoinHandle<()>,
}

impl Worker {
    fn start(n: usize, shared: Shared) -> std::io::Result<Worker> {
        let (conns, mut rx) = tokio::sync::mpsc::unbounded_channel::<Handed>();
        let held = Arc::new(AtomicUsize::new(0));
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let held2 = held.clone();
        let thread = std::thread::Builder::new().name(format!("box-{n}")).spawn(move || {
            runtime.block_on(async move {
                let mut stop = shared.stop.clone();
                loop {
                    let handed = tokio::select! {
                        h = rx.recv() => h,
                        // Every connection ends on stop; then so does this.
                        _ = stop.wait_for(|s| *s) => None,
                    };
                    let Some(h) = handed else { break };
                    match tokio::net::TcpStream::from_std(h.stream) {
                        Ok(stream) => {
                            tokio::spawn(connection(stream, h.peer, h.id, h.closing, shared.clone(), held2.clone()));
                        }
                        Err(err) => {
                            tracing::warn!("box port: cannot take a connection: {err}");
                            shared.open.remove(h.id);
                            shared.metrics.connection_closed();
                            held2.fetch_sub(1, Ordering::Relaxed);
                        }
                    }
                }
                // Handed over but not taken up before the stop: closed unanswered.
                while let Ok(h) = rx.try_recv() {
                    drop(h.stream);
                    shared.open.remove(h.id);
                    shared.metrics.connection_closed();
                    held2.fetch_sub(1, Ordering::Relaxed);
                }
                // Let answers in flight finish (as long as the acceptor
                // waits) before the runtime goes.
                let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
                while held2.load(Ordering::Relaxed) > 0 && tokio::time::Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            });
        })?;
        Ok(Worker { conns, held, thread })
    }
}

/// One keep-alive connection, from its first request to its close.
async fn connection(
    stream: tokio::net::TcpStream,
    peer: std::net::SocketAddr,
    id: u64,
    closing: Arc<Closing>,
    shared: Shared,
    held: Arc<AtomicUsize>,
) {
    let Shared { channel, metrics, limits, open, .. } = shared;
    let peer = Peer {
        address: peer.ip().to_string(),
        ip: peer.ip(),
        trusted: channel.edges.trusts(peer.ip()),
        boxes: Default::default(),
    };
    let conn_metrics = metrics.clone();
    let mark = sendfile::Mark::default();
    let mut stream = sendfile::Conn::new(stream, mark.clone(), conn_metrics.clone());
    // GET and HEAD on the port's own path; hyper takes over at the first
    // request that path leaves to it.
    let ctx = h1::Ctx { channel: &channel, metrics: &metrics, peer: &peer, closing: &closing, open: &open };
    if let h1::Ended::ToHyper(unread) = h1::serve(&mut stream, ctx).await {
        stream.unread(unread);
        by_hyper(stream, peer, mark, &closing, channel, metrics, limits).await;
    }
    open.remove(id);
    conn_metrics.connection_closed();
    held.fetch_sub(1, Ordering::Relaxed);
}

/// The rest of a connection served by hyper.
async fn by_hyper(
    stream: sendfile::Conn,
    peer: Peer,
    mark: sendfile::Mark,
    closing: &Closing,
    channel: Channel,
    metrics: Arc<Metrics>,
    limits: Limits,
) {
    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        if req.method() == hyper::Method::POST && Route::of_path(req.uri().path()) == Route::Answer {
            *mark.locked() = None;
            let address = client_address(&peer, &channel.edges, &Asked::of(&req)).into_owned();
            return Reply::Later(Box::pin(answered(channel.clone(), metrics.clone(), address, req)));
        }
        let mut resp = observed(&channel, &metrics, &peer, &Asked::of(&req));
        // The body hyper writes next: sent from the saved file when it is there.
        *mark.locked() = resp.extensions_mut().remove::<sendfile::Backed>();
        Reply::Now(Some(resp))
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.idle)
        .max_buf_size(crate::net::MAX_HEAD)
        // hyper's default of 100 headers, parsed on the stack: an explicit
        // limit makes it fill a vector of that many slots for every request
        // (1.5 % of the port's time under 1,000 connections). The head's
        // size is bounded by `max_buf_size` either way.
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let mut closed = false;
    let ended = std::future::poll_fn(|cx| {
        if !closed {
            closing.waker.register(cx.waker());
            if closing.asked.load(Ordering::Acquire) {
                // An idle connection closes at once, one answering after its answer.
                conn.as_mut().graceful_shutdown();
                closed = true;
            }
        }
        conn.as_mut().poll(cx)
    })
    .await;
    if let Err(err) = ended {
        tracing::debug!("connection ended: {err}");
    }
}

/// Answers a request and counts it; a shell loaded by a box (not the shell's
/// own background recheck) is a view of that screen. Nothing is copied out
/// of the request: the view is counted from its own text after answering.
fn observed(channel: &Channel, metrics: &Metrics, peer: &Peer, asked: &Asked<'_>) -> net::Resp {
    use hyper::body::Body;
    let route = Route::of_path(asked.path);
    let resp = handle(channel, asked);
    let status = resp.status().as_u16();
    metrics.request(route, status, resp.body().size_hint().exact().unwrap_or(0));
    let Route::Shell { profile, file } = route else { return resp };
    let view = matches!(status, 200 | 304) && asked.method == hyper::Method::GET && !asked.recheck;
    if !view {
        return resp;
    }
    let screen = file.trim_end_matches(".html");
    let Some(g) = channel.on_air.current() else { return resp };
    let Some(section) = g.profiles.get(profile).and_then(|p| p.screens.get(screen)).map(|s| &s.section) else {
        return resp;
    };
    let (column, item) = match section {
        Some(s) => (s.column.as_str(), s.item.as_deref().unwrap_or("")),
        None => ("", ""),
    };
    let seen = ViewSeen {
        profile,
        screen,
        column,
        item,
        address: &client_address(peer, &channel.edges, asked),
        agent: asked.user_agent,
        utc_offset_minutes: g.utc_offset_minutes,
    };
    metrics.view(&seen, &mut peer.boxes.locked());
    resp
}

/// The address a request comes from. Behind a cache on this machine
/// (deploy/nginx) or a configured edge, the box is the one the proxies name
/// (`X-Forwarded-For`, `X-Real-IP`); from anywhere else those headers are
/// the client's own say and not believed.
fn client_address<'a>(peer: &'a Peer, edges: &crate::net::Edges, asked: &Asked<'_>) -> std::borrow::Cow<'a, str> {
    if !peer.trusted {
        return std::borrow::Cow::Borrowed(&peer.address);
    }
    std::borrow::Cow::Owned(edges.client(peer.ip, asked.forwarded_for, asked.real_ip).to_string())
}

/// A box's answer: its body read (up to [`answer::MAX_BODY`]), then taken.
async fn answered(
    channel: Channel,
    metrics: Arc<Metrics>,
    address: String,
    req: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<http_body_util::Full<bytes::Bytes>> {
    use http_body_util::BodyExt;
    // A body that trickles in (or never comes) holds nothing for long.
    let body = http_body_util::Limited::new(req.into_body(), answer::MAX_BODY).collect();
    let resp = match tokio::time::timeout(answer::BODY_TIME, body).await {
        Ok(Ok(body)) => answer::take(&channel, &metrics, &address, &body.to_bytes()).await,
        Ok(Err(_)) => answer::refusal(hyper::StatusCode::PAYLOAD_TOO_LARGE, "提交的内容太长", "bad"),
        Err(_) => {
            let mut r = answer::refusal(hyper::StatusCode::REQUEST_TIMEOUT, "提交的内容没有及时送达，请重试", "busy");
            r.headers_mut().insert(hyper::header::CONNECTION, hyper::header::HeaderValue::from_static("close"));
            r
        }
    };
    use hyper::body::Body;
    metrics.request(Route::Answer, resp.status().as_u16(), resp.body().size_hint().exact().unwrap_or(0));
    resp
}

/// A box request's answer: ready at once (everything but answers), or once
/// an answer is committed.
enum Reply {
    Now(Option<hyper::Response<http_body_util::Full<bytes::Bytes>>>),
    Later(std::pin::Pin<Box<dyn Future<Output = hyper::Response<http_body_util::Full<bytes::Bytes>>> + Send>>),
}

impl Future for Reply {
    type Output = Result<hyper::Response<http_body_util::Full<bytes::Bytes>>, std::convert::Infallible>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        match self.get_mut() {
            Reply::Now(resp) => std::task::Poll::Ready(Ok(resp.take().expect("a ready reply is polled once"))),
            Reply::Later(fut) => fut.as_mut().poll(cx).map(Ok),
        }
    }
}

/// Who is at the other end of a connection, worked out once for all its
/// requests.
struct Peer {
    address: String,
    ip: std::net::IpAddr,
    /// A proxy whose forwarding headers are believed.
    trusted: bool,
    boxes: std::sync::Mutex<crate::metrics::BoxMemo>,
}
