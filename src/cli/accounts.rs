//! `infotv account …` and `infotv audit verify`: the operators' accounts and
//! the audit log, on the data folder's store. SQLite's locking lets them run
//! beside a serving infotv, which sees each change on its next request.
//! Every change is recorded in the audit log as account `cli`.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use anyhow::{bail, Result};

use super::say;
use crate::accounts::{self, Role};
use crate::audit::{by_command_line as record, Action, Verdict};
use crate::store::Store;

#[derive(clap::Args, Clone)]
pub struct DataArg {
    /// The data folder holding infotv.sqlite.
    #[arg(long, env = "INFOTV_DATA", default_value = "data")]
    pub data: PathBuf,
}

#[derive(clap::Subcommand)]
pub enum AccountCommand {
    /// Add an account; its password is read from standard input and must be
    /// changed at its first login.
    Add {
        name: String,
        #[arg(long)]
        role: String,
        #[command(flatten)]
        data: DataArg,
    },
    /// Print a new API token for the account (the previous one stops working).
    Token {
        name: String,
        #[command(flatten)]
        data: DataArg,
    },
    /// List the accounts.
    List {
        #[command(flatten)]
        data: DataArg,
    },
    /// Lock an account: its sessions end and its token stops working.
    Lock {
        name: String,
        #[command(flatten)]
        data: DataArg,
    },
    /// Unlock an account, also lifting a lockout after failed logins.
    Unlock {
        name: String,
        #[command(flatten)]
        data: DataArg,
    },
    /// Set a new password (from standard input), to be changed at the next login.
    Passwd {
        name: String,
        #[command(flatten)]
        data: DataArg,
    },
}

#[derive(clap::Subcommand)]
pub enum AuditCommand {
    /// Check the audit log's hash chain, and the rows against the anchor
    /// file the server writes outside the data folder; exit 1 at the first
    /// broken row.
    Verify {
        #[command(flatten)]
        data: DataArg,
        /// The anchor file (the server's --audit-anchor); by default
        /// INFOTV_AUDIT_ANCHOR, else the package's /var/log/infotv/audit-anchor
        /// if it exists.
        #[arg(long, env = "INFOTV_AUDIT_ANCHOR")]
        audit_anchor: Option<std::path::PathBuf>,
    },
}

/// Where the package's server anchors the audit log.
pub const PACKAGE_ANCHOR: &str = "/var/log/infotv/audit-anchor";

/// Runs an account command.
pub fn account(command: AccountCommand) -> Result<()> {
    let now = chrono::Utc::now();
    match command {
        AccountCommand::Add { name, role, data } => {
            let store = open(&data)?;
            if let Some(why) = accounts::name_problem(&name) {
                bail!("{why} ({name:?} cannot be an account name)");
            }
            let role: Role = role.parse().map_err(|e: String| anyhow::anyhow!(e))?;
            let password = read_password(&name)?;
            let hash = accounts::hash_password(&password)?;
            if !store.add_account(&name, role, &hash, true, now)? {
                bail!("账号 {name} 已存在 (the account exists)");
            }
            record(&store, Action::AccountAdd, &name, &format!("ok: role {}", role.name()))?;
            say(&format!("added {name} ({}); the password must be changed at the first login\n", role.name()));
        }
        AccountCommand::Token { name, data } => {
            let store = open(&data)?;
            let token = accounts::new_token();
            exists(store.set_token(&name, &accounts::token_hash(&token), now)?, &name)?;
            record(&store, Action::TokenIssue, &name, "ok")?;
            say(&format!("{token}\n"));
        }
        AccountCommand::List { data } => {
            let store = open(&data)?;
            let mut out = format!("{:<20} {:<9} {:<12} {:<24} {}\n", "NAME", "ROLE", "STATE", "LAST LOGIN", "TOKEN");
            for a in store.accounts()? {
                let state = if a.disabled {
                    "locked"
                } else if a.must_change {
                    "must-change"
                } else {
                    "ok"
                };
                let last = a.last_login.as_deref().unwrap_or("never");
                let token = if a.token_issued.is_some() { "yes" } else { "no" };
                out.push_str(&format!("{:<20} {:<9} {:<12} {:<24} {token}\n", a.name, a.role.name(), state, last));
            }
            say(&out);
        }
        AccountCommand::Lock { name, data } => {
            let store = open(&data)?;
            exists(store.set_disabled(&name, true)?, &name)?;
            record(&store, Action::AccountLock, &name, "ok")?;
            say(&format!("locked {name}\n"));
        }
        AccountCommand::Unlock { name, data } => {
            let store = open(&data)?;
            exists(store.set_disabled(&name, false)?, &name)?;
            record(&store, Action::AccountUnlock, &name, "ok")?;
            say(&format!("unlocked {name}\n"));
        }
        AccountCommand::Passwd { name, data } => {
            let store = open(&data)?;
            exists(store.account(&name)?.is_some(), &name)?;
            let password = read_password(&name)?;
            exists(store.set_password(&name, &accounts::hash_password(&password)?, true)?, &name)?;
            record(&store, Action::AccountReset, &name, "ok")?;
            say(&format!("set a new password for {name}; it must be changed at the next login\n"));
        }
    }
    Ok(())
}

/// Runs an audit command: exits 1 when the chain is broken.
pub fn audit(command: AuditCommand) -> Result<()> {
    let AuditCommand::Verify { data, audit_anchor } = command;
    let store = open(&data)?;
    let started = std::time::Instant::now();
    let broken = |id: i64, why: &str| -> ! {
        say(&format!("审计日志在第 {id} 行断开：{why} (audit chain broken at row {id})\n"));
        std::process::exit(1);
    };
    let rows = match store.audit_verify()? {
        Verdict::Intact { rows } => rows,
        Verdict::Broken { id, why } => broken(id, &why),
    };
    let anchor = audit_anchor.or_else(|| {
        let package = std::path::PathBuf::from(PACKAGE_ANCHOR);
        package.exists().then_some(package)
    });
    let anchored = match &anchor {
        Some(file) => match crate::audit::check_anchor(&store, file)? {
            Verdict::Intact { rows: seen } => {
                format!("，与锚点 {} 的 {seen} 个记录一致 (matches {seen} checkpoints)", file.display())
            }
            Verdict::Broken { id, why } => broken(id, &why),
        },
        None => "；没有锚点文件，只检查了哈希链 (no anchor file: the chain only)".to_string(),
    };
    say(&format!(
        "审计日志完整：{rows} 行，哈希链无误{anchored} (audit log intact: {rows} rows, {} ms)\n",
        started.elapsed().as_millis()
    ));
    Ok(())
}

fn open(data: &DataArg) -> Result<Store> {
    if !data.data.join(crate::store::FILE).exists() {
        bail!("{} has no infotv.sqlite: give the server's --data folder", data.data.display());
    }
    Store::open(&data.data)
}

fn exists(found: bool, name: &str) -> Result<()> {
    if found {
        Ok(())
    } else {
        bail!("没有账号 {name} (no such account)")
    }
}

/// A password from standard input: asked twice without echo at a
/// terminal, one line otherwise (for scripts). It must meet the rules.
fn read_password(name: &str) -> Result<String> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("口令 (password): ")?;
        let again = rpassword::prompt_password("再输一次 (again): ")?;
        if first != again {
            bail!("两次输入不一致 (the two entries differ)");
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    if let Some(why) = accounts::password_problem(name, &password) {
        bail!("{why} (the password does not meet the rules)");
    }
    Ok(password)
}
