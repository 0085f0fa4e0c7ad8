//! Named accounts for the operators' port (等保 2.0 身份鉴别): one account a
//! person, a role each, argon2id password hashes, API tokens kept only as
//! their hash, lock and unlock, and the failed-login lockout. Everything
//! lives in the store, so `infotv account …` run beside a serving infotv
//! changes what the server sees on its next request.

use std::sync::OnceLock;

use anyhow::{Context, Result};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use sm3::Digest;

use crate::clock::stamp;
use crate::store::Store;

/// What an account may do; the routes each role reaches are in one table,
/// `admin::access::RULES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// 系统管理员: accounts, and nothing of the content or the audit log.
    Admin,
    /// 审核员: what an operator reads, and approving changes.
    Reviewer,
    /// 运维: status, history, problems, preview, statistics, metrics.
    Operator,
    /// 审计员: the audit log, nothing else.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Reviewer, Role::Operator, Role::Auditor];

    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Reviewer => "reviewer",
            Role::Operator => "operator",
            Role::Auditor => "auditor",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::Reviewer => "审核员",
            Role::Operator => "运维",
            Role::Auditor => "审计员",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| format!("unknown role {s:?}: one of admin, reviewer, operator, auditor"))
    }
}

/// Failed logins of one name within this long lock it…
pub const FAILURE_WINDOW: chrono::Duration = chrono::Duration::minutes(15);
/// …when there are this many…
pub const FAILURES_TO_LOCK: i64 = 5;
/// …for this long.
pub const LOCKOUT: chrono::Duration = chrono::Duration::minutes(15);
/// Failures of one name within the window, from anywhere, before each
/// further try of it must wait: more than one address's lock takes.
pub const NAME_FREE_FAILURES: i64 = 10;
/// The longest a try of a name must wait: never a lockout.
pub const NAME_MAX_WAIT: chrono::Duration = chrono::Duration::seconds(60);
/// An address an account logged in from this recently is its owner's.
pub const KNOWN_ADDRESS: chrono::Duration = chrono::Duration::days(90);

/// Names the audit log uses for who is not an account: the read-only
/// `--admin-token`, and the command line.
pub const RESERVED: [&str; 3] = ["token", "cli", "system"];

/// The argon2id parameters: 19 MiB, 2 passes, 1 lane — OWASP's first
/// recommendation, about 30 ms a login on one core of a small server.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A new argon2id hash of `password` with a random salt, as a PHC string.
pub fn hash_password(password: &str) -> Result<String> {
    let salt = crate::ids::unhex::<16>(&crate::ids::random_hex(16)).expect("16 random bytes");
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let hash = argon2().hash_password(password.as_bytes(), &salt).map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
    Ok(hash.to_string())
}

/// Whether `password` is the one `phc` was made from. The parameters come
/// from the string, so hashes made with other parameters still verify.
pub fn verify_password(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
}

/// A hash no password matches, checked when a name does not exist so that
/// the answer takes as long as for a name that does.
pub(crate) fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password(&crate::ids::random_hex(16)).unwrap_or_default())
}

/// Why `password` is not good enough for `name`, in Chinese; `None` when it is.
/// At least 10 characters, three of the four kinds (lower case, upper
/// case, digits, symbols), and not containing the account's name.
pub(crate) fn password_problem(name: &str, password: &str) -> Option<&'static str> {
    let chars = password.chars().count();
    if chars < 10 {
        return Some("口令至少 10 个字符。");
    }
    if chars > 128 {
        return Some("口令最多 128 个字符。");
    }
    let kinds = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric() && !c.is_whitespace()),
    ];
    if kinds.iter().filter(|k| **k).count() < 3 {
        return Some("口令须包含小写字母、大写字母、数字、符号中的至少三种。");
    }
    if !name.is_empty() && password.to_lowercase().contains(&name.to_lowercase()) {
        return Some("口令不能包含账号名。");
    }
    None
}

