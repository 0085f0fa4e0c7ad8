//! What households send back: poll answers, ratings and requests. The
//! checks every answer passes (a callback number, a box's identity kept only
//! as a salted hash, the brakes per box and address), the writer that
//! commits them, and what operators read back.

use std::collections::HashMap;

use anyhow::Result;
use chrono::{DateTime, Datelike, FixedOffset};
use rusqlite::{params, Connection};
use serde::Serialize;

use crate::clock::stamp;
use crate::config::InteractionConfig;
use crate::store::Store;
use crate::sync::Locked;

/// A callback number as typed on the remote, normalised: a mainland mobile
/// (`1[3-9]` and 11 digits) or a landline with its area code (`0` and 2–3
/// digits, then 7–8 digits; a hyphen between is allowed). `None` otherwise.
pub fn phone(typed: &str) -> Option<String> {
    let t = typed.trim();
    if t.is_empty() || t.len() > 20 {
        return None;
    }
    let digits: String = t.chars().filter(|c| *c != '-' && *c != ' ').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let b = digits.as_bytes();
    if b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) {
        return Some(digits);
    }
    if b.first() == Some(&b'0') && (10..=12).contains(&b.len()) && b.get(1) != Some(&b'0') {
        // Area codes are 010, 02x (3 digits) or 0xxx (4 digits).
        let area = if b[1] == b'1' || b[1] == b'2' { 3 } else { 4 };
        let local = b.len() - area;
        if (7..=8).contains(&local) {
            return Some(format!("{}-{}", &digits[..area], &digits[area..]));
        }
    }
    None
}

/// A request's reference, short enough to read aloud on the phone:
/// the year and month, then the month's sequence number, `2612-0347`. Past
/// 9,999 the number just grows a digit (`2612-10000`): a reference never
/// comes round again.
pub fn reference(year: i32, month: u32, sequence: u32) -> String {
    format!("{:02}{:02}-{:04}", year.rem_euclid(100), month, sequence)
}

/// A box's identity as stored: a salted hash of what the box sent (its
/// middleware id or its `infotv_box` cookie), never the id itself.
pub(crate) fn box_key(salt: &str, sent: &str) -> String {
    let mut h = blake3::Hasher::new();
    h.update(salt.as_bytes());
    h.update(b"\0box\0");
    h.update(sent.trim().as_bytes());
    h.finalize().to_hex()[..32].to_string()
}

/// Requests one box may file a day.
pub const REQUESTS_A_DAY: i64 = 3;

/// What became of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filed {
    /// Stored, with its reference.
    Reference(String),
    /// The box filed its three today already.
    Limit,
}

/// Records `box`'s answer to `poll` (one choice number per question),
/// replacing any earlier one.
fn write_poll(conn: &Connection, poll: &str, box_key: &str, choices: &[u8], now: DateTime<FixedOffset>) -> Result<()> {
    let text: Vec<String> = choices.iter().map(u8::to_string).collect();
    conn.execute(
        "INSERT OR REPLACE INTO poll_answers (poll, box, choices, at) VALUES (?1, ?2, ?3, ?4)",
        params![poll, box_key, text.join(","), stamp(now.to_utc())],
    )?;
    Ok(())
}

/// Records `box`'s rating (1–5) of `item`, replacing any earlier one.
fn write_rating(conn: &Connection, item: &str, box_key: &str, level: u8, now: DateTime<FixedOffset>) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO ratings (item, box, level, at) VALUES (?1, ?2, ?3, ?4)",
        params![item, box_key, level, stamp(now.to_utc())],
    )?;
    Ok(())
}

