//! Every integration test, as modules of one test binary: one compile of
//! the shared helpers and one link instead of one a file (CI builds from
//! scratch on two cores, where two dozen links of the whole crate cost
//! minutes). Run one file's tests with `cargo test --test suite places::`.

mod common;

mod accounts;
mod admin;
mod answers;
mod app;
mod architecture;
mod broadcast;
mod browser;
mod checks;
mod cli;
mod faults;
mod golden;
mod hostile;
mod install;
mod kinds;
mod layout;
mod loader;
mod nginx;
mod office;
mod onscreen;
mod places;
mod properties;
mod review;
mod scale;
mod security;
mod server;
mod shell;
mod soak;
mod tls;
mod watch;
