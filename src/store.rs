//! What operators look back on, in SQLite (`--data/infotv.sqlite`, WAL):
//! render runs, problems with since-when, page views aggregated per screen,
//! profile and hour, and unique boxes per day by a salted hash.
//!
//! The schema is versioned with `PRAGMA user_version`; the migrations run in
//! order from whatever version a file has, so every data folder ever written
//! opens with the current binary.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Mutex;

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::problem::Problem;
use crate::renderlog::{Report, Trigger};
use crate::sync::Locked;

/// Each entry takes the schema from version `i` to `i + 1`. Never edit one
/// that has shipped; add another.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    "CREATE TABLE renders (
        id INTEGER PRIMARY KEY,
        finished TEXT NOT NULL,
        trigger TEXT NOT NULL,
        duration_ms INTEGER NOT NULL,
        change_to_air_ms INTEGER,
        screens INTEGER NOT NULL,
        rendered INTEGER NOT NULL,
        reused INTEGER NOT NULL,
        problem_count INTEGER NOT NULL,
        problems TEXT NOT NULL,
        generation TEXT NOT NULL,
        published INTEGER NOT NULL
    );
    CREATE TABLE problems (
        id INTEGER PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        path TEXT NOT NULL,
        line INTEGER,
        zh TEXT NOT NULL,
        en TEXT NOT NULL,
        hint_zh TEXT NOT NULL,
        hint_en TEXT NOT NULL,
        last_good INTEGER NOT NULL,
        since TEXT NOT NULL,
        resolved TEXT
    );
    CREATE INDEX problems_open ON problems (fingerprint) WHERE resolved IS NULL;
    CREATE TABLE views (
        day TEXT NOT NULL,
        hour INTEGER NOT NULL,
        profile TEXT NOT NULL,
        screen TEXT NOT NULL,
        column_title TEXT NOT NULL,
        item_title TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (day, hour, profile, screen)
    ) WITHOUT ROWID;
    CREATE TABLE boxes (
        day TEXT NOT NULL,
        box TEXT NOT NULL,
        PRIMARY KEY (day, box)
    ) WITHOUT ROWID;
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;",
    // 2: named accounts, the failed-login lockout and the audit log
    // (accounts.rs, audit.rs). The audit log's triggers make it append-only
    // and keep every row younger than 180 days.
    "CREATE TABLE accounts (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        password TEXT NOT NULL,
        must_change INTEGER NOT NULL,
        disabled INTEGER NOT NULL,
        epoch INTEGER NOT NULL,
        token TEXT UNIQUE,
        token_issued TEXT,
        created TEXT NOT NULL,
        last_login TEXT
    ) WITHOUT ROWID;
    CREATE TABLE login_failures (name TEXT NOT NULL, at INTEGER NOT NULL);
    CREATE INDEX login_failures_name ON login_failures (name, at);
    CREATE TABLE lockouts (name TEXT PRIMARY KEY, until INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        account TEXT NOT NULL,
        role TEXT NOT NULL,
        address TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        result TEXT NOT NULL,
        prev TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE INDEX audit_at ON audit (at);
    CREATE INDEX audit_account ON audit (account, id);
    CREATE TRIGGER audit_append_only BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_kept BEFORE DELETE ON audit
        WHEN old.at > strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-180 days')
        BEGIN SELECT RAISE(ABORT, 'audit rows younger than 180 days are kept'); END;",
    // 3: review before air (review.rs): each version of each file, by path
    // and content hash, and what a reviewer decided.
    "CREATE TABLE review (
        version TEXT PRIMARY KEY,
        path TEXT NOT NULL,
        hash TEXT NOT NULL,
        state TEXT NOT NULL,
        reason TEXT,
        changed TEXT NOT NULL,
        decided_by TEXT,
        decided_at TEXT
    ) WITHOUT ROWID;
    CREATE INDEX review_path ON review (path);",
    // 4: what households answer (answers.rs): one poll answer per box per
    // poll (a later one replaces it), one rating per box per item, and
    // requests with their callback numbers until they are forgotten.
    "CREATE TABLE poll_answers (
        poll TEXT NOT NULL,
        box TEXT NOT NULL,
        choices TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (poll, box)
    ) WITHOUT ROWID;
    CREATE TABLE ratings (
        item TEXT NOT NULL,
        box TEXT NOT NULL,
        level INTEGER NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (item, box)
    ) WITHOUT ROWID;
    CREATE TABLE requests (
        id INTEGER PRIMARY KEY,
        reference TEXT NOT NULL UNIQUE,
        at TEXT NOT NULL,
        day TEXT NOT NULL,
        item TEXT NOT NULL,
        category TEXT NOT NULL,
        phone TEXT,
        box TEXT NOT NULL,
        state TEXT NOT NULL
    );
    CREATE INDEX requests_box_day ON requests (box, day);",
    // 5: the security review (issue 50). References count on past 9,999: a
    // counter per month, started from the highest number filed. Failed
    // logins and lockouts are per name *and address*, so a stranger's
    // failures never lock the name everywhere; the addresses an account
    // logged in from are remembered, so the delay per name that slows
    // guessing from many addresses spares them.
    "CREATE TABLE reference_counters (month TEXT PRIMARY KEY, last INTEGER NOT NULL) WITHOUT ROWID;
    INSERT INTO reference_counters (month, last)
        SELECT substr(reference, 1, 4), max(CAST(substr(reference, 6) AS INTEGER)) FROM requests
        GROUP BY substr(reference, 1, 4);
    ALTER TABLE login_failures ADD COLUMN address TEXT NOT NULL DEFAULT '';
    CREATE INDEX login_failures_address ON login_failures (name, address, at);
    DROP TABLE lockouts;
    CREATE TABLE lockouts (
        name TEXT NOT NULL,
        address TEXT NOT NULL,
        until INTEGER NOT NULL,
        PRIMARY KEY (name, address)
    ) WITHOUT ROWID;
    CREATE TABLE login_addresses (
        name TEXT NOT NULL,
        address TEXT NOT NULL,
        last INTEGER NOT NULL,
        PRIMARY KEY (name, address)
    ) WITHOUT ROWID;",
];

