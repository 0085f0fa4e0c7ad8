//! infotv turns a folder of ordinary files into a TV information channel.
//!
//! The pipeline runs one way: [`content`] loads the channel folder into a site
//! model, [`layout`] turns it into screens per profile, [`raster`] draws them
//! into pixels and PNG assets, [`publish`] assembles an immutable generation,
//! and [`serve`] answers the boxes. [`pipeline`] runs the stages and swaps the
//! generation on air; [`watch`] re-runs them when files change.

pub mod accounts;
pub mod admin;
pub mod answers;
pub mod app;
pub mod atomic;
pub mod audit;
pub mod backup;
pub mod broadcast;
pub mod cache;
pub mod check;
pub mod cli;
pub mod clock;
pub mod config;
pub mod confined;
pub mod content;
pub mod datadir;
pub mod driver;
pub mod export;
pub mod fonts;
pub mod health;
pub mod ids;
pub mod keys;
pub mod layout;
pub mod memory;
pub mod metrics;
pub mod net;
pub mod onair;
pub mod ondemand;
pub mod pipeline;
pub mod problem;
pub mod publish;
pub mod raster;
pub mod registry;
pub mod renderlog;
pub mod review;
pub mod routes;
pub mod save;
pub mod search;
pub mod serve;
pub mod store;
pub mod sync;
pub mod watch;

pub use problem::Problem;

/// `0.2.0 (5f3c2a9e10 2026-12-04)`: the release and the commit it was built
/// from, with the commit's date (`build.rs`).
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("INFOTV_BUILD"), ")");
