//! Every integration test that needs nothing outside Rust, as modules of
//! one test binary: one compile of the shared helpers and one link instead
//! of one a file (CI builds from scratch on two cores, where two dozen links
//! of the whole crate cost minutes). `cargo test` runs it on a machine with
//! Rust alone; the tests that need Chromium, node, nginx, ffmpeg, poppler,
//! dpkg or python are the `external` binary (tests/external.rs), which
//! `tests/run` runs too. Run one file's tests with
//! `cargo test --test suite places::`.

mod common;

mod accounts;
mod admin;
mod answers;
mod app;
mod architecture;
mod checks;
mod cli;
mod faults;
mod golden;
mod hostile;
mod kinds;
mod layout;
mod loader;
mod onscreen;
mod places;
mod properties;
mod review;
mod search;
mod security;
mod server;
mod soak;
mod tls;
mod watch;
