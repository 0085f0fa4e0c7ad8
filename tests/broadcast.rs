//! The broadcast loop for one-way boxes, for real: the binary runs Debian's
//! ffmpeg, ffprobe reads what it made, decoded frames are compared with the
//! screens they show, an edit reaches the stream, a killed encoder comes back.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{bearer, get, wait_for, Binary, ADMIN_TOKEN};

/// A decoded frame matching its screen: measured here, H.264 at CRF 21 and
/// MPEG-2 at 4 Mbit/s give 37–39 dB against the screen the frame shows and
/// 16 dB against the other screen of the loop (same theme, same header).
/// 30 dB sits between with a wide margin each way; the test also asserts
/// the other screen stays 5 dB below it.
const SAME_SCREEN_DB: f64 = 30.0;

fn ffprobe(target: &str) -> serde_json::Value {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-print_format", "json", "-show_streams", "-show_format", target])
        .output()
        .expect("ffprobe is missing: run tests/run, which installs ffmpeg");
    assert!(out.status.success(), "ffprobe {target}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn stream<'a>(probe: &'a serde_json::Value, kind: &str) -> &'a serde_json::Value {
    probe["streams"].as_array().unwrap().iter().find(|s| s["codec_type"] == kind).unwrap()
}

/// A small channel whose loop plays one article (after the home screen),
/// its TS going to `ts`: a stream address, or a name in the recordings folder.
fn channel(dir: &Path, ts: &str, body: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("site.toml"),
        format!(
            "title = \"万源测试频道\"\n[loop]\nseconds = 3\nitems = [\"便民万源/便民电话\"]\nprofiles = [\"sd\"]\nts = \"{ts}\"\n"
        ),
    )
    .unwrap();
    let item = dir.join("01-便民万源/01-便民电话");
    std::fs::create_dir_all(&item).unwrap();
    std::fs::create_dir_all(dir.join("02-要闻速递/01-时政要闻")).unwrap();
    std::fs::write(dir.join("02-要闻速递/01-时政要闻/2026-11-20-冬季供暖.txt"), "冬季供暖\n城区集中供暖今日开始。\n")
        .unwrap();
    write_article(&item, body);
}

/// The arguments of a server that encodes the loop, its TS files going to
/// `work/rec` (outside the data and channel folders).
fn looping(work: &Path) -> Vec<String> {
    let rec = work.join("rec");
    ["--loop", "on", "--recordings", rec.to_str().unwrap()].map(String::from).to_vec()
}

fn args(a: &[String]) -> Vec<&str> {
    a.iter().map(String::as_str).collect()
}

fn write_article(item: &Path, body: &str) {
    let tmp = item.join(".常用电话.txt.tmp");
    std::fs::write(&tmp, format!("常用服务电话\n{body}\n")).unwrap();
    std::fs::rename(tmp, item.join("常用电话.txt")).unwrap();
}

fn status(admin: SocketAddr) -> serde_json::Value {
    get(admin, "/api/v1/status", &[&format!("Authorization: Bearer {ADMIN_TOKEN}")]).json()
}

fn loop_of(admin: SocketAddr, output: &str) -> serde_json::Value {
    let s = status(admin);
    s["loop"].as_array().unwrap().iter().find(|l| l["output"] == output).cloned().unwrap_or_default()
}

/// The base picture of a screen as RGB, from the box port. A render can
/// put a new generation on air between the graph and the picture, and the
/// old picture is then gone: the graph is read again.
fn screen_picture(boxes: SocketAddr, id: &str) -> image::RgbImage {
    wait_for(Duration::from_secs(20), || {
        let graph = get(boxes, "/api/v1/sd/graph.json", &[]).json();
        let url = graph["screens"][id]["states"][0]["image"].as_str()?.to_string();
        let picture = get(boxes, &url, &[]);
        (picture.status == 200).then(|| image::load_from_memory(&picture.body).unwrap().to_rgb8())
    })
    .expect("the screen's picture")
}

/// The loop's article screen: the one screen of the loop that is not home.
fn article_id(boxes: SocketAddr) -> String {
    let graph = get(boxes, "/api/v1/sd/graph.json", &[]).json();
    let screens = graph["screens"].as_object().unwrap();
    screens
        .iter()
        .find(|(_, s)| s["title"].as_str().is_some_and(|t| t.contains("常用")) && s["kind"] == "article")
        .map(|(id, _)| id.clone())
        .unwrap()
}

