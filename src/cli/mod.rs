//! The command line: parsed raw by clap (with `env =` for every flag), then
//! validated into the [`app::Config`] the server runs with; and the
//! one-shot commands: `render`, `check`, `account …` and `audit verify`
//! (those two in [`accounts`]).

pub mod accounts;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use crate::app;
use crate::config::WatchMode;
use crate::fonts::Fonts;
use crate::pipeline::Renderer;
use crate::renderlog::Trigger;
use crate::sync::Locked;

#[derive(Parser)]
#[command(name = "infotv", version = crate::VERSION, about = "A folder of files as a TV information channel")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the channel to set-top boxes (the default).
    Serve(Box<ServeArgs>),
    /// Render the channel once and write a static export that any HTTP server can serve.
    Render(RenderArgs),
    /// Check a channel folder and report its problems by file; exit 1 when there are any.
    Check(CheckArgs),
    /// Manage the operators' accounts (works while the server runs).
    #[command(subcommand)]
    Account(accounts::AccountCommand),
    /// The audit log.
    #[command(subcommand)]
    Audit(accounts::AuditCommand),
    /// Copy the data folder — accounts, audit log, history, statistics,
    /// answers, the generation on air — into one file, while the server runs.
    Backup {
        /// The file to write (a gzip'd tar; written whole or not at all).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        data: accounts::DataArg,
    },
    /// Put a backup back into a data folder no server is using.
    Restore {
        /// The backup file.
        file: PathBuf,
        /// Restore into a folder that holds data: what is there is moved
        /// into `before-restore-<time>/` inside it first.
        #[arg(long)]
        replace: bool,
        #[command(flatten)]
        data: accounts::DataArg,
    },
}

#[derive(clap::Args, Clone)]
pub struct CheckArgs {
    /// The channel folder.
    #[arg(long, env = "INFOTV_CHANNELS", default_value = "channels")]
    pub channels: PathBuf,
    /// The server's data folder: with it, versions a reviewer rejected are
    /// reported too, with the reason.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// The folder holding the typefaces (default: `fonts/` here, else the
    /// installed ones, `../share/infotv/fonts` beside the executable or
    /// `/usr/share/infotv/fonts`).
    #[arg(long, env = "INFOTV_FONTS")]
    pub fonts: Option<PathBuf>,
}

#[derive(clap::Args, Clone)]
pub struct RenderArgs {
    /// The channel folder.
    #[arg(long, env = "INFOTV_CHANNELS", default_value = "channels")]
    pub channels: PathBuf,
    /// The folder holding the typefaces (default: `fonts/` here, else the
    /// installed ones, `../share/infotv/fonts` beside the executable or
    /// `/usr/share/infotv/fonts`).
    #[arg(long, env = "INFOTV_FONTS")]
    pub fonts: Option<PathBuf>,
    /// Where to write the export.
    #[arg(long)]
    pub out: PathBuf,
    /// The server's data folder: under review, only the versions approved
    /// there are exported (its air tree).
    #[arg(long)]
    pub data: Option<PathBuf>,
}

