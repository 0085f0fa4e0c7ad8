//! The `infotv` command: parses the command line and hands over to the library.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use infotv::config::WatchMode;
use infotv::fonts::Fonts;
use infotv::pipeline::{rebuild, Live, Renderer};

#[derive(Parser)]
#[command(name = "infotv", version, about = "A folder of files as a TV information channel")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the channel to set-top boxes (the default).
    Serve(ServeArgs),
    /// Render the channel once and write a static export that any HTTP server can serve.
    Render(RenderArgs),
    /// Check a channel folder and report its problems by file; exit 1 when there are any.
    Check(CheckArgs),
}

#[derive(clap::Args, Clone)]
struct CheckArgs {
    /// The channel folder.
    #[arg(long, env = "INFOTV_CHANNELS", default_value = "channels")]
    channels: PathBuf,
    /// The folder holding the typefaces.
    #[arg(long, env = "INFOTV_FONTS", default_value = "fonts")]
    fonts: PathBuf,
}

#[derive(clap::Args, Clone)]
struct RenderArgs {
    /// The channel folder.
    #[arg(long, env = "INFOTV_CHANNELS", default_value = "channels")]
    channels: PathBuf,
    /// The folder holding the typefaces.
    #[arg(long, env = "INFOTV_FONTS", default_value = "fonts")]
    fonts: PathBuf,
    /// Where to write the export.
    #[arg(long)]
    out: PathBuf,
}

#[derive(clap::Args, Clone)]
struct ServeArgs {
    /// The channel folder.
    #[arg(long, env = "INFOTV_CHANNELS", default_value = "channels")]
    channels: PathBuf,
    /// Where boxes connect.
    #[arg(long, env = "INFOTV_LISTEN", default_value = "0.0.0.0:8080")]
    listen: SocketAddr,
    /// The folder holding the typefaces.
    #[arg(long, env = "INFOTV_FONTS", default_value = "fonts")]
    fonts: PathBuf,
    /// How long the channel folder must be quiet before a render, in ms.
    #[arg(long, env = "INFOTV_QUIET_MS", default_value_t = 300)]
    quiet_ms: u64,
    /// How to notice changes: file events, polling (for SMB/NFS shares), or
    /// auto (site.toml's [watch], else polling on network file systems).
    #[arg(long, env = "INFOTV_WATCH", value_enum, default_value = "auto")]
    watch: WatchArg,
    /// Time between scans when polling, in ms.
    #[arg(long, env = "INFOTV_POLL_MS", default_value_t = 2000)]
    poll_ms: u64,
    /// Where operators connect (status, history, problems, statistics).
    #[arg(long, env = "INFOTV_ADMIN_LISTEN", default_value = "127.0.0.1:8081")]
    admin_listen: SocketAddr,
    /// The operators' token; when unset, the one saved in the data folder, or
    /// a new one printed at first start.
    #[arg(long, env = "INFOTV_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Render history, problems, viewing statistics and the saved generation live here.
    #[arg(long, env = "INFOTV_DATA", default_value = "data")]
    data: PathBuf,
    /// Open box connections before the oldest are asked to close.
    #[arg(long, env = "INFOTV_MAX_CONNECTIONS", default_value_t = 10_000)]
    max_connections: usize,
    /// Seconds a box connection may wait without a whole request (idle
    /// keep-alive, or headers trickling in) before it is closed.
    #[arg(long, env = "INFOTV_IDLE_SECONDS", default_value_t = 10)]
    idle_seconds: u64,
    /// Threads answering boxes, each serving its connections in turn
    /// (0: one per core).
    #[arg(long, env = "INFOTV_WORKERS", default_value_t = 0)]
    workers: usize,
    /// The ffmpeg that encodes the broadcast loop (site.toml's [loop]).
    #[arg(long, env = "INFOTV_FFMPEG", default_value = "ffmpeg")]
    ffmpeg: PathBuf,
    /// Whether this server encodes the broadcast loop site.toml asks for
    /// (off: a second server, or one whose loop another machine encodes).
    #[arg(long = "loop", env = "INFOTV_LOOP", value_enum, default_value = "on")]
    broadcast: OnOff,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq)]