/// Why `name` cannot be an account's name; `None` when it can. Lower-case
/// ASCII letters, digits, `.`, `_`, `-`, 2–32 long, starting with a letter:
/// names are typed on a keyboard, shown in logs and the audit CSV.
pub(crate) fn name_problem(name: &str) -> Option<&'static str> {
    let ok_chars = name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if !(2..=32).contains(&name.len()) || !ok_chars || !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Some("账号名为 2–32 个小写字母、数字或 . _ -，以字母开头。");
    }
    if RESERVED.contains(&name) {
        return Some("这个名字留给审计日志使用，请换一个。");
    }
    None
}

/// A new random password that meets the rules: for the first `admin` and
/// for resets, shown once and changed at the next login.
pub(crate) fn random_password() -> String {
    // 16 hex digits give 64 bits; the fixed tail adds the upper case and
    // the symbol the rules ask for.
    format!("{}-Tv{}", crate::ids::random_hex(6), crate::ids::random_hex(2))
}

/// A new API token: `itv_` and 192 random bits. Only its hash is stored.
pub fn new_token() -> String {
    format!("itv_{}", crate::ids::random_hex(24))
}

/// How a token is found in the store: its SM3 digest. A token is random
/// and long, so a fast hash is enough; a stolen database yields no token.
pub fn token_hash(token: &str) -> String {
    hex::encode(sm3::Sm3::digest(token.as_bytes()))
}

/// An account as pages and the command line show it (never its hash).
/// Whether `a`'s API token was issued more than `days` ago (or when, is
/// not known): then it is refused, and its owner mints a new one.
pub(crate) fn token_expired(a: &Account, now: DateTime<Utc>, days: u32) -> bool {
    let issued = a.token_issued.as_deref().and_then(|t| DateTime::parse_from_rfc3339(t).ok());
    issued.is_none_or(|t| now - t.to_utc() >= chrono::Duration::days(i64::from(days)))
}

#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub name: String,
    pub role: Role,
    /// The password was set by someone else: it must be changed at the
    /// next login.
    pub must_change: bool,
    /// Locked by an administrator.
    pub disabled: bool,
    /// Grows whenever sessions must end: a new password, a lock.
    pub epoch: i64,
    pub created: String,
    pub last_login: Option<String>,
    pub token_issued: Option<String>,
}

const COLUMNS: &str = "name, role, must_change, disabled, epoch, created, last_login, token_issued, password";

fn account_row(r: &rusqlite::Row) -> rusqlite::Result<(Account, String)> {
    let role: String = r.get(1)?;
    let account = Account {
        name: r.get(0)?,
        role: role.parse().unwrap_or(Role::Operator),
        must_change: r.get(2)?,
        disabled: r.get(3)?,
        epoch: r.get(4)?,
        created: r.get(5)?,
        last_login: r.get(6)?,
        token_issued: r.get(7)?,
    };
    Ok((account, r.get(8)?))
}

impl Store {
    /// Adds an account; `false` when the name is taken.
    pub fn add_account(
        &self,
        name: &str,
        role: Role,
        password_hash: &str,
        must_change: bool,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let added = self.conn().execute(
            "INSERT OR IGNORE INTO accounts (name, role, password, must_change, disabled, epoch, created)
             VALUES (?1, ?2, ?3, ?4, 0, 0, ?5)",
            params![name, role.name(), password_hash, must_change, stamp(now)],
        )?;
        Ok(added == 1)
    }

    /// The account called `name`, with its password hash.
    pub fn account(&self, name: &str) -> Result<Option<(Account, String)>> {
        let sql = format!("SELECT {COLUMNS} FROM accounts WHERE name = ?1");
        Ok(self.conn().query_row(&sql, [name], account_row).optional()?)
    }

    /// The account whose API token hashes to `hash`.
    pub(crate) fn account_by_token(&self, hash: &str) -> Result<Option<Account>> {
        let sql = format!("SELECT {COLUMNS} FROM accounts WHERE token = ?1");
        Ok(self.conn().query_row(&sql, [hash], account_row).optional()?.map(|(a, _)| a))
    }