/// PSNR over the body of the screen (below the header with its clock,
/// above the strip the loop draws over the footer).
fn psnr(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let (mut sum, mut n) = (0f64, 0f64);
    for y in 100..480 {
        for x in 0..a.width() {
            for c in 0..3 {
                let d = a.get_pixel(x, y)[c] as f64 - b.get_pixel(x, y)[c] as f64;
                sum += d * d;
                n += 1.0;
            }
        }
    }
    let mse = sum / n;
    if mse == 0.0 {
        99.0
    } else {
        10.0 * (255.0 * 255.0 / mse).log10()
    }
}

/// Every frame of a video file at one a second, decoded by ffmpeg.
fn frames(video: &Path, out: &Path) -> Vec<image::RgbImage> {
    let _ = std::fs::remove_dir_all(out);
    std::fs::create_dir_all(out).unwrap();
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(video)
        .args(["-vf", "fps=1"])
        .arg(out.join("f%03d.png"))
        .status()
        .unwrap();
    assert!(status.success());
    let mut names: Vec<PathBuf> = std::fs::read_dir(out).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    names.iter().map(|p| image::open(p).unwrap().to_rgb8()).collect()
}

/// The newest whole segment named by the playlist, saved to `to`.
fn newest_segment(boxes: SocketAddr, to: &Path) -> (u64, PathBuf) {
    // The encoder restarts when the loop changes and clears its segments: a
    // segment the playlist named a moment ago may be gone, and the playlist
    // read again names the new ones.
    wait_for(Duration::from_secs(20), || {
        let playlist = get(boxes, "/live/sd/index.m3u8", &[]);
        if playlist.status != 200 {
            return None;
        }
        let name = playlist.text().lines().rfind(|l| l.ends_with(".ts"))?.to_string();
        let number: u64 = name.trim_start_matches("seg-").trim_end_matches(".ts").parse().unwrap();
        let seg = get(boxes, &format!("/live/sd/{name}"), &[]);
        if seg.status == 404 {
            return None;
        }
        assert_eq!(seg.status, 200);
        assert_eq!(seg.header("content-type"), Some("video/mp2t"));
        let path = to.join(&name);
        std::fs::write(&path, &seg.body).unwrap();
        Some((number, path))
    })
    .expect("a segment the playlist names within 20 s")
}

/// Waits for a segment newer than `after` and returns it.
fn segment_after(boxes: SocketAddr, after: u64, dir: &Path) -> (u64, PathBuf) {
    wait_for(Duration::from_secs(40), || {
        let r = get(boxes, "/live/sd/index.m3u8", &[]);
        if r.status != 200 {
            return None;
        }
        let (n, p) = newest_segment(boxes, dir);
        (n > after).then_some((n, p))
    })
    .expect("a new segment within 40 s")
}

