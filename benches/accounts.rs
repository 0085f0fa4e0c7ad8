//! The costs of the operators' security, `cargo bench --bench accounts`:
//! one argon2id password check (what a login costs the server), one audit
//! row appended, and `audit verify` over a chain of 100,000 rows.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use infotv::accounts;
use infotv::audit::{Action, Event, Verdict};
use infotv::store::Store;

fn benches(c: &mut Criterion) {
    let hash = accounts::hash_password("Correct-Horse-2026").expect("hash");
    c.bench_function("argon2id/verify (m=19 MiB, t=2, p=1)", |b| {
        b.iter(|| assert!(accounts::verify_password(&hash, "Correct-Horse-2026")))
    });

    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("store");
    let now = chrono::Utc::now();
    let event = |i: usize| Event {
        account: "zhangwei",
        role: "operator",
        address: "10.20.30.40",
        action: if i.is_multiple_of(3) { Action::Login } else { Action::Export },
        target: "stats.csv 2026-11-01..2026-11-30",
        result: "ok",
    };
    let mut i = 0;
    c.bench_function("audit/append", |b| {
        b.iter(|| {
            i += 1;
            store.audit(&event(i), now).expect("append")
        })
    });
    // A chain of exactly 100,000 rows, built outside the measurement.
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("store");
    for j in 0..100_000 {
        store.audit(&event(j), now).expect("append");
    }
    let mut group = c.benchmark_group("audit");
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    group.bench_function("verify/100k rows", |b| {
        b.iter(|| assert_eq!(store.audit_verify().expect("verify"), Verdict::Intact { rows: 100_000 }))
    });
    group.finish();
}

criterion_group!(group, benches);
criterion_main!(group);