#[derive(clap::Args, Clone)]
pub struct ServeArgs {
    /// The channel folder.
    #[arg(long, env = "INFOTV_CHANNELS", default_value = "channels")]
    pub channels: PathBuf,
    /// Where boxes connect.
    #[arg(long, env = "INFOTV_LISTEN", default_value = "0.0.0.0:8080")]
    pub listen: SocketAddr,
    /// The folder holding the typefaces (default: `fonts/` here, else the
    /// installed ones, `../share/infotv/fonts` beside the executable or
    /// `/usr/share/infotv/fonts`).
    #[arg(long, env = "INFOTV_FONTS")]
    pub fonts: Option<PathBuf>,
    /// How long the channel folder must be quiet before a render, in ms.
    #[arg(long, env = "INFOTV_QUIET_MS", default_value_t = 300)]
    pub quiet_ms: u64,
    /// How to notice changes: file events, polling (for SMB/NFS shares), or
    /// auto (site.toml's `[watch]`, else polling on network file systems).
    #[arg(long, env = "INFOTV_WATCH", value_enum, default_value = "auto")]
    pub watch: WatchArg,
    /// Time between scans when polling, in ms.
    #[arg(long, env = "INFOTV_POLL_MS", default_value_t = 2000)]
    pub poll_ms: u64,
    /// Where operators connect (status, history, problems, statistics).
    #[arg(long, env = "INFOTV_ADMIN_LISTEN", default_value = "127.0.0.1:8081")]
    pub admin_listen: SocketAddr,
    /// A read-only token (role operator) for scrapers such as Prometheus,
    /// recorded in the audit log as account `token`. People log in with
    /// their own accounts (`infotv account add`).
    #[arg(long, env = "INFOTV_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// The operators' port's TLS certificate chain (PEM). Needed, with
    /// --admin-tls-key, when --admin-listen is not a loopback address.
    #[arg(long, env = "INFOTV_ADMIN_TLS_CERT", requires = "admin_tls_key")]
    pub admin_tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --admin-tls-cert.
    #[arg(long, env = "INFOTV_ADMIN_TLS_KEY", requires = "admin_tls_cert")]
    pub admin_tls_key: Option<PathBuf>,
    /// Minutes an operator's session may be idle before it ends.
    #[arg(long, env = "INFOTV_SESSION_IDLE_MINUTES", default_value_t = 30)]
    pub session_idle_minutes: u64,
    /// Render history, problems, viewing statistics and the saved generation live here.
    #[arg(long, env = "INFOTV_DATA", default_value = "data")]
    pub data: PathBuf,
    /// Open box connections before the oldest are asked to close.
    #[arg(long, env = "INFOTV_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,
    /// Seconds a box connection may wait without a whole request (idle
    /// keep-alive, or headers trickling in) before it is closed.
    #[arg(long, env = "INFOTV_IDLE_SECONDS", default_value_t = 10)]
    pub idle_seconds: u64,
    /// Threads answering boxes, each serving its connections in turn
    /// (0: one per core).
    #[arg(long, env = "INFOTV_WORKERS", default_value_t = 0)]
    pub workers: usize,
    /// The ffmpeg that encodes the broadcast loop (site.toml's `[loop]`).
    #[arg(long, env = "INFOTV_FFMPEG", default_value = "ffmpeg")]
    pub ffmpeg: PathBuf,
    /// Whether this server encodes the broadcast loop site.toml asks for
    /// (off: a second server, or one whose loop another machine encodes).
    #[arg(long = "loop", env = "INFOTV_LOOP", value_enum, default_value = "on")]
    pub broadcast: OnOff,
    /// The only folder the loop may write an MPEG-TS file or named pipe in
    /// (site.toml `[loop] ts = "loop.ts"`); outside the data and channel
    /// folders. Without it, TS goes to udp://, rtp:// or srt:// only.
    #[arg(long, env = "INFOTV_RECORDINGS")]
    pub recordings: Option<PathBuf>,
    /// Proxies in front of the box port (nginx edges) whose
    /// `X-Forwarded-For` / `X-Real-IP` name the box: addresses or networks
    /// (`10.1.0.0/16`), comma-separated. A proxy on this machine always is.
    #[arg(long = "edge", env = "INFOTV_EDGES", value_delimiter = ',')]
    pub edges: Vec<String>,
    /// A file outside the data folder where the audit log's head is
    /// written at least hourly, so `infotv audit verify` finds a cut tail.
    #[arg(long, env = "INFOTV_AUDIT_ANCHOR")]
    pub audit_anchor: Option<PathBuf>,
    /// Days an API token lives (`infotv account token`).
    #[arg(long, env = "INFOTV_TOKEN_DAYS", default_value_t = 90)]
    pub token_days: u32,
    /// Open connections on the operators' port; past this, new ones are
    /// turned away, so it can never take the box port's files.
    #[arg(long, env = "INFOTV_ADMIN_MAX_CONNECTIONS", default_value_t = 256)]
    pub admin_max_connections: usize,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq)]