#[test]
fn the_loop_streams_hls_and_ts_that_show_the_screens_and_follow_edits() {
    let work = tempfile::tempdir().unwrap();
    let channels = work.path().join("channels");
    let ts = work.path().join("rec/headend.ts");
    channel(&channels, "headend.ts", "火警 119\n匪警 110\n急救 120\n");
    let data = work.path().join("data");
    let server = Binary::start_opts(&channels, &data, Some(ADMIN_TOKEN), &args(&looping(work.path())), "info");
    let boxes = server.boxes;

    // HLS: the playlist through the box port, then ffprobe on it and a segment.
    let (first, seg) = segment_after(boxes, 0, work.path());
    let playlist = get(boxes, "/live/sd/index.m3u8", &[]);
    assert_eq!(playlist.header("content-type"), Some("application/vnd.apple.mpegurl"));
    assert_eq!(playlist.header("cache-control"), Some("no-cache"));
    let probe = ffprobe(&format!("http://{boxes}/live/sd/index.m3u8"));
    let video = stream(&probe, "video");
    assert_eq!(
        (video["codec_name"].as_str(), video["width"].as_u64(), video["height"].as_u64()),
        (Some("h264"), Some(720), Some(576))
    );
    let probe = ffprobe(seg.to_str().unwrap());
    let video = stream(&probe, "video");
    assert_eq!(video["codec_name"], "h264");
    assert_eq!(video["r_frame_rate"], "25/1");
    let seconds: f64 = probe["format"]["duration"].as_str().unwrap().parse().unwrap();
    assert!((3.5..=4.5).contains(&seconds), "segments of about 4 s: {seconds}");
    assert_eq!(stream(&probe, "audio")["codec_name"], "aac");

    // MPEG-TS for the headend: MPEG-2, 720x576, 25 fps, 4:3, MP2 sound.
    wait_for(Duration::from_secs(20), || (std::fs::metadata(&ts).ok()?.len() > 500_000).then_some(())).unwrap();
    let probe = ffprobe(ts.to_str().unwrap());
    let video = stream(&probe, "video");
    assert_eq!(video["codec_name"], "mpeg2video");
    assert_eq!((video["width"].as_u64(), video["height"].as_u64()), (Some(720), Some(576)));
    assert_eq!(video["r_frame_rate"], "25/1");
    assert_eq!(video["display_aspect_ratio"], "4:3");
    assert_eq!(stream(&probe, "audio")["codec_name"], "mp2");

    // Decoded frames show the screens: each second of a segment is the home
    // screen or the article, and over a few segments the article shows.
    let article = article_id(boxes);
    let article_pic = screen_picture(boxes, &article);
    let home_pic = screen_picture(boxes, "home");
    let decoded = work.path().join("frames");
    let mut best_article = 0f64;
    let mut after = first;
    for _ in 0..3 {
        let (n, seg) = segment_after(boxes, after, work.path());
        after = n;
        for frame in frames(&seg, &decoded) {
            let (a, h) = (psnr(&frame, &article_pic), psnr(&frame, &home_pic));
            eprintln!("H.264 frame: article {a:.1} dB, home {h:.1} dB");
            assert!(a.max(h) > SAME_SCREEN_DB, "every frame is one of the loop's screens: {a:.1} / {h:.1} dB");
            assert!(a.min(h) < SAME_SCREEN_DB - 5.0, "and clearly not the other: {a:.1} / {h:.1} dB");
            best_article = best_article.max(a);
        }
    }
    assert!(best_article > SAME_SCREEN_DB, "the article was on: {best_article:.1} dB");
    // The TS shows the same pages.
    let ts_frames = frames(&ts, &work.path().join("ts-frames"));
    let best = ts_frames.iter().map(|f| psnr(f, &article_pic).max(psnr(f, &home_pic))).fold(0.0, f64::max);
    eprintln!("MPEG-2 frames: best {best:.1} dB");
    assert!(best > SAME_SCREEN_DB, "MPEG-2 frames match a screen: {best:.1} dB");

    // An edit: the stream shows the new article, without a restart.
    let pid = loop_of(server.admin, "hls-sd")["pid"].as_u64().unwrap();
    write_article(
        &channels.join("01-便民万源/01-便民电话"),
        "供电抢修 95598\n燃气抢修 96777\n自来水 0818-8621234\n市民热线 12345\n",
    );
    let new_pic = wait_for(Duration::from_secs(20), || {
        let pic = screen_picture(boxes, &article);
        (psnr(&pic, &article_pic) < SAME_SCREEN_DB).then_some(pic)
    })
    .expect("the edit renders");
    let mut seen = false;
    for _ in 0..6 {
        let (n, seg) = segment_after(boxes, after, work.path());
        after = n;
        if frames(&seg, &decoded).iter().any(|f| psnr(f, &new_pic) > SAME_SCREEN_DB) {
            seen = true;
            break;
        }
    }
    assert!(seen, "the edited article shows in the stream");
    assert_eq!(loop_of(server.admin, "hls-sd")["pid"].as_u64(), Some(pid), "the encoder was not restarted");
    assert_eq!(loop_of(server.admin, "hls-sd")["restarts"], 0);

    // A killed encoder is restarted, reported meanwhile, and streams again.
    Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap();
    let fault = wait_for(Duration::from_secs(10), || {
        let s = status(server.admin);
        s["faults"].as_array().unwrap().iter().find(|f| f["fault"] == "loop-hls-sd").cloned()
    })
    .expect("the dead encoder is a fault");
    assert!(fault["message"].as_str().unwrap().contains("重启"), "{fault}");
    let restarted = wait_for(Duration::from_secs(20), || {
        let l = loop_of(server.admin, "hls-sd");
        (l["state"] == "playing" && l["pid"].as_u64().is_some_and(|p| p != pid)).then_some(l)
    })
    .expect("a new encoder plays");
    assert_eq!(restarted["restarts"], 1);
    let (n, _) = segment_after(boxes, after, work.path());
    assert!(n > after);
    let metrics = get(server.admin, "/metrics", &[&format!("Authorization: Bearer {ADMIN_TOKEN}")]).text();
    assert!(metrics.contains("infotv_loop_encoder_restarts_total{output=\"hls-sd\"} 1"), "{metrics}");
    assert!(metrics.contains("infotv_loop_playing{output=\"ts\"} 1"));
    wait_for(Duration::from_secs(15), || {
        let s = status(server.admin);
        (!s["faults"].as_array().unwrap().iter().any(|f| f["fault"] == "loop-hls-sd")).then_some(())
    })
    .expect("the fault ends once the new encoder runs");
    // An alert interrupts the loop at once: the next segment shows its page,
    // which is neither screen of the loop.
    std::fs::write(channels.join("alert.txt"), "今晚有大风降温，请关好门窗。\n").unwrap();
    let since = std::time::Instant::now();
    wait_for(Duration::from_secs(15), || (loop_of(server.admin, "hls-sd")["alert"] == true).then_some(()))
        .expect("the loop turns to the alert");
    println!("alert on the loop {} ms after it was written", since.elapsed().as_millis());
    // The segment being written when the alert came may end just before it
    // (the encoder runs a second or two behind): the one after is all alert.
    let (k, _) = newest_segment(boxes, work.path());
    let (_, seg) = segment_after(boxes, k + 1, work.path());
    let current = screen_picture(boxes, &article);
    let last = frames(&seg, &decoded).pop().unwrap();
    let (a, h) = (psnr(&last, &current), psnr(&last, &home_pic));
    assert!(a < SAME_SCREEN_DB && h < SAME_SCREEN_DB, "the alert page, not a screen: {a:.1} / {h:.1} dB");
    // The dashboard names the loop's state.
    let dash = get(server.admin, "/", &[&format!("Authorization: Bearer {ADMIN_TOKEN}")]).text();
    assert!(dash.contains("轮播频道") && dash.contains("播出紧急通知"), "{dash}");
    server.stop();
}

