//! The integration tests that need programs from outside Rust, as one test
//! binary of their own: Chromium and node with playwright-core (the shells,
//! every page, the flows with the remote), nginx (the shipped edge
//! configurations), ffmpeg (the broadcast loop), poppler's pdftotext (PDF
//! notices), dpkg-deb and cargo-deb (the package), python3 (the county
//! channel's generator) and util-linux's `script` (a terminal).
//!
//! `cargo test` leaves it out (`test = false` in Cargo.toml), so that it
//! passes on a machine with Rust alone; `tests/run` installs the programs
//! and runs it with `cargo test --test external`. A missing program fails
//! the test that needs it, loudly: nothing here is skipped.

mod common;

mod broadcast;
mod browser;
mod install;
mod nginx;
mod office;
mod programs;
mod scale;
mod shell;
