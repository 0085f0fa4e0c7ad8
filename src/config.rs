//! `site.toml`: what a channel may configure, parsed raw and then validated.
//!
//! Every field is optional, so a channel folder with no site.toml at all is a
//! working channel. Parsing happens in two steps (ripgrep's low/high args):
//! `RawSite` mirrors the file, [`SiteConfig`] is what the stages use.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::FixedOffset;
use serde::{Deserialize, Serialize};

use crate::keys::Key;
use crate::problem::{toml_problem, Problem};

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// Parses `#rrggbb`.
    pub fn parse(s: &str) -> Option<Rgb> {
        let hex = s.strip_prefix('#')?;
        if hex.len() != 6 || !hex.is_ascii() {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        Some(Rgb(byte(0)?, byte(2)?, byte(4)?))
    }

    /// Mixes `self` toward `other` by `t` in 0..=1.
    pub(crate) fn mix(self, other: Rgb, t: f32) -> Rgb {
        let m = |a: u8, b: u8| (a as f32 + (b as f32 - a as f32) * t).round() as u8;
        Rgb(m(self.0, other.0), m(self.1, other.1), m(self.2, other.2))
    }
}

/// One output size: every screen is laid out and rendered once per profile.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Profile {
    /// ASCII name used in URLs: `sd`, `hd`, `iptv-sd`.
    pub name: String,
    pub width: u32,
    pub height: u32,
    /// Shown on interlaced sets (PAL/NTSC cable): pictures are softened
    /// vertically so one-line details do not flicker.
    pub interlaced: bool,
}

impl Profile {
    /// A profile with the usual interlace for its height (576 and 480 lines are
    /// broadcast SD).
    pub fn new(name: &str, width: u32, height: u32) -> Profile {
        Profile { name: name.to_string(), width, height, interlaced: matches!(height, 576 | 480) }
    }
}

/// The colours of every screen. Defaults are broadcast-safe: no pure white, no
/// saturated red, light text on a dark ground.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub background: Rgb,
    pub header: Rgb,
    pub text: Rgb,
    pub dim: Rgb,
    pub focus_frame: Rgb,
    pub focus_fill: Rgb,
    pub focus_text: Rgb,
    /// Accent colours given to columns that do not choose their own.
    pub accents: Vec<Rgb>,
    /// Multiplies every text size. Text is never shrunk below the legibility
    /// floor silently: layout reports a problem instead.
    pub text_scale: f32,
}

impl Default for Theme {
    fn default() -> Self {
        Theme {
            background: Rgb(18, 36, 66),
            header: Rgb(10, 24, 48),
            text: Rgb(236, 236, 228),
            dim: Rgb(168, 186, 210),
            focus_frame: Rgb(250, 192, 48),
            focus_fill: Rgb(240, 234, 214),
            focus_text: Rgb(22, 30, 48),
            accents: vec![
                Rgb(160, 54, 50),
                Rgb(44, 120, 116),
                Rgb(150, 46, 44),
                Rgb(38, 108, 86),
                Rgb(176, 118, 36),
                Rgb(86, 124, 44),
                Rgb(40, 96, 160),
                Rgb(30, 122, 150),
                Rgb(78, 78, 146),
            ],
            text_scale: 1.0,
        }
    }
}

/// How the channel folder is watched for changes (`[watch] mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WatchMode {
    /// Kernel events, or polling when the folder is on a network file system.
    #[default]
    Auto,
    /// Kernel events (inotify): instant, but blind to writes made on another
    /// machine to a mounted share.
    Events,
    /// Scanning sizes and times every few seconds: works on SMB and NFS.
    Poll,
}