#[test]
fn a_missing_encoder_is_a_fault_and_the_boxes_are_served() {
    let work = tempfile::tempdir().unwrap();
    let channels = work.path().join("channels");
    channel(&channels, "out.ts", "火警 119\n");
    let mut a = looping(work.path());
    a.extend(["--ffmpeg".to_string(), "/nonexistent/ffmpeg".to_string()]);
    let server = Binary::start_opts(&channels, &work.path().join("data"), Some(ADMIN_TOKEN), &args(&a), "warn");
    let fault = wait_for(Duration::from_secs(10), || {
        let s = status(server.admin);
        s["faults"].as_array().unwrap().iter().find(|f| f["fault"] == "loop-hls-sd").cloned()
    })
    .expect("a fault for the missing encoder");
    assert!(fault["message"].as_str().unwrap().contains("/nonexistent/ffmpeg"), "{fault}");
    assert_eq!(get(server.boxes, "/healthz", &[]).status, 200);
    assert_eq!(get(server.boxes, "/tv/sd/home.html", &[]).status, 200);
    let r = get(server.boxes, "/live/sd/index.m3u8", &[]);
    assert_eq!(r.status, 503, "the playlist is not there yet");
    assert_eq!(r.header("retry-after"), Some("2"));
    // Back-off: 1 s, 2 s, 4 s… so a few seconds see a few attempts, not hundreds.
    std::thread::sleep(Duration::from_secs(4));
    let restarts = loop_of(server.admin, "hls-sd")["restarts"].as_u64().unwrap();
    assert!((2..=4).contains(&restarts), "backing off: {restarts} attempts in ~5 s");
    server.stop();
}

#[test]
fn without_a_loop_section_no_encoder_runs() {
    let data = tempfile::tempdir().unwrap();
    let server =
        Binary::start_opts(&common::fixture("basic"), data.path(), Some(ADMIN_TOKEN), &["--loop", "on"], "warn");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(status(server.admin)["loop"], serde_json::json!([]));
    assert_eq!(get(server.boxes, "/live/sd/index.m3u8", &[]).status, 404);
    assert!(get(server.admin, "/", &[&format!("Authorization: Bearer {ADMIN_TOKEN}")]).text().contains("未启用轮播"));
}

