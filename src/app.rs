//! The whole server: a validated [`Config`], the parts it starts, and the
//! order they stop in. `main` parses the command line into a `Config` and
//! calls [`App::start`] then [`App::run`]; the integration tests do the same
//! on free ports (tests/app.rs).
//!
//! Starting: the fonts load while the saved generation is read and put on
//! air; the store opens (or the server runs without it); the watcher starts
//! before the first render, so nothing written during it is missed; the
//! first render runs (awaited only when nothing was saved).
//!
//! Stopping, in this order, each part awaited, none aborted:
//! 1. both ports stop accepting; answers in flight finish (up to 10 s);
//! 2. the watcher stops: no render starts after this;
//! 3. the loop's encoders end their segments (up to 5 s);
//! 4. the saver, the render recorder and the view flusher finish what they
//!    were told, and the views counted since the last flush are written.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::admin::{self, Admin};
use crate::driver::{rebuild, Driver};
use crate::fonts::Fonts;
use crate::health::Fault;
use crate::metrics::Metrics;
use crate::pipeline::{Renderer, Station};
use crate::renderlog::Trigger;
use crate::{broadcast, publish, save, serve, store};

/// Everything the server needs to know, validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub channels: PathBuf,
    pub fonts: PathBuf,
    /// History, statistics, the token and the saved generation.
    pub data: PathBuf,
    /// The read-only `operator` token for scrapers (`--admin-token`);
    /// `None` reads the one an older infotv saved in `data`, if any.
    pub admin_token: Option<String>,
    /// Certificate and key (PEM) for TLS on the operators' port; needed
    /// when it listens on anything but loopback.
    pub admin_tls: Option<(PathBuf, PathBuf)>,
    /// A session idle this long ends.
    pub session_idle: Duration,
    /// The clock of sessions, lockouts and the audit log (tests move it).
    pub clock: Arc<crate::clock::Clock>,
    pub watch: crate::watch::Options,
    pub limits: serve::Limits,
    pub ffmpeg: PathBuf,
    /// Whether this server encodes the loop site.toml asks for.
    pub encode_loop: bool,
    /// The only folder a TS file may be written in (`--recordings`).
    pub recordings: Option<PathBuf>,
    /// Proxies whose forwarded addresses are believed (`--edge`).
    pub edges: crate::net::Edges,
    /// Where the audit log's head is anchored outside the data folder.
    pub audit_anchor: Option<PathBuf>,
    /// The system log's socket every audit row also goes to.
    pub audit_syslog: Option<PathBuf>,
    /// Days an API token lives.
    pub token_days: u32,
    /// Open connections the operators' port takes.
    pub admin_max_connections: usize,
}

impl Config {
    /// A config with the command line's defaults for `channels` and `data`.
    pub fn new(channels: impl Into<PathBuf>, data: impl Into<PathBuf>) -> Config {
        Config {
            channels: channels.into(),
            fonts: PathBuf::from("fonts"),
            data: data.into(),
            admin_token: None,
            admin_tls: None,
            session_idle: Duration::from_secs(30 * 60),
            clock: Arc::default(),
            watch: crate::watch::Options::new(Duration::from_millis(300)),
            limits: serve::Limits::default(),
            ffmpeg: PathBuf::from("ffmpeg"),
            encode_loop: true,
            recordings: None,
            edges: crate::net::Edges::default(),
            audit_anchor: None,
            audit_syslog: Some(PathBuf::from("/dev/log")),
            token_days: 90,
            admin_max_connections: 256,
        }
    }
}

/// The two ports, bound before anything starts (so a port in use is the
/// first error, and tests can bind port 0 and read the address back).
pub struct Listeners {
    pub boxes: TcpListener,
    pub admin: TcpListener,
}

impl Listeners {
    pub async fn bind(boxes: SocketAddr, admin: SocketAddr) -> Result<Listeners> {
        let b = crate::net::listen(boxes).with_context(|| format!("cannot listen on {boxes}"))?;
        let a = crate::net::listen(admin).with_context(|| format!("cannot listen on {admin} (--admin-listen)"))?;
        Ok(Listeners { boxes: b, admin: a })
    }
}

/// Renders as the render log tells them.
type Renders = tokio::sync::broadcast::Receiver<Arc<crate::renderlog::Report>>;