/// The validated configuration the stages use.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteConfig {
    pub title: String,
    pub profiles: Vec<Profile>,
    /// The profile `/` sends a box to.
    pub default_profile: String,
    pub theme: Theme,
    /// Local time of the households: dates on screen and publish times.
    pub time_zone: FixedOffset,
    /// Colour keys as (key name, column title): `red` → `要闻速递`.
    pub colour_keys: Vec<(String, String)>,
    /// Fallback font files (in the fonts folder), in order, for characters
    /// the shipped faces lack; `None` keeps the shipped fallback.
    pub fonts: Option<Vec<String>>,
    /// How often shells ask whether content or an alert changed.
    pub poll_seconds: u32,
    /// Extra key codes of the boxes out there: code → key name; they add to
    /// and override the shell's built-in map.
    pub key_codes: Vec<(u32, Key)>,
    /// How the folder is watched, and how often it is scanned when polled.
    pub watch: WatchMode,
    pub watch_interval: Option<std::time::Duration>,
    /// A column with nothing new for this many days shows as stale on the
    /// operators' dashboard; 0 turns the warning off.
    pub stale_days: u32,
    /// The broadcast loop for one-way boxes: `[loop]`; `None` runs none.
    pub broadcast: Option<LoopConfig>,
    /// `[review]`: review before air and the content checks.
    pub review: ReviewConfig,
    /// Where back on the start screen leads when the box was opened without
    /// a return address: the operator's portal.
    pub portal_url: Option<String>,
    /// The key that opens 查询: `0` (as a first digit), or `search_key`'s.
    pub search_key: crate::keys::Key,
    /// `[interaction]`: what households answer.
    pub interaction: InteractionConfig,
}

/// `[interaction]` of site.toml: keeping requests, refreshing results, and
/// the brakes on answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct InteractionConfig {
    /// Requests (with their callback numbers) are deleted after this many days.
    pub retain_days: u32,
    /// Results screens are re-rendered at most this often while answers arrive.
    pub results_seconds: u32,
    /// Answers one box may send a minute.
    pub box_minute: u32,
    /// Answers one address may send a minute (many boxes share one behind NAT).
    pub address_minute: u32,
    /// New box ids the server issues to one address in an hour: a flood of
    /// new boxes from one place is capped here (made-up ids count for
    /// nothing at all).
    pub new_boxes_hour: u32,
    /// The registry of known boxes, a CSV in the channel folder whose first
    /// column is the middleware serial (`boxes = "boxes.csv"`).
    pub boxes: Option<String>,
    /// How many boxes the registry holds and a digest of them: part of the
    /// generation's id, so a new registry goes on air.
    pub registry_digest: Option<String>,
    /// The registry itself, read with the channel (never saved: the first
    /// render after a start reads it again).
    #[serde(skip)]
    pub registry: Option<std::sync::Arc<crate::registry::Registry>>,
}

impl Default for InteractionConfig {
    fn default() -> Self {
        InteractionConfig {
            retain_days: 180,
            results_seconds: 30,
            box_minute: 20,
            address_minute: 3000,
            new_boxes_hour: 30,
            boxes: None,
            registry_digest: None,
            registry: None,
        }
    }
}

/// `[review]` of site.toml.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReviewConfig {
    /// New and changed files wait for a reviewer.
    pub required: bool,
    /// A file containing one of these is withheld.
    pub banned: Vec<String>,
    /// Misused wording and its fix, reported with file and line.
    pub corrections: Vec<(String, String)>,
    /// What is done with ID, mobile and bank card numbers.
    pub privacy: Privacy,
}

/// `privacy = "mask"` (the default) or `"block"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Privacy {
    /// Shown masked, and reported.
    #[default]
    Mask,
    /// The file is withheld (its last good version stays on air).
    Block,
}

/// `[loop]` of site.toml: what the broadcast loop plays and where it goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoopConfig {
    /// Seconds each screen stays on.
    pub seconds: u32,
    /// Column titles or `column/sub-item` titles, in playing order; empty:
    /// every column in channel order.
    pub items: Vec<String>,
    /// Documents per sub-item, newest first (as the lists show them); 0: all.
    pub newest: u32,
    /// Profiles streamed as HLS at `/live/{profile}/index.m3u8`.
    pub profiles: Vec<String>,
    /// Where the cable headend's MPEG-TS goes (MPEG-2, 720x576, 25 fps):
    /// a `udp://`, `rtp://` or `srt://` address, or a file or named pipe in
    /// the recordings folder (see [`TsTarget`]); `None`: no TS.
    pub ts: Option<String>,
    /// site.toml named a target that is refused: the TS that runs keeps
    /// its last good target instead of stopping.
    #[serde(default)]
    pub ts_refused: bool,
}

