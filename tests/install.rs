//! infotv as a server package: the Debian package built and opened, the
//! installed binary serving from `/` with no fonts flag, backups taken
//! under load and restored, a damaged backup refused, the data folder of
//! the last release opened, a newer one refused.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::common::{self, Binary};

/// Runs a command; its status and what it printed (stdout then stderr).
fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// The package of the binary these tests built, by `deploy/build-deb`
/// (cargo-deb, as a release is built, but packing this binary).
fn build_package(dir: &Path) -> PathBuf {
    let target = dir.join("target");
    std::fs::create_dir_all(target.join("release")).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_infotv"), target.join("release/infotv")).unwrap();
    let out = dir.join("deb");
    let (ok, text) = run(Command::new(common::root().join("deploy/build-deb"))
        .env("CARGO_TARGET_DIR", &target)
        .args(["--no-build", "--fast", "--quiet", "-o"])
        .arg(&out));
    assert!(ok, "deploy/build-deb failed (tests/run installs cargo-deb):\n{text}");
    let debs: Vec<PathBuf> = std::fs::read_dir(&out).unwrap().flatten().map(|e| e.path()).collect();
    assert_eq!(debs.len(), 1, "{debs:?}");
    debs[0].clone()
}

/// `dpkg-deb ARGS DEB`'s output.
fn dpkg_deb(args: &[&str], deb: &Path) -> String {
    let (ok, text) = run(Command::new("dpkg-deb").args(args).arg(deb));
    assert!(ok, "dpkg-deb {args:?}: {text}");
    text
}

/// `dpkg-deb OPTION DEB DIR`.
fn dpkg_deb_into(option: &str, deb: &Path, dir: &Path) {
    let (ok, text) = run(Command::new("dpkg-deb").arg(option).arg(deb).arg(dir));
    assert!(ok, "dpkg-deb {option}: {text}");
}