/// A started server, serving once [`App::run`] is called.
pub struct App {
    config: Config,
    listeners: Listeners,
    station: Station,
    admin: Arc<Admin>,
    metrics: Arc<Metrics>,
    fonts: Arc<Fonts>,
    /// The renderer on air, with the review desk and the store around it.
    driver: Arc<Driver>,
    watch: crate::watch::Watch,
    /// The first render, still running when a saved generation is on air.
    first: Option<JoinHandle<()>>,
    /// The recorder's and the saver's subscriptions to the render log,
    /// taken before the first render, so it is recorded and saved too.
    told: [Renders; 2],
    /// The id on disk, when this very binary saved it (see [`restore`]).
    saved: Option<String>,
    /// The first `admin`'s password, made at this start, to be shown once.
    pub first_password: Option<String>,
    tls: Option<Arc<rustls::ServerConfig>>,
    /// Where households' answers go, when the data folder is usable.
    answers: Option<Arc<crate::answers::Intake>>,
    /// The data folder, this server's until it has stopped.
    _claim: crate::datadir::Claim,
}

impl App {
    /// Loads, restores and renders: when this returns, a generation is on
    /// air (the saved one or the first render's).
    pub async fn start(config: Config, listeners: Listeners) -> Result<App> {
        // Refused before anything is loaded or written.
        let tls = admin_tls(&config, &listeners)?;
        let claim = crate::datadir::claim(&config.data)?;
        let recordings = folders_apart(&config)?;
        let fonts_dir = config.fonts.clone();
        let fonts = std::thread::spawn(move || Fonts::load(&fonts_dir));
        let station = Station::new();
        // What was on air when the last run stopped (or was killed) goes on
        // air again at once; the first render replaces it when it is done.
        let loaded = Instant::now();
        // Without a usable data folder the pictures stay in memory: the
        // boxes are served all the same.
        let blobs = publish::blobs::Blobs::open(&config.data.join(publish::blobs::DIR)).unwrap_or_else(|e| {
            tracing::error!("the data folder cannot hold the channel's pictures; they stay in memory: {e}");
            publish::blobs::Blobs::in_memory()
        });
        let blobs = Arc::new(blobs);
        let saved = publish::disk::load(&config.data, &blobs);
        let fonts = Arc::new(fonts.join().map_err(|_| anyhow::anyhow!("loading the fonts panicked"))??);
        let renderer = Arc::new(
            Renderer::new(&config.channels, fonts.clone())
                .with_blobs(blobs.clone())
                .with_spool(&config.data.join("pictures")),
        );
        let saved = restore(saved, &station, &renderer, loaded);

        // The store is for operators: when the data folder is unusable the
        // boxes are served anyway, and the admin pages say why.
        let syslog = config.audit_syslog.clone();
        let store = store::Store::open(&config.data).map(|s| Arc::new(s.with_syslog(syslog))).map_err(|e| {
            tracing::error!("history and statistics are off: {e:#}");
            format!("{e:#}")
        });
        let salt = store.as_ref().ok().and_then(|s| s.salt().ok()).unwrap_or_else(|| crate::ids::random_hex(32));
        let metrics = Arc::new(Metrics::new(salt));
        let first_password = match &store {
            Ok(s) => admin::first_admin(s, &config.data, config.clock.now())?,
            Err(_) => None,
        };
        let options = admin::auth::Options {
            idle: config.session_idle,
            tls: tls.is_some(),
            token: admin::legacy_token(config.admin_token.clone(), &config.data),
            token_days: config.token_days,
        };
        let (driver, answers) = drive(renderer, &store, &config.data);
        // Its own spool: each renderer sweeps what it does not use.
        let previewer = Arc::new(
            Renderer::new(&config.channels, fonts.clone())
                .with_blobs(blobs)
                .with_spool(&config.data.join("pictures-preview")),
        );
        let admin = Arc::new(Admin::new(admin::Parts {
            station: station.clone(),
            store,
            metrics: metrics.clone(),
            data: config.data.clone(),
            options,
            clock: config.clock.clone(),
            driver: driver.clone(),
            previewer,
            max_connections: config.admin_max_connections,
        }));

        let told = [station.log.subscribe(), station.log.subscribe()];
        let watch = crate::watch::Watch::start(driver.clone(), station.clone(), config.watch)?;
        let (r, st) = (driver.clone(), station.clone());
        let mut first = Some(tokio::task::spawn_blocking(move || drop(rebuild(&r, &st, Trigger::Start))));
        if let (None, Some(render)) = (station.on_air.current(), first.take()) {
            // Nothing to serve until the first render is done.
            render.await?;
        }
        let config = Config { recordings, ..config };
        let app = App {
            config,
            listeners,
            station,
            admin,
            metrics,
            fonts,
            driver,
            watch,
            first,
            told,
            saved,
            first_password,
            tls,
            answers,
            _claim: claim,
        };
        Ok(app)
    }

    /// The generation on air, the render log and the server's health.
    pub fn station(&self) -> &Station {
        &self.station
    }

    /// Whether the operators' port speaks TLS.
    pub fn admin_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Where boxes and operators connect.
    pub fn addresses(&self) -> Result<(SocketAddr, SocketAddr)> {
        Ok((self.listeners.boxes.local_addr()?, self.listeners.admin.local_addr()?))
    }