pub enum OnOff {
    On,
    Off,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum WatchArg {
    Auto,
    Events,
    Poll,
}

impl ServeArgs {
    /// The server's configuration: every number in its range, the fonts found.
    pub fn config(&self) -> Result<app::Config> {
        Ok(app::Config {
            channels: self.channels.clone(),
            fonts: crate::fonts::find(self.fonts.as_deref())?,
            data: self.data.clone(),
            admin_token: self.admin_token.clone(),
            admin_tls: self.admin_tls_cert.clone().zip(self.admin_tls_key.clone()),
            session_idle: Duration::from_secs(self.session_idle_minutes.clamp(1, 24 * 60) * 60),
            clock: Arc::default(),
            watch: crate::watch::Options {
                quiet: Duration::from_millis(self.quiet_ms),
                mode: match self.watch {
                    WatchArg::Auto => WatchMode::Auto,
                    WatchArg::Events => WatchMode::Events,
                    WatchArg::Poll => WatchMode::Poll,
                },
                poll_interval: Duration::from_millis(self.poll_ms.max(100)),
            },
            limits: crate::serve::Limits {
                max_connections: self.max_connections.max(1),
                idle: Duration::from_secs(self.idle_seconds.max(1)),
                workers: self.workers,
            },
            ffmpeg: self.ffmpeg.clone(),
            encode_loop: self.broadcast == OnOff::On,
            recordings: self.recordings.clone(),
            edges: crate::net::Edges::parse(&self.edges)?,
            audit_anchor: self.audit_anchor.clone(),
            audit_syslog: Some(PathBuf::from("/dev/log")),
            token_days: self.token_days.clamp(1, 3650),
            admin_max_connections: self.admin_max_connections.max(8),
        })
    }
}

/// Prints to stdout; a closed pipe (`infotv check | head`) is not an error.
pub fn say(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// `infotv backup`.
pub fn backup(out: &std::path::Path, data: &std::path::Path) -> Result<()> {
    let started = std::time::Instant::now();
    let s = crate::backup::take(data, out)?;
    if let Some(w) = &s.warning {
        eprintln!("infotv: warning: {w}");
    }
    say(&format!(
        "infotv: backup of {} written to {}\n{}  {:.1} s\n",
        data.display(),
        s.file.display(),
        summary(&s),
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// `infotv restore`.
pub fn restore(file: &std::path::Path, data: &std::path::Path, replace: bool) -> Result<()> {
    let s = crate::backup::restore(file, data, replace)?;
    let mut text = format!("infotv: restored {} into {}\n{}\n", s.file.display(), data.display(), summary(&s));
    if let Some(aside) = &s.moved_aside {
        text.push_str(&format!("  what the folder held before is in {}\n", aside.display()));
    }
    say(&text);
    Ok(())
}

fn summary(s: &crate::backup::Summary) -> String {
    let c = &s.counts;
    format!(
        "  taken {} by infotv {} (data schema {})\n  {} accounts, {} audit rows, {} view rows, {} renders, {} answers; generation {} ({} blobs)\n  {} bytes, blake3 {}",
        s.taken.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        s.release,
        s.schema,
        c.accounts,
        c.audit,
        c.views,
        c.renders,
        c.answers,
        s.generation.as_deref().unwrap_or("none"),
        c.blobs,
        s.bytes,
        s.blake3
    )
}

/// `infotv check`: exits 1 when the channel has problems.
pub fn check(args: CheckArgs) -> Result<()> {
    let fonts = Fonts::load(&crate::fonts::find(args.fonts.as_deref())?)?;
    let (site, mut problems) = crate::check::problems(&args.channels, &fonts);
    if let Some(data) = args.data.as_ref().filter(|d| d.join(crate::store::FILE).exists()) {
        let store = std::sync::Arc::new(crate::store::Store::open(data)?);
        let desk = crate::review::Desk::new(store, data);
        problems.extend(crate::review::Desk::problems(&desk.waiting(&args.channels)?));
    }
    say(&crate::check::report(&site, &problems));
    if !problems.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}

/// What an export renders: the channel folder, or under review the
/// server's air tree, so an export (for edge servers) never carries a
/// version no reviewer approved.
fn exported(args: &RenderArgs) -> Result<PathBuf> {
    let air = args.data.as_ref().map(|d| d.join(crate::review::AIR));
    let review = crate::review::asks_review(&args.channels) || air.as_deref().is_some_and(crate::review::asks_review);
    match air {
        _ if !review => Ok(args.channels.clone()),
        Some(air) if air.join("site.toml").exists() => Ok(air),
        _ => anyhow::bail!(
            "review is on ([review] required = true): give the server's --data folder, so that only approved versions are exported"
        ),
    }
}

/// `infotv render --out`: a static export.
pub fn render(args: RenderArgs) -> Result<()> {
    let fonts = Arc::new(Fonts::load(&crate::fonts::find(args.fonts.as_deref())?)?);
    let channels = exported(&args)?;
    // Pictures go to disk as they are drawn (a county's do not fit in
    // memory), beside the export, and are copied into it at the end.
    // Removed when the export is done, however it ends.
    let scratch = crate::backup::Scratch::new(args.out.join(".blobs"));
    let blobs = crate::publish::blobs::Blobs::open(scratch.path())
        .with_context(|| format!("cannot write in {}", args.out.display()))?;
    let mut renderer = Renderer::new(&channels, fonts).with_blobs(Arc::new(blobs));
    // A progress bar for people at a terminal; scripts and logs get the summary only.
    let bars = std::io::IsTerminal::is_terminal(&std::io::stderr()).then(indicatif::MultiProgress::new);
    if let Some(multi) = bars.clone() {
        let style = indicatif::ProgressStyle::with_template("{prefix:>6} [{bar:40.cyan/blue}] {pos}/{len} screens")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> ");
        let open: std::sync::Mutex<std::collections::HashMap<String, indicatif::ProgressBar>> = Default::default();
        renderer = renderer.with_progress(Box::new(move |profile, done, total| {
            let mut open = open.locked();
            let bar = open.entry(profile.to_string()).or_insert_with(|| {
                let bar = multi.add(indicatif::ProgressBar::new(total as u64));
                bar.set_style(style.clone());
                bar.set_prefix(profile.to_string());
                bar
            });
            bar.set_position(done as u64);
            if done == total {
                bar.finish();
            }
        }));
    }
    let (generation, report) = renderer.render_at(Trigger::Export, None, true);
    drop(bars);
    say(&format!("{}\n", report.line()));
    for p in &report.problems {
        say(&format!("  {p}\n"));
    }
    let generation = generation.context("nothing rendered")?;
    let files = crate::export::write(&generation, &args.out)?;
    drop(scratch);
    say(&format!("wrote {files} files to {}\n", args.out.display()));
    Ok(())
}
