//! The audit log (等保 2.0 安全审计): who did what, from where, with what
//! result. Rows are only ever appended; each carries the SM3 hash of the row
//! before it, so an edited, removed or inserted row breaks the chain at that
//! row, and `infotv audit verify` names it. The store's triggers refuse
//! updates, and deleting rows younger than 180 days; nothing in infotv
//! deletes any.
//!
//! A row's hash is `SM3(prev ‖ JSON [id, at, account, role, address,
//! action, target, result])` in lower-case hex; the first row's `prev` is
//! 64 zeros. The head (last id and hash) is kept in `meta` as well, so
//! removing the newest rows is seen too.
//!
//! Someone who can write the database could cut the newest rows and
//! rewrite `meta` to match; so the head is anchored outside it too. Every
//! row goes to the system log as it is written (journald or syslog, read
//! by other people than infotv's), and the server appends the head to an
//! anchor file outside the data folder at least hourly (`--audit-anchor`);
//! [`check_anchor`] finds rows the anchor saw that the store no longer has.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use sm3::Digest;

use crate::clock::stamp;
use crate::store::Store;

/// How long rows are kept at least (网络安全法 第二十一条: six months).
pub const KEEP_DAYS: i64 = 180;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Login,
    Logout,
    /// Five failed logins: the name is locked for a while.
    Lockout,
    /// Someone changed their own password.
    Password,
    AccountAdd,
    AccountLock,
    AccountUnlock,
    /// An administrator set a new password for someone.
    AccountReset,
    TokenIssue,
    /// A route the caller's role may not use.
    Forbidden,
    /// A bearer token that is no account's.
    BadToken,
    /// Failures of callers nobody knows (wrong passwords, bad tokens, the
    /// locks they caused), summed per address and minute.
    Refused,
    /// Data taken away: statistics or audit CSV.
    Export,
    /// The audit log was read (page or JSON).
    AuditRead,
    Approve,
    Reject,
    /// Callback numbers of requests read in full.
    RequestsRead,
    /// A request marked handled.
    RequestHandled,
    /// `infotv backup`: the data folder copied out (file, size, checksum).
    Backup,
    /// `infotv restore`: the data folder put back from a backup.
    Restore,
}

impl Action {
    pub const ALL: [Action; 20] = [
        Action::Login,
        Action::Logout,
        Action::Lockout,
        Action::Password,
        Action::AccountAdd,
        Action::AccountLock,
        Action::AccountUnlock,
        Action::AccountReset,
        Action::TokenIssue,
        Action::Forbidden,
        Action::BadToken,
        Action::Refused,
        Action::Export,
        Action::AuditRead,
        Action::Approve,
        Action::Reject,
        Action::RequestsRead,
        Action::RequestHandled,
        Action::Backup,
        Action::Restore,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::Logout => "logout",
            Action::Lockout => "lockout",
            Action::Password => "password",
            Action::AccountAdd => "account.add",
            Action::AccountLock => "account.lock",
            Action::AccountUnlock => "account.unlock",
            Action::AccountReset => "account.reset",
            Action::TokenIssue => "token.issue",
            Action::Forbidden => "forbidden",
            Action::BadToken => "token.bad",
            Action::Refused => "refused",
            Action::Export => "export",
            Action::AuditRead => "audit.read",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::RequestsRead => "requests.read",
            Action::RequestHandled => "request.handled",
            Action::Backup => "data.backup",
            Action::Restore => "data.restore",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Action::Login => "登录",
            Action::Logout => "退出",
            Action::Lockout => "锁定（登录失败过多）",
            Action::Password => "修改口令",
            Action::AccountAdd => "新增账号",
            Action::AccountLock => "停用账号",
            Action::AccountUnlock => "启用账号",
            Action::AccountReset => "重置口令",
            Action::TokenIssue => "签发令牌",
            Action::Forbidden => "越权访问",
            Action::BadToken => "无效令牌",
            Action::Refused => "未认证的失败尝试（每地址每分钟一行）",
            Action::Export => "导出",
            Action::AuditRead => "查阅审计",
            Action::Approve => "审核通过",
            Action::Reject => "审核退回",
            Action::RequestsRead => "查阅诉求号码",
            Action::RequestHandled => "诉求办结",
            Action::Backup => "备份数据",
            Action::Restore => "恢复数据",
        }
    }

    pub(crate) fn of_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// One thing to record. `result` is `ok`, or a short reason it failed.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub account: &'a str,
    /// The role acted in (`-` when none: a failed login, the command line).
    pub role: &'a str,
    pub address: &'a str,
    pub action: Action,
    pub target: &'a str,
    pub result: &'a str,
}

