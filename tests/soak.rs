//! Soak: 1,000 keep-alive connections asking for shells and pictures of the
//! shipped channel, as fast as they are answered, for a bounded time
//! (INFOTV_SOAK_SECONDS, 20 by default; run it for ten minutes with
//! `INFOTV_SOAK_SECONDS=600 cargo test --release --test suite soak:: -- --nocapture`).
//! No request may fail and the server's memory must stay flat.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{request, Binary};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const CONNECTIONS: usize = 1000;

#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    errors: AtomicU64,
    bytes: AtomicU64,
}

/// One keep-alive connection asking for `paths` in turn until `stop`.
async fn client(
    addr: std::net::SocketAddr,
    paths: Arc<Vec<String>>,
    start: usize,
    stop: Arc<AtomicBool>,
    tally: Arc<Tally>,
) {
    let Ok(stream) = TcpStream::connect(addr).await else {
        tally.errors.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut i = start;
    let mut head = Vec::with_capacity(512);
    let mut body = vec![0u8; 512 * 1024];
    while !stop.load(Ordering::Relaxed) {
        let path = &paths[i % paths.len()];
        i += 1;
        let req = format!("GET {path} HTTP/1.1\r\nHost: tv\r\nUser-Agent: soak\r\n\r\n");
        if write.write_all(req.as_bytes()).await.is_err() {
            tally.errors.fetch_add(1, Ordering::Relaxed);
            return;
        }
        head.clear();
        // The head, byte by byte from the buffer, up to the blank line.
        while !head.ends_with(b"\r\n\r\n") {
            match read.read_u8().await {
                Ok(b) => head.push(b),
                Err(_) => {
                    tally.errors.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            }
        }
        let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
        let len: usize = text
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        if !text.starts_with("http/1.1 200") || len > body.len() || read.read_exact(&mut body[..len]).await.is_err() {
            tally.errors.fetch_add(1, Ordering::Relaxed);
            return;
        }
        tally.ok.fetch_add(1, Ordering::Relaxed);
        tally.bytes.fetch_add((head.len() + len) as u64, Ordering::Relaxed);
    }
}

#[test]
fn a_thousand_keep_alive_connections_no_errors_flat_memory() {
    let seconds: u64 = std::env::var("INFOTV_SOAK_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(20);
    let server = Binary::start(&common::root().join("channels"));
    let addr = server.boxes;
    // Every shell of both profiles and every picture they show.
    let mut paths = Vec::new();
    for profile in ["sd", "hd"] {
        let graph = request(addr, "GET", &format!("/api/v1/{profile}/graph.json")).json();
        for (id, screen) in graph["screens"].as_object().unwrap() {
            paths.push(format!("/tv/{profile}/{id}.html"));
            paths.push(screen["states"][0]["image"].as_str().unwrap().to_string());
        }
    }
    let paths = Arc::new(paths);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally::default());
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|c| runtime.spawn(client(addr, paths.clone(), c * 7, stop.clone(), tally.clone())))
        .collect();
    // Warm up, then sample the server's memory once a second.
    std::thread::sleep(Duration::from_secs(3));
    let began = Instant::now();
    let first_ok = tally.ok.load(Ordering::Relaxed);
    let mut rss = vec![server.rss_kb()];
    while began.elapsed() < Duration::from_secs(seconds) {
        std::thread::sleep(Duration::from_secs(1));
        rss.push(server.rss_kb());
        assert_eq!(tally.errors.load(Ordering::Relaxed), 0, "a request failed");
    }
    stop.store(true, Ordering::Relaxed);
    runtime.block_on(async {
        for c in clients {
            let _ = c.await;
        }
    });
    let elapsed = began.elapsed().as_secs_f64();
    let done = tally.ok.load(Ordering::Relaxed) - first_ok;
    let (start_kb, end_kb, max_kb) = (rss[0], *rss.last().unwrap(), *rss.iter().max().unwrap());
    println!(
        "soak: {CONNECTIONS} connections, {seconds} s: {done} requests ({:.0}/s), {} MB, errors {}; \
         server RSS {start_kb} KB after warm-up, {end_kb} KB at the end, {max_kb} KB at most",
        done as f64 / elapsed,
        tally.bytes.load(Ordering::Relaxed) / 1_000_000,
        tally.errors.load(Ordering::Relaxed)
    );
    assert_eq!(tally.errors.load(Ordering::Relaxed), 0);
    assert!(done > 1000, "the load ran: {done} requests");
    // Flat: the end within 10 % (and 8 MB of allocator slack) of the start.
    assert!(end_kb <= start_kb + start_kb / 10 + 8 * 1024, "memory grew from {start_kb} KB to {end_kb} KB: {rss:?}");
    assert_eq!(request(addr, "GET", "/healthz").status, 200);
}