#[test]
fn the_shipped_loop_plays_what_site_toml_lists_newest_first() {
    let renderer = infotv::pipeline::Renderer::new(&common::root().join("channels"), common::fonts());
    let (generation, report) = renderer.render("test");
    let generation = generation.unwrap();
    assert!(report.problems.iter().all(|p| !p.zh.contains("[loop]")), "{:?}", report.problems);
    let plan = generation.broadcast.as_ref().expect("the shipped channel turns the loop on");
    assert_eq!(plan.config.profiles, ["sd"]);
    let entries = &plan.profiles["sd"].entries;
    let sd = &generation.profiles["sd"];
    assert_eq!(entries[0].screen, "home", "every round opens with the index");
    // Every entry is a screen on air, drawn by its own base picture.
    for e in entries {
        assert!(sd.screens.contains_key(&e.screen), "{}", e.screen);
        assert!(generation.assets.contains_key(e.asset.as_str()), "{}", e.asset);
    }
    // 要闻速递 first (its column screen, then its articles), as listed.
    assert_eq!(entries[1].title, "要闻速递");
    let kind = |id: &str| sd.screens[id].graph.kind;
    let in_item = |s: &infotv::publish::ScreenOut, item: &str| {
        s.section.as_ref().is_some_and(|x| x.item.as_deref() == Some(item))
    };
    assert_eq!(kind(&entries[1].screen), infotv::layout::Kind::Column);
    // At most `newest` documents of a sub-item, the newest first: the first
    // ones its list leads to, in the list's order.
    let list =
        sd.screens.values().find(|s| s.graph.kind == infotv::layout::Kind::List && in_item(s, "时政要闻")).unwrap();
    let listed: Vec<String> =
        list.graph.states.iter().filter_map(|s| s.keys.get("ok").map(|t| t.screen.to_string())).collect();
    let played: Vec<&str> =
        entries.iter().map(|e| e.screen.as_str()).filter(|id| listed.iter().any(|l| l == id)).collect();
    let n = (plan.config.newest as usize).min(listed.len());
    assert_eq!(played, listed[..n].iter().map(String::as_str).collect::<Vec<_>>());
    // A gallery plays whole: every photo of 美景图集.
    let photos = entries.iter().filter(|e| kind(&e.screen) == infotv::layout::Kind::Gallery).count();
    let shown =
        sd.screens.values().filter(|s| s.graph.kind == infotv::layout::Kind::Gallery && in_item(s, "美景图集")).count();
    assert_eq!(photos, shown);
}

#[test]
fn loop_items_that_name_nothing_are_problems_of_site_toml() {
    let dir = common::copy_fixture("basic");
    let site = dir.path().join("site.toml");
    let mut text = std::fs::read_to_string(&site).unwrap();
    text.push_str("\n[loop]\nseconds = 1\nitems = [\"没有这个栏目\"]\nprofiles = [\"fhd\"]\n");
    std::fs::write(&site, text).unwrap();
    let renderer = infotv::pipeline::Renderer::new(dir.path(), common::fonts());
    let (generation, report) = renderer.render_at("test", None, true);
    let zh: Vec<&str> = report.problems.iter().map(|p| p.zh.as_str()).collect();
    assert!(zh.iter().any(|p| p.contains("没有这个栏目")), "{zh:?}");
    assert!(zh.iter().any(|p| p.contains("loop.seconds = 1")), "{zh:?}");
    assert!(zh.iter().any(|p| p.contains("fhd")), "{zh:?}");
    let plan = generation.unwrap().broadcast.unwrap();
    assert_eq!((plan.config.seconds, plan.config.profiles.as_slice()), (10, &["sd".to_string()][..]));
    // Nothing matched: the loop is the index alone, never empty.
    assert_eq!(plan.profiles["sd"].entries.len(), 1);
}

/// The mean loudness of a video file's sound, by ffmpeg's volumedetect.
fn mean_volume(video: &Path) -> f64 {
    let out = Command::new("ffmpeg")
        .args(["-v", "info", "-nostats", "-i"])
        .arg(video)
        .args(["-map", "0:a:0", "-af", "volumedetect", "-f", "null", "-"])
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    let line = log.lines().find(|l| l.contains("mean_volume:")).unwrap_or_else(|| panic!("{log}"));
    line.split("mean_volume:").nth(1).unwrap().trim().trim_end_matches(" dB").parse().unwrap()
}