/// The store: one connection, used from blocking tasks.
pub struct Store {
    conn: Mutex<Connection>,
    /// The database file, for work done on a connection of its own
    /// (walking the audit chain without holding `conn`).
    path: std::path::PathBuf,
    /// Where each audit row also goes: the system log's socket.
    syslog: Option<std::path::PathBuf>,
}

/// One render run as the history shows it.
#[derive(Debug, Clone, Serialize)]
pub struct RenderRow {
    pub id: i64,
    pub finished: String,
    pub trigger: Trigger,
    pub duration_ms: i64,
    pub change_to_air_ms: Option<i64>,
    pub screens: i64,
    pub rendered: i64,
    pub reused: i64,
    pub problem_count: i64,
    pub generation: String,
    pub published: bool,
    /// Only for one run's drill-down.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
}

/// An open (or resolved) problem with since-when.
#[derive(Debug, Clone, Serialize)]
pub struct ProblemRow {
    #[serde(flatten)]
    pub problem: Problem,
    pub since: String,
    pub resolved: Option<String>,
}

/// Views of one screen in one hour, before they are written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ViewKey {
    pub day: NaiveDate,
    pub hour: u32,
    pub profile: String,
    pub screen: String,
    pub column: String,
    pub item: String,
}

/// Views per day, column and sub-item, and unique boxes per day.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    /// (day, column, sub-item, views), by day then column order of appearance.
    pub rows: Vec<(String, String, String, i64)>,
    /// Unique boxes per day.
    pub boxes: BTreeMap<String, i64>,
}

/// The store's file in the data folder.
pub const FILE: &str = "infotv.sqlite";

/// The schema this build writes. It is the data folder's version: a release
/// that changes what the folder holds adds a migration.
pub const SCHEMA: usize = MIGRATIONS.len();

/// A data folder written by a newer release: refused before anything in it
/// is read or written (a downgrade must not run on data it cannot know).
#[derive(Debug)]
pub struct Newer {
    pub found: usize,
}

impl std::fmt::Display for Newer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the data folder was written by a newer infotv (data schema {}; infotv {} knows up to {SCHEMA}): \
             run that release or a newer one, or restore a backup made with this one",
            self.found,
            crate::VERSION
        )
    }
}

impl std::error::Error for Newer {}