#[test]
fn the_package_installs_the_binary_fonts_unit_and_configs_and_serves_from_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let deb = build_package(dir.path());
    let control = dpkg_deb(&["--field"], &deb);
    let field =
        |name: &str| control.lines().find_map(|l| l.strip_prefix(&format!("{name}: "))).unwrap_or_default().to_string();
    assert_eq!(field("Package"), "infotv");
    assert_eq!(field("Version"), format!("{}-1", env!("CARGO_PKG_VERSION")));
    let depends = field("Depends");
    for needed in ["adduser", "poppler-utils", "libc6"] {
        assert!(depends.contains(needed), "Depends: {depends}");
    }

    // Files, their modes and owners, as dpkg will put them.
    let listing = dpkg_deb(&["--contents"], &deb);
    let entry = |path: &str| -> (String, String) {
        let line = listing
            .lines()
            .find(|l| l.ends_with(&format!(" .{path}")))
            .unwrap_or_else(|| panic!("{path} is not in the package:\n{listing}"));
        let mut parts = line.split_whitespace();
        (parts.next().unwrap().to_string(), parts.next().unwrap().to_string())
    };
    let wanted = [
        ("/usr/bin/infotv", "-rwxr-xr-x"),
        ("/usr/share/infotv/fonts/NotoSansSC-Regular.otf", "-rw-r--r--"),
        ("/usr/share/infotv/fonts/NotoSansSC-Bold.otf", "-rw-r--r--"),
        ("/usr/share/infotv/fonts/NotoSansSC-Extra.otf", "-rw-r--r--"),
        ("/usr/share/infotv/fonts/LICENSE-OFL.txt", "-rw-r--r--"),
        ("/usr/lib/systemd/system/infotv.service", "-rw-r--r--"),
        ("/usr/share/infotv/nginx/infotv-cache.conf", "-rw-r--r--"),
        ("/usr/share/infotv/nginx/infotv-edge.conf", "-rw-r--r--"),
        ("/usr/share/infotv/channels/site.toml", "-rw-r--r--"),
        ("/usr/share/doc/infotv/README.Debian", "-rw-r--r--"),
        ("/usr/share/doc/infotv/copyright", "-rw-r--r--"),
        // Secrets may go in it (a token, TLS paths): root's only.
        ("/etc/infotv/infotv.env", "-rw-------"),
    ];
    for (path, mode) in wanted {
        assert_eq!(entry(path), (mode.to_string(), "0/0".to_string()), "{path}");
    }
    // Every file of the shipped channel, and nothing of the build.
    let shipped = common::files_under(&common::root().join("channels")).len();
    let packed = listing.lines().filter(|l| l.starts_with('-') && l.contains("./usr/share/infotv/channels/")).count();
    assert_eq!(packed, shipped);
    assert!(!listing.contains("target/") && !listing.contains(".git"), "{listing}");

    // The maintainer scripts: the user, the folders, the unit enabled and
    // started; settings kept on upgrade (a conffile).
    let control_dir = dir.path().join("control");
    dpkg_deb_into("--control", &deb, &control_dir);
    let read = |name: &str| std::fs::read_to_string(control_dir.join(name)).unwrap_or_default();
    assert_eq!(read("conffiles").trim(), "/etc/infotv/infotv.env");
    let postinst = read("postinst");
    for needed in ["adduser --system", "/var/lib/infotv/data", "deb-systemd-helper", "infotv.service", "admin-password"]
    {
        assert!(postinst.contains(needed), "postinst lacks {needed}:\n{postinst}");
    }
    assert!(read("prerm").contains("infotv.service") && read("postrm").contains("infotv.service"));

    // The unit: the packaged binary, its own user, hardened.
    let root = dir.path().join("root");
    dpkg_deb_into("--extract", &deb, &root);
    let copyright = std::fs::read_to_string(root.join("usr/share/doc/infotv/copyright")).unwrap();
    assert!(copyright.contains("Files: usr/share/infotv/fonts/*\n") && copyright.contains("License: OFL-1.1"));
    let unit = std::fs::read_to_string(root.join("usr/lib/systemd/system/infotv.service")).unwrap();
    let exec = unit.lines().find_map(|l| l.strip_prefix("ExecStart=")).unwrap();
    assert_eq!(exec, "/usr/bin/infotv serve", "no --fonts: the binary finds the packaged ones");
    assert!(root.join(exec.split(' ').next().unwrap().trim_start_matches('/')).is_file());
    for line in [
        "User=infotv",
        "StateDirectory=infotv infotv/data infotv/recordings",
        // The audit anchor lives outside the data folder, in a folder of its own.
        "LogsDirectory=infotv",
        "Environment=INFOTV_AUDIT_ANCHOR=/var/log/infotv/audit-anchor",
        "Environment=INFOTV_RECORDINGS=/var/lib/infotv/recordings",
        "ProtectSystem=strict",
        "ProtectHome=true",
        "NoNewPrivileges=true",
        "CapabilityBoundingSet=",
        "MemoryDenyWriteExecute=true",
        "SystemCallFilter=@system-service",
        "UMask=0077",
        "EnvironmentFile=-/etc/infotv/infotv.env",
    ] {
        assert!(unit.lines().any(|l| l == line), "the unit lacks {line}");
    }

    // The installed binary, run from `/` with no flag but the folders and
    // ports (the operators' port too: tests run side by side, so not the
    // default 8081): it finds its fonts beside itself and serves the start
    // screen.
    let data = dir.path().join("data");
    let channels = common::fixture("basic");
    let mut child = Command::new(root.join("usr/bin/infotv"))
        .current_dir("/")
        .env_remove("INFOTV_FONTS")
        .args(["serve", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--channels"])
        .arg(&channels)
        .arg("--data")
        .arg(&data)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let boxes = banner_address(&mut child);
    let home = common::get(boxes, "/", &[]);
    let location = home.header("location").unwrap_or_else(|| panic!("/ answered {}", home.status)).to_string();
    let shell = common::get(boxes, &location, &[]);
    assert_eq!(shell.status, 200, "{location}");
    let picture = shell.text().split('"').find(|s| s.starts_with("/a/")).unwrap().to_string();
    assert_eq!(common::get(boxes, &picture, &[]).status, 200, "{picture}");
    let _ = child.kill();
    let _ = child.wait();
}

/// The box port from a server's banner (the process's stdout).
fn banner_address(child: &mut std::process::Child) -> std::net::SocketAddr {
    use std::io::BufRead;
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap() == 0 {
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            panic!("the installed binary did not start: {err}");
        }
        if line.contains("serving") {
            let url = line.split_whitespace().find(|w| w.starts_with("http")).unwrap();
            let addr = url.split_once("://").unwrap().1.trim_end_matches('/').parse().unwrap();
            // Drain the rest so the server never writes into a closed pipe.
            std::thread::spawn(move || for _ in reader.lines() {});
            return addr;
        }
    }
}

#[test]
fn version_names_the_release_and_the_build() {
    let (ok, text) = run(Command::new(env!("CARGO_BIN_EXE_infotv")).arg("--version"));
    assert!(ok, "{text}");
    let rest = text
        .trim()
        .strip_prefix(&format!("infotv {} (", env!("CARGO_PKG_VERSION")))
        .unwrap_or_else(|| panic!("{text}"));
    let build = rest.strip_suffix(')').unwrap();
    // A commit and its date from git, or what the packager set.
    let (commit, date) = build.split_once(' ').unwrap();
    assert!(commit.len() == 10 && commit.bytes().all(|b| b.is_ascii_hexdigit()), "{build}");
    assert!(chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok(), "{build}");
}