    /// Serves until `stop` turns true, then stops every part in order (see
    /// the module's comment) and returns when all have ended.
    pub async fn run(self, stop: watch::Receiver<bool>) -> Result<()> {
        let App {
            config,
            listeners,
            station,
            admin,
            metrics,
            fonts,
            driver,
            watch,
            first,
            told,
            saved,
            tls,
            answers,
            // Held until every part has stopped.
            _claim,
            ..
        } = self;
        let [to_record, to_save] = told;
        let stopped = || {
            let mut rx = stop.clone();
            async move {
                let _ = rx.wait_for(|s| *s).await;
            }
        };
        let records = tokio::spawn(admin::keep_records(admin.clone(), to_record, stopped()));
        let refresher = answers.clone().map(|desk| {
            tokio::spawn(crate::answers::refresh_results(desk, driver.clone(), station.clone(), stopped()))
        });
        let saver = tokio::spawn(save::keep_on_disk(
            station.on_air.clone(),
            station.health.clone(),
            config.data.clone(),
            to_save,
            saved,
            stopped(),
        ));
        let flusher = tokio::spawn(admin::flush_views(admin.clone(), Duration::from_secs(10), stopped()));
        let refused = tokio::spawn(admin::strangers::keep(admin.clone(), stopped()));
        let anchor = anchor_task(&config, &admin, stopped());
        let watcher = tokio::spawn(watch.run(stopped()));
        let hls = config.data.join("live");
        let encoders = config.encode_loop.then(|| {
            let options = broadcast::encoder::Options {
                ffmpeg: config.ffmpeg.clone(),
                live: hls.clone(),
                data: config.data.clone(),
                recordings: config.recordings.clone(),
            };
            tokio::spawn(broadcast::encoder::run(station.clone(), fonts, options, stopped()))
        });
        let operators = tokio::spawn(admin::run(listeners.admin, admin.clone(), tls, stopped()));
        let on_demand = crate::ondemand::OnDemand::new(driver.renderer().clone(), crate::ondemand::BUDGET);
        let channel = serve::Channel {
            on_air: station.on_air.clone(),
            hls: Some(hls),
            answers: answers.clone(),
            clock: config.clock.clone(),
            edges: config.edges.clone(),
            on_demand: Some(on_demand.clone()),
        };
        let boxes = serve::run(listeners.boxes, channel, metrics, config.limits, stopped());

        // 1. Both ports drain.
        let (served, operated) = tokio::join!(boxes, operators);
        served?;
        operated.context("the operators' port panicked")??;
        // Nothing asks for screens made at request time any more.
        on_demand.stop();
        // 2. No render starts after this; one under way finishes. Every
        // answer taken is committed already; the writer's thread ends.
        watcher.await.context("the watcher panicked")??;
        if let Some(refresher) = refresher {
            refresher.await.context("the results refresher panicked")?;
        }
        if let Some(desk) = answers {
            let _ = tokio::task::spawn_blocking(move || desk.writer.close()).await;
        }
        if let Some(first) = first {
            first.await.context("the first render panicked")?;
        }
        // 3. The loop's encoders end their segments.
        if let Some(encoders) = encoders {
            if tokio::time::timeout(Duration::from_secs(5), encoders).await.is_err() {
                tracing::warn!("shutdown: the loop's encoders did not stop within 5 s");
            }
        }
        // 4. What was told is written down.
        saver.await.context("the saver panicked")?;
        records.await.context("the render recorder panicked")?;
        flusher.await.context("the view flusher panicked")?;
        refused.await.context("the audit of failed attempts panicked")?;
        let _ = tokio::task::spawn_blocking(move || admin.flush()).await;
        // 5. The audit log's head, anchored once more after its last row.
        if let Some(anchor) = anchor {
            anchor.await.context("the audit anchor panicked")?;
        }
        Ok(())
    }
}

/// The hourly audit anchor, when one is configured and there is a store.
fn anchor_task(
    config: &Config,
    admin: &Admin,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Option<JoinHandle<()>> {
    let (file, store) = (config.audit_anchor.as_ref()?, admin.store.as_ref()?);
    Some(tokio::spawn(anchor_hourly(store.clone(), file.clone(), config.clock.clone(), stop)))
}

/// The folders the server writes besides the data folder, checked to lie
/// outside it: the audit anchor, and the recordings folder (its real path).
fn folders_apart(config: &Config) -> Result<Option<PathBuf>> {
    if let Some(anchor) = &config.audit_anchor {
        anchor_outside(anchor, &config.data)?;
    }
    let Some(dir) = &config.recordings else { return Ok(None) };
    let real = broadcast::output::recordings(dir, &config.data, &config.channels)
        .map_err(|e| anyhow::anyhow!("--recordings: {e}"))?;
    Ok(Some(real))
}

/// Refuses an anchor file inside the data folder: one who can rewrite the
/// store can rewrite that too.
fn anchor_outside(anchor: &std::path::Path, data: &std::path::Path) -> Result<()> {
    let dir = anchor.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("--audit-anchor: cannot make {}", dir.display()))?;
    let (dir, data) = (dir.canonicalize()?, data.canonicalize()?);
    anyhow::ensure!(
        !dir.starts_with(&data),
        "--audit-anchor {} is inside the data folder {}: anyone who can rewrite the audit log could rewrite it too; \
         put it elsewhere (the package uses /var/log/infotv/audit-anchor)",
        anchor.display(),
        data.display()
    );
    Ok(())
}

