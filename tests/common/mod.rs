//! Helpers shared by the integration tests: the real fonts, fixture channels
//! copied to temp folders, servers on free ports and a plain HTTP client.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use infotv::fonts::Fonts;

pub mod households;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped fonts, loaded once per test binary.
pub fn fonts() -> Arc<Fonts> {
    static FONTS: OnceLock<Arc<Fonts>> = OnceLock::new();
    FONTS.get_or_init(|| Arc::new(Fonts::load(&root().join("fonts")).unwrap())).clone()
}

pub fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

/// A writable copy of a fixture channel.
pub fn copy_fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture(name), dir.path());
    dir
}

/// Every file under `dir`, in no particular order.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            files.extend(files_under(&e.path()));
        } else {
            files.push(e.path());
        }
    }
    files
}

pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The whole server (`infotv::app`: both ports, watcher, store, saver),
/// started in this process on free ports with a data folder of its own.
/// Dropping it stops it as SIGTERM would and waits until every part ended.
pub struct Server {
    pub addr: SocketAddr,
    pub admin: SocketAddr,
    pub station: infotv::pipeline::Station,
    pub data: tempfile::TempDir,
    runtime: Option<tokio::runtime::Runtime>,
    stop: tokio::sync::watch::Sender<bool>,
    ended: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Server {
    pub fn start(channels: &Path) -> Server {
        Server::start_with(channels, infotv::watch::Options::new(Duration::from_millis(200)))
    }

    /// A server whose watcher runs with `options`.
    pub fn start_with(channels: &Path, options: infotv::watch::Options) -> Server {
        let data = tempfile::tempdir().unwrap();
        let mut config = infotv::app::Config::new(channels, data.path());
        config.fonts = root().join("fonts");
        config.admin_token = Some(ADMIN_TOKEN.to_string());
        config.watch = options;
        config.encode_loop = false;
        Server::start_config(config, data)
    }

    /// A server of `channels` whose clock (sessions, lockouts, the audit
    /// log, answers) the test moves.
    pub fn start_with_clock(channels: &Path) -> (Server, Arc<infotv::clock::Clock>) {
        let data = tempfile::tempdir().unwrap();
        let mut config = infotv::app::Config::new(channels, data.path());
        config.fonts = root().join("fonts");
        config.admin_token = Some(ADMIN_TOKEN.to_string());
        config.encode_loop = false;
        let clock = Arc::new(infotv::clock::Clock::default());
        config.clock = clock.clone();
        (Server::start_config(config, data), clock)
    }

    /// A server run with `config` (its data folder is `data`).
    pub fn start_config(config: infotv::app::Config, data: tempfile::TempDir) -> Server {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let app = runtime.block_on(async {
            let listeners = infotv::app::Listeners::bind(loopback, loopback).await.unwrap();
            infotv::app::App::start(config, listeners).await.unwrap()
        });
        let (addr, admin) = app.addresses().unwrap();
        let station = app.station().clone();
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let ended = runtime.spawn(app.run(stopped));
        Server { addr, admin, station, data, runtime: Some(runtime), stop, ended: Some(ended) }
    }

    pub fn get(&self, path: &str) -> Response {
        request(self.addr, "GET", path)
    }

    /// Stops the server as SIGTERM does and waits until every part ended:
    /// what `app::run` returned.
    pub fn stop(mut self) -> anyhow::Result<()> {
        self.stop_now()
    }

    /// Stops the server (as [`Server::stop`]) and hands over its data
    /// folder, to look at what it left behind.
    pub fn stop_keeping_data(mut self) -> tempfile::TempDir {
        self.stop_now().unwrap();
        std::mem::replace(&mut self.data, tempfile::tempdir().unwrap())
    }

    fn stop_now(&mut self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        let (Some(rt), Some(ended)) = (self.runtime.take(), self.ended.take()) else { return Ok(()) };
        let result = rt.block_on(async { tokio::time::timeout(Duration::from_secs(30), ended).await });
        rt.shutdown_timeout(Duration::from_secs(2));
        match result {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => Err(anyhow::anyhow!("app::run panicked: {e}")),
            Err(_) => Err(anyhow::anyhow!("app::run did not end within 30 s")),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop_now();
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// One HTTP/1.1 request on a fresh connection, read to the end.
pub fn request(addr: SocketAddr, method: &str, path: &str) -> Response {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(stream, "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    parse_response(&raw)
}

pub fn parse_response(raw: &[u8]) -> Response {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("no header end");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
    Response { status, headers, body: raw[split + 4..].to_vec() }
}

/// Polls `f` every 50 ms until it returns `Some` or `limit` passes.
pub fn wait_for<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if std::time::Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The admin token test servers are started with.
pub const ADMIN_TOKEN: &str = "test-token-5f2b9c";

/// `infotv serve`, the real binary, on free ports; killed on drop.
pub struct Binary {
    child: Child,
    pub boxes: SocketAddr,
    pub admin: SocketAddr,
    pub banner: String,
    /// Everything the server printed so far (the banner first).
    pub log: Arc<std::sync::Mutex<String>>,
    _data: Option<tempfile::TempDir>,
}

impl Binary {
    /// The binary serving `channels`, with a data folder of its own.
    pub fn start(channels: &Path) -> Binary {
        let data = tempfile::tempdir().unwrap();
        let mut b = Binary::start_with(channels, data.path(), Some(ADMIN_TOKEN));
        b._data = Some(data);
        b
    }

    pub fn start_with(channels: &Path, data: &Path, token: Option<&str>) -> Binary {
        Binary::start_opts(channels, data, token, &[], "warn")
    }

    /// [`Binary::start_with`] with more arguments and a log level (its log
    /// lines collect in `log`).
    pub fn start_opts(channels: &Path, data: &Path, token: Option<&str>, extra: &[&str], level: &str) -> Binary {
        Binary::start_exe(Path::new(env!("CARGO_BIN_EXE_infotv")), channels, data, token, extra, level)
    }

    /// [`Binary::start_opts`] with another executable (another build).
    pub fn start_exe(
        exe: &Path,
        channels: &Path,
        data: &Path,
        token: Option<&str>,
        extra: &[&str],
        level: &str,
    ) -> Binary {
        let mut cmd = Command::new(exe);
        cmd.current_dir(root())
            .args(["serve", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--quiet-ms", "150"])
            .arg("--channels")
            .arg(channels)
            .arg("--data")
            .arg(data)
            .args(extra)
            // The broadcast loop (ffmpeg) only where a test asks for it.
            .args(if extra.contains(&"--loop") { &[][..] } else { &["--loop", "off"][..] })
            .env("RUST_LOG", level)
            .env("NO_COLOR", "1")
            .env_remove("INFOTV_ADMIN_TOKEN")
            .stdout(Stdio::piped());
        if let Some(t) = token {
            cmd.args(["--admin-token", t]);
        }
        let mut child = cmd.spawn().unwrap();
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut banner = String::new();
        let mut before = String::new();
        while !banner.contains("operators on") {
            let mut line = String::new();
            assert!(reader.read_line(&mut line).unwrap() > 0, "the server ended: {before}{banner}");
            if line.starts_with("infotv: ") {
                banner.push_str(&line);
            } else {
                before.push_str(&line);
            }
        }
        // Keep reading so the server never writes into a closed pipe.
        let log = Arc::new(std::sync::Mutex::new(format!("{before}{banner}")));
        let sink = log.clone();
        std::thread::spawn(move || {
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                sink.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        let url = |marker: &str| -> SocketAddr {
            let line = banner.lines().find(|l| l.contains(marker)).unwrap();
            let url = line.split_whitespace().find(|w| w.starts_with("http")).unwrap();
            url.split_once("://").unwrap().1.trim_end_matches('/').parse().unwrap()
        };
        Binary { boxes: url("serving"), admin: url("operators on"), banner: banner.clone(), log, child, _data: None }
    }

    /// The server's resident memory now, in KB (VmRSS).
    pub fn rss_kb(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// What the server logged so far.
    pub fn logged(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Kills the server with SIGKILL, as a crash or the OOM killer would.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and waits up to `limit` for the exit: its status, or
    /// `None` if it was still running (it is then killed).
    pub fn stop_within(mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        signal(self.child.id(), libc::SIGTERM);
        let until = std::time::Instant::now() + limit;
        while std::time::Instant::now() < until {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Asks the server to stop as systemd does, and waits for it.
    pub fn stop(mut self) {
        signal(self.child.id(), libc::SIGTERM);
        let status = self.child.wait().unwrap();
        assert!(status.success(), "a clean shutdown: {status:?}");
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `infotv ARGS --data DATA` with `stdin`; whether it succeeded, and
/// what it printed (stdout then stderr).
pub fn infotv(args: &[&str], data: &Path, stdin: &str) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_infotv"))
        .args(args)
        .arg("--data")
        .arg(data)
        .env_remove("INFOTV_DATA")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// A request with extra header lines, read to the end (or only its head for
/// endless streams). A POST says it comes from the server's own pages
/// (`Origin`), as a browser's form does, unless `headers` name an Origin.
pub fn send(addr: SocketAddr, method: &str, path: &str, headers: &[&str], body: &str, head_only: bool) -> Response {
    let origin = format!("Origin: http://{addr}");
    let mut with: Vec<&str> = headers.to_vec();
    if method == "POST" && !headers.iter().any(|h| h.to_ascii_lowercase().starts_with("origin:")) {
        with.push(&origin);
    }
    send_as_is(addr, method, path, &with, body, head_only)
}

/// [`send`] with exactly the header lines given: no `Origin` added.
pub fn send_as_is(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[&str],
    body: &str,
    head_only: bool,
) -> Response {
    exchange(TcpStream::connect(addr).unwrap(), addr, method, path, headers, body, head_only)
}

/// A connection to `addr` from the loopback address `from` (127.0.0.2, …):
/// another machine, as far as the server can tell.
pub fn connect_from(from: &str, addr: SocketAddr) -> TcpStream {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let stream = runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
        socket.connect(addr).await.unwrap()
    });
    let stream = stream.into_std().unwrap();
    stream.set_nonblocking(false).unwrap();
    stream
}

/// [`send`] from the loopback address `from`.
pub fn send_from(from: &str, addr: SocketAddr, method: &str, path: &str, headers: &[&str], body: &str) -> Response {
    let origin = format!("Origin: http://{addr}");
    let mut with: Vec<&str> = headers.to_vec();
    if method == "POST" && !headers.iter().any(|h| h.to_ascii_lowercase().starts_with("origin:")) {
        with.push(&origin);
    }
    exchange(connect_from(from, addr), addr, method, path, &with, body, false)
}

fn exchange(
    mut stream: TcpStream,
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[&str],
    body: &str,
    head_only: bool,
) -> Response {
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for h in headers {
        req.push_str(h);
        req.push_str("\r\n");
    }
    if !body.is_empty() {
        req.push_str(&format!("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    if head_only {
        let mut buf = [0u8; 4096];
        while !raw.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buf).unwrap();
            assert!(n > 0);
            raw.extend_from_slice(&buf[..n]);
        }
    } else {
        stream.read_to_end(&mut raw).unwrap();
    }
    parse_response(&raw)
}

pub fn get(addr: SocketAddr, path: &str, headers: &[&str]) -> Response {
    send(addr, "GET", path, headers, "", false)
}

/// Logs in on the operators' port as a browser does: the form first (its
/// CSRF token in a field and a cookie), then the post. The answer to the post.
pub fn login(admin: SocketAddr, name: &str, password: &str) -> Response {
    login_from("127.0.0.1", admin, name, password)
}

/// [`login`] from the loopback address `from`.
pub fn login_from(from: &str, admin: SocketAddr, name: &str, password: &str) -> Response {
    let form = send_from(from, admin, "GET", "/login", &[], "");
    let cookie = form.header("set-cookie").unwrap().split(';').next().unwrap().to_string();
    let page = form.text();
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect()
    };
    let body = format!("name={}&password={}&csrf={csrf}", enc(name), enc(password));
    send_from(from, admin, "POST", "/login", &[&format!("Cookie: {cookie}")], &body)
}

/// A `Cookie:` header line of a new session of `name`.
pub fn session(admin: SocketAddr, name: &str, password: &str) -> String {
    let r = login(admin, name, password);
    assert_eq!(r.status, 303, "{name} logs in: {}", r.text());
    let set =
        r.headers.iter().find(|(k, v)| k.eq_ignore_ascii_case("set-cookie") && v.starts_with("infotv_admin=")).unwrap();
    format!("Cookie: {}", set.1.split(';').next().unwrap())
}

/// Sends `signal` to process `pid`, as `kill` does.
#[allow(unsafe_code)]
pub fn signal(pid: u32, signal: i32) {
    // SAFETY: kill(2) takes plain integers and touches no memory of ours.
    let sent = unsafe { libc::kill(pid as i32, signal) };
    assert_eq!(sent, 0, "kill -{signal} {pid}: {}", std::io::Error::last_os_error());
}

/// Makes a named pipe at `path`, as `mkfifo` does.
#[allow(unsafe_code)]
pub fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let name = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `name` is a NUL-terminated string that outlives the call.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0, "mkfifo {}", path.display());
}

/// The graph of `profile` as served.
pub fn graph(addr: std::net::SocketAddr, profile: &str) -> serde_json::Value {
    get(addr, &format!("/api/v1/{profile}/graph.json"), &[]).json()
}

/// The places screen titled `title`.
pub fn places(graph: &serde_json::Value, title: &str) -> (String, serde_json::Value) {
    graph["screens"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, s)| s["kind"] == "places" && s["title"] == title)
        .map(|(id, s)| (id.clone(), s.clone()))
        .unwrap_or_else(|| panic!("no places screen {title}"))
}

/// The header of a request made with [`ADMIN_TOKEN`].
pub fn bearer() -> String {
    format!("Authorization: Bearer {ADMIN_TOKEN}")
}