/// Rows in a table of a store file.
fn rows(data: &Path, sql: &str) -> i64 {
    let conn =
        rusqlite::Connection::open_with_flags(data.join("infotv.sqlite"), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// The writer's view rows.
const LOAD_VIEWS: &str = "SELECT count(*) FROM views WHERE column_title = '负载'";

/// Every file under `dir` and a hash of its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut files: Vec<_> = common::files_under(dir)
        .into_iter()
        .map(|p| {
            let hash = blake3::hash(&std::fs::read(&p).unwrap()).to_hex().to_string();
            (p, hash)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn a_backup_under_load_restores_every_row_and_a_damaged_one_is_refused() {
    let channels = common::copy_fixture("basic");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Binary::start_with(channels.path(), &data, Some(common::ADMIN_TOKEN));
    assert_eq!(common::get(server.boxes, "/", &[]).status, 302);
    common::wait_for(Duration::from_secs(30), || data.join("onair.bin").exists().then_some(())).unwrap();

    // A writer adds views and audit rows all through the backup, as the
    // server and the command line do.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (stop, data) = (stop.clone(), data.clone());
        std::thread::spawn(move || {
            let store = infotv::store::Store::open(&data).unwrap();
            let mut n = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let key = infotv::store::ViewKey {
                    day: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(u64::from(n / 24)),
                    hour: n % 24,
                    profile: "sd".into(),
                    screen: format!("a-{n:08x}"),
                    column: "负载".into(),
                    item: "子项".into(),
                };
                store.add_views(&[(key, 3)].into_iter().collect(), &Default::default()).unwrap();
                infotv::audit::by_command_line(&store, infotv::audit::Action::Export, &format!("load {n}"), "ok")
                    .unwrap();
                n += 1;
            }
            n
        })
    };
    common::wait_for(Duration::from_secs(10), || (rows(&data, "SELECT count(*) FROM audit") > 20).then_some(()))
        .unwrap();
    let before = (rows(&data, LOAD_VIEWS), rows(&data, "SELECT count(*) FROM audit"));
    let file = dir.path().join("infotv-backup.tar.gz");
    let (ok, printed) = common::infotv(&["backup", "--out", file.to_str().unwrap()], &data, "");
    let after = (rows(&data, LOAD_VIEWS), rows(&data, "SELECT count(*) FROM audit"));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.join().unwrap();
    assert!(ok, "{printed}");
    assert!(after.1 > before.1 + 1, "the writer kept writing during the backup: {before:?} {after:?} ({written})");

    // The file is whole, under its name only, its owner's only, and its
    // checksum is printed.
    let bytes = std::fs::read(&file).unwrap();
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&file).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "password hashes and phone numbers are in it");
    let blake3 = blake3::hash(&bytes).to_hex().to_string();
    assert!(printed.contains(&format!("{} bytes, blake3 {blake3}", bytes.len())), "{printed}");
    // Operators see it on the dashboard, with the release serving.
    let auth = format!("Authorization: Bearer {}", common::ADMIN_TOKEN);
    let status = common::get(server.admin, "/api/v1/status", &[&auth]).json();
    assert_eq!(status["version"], infotv::VERSION);
    assert_eq!(status["last_backup"]["file"], file.display().to_string());
    assert!(status["last_backup"]["result"].as_str().unwrap().contains(&blake3), "{status}");
    let metrics = common::get(server.admin, "/metrics", &[&auth]).text();
    let build = format!("infotv_build_info{{version=\"{}\",build=\"", env!("CARGO_PKG_VERSION"));
    assert!(metrics.contains(&build), "{metrics}");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(leftovers.len(), 2, "only the data folder and the backup: {leftovers:?}");

    // Restored into a fresh folder: one moment of the store, every row up
    // to it, the audit chain whole, the generation with its blobs.
    let fresh = dir.path().join("fresh");
    let (ok, text) = common::infotv(&["restore", file.to_str().unwrap()], &fresh, "");
    assert!(ok, "{text}");
    let audit = rows(&fresh, "SELECT count(*) FROM audit") - 1; // the restore's own row
    let views = rows(&fresh, LOAD_VIEWS);
    assert!((before.1..=after.1).contains(&audit), "audit rows {audit} not within {before:?}..{after:?}");
    assert!((before.0..=after.0).contains(&views), "view rows {views} not within {before:?}..{after:?}");
    assert_eq!(rows(&fresh, "SELECT max(id) FROM audit"), audit + 1, "no row missing in the chain");
    // Each load step writes a view row, then an audit row: a snapshot of
    // one moment holds as many of each, or the view row of a step cut in two.
    let loads = rows(&fresh, "SELECT count(*) FROM audit WHERE target LIKE 'load %'");
    assert!(views == loads || views == loads + 1, "one moment: {views} view rows, {loads} audit rows");
    let (ok, text) = common::infotv(&["audit", "verify"], &fresh, "");
    assert!(ok && text.contains("完整"), "{text}");
    let restore_row =
        format!("SELECT count(*) FROM audit WHERE action = 'data.restore' AND result LIKE '%blake3 {blake3}%'");
    assert_eq!(rows(&fresh, &restore_row), 1, "the restore is in the restored audit log, naming the file's checksum");
    let live_backup_row = rows(&data, "SELECT count(*) FROM audit WHERE action = 'data.backup'");
    assert_eq!(live_backup_row, 1, "the backup is in the live audit log");
    assert!(fresh.join("onair.bin").is_file() && fresh.join("blobs").is_dir());

    // The restored folder serves at once from its generation.
    let restored = Binary::start_opts(channels.path(), &fresh, None, &[], "info");
    assert!(restored.logged().contains("on air from the saved generation"), "{}", restored.logged());
    assert_eq!(common::get(restored.boxes, "/", &[]).status, 302);
    drop(restored);

    // A folder a server is using, or one that holds data, is not replaced.
    let (ok, text) = common::infotv(&["restore", file.to_str().unwrap()], &data, "");
    assert!(!ok && text.contains("another infotv"), "{text}");
    drop(server);
    let (ok, text) = common::infotv(&["restore", file.to_str().unwrap()], &data, "");
    assert!(!ok && text.contains("already holds infotv data") && text.contains("--replace"), "{text}");
    let (ok, text) = common::infotv(&["restore", "--replace", file.to_str().unwrap()], &data, "");
    assert!(ok, "{text}");
    let aside = std::fs::read_dir(&data)
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with("before-restore-"));
    let aside = aside.expect("what was there is moved aside").path();
    assert!(rows(&aside, "SELECT count(*) FROM audit") >= after.1, "nothing of the old folder is lost");

    // Damaged: cut short, a byte changed inside, the last byte changed
    // (gzip's length), junk. Each is refused and the folder is untouched.
    let target = dir.path().join("target");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep.txt"), "an operator's file").unwrap();
    let untouched = snapshot(&target);
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 0x20;
    let mut tail = bytes.clone();
    *tail.last_mut().unwrap() ^= 1;
    let cases: [(&str, Vec<u8>); 4] = [
        ("cut", bytes[..bytes.len() * 2 / 3].to_vec()),
        ("flipped", flipped),
        ("tail", tail),
        ("junk", b"not a backup at all".to_vec()),
    ];
    for (name, damaged) in cases {
        let path = dir.path().join(format!("{name}.tar.gz"));
        std::fs::write(&path, damaged).unwrap();
        let (ok, text) = common::infotv(&["restore", "--replace", path.to_str().unwrap()], &target, "");
        assert!(!ok, "{name}: restored a damaged backup: {text}");
        assert!(text.contains("not a whole infotv backup"), "{name}: {text}");
        let now: Vec<_> = snapshot(&target).into_iter().filter(|(p, _)| !p.ends_with("infotv.lock")).collect();
        assert_eq!(now, untouched, "{name}: the folder changed");
    }
}