/// Where the loop's MPEG-TS may go. Nothing else: a TS is never written
/// where the store, the channel or anything infotv did not make lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TsTarget {
    /// `udp://`, `rtp://` or `srt://` with a host, a port and plain options.
    Url(String),
    /// A file or named pipe by its name inside the recordings folder
    /// (`--recordings`): plain names only, no `..`, no absolute path.
    File(PathBuf),
}

impl TsTarget {
    /// `text` as a target, or why it is not one.
    pub fn parse(text: &str) -> Result<TsTarget, &'static str> {
        let text = text.trim();
        if let Some((scheme, rest)) = text.split_once("://") {
            if !["udp", "rtp", "srt"].contains(&scheme.to_ascii_lowercase().as_str()) {
                return Err("only udp://, rtp:// and srt:// addresses");
            }
            let (host_port, query) = rest.split_once('?').unwrap_or((rest, ""));
            let (host, port) = match host_port.rsplit_once(':') {
                Some((h, p)) => (h, p),
                None => return Err("the address needs a port (udp://239.1.1.1:1234)"),
            };
            let host_ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
                Some(v6) => v6.parse::<std::net::Ipv6Addr>().is_ok(),
                None => {
                    !host.is_empty()
                        && host.len() <= 253
                        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
                }
            };
            let port_ok = port.parse::<u16>().is_ok_and(|p| p > 0);
            let query_ok = query.bytes().all(|b| b.is_ascii_alphanumeric() || b"_=&.%-".contains(&b));
            return if host_ok && port_ok && query_ok {
                Ok(TsTarget::Url(text.to_string()))
            } else {
                Err("not a valid host:port with plain options")
            };
        }
        let path = Path::new(text);
        let plain = path.components().all(|c| match c {
            std::path::Component::Normal(n) => n.to_str().is_some_and(|n| !n.starts_with('.')),
            _ => false,
        });
        if text.is_empty() || text.len() > 200 || !plain || text.contains('\\') {
            return Err("a file name inside the recordings folder, without .., / at the start or hidden names");
        }
        Ok(TsTarget::File(path.to_path_buf()))
    }
}

impl Default for SiteConfig {
    fn default() -> Self {
        SiteConfig {
            title: "信息频道".into(),
            profiles: vec![Profile::new("sd", 720, 576), Profile::new("hd", 1280, 720)],
            default_profile: "sd".into(),
            theme: Theme::default(),
            time_zone: china_time(),
            colour_keys: Vec::new(),
            fonts: None,
            poll_seconds: 30,
            key_codes: Vec::new(),
            watch: WatchMode::Auto,
            watch_interval: None,
            stale_days: 30,
            broadcast: None,
            review: ReviewConfig::default(),
            portal_url: None,
            search_key: crate::keys::Key::Digit(0),
            interaction: InteractionConfig::default(),
        }
    }
}

