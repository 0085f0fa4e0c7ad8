//! The channel as a broadcast loop, for one-way boxes: the screens of the
//! generation on air played one after another, with a strip that shows the
//! page number, what comes next, a clock and any alert, encoded by ffmpeg as
//! HLS (`/live/{profile}/index.m3u8`) and as MPEG-TS for a cable headend.
//!
//! `publish::plan` decides what plays (from `[loop]` of site.toml and the
//! laid-out screens) when a render publishes; `compose` draws each second's frame;
//! `encoder` runs ffmpeg processes, feeds them frames and restarts them
//! with back-off when they die.
//!
//! Invariant: the loop only reads the generation on air. A re-render
//! changes what plays from the next screen on; nothing restarts.

pub mod compose;
pub mod encoder;
pub mod output;

pub use crate::publish::plan::{ts_profile, Colours, Entry, Plan};