#[test]
fn loop_mp3_at_the_top_of_the_channel_is_the_music_else_silence() {
    let work = tempfile::tempdir().unwrap();
    let channels = work.path().join("channels");
    channel(&channels, "out.ts", "火警 119\n");
    let data = work.path().join("data");
    let server = Binary::start_opts(&channels, &data, Some(ADMIN_TOKEN), &args(&looping(work.path())), "warn");
    let (n, seg) = segment_after(server.boxes, 0, work.path());
    let silent = mean_volume(&seg);
    assert!(silent < -80.0, "no music file: silence ({silent} dB)");
    // Staff drop a tune in: the encoders restart with it.
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-c:a", "libmp3lame"])
        .arg(channels.join("loop.mp3"))
        .status()
        .unwrap();
    assert!(made.success());
    let mut loud = f64::MIN;
    let mut after = n;
    for _ in 0..8 {
        let (n, seg) = segment_after(server.boxes, after, work.path());
        after = n;
        loud = mean_volume(&seg);
        if loud > -40.0 {
            break;
        }
    }
    assert!(loud > -40.0, "the music plays: {loud} dB");
    let status = status(server.admin);
    assert!(status["faults"].as_array().unwrap().is_empty(), "{status}");
    // No problem for the music file: it belongs at the top of the channel.
    let problems = get(server.admin, "/api/v1/problems", &[&format!("Authorization: Bearer {ADMIN_TOKEN}")]).text();
    assert!(!problems.contains("loop.mp3"), "{problems}");
}

/// Whether `bytes` hold MPEG-TS packets: 188 bytes each, each starting 0x47.
fn is_transport_stream(bytes: &[u8]) -> bool {
    bytes.len() >= 188 * 4 && bytes.chunks_exact(188).all(|p| p[0] == 0x47)
}

#[test]
fn the_headend_ts_goes_to_a_udp_address() {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let target = format!("udp://{}?pkt_size=1316", socket.local_addr().unwrap());
    let work = tempfile::tempdir().unwrap();
    let channels = work.path().join("channels");
    channel(&channels, &target, "火警 119\n");
    let server = Binary::start_opts(&channels, &work.path().join("data"), Some(ADMIN_TOKEN), &["--loop", "on"], "warn");
    let mut datagram = [0u8; 2048];
    let (n, _) = socket.recv_from(&mut datagram).expect("TS datagrams within 20 s");
    assert_eq!(n, 1316, "seven TS packets a datagram");
    assert!(is_transport_stream(&datagram[..n]));
    let pid = loop_of(server.admin, "ts")["pid"].as_u64().unwrap();
    assert_eq!(loop_of(server.admin, "ts")["state"], "playing");
    // A server killed outright leaves no encoder behind: its pipe closes and
    // ffmpeg ends with the frames (the silence alone would run for ever).
    server.kill();
    let running = || {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Gone, or a zombie waiting for a reaper: either way it runs no more.
        !stat.is_empty() && stat.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z'))
    };
    wait_for(Duration::from_secs(10), || (!running()).then_some(())).expect("the encoder exits with its server");
}