/// Files a request, unless the box filed its three today; the reference is
/// the month's next number. Runs inside the caller's transaction.
fn write_request(
    conn: &Connection,
    item: &str,
    category: &str,
    phone: &str,
    box_key: &str,
    now: DateTime<FixedOffset>,
) -> Result<Filed> {
    let day = now.date_naive().to_string();
    let today: i64 =
        conn.query_row("SELECT count(*) FROM requests WHERE box = ?1 AND day = ?2", params![box_key, day], |r| {
            r.get(0)
        })?;
    if today >= REQUESTS_A_DAY {
        return Ok(Filed::Limit);
    }
    // The month's counter (started past the highest number on file, for a
    // store that has requests but no counter yet), moved on in the caller's
    // write transaction: two writers (the server and another process) are
    // serialised by SQLite's write lock, and a number once given is never
    // given again, even after its request is deleted. A number already on
    // file (a store put together from a backup, say) is passed over, so one
    // stray row never blocks every request after it.
    let month = format!("{:02}{:02}", now.year().rem_euclid(100), now.month());
    let mut taken = conn.prepare_cached("SELECT 1 FROM requests WHERE reference = ?1")?;
    let mut next = conn.prepare_cached(
        "INSERT INTO reference_counters (month, last)
             VALUES (?1, 1 + (SELECT coalesce(max(CAST(substr(reference, 6) AS INTEGER)), 0)
                              FROM requests WHERE substr(reference, 1, 5) = ?1 || '-'))
         ON CONFLICT (month) DO UPDATE SET last = last + 1 RETURNING last",
    )?;
    let mut reference = String::new();
    for _ in 0..10_000 {
        let n: u32 = next.query_row([&month], |r| r.get(0))?;
        reference = self::reference(now.year(), now.month(), n);
        if !taken.exists([&reference])? {
            break;
        }
    }
    conn.execute(
        "INSERT INTO requests (reference, at, day, item, category, phone, box, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'new')",
        params![reference, stamp(now.to_utc()), day, item, category, phone, box_key],
    )?;
    Ok(Filed::Reference(reference))
}

/// One request as operators see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestRow {
    pub reference: String,
    pub time: String,
    pub item: String,
    pub category: String,
    /// `None` once forgotten.
    pub phone: Option<String>,
    pub state: String,
}

/// A rated sub-item: how many boxes gave each level (index 0 is level 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RatingRow {
    pub item: String,
    pub levels: [u64; 5],
}

impl RatingRow {
    /// The mean level, 1 (非常不满意) to 5 (非常满意).
    pub fn average(&self) -> Option<f64> {
        let n: u64 = self.levels.iter().sum();
        (n > 0).then(|| self.levels.iter().enumerate().map(|(i, c)| (i as u64 + 1) * c).sum::<u64>() as f64 / n as f64)
    }
}

impl Store {
    /// Per question, the count of each choice (1-based choices, `sizes`
    /// choices per question), and how many boxes answered.
    pub fn poll_counts(&self, poll: &str, sizes: &[usize]) -> Result<(Vec<Vec<u64>>, u64)> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT choices FROM poll_answers WHERE poll = ?1")?;
        let mut counts: Vec<Vec<u64>> = sizes.iter().map(|n| vec![0; *n]).collect();
        let mut boxes = 0;
        for row in stmt.query_map([poll], |r| r.get::<_, String>(0))? {
            boxes += 1;
            for (q, c) in row?.split(',').enumerate() {
                let Ok(c) = c.parse::<usize>() else { continue };
                if let Some(slot) = counts.get_mut(q).and_then(|v| v.get_mut(c.wrapping_sub(1))) {
                    *slot += 1;
                }
            }
        }
        Ok((counts, boxes))
    }

    /// Every rated sub-item's levels.
    pub fn ratings(&self) -> Result<Vec<RatingRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT item, level, count(*) FROM ratings GROUP BY item, level ORDER BY item")?;
        let mut out: Vec<RatingRow> = Vec::new();
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))? {
            let (item, level, n) = row?;
            if out.last().is_none_or(|l| l.item != item) {
                out.push(RatingRow { item: item.clone(), levels: [0; 5] });
            }
            if let (Some(last), 1..=5) = (out.last_mut(), level) {
                last.levels[level as usize - 1] = n as u64;
            }
        }
        Ok(out)
    }

    /// Requests, newest first.
    pub fn requests(&self, limit: usize) -> Result<Vec<RequestRow>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT reference, at, item, category, phone, state FROM requests ORDER BY id DESC LIMIT ?1")?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(RequestRow {
                reference: r.get(0)?,
                time: r.get(1)?,
                item: r.get(2)?,
                category: r.get(3)?,
                phone: r.get(4)?,
                state: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Marks a request handled; false when there is no such request.
    pub(crate) fn handle_request(&self, reference: &str) -> Result<bool> {
        Ok(self.conn().execute("UPDATE requests SET state = 'handled' WHERE reference = ?1", [reference])? == 1)
    }

    /// Deletes requests (and with them their callback numbers) older than
    /// `days`.
    pub(crate) fn forget_requests(&self, days: i64, now: DateTime<FixedOffset>) -> Result<usize> {
        let before = (now - chrono::Duration::days(days)).to_utc();
        Ok(self.conn().execute("DELETE FROM requests WHERE at < ?1", [stamp(before)])?)
    }
}