fn china_time() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("+08:00 is a valid offset")
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSite {
    title: Option<String>,
    time_zone: Option<String>,
    default_profile: Option<String>,
    profiles: Option<BTreeMap<String, RawProfile>>,
    theme: Option<RawTheme>,
    colour_keys: Option<BTreeMap<String, String>>,
    fonts: Option<Vec<String>>,
    poll_seconds: Option<u32>,
    key_codes: Option<BTreeMap<String, String>>,
    watch: Option<RawWatch>,
    stale_days: Option<u32>,
    #[serde(rename = "loop")]
    broadcast: Option<RawLoop>,
    review: Option<RawReview>,
    portal_url: Option<String>,
    search_key: Option<String>,
    interaction: Option<RawInteraction>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInteraction {
    retain_days: Option<u32>,
    results_seconds: Option<u32>,
    box_minute: Option<u32>,
    address_minute: Option<u32>,
    new_boxes_hour: Option<u32>,
    boxes: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReview {
    required: Option<bool>,
    banned: Option<Vec<String>>,
    corrections: Option<BTreeMap<String, String>>,
    privacy: Option<Privacy>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLoop {
    seconds: Option<u32>,
    items: Option<Vec<String>>,
    newest: Option<u32>,
    profiles: Option<Vec<String>>,
    ts: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWatch {
    mode: Option<WatchMode>,
    interval_seconds: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    width: u32,
    height: u32,
    interlaced: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    background: Option<String>,
    header: Option<String>,
    text: Option<String>,
    dim: Option<String>,
    focus_frame: Option<String>,
    focus_fill: Option<String>,
    focus_text: Option<String>,
    accents: Option<Vec<String>>,
    text_scale: Option<f32>,
}

/// Parses and validates `site.toml`. Anything wrong becomes a problem and the
/// default for that part is used, so the caller can decide whether to publish.
pub(crate) fn parse_site(path: &str, text: &str) -> (SiteConfig, Vec<Problem>) {
    let mut problems = Vec::new();
    let raw: RawSite = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(err) => {
            problems.push(toml_problem(path, text, &err, 0));
            return (SiteConfig::default(), problems);
        }
    };
    let mut config = SiteConfig::default();
    if let Some(title) = raw.title.filter(|t| !t.trim().is_empty()) {
        config.title = title.trim().to_string();
    }
    if let Some(tz) = raw.time_zone {
        match parse_offset(&tz) {
            Some(offset) => config.time_zone = offset,
            None => problems.push(
                Problem::new(
                    path,
                    format!("时区“{tz}”无法识别，使用默认的北京时间"),
                    format!("time zone {tz:?} not understood; Beijing time is used"),
                )
                .hint("写成 time_zone = \"+08:00\"", "write time_zone = \"+08:00\""),
            ),
        }
    }
    apply_profiles(path, raw.profiles, raw.default_profile, &mut config, &mut problems);
    if let Some(theme) = raw.theme {
        apply_theme(path, theme, &mut config.theme, &mut problems);
    }
    config.fonts = raw.fonts;
    if let Some(n) = in_range(path, "poll_seconds", raw.poll_seconds, 1..=3600, &mut problems) {
        config.poll_seconds = n;
    }
    if let Some(n) = in_range(path, "stale_days", raw.stale_days, 0..=3650, &mut problems) {
        config.stale_days = n;
    }
    if let Some(watch) = raw.watch {
        config.watch = watch.mode.unwrap_or_default();
        let interval = in_range(path, "watch.interval_seconds", watch.interval_seconds, 1..=60, &mut problems);
        config.watch_interval = interval.map(|s| std::time::Duration::from_secs(s.into()));
    }
    if let Some(raw_loop) = raw.broadcast {
        config.broadcast = Some(loop_config(path, raw_loop, &config.profiles, &mut problems));
    }
    if let Some(url) = raw.portal_url {
        let ok = (url.starts_with("http://") || url.starts_with("https://"))
            && url.len() <= 1000
            && url.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            config.portal_url = Some(url);
        } else {
            problems.push(
                Problem::new(
                    path,
                    format!("portal_url = \"{url}\" 不是有效地址，已忽略"),
                    format!("portal_url = {url:?} is not a usable address; ignored"),
                )
                .hint("写成 portal_url = \"http://…\"", "write portal_url = \"http://…\""),
            );
        }
    }
    if let Some(name) = raw.search_key.as_deref() {
        search_key(path, name, &mut config, &mut problems);
    }
    if let Some(i) = raw.interaction {
        let c = &mut config.interaction;
        let mut set = |name: &str, v: Option<u32>, range: std::ops::RangeInclusive<u32>, slot: &mut u32| {
            if let Some(n) = in_range(path, name, v, range, &mut problems) {
                *slot = n;
            }
        };
        set("interaction.retain_days", i.retain_days, 1..=3650, &mut c.retain_days);
        set("interaction.results_seconds", i.results_seconds, 1..=3600, &mut c.results_seconds);
        set("interaction.box_minute", i.box_minute, 1..=1000, &mut c.box_minute);
        set("interaction.address_minute", i.address_minute, 1..=1_000_000, &mut c.address_minute);
        set("interaction.new_boxes_hour", i.new_boxes_hour, 1..=1_000_000, &mut c.new_boxes_hour);
        c.boxes = i.boxes.map(|b| b.trim().to_string()).filter(|b| !b.is_empty());
    }
    if let Some(r) = raw.review {
        config.review = ReviewConfig {
            required: r.required.unwrap_or(false),
            banned: r
                .banned
                .unwrap_or_default()
                .into_iter()
                .map(|w| w.trim().to_string())
                .filter(|w| !w.is_empty())
                .collect(),
            corrections: r.corrections.unwrap_or_default().into_iter().filter(|(w, _)| !w.trim().is_empty()).collect(),
            privacy: r.privacy.unwrap_or_default(),
        };
    }
    apply_keys(path, raw.key_codes, raw.colour_keys, &mut config, &mut problems);
    (config, problems)
}

/// `[profiles]` and `default_profile`: a bad profile is left out, and the
/// defaults stand when none is left.
fn apply_profiles(
    path: &str,
    raw_profiles: Option<BTreeMap<String, RawProfile>>,
    default_profile: Option<String>,
    config: &mut SiteConfig,
    problems: &mut Vec<Problem>,
) {
    if let Some(raw_profiles) = raw_profiles {
        let mut profiles = Vec::new();
        for (name, p) in raw_profiles {
            let name_ok =
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            let size_ok = (320..=1920).contains(&p.width) && (240..=1080).contains(&p.height);
            if name_ok && size_ok {
                let mut profile = Profile::new(&name, p.width, p.height);
                profile.interlaced = p.interlaced.unwrap_or(profile.interlaced);
                profiles.push(profile);
            } else {
                problems.push(
                    Problem::new(
                        path,
                        format!("画面规格“{name}”无效，已忽略"),
                        format!("profile {name:?} invalid; ignored"),
                    )
                    .hint(
                        "名称只用小写字母、数字和连字符，尺寸在 320x240 到 1920x1080 之间",
                        "name in lowercase ASCII, digits and hyphens; size within 320x240..1920x1080",
                    ),
                );
            }
        }
        if !profiles.is_empty() {
            config.profiles = profiles;
        }
    }
    match default_profile {
        Some(name) if config.profiles.iter().any(|p| p.name == name) => config.default_profile = name,
        Some(name) => problems.push(
            Problem::new(
                path,
                format!("默认画面规格“{name}”不存在"),
                format!("default profile {name:?} is not defined"),
            )
            .hint(
                "写 [profiles] 中已有的名称，例如 sd 或 hd",
                "name a profile defined under [profiles], e.g. sd or hd",
            ),
        ),
        None => {}
    }
    if !config.profiles.iter().any(|p| p.name == config.default_profile) {
        config.default_profile = config.profiles[0].name.clone();
    }
}

/// `search_key`: a digit or a colour key; anything else is a problem and 0 stays.
fn search_key(path: &str, name: &str, config: &mut SiteConfig, problems: &mut Vec<Problem>) {
    use crate::keys::Key;
    match Key::from_name(name) {
        Some(k @ (Key::Digit(_) | Key::Red | Key::Green | Key::Yellow | Key::Blue)) => config.search_key = k,
        _ => problems.push(Problem::new(
            path,
            format!("search_key = \"{name}\" 不是数字键（0-9）或彩色键（red 等），查询仍用 0 键"),
            format!("search_key = {name:?} is neither a digit (0-9) nor a colour key (red…); 0 opens search"),
        )),
    }
}

/// `[key_codes]` and `[colour_keys]`: unknown codes or keys are left out.
fn apply_keys(
    path: &str,
    key_codes: Option<BTreeMap<String, String>>,
    colour_keys: Option<BTreeMap<String, String>>,
    config: &mut SiteConfig,
    problems: &mut Vec<Problem>,
) {
    for (code, name) in key_codes.unwrap_or_default() {
        match (code.parse::<u32>(), Key::from_name(&name)) {
            (Ok(c), Some(key)) => config.key_codes.push((c, key)),
            _ => problems.push(Problem::new(
                path,
                format!("key_codes 中“{code} = {name}”无效，已忽略"),
                format!("key_codes entry {code} = {name:?} invalid; ignored"),
            )
            .hint(
                "左边是按键码（数字），右边是 up、down、left、right、ok、back、home、pageup、pagedown、red、green、yellow、blue 或 0–9",
                "a numeric key code = a key name (up, down, left, right, ok, back, home, pageup, pagedown, colours, 0-9)",
            )),
        }
    }
    for (key, column) in colour_keys.unwrap_or_default() {
        if ["red", "green", "yellow", "blue"].contains(&key.as_str()) {
            config.colour_keys.push((key, column));
        } else {
            problems.push(
                Problem::new(
                    path,
                    format!("颜色键“{key}”不存在，已忽略"),
                    format!("colour key {key:?} unknown; ignored"),
                )
                .hint("只能是 red、green、yellow、blue", "use red, green, yellow or blue"),
            );
        }
    }
    // The remote's order, left to right.
    let order = |k: &str| ["red", "green", "yellow", "blue"].iter().position(|c| *c == k);
    config.colour_keys.sort_by_key(|(k, _)| order(k));
}

fn loop_config(path: &str, raw: RawLoop, profiles: &[Profile], problems: &mut Vec<Problem>) -> LoopConfig {
    let seconds = in_range(path, "loop.seconds", raw.seconds, 3..=600, problems).unwrap_or(10);
    let newest = in_range(path, "loop.newest", raw.newest, 0..=100, problems).unwrap_or(3);
    let mut chosen = Vec::new();
    for name in raw.profiles.unwrap_or_default() {
        if profiles.iter().any(|p| p.name == name) {
            chosen.push(name);
        } else {
            problems.push(
                Problem::new(
                    path,
                    format!("[loop] 的画面规格“{name}”不存在，已忽略"),
                    format!("[loop] profile {name:?} is not defined; ignored"),
                )
                .hint("写 [profiles] 中已有的名称，例如 sd 或 hd", "name a profile defined under [profiles], e.g. sd"),
            );
        }
    }
    if chosen.is_empty() {
        // The SD picture is what cable carries; HD costs more to encode.
        let sd = profiles.iter().find(|p| p.width == 720 && p.height == 576).or(profiles.first());
        chosen.extend(sd.map(|p| p.name.clone()));
    }
    let mut ts_refused = false;
    let ts = raw.ts.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).filter(|t| match TsTarget::parse(t) {
        Ok(_) => true,
        Err(why) => {
            ts_refused = true;
            problems.push(
                Problem::new(
                    path,
                    format!("[loop] ts = “{t}” 不是允许的输出（{why}），轮播继续使用上一个有效的输出"),
                    format!("[loop] ts = {t:?} is not an allowed output ({why}); the loop keeps its last good output"),
                )
                .hint(
                    "写组播或推流地址，例如 ts = \"udp://239.1.1.1:1234\"；或写录制文件夹（--recordings）里的文件名，例如 ts = \"loop.ts\"",
                    "give a stream address such as ts = \"udp://239.1.1.1:1234\", or a file name in the recordings folder (--recordings) such as ts = \"loop.ts\"",
                ),
            );
            false
        }
    });
    LoopConfig {
        seconds,
        items: raw
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|i| i.trim().to_string())
            .filter(|i| !i.is_empty())
            .collect(),
        newest,
        profiles: chosen,
        ts,
        ts_refused,
    }
}

