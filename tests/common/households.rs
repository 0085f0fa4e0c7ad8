//! Households answering, as the tests of it set up: the answers fixture
//! served with a clock the test moves, and what its graph asks.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use infotv::clock::Clock;
use infotv::store::Store;

use super::{get, Server};

/// The fixture channel in a folder of its own, with `extra` added to its
/// site.toml.
pub fn channel(extra: &str) -> tempfile::TempDir {
    let dir = super::copy_fixture("answers");
    let site = dir.path().join("site.toml");
    let toml = std::fs::read_to_string(&site).unwrap();
    std::fs::write(&site, format!("{toml}{extra}")).unwrap();
    dir
}

pub struct Site {
    pub server: Server,
    pub clock: Arc<Clock>,
    pub store: Store,
    _channels: tempfile::TempDir,
}

pub fn site(extra: &str) -> Site {
    let channels = channel(extra);
    let (server, clock) = Server::start_with_clock(channels.path());
    let store = Store::open(server.data.path()).unwrap();
    Site { server, clock, store, _channels: channels }
}

/// The screens of a profile that ask something, by the kind they ask.
pub fn asks(addr: SocketAddr, profile: &str) -> BTreeMap<String, Vec<(String, serde_json::Value)>> {
    let graph = get(addr, &format!("/api/v1/{profile}/graph.json"), &[]).json();
    let mut out: BTreeMap<String, Vec<(String, serde_json::Value)>> = BTreeMap::new();
    for (id, s) in graph["screens"].as_object().unwrap() {
        if let Some(ask) = s.get("ask") {
            out.entry(ask["kind"].as_str().unwrap().to_string()).or_default().push((id.clone(), ask.clone()));
        }
    }
    out
}

/// The screen sending the open poll's answers, and its spec.
pub fn poll_screen(addr: SocketAddr) -> (String, serde_json::Value) {
    asks(addr, "sd")["question"].iter().find(|(_, a)| a.get("send").is_some()).cloned().unwrap()
}

pub fn counts(store: &Store, poll: &str) -> (Vec<Vec<u64>>, u64) {
    store.poll_counts(poll, &[4, 2]).unwrap()
}