/// The schema version of `dir`'s store, read without changing anything;
/// `None` when there is no store yet. A newer one is the [`Newer`] error.
pub(crate) fn schema_of(dir: &Path) -> Result<Option<usize>> {
    let path = dir.join(FILE);
    if !path.exists() {
        return Ok(None);
    }
    // The header holds it (bytes 60..64). Read there, nothing is written:
    // SQLite itself would make the -wal and -shm files of a WAL database.
    // A journal not yet checkpointed may hold a newer version: then SQLite
    // reads it.
    let mut head = [0u8; 100];
    let in_header = std::fs::File::open(&path).and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head)).is_ok()
        && head.starts_with(b"SQLite format 3\0");
    let journal = std::fs::metadata(dir.join(format!("{FILE}-wal"))).is_ok_and(|m| m.len() > 0);
    let found = if in_header && !journal {
        u32::from_be_bytes([head[60], head[61], head[62], head[63]]) as usize
    } else {
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn =
            Connection::open_with_flags(&path, flags).with_context(|| format!("cannot open {}", path.display()))?;
        conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))?.max(0) as usize
    };
    if found > SCHEMA {
        return Err(Newer { found }.into());
    }
    Ok(Some(found))
}

impl Store {
    /// Opens (creating when needed) `dir/infotv.sqlite` and brings its schema
    /// up to date.
    pub fn open(dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create the data folder {}", dir.display()))?;
        schema_of(dir)?;
        let path = dir.join(FILE);
        let conn = Connection::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let store = Store { conn: Mutex::new(conn), path: path.clone(), syslog: Some("/dev/log".into()) };
        store.migrate().with_context(|| format!("cannot bring {} up to date", path.display()))?;
        Ok(store)
    }