/// One answer to write.
#[derive(Debug, Clone)]
pub enum Answer {
    Poll { poll: String, choices: Vec<u8> },
    Rating { item: String, level: u8 },
    Request { item: String, category: String, phone: String },
}

impl Answer {
    /// Its kind, as `/metrics` labels it.
    pub fn kind(&self) -> &'static str {
        match self {
            Answer::Poll { .. } => "poll",
            Answer::Rating { .. } => "rating",
            Answer::Request { .. } => "request",
        }
    }
}

/// What became of an answer once written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    Taken,
    Filed(Filed),
}

struct Job {
    answer: Answer,
    box_key: String,
    now: DateTime<FixedOffset>,
    reply: tokio::sync::oneshot::Sender<Result<Written, String>>,
}

/// Writes answers on a thread of its own with its own connection, at
/// `synchronous = FULL`: an answer acknowledged is on disk, through a kill or
/// a power cut. Answers that arrive together share one transaction, so a
/// burst costs one disk flush per batch rather than one per answer.
pub struct Writer {
    jobs: std::sync::Mutex<Option<std::sync::mpsc::Sender<Job>>>,
    thread: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// Most answers in one transaction.
const BATCH: usize = 256;

impl Writer {
    /// Opens its connection to the store in `dir` (already migrated).
    pub fn open(dir: &std::path::Path) -> Result<Writer> {
        let path = dir.join(crate::store::FILE);
        let conn = Connection::open(&path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let thread = std::thread::Builder::new().name("answers".into()).spawn(move || {
            let mut conn = conn;
            while let Ok(first) = rx.recv() {
                let mut batch = vec![first];
                while batch.len() < BATCH {
                    match rx.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                let results = write_batch(&mut conn, &batch);
                for (job, result) in batch.into_iter().zip(results) {
                    let _ = job.reply.send(result);
                }
            }
        })?;
        Ok(Writer { jobs: std::sync::Mutex::new(Some(tx)), thread: std::sync::Mutex::new(Some(thread)) })
    }

    /// Writes one answer; returns once it is committed.
    pub async fn write(&self, answer: Answer, box_key: String, now: DateTime<FixedOffset>) -> Result<Written, String> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        let sent = match &*self.jobs.locked() {
            Some(jobs) => jobs.send(Job { answer, box_key, now, reply }).is_ok(),
            None => false,
        };
        if !sent {
            return Err("the answer writer has stopped".into());
        }
        rx.await.map_err(|_| "the answer writer has stopped".to_string())?
    }

    /// Finishes what is queued and stops the thread.
    pub fn close(&self) {
        drop(self.jobs.locked().take());
        if let Some(t) = self.thread.locked().take() {
            let _ = t.join();
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.close();
    }
}

/// One transaction for the batch, one savepoint an answer: an answer that
/// fails (a constraint, a full page) is rolled back alone and told so, and
/// the rest commit. Should the commit itself fail, each answer is tried
/// again in a transaction of its own, so one bad answer never fails others.
fn write_batch(conn: &mut Connection, batch: &[Job]) -> Vec<Result<Written, String>> {
    let together = |conn: &mut Connection| -> Result<Vec<Result<Written, String>>> {
        let mut tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut out = Vec::with_capacity(batch.len());
        for job in batch {
            let sp = tx.savepoint()?;
            match write_one(&sp, job) {
                Ok(w) => {
                    sp.commit()?;
                    out.push(Ok(w));
                }
                Err(e) => {
                    drop(sp); // rolled back
                    tracing::error!("an answer was not written: {e:#}");
                    out.push(Err(format!("{e:#}")));
                }
            }
        }
        tx.commit()?;
        Ok(out)
    };
    match together(conn) {
        Ok(out) => out,
        Err(e) => {
            tracing::warn!("a batch of {} answers did not commit ({e:#}); each is tried alone", batch.len());
            batch
                .iter()
                .map(|job| {
                    let alone = |conn: &mut Connection| -> Result<Written> {
                        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                        let w = write_one(&tx, job)?;
                        tx.commit()?;
                        Ok(w)
                    };
                    alone(conn).map_err(|e| {
                        tracing::error!("an answer was not written: {e:#}");
                        format!("{e:#}")
                    })
                })
                .collect()
        }
    }
}

/// Writes one answer inside the caller's transaction.
fn write_one(conn: &Connection, job: &Job) -> Result<Written> {
    let k = &job.box_key;
    Ok(match &job.answer {
        Answer::Poll { poll, choices } => write_poll(conn, poll, k, choices, job.now).map(|()| Written::Taken)?,
        Answer::Rating { item, level } => write_rating(conn, item, k, *level, job.now).map(|()| Written::Taken)?,
        Answer::Request { item, category, phone } => {
            Written::Filed(write_request(conn, item, category, phone, k, job.now)?)
        }
    })
}

/// Who a box is, once its answer says: the identity its answers are kept
/// under (before hashing), and the id the server issued it just now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxId {
    pub identity: String,
    /// A new signed id, to be handed back (and kept by the box).
    pub issued: Option<String>,
}

/// Why a box's identity was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unknown {
    /// An id the server never issued (forged, or damaged), and no serial
    /// of the registry.
    Forged,
    /// This address asked for too many new ids this hour.
    TooManyNew,
}

/// The prefix of the ids the server issues (`b1.` random `.` signature).
const ISSUED: &str = "b1.";

/// Everything that takes answers: the writer, the store it reads back
/// from, the salt of box hashes, the key that signs the box ids it issues,
/// the brakes, and a signal to the results refresher.
pub struct Intake {
    pub writer: Writer,
    pub store: std::sync::Arc<Store>,
    salt: String,
    /// The HMAC-SM3 key of issued box ids, kept in the store's `meta`
    /// (so a backup carries it and restored boxes keep their ids).
    key: [u8; 32],
    brakes: std::sync::Mutex<Brakes>,
    /// Counts answers taken; the results refresher waits for it to move.
    pub taken: tokio::sync::watch::Sender<u64>,
}

impl Intake {
    pub fn open(store: std::sync::Arc<Store>, dir: &std::path::Path) -> Result<Intake> {
        let salt = store.salt()?;
        let key = match store.meta("box_key")?.and_then(|k| crate::ids::unhex::<32>(&k)) {
            Some(k) => k,
            None => {
                let k = crate::ids::random_hex(32);
                store.set_meta("box_key", &k)?;
                crate::ids::unhex::<32>(&k).expect("32 random bytes")
            }
        };
        Ok(Intake {
            writer: Writer::open(dir)?,
            store,
            salt,
            key,
            brakes: Default::default(),
            taken: tokio::sync::watch::channel(0).0,
        })
    }