/// A recorded row.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Row {
    pub id: i64,
    pub at: String,
    pub account: String,
    pub role: String,
    pub address: String,
    pub action: String,
    pub target: String,
    pub result: String,
    pub prev: String,
    pub hash: String,
}

/// The hash a row must carry.
fn chain_hash(prev: &str, id: i64, at: &str, e: [&str; 6]) -> String {
    let body = serde_json::json!([id, at, e[0], e[1], e[2], e[3], e[4], e[5]]).to_string();
    let mut h = sm3::Sm3::new();
    h.update(prev.as_bytes());
    h.update(body.as_bytes());
    hex::encode(h.finalize())
}

/// Which rows to read.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// RFC 3339 bounds, inclusive; compared as text (both UTC).
    pub from: Option<String>,
    pub to: Option<String>,
    pub account: Option<String>,
    pub action: Option<String>,
    pub limit: Option<usize>,
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Intact {
        rows: u64,
    },
    /// The first row that is not what the chain says, and why.
    Broken {
        id: i64,
        why: String,
    },
}

/// Records what a one-shot command did, as account `cli` from the local
/// user (the command line has no session; the OS account is named).
pub fn by_command_line(store: &Store, action: Action, target: &str, result: &str) -> Result<()> {
    let user = std::env::var("USER").unwrap_or_else(|_| "?".into());
    let address = format!("local ({user})");
    let e = Event { account: "cli", role: "-", address: &address, action, target, result };
    store.audit(&e, chrono::Utc::now()).context("cannot write the audit log")?;
    Ok(())
}

impl Store {
    /// Appends `e` at time `now`, chained to the row before. Serialised
    /// across processes by SQLite's write lock, so the server and the
    /// command line can both append.
    pub fn audit(&self, e: &Event, now: DateTime<Utc>) -> Result<i64> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let last: Option<(i64, String)> = tx
            .query_row("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let (id, prev) = last.map_or((1, GENESIS.to_string()), |(id, h)| (id + 1, h));
        let at = stamp(now);
        let hash = chain_hash(&prev, id, &at, [e.account, e.role, e.address, e.action.name(), e.target, e.result]);
        tx.execute(
            "INSERT INTO audit (id, at, account, role, address, action, target, result, prev, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![id, at, e.account, e.role, e.address, e.action.name(), e.target, e.result, prev, hash],
        )?;
        tx.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('audit_head', ?1)", [format!("{id} {hash}")])?;
        tx.commit()?;
        drop(conn);
        if let Some(socket) = self.syslog() {
            to_syslog(socket, id, &at, e, &hash);
        }
        Ok(id)
    }