    pub(crate) fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.locked()
    }

    /// A read-only connection of its own to the same file, for a long read
    /// that must not hold the store's lock (a WAL reader sees one moment).
    pub(crate) fn reader(&self) -> Result<Connection> {
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags)
            .with_context(|| format!("cannot open {}", self.path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(conn)
    }

    /// Sends each audit row to the system log at `socket` too (`None`: not).
    pub(crate) fn with_syslog(mut self, socket: Option<std::path::PathBuf>) -> Store {
        self.syslog = socket;
        self
    }

    pub(crate) fn syslog(&self) -> Option<&Path> {
        self.syslog.as_deref()
    }

    fn migrate(&self) -> Result<()> {
        let mut conn = self.conn();
        let version = conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))?.max(0) as usize;
        if version > SCHEMA {
            return Err(Newer { found: version }.into());
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// The schema version of the open file.
    #[cfg(test)]
    fn schema_version(&self) -> Result<usize> {
        Ok(self.conn().pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))?.max(0) as usize)
    }

    /// A value of the `meta` table.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self.conn().query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    pub(crate) fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn().execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", [key, value])?;
        Ok(())
    }

    /// The install's secret salt for box hashes, made on first use.
    pub(crate) fn salt(&self) -> Result<String> {
        let conn = self.conn();
        let found: Option<String> =
            conn.query_row("SELECT value FROM meta WHERE key = 'salt'", [], |r| r.get(0)).optional()?;
        if let Some(salt) = found {
            return Ok(salt);
        }
        let salt = crate::ids::random_hex(32);
        conn.execute("INSERT INTO meta (key, value) VALUES ('salt', ?1)", [&salt])?;
        Ok(salt)
    }

    /// Records a render run and brings the open problems up to date: new
    /// ones open with this run's time, ones no longer reported are resolved.
    /// A run that was not published (a broken site.toml) still records its
    /// problems: they are what the operator must fix.
    pub(crate) fn record_render(&self, report: &Report) -> Result<i64> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let now = report.finished.to_rfc3339();
        tx.execute(
            "INSERT INTO renders (finished, trigger, duration_ms, change_to_air_ms, screens, rendered, reused,
                problem_count, problems, generation, published)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                now,
                report.trigger.to_string(),
                report.duration.as_millis() as i64,
                report.change_to_air.map(|d| d.as_millis() as i64),
                report.screens as i64,
                report.rendered as i64,
                report.reused as i64,
                report.problems.len() as i64,
                serde_json::to_string(&report.problems)?,
                report.generation,
                report.published,
            ],
        )?;
        let id = tx.last_insert_rowid();
        let mut open: HashMap<String, i64> = HashMap::new();
        {
            let mut stmt = tx.prepare("SELECT fingerprint, id FROM problems WHERE resolved IS NULL")?;
            for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
                let (fp, id) = row?;
                open.insert(fp, id);
            }
        }
        let mut seen = HashSet::new();
        for p in &report.problems {
            let fp = fingerprint(p);
            if !seen.insert(fp.clone()) {
                continue;
            }
            match open.remove(&fp) {
                // Still open: keep its since, refresh whether last good stands in.
                Some(pid) => {
                    tx.execute("UPDATE problems SET last_good = ?1 WHERE id = ?2", params![p.last_good, pid])?;
                }
                None => {
                    tx.execute(
                        "INSERT INTO problems (fingerprint, path, line, zh, en, hint_zh, hint_en, last_good, since)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                        params![fp, p.path, p.line, p.zh, p.en, p.hint_zh, p.hint_en, p.last_good, now],
                    )?;
                }
            }
        }
        for pid in open.values() {
            tx.execute("UPDATE problems SET resolved = ?1 WHERE id = ?2", params![now, pid])?;
        }
        tx.commit()?;
        Ok(id)
    }

    /// The newest render runs first, `limit` of them.
    pub fn renders(&self, limit: usize) -> Result<Vec<RenderRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, finished, trigger, duration_ms, change_to_air_ms, screens, rendered, reused, problem_count,
                    generation, published
             FROM renders ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], render_row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// One render run with its problems.
    pub fn render(&self, id: i64) -> Result<Option<RenderRow>> {
        let conn = self.conn();
        let row = conn
            .query_row(
                "SELECT id, finished, trigger, duration_ms, change_to_air_ms, screens, rendered, reused, problem_count,
                        generation, published, problems
                 FROM renders WHERE id = ?1",
                [id],
                |r| {
                    let mut row = render_row(r)?;
                    let json: String = r.get(11)?;
                    row.problems = serde_json::from_str(&json).unwrap_or_default();
                    Ok(row)
                },
            )
            .optional()?;
        Ok(row)
    }

    /// Open problems, oldest first.
    pub(crate) fn open_problems(&self) -> Result<Vec<ProblemRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT path, line, zh, en, hint_zh, hint_en, last_good, since, resolved
             FROM problems WHERE resolved IS NULL ORDER BY since, path, line",
        )?;
        let rows = stmt
            .query_map([], |r| {
                let (path, line, zh, en, hint_zh, hint_en, last_good, since, resolved) = r.try_into()?;
                let problem = Problem { path, line, zh, en, hint_zh, hint_en, last_good };
                Ok(ProblemRow { problem, since, resolved })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Adds aggregated views and the day's box hashes.
    pub fn add_views(&self, views: &HashMap<ViewKey, u64>, boxes: &HashSet<(NaiveDate, String)>) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare(
                "INSERT INTO views (day, hour, profile, screen, column_title, item_title, count)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (day, hour, profile, screen) DO UPDATE SET count = count + excluded.count,
                    column_title = excluded.column_title, item_title = excluded.item_title",
            )?;
            for (k, n) in views {
                stmt.execute(params![k.day.to_string(), k.hour, k.profile, k.screen, k.column, k.item, *n as i64])?;
            }
            let mut stmt = tx.prepare("INSERT OR IGNORE INTO boxes (day, box) VALUES (?1, ?2)")?;
            for (day, hash) in boxes {
                stmt.execute(params![day.to_string(), hash])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Views per day, column and sub-item between `from` and `to` (inclusive),
    /// and unique boxes per day.
    pub fn stats(&self, from: NaiveDate, to: NaiveDate) -> Result<Stats> {
        let conn = self.conn();
        let (from, to) = (from.to_string(), to.to_string());
        let mut stmt = conn.prepare(
            "SELECT day, column_title, item_title, SUM(count) FROM views WHERE day BETWEEN ?1 AND ?2
             GROUP BY day, column_title, item_title ORDER BY day, column_title, item_title",
        )?;
        let rows = stmt
            .query_map([&from, &to], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        let mut stmt =
            conn.prepare("SELECT day, COUNT(*) FROM boxes WHERE day BETWEEN ?1 AND ?2 GROUP BY day ORDER BY day")?;
        let boxes = stmt
            .query_map([&from, &to], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
            .collect::<Result<BTreeMap<_, _>, _>>()?;
        Ok(Stats { rows, boxes })
    }
}

/// A `renders` row as both queries select it: id, finished, trigger,
/// duration, change to air, screens, rendered, reused, problem count,
/// generation, published.
type RenderColumns = (i64, String, String, i64, Option<i64>, i64, i64, i64, i64, String, bool);

fn render_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RenderRow> {
    let row: RenderColumns = r.try_into()?;
    Ok(RenderRow {
        id: row.0,
        finished: row.1,
        trigger: Trigger::from(row.2.as_str()),
        duration_ms: row.3,
        change_to_air_ms: row.4,
        screens: row.5,
        rendered: row.6,
        reused: row.7,
        problem_count: row.8,
        generation: row.9,
        published: row.10,
        problems: Vec::new(),
    })
}

/// Identity of a problem across renders: the same file, line and reason.
fn fingerprint(p: &Problem) -> String {
    let line = p.line.map(|l| l.to_string()).unwrap_or_default();
    blake3::hash(format!("{}\u{0}{}\u{0}{}", p.path, line, p.en).as_bytes()).to_hex()[..24].to_string()
}

/// A box's identity for one day: its address and browser hashed with the
/// install's salt and the day, so no raw address is kept and days cannot be
/// linked. 12 bytes, made without allocating (the server counts one on every
/// view); the store keeps them as [`hex`].
pub(crate) fn box_id(salt: &str, day: NaiveDate, address: &str, agent: &str) -> [u8; 12] {
    use std::io::Write;
    let mut hasher = blake3::Hasher::new();
    // The same bytes as "{salt}\0{day}\0{address}\0{agent}" (the hashes
    // already in the store stay valid).
    let _ = write!(hasher, "{salt}\u{0}{day}\u{0}{address}\u{0}{agent}");
    let mut id = [0u8; 12];
    id.copy_from_slice(&hasher.finalize().as_bytes()[..12]);
    id
}

/// [`box_id`] as the store keeps it.
#[cfg(test)]
pub(crate) fn box_hash(salt: &str, day: NaiveDate, address: &str, agent: &str) -> String {
    hex::encode(box_id(salt, day, address, agent))
}

/// `now` as the store keys it: the channel's local day and hour.
pub(crate) fn local_hour(now: DateTime<Utc>, offset_minutes: i32) -> (NaiveDate, u32) {
    use chrono::Timelike;
    let local = now + chrono::Duration::minutes(offset_minutes.into());
    (local.date_naive(), local.hour())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(problems: Vec<Problem>) -> Report {
        Report {
            files_read: 0,
            trigger: "files:a.md".into(),
            duration: std::time::Duration::from_millis(120),
            screens: 10,
            rendered: 2,
            reused: 8,
            problems,
            generation: "abc".into(),
            published: true,
            change_to_air: Some(std::time::Duration::from_millis(420)),
            finished: Utc::now(),
            unavailable: None,
        }
    }

    #[test]
    fn problems_open_stay_open_and_resolve() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len());
        let a = Problem::new("a.md", "坏", "bad").hint("修", "fix").at_line(3);
        let b = Problem::new("b.md", "坏", "bad");
        store.record_render(&report(vec![a.clone()])).unwrap();
        let since = store.open_problems().unwrap()[0].since.clone();
        std::thread::sleep(std::time::Duration::from_millis(5));
        store.record_render(&report(vec![a.clone(), b])).unwrap();
        let open = store.open_problems().unwrap();
        assert_eq!(open.len(), 2);
        assert_eq!(open[0].since, since, "a problem still there keeps its since");
        store.record_render(&report(vec![])).unwrap();
        assert!(store.open_problems().unwrap().is_empty());
        let runs = store.renders(10).unwrap();
        assert_eq!(runs.len(), 3);
        assert_eq!(store.render(runs[2].id).unwrap().unwrap().problems, vec![a]);
    }

    #[test]
    fn views_add_up_and_boxes_count_once_a_day() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let key = ViewKey {
            day,
            hour: 20,
            profile: "sd".into(),
            screen: "s-1".into(),
            column: "便民万源".into(),
            item: "办事指南".into(),
        };
        let views = HashMap::from([(key.clone(), 3)]);
        let boxes = HashSet::from([(day, "h1".to_string()), (day, "h2".to_string())]);
        store.add_views(&views, &boxes).unwrap();
        store.add_views(&views, &HashSet::from([(day, "h1".to_string())])).unwrap();
        let stats = store.stats(day, day).unwrap();
        assert_eq!(stats.rows, [("2026-11-27".into(), "便民万源".into(), "办事指南".into(), 6)]);
        assert_eq!(stats.boxes["2026-11-27"], 2);
        assert_ne!(box_hash("s", day, "10.0.0.1", "ua"), box_hash("s", day.succ_opt().unwrap(), "10.0.0.1", "ua"));
        // The hashes already in a store stay valid: the same as hashing the
        // joined text, as it was first written.
        let joined = blake3::hash(format!("s\u{0}{day}\u{0}10.0.0.1\u{0}ua").as_bytes()).to_hex()[..24].to_string();
        assert_eq!(box_hash("s", day, "10.0.0.1", "ua"), joined);
        assert_eq!(crate::ids::unhex::<12>(&joined), Some(box_id("s", day, "10.0.0.1", "ua")));
        assert_eq!(crate::ids::unhex::<12>("zz"), None);
    }
}