#[test]
fn the_headend_ts_goes_to_a_named_pipe_and_waits_for_its_reader() {
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(work.path().join("rec")).unwrap();
    let fifo = work.path().join("rec/headend.fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let channels = work.path().join("channels");
    channel(&channels, "headend.fifo", "火警 119\n");
    let server = Binary::start_opts(
        &channels,
        &work.path().join("data"),
        Some(ADMIN_TOKEN),
        &args(&looping(work.path())),
        "warn",
    );
    // Nobody reads yet: the TS encoder waits, HLS plays regardless.
    segment_after(server.boxes, 0, work.path());
    let reader = std::thread::spawn(move || {
        use std::io::Read;
        let mut pipe = std::fs::File::open(&fifo).unwrap();
        let mut got = vec![0u8; 188 * 100];
        pipe.read_exact(&mut got).unwrap();
        got
    });
    let got = reader.join().unwrap();
    assert!(is_transport_stream(&got));
    assert_eq!(loop_of(server.admin, "ts")["state"], "playing");
}

/// The security review's attack on the loop (issue 50), here because HLS
/// needs ffmpeg: the store as the TS target, and ways out of --recordings.
#[test]
fn the_loop_never_writes_the_store_and_writes_files_only_in_the_recordings_folder() {
    let channels = common::copy_fixture("basic");
    let site = channels.path().join("site.toml");
    let with_ts = |ts: &str| {
        let base = std::fs::read_to_string(common::fixture("basic/site.toml")).unwrap();
        std::fs::write(&site, format!("{base}\n[loop]\nseconds = 3\nts = \"{ts}\"\n")).unwrap();
    };
    // The review's attack: the store itself as the TS target.
    with_ts("infotv.sqlite");
    let data = tempfile::tempdir().unwrap();
    let server = Binary::start_opts(channels.path(), data.path(), Some(ADMIN_TOKEN), &["--loop", "on"], "warn");
    let store = data.path().join("infotv.sqlite");
    let status = common::wait_for(Duration::from_secs(30), || {
        let s = get(server.admin, "/api/v1/status", &[&bearer()]).json();
        let ts = s["loop"].as_array()?.iter().find(|l| l["output"] == "ts")?.clone();
        ts["last_error"].as_str().is_some_and(|e| e.contains("--recordings")).then_some(ts)
    });
    assert!(status.is_some(), "the TS is refused for want of a recordings folder, and says so");
    // HLS plays on meanwhile; the store is the store.
    let hls = common::wait_for(Duration::from_secs(30), || {
        (get(server.boxes, "/live/sd/index.m3u8", &[]).status == 200).then_some(())
    });
    assert!(hls.is_some(), "the HLS loop runs on");
    let head = std::fs::read(&store).unwrap();
    assert!(head.starts_with(b"SQLite format 3\0"), "the store was overwritten");
    assert!(!data.path().join("infotv.sqlite.ts").exists());
    // Ways out of the recordings folder are refused with a hint, and the
    // loop keeps its last good output.
    for bad in ["../data/infotv.sqlite", "/var/lib/infotv/data/infotv.sqlite", "file:///etc/passwd", "http://x:1/"] {
        with_ts(bad);
        let p = common::wait_for(Duration::from_secs(20), || {
            let all = get(server.admin, "/api/v1/problems", &[&bearer()]).json();
            all.as_array()?.iter().find(|p| p["zh"].as_str().unwrap_or("").contains(bad)).cloned()
        });
        let p = p.unwrap_or_else(|| panic!("{bad} is a problem"));
        assert!(p["zh"].as_str().unwrap().contains("上一个有效的输出"), "{p}");
        assert!(p["hint_zh"].as_str().unwrap().contains("udp://"), "{p}");
    }
    drop(server);
    assert!(std::fs::read(&store).unwrap().starts_with(b"SQLite format 3\0"));

    // With a recordings folder the file goes there, and a file of someone
    // else's there is never replaced.
    let recordings = tempfile::tempdir().unwrap();
    std::fs::write(recordings.path().join("theirs.ts"), "not infotv's").unwrap();
    with_ts("loop.ts");
    let rec = recordings.path().to_str().unwrap();
    let data = tempfile::tempdir().unwrap();
    let server = Binary::start_opts(
        channels.path(),
        data.path(),
        Some(ADMIN_TOKEN),
        &["--loop", "on", "--recordings", rec],
        "warn",
    );
    let ts = common::wait_for(Duration::from_secs(40), || {
        let bytes = std::fs::read(recordings.path().join("loop.ts")).ok()?;
        (bytes.len() > 188 * 4 && bytes[0] == 0x47 && bytes[188] == 0x47).then_some(bytes.len())
    });
    assert!(ts.is_some(), "MPEG-TS in the recordings folder");
    with_ts("theirs.ts");
    let refused = common::wait_for(Duration::from_secs(30), || {
        let s = get(server.admin, "/api/v1/status", &[&bearer()]).json();
        let ts = s["loop"].as_array()?.iter().find(|l| l["output"] == "ts")?.clone();
        ts["last_error"].as_str().is_some_and(|e| e.contains("不会覆盖")).then_some(())
    });
    assert!(refused.is_some(), "someone else's file is not replaced");
    assert_eq!(std::fs::read(recordings.path().join("theirs.ts")).unwrap(), b"not infotv's");
    drop(server);
    // A recordings folder inside the data folder is refused at the start.
    let inside = data.path().join("rec");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_infotv"))
        .args(["serve", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--loop", "off"])
        .arg("--channels")
        .arg(channels.path())
        .arg("--data")
        .arg(data.path())
        .arg("--recordings")
        .arg(&inside)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("must be outside the data folder"));
}