    /// The stored form of what a box sent as its identity.
    pub(crate) fn box_key(&self, sent: &str) -> String {
        box_key(&self.salt, sent)
    }

    /// A new id for a box, signed.
    fn issue(&self) -> String {
        let random = crate::ids::random_hex(16);
        let mac = crate::ids::hmac_sm3(&self.key, random.as_bytes());
        format!("{ISSUED}{random}.{}", hex::encode(&mac[..12]))
    }

    /// Whether `id` is one this server issued.
    pub fn signed(&self, id: &str) -> bool {
        let Some((random, mac)) = id.strip_prefix(ISSUED).and_then(|r| r.split_once('.')) else { return false };
        if random.len() != 32 || !random.bytes().all(|b| b.is_ascii_hexdigit()) {
            return false;
        }
        let want = hex::encode(&crate::ids::hmac_sm3(&self.key, random.as_bytes())[..12]);
        crate::ids::same_secret(mac, &want)
    }

    /// Who sent an answer: a serial the `registry` knows, else an id this
    /// server issued, else — for a box that sent none — a new id, within
    /// the address's hourly allowance. Anything else is refused: a made-up
    /// id counts for nothing.
    pub(crate) fn identify(
        &self,
        sent: Option<&str>,
        serial: Option<&str>,
        registry: Option<&crate::registry::Registry>,
        limits: &InteractionConfig,
        address: &str,
        unix: i64,
    ) -> Result<BoxId, Unknown> {
        if let (Some(serial), Some(registry)) = (serial, registry) {
            if registry.knows(serial) {
                let identity = format!("serial:{}", serial.trim().to_ascii_uppercase());
                return Ok(BoxId { identity, issued: None });
            }
        }
        match sent {
            Some(id) if self.signed(id) => Ok(BoxId { identity: id.to_string(), issued: None }),
            Some(_) => Err(Unknown::Forged),
            None => {
                self.brakes.locked().issue(limits, address, unix)?;
                let id = self.issue();
                Ok(BoxId { identity: id.clone(), issued: Some(id) })
            }
        }
    }