fn apply_theme(path: &str, raw: RawTheme, theme: &mut Theme, problems: &mut Vec<Problem>) {
    let mut set = |value: Option<String>, slot: &mut Rgb, name: &str| {
        if let Some(v) = value {
            match Rgb::parse(&v) {
                Some(c) => *slot = c,
                None => problems.push(colour_problem(path, name, &v)),
            }
        }
    };
    set(raw.background, &mut theme.background, "background");
    set(raw.header, &mut theme.header, "header");
    set(raw.text, &mut theme.text, "text");
    set(raw.dim, &mut theme.dim, "dim");
    set(raw.focus_frame, &mut theme.focus_frame, "focus_frame");
    set(raw.focus_fill, &mut theme.focus_fill, "focus_fill");
    set(raw.focus_text, &mut theme.focus_text, "focus_text");
    if let Some(k) = in_range(path, "text_scale", raw.text_scale, 0.5..=2.0, problems) {
        theme.text_scale = k;
    }
    if let Some(list) = raw.accents {
        let parsed: Vec<Rgb> = list.iter().filter_map(|v| Rgb::parse(v)).collect();
        if parsed.len() == list.len() && !parsed.is_empty() {
            theme.accents = parsed;
        } else {
            problems.push(colour_problem(path, "accents", &list.join(", ")));
        }
    }
}

