//! The whole server in this process (`infotv::app`): both ports, the
//! watcher, the store and the saver on free ports, an edit rendered and
//! served, and a stop that ends every part.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use common::{get, wait_for, ADMIN_TOKEN};
use infotv::app::{App, Config, Listeners};

#[test]
fn the_whole_app_starts_serves_an_edit_and_stops_with_every_task_ended() {
    let channels = common::copy_fixture("basic");
    let data = tempfile::tempdir().unwrap();
    let mut config = Config::new(channels.path(), data.path());
    config.fonts = common::root().join("fonts");
    config.admin_token = Some(ADMIN_TOKEN.into());
    config.watch = infotv::watch::Options::new(Duration::from_millis(150));
    config.encode_loop = false;

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let app = runtime.block_on(async {
        let listeners = Listeners::bind(loopback, loopback).await.unwrap();
        App::start(config, listeners).await.unwrap()
    });
    let (boxes, admin) = app.addresses().unwrap();
    let station = app.station().clone();
    assert!(station.on_air.current().is_some(), "on air when start returns");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = runtime.spawn(app.run(stopped));

    // The box port serves the start screen; the operators' port its status.
    let home = get(boxes, "/", &[]);
    assert_eq!(home.status, 302);
    let shell = get(boxes, home.header("location").unwrap(), &[]);
    assert_eq!(shell.status, 200);
    assert!(shell.text().contains("<script"), "a shell");
    let bearer = format!("Authorization: Bearer {ADMIN_TOKEN}");
    let status = get(admin, "/api/v1/status", &[&bearer]).json();
    assert_eq!(status["generation"], station.on_air.current().unwrap().id.as_str());
    assert_eq!(get(admin, "/api/v1/status", &[]).status, 401, "not without the token");

    // An edit goes on air through the watcher, and the store records it.
    let before = station.on_air.current().unwrap().id.clone();
    std::fs::write(channels.path().join("01-第一栏目/01-甲项/2026-11-30-新消息.md"), "今天的新消息。\n").unwrap();
    let after = wait_for(Duration::from_secs(20), || {
        let g = station.on_air.current()?;
        (g.id != before).then(|| g.id.clone())
    })
    .expect("the edit goes on air");
    let graph = get(boxes, "/api/v1/sd/graph.json", &[]).text();
    assert!(graph.contains("新消息"), "the new article is in the graph");
    assert_eq!(get(boxes, "/healthz", &[]).text(), format!("ok {after}\n"));
    let recorded = wait_for(Duration::from_secs(10), || {
        let renders = get(admin, "/api/v1/renders", &[&bearer]).json();
        let files = renders.as_array()?.iter().any(|r| r["trigger"].as_str().is_some_and(|t| t.starts_with("files:")));
        files.then_some(())
    });
    assert!(recorded.is_some(), "the edit's render is in the store");

    // Stop: run returns once every part ended, and nothing is left running.
    stop.send(true).unwrap();
    let ended = runtime.block_on(async { tokio::time::timeout(Duration::from_secs(20), running).await });
    ended.expect("stopped within 20 s").unwrap().expect("a clean stop");
    // A task that finished is released by its worker thread a moment after
    // whoever awaited it woke up; a leaked one never is.
    let left = wait_for(Duration::from_secs(5), || (runtime.metrics().num_alive_tasks() == 0).then_some(()));
    assert!(left.is_some(), "every task of the app ended: {} alive", runtime.metrics().num_alive_tasks());
    for port in [boxes, admin] {
        assert!(TcpStream::connect_timeout(&port, Duration::from_secs(1)).is_err(), "{port} is closed");
    }
    // The saver wrote the generation on air before it stopped.
    assert!(data.path().join(infotv::publish::disk::FILE).exists(), "saved");
    runtime.shutdown_timeout(Duration::from_secs(2));
}

/// Boxes reconnect together (a head-end restart, a power cut in a
/// township). Both ports complete hundreds of handshakes at once, before
/// any is accepted: a queue of 128 (what a listener bound the usual way
/// gets) drops the SYNs past it, and those boxes wait a second or more for
/// the kernel to send theirs again.
#[test]
fn both_ports_take_a_burst_of_connections_without_dropping_a_handshake() {
    const BURST: usize = 300;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let listeners = Listeners::bind(loopback, loopback).await.unwrap();
        for (port, listener) in [("box", &listeners.boxes), ("operators'", &listeners.admin)] {
            let addr = listener.local_addr().unwrap();
            // Nothing accepts: every handshake must wait in the queue.
            let connects: Vec<_> = (0..BURST)
                .map(|_| {
                    tokio::spawn(tokio::time::timeout(Duration::from_millis(800), tokio::net::TcpStream::connect(addr)))
                })
                .collect();
            let mut held = Vec::new();
            for connect in connects {
                match connect.await.unwrap() {
                    Ok(Ok(stream)) => held.push(stream),
                    Ok(Err(e)) => panic!("{port} port: a connection refused: {e}"),
                    Err(_) => {}
                }
            }
            assert_eq!(held.len(), BURST, "{port} port: handshakes completed at once");
        }
    });
}