/// Writes the audit log's head to the anchor file at the start, every
/// hour, and once more after the last row when the server stops.
async fn anchor_hourly(
    store: Arc<store::Store>,
    file: PathBuf,
    clock: Arc<crate::clock::Clock>,
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    loop {
        let (s, f, now) = (store.clone(), file.clone(), clock.now());
        match tokio::task::spawn_blocking(move || crate::audit::write_anchor(&s, &f, now)).await {
            Ok(Err(e)) => tracing::error!("the audit anchor {} was not written: {e:#}", file.display()),
            Err(e) => tracing::error!("the audit anchor task failed: {e}"),
            Ok(Ok(())) => {}
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(3600)) => {}
            () = &mut stop => break,
        }
    }
    let now = clock.now();
    let _ = tokio::task::spawn_blocking(move || crate::audit::write_anchor(&store, &file, now)).await;
}

/// TLS for the operators' port from the config's files. Anywhere but
/// loopback the port carries passwords over a network: without the files
/// infotv refuses to start.
fn admin_tls(config: &Config, listeners: &Listeners) -> Result<Option<Arc<rustls::ServerConfig>>> {
    let at = listeners.admin.local_addr()?;
    match &config.admin_tls {
        Some((cert, key)) => Ok(Some(admin::tls::server_config(cert, key)?)),
        None if at.ip().is_loopback() => Ok(None),
        None => anyhow::bail!(
            "the operators' port {at} is not on loopback, so passwords would cross the network in clear text: \
             give --admin-tls-cert FILE and --admin-tls-key FILE (PEM), or keep --admin-listen on 127.0.0.1"
        ),
    }
}

/// The renderer on air with what it renders for: review and poll counts
/// when the store opened, and the intake of households' answers.
fn drive(
    renderer: Arc<Renderer>,
    store: &std::result::Result<Arc<store::Store>, String>,
    data: &std::path::Path,
) -> (Arc<Driver>, Option<Arc<crate::answers::Intake>>) {
    let Ok(store) = store else { return (Arc::new(Driver::new(renderer)), None) };
    let answers = crate::answers::Intake::open(store.clone(), data)
        .map_err(|e| tracing::error!("answers are off: {e:#}"))
        .ok()
        .map(Arc::new);
    let desk = Arc::new(crate::review::Desk::new(store.clone(), data));
    (Arc::new(Driver::with_store(renderer, desk, store.clone())), answers)
}

/// Puts the saved generation on air and seeds the renderer's memo from it;
/// returns its id when this very binary saved it, else `None`: one saved by
/// another build (before an upgrade) is saved again after the first render,
/// with this build's drawing keys, or every restart would redraw the whole
/// channel until its content changed (the id, a hash of what boxes see,
/// does not change with the build).
fn restore(
    saved: Result<Option<publish::disk::Restored>>,
    station: &Station,
    renderer: &Renderer,
    since: Instant,
) -> Option<String> {
    match saved {
        Ok(Some(r)) => {
            tracing::info!(
                generation = %r.generation.id,
                screens = r.generation.screen_count(),
                bytes = r.bytes,
                memo = r.memo.len(),
                ms = since.elapsed().as_millis() as u64,
                "on air from the saved generation"
            );
            let id = r.generation.id.clone();
            renderer.seed_memo(r.memo);
            if r.same_binary {
                renderer.seed_shells(&r.generation);
            }
            station.on_air.swap(Arc::new(r.generation));
            r.same_binary.then_some(id)
        }
        Ok(None) => None,
        Err(e) => {
            station.health.set_fault(Fault::OnAirLoad, Some(format!("保存的播出版本无法读取，已忽略：{e:#}")));
            None
        }
    }
}

/// A watch channel that turns true on SIGTERM or Ctrl-C. Registered before
/// anything else runs: a listener of its own per part could register after
/// the signal came and never stop.
pub fn stop_on_signal() -> Result<watch::Receiver<bool>> {
    let (tx, rx) = watch::channel(false);
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