    /// The newest row's id and hash (`None` before the first).
    pub fn audit_head(&self) -> Result<Option<(i64, String)>> {
        Ok(self
            .reader()?
            .query_row("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// Rows matching `f`, newest first.
    pub fn audit_rows(&self, f: &Filter) -> Result<Vec<Row>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, at, account, role, address, action, target, result, prev, hash FROM audit
             WHERE (?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR at <= ?2)
               AND (?3 IS NULL OR account = ?3) AND (?4 IS NULL OR action = ?4)
             ORDER BY id DESC LIMIT ?5",
        )?;
        let limit = f.limit.map_or(-1, |l| l as i64);
        let rows = stmt
            .query_map(params![f.from, f.to, f.account, f.action, limit], |r| {
                Ok(Row {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    account: r.get(2)?,
                    role: r.get(3)?,
                    address: r.get(4)?,
                    action: r.get(5)?,
                    target: r.get(6)?,
                    result: r.get(7)?,
                    prev: r.get(8)?,
                    hash: r.get(9)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Walks the whole chain from the first row, on a connection of its
    /// own: a long chain never holds up the server's writes meanwhile.
    pub fn audit_verify(&self) -> Result<Verdict> {
        let mut conn = self.reader()?;
        // One moment of the log: the walk and the head read together.
        let conn = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Deferred)?;
        let mut stmt = conn.prepare(
            "SELECT id, at, account, role, address, action, target, result, prev, hash FROM audit ORDER BY id",
        )?;
        let mut rows = stmt.query([])?;
        let mut expected_prev = GENESIS.to_string();
        let mut expected_id = 1i64;
        let mut count = 0u64;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let text = |i: usize| r.get::<_, String>(i);
            let (at, prev, hash) = (text(1)?, text(8)?, text(9)?);
            let fields = [text(2)?, text(3)?, text(4)?, text(5)?, text(6)?, text(7)?];
            if id != expected_id {
                let why = format!("第 {expected_id} 行缺失（编号从 {} 跳到 {id}）", expected_id - 1);
                return Ok(Verdict::Broken { id: expected_id, why });
            }
            if prev != expected_prev {
                return Ok(Verdict::Broken {
                    id, why: "与上一行的哈希不衔接（上一行被改动、删除或插入）".into()
                });
            }
            let f: [&str; 6] = std::array::from_fn(|i| fields[i].as_str());
            if chain_hash(&prev, id, &at, f) != hash {
                return Ok(Verdict::Broken { id, why: "内容与哈希不符（这一行被改动）".into() });
            }
            expected_prev = hash;
            expected_id += 1;
            count += 1;
        }
        let head: Option<String> =
            conn.query_row("SELECT value FROM meta WHERE key = 'audit_head'", [], |r| r.get(0)).optional()?;
        if let Some(head) = head {
            let (id, hash) = head.split_once(' ').unwrap_or(("", ""));
            let id: i64 = id.parse().unwrap_or(0);
            if id >= expected_id {
                let why =
                    format!("最后 {} 行缺失（记录到第 {id} 行，现只到第 {}）", id - expected_id + 1, expected_id - 1);
                return Ok(Verdict::Broken { id: expected_id, why });
            }
            if id == expected_id - 1 && hash != expected_prev {
                return Ok(Verdict::Broken { id, why: "与记录的最后哈希不符".into() });
            }
        } else if count > 0 {
            return Ok(Verdict::Broken { id: 1, why: "缺少链头记录".into() });
        }
        Ok(Verdict::Intact { rows: count })
    }
}

/// Sends one row to the system log (`<86>`: authpriv, info), with its hash,
/// so a copy of every row lives where infotv's own files do not. Best
/// effort: a system without a log socket keeps the rows in the store only.
fn to_syslog(socket: &std::path::Path, id: i64, at: &str, e: &Event, hash: &str) {
    let quote = |t: &str| t.replace(['"', '\n', '\r'], "'");
    let line = format!(
        "<86>infotv-audit[{}]: id={id} at={at} account=\"{}\" role={} address=\"{}\" action={} target=\"{}\" result=\"{}\" hash={hash}",
        std::process::id(),
        quote(e.account),
        quote(e.role),
        quote(e.address),
        e.action.name(),
        quote(e.target),
        quote(e.result),
    );
    let sent = std::os::unix::net::UnixDatagram::unbound().and_then(|s| s.send_to(line.as_bytes(), socket));
    if let Err(err) = sent {
        tracing::debug!("audit row {id} not sent to the system log at {}: {err}", socket.display());
    }
}

/// Appends the log's head to the anchor `file` (outside the data folder),
/// unless it is there already: `{time} {id} {hash}` a line. The file only
/// grows; each line is one moment the log is known to have reached.
pub(crate) fn write_anchor(store: &Store, file: &std::path::Path, now: DateTime<Utc>) -> Result<()> {
    use std::io::Write;
    let Some((id, hash)) = store.audit_head()? else { return Ok(()) };
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let last = text.lines().rev().find_map(anchor_line);
    if last.as_ref().is_some_and(|(i, h)| *i == id && *h == hash) {
        return Ok(());
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .with_context(|| format!("cannot write the audit anchor {}", file.display()))?;
    writeln!(f, "{} {id} {hash}", stamp(now)).and_then(|()| f.sync_all())?;
    Ok(())
}

/// `(id, hash)` of one line of an anchor file.
fn anchor_line(line: &str) -> Option<(i64, String)> {
    let mut parts = line.split_whitespace();
    let (_, id, hash) = (parts.next()?, parts.next()?.parse().ok()?, parts.next()?);
    (hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit())).then(|| (id, hash.to_string()))
}

/// Checks the store against every line of the anchor `file`: each row the
/// anchor saw must still be there with the same hash. A tail cut and a head
/// rewritten to match pass [`Store::audit_verify`]; they fail here.
pub fn check_anchor(store: &Store, file: &std::path::Path) -> Result<Verdict> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read the audit anchor {}", file.display()))?;
    let conn = store.reader()?;
    let mut checked = 0;
    for (id, hash) in text.lines().filter_map(anchor_line) {
        let found: Option<String> =
            conn.query_row("SELECT hash FROM audit WHERE id = ?1", [id], |r| r.get(0)).optional()?;
        match found {
            None => {
                let last: i64 = conn.query_row("SELECT coalesce(max(id), 0) FROM audit", [], |r| r.get(0))?;
                let why = format!("锚点记录到第 {id} 行，数据库现只到第 {last} 行：末尾的行被删除");
                return Ok(Verdict::Broken { id, why });
            }
            Some(h) if h != hash => {
                return Ok(Verdict::Broken {
                    id, why: "与锚点记录的哈希不符：这一行或之前的行被改写".into()
                });
            }
            Some(_) => checked += 1,
        }
    }
    Ok(Verdict::Intact { rows: checked })
}

/// Text a stranger chose (a login name) as the log keeps it: at most 64
/// characters, control characters as `?`.
pub(crate) fn tame(text: &str) -> String {
    text.chars().take(64).map(|c| if c.is_control() { '?' } else { c }).collect()
}

/// A cell Excel will not take for a formula: one starting with `=`, `+`,
/// `-`, `@` or a tab gets a leading `'` (a login name like
/// `=HYPERLINK(…)` stays text).
pub(crate) fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// Rows as CSV for Excel: UTF-8 with a BOM, CRLF, a Chinese header row.
pub fn csv(rows: &[Row]) -> Vec<u8> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(&mut out);
        let _ = w.write_record(["序号", "时间(UTC)", "账号", "角色", "地址", "操作", "对象", "结果", "哈希"]);
        for r in rows {
            let action = Action::of_name(&r.action).map_or(r.action.clone(), |a| format!("{} {}", a.name(), a.zh()));
            let id = r.id.to_string();
            let fields = [&id, &r.at, &r.account, &r.role, &r.address, &action, &r.target, &r.result, &r.hash];
            let _ = w.write_record(fields.map(|f| cell(f)));
        }
        let _ = w.flush();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(action: Action, target: &str) -> Event<'_> {
        Event { account: "li", role: "admin", address: "10.0.0.9", action, target, result: "ok" }
    }

    #[test]
    fn rows_chain_and_verify() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.audit_verify().unwrap(), Verdict::Intact { rows: 0 });
        let now = Utc::now();
        for i in 0..5 {
            store.audit(&event(Action::AccountAdd, &format!("user{i}")), now).unwrap();
        }
        assert_eq!(store.audit_verify().unwrap(), Verdict::Intact { rows: 5 });
        let rows = store.audit_rows(&Filter::default()).unwrap();
        assert_eq!(rows.len(), 5);
        assert_eq!(rows[0].id, 5, "newest first");
        assert_eq!(rows[4].prev, GENESIS);
        assert_eq!(rows[0].prev, rows[1].hash);
        let only = Filter {
            account: Some("li".into()),
            action: Some("account.add".into()),
            limit: Some(2),
            ..Default::default()
        };
        assert_eq!(store.audit_rows(&only).unwrap().len(), 2);
    }

    #[test]
    fn strangers_text_is_tamed_and_no_cell_is_a_formula() {
        assert_eq!(tame("li\u{7}\nna"), "li??na");
        assert_eq!(tame(&"x".repeat(100)).len(), 64);
        let row = Row {
            id: 1,
            at: "t".into(),
            account: "=HYPERLINK(\"http://evil\")".into(),
            role: "-".into(),
            address: "a".into(),
            action: "login".into(),
            target: "@SUM(1)".into(),
            result: "failed".into(),
            prev: String::new(),
            hash: "h".into(),
        };
        let out = String::from_utf8(csv(&[row])).unwrap();
        assert!(out.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""), "{out}");
        assert!(out.contains(",'@SUM(1),"), "{out}");
    }

    #[test]
    fn the_store_refuses_to_change_a_row() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.audit(&event(Action::Login, "li"), Utc::now()).unwrap();
        let conn = store.conn();
        assert!(conn.execute("UPDATE audit SET result = 'fail'", []).is_err());
        assert!(conn.execute("DELETE FROM audit", []).is_err());
    }
}