    /// Counts an answer against the brakes.
    pub fn pass(&self, limits: &InteractionConfig, box_key: &str, address: &str, unix: i64) -> Result<(), Held> {
        self.brakes.locked().pass(limits, box_key, address, unix)
    }

    /// Writes an answer and, once committed, tells the refresher.
    pub async fn write(&self, answer: Answer, box_key: String, now: DateTime<FixedOffset>) -> Result<Written, String> {
        let written = self.writer.write(answer, box_key, now).await?;
        if written != Written::Filed(Filed::Limit) {
            self.taken.send_modify(|n| *n += 1);
        }
        Ok(written)
    }
}

/// Re-renders while answers arrive, so results screens show them: at most
/// once every `results_seconds` (site.toml `[interaction]`), never once per
/// answer. Also deletes requests past `retain_days`, hourly. Returns when
/// `shutdown` completes.
pub(crate) async fn refresh_results(
    desk: std::sync::Arc<Intake>,
    driver: std::sync::Arc<crate::driver::Driver>,
    station: crate::pipeline::Station,
    shutdown: impl std::future::Future<Output = ()>,
) {
    use std::time::{Duration, Instant};
    tokio::pin!(shutdown);
    let mut taken = desk.taken.subscribe();
    let mut last_render: Option<Instant> = None;
    let mut last_forget: Option<Instant> = None;
    loop {
        let config = station.on_air.current().map(|g| g.interaction.clone()).unwrap_or_default();
        if last_forget.is_none_or(|t| t.elapsed() >= Duration::from_secs(3600)) {
            last_forget = Some(Instant::now());
            let (store, days) = (desk.store.clone(), i64::from(config.retain_days));
            let now = chrono::Utc::now().fixed_offset();
            match tokio::task::spawn_blocking(move || store.forget_requests(days, now)).await {
                Ok(Ok(n)) if n > 0 => tracing::info!("{n} requests older than {days} days deleted"),
                Ok(Err(e)) => tracing::warn!("old requests not deleted: {e:#}"),
                _ => {}
            }
        }
        tokio::select! {
            () = &mut shutdown => return,
            changed = taken.changed() => if changed.is_err() { return },
            () = tokio::time::sleep(Duration::from_secs(3600)) => continue,
        }
        // Wait out the rest of the interval, then one render shows every
        // answer taken meanwhile.
        let every = Duration::from_secs(config.results_seconds.into());
        let wait = last_render.map_or(Duration::ZERO, |t| every.saturating_sub(t.elapsed()));
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(wait) => {}
        }
        taken.borrow_and_update();
        last_render = Some(Instant::now());
        let (r, s) = (driver.clone(), station.clone());
        let _ = tokio::task::spawn_blocking(move || crate::driver::rebuild(&r, &s, crate::renderlog::Trigger::Answers))
            .await;
    }
}

/// The brakes on answers, in memory: answers per box and per address a
/// minute, and new box ids issued to an address in an hour (a flood of new
/// boxes from one place stops there: made-up ids are refused outright).
#[derive(Default)]
pub struct Brakes {
    minute: i64,
    per_box: HashMap<String, u32>,
    per_address: HashMap<String, u32>,
    hour: i64,
    issued: HashMap<String, u32>,
}

/// Why the brakes held an answer back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    Box,
    Address,
}

