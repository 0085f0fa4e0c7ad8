//! Failures of callers nobody knows — wrong passwords, bad or expired
//! tokens, logins without the form's token, the locks they cause — kept in
//! the audit log as one row per address and minute, with what was tried and
//! how often. A flood of them costs a counter each, never a write: 20,000
//! bad tokens from one address are one row.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::audit::{Action, Event};
use crate::sync::Locked;

/// Addresses tallied at once; past this, the rest share one tally, so a
/// spray from many addresses cannot grow the memory either.
const MAX_ADDRESSES: usize = 10_000;
/// Names (login names tried) one row lists, at most: the rest are counted.
const MAX_NAMES: usize = 8;

/// One address's failures since its row was last written.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    pub count: u64,
    /// How often each kind of failure happened.
    pub what: BTreeMap<&'static str, u64>,
    /// The login names tried, the first few.
    pub names: std::collections::BTreeSet<String>,
    pub more_names: u64,
}

/// The failures waiting to be written.
#[derive(Default)]
pub struct Strangers {
    tally: Mutex<HashMap<String, Tally>>,
}

impl Strangers {
    /// Counts a failure of kind `what` from `address`, for the login `name`
    /// if it was one.
    pub fn note(&self, address: &str, what: &'static str, name: Option<&str>, now: DateTime<Utc>) {
        let mut tally = self.tally.locked();
        let key = if tally.len() >= MAX_ADDRESSES && !tally.contains_key(address) { "(many)" } else { address };
        let t = tally.entry(key.to_string()).or_default();
        t.first.get_or_insert(now);
        t.last = Some(now);
        t.count += 1;
        *t.what.entry(what).or_default() += 1;
        if let Some(name) = name {
            let name = crate::audit::tame(name);
            if t.names.len() < MAX_NAMES || t.names.contains(&name) {
                t.names.insert(name);
            } else {
                t.more_names += 1;
            }
        }
    }

    /// Takes every tally, leaving none.
    pub fn take(&self) -> Vec<(String, Tally)> {
        let mut out: Vec<(String, Tally)> = self.tally.locked().drain().collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Puts back tallies that could not be written (a full disk).
    fn restore(&self, back: Vec<(String, Tally)>) {
        let mut tally = self.tally.locked();
        for (address, old) in back {
            let t = tally.entry(address).or_default();
            t.first = match (t.first, old.first) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            t.last = t.last.max(old.last);
            t.count += old.count;
            for (what, n) in old.what {
                *t.what.entry(what).or_default() += n;
            }
            t.names.extend(old.names);
            t.more_names += old.more_names;
        }
    }
}

/// The row one address's tally becomes: target what was tried, result how often.
fn row(tally: &Tally) -> (String, String) {
    let what: Vec<String> = tally.what.iter().map(|(w, n)| format!("{w} ×{n}")).collect();
    let mut target = what.join("; ");
    if !tally.names.is_empty() {
        let names: Vec<&str> = tally.names.iter().map(String::as_str).collect();
        target.push_str(&format!(" | names: {}", names.join(", ")));
        if tally.more_names > 0 {
            target.push_str(&format!(" and {} more", tally.more_names));
        }
    }
    let span = match (tally.first, tally.last) {
        (Some(a), Some(b)) => format!(" {}–{}", a.format("%H:%M:%S"), b.format("%H:%M:%S")),
        _ => String::new(),
    };
    (target, format!("denied ×{}{span} UTC", tally.count))
}

/// Writes each address's tally as one audit row.
pub fn write(admin: &super::Admin) {
    let Some(store) = &admin.store else { return };
    let taken = admin.strangers.take();
    let mut failed = Vec::new();
    for (address, tally) in taken {
        let (target, result) = row(&tally);
        let e = Event {
            account: "-",
            role: "-",
            address: &address,
            action: Action::Refused,
            target: &target,
            result: &result,
        };
        if let Err(err) = store.audit(&e, admin.gate.clock.now()) {
            tracing::error!("audit row of failed attempts not written: {err:#}");
            failed.push((address, tally));
        }
    }
    if !failed.is_empty() {
        admin.strangers.restore(failed);
    }
}

/// Writes the tallies every minute until `stop` completes, then once more.
pub async fn keep(admin: std::sync::Arc<super::Admin>, stop: impl std::future::Future<Output = ()>) {
    tokio::pin!(stop);
    loop {
        let done = tokio::select! {
            () = tokio::time::sleep(std::time::Duration::from_secs(60)) => false,
            () = &mut stop => true,
        };
        let a = admin.clone();
        let _ = tokio::task::spawn_blocking(move || write(&a)).await;
        if done {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_is_one_tally_an_address() {
        let s = Strangers::default();
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        for i in 0..20_000 {
            s.note("10.0.0.9", "bad token", None, t0 + chrono::Duration::milliseconds(i));
        }
        s.note("10.0.0.9", "login failed", Some("admin"), t0);
        for i in 0..20 {
            s.note("10.0.0.7", "login failed", Some(&format!("name{i:02}")), t0);
        }
        s.note("10.0.0.7", "login slowed", Some("name00"), t0);
        let taken = s.take();
        assert_eq!(taken.len(), 2);
        let (target, result) = row(&taken[1].1);
        assert_eq!(taken[1].0, "10.0.0.9");
        assert_eq!(target, "bad token ×20000; login failed ×1 | names: admin");
        assert!(result.starts_with("denied ×20001"), "{result}");
        let (target, _) = row(&taken[0].1);
        assert!(target.starts_with("login failed ×20; login slowed ×1 | names: name00, name01"), "{target}");
        assert!(target.ends_with("name07 and 12 more"), "names past eight are counted, not listed: {target}");
        assert!(s.take().is_empty());
    }
}