    /// Every account, by name.
    pub fn accounts(&self) -> Result<Vec<Account>> {
        let conn = self.conn();
        let sql = format!("SELECT {COLUMNS} FROM accounts ORDER BY name");
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map([], account_row)?.map(|r| r.map(|(a, _)| a)).collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Sets a password; every session of the account ends. `false` when
    /// there is no such account.
    pub(crate) fn set_password(&self, name: &str, password_hash: &str, must_change: bool) -> Result<bool> {
        // A new password ends every session (the epoch) and the API token:
        // whoever held the old password may have minted one.
        let n = self.conn().execute(
            "UPDATE accounts SET password = ?2, must_change = ?3, epoch = epoch + 1, token = NULL, token_issued = NULL
             WHERE name = ?1",
            params![name, password_hash, must_change],
        )?;
        Ok(n == 1)
    }

    /// Locks (`true`) or unlocks an account. Locking ends its sessions and
    /// stops its token; unlocking also lifts a failed-login lockout.
    pub(crate) fn set_disabled(&self, name: &str, disabled: bool) -> Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let n = tx
            .execute("UPDATE accounts SET disabled = ?2, epoch = epoch + 1 WHERE name = ?1", params![name, disabled])?;
        if !disabled {
            tx.execute("DELETE FROM lockouts WHERE name = ?1", [name])?;
            tx.execute("DELETE FROM login_failures WHERE name = ?1", [name])?;
        }
        tx.commit()?;
        Ok(n == 1)
    }

    /// Gives the account a new API token (its hash), replacing any before.
    pub fn set_token(&self, name: &str, hash: &str, now: DateTime<Utc>) -> Result<bool> {
        let n = self.conn().execute(
            "UPDATE accounts SET token = ?2, token_issued = ?3 WHERE name = ?1",
            params![name, hash, stamp(now)],
        )?;
        Ok(n == 1)
    }