impl Brakes {
    fn turn(&mut self, unix: i64) {
        let (minute, hour) = (unix.div_euclid(60), unix.div_euclid(3600));
        if minute != self.minute {
            self.minute = minute;
            self.per_box.clear();
            self.per_address.clear();
        }
        if hour != self.hour {
            self.hour = hour;
            self.issued.clear();
        }
    }

    /// Counts a new id for `address`, or refuses it past the hour's allowance.
    pub fn issue(&mut self, limits: &InteractionConfig, address: &str, unix: i64) -> Result<(), Unknown> {
        self.turn(unix);
        let n = self.issued.entry(address.to_string()).or_default();
        if *n >= limits.new_boxes_hour {
            return Err(Unknown::TooManyNew);
        }
        *n += 1;
        Ok(())
    }

    /// Counts an answer from `box_key` at `address`, or says why it is held.
    pub fn pass(&mut self, limits: &InteractionConfig, box_key: &str, address: &str, unix: i64) -> Result<(), Held> {
        self.turn(unix);
        if self.per_address.get(address).copied().unwrap_or(0) >= limits.address_minute {
            return Err(Held::Address);
        }
        if self.per_box.get(box_key).copied().unwrap_or(0) >= limits.box_minute {
            return Err(Held::Box);
        }
        *self.per_address.entry(address.to_string()).or_default() += 1;
        *self.per_box.entry(box_key.to_string()).or_default() += 1;
        Ok(())
    }
}

#[cfg(test)]
mod store_tests {
    use super::*;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn one_answer_per_box_and_three_requests_a_day() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let now = at("2026-12-01T10:00:00+08:00");
        write_poll(&store.conn(), "p", "box-a", &[1, 2], now).unwrap();
        write_poll(&store.conn(), "p", "box-a", &[3, 2], now).unwrap();
        write_poll(&store.conn(), "p", "box-b", &[3, 1], now).unwrap();
        let (counts, boxes) = store.poll_counts("p", &[4, 2]).unwrap();
        assert_eq!((counts, boxes), (vec![vec![0, 0, 2, 0], vec![1, 1]], 2), "a later answer replaces the earlier");

        let refs: Vec<Filed> = (0..4)
            .map(|_| write_request(&store.conn(), "i", "路灯不亮", "13881812345", "box-a", now).unwrap())
            .collect();
        assert_eq!(refs[0], Filed::Reference("2612-0001".into()));
        assert_eq!(refs[2], Filed::Reference("2612-0003".into()));
        assert_eq!(refs[3], Filed::Limit);
        assert_eq!(
            write_request(&store.conn(), "i", "路灯不亮", "13881812345", "box-b", now).unwrap(),
            Filed::Reference("2612-0004".into())
        );
        let tomorrow = at("2026-12-02T08:00:00+08:00");
        assert!(matches!(
            write_request(&store.conn(), "i", "x", "13881812345", "box-a", tomorrow).unwrap(),
            Filed::Reference(_)
        ));
        assert_eq!(store.forget_requests(180, at("2027-06-30T00:00:00+08:00")).unwrap(), 5);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert_eq!(phone("13881812345").as_deref(), Some("13881812345"));
        assert_eq!(phone("138-8181-2345").as_deref(), Some("13881812345"));
        assert_eq!(phone("08188621234").as_deref(), Some("0818-8621234"));
        assert_eq!(phone("0818-8621234").as_deref(), Some("0818-8621234"));
        assert_eq!(phone("01012345678").as_deref(), Some("010-12345678"));
        assert_eq!(phone("028-86123456").as_deref(), Some("028-86123456"));
        for bad in [
            "",
            "abc",
            "12345",
            "12881812345",
            "1388181234",
            "138818123456",
            "0018-8621234",
            "0818-86212",
            "１３８８１８１２３４５",
        ] {
            assert_eq!(phone(bad), None, "{bad}");
        }
    }

    #[test]
    fn references_and_box_keys() {
        assert_eq!(reference(2026, 12, 347), "2612-0347");
        assert_eq!(reference(2027, 1, 12_345), "2701-12345", "past 9,999 a digit more, never round again");
        let a = box_key("salt", "STB-0001");
        assert_eq!(a.len(), 32);
        assert_eq!(a, box_key("salt", " STB-0001 "));
        assert_ne!(a, box_key("other", "STB-0001"));
        assert!(!a.contains("STB"));
    }
}