enum OnOff {
    On,
    Off,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum WatchArg {
    Auto,
    Events,
    Poll,
}

fn main() -> Result<()> {
    // Plain key=value lines for journald by default; one JSON object per line
    // for log shippers with INFOTV_LOG_FORMAT=json. The level comes from RUST_LOG.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    if std::env::var("INFOTV_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().flatten_event(true).init();
    } else {
        // Colour codes only on a terminal: under systemd, journald stores plain text.
        builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout())).init();
    }
    infotv::pipeline::tune_allocator();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Serve(args)) => serve(args),
        Some(Command::Render(args)) => render(args),
        Some(Command::Check(args)) => check(args),
        None => serve(cli.serve),
    }
}

/// Prints to stdout; a closed pipe (`infotv check | head`) is not an error.
fn say(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn check(args: CheckArgs) -> Result<()> {
    let fonts = Fonts::load(&args.fonts)?;
    let (site, problems) = infotv::check::problems(&args.channels, &fonts);
    say(&infotv::check::report(&site, &problems));
    if !problems.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}

fn render(args: RenderArgs) -> Result<()> {
    let fonts = Arc::new(Fonts::load(&args.fonts)?);
    let mut renderer = Renderer::new(&args.channels, fonts);
    // A progress bar for people at a terminal; scripts and logs get the summary only.
    let bars = std::io::IsTerminal::is_terminal(&std::io::stderr()).then(indicatif::MultiProgress::new);
    if let Some(multi) = bars.clone() {
        let style = indicatif::ProgressStyle::with_template("{prefix:>6} [{bar:40.cyan/blue}] {pos}/{len} screens")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> ");
        let open: std::sync::Mutex<std::collections::HashMap<String, indicatif::ProgressBar>> = Default::default();
        renderer = renderer.with_progress(Box::new(move |profile, done, total| {
            let mut open = open.lock().unwrap_or_else(|e| e.into_inner());
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
    let (generation, report) = renderer.render_at("export", None, true);
    drop(bars);
    say(&format!("{}\n", report.line()));
    for p in &report.problems {
        say(&format!("  {p}\n"));
    }
    let generation = generation.context("nothing rendered")?;
    let files = infotv::export::write(&generation, &args.out)?;
    say(&format!("wrote {files} files to {}\n", args.out.display()));
    Ok(())
}

fn serve(args: ServeArgs) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        // One listener for SIGTERM/Ctrl-C, registered before anything else
        // runs, fanned out to every part that must stop: a listener of its
        // own per part could register after the signal came and never stop.
        let stopping = stop_on_signal()?;
        let shutdown_signal = move || {
            let mut rx = stopping.clone();
            async move {
                let _ = rx.wait_for(|stop| *stop).await;
            }
        };
        // The faces load while the saved generation is read.
        let fonts_dir = args.fonts.clone();
        let fonts = std::thread::spawn(move || Fonts::load(&fonts_dir));
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let admin_listener = tokio::net::TcpListener::bind(args.admin_listen)
            .await
            .with_context(|| format!("cannot listen on {} (--admin-listen)", args.admin_listen))?;
        let live = Arc::new(Live::new());

        // What was on air when the last run stopped (or was killed) goes on
        // air again at once; the first render replaces it when it is done.
        let t = std::time::Instant::now();
        let saved = infotv::publish::disk::load(&args.data);
        let fonts = fonts.join().map_err(|_| anyhow::anyhow!("loading the fonts panicked"))??;
        let fonts = Arc::new(fonts);
        let renderer = Arc::new(Renderer::new(&args.channels, fonts.clone()));
        let restored = match saved {
            Ok(Some(r)) => {
                tracing::info!(
                    generation = %r.generation.id,
                    screens = r.generation.screen_count(),
                    bytes = r.bytes,
                    memo = r.memo.len(),
                    ms = t.elapsed().as_millis() as u64,
                    "on air from the saved generation"
                );
                let id = r.generation.id.clone();
                renderer.seed_memo(r.memo);
                live.swap(Arc::new(r.generation));
                Some(id)
            }
            Ok(None) => None,
            Err(e) => {
                live.set_fault("onair-load", Some(format!("保存的播出版本无法读取，已忽略：{e:#}")));
                None
            }
        };

        // The store is for operators: when the data folder is unusable the
        // boxes are served anyway, and the admin pages say why.
        let store = infotv::store::Store::open(&args.data).map(Arc::new).map_err(|e| {
            tracing::error!("history and statistics are off: {e:#}");
            format!("{e:#}")
        });
        let salt = store.as_ref().ok().and_then(|s| s.salt().ok()).unwrap_or_else(|| infotv::admin::random_hex(32));
        let metrics = Arc::new(infotv::metrics::Metrics::new(salt));
        let (token, made) = infotv::admin::token(args.admin_token.clone(), &args.data)?;
        let admin = Arc::new(infotv::admin::Admin::new(live.clone(), store, metrics.clone(), token.clone()));
        // Subscribed before the first render, so that one is recorded too.
        let records = tokio::spawn(infotv::admin::keep_records(admin.clone(), live.subscribe()));
        let flusher = tokio::spawn(infotv::admin::flush_views(admin.clone(), Duration::from_secs(10)));
        let saver = tokio::spawn(infotv::pipeline::keep_on_disk(
            live.clone(),
            renderer.clone(),
            args.data.clone(),
            live.subscribe(),
            restored.clone(),
        ));

        let watch = infotv::watch::Watch::start(
            renderer.clone(),
            live.clone(),
            infotv::watch::Options {
                quiet: Duration::from_millis(args.quiet_ms),
                mode: match args.watch {
                    WatchArg::Auto => WatchMode::Auto,
                    WatchArg::Events => WatchMode::Events,
                    WatchArg::Poll => WatchMode::Poll,
                },
                poll_interval: Duration::from_millis(args.poll_ms.max(100)),
            },
        )?;
        let (r, l) = (renderer.clone(), live.clone());
        let first = tokio::task::spawn_blocking(move || rebuild(&r, &l, "start"));
        if restored.is_none() {
            // Nothing to serve until the first render is done.
            first.await?;
        }
        let addr = listener.local_addr()?;
        let admin_addr = admin_listener.local_addr()?;
        let shown =
            |a: SocketAddr| if a.ip().is_unspecified() { format!("127.0.0.1:{}", a.port()) } else { a.to_string() };
        // One write: tests read these lines and may close the pipe after them.
        let mut banner = format!(
            "infotv: serving {} on http://{}/ (boxes: http://<this-host>:{}/)\ninfotv: operators on http://{}/",
            args.channels.display(),
            shown(addr),
            addr.port(),
            shown(admin_addr)
        );
        if made {
            banner.push_str(&format!(
                "\ninfotv: admin token {token} (saved in {})",
                args.data.join("admin-token").display()
            ));
        }
        {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(format!("{banner}\n").as_bytes());
            let _ = out.flush();
        }
        let watcher = tokio::spawn(watch.run(shutdown_signal()));
        let live_dir = args.data.join("live");
        live.set_live_dir(live_dir.clone());
        let encoders = infotv::broadcast::encoder::run(
            live.clone(),
            fonts,
            infotv::broadcast::encoder::Options {
                ffmpeg: args.ffmpeg.clone(),
                live: live_dir,
                data: args.data.clone(),
            },
            shutdown_signal(),
        );
        let broadcast = tokio::spawn(async move {
            if args.broadcast == OnOff::On {
                encoders.await;
            }
        });
        let admin_server = tokio::spawn(infotv::admin::run(admin_listener, admin.clone(), shutdown_signal()));
        let limits = infotv::serve::Limits {
            max_connections: args.max_connections.max(1),
            idle: Duration::from_secs(args.idle_seconds.max(1)),
            workers: args.workers,
        };
        infotv::serve::run_with(listener, live, metrics, limits, shutdown_signal()).await?;
        // The loop's encoders end their segments and stop.
        let _ = tokio::time::timeout(Duration::from_secs(5), broadcast).await;
        watcher.abort();
        flusher.abort();
        saver.abort();
        let _ = admin_server.await;
        records.abort();
        // Views counted since the last flush.
        let _ = tokio::task::spawn_blocking(move || admin.flush()).await;
        Ok(())
    })
}

/// Completes on SIGINT or SIGTERM.
/// Starts listening for SIGTERM and Ctrl-C now; the receiver turns true
/// when either comes.
fn stop_on_signal() -> Result<tokio::sync::watch::Receiver<bool>> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::spawn(async move {
        #[cfg(unix)]
        let term = term.recv();
        #[cfg(not(unix))]
        let term = std::future::pending::<Option<()>>();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term => {}
        }
        let _ = tx.send(true);
    });
    Ok(rx)
}