/// A numeric setting when it lies in `range`; outside it, a problem and `None`
/// (the default stands).
fn in_range<T>(
    path: &str,
    name: &str,
    value: Option<T>,
    range: std::ops::RangeInclusive<T>,
    problems: &mut Vec<Problem>,
) -> Option<T>
where
    T: PartialOrd + Copy + std::fmt::Display + std::fmt::Debug,
{
    let v = value?;
    if range.contains(&v) {
        return Some(v);
    }
    let (lo, hi) = (range.start(), range.end());
    problems.push(
        Problem::new(
            path,
            format!("{name} = {v} 超出范围，使用默认值"),
            format!("{name} = {v} out of range; the default is used"),
        )
        .hint(format!("写 {lo:?} 到 {hi:?} 之间的数"), format!("use a value within {lo:?}..{hi:?}")),
    );
    None
}

pub(crate) fn colour_problem(path: &str, name: &str, value: &str) -> Problem {
    Problem::new(
        path,
        format!("颜色 {name} = “{value}” 无效，使用默认颜色"),
        format!("colour {name} = {value:?} invalid; the default is used"),
    )
    .hint(format!("写成 {name} = \"#1a2b3c\" 这样的六位颜色"), format!("write {name} = \"#rrggbb\""))
}

/// Parses `+08:00`, `-05:30`, `UTC+8` or `Asia/Shanghai` (the zone every Chinese
/// county uses; other named zones need an offset since China has no DST).
pub(crate) fn parse_offset(s: &str) -> Option<FixedOffset> {
    let s = s.trim();
    if s == "Asia/Shanghai" || s == "Asia/Chongqing" || s == "PRC" {
        return Some(china_time());
    }
    let s = s.strip_prefix("UTC").unwrap_or(s);
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?),
        None => (rest.parse::<i32>().ok()?, 0),
    };
    if !(0..=14).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_is_the_default() {
        let (config, problems) = parse_site("site.toml", "");
        assert_eq!(config, SiteConfig::default());
        assert!(problems.is_empty());
    }

    #[test]
    fn broken_toml_names_the_line() {
        let (_, problems) = parse_site("site.toml", "title = \"a\"\n\ntitle = = 3\n");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, Some(3));
    }

    #[test]
    fn profiles_and_zone() {
        let text = "title = \"万源\"\ntime_zone = \"UTC+8\"\ndefault_profile = \"hd\"\n[profiles.hd]\nwidth = 1280\nheight = 720\n[profiles.iptv-sd]\nwidth = 640\nheight = 530\n";
        let (config, problems) = parse_site("site.toml", text);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(config.title, "万源");
        assert_eq!(config.default_profile, "hd");
        assert_eq!(config.profiles.len(), 2);
        assert_eq!(config.time_zone.local_minus_utc(), 8 * 3600);
    }

    #[test]
    fn bad_values_are_problems_and_defaults_stay() {
        let text = "time_zone = \"Mars\"\n[theme]\nbackground = \"blue\"\n[profiles.BIG]\nwidth = 9000\nheight = 10\n";
        let (config, problems) = parse_site("site.toml", text);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert_eq!(config.theme.background, Theme::default().background);
        assert_eq!(config.profiles, SiteConfig::default().profiles);
    }
}
