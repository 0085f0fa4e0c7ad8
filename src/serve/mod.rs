//! The box-facing HTTP server: hyper on tokio, answering from the generation
//! on air.

mod handler;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::metrics::{Metrics, ViewSeen};
use crate::pipeline::Live;

pub use handler::{handle, route_label};

/// Serves boxes on `listener` until `shutdown` completes, then lets in-flight
/// requests finish (up to ten seconds) before returning.
pub async fn run(listener: TcpListener, live: Arc<Live>, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    run_with(listener, live, Arc::new(Metrics::default()), shutdown).await
}

/// [`run`], counting requests, bytes, connections and views in `metrics`.
pub async fn run_with(
    listener: TcpListener,
    live: Arc<Live>,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let Some((stream, peer)) = accept(&listener, &mut shutdown, "box").await else { break };
        let _ = stream.set_nodelay(true);
        let (live, metrics) = (live.clone(), metrics.clone());
        let conn_metrics = metrics.clone();
        let address = peer.ip().to_string();
        let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
            let (live, metrics, address) = (live.clone(), metrics.clone(), address.clone());
            async move { Ok::<_, std::convert::Infallible>(observed(&live, &metrics, &address, req)) }
        });
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(10))
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        conn_metrics.connection_opened();
        tokio::spawn(async move {
            if let Err(err) = conn.await {
                tracing::debug!("connection ended: {err}");
            }
            conn_metrics.connection_closed();
        });
    }
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(Duration::from_secs(10)) => tracing::warn!("shutdown: connections still open after 10 s"),
    }
    Ok(())
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

/// Answers a request and counts it; a shell loaded by a box (not the shell's
/// own background recheck) is a view of that screen.
fn observed(
    live: &Live,
    metrics: &Metrics,
    address: &str,
    req: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<http_body_util::Full<bytes::Bytes>> {
    use hyper::body::Body;
    let label = route_label(req.uri().path());
    // Only a shell is a view: only then is anything copied out of the request.
    let seen =
        (label == "shell" && req.method() == hyper::Method::GET && !req.headers().contains_key("x-requested-with"))
            .then(|| {
                let agent = req.headers().get(hyper::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
                // Behind a cache on this machine (deploy/nginx), the box is the one
                // the proxy names; from anywhere else the header is not trusted.
                let forwarded = address
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
                    .then(|| req.headers().get("x-real-ip").and_then(|v| v.to_str().ok()).map(str::trim))
                    .flatten();
                (req.uri().path().to_string(), agent.to_string(), forwarded.unwrap_or(address).to_string())
            });
    let resp = handle(live, req);
    let status = resp.status().as_u16();
    metrics.request(label, status, resp.body().size_hint().exact().unwrap_or(0));
    let Some((path, agent, address)) = seen else { return resp };
    let address = address.as_str();
    if matches!(status, 200 | 304) {
        let mut parts = path.trim_start_matches("/tv/").splitn(2, '/');
        let (Some(profile), Some(file)) = (parts.next(), parts.next()) else { return resp };
        let screen = file.trim_end_matches(".html");
        if let Some(g) = live.current() {
            let section = g.profiles.get(profile).and_then(|p| p.screens.get(screen)).map(|s| s.section.clone());
            if let Some(section) = section {
                let (column, item) = match &section {
                    Some(s) => (s.column.as_str(), s.item.as_deref().unwrap_or("")),
                    None => ("", ""),
                };
                metrics.view(&ViewSeen {
                    profile,
                    screen,
                    column,
                    item,
                    address,
                    agent: &agent,
                    utc_offset_minutes: g.utc_offset_minutes,
                });
            }
        }
    }
    resp
}
