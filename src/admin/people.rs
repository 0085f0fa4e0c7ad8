//! `/accounts`, for administrators: the accounts, and adding, locking,
//! unlocking and resetting passwords (each person mints their own API
//! token, on the password page). Passwords made here and tokens
//! are shown once, in the answer to the form, never in a URL, and are
//! stored only as hashes.

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Request, StatusCode};
use maud::html;

use super::access::Caller;
use super::access::Page;
use super::{form, html as page_html, pages, Admin, Resp};
use crate::accounts::{self, Role};
use crate::audit::Action;

/// What the last action did, shown above the table.
pub struct Notice {
    pub ok: bool,
    pub text: String,
    /// A password or token, shown this once.
    pub secret: Option<String>,
}

fn done(text: String, secret: Option<String>) -> Option<Notice> {
    Some(Notice { ok: true, text, secret })
}

fn refused(text: impl Into<String>) -> Option<Notice> {
    Some(Notice { ok: false, text: text.into(), secret: None })
}

/// The accounts page, with what was just done.
pub fn page(admin: &Admin, who: &Caller, notice: Option<Notice>) -> String {
    let accounts = admin.store.as_ref().and_then(|s| s.accounts().ok()).unwrap_or_default();
    let body = html! {
        h1 { "账号管理" }
        @if let Some(n) = &notice {
            div class=(if n.ok { "notice ok" } else { "notice fault" }) {
                (n.text)
                @if let Some(secret) = &n.secret {
                    div.secret { code { (secret) } }
                    p.hint { "只显示这一次，关闭页面后无法再查看；请当面或电话告知本人。" }
                }
            }
        }
        table {
            tr { th { "账号" } th { "角色" } th { "状态" } th { "创建" } th { "最后登录" } th { "API 令牌" } th { "操作" } }
            @for a in &accounts {
                tr {
                    td { (a.name) }
                    td { (a.role.zh()) span.en { " " (a.role.name()) } }
                    td {
                        @if a.disabled { span.tag.no { "已停用" } }
                        @else if a.must_change { span.tag.keep { "待改口令" } }
                        @else { span.tag.ok { "正常" } }
                    }
                    td { (pages::local(admin, &a.created)) }
                    td { (a.last_login.as_deref().map(|t| pages::local(admin, t)).unwrap_or_else(|| "从未".into())) }
                    td { (a.token_issued.as_deref().map(|t| format!("{} 签发", pages::local(admin, t))).unwrap_or_else(|| "无".into())) }
                    td.actions {
                        @if a.disabled {
                            form method="post" action={ "/accounts/" (a.name) "/unlock" } { button { "启用" } }
                        } @else if a.name != who.account {
                            form method="post" action={ "/accounts/" (a.name) "/lock" } { button { "停用" } }
                        }
                        form method="post" action={ "/accounts/" (a.name) "/reset" } { button { "重置口令" } }
                    }
                }
            }
        }
        h2 { "新增账号" }
        form.range method="post" action="/accounts" {
            label { "账号名 " input name="name" required pattern="[a-z][a-z0-9._-]{1,31}" placeholder="如 zhangwei"; }
            label { "角色 "
                select name="role" {
                    // The least power first, and chosen unless changed.
                    @for r in [Role::Operator, Role::Reviewer, Role::Auditor, Role::Admin] { option value=(r.name()) { (r.zh()) } }
                }
            }
            button { "新增" }
        }
        p.hint { "新账号的初始口令由系统生成，只显示一次；本人首次登录时须改为自己的口令。一人一号，不要共用。" }
        p.hint { "系统管理员管理账号；审核员审核内容；运维查看运行情况；审计员只查看审计日志。" }
        p.hint { "API 令牌由本人在“修改口令”页签发，管理员不能替他人签发；重置口令后其令牌作废。" }
    };
    pages::page(admin, who, "账号管理", "/accounts", body)
}

/// One of the account forms.
pub(crate) async fn act(admin: &Arc<Admin>, req: Request<Incoming>, page: Page, target: &str, who: &Caller) -> Resp {
    let form = match form(req).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(store) = admin.store.clone() else {
        return page_html(StatusCode::SERVICE_UNAVAILABLE, self::page(admin, who, refused("数据库不可用。")));
    };
    let now = admin.gate.clock.now();
    let (action, target, notice) = match page {
        Page::AccountAdd => {
            let name = form.get("name").trim().to_lowercase();
            let role = form.get("role").parse::<Role>();
            let notice = match (accounts::name_problem(&name), role) {
                (Some(why), _) => refused(why),
                (None, Err(why)) => refused(why),
                (None, Ok(role)) => {
                    let password = accounts::random_password();
                    match admin
                        .gate
                        .hash(password.clone())
                        .await
                        .and_then(|h| store.add_account(&name, role, &h, true, now))
                    {
                        Ok(true) => done(format!("已新增账号 {name}（{}）。初始口令：", role.zh()), Some(password)),
                        Ok(false) => refused(format!("账号 {name} 已存在。")),
                        Err(e) => refused(format!("无法保存：{e:#}")),
                    }
                }
            };
            (Action::AccountAdd, name, notice)
        }
        Page::AccountLock => {
            let notice = if target == who.account {
                refused("不能停用自己的账号。")
            } else if last_admin(&store, target) {
                refused("这是最后一个可用的系统管理员账号，不能停用。")
            } else {
                changed(store.set_disabled(target, true), target, format!("已停用 {target}，其会话和令牌立即失效。"))
            };
            (Action::AccountLock, target.to_string(), notice)
        }
        Page::AccountUnlock => {
            let notice = changed(store.set_disabled(target, false), target, format!("已启用 {target}。"));
            (Action::AccountUnlock, target.to_string(), notice)
        }
        _ => {
            let password = accounts::random_password();
            let set = admin.gate.hash(password.clone()).await.and_then(|h| store.set_password(target, &h, true));
            let mut notice = changed(
                set,
                target,
                format!("已重置 {target} 的口令，其会话和 API 令牌立即失效；本人下次登录须改为自己的口令。新口令："),
            );
            if let Some(n) = notice.as_mut().filter(|n| n.ok) {
                n.secret = Some(password);
            }
            (Action::AccountReset, target.to_string(), notice)
        }
    };
    let result = match &notice {
        Some(n) if n.ok => "ok".to_string(),
        Some(n) => format!("refused: {}", n.text),
        None => "refused".to_string(),
    };
    admin.record_by(who, action, &target, &result);
    let status = if notice.as_ref().is_some_and(|n| n.ok) { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    page_html(status, self::page(admin, who, notice))
}

fn changed(result: anyhow::Result<bool>, name: &str, ok: String) -> Option<Notice> {
    match result {
        Ok(true) => done(ok, None),
        Ok(false) => refused(format!("没有账号 {name}。")),
        Err(e) => refused(format!("无法保存：{e:#}")),
    }
}

/// Whether `name` is the only administrator not locked.
fn last_admin(store: &crate::store::Store, name: &str) -> bool {
    let accounts = store.accounts().unwrap_or_default();
    let admins: Vec<_> = accounts.iter().filter(|a| a.role == Role::Admin && !a.disabled).collect();
    admins.len() == 1 && admins[0].name == name
}
