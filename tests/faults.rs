//! Faults from outside: a crash at any moment, a channel folder that goes
//! away, a data folder that cannot be written, a font that is missing. Each
//! with the real binary (or the real renderer and files), never a mock.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::path::Path;
use std::time::Duration;

use common::{get, request, wait_for, Binary, ADMIN_TOKEN};
use infotv::driver::{rebuild, Driver};
use infotv::pipeline::{Renderer, Station};
use infotv::publish::blobs::Blobs;
use infotv::publish::disk;

fn bearer() -> String {
    format!("Authorization: Bearer {ADMIN_TOKEN}")
}

fn on_air(addr: std::net::SocketAddr) -> String {
    let r = request(addr, "GET", "/healthz");
    assert_eq!(r.status, 200, "{}", r.text());
    r.text().split_whitespace().nth(1).unwrap().to_string()
}

fn faults(server: &Binary) -> Vec<String> {
    let status = get(server.admin, "/api/v1/status", &[&bearer()]).json();
    status["faults"].as_array().unwrap().iter().map(|f| f["fault"].as_str().unwrap().to_string()).collect()
}

#[test]
fn the_saved_generation_round_trips_and_damage_is_refused() {
    let channels = common::copy_fixture("basic");
    let data = tempfile::tempdir().unwrap();
    let blobs = std::sync::Arc::new(Blobs::open(&data.path().join("blobs")).unwrap());
    let driver =
        Driver::new(std::sync::Arc::new(Renderer::new(channels.path(), common::fonts()).with_blobs(blobs.clone())));
    let renderer = driver.renderer();
    let station = Station::new();
    rebuild(&driver, &station, "start");
    let g = station.on_air.current().unwrap();
    assert!(disk::load(data.path(), &blobs).unwrap().is_none(), "nothing saved yet");
    let saved = disk::save(data.path(), &g, &mut disk::SaveMemo::default()).unwrap();
    assert_eq!(std::fs::metadata(data.path().join(disk::FILE)).unwrap().len(), saved.bytes);

    // The bytes are stored by their content's name; the manifest names them.
    let names: Vec<&str> = g.blob_names().collect();
    assert!(names.len() > g.assets.len(), "assets, shells and texts");
    for name in &names {
        let bytes = blobs.read(name).unwrap();
        assert!(blake3::hash(&bytes).to_hex().starts_with(name.split('.').next().unwrap()), "{name}");
    }
    // Reopened as after a restart.
    let blobs = std::sync::Arc::new(Blobs::open(&data.path().join("blobs")).unwrap());
    let restored = disk::load(data.path(), &blobs).unwrap().unwrap();
    let r = &restored.generation;
    assert_eq!((&r.id, &r.title, &r.default_profile, r.built_at), (&g.id, &g.title, &g.default_profile, g.built_at));
    assert_eq!(r.assets.len(), g.assets.len());
    for (name, a) in &g.assets {
        let (b, body) = r.asset(name).unwrap();
        assert_eq!(body.bytes, g.asset(name).unwrap().1.bytes, "{name}");
        assert_eq!(b.content_type, a.content_type);
        assert!(body.at.is_some(), "{name}: sent from its file");
    }
    for (name, p) in &g.profiles {
        let q = &r.profiles[name];
        assert_eq!(
            (&q.graph_json, &q.graph_etag, &q.start, &q.profile),
            (&p.graph_json, &p.graph_etag, &p.start, &p.profile)
        );
        assert_eq!(q.screens.len(), p.screens.len());
        for (id, s) in &p.screens {
            let t = &q.screens[id];
            assert_eq!(
                (&t.shells, &t.etags, &t.text, &t.section, &t.drawn),
                (&s.shells, &s.etags, &s.text, &s.section, &s.drawn)
            );
            assert_eq!(t.graph, s.graph);
        }
    }
    // The same binary reads its memo back: a restart redraws nothing unchanged.
    let keys = |m: &[disk::MemoEntry]| {
        m.iter().map(|(k, r)| (*k, r.base.name.clone())).collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(keys(&restored.memo), keys(&renderer.memo_entries()));
    let again =
        Driver::new(std::sync::Arc::new(Renderer::new(channels.path(), common::fonts()).with_blobs(blobs.clone())));
    again.renderer().seed_memo(restored.memo);
    // ... and its shells: the render after a restart makes none again, and
    // its generation holds the very screens restored (no second copy).
    assert!(restored.same_binary);
    again.renderer().seed_shells(&restored.generation);
    let restored = std::sync::Arc::new(restored.generation);
    let station2 = Station::new();
    station2.on_air.swap(restored.clone());
    let report = rebuild(&again, &station2, "start");
    assert_eq!((report.rendered, report.generation.as_str()), (0, g.id.as_str()), "{}", report.line());
    let now = station2.on_air.current().unwrap();
    assert!(!std::sync::Arc::ptr_eq(&now, &restored), "a new generation went on air");
    for (name, p) in &now.profiles {
        for (id, s) in &p.screens {
            assert!(std::sync::Arc::ptr_eq(s, &restored.profiles[name].screens[id]), "{name}/{id} made again");
        }
    }

    // Damage of every kind is refused, never served: the manifest cut,
    // flipped or not ours, or a blob it names gone.
    let file = data.path().join(disk::FILE);
    let good = std::fs::read(&file).unwrap();
    let mut flipped = good.clone();
    let at = flipped.len() / 2;
    flipped[at] ^= 0x40;
    for (what, bytes) in [
        ("cut short", good[..good.len() - 1000].to_vec()),
        ("a bit flipped", flipped),
        ("not ours", b"<html>".to_vec()),
        ("empty", Vec::new()),
    ] {
        std::fs::write(&file, &bytes).unwrap();
        let err = disk::load(data.path(), &blobs).err().unwrap_or_else(|| panic!("{what}: loaded"));
        assert!(format!("{err:#}").contains("damaged"), "{what}: {err:#}");
    }
    std::fs::write(&file, &good).unwrap();
    // A blob the manifest names missing from the store's index (an index
    // lost with its pack): refused.
    let shell = g.profiles["sd"].screens["home"].shells[0].clone();
    let idx = data.path().join("blobs/pack-000001.idx");
    let lines = std::fs::read_to_string(&idx).unwrap();
    let without: String = lines.lines().filter(|l| !l.starts_with(&shell)).map(|l| format!("{l}\n")).collect();
    std::fs::write(&idx, without).unwrap();
    let err = disk::load(data.path(), &std::sync::Arc::new(Blobs::open(&data.path().join("blobs")).unwrap())).err();
    assert!(format!("{:#}", err.unwrap()).contains(&format!("{shell} is not in the blobs")));
    std::fs::write(&idx, lines).unwrap();
    // A bucket of screen records damaged inside its pack: refused.
    let manifest: serde_json::Value = serde_json::from_slice(&good[48..]).unwrap();
    let bucket = manifest["profiles"][0]["buckets"][0].as_str().unwrap().to_string();
    let (pack, offset) = std::fs::read_dir(data.path().join("blobs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "idx"))
        .find_map(|idx| {
            let lines = std::fs::read_to_string(&idx).unwrap();
            let line = lines.lines().find(|l| l.starts_with(&bucket))?.to_string();
            Some((idx.with_extension("dat"), line.split(' ').nth(1).unwrap().parse::<usize>().unwrap()))
        })
        .unwrap();
    let packed = std::fs::read(&pack).unwrap();
    let mut damaged = packed.clone();
    damaged[offset + 3] ^= 0x01;
    std::fs::write(&pack, &damaged).unwrap();
    let err = disk::load(data.path(), &std::sync::Arc::new(Blobs::open(&data.path().join("blobs")).unwrap())).err();
    assert!(format!("{:#}", err.unwrap()).contains("does not hash to its name"));
    std::fs::write(&pack, &packed).unwrap();
}

/// How many bytes a file may grow to in the run of
/// [`a_save_that_stops_part_way_leaves_the_saved_generation_whole`] that
/// the kernel limits, and where its data folder is.
const LIMITED: &str = "INFOTV_FAULTS_FILE_LIMIT";

/// A save that stops part way, as on a full disk: this test runs itself
/// again with the kernel's limit on a file's size (RLIMIT_FSIZE) below the
/// generation's, so the write fails in the kernel (EFBIG) after some of it
/// is on the disk. The saved generation stays whole, and nothing is left
/// beside it.
#[test]
fn a_save_that_stops_part_way_leaves_the_saved_generation_whole() {
    let channels = common::fixture("basic");
    let render = || {
        let renderer = Renderer::new(&channels, common::fonts());
        renderer.render_at("test", None, true).0.unwrap()
    };
    if let Some(dir) = std::env::var_os(LIMITED) {
        // The limited run: its save must fail, with the kernel's reason.
        let err = disk::save(std::path::Path::new(&dir), &render(), &mut disk::SaveMemo::default()).err().unwrap();
        assert!(format!("{err:#}").contains("File too large"), "{err:#}");
        return;
    }
    let data = tempfile::tempdir().unwrap();
    disk::save(data.path(), &render(), &mut disk::SaveMemo::default()).unwrap();
    let file = data.path().join(disk::FILE);
    let good = std::fs::read(&file).unwrap();
    let listed = || {
        let mut names: Vec<_> = std::fs::read_dir(data.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        names
    };
    let before = listed();
    let limit = (good.len() / 2) as u64;
    let mut run = std::process::Command::new(std::env::current_exe().unwrap());
    run.args(["--exact", "faults::a_save_that_stops_part_way_leaves_the_saved_generation_whole", "--nocapture"])
        .env(LIMITED, data.path());
    limit_file_size(&mut run, limit);
    let out = run.output().unwrap();
    let told = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && told.contains("1 passed"), "the limited run: {told}");
    assert_eq!(std::fs::read(&file).unwrap(), good, "the saved generation is the old one, whole");
    assert_eq!(listed(), before, "nothing left beside it");
}

/// Has `command` run with files limited to `bytes`, a write past that
/// failing (SIGXFSZ ignored) rather than killing it.
#[allow(unsafe_code)]
fn limit_file_size(command: &mut std::process::Command, bytes: u64) {
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec the closure only makes two system
    // calls that are async-signal-safe; it allocates nothing.
    unsafe {
        command.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit { rlim_cur: bytes, rlim_max: bytes };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Every picture the graphs of both profiles name, as served: each must
/// hash to its name (names are content hashes); every shell whole.
fn every_picture_is_right(server: &Binary) -> usize {
    fn pictures(v: &serde_json::Value, out: &mut std::collections::BTreeSet<String>) {
        match v {
            serde_json::Value::String(s) if s.starts_with("/a/") => {
                out.insert(s.clone());
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| pictures(v, out)),
            serde_json::Value::Object(o) => o.values().for_each(|v| pictures(v, out)),
            _ => {}
        }
    }
    let mut names = std::collections::BTreeSet::new();
    for profile in ["sd", "hd"] {
        pictures(&request(server.boxes, "GET", &format!("/api/v1/{profile}/graph.json")).json(), &mut names);
    }
    assert!(names.len() > 5, "{names:?}");
    // And every shell: whole HTML, naming its screen.
    for profile in ["sd", "hd"] {
        let graph = request(server.boxes, "GET", &format!("/api/v1/{profile}/graph.json")).json();
        for id in graph["screens"].as_object().unwrap().keys() {
            let r = request(server.boxes, "GET", &format!("/tv/{profile}/{id}.html"));
            let html = String::from_utf8(r.body).unwrap_or_default();
            assert_eq!(r.status, 200, "{profile}/{id}");
            assert!(html.starts_with("<!DOCTYPE HTML") && html.ends_with("</html>\n"), "{profile}/{id}: {html:.80}");
            assert!(html.contains(id.as_str()), "{profile}/{id}");
        }
    }
    for path in &names {
        let r = request(server.boxes, "GET", path);
        assert_eq!(r.status, 200, "{path}");
        let hash = path.trim_start_matches("/a/").split('.').next().unwrap();
        assert_eq!(&blake3::hash(&r.body).to_hex()[..hash.len()], hash, "{path}: wrong bytes");
    }
    names.len()
}

fn sent_from_file(server: &Binary) -> u64 {
    let metrics = get(server.admin, "/metrics", &[&bearer()]).text();
    let line = metrics.lines().find(|l| l.starts_with("infotv_http_sendfile_bytes_total ")).expect("metric");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn pictures_and_shells_go_out_from_the_blob_packs_with_sendfile() {
    let channels = common::copy_fixture("basic");
    let data = tempfile::tempdir().unwrap();
    let server = Binary::start_opts(channels.path(), data.path(), Some(ADMIN_TOKEN), &[], "info");
    let sent = wait_for(Duration::from_secs(10), || {
        every_picture_is_right(&server);
        Some(sent_from_file(&server)).filter(|&n| n > 0)
    })
    .expect("pictures are sent from their files");
    let n = every_picture_is_right(&server);
    let sent_again = sent_from_file(&server);
    assert!(sent_again > sent, "{sent} then {sent_again}");
    assert!(n > 5);
}

#[test]
fn after_a_restart_pictures_still_go_out_from_the_saved_file() {
    let channels = common::copy_fixture("basic");
    let data = tempfile::tempdir().unwrap();
    let start = || Binary::start_opts(channels.path(), data.path(), Some(ADMIN_TOKEN), &[], "info");
    let server = start();
    wait_for(Duration::from_secs(20), || data.path().join(disk::FILE).exists().then_some(()))
        .expect("the generation is saved");
    let first = on_air(server.boxes);
    server.stop();

    // On air from the file at once; then the start render finds nothing
    // changed and puts an equal generation on air, which is not saved again:
    // its pictures and shells must still be sent from the file.
    let server = start();
    wait_for(Duration::from_secs(20), || server.logged().contains("trigger=start").then_some(()))
        .expect("the start render finishes");
    assert_eq!(on_air(server.boxes), first, "nothing changed");
    let before = sent_from_file(&server);
    every_picture_is_right(&server);
    let after = sent_from_file(&server);
    assert!(after > before, "sent from the file after the start render: {before} then {after}");
}

#[test]
fn the_generation_restored_at_a_start_is_let_go_of_once_replaced() {
    let channels = common::copy_fixture("basic");
    let server = common::Server::start(channels.path());
    wait_for(Duration::from_secs(20), || server.data.path().join(disk::FILE).exists().then_some(()))
        .expect("the generation is saved");
    let data = server.stop_keeping_data();
    let mut config = infotv::app::Config::new(channels.path(), data.path());
    config.fonts = common::root().join("fonts");
    config.admin_token = Some(ADMIN_TOKEN.to_string());
    config.encode_loop = false;
    let server = common::Server::start_config(config, data);
    let restored = server.station.on_air.current().expect("on air from the saved file");
    let gone = std::sync::Arc::downgrade(&restored);
    drop(restored);
    // The start render puts an equal generation on air; nothing (the
    // watcher waiting for changes, say) may keep the restored one alive: a
    // county's generation is a hundred MB.
    wait_for(Duration::from_secs(20), || {
        let now = server.station.on_air.current()?;
        (!std::ptr::eq(std::sync::Arc::as_ptr(&now), gone.as_ptr())).then_some(())
    })
    .expect("the start render went on air");
    wait_for(Duration::from_secs(5), || gone.upgrade().is_none().then_some(()))
        .expect("the restored generation is freed");
}

/// `rendered=` of the log's line for the start render, once there is one.
fn start_rendered(server: &Binary) -> Option<u64> {
    let log = server.logged();
    let line = log.lines().find(|l| l.contains(" render ") && l.contains("trigger=start"))?;
    line.split_whitespace().find_map(|w| w.strip_prefix("rendered="))?.parse().ok()
}

#[test]
fn after_an_upgrade_the_first_render_is_saved_so_the_next_restart_redraws_nothing() {
    let channels = common::copy_fixture("basic");
    let data = tempfile::tempdir().unwrap();
    let saved = data.path().join(disk::FILE);
    let server = Binary::start_opts(channels.path(), data.path(), Some(ADMIN_TOKEN), &[], "info");
    wait_for(Duration::from_secs(20), || saved.exists().then_some(())).expect("the generation is saved");
    let first = on_air(server.boxes);
    server.stop();

    // Another build: the same program with a byte more, so its hash (which
    // decides whether a saved memo is trusted) differs.
    let builds = tempfile::tempdir().unwrap();
    let upgraded = builds.path().join("infotv");
    let mut exe = std::fs::read(env!("CARGO_BIN_EXE_infotv")).unwrap();
    exe.push(b'\n');
    std::fs::write(&upgraded, exe).unwrap();
    std::fs::set_permissions(&upgraded, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let start = || Binary::start_exe(&upgraded, channels.path(), data.path(), Some(ADMIN_TOKEN), &[], "info");
    let manifest = || std::fs::read(&saved).unwrap();
    let before = manifest();

    // It serves the saved generation at once, draws everything again (it
    // cannot trust another build's drawing) to the same generation, and
    // saves that with its own drawing keys...
    let server = start();
    assert!(!server.logged().contains("trigger=start"), "served from disk before any render");
    let rendered = wait_for(Duration::from_secs(30), || start_rendered(&server)).expect("the start render");
    assert!(rendered > 5, "another build's pictures are drawn again: {rendered}");
    assert_eq!(on_air(server.boxes), first, "what boxes see did not change");
    wait_for(Duration::from_secs(20), || (manifest() != before).then_some(())).expect("saved again by the new build");
    server.stop();

    // ... so the restart after that draws nothing.
    let server = start();
    let rendered = wait_for(Duration::from_secs(30), || start_rendered(&server)).expect("the start render");
    assert_eq!(rendered, 0, "{}", server.logged());
    assert_eq!(on_air(server.boxes), first);
}

#[test]
fn after_kill_9_at_any_moment_a_restart_serves_before_rendering() {
    let channels = common::copy_fixture("basic");
    let data = tempfile::tempdir().unwrap();
    let start = || Binary::start_opts(channels.path(), data.path(), Some(ADMIN_TOKEN), &[], "info");
    let server = start();
    let first = on_air(server.boxes);
    wait_for(Duration::from_secs(20), || data.path().join(disk::FILE).exists().then_some(()))
        .expect("the generation is saved");
    // Killed right after a start, in the middle of a render after an edit,
    // and while idle: every restart serves at once, from the saved file.
    let article = channels.path().join("01-第一栏目/01-甲项/2026-11-03-第二篇.md");
    assert!(article.exists());
    let mut server = server;
    for (round, delay_ms) in [0u64, 40, 120, 400, 900].into_iter().enumerate() {
        std::fs::write(&article, format!("+++\ntitle = \"第 {round} 轮\"\n+++\n重启之前改过的文章。\n")).unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        server.kill();
        server = start();
        let log = server.logged();
        assert!(log.contains("on air from the saved generation"), "round {round}: {log}");
        // The banner — printed once boxes are served — comes before this
        // start's render has finished.
        let banner_at = log.find("infotv: serving").unwrap();
        assert!(log.find("trigger=start").is_none_or(|r| r > banner_at), "round {round}: {log}");
        assert!(!on_air(server.boxes).is_empty());
        assert!(faults(&server).is_empty(), "round {round}: the saved file was whole: {:?}", faults(&server));
    }
    // The edit made while it was down is on air after the start render.
    let edited = wait_for(Duration::from_secs(20), || {
        let g = on_air(server.boxes);
        (g != first).then_some(g)
    });
    assert!(edited.is_some(), "the start render put the last edit on air");
    // SQLite in WAL mode kept its renders through every kill.
    let runs = wait_for(Duration::from_secs(10), || {
        let runs = get(server.admin, "/api/v1/renders", &[&bearer()]).json();
        (runs.as_array().unwrap().len() >= 2).then_some(runs)
    });
    assert!(runs.is_some(), "render history survives kill -9");
}

fn wait_fault(server: &Binary, fault: &str, present: bool) {
    let seen =
        wait_for(Duration::from_secs(20), || (faults(server).iter().any(|f| f == fault) == present).then_some(()));
    assert!(seen.is_some(), "fault {fault} present={present}: {:?}\n{}", faults(server), server.logged());
}

#[test]
fn a_channel_folder_that_goes_away_keeps_the_last_good_channel_on_air() {
    let dir = tempfile::tempdir().unwrap();
    let channels = dir.path().join("channels");
    common::copy_tree(&common::fixture("basic"), &channels);
    let data = dir.path().join("data");
    let server = Binary::start_opts(&channels, &data, Some(ADMIN_TOKEN), &["--poll-ms", "200"], "info");
    let home = get(server.boxes, "/tv/sd/home.html", &[]);
    let generation = on_air(server.boxes);

    // Moved away (a share unmounted, a folder dragged elsewhere).
    std::fs::rename(&channels, dir.path().join("away")).unwrap();
    wait_fault(&server, "channels", true);
    assert_eq!(on_air(server.boxes), generation, "the last good channel stays on air");
    assert_eq!(get(server.boxes, "/tv/sd/home.html", &[]).body, home.body);
    let page = get(server.admin, "/", &[&bearer()]).text();
    assert!(page.contains("继续播出上一版"), "the dashboard says so");
    // Open problems come from the store, a moment behind the render log.
    let open = || get(server.admin, "/api/v1/problems", &[&bearer()]).text();
    wait_for(Duration::from_secs(20), || open().contains("无法打开").then_some(()))
        .unwrap_or_else(|| panic!("the folder's problem is open: {}", open()));

    // An empty mount point in its place is no channel either.
    std::fs::create_dir(&channels).unwrap();
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(on_air(server.boxes), generation);
    assert!(faults(&server).iter().any(|f| f == "channels"));

    // Back: recovered without a restart, and watched again.
    std::fs::remove_dir(&channels).unwrap();
    std::fs::rename(dir.path().join("away"), &channels).unwrap();
    wait_fault(&server, "channels", false);
    a_new_article_goes_on_air(&server, &channels, "回来了", &generation);
}

/// Writes an article into `channels` and waits for a generation other than
/// `before` on air: the folder is watched and rendered again.
fn a_new_article_goes_on_air(server: &Binary, channels: &Path, title: &str, before: &str) {
    let article = channels.join(format!("01-第一栏目/01-甲项/2026-11-21-{title}.md"));
    std::fs::write(article, format!("+++\ntitle = \"{title}\"\n+++\n文件夹恢复后的新文章。\n")).unwrap();
    let changed = wait_for(Duration::from_secs(20), || (on_air(server.boxes) != before).then_some(()));
    assert!(changed.is_some(), "a new article goes on air:\n{}", server.logged());
}

#[test]
fn a_data_folder_that_cannot_be_written_is_reported_and_serving_goes_on() {
    let channels = common::copy_fixture("basic");
    let data = tempfile::tempdir().unwrap();
    let server = Binary::start_opts(channels.path(), data.path(), Some(ADMIN_TOKEN), &[], "info");
    // Where the saved generation goes, a folder: every save from now fails.
    let blocker = data.path().join(disk::FILE);
    wait_for(Duration::from_secs(20), || blocker.is_file().then_some(())).expect("the first render is saved");
    std::fs::remove_file(&blocker).unwrap();
    std::fs::create_dir(&blocker).unwrap();
    std::fs::write(channels.path().join("01-第一栏目/01-甲项/2026-11-21-旧.md"), "+++\ntitle = \"旧\"\n+++\n一篇。\n")
        .unwrap();
    wait_fault(&server, "onair-save", true);
    assert_eq!(request(server.boxes, "GET", "/healthz").status, 200);
    let status = get(server.admin, "/api/v1/status", &[&bearer()]).json();
    assert!(status.to_string().contains("无法把播出版本保存到数据目录"), "{status}");
    let metrics = get(server.admin, "/metrics", &[&bearer()]).text();
    assert!(metrics.lines().any(|l| l == "infotv_faults 1"), "{metrics}");

    // Space again: the next render saves, and the fault clears.
    std::fs::remove_dir(&blocker).unwrap();
    std::fs::write(
        channels.path().join("01-第一栏目/01-甲项/2026-11-22-新.md"),
        "+++\ntitle = \"新\"\n+++\n又一篇。\n",
    )
    .unwrap();
    wait_fault(&server, "onair-save", false);
    assert!(data.path().join(disk::FILE).exists());
}

#[test]
fn a_missing_font_stops_the_start_with_the_file_named() {
    let fonts = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(common::root().join("fonts")).unwrap() {
        let f = f.unwrap();
        if f.file_name() != "NotoSansSC-Bold.otf" {
            std::fs::copy(f.path(), fonts.path().join(f.file_name())).unwrap();
        }
    }
    for cmd in ["serve", "render", "check"] {
        let mut args = vec![cmd, "--fonts"];
        let dir = fonts.path().to_str().unwrap();
        args.push(dir);
        if cmd == "serve" {
            args.extend(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"]);
        }
        if cmd == "render" {
            args.extend(["--out", dir]);
        }
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_infotv"))
            .current_dir(common::root())
            .args(&args)
            .env("INFOTV_DATA", Path::new(dir).join("data"))
            .output()
            .unwrap();
        assert!(!out.status.success(), "{cmd}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("NotoSansSC-Bold.otf") && err.contains("cannot read font file"), "{cmd}: {err}");
    }
}

#[test]
fn a_restart_while_the_share_is_not_mounted_serves_the_saved_channel_until_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let channels = dir.path().join("channels");
    common::copy_tree(&common::fixture("basic"), &channels);
    let data = dir.path().join("data");
    let server = Binary::start_opts(&channels, &data, Some(ADMIN_TOKEN), &[], "info");
    let generation = on_air(server.boxes);
    wait_for(Duration::from_secs(20), || data.join(disk::FILE).exists().then_some(()))
        .expect("the generation is saved");
    server.kill();

    // The machine comes back before the share does.
    std::fs::rename(&channels, dir.path().join("away")).unwrap();
    let server = Binary::start_opts(&channels, &data, Some(ADMIN_TOKEN), &["--poll-ms", "200"], "info");
    assert_eq!(on_air(server.boxes), generation, "the saved channel is on air");
    wait_fault(&server, "channels", true);
    assert_eq!(on_air(server.boxes), generation, "and stays on air");

    // The share is mounted: rendered from it, then watched by events again.
    std::fs::rename(dir.path().join("away"), &channels).unwrap();
    wait_fault(&server, "channels", false);
    a_new_article_goes_on_air(&server, &channels, "挂载后", &generation);
}