#[test]
fn the_data_folder_of_the_last_release_opens_and_a_newer_one_is_refused() {
    // Made by infotv 0.1.0 (tests/fixtures/make_release_data.py), kept as made.
    let old = common::copy_fixture("release-0.1.0");
    let (channels, data) = (old.path().join("channels"), old.path().join("data"));
    let server = Binary::start_opts(&channels, &data, None, &[], "info");
    assert!(server.logged().contains("on air from the saved generation"), "{}", server.logged());
    assert_eq!(common::get(server.boxes, "/", &[]).status, 302);
    server.stop();
    assert_eq!(rows(&data, "PRAGMA user_version") as usize, infotv::store::SCHEMA);
    assert!(rows(&data, "SELECT sum(count) FROM views") >= 48, "the old statistics are there");
    let (ok, text) = common::infotv(&["account", "list"], &data, "");
    assert!(ok && text.contains("zhang.wei") && text.contains("reviewer"), "{text}");
    let (ok, text) = common::infotv(&["audit", "verify"], &data, "");
    assert!(ok, "the old audit chain goes on: {text}");

    // A folder a newer release wrote: refused before anything is touched,
    // by the server, a backup and a restore of its backup.
    let newer = common::copy_fixture("release-0.1.0");
    let data = newer.path().join("data");
    let file = newer.path().join("b.tar.gz");
    let (ok, text) = common::infotv(&["backup", "--out", file.to_str().unwrap()], &data, "");
    assert!(ok, "{text}");
    let conn = rusqlite::Connection::open(data.join("infotv.sqlite")).unwrap();
    conn.pragma_update(None, "user_version", (infotv::store::SCHEMA + 1) as i64).unwrap();
    drop(conn);
    let before = snapshot(&data);
    let (ok, text) = run(Command::new(env!("CARGO_BIN_EXE_infotv"))
        .current_dir(common::root())
        .args(["serve", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--loop", "off", "--channels"])
        .arg(newer.path().join("channels"))
        .arg("--data")
        .arg(&data));
    assert!(!ok && text.contains("written by a newer infotv"), "{text}");
    assert_eq!(snapshot(&data), before, "nothing in it was written");
    let (ok, text) = common::infotv(&["backup", "--out", newer.path().join("c").to_str().unwrap()], &data, "");
    assert!(!ok && text.contains("written by a newer infotv"), "{text}");

    // A backup taken by a newer release is refused by restore.
    let staged = newer.path().join("unpacked");
    std::fs::create_dir(&staged).unwrap();
    let (ok, text) = run(Command::new("tar").arg("xzf").arg(&file).arg("-C").arg(&staged));
    assert!(ok, "{text}");
    let store = staged.join("infotv-backup/infotv.sqlite");
    let conn = rusqlite::Connection::open(&store).unwrap();
    conn.pragma_update(None, "user_version", (infotv::store::SCHEMA + 1) as i64).unwrap();
    drop(conn);
    // Its manifest is made to match, as a newer release would have written it.
    let manifest_path = staged.join("infotv-backup/manifest.json");
    let mut manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    let sqlite = std::fs::read(&store).unwrap();
    for m in manifest["members"].as_array_mut().unwrap() {
        if m["path"] == "infotv.sqlite" {
            m["bytes"] = sqlite.len().into();
            m["blake3"] = blake3::hash(&sqlite).to_hex().to_string().into();
        }
    }
    std::fs::write(&manifest_path, serde_json::to_vec(&manifest).unwrap()).unwrap();
    let repacked = newer.path().join("newer.tar.gz");
    let mut members = vec!["infotv-backup/infotv.sqlite".to_string(), "infotv-backup/onair.bin".to_string()];
    let mut blobs: Vec<String> = std::fs::read_dir(staged.join("infotv-backup/blobs"))
        .unwrap()
        .flatten()
        .map(|e| format!("infotv-backup/blobs/{}", e.file_name().to_string_lossy()))
        .collect();
    blobs.sort();
    members.extend(blobs);
    members.push("infotv-backup/manifest.json".into());
    let (ok, text) = run(Command::new("tar").arg("czf").arg(&repacked).arg("-C").arg(&staged).args(&members));
    assert!(ok, "{text}");
    let (ok, text) = common::infotv(&["restore", repacked.to_str().unwrap()], &newer.path().join("fresh"), "");
    assert!(!ok && text.contains("newer infotv"), "{text}");
    assert!(!newer.path().join("fresh/infotv.sqlite").exists());
}

#[test]
fn a_damaged_saved_generation_is_left_out_of_a_backup_and_said_the_store_is_kept() {
    let folder = common::copy_fixture("release-0.1.0");
    let data = folder.path().join("data");
    let onair = data.join("onair.bin");
    let mut bytes = std::fs::read(&onair).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&onair, bytes).unwrap();
    let file = folder.path().join("b.tar.gz");
    let (ok, text) = common::infotv(&["backup", "--out", file.to_str().unwrap()], &data, "");
    assert!(ok, "{text}");
    assert!(text.contains("warning") && text.contains("saved generation cannot be read"), "{text}");
    assert!(text.contains("generation none (0 blobs)"), "{text}");
    let fresh = folder.path().join("fresh");
    let (ok, text) = common::infotv(&["restore", file.to_str().unwrap()], &fresh, "");
    assert!(ok, "{text}");
    assert!(!fresh.join("onair.bin").exists());
    assert_eq!(rows(&fresh, "SELECT count(*) FROM accounts"), 2);
    let (ok, text) = common::infotv(&["audit", "verify"], &fresh, "");
    assert!(ok, "{text}");
}