    /// A login of `name` from `address` succeeded: that address's failures
    /// are forgotten and it is remembered as one this account uses (spared
    /// the delay that slows guessing of the name from elsewhere).
    pub(crate) fn login_succeeded(&self, name: &str, address: &str, now: DateTime<Utc>) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM login_failures WHERE name = ?1 AND address = ?2", params![name, address])?;
        tx.execute("UPDATE accounts SET last_login = ?2 WHERE name = ?1", params![name, stamp(now)])?;
        tx.execute(
            "INSERT OR REPLACE INTO login_addresses (name, address, last) VALUES (?1, ?2, ?3)",
            params![name, address, now.timestamp_millis()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Until when `name` is locked for logins from `address`, if it is.
    /// A lock holds for the address the failures came from only: the
    /// right password still works from anywhere else.
    pub(crate) fn locked_out(&self, name: &str, address: &str, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
        let until: Option<i64> = self
            .conn()
            .query_row("SELECT until FROM lockouts WHERE name = ?1 AND address = ?2", params![name, address], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(until.and_then(DateTime::from_timestamp_millis).filter(|u| *u > now))
    }

    /// How long a login of `name` from `address` must still wait: once the
    /// name has failed [`NAME_FREE_FAILURES`] times in the window from
    /// anywhere, each further try waits twice as long after the last
    /// failure, up to [`NAME_MAX_WAIT`]: guessing spread over many
    /// addresses is slowed. An address the account logged in from within
    /// [`KNOWN_ADDRESS`] never waits, so a stranger cannot keep its owner out.
    pub(crate) fn name_wait(&self, name: &str, address: &str, now: DateTime<Utc>) -> Result<Option<chrono::Duration>> {
        let conn = self.conn();
        let known: Option<i64> = conn
            .query_row(
                "SELECT last FROM login_addresses WHERE name = ?1 AND address = ?2",
                params![name, address],
                |r| r.get(0),
            )
            .optional()?;
        if known.is_some_and(|last| now.timestamp_millis() - last < KNOWN_ADDRESS.num_milliseconds()) {
            return Ok(None);
        }
        let since = (now - FAILURE_WINDOW).timestamp_millis();
        let (count, last): (i64, Option<i64>) = conn.query_row(
            "SELECT count(*), max(at) FROM login_failures WHERE name = ?1 AND at > ?2",
            params![name, since],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if count < NAME_FREE_FAILURES {
            return Ok(None);
        }
        let over = count - NAME_FREE_FAILURES;
        let wait = chrono::Duration::seconds(1i64 << over.min(16)).min(NAME_MAX_WAIT);
        let left = last.and_then(DateTime::from_timestamp_millis).map(|l| l + wait - now);
        Ok(left.filter(|l| *l > chrono::Duration::zero()))
    }

    /// Counts a failed login of `name` from `address`; the fifth within the
    /// window locks the name for that address. Returns the lock's end then.
    pub(crate) fn login_failed(&self, name: &str, address: &str, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let since = (now - FAILURE_WINDOW).timestamp_millis();
        tx.execute("DELETE FROM login_failures WHERE at <= ?1", [since])?;
        tx.execute("DELETE FROM lockouts WHERE until <= ?1", [now.timestamp_millis()])?;
        tx.execute(
            "INSERT INTO login_failures (name, address, at) VALUES (?1, ?2, ?3)",
            params![name, address, now.timestamp_millis()],
        )?;
        let count: i64 = tx.query_row(
            "SELECT count(*) FROM login_failures WHERE name = ?1 AND address = ?2",
            params![name, address],
            |r| r.get(0),
        )?;
        let locked = if count >= FAILURES_TO_LOCK {
            let until = now + LOCKOUT;
            tx.execute(
                "INSERT OR REPLACE INTO lockouts (name, address, until) VALUES (?1, ?2, ?3)",
                params![name, address, until.timestamp_millis()],
            )?;
            Some(until)
        } else {
            None
        };
        tx.commit()?;
        Ok(locked)
    }

    /// Creates the first `admin` when there is no account at all; returns
    /// its random password, to be shown once.
    pub(crate) fn first_admin(&self, now: DateTime<Utc>) -> Result<Option<String>> {
        let count: i64 = self.conn().query_row("SELECT count(*) FROM accounts", [], |r| r.get(0))?;
        if count > 0 {
            return Ok(None);
        }
        let password = random_password();
        let hash = hash_password(&password).context("hashing the first admin's password")?;
        Ok(self.add_account("admin", Role::Admin, &hash, true, now)?.then_some(password))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_rules() {
        assert!(password_problem("li", "Short1!").is_some());
        assert!(password_problem("li", "alllowercaseletters").is_some());
        assert!(password_problem("li", "lower and 123 digits").is_some(), "spaces are not symbols");
        assert!(password_problem("li", "Lower123digits").is_none());
        assert!(password_problem("li", "lower-123-digits").is_none());
        assert!(password_problem("zhangwei", "Zhangwei2026!").is_some(), "contains the name");
        assert!(password_problem("zhangwei", "万源Tv2026xy").is_none(), "Chinese characters count toward length");
        let made = random_password();
        assert!(password_problem("admin", &made).is_none(), "{made}");
    }

    #[test]
    fn names() {
        assert!(name_problem("zhangwei").is_none());
        assert!(name_problem("li.na-2").is_none());
        for bad in ["", "a", "Zhang", "1abc", "张伟", "a b", "token", &"x".repeat(33)] {
            assert!(name_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn hashes_verify_only_their_password() {
        let h = hash_password("Correct-Horse-1").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_password(&h, "Correct-Horse-1"));
        assert!(!verify_password(&h, "Correct-Horse-2"));
        assert!(!verify_password(decoy_hash(), "Correct-Horse-1"));
        assert!(!verify_password("not a hash", ""));
        assert_ne!(h, hash_password("Correct-Horse-1").unwrap(), "salted");
    }

    #[test]
    fn tokens_are_long_and_stored_by_digest() {
        let t = new_token();
        assert_eq!(t.len(), 4 + 48);
        assert_eq!(token_hash(&t).len(), 64);
        assert_ne!(token_hash(&t), token_hash(&new_token()));
    }
}
