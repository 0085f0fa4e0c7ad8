//! The operators' pages: server-built HTML in Simplified Chinese, one
//! stylesheet, and script only for the live log. Templates are maud's
//! `html!`: checked when compiled, and every value put in is escaped.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use serde_json::{json, Value};

use super::access;
use super::access::{Caller, Via};
use super::Admin;
use crate::health::{LoopState, LoopStatus};
use crate::publish::graph::Graph;
use crate::renderlog::{Report, Trigger};
use crate::store::{ProblemRow, RenderRow};

const STYLE: &str = include_str!("style.css");

/// The live render log: the last renders, then each new one (SSE).
const LOG_SCRIPT: &str = r#"(function(){var log=document.getElementById('log');
function two(n){return (n<10?'0':'')+n;}
function line(r){var t=new Date(new Date(r.finished).getTime()+TZ*60000);var s=two(t.getUTCHours())+':'+two(t.getUTCMinutes())+':'+two(t.getUTCSeconds());
var x=s+'  '+r.trigger+'  '+r.duration_ms+' ms'+(r.change_to_air_ms!=null?'  变更到播出 '+r.change_to_air_ms+' ms':'')+
'  画面 '+r.screens+'（重绘 '+r.rendered+'，复用 '+r.reused+'）  问题 '+r.problems.length+(r.published?'':'  保留上一版');
log.textContent+=x+'\n';for(var i=0;i<r.problems.length;i++){var p=r.problems[i];
log.textContent+='    '+p.path+(p.line?':'+p.line:'')+'  '+p.zh+'\n';}log.scrollTop=log.scrollHeight;}
if(window.EventSource){var es=new EventSource('/events');es.addEventListener('render',function(e){line(JSON.parse(e.data));});}
else{log.textContent='此浏览器不支持实时日志。';}})();"#;

/// The navigation bar: path and label. Each role sees the entries the
/// route table lets it open.
const NAV: [(&str, &str); 10] = [
    ("/", "状态"),
    ("/review", "审核"),
    ("/renders", "渲染记录"),
    ("/problems", "问题"),
    ("/preview", "预览墙"),
    ("/stats", "统计"),
    ("/polls", "投票评价"),
    ("/requests", "诉求"),
    ("/accounts", "账号"),
    ("/audit", "审计日志"),
];

/// A page of the operators' site: header, the menu of what `who` may
/// open, the server's faults, then `body`.
pub(crate) fn page(admin: &Admin, who: &Caller, title: &str, on: &str, body: Markup) -> String {
    let channel = admin.station.on_air.current().map(|g| g.title.clone()).unwrap_or_else(|| "infotv".into());
    let page = html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width";
                title { (title) " · " (channel) " · infotv 管理" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    div.brand { (channel) span { "infotv 管理" } }
                    nav {
                        @for (href, label) in NAV.iter().filter(|(href, _)| access::may_get(who.role, href)) {
                            a href=(href) class=[(*href == on).then_some("on")] { (label) }
                        }
                    }
                    @if matches!(who.via, Via::Session(_)) {
                        a.me href="/password" title="修改口令" { (who.account) span { (who.role.zh()) } }
                        form method="post" action="/logout" { button { "退出" } }
                    } @else {
                        span.me { (who.account) span { (who.role.zh()) } }
                    }
                }
                main {
                    @if let Some(e) = &admin.store_error {
                        div.notice { "数据库不可用，历史和统计暂不保存：" (e) }
                    }
                    @for (_, message) in admin.station.health.faults() {
                        div.notice.fault { (message) }
                    }
                    (body)
                }
            }
        }
    };
    page.into_string()
}

/// The login form; `name` is kept after a failed try. `csrf` is the
/// token its cookie carries too.
pub fn login(name: &str, next: &str, error: Option<&str>, csrf: &str) -> String {
    let page = html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                title { "登录 · infotv 管理" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                form.login method="post" action="/login" {
                    h1 { "infotv 管理登录" }
                    @if let Some(e) = error { p.error { (e) } }
                    @if name.is_empty() {
                        label { "账号" input name="name" autofocus autocomplete="username" required; }
                        label { "口令" input type="password" name="password" autocomplete="current-password" required; }
                    } @else {
                        label { "账号" input name="name" value=(name) autocomplete="username" required; }
                        label { "口令" input type="password" name="password" autofocus autocomplete="current-password" required; }
                    }
                    input type="hidden" name="next" value=(next);
                    input type="hidden" name="csrf" value=(csrf);
                    button { "登录" }
                    p.hint { "每人使用自己的账号，不要共用。在一台电脑上连续 5 次输错口令，账号在这台电脑上锁定 15 分钟。" }
                }
            }
        }
    };
    page.into_string()
}

pub(crate) fn not_found(admin: &Admin, who: &Caller) -> String {
    let home = access::home(who.role);
    page(admin, who, "找不到", "", html! { h1 { "找不到这个页面" } p { a href=(home) { "回到首页" } } })
}

pub fn forbidden(admin: &Admin, who: &Caller) -> String {
    let body = html! {
        h1 { "无权访问" }
        p { "您的角色（" (who.role.zh()) "）不能使用这个页面。这次访问已记入审计日志。" }
        p { a href=(access::home(who.role)) { "回到首页" } }
    };
    page(admin, who, "无权访问", "", body)
}

/// Changing one's own password; when it was set by someone else, the
/// only page there is until it is changed.
pub fn password(admin: &Admin, who: &Caller, error: Option<&str>) -> String {
    password_with(admin, who, error, None)
}

/// The password page, with an API token just minted shown once.
pub(crate) fn password_with(admin: &Admin, who: &Caller, error: Option<&str>, token: Option<&str>) -> String {
    let days = admin.gate.options.token_days;
    let body = html! {
        h1 { "修改口令" }
        @if who.must_change {
            div.notice { "这个口令是系统生成或管理员重置的，请先设置您自己的口令，然后才能继续使用。" }
        }
        @if let Some(e) = error { div.notice.fault { (e) } }
        form.login.inline method="post" action="/password" {
            label { "当前口令" input type="password" name="current" autocomplete="current-password" required autofocus; }
            label { "新口令" input type="password" name="new" autocomplete="new-password" required minlength="10"; }
            label { "再输一次" input type="password" name="again" autocomplete="new-password" required minlength="10"; }
            button { "保存新口令" }
            p.hint { "至少 10 个字符，包含小写字母、大写字母、数字、符号中的至少三种，不能包含账号名。保存后，您在其他地方的登录都会结束。" }
        }
        @if !who.must_change {
            h2 { "我的 API 令牌" }
            @if let Some(t) = token {
                div.notice.ok {
                    "已签发新令牌（之前的令牌作废），" (days) " 天后过期："
                    div.secret { code { (t) } }
                    p.hint { "只显示这一次。令牌代表您本人，权限与您的角色相同；修改口令后令牌作废。" }
                }
            }
            form method="post" action="/token" { button { "签发我的令牌" } }
            p.hint { "脚本用 Authorization: Bearer 令牌 访问；每人只能为自己签发，有效期 " (days) " 天。" }
        }
    };
    page(admin, who, "修改口令", "/password", body)
}

/// The channel's UTC offset, from the generation on air.
pub(crate) fn zone(admin: &Admin) -> FixedOffset {
    let minutes = admin.station.on_air.current().map_or(480, |g| g.utc_offset_minutes);
    FixedOffset::east_opt(minutes * 60).unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"))
}

/// A stored RFC 3339 time as the channel's local `11-27 20:15:03`.
pub(crate) fn local(admin: &Admin, rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&zone(admin)).format("%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|_| rfc3339.to_string())
}

/// A stored RFC 3339 time as the channel's local `2026-11-27 20:15:03`.
pub(crate) fn local_full(admin: &Admin, rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&zone(admin)).format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|_| rfc3339.to_string())
}

/// What started a render, in words.
fn trigger(t: &Trigger) -> String {
    match t {
        Trigger::Start => "启动".into(),
        Trigger::Export => "导出".into(),
        Trigger::Midnight => "零点换日".into(),
        Trigger::Schedule => "定时发布/撤下".into(),
        Trigger::Answers => "新回答（刷新结果）".into(),
        Trigger::Files { .. } => format!("文件变动：{}", t.to_string().trim_start_matches("files:")),
        Trigger::Named(name) => name.clone(),
    }
}

fn uptime(secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60);
    if d > 0 {
        format!("{d} 天 {h} 小时")
    } else if h > 0 {
        format!("{h} 小时 {m} 分")
    } else {
        format!("{m} 分 {} 秒", secs % 60)
    }
}

/// Open problems: from the store, else from the last render.
pub(crate) fn open_problems(admin: &Admin) -> Vec<ProblemRow> {
    if let Some(store) = &admin.store {
        if let Ok(rows) = store.open_problems() {
            return rows;
        }
    }
    let last = admin.station.log.last();
    let since = last.as_ref().map(|r| r.finished.to_rfc3339()).unwrap_or_default();
    last.map(|r| r.problems)
        .unwrap_or_default()
        .into_iter()
        .map(|problem| ProblemRow { problem, since: since.clone(), resolved: None })
        .collect()
}

/// A column with nothing new for longer than site.toml's `stale_days`.
struct Stale {
    title: String,
    newest: Option<NaiveDate>,
    /// Days since its newest content; `None` when it has none dated.
    days: Option<i64>,
}

/// Columns with nothing new for longer than site.toml's `stale_days`.
fn stale(admin: &Admin) -> Vec<Stale> {
    let Some(g) = admin.station.on_air.current() else { return Vec::new() };
    if g.stale_days == 0 {
        return Vec::new();
    }
    let today = g.built_at.date_naive().max(Utc::now().with_timezone(&zone(admin)).date_naive());
    g.columns
        .iter()
        .filter_map(|c| {
            let days = c.newest.map(|d| (today - d).num_days());
            days.is_none_or(|d| d > i64::from(g.stale_days)).then(|| Stale {
                title: c.title.clone(),
                newest: c.newest,
                days,
            })
        })
        .collect()
}

pub(crate) fn status_json(admin: &Admin) -> Value {
    let g = admin.station.on_air.current();
    let last = admin.station.log.last();
    let health = &admin.station.health;
    json!({
        "generation": g.as_ref().map(|g| g.id.clone()),
        "built_at": g.as_ref().map(|g| g.built_at.to_rfc3339()),
        "uptime_seconds": health.uptime().as_secs(),
        "version": crate::VERSION,
        "last_backup": last_backup(admin).map(|(at, row)| json!({"at": at.to_rfc3339(), "file": row.target, "result": row.result})),
        "screens": g.as_ref().map(|g| g.profiles.iter().map(|(n, p)| (n.clone(), p.screens.len())).collect::<BTreeMap<_, _>>()),
        "last_render": last.as_ref().map(Report::to_json),
        "open_problems": open_problems(admin).len(),
        "alert": g.as_ref().and_then(|g| g.alert.as_ref().map(|a| json!({"text": a.text, "since": a.since}))),
        "stale_columns": stale(admin).iter().map(|s| json!({"column": s.title, "newest": s.newest, "days": s.days})).collect::<Vec<_>>(),
        "store": admin.store_error.clone().map_or_else(|| json!("ok"), |e| json!(e)),
        "faults": health.faults().into_iter().map(|(k, m)| json!({"fault": k.to_string(), "message": m})).collect::<Vec<_>>(),
        "loop": health.loop_statuses(),
    })
}

/// A backup is due after this many days without one.
const BACKUP_DAYS: i64 = 7;

/// The last `infotv backup` the audit log holds: when (UTC) and its row.
pub fn last_backup(admin: &Admin) -> Option<(DateTime<Utc>, crate::audit::Row)> {
    let filter = crate::audit::Filter {
        action: Some(crate::audit::Action::Backup.name().into()),
        limit: Some(1),
        ..Default::default()
    };
    let row = admin.store.as_ref()?.audit_rows(&filter).ok()?.into_iter().next()?;
    let at = DateTime::parse_from_rfc3339(&row.at).ok()?.with_timezone(&Utc);
    Some((at, row))
}

/// The dashboard's card for backups: warn when there is none, or none for
/// a week.
fn backup_card(admin: &Admin) -> Markup {
    let hint = html! { code { "infotv backup --out FILE" } };
    match last_backup(admin) {
        None => card("warn", "上次备份", "从未备份", hint),
        Some((at, row)) => {
            let days = (admin.gate.clock.now() - at).num_days();
            let size = row.result.split(' ').nth(1).and_then(|b| b.parse::<f64>().ok()).map(|b| b / 1e6);
            let when = at.with_timezone(&zone(admin)).format("%m-%d %H:%M").to_string();
            card(
                if days >= BACKUP_DAYS { "warn" } else { "good" },
                "上次备份",
                &when,
                html! {
                    @if days >= BACKUP_DAYS { (days) " 天前，请备份 · " }
                    (row.target)
                    @if let Some(mb) = size { " · " (format!("{mb:.0}")) " MB" }
                },
            )
        }
    }
}

/// One card of the dashboard.
fn card(class: &str, key: &str, value: &str, small: Markup) -> Markup {
    html! { div class=(format!("card {class}").trim_end()) { div.k { (key) } div.v { (value) } div.s { (small) } } }
}

pub fn status(admin: &Admin, who: &Caller) -> String {
    let g = admin.station.on_air.current();
    let last = admin.station.log.last();
    let problems = open_problems(admin).len();
    let waiting = waiting(admin);
    let alert = alert(&waiting);
    let body = html! {
        @if let Some(v) = alert {
            div.notice.fault.alert-waiting {
                strong { "有一条紧急通知（" (v.path) "）在等待审核，尚未播出。" }
                @if who.role == crate::accounts::Role::Reviewer {
                    form method="post" action={ "/api/v1/review/" (v.version) "/approve" } style="display:inline;margin-left:12px" {
                        button.ok { "通过并立即播出" }
                    }
                }
                " " a href={ "/review#" (v.version) } { "查看" }
            }
        }
        @if !waiting.is_empty() {
            div.notice { a href="/review" { (waiting.len()) " 项变更待审核" } }
        }
        h1 { "运行状态" }
        div.cards {
            @match &g {
                Some(g) => (card("good", "正在播出", &g.id, html! { "生成于 " (g.built_at.format("%m-%d %H:%M:%S")) })),
                None => (card("bad", "正在播出", "无", html! { "首次渲染尚未完成" })),
            }
            (card("", "已运行", &uptime(admin.station.health.uptime().as_secs()), html! { "infotv " (crate::VERSION) }))
            @if let Some(g) = &g {
                @let per: Vec<String> = g.profiles.iter().map(|(n, p)| format!("{n} {}", p.screens.len())).collect();
                (card("", "画面数", &g.screen_count().to_string(), html! { (per.join(" · ")) }))
            }
            @match &last {
                Some(r) => (card(
                    if r.published { "" } else { "warn" },
                    "最近一次渲染",
                    &format!("{} ms", r.duration.as_millis()),
                    html! {
                        (r.finished.with_timezone(&zone(admin)).format("%H:%M:%S")) " · " (trigger(&r.trigger))
                        @if let Some(d) = r.change_to_air { " · 变更到播出 " (d.as_millis()) " ms" }
                    },
                )),
                None => (card("", "最近一次渲染", "—", html! {})),
            }
            @if problems > 0 {
                (card("bad", "未解决问题", &problems.to_string(), html! { a href="/problems" { "查看问题" } }))
            } @else {
                (card("good", "未解决问题", "0", html! { "内容文件都没有问题" }))
            }
            @match g.as_ref().and_then(|g| g.alert.as_ref()) {
                Some(a) => (card("warn", "紧急通知", "播出中", html! { (a.text.chars().take(60).collect::<String>()) })),
                None => (card("", "紧急通知", "无", html! { "在频道根目录放入 alert.txt 即可播出" })),
            }
            (backup_card(admin))
        }
        (loop_section(admin, g.as_deref()))
        h2 { "栏目更新" }
        (freshness(admin, g.as_ref().map_or(0, |g| g.stale_days)))
        h2 { "渲染日志（实时）" }
        pre #log {}
        script { "var TZ=" (zone(admin).local_minus_utc() / 60) ";" }
        script { (PreEscaped(LOG_SCRIPT)) }
    };
    page(admin, who, "运行状态", "/", body)
}

/// Which columns have had nothing new for too long.
fn freshness(admin: &Admin, days: u32) -> Markup {
    let stale = stale(admin);
    html! {
        @if days == 0 {
            div.notice.ok { "未启用栏目更新提醒（site.toml 中 stale_days = 0）。" }
        } @else if stale.is_empty() {
            div.notice.ok { "所有栏目在 " (days) " 天内都有新内容。" }
        } @else {
            @for s in stale {
                div.notice {
                    @match (s.newest, s.days) {
                        (Some(d), Some(since)) => { "「" (s.title) "」已 " (since) " 天没有新内容（最近一次：" (d) "），超过 " (days) " 天的提醒线。" }
                        _ => { "「" (s.title) "」还没有任何带日期的内容。" }
                    }
                }
            }
        }
    }
}

/// The broadcast loop: each encoder's state, the screen playing, restarts.
fn loop_section(admin: &Admin, g: Option<&crate::publish::Generation>) -> Markup {
    let Some(plan) = g.and_then(|g| g.broadcast.as_ref()) else {
        return html! {
            h2 { "轮播频道（单向机顶盒）" }
            div.notice.ok { "未启用轮播（在 site.toml 中加入 [loop] 即可把频道做成轮播节目）。" }
        };
    };
    let music = plan
        .music
        .as_ref()
        .map(|(path, _)| path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
    html! {
        h2 { "轮播频道（单向机顶盒）" }
        p.hint {
            "每屏 " (plan.config.seconds) " 秒 · "
            @match music { Some(m) => { "背景音乐 " (m) }, None => "无背景音乐（静音）" }
            " · HLS："
            @for (i, p) in plan.config.profiles.iter().enumerate() {
                @if i > 0 { " " }
                code { "/live/" (p) "/index.m3u8" }
            }
            @if let Some(t) = &plan.config.ts { " · MPEG-TS：" code { (t) } }
        }
        table {
            tr { th { "输出" } th { "状态" } th { "当前画面" } th.n { "位置" } th.n { "已送帧" } th.n { "重启" } th { "最近错误" } }
            @for l in admin.station.health.loop_statuses() {
                tr {
                    td { (l.output) } td { (loop_state(&l)) } td { (l.title) }
                    td.n { (l.position) "/" (l.total) } td.n { (l.frames) } td.n { (l.restarts) }
                    td { (l.last_error.as_deref().unwrap_or("—")) }
                }
            }
        }
    }
}

fn loop_state(l: &LoopStatus) -> Markup {
    match l.state {
        LoopState::Playing if l.alert => html! { span.tag.keep { "播出紧急通知" } },
        LoopState::Playing => html! { span.tag.ok { "播出中" } },
        LoopState::Starting => html! { span.tag { "启动中" } },
        LoopState::Restarting => html! { span.tag.no { "等待重启" } },
        LoopState::Stopped => html! { span.tag { "已停止" } },
    }
}

fn renders_table(admin: &Admin, rows: &[RenderRow]) -> Markup {
    html! {
        table {
            tr {
                th { "完成时间" } th { "触发" } th.n { "耗时" } th.n { "变更到播出" }
                th.n { "画面" } th.n { "重绘" } th.n { "复用" } th.n { "问题" } th { "结果" }
            }
            @for r in rows {
                tr {
                    td { a href={ "/renders/" (r.id) } { (local(admin, &r.finished)) } }
                    td { (trigger(&r.trigger)) }
                    td.n { (r.duration_ms) " ms" }
                    td.n { @match r.change_to_air_ms { Some(m) => { (m) " ms" }, None => "—" } }
                    td.n { (r.screens) } td.n { (r.rendered) } td.n { (r.reused) } td.n { (r.problem_count) }
                    td {
                        @if r.published { span.tag.ok { "已播出" } } @else { span.tag.keep { "保留上一版" } }
                    }
                }
            }
        }
    }
}

pub fn renders(admin: &Admin, who: &Caller) -> String {
    let rows = admin.store.as_ref().and_then(|s| s.renders(200).ok()).unwrap_or_default();
    let body = html! {
        h1 { "渲染记录" }
        p.hint { "最近 200 次渲染。点击时间查看那一次的问题。" }
        @if rows.is_empty() { p { "还没有渲染记录。" } } @else { (renders_table(admin, &rows)) }
    };
    page(admin, who, "渲染记录", "/renders", body)
}

pub(crate) fn render_run(admin: &Admin, who: &Caller, run: &RenderRow) -> String {
    let rows: Vec<ProblemRow> = run
        .problems
        .iter()
        .map(|p| ProblemRow { problem: p.clone(), since: run.finished.clone(), resolved: None })
        .collect();
    let body = html! {
        h1 { "第 " (run.id) " 次渲染" }
        (renders_table(admin, std::slice::from_ref(run)))
        p.hint { "生成编号 " (run.generation) }
        h2 { "这次渲染报告的问题（" (run.problems.len()) "）" }
        (problems_table(admin, &rows, false))
        p { a href="/renders" { "← 返回渲染记录" } }
    };
    page(admin, who, "渲染详情", "/renders", body)
}

fn problems_table(admin: &Admin, rows: &[ProblemRow], since: bool) -> Markup {
    html! {
        @if rows.is_empty() {
            div.notice.ok { "没有问题。" }
        } @else {
            table {
                tr { th { "文件" } th.n { "行" } th { "原因与提示" } @if since { th { "出现时间" } } }
                @for r in rows {
                    @let p = &r.problem;
                    tr {
                        td { (p.path) }
                        td.n { @if let Some(l) = p.line { (l) } }
                        td {
                            (p.zh)
                            @if p.last_good { span.tag.keep { "仍播出上一版" } }
                            div.en { (p.en) }
                            div.hint { "提示：" (p.hint_zh) }
                        }
                        @if since { td { (local(admin, &r.since)) } }
                    }
                }
            }
        }
    }
}

pub fn problems(admin: &Admin, who: &Caller) -> String {
    let rows = open_problems(admin);
    let body = html! {
        h1 { "未解决的问题（" (rows.len()) "）" }
        p.hint { "有问题的文件已跳过，频道其余内容照常播出；改好文件后几秒内自动消失。" }
        (problems_table(admin, &rows, true))
    };
    page(admin, who, "问题", "/problems", body)
}

/// Every screen of a profile as the TV shows it: the base picture with the
/// first state's focus drawn over it, scaled into a wall of thumbnails.
pub fn preview(admin: &Admin, who: &Caller, profile: &str) -> Option<String> {
    let g = admin.station.on_air.current()?;
    let p = g.profiles.get(profile)?;
    let graph: Graph = serde_json::from_slice(&p.graph_json).ok()?;
    let (w, h) = (f64::from(p.profile.width), f64::from(p.profile.height));
    let scale = 280.0 / w;
    let body = html! {
        h1 { "预览墙 · " (profile) " (" (p.profile.width) "x" (p.profile.height) ")" }
        p {
            @for name in g.profiles.keys() {
                a.btn style=[(name == profile).then_some("background:#f0a020;color:#16324f")] href={ "/preview/" (name) } { (name) }
                " "
            }
        }
        p.hint { (p.screens.len()) " 个画面，按导航顺序排列，焦点画在第一个位置。" }
        div.wall {
            @for (id, s) in graph.navigation_order() {
                @let state = s.states.first();
                @let base = state.map_or("", |st| st.image.as_str());
                div.shot {
                    a href=(base) title=(id) {
                        div.tv style={ "width:" (format!("{:.0}", w * scale)) "px;height:" (format!("{:.0}", h * scale)) "px" } {
                            div.in style={ "width:" (w) "px;height:" (h) "px;transform:scale(" (format!("{scale:.4}")) ")" } {
                                img src=(base) alt="";
                                @if let Some(f) = state.and_then(|st| st.focus.as_ref()) {
                                    img src=(f.image) style={ "left:" (f.x) "px;top:" (f.y) "px" } alt="";
                                }
                            }
                        }
                    }
                    div.t {
                        @if let Some(n) = s.number { b { (n) } }
                        (s.title) " " span.en { (s.kind.name()) " · " (id) }
                    }
                }
            }
        }
    };
    Some(page(admin, who, "预览墙", "/preview", body))
}

pub fn stats(admin: &Admin, who: &Caller, from: NaiveDate, to: NaiveDate) -> String {
    let form = html! {
        h1 { "收视统计" }
        form.range method="get" action="/stats" {
            "从 " input type="date" name="from" value=(from); " 到 " input type="date" name="to" value=(to); " "
            button { "查看" } " "
            a.btn href={ "/stats.csv?from=" (from) "&to=" (to) } { "下载 CSV（Excel）" }
        }
    };
    let Some(store) = &admin.store else {
        return page(admin, who, "统计", "/stats", html! { (form) p { "没有数据库，无法统计。" } });
    };
    let stats = store.stats(from, to).unwrap_or_default();
    let sums = super::stats::Sums::of(&stats, from, to);
    let days = sums.per_day.len().max(1) as i64;
    let boxes_total: i64 = stats.boxes.values().sum();
    let body = html! {
        (form)
        div.cards {
            (card("", "浏览次数", &sums.total.to_string(), html! { (from) " 至 " (to) }))
            (card("", "日均浏览", &average(sums.total, days), html! { "共 " (days) " 天" }))
            (card("", "日均机顶盒", &average(boxes_total, days), html! { "每天不重复的机顶盒数的平均" }))
        }
        h2 { "每日浏览" }
        (super::stats::chart(&sums.per_day, &stats.boxes))
        h2 { "各栏目" }
        (share_table(sums.per_column.into_iter().map(|(c, n)| (c, String::new(), n)).collect(), sums.total, false))
        h2 { "各子栏目" }
        (share_table(sums.per_item.into_iter().map(|((c, i), n)| (c, i, n)).collect(), sums.total, true))
    };
    page(admin, who, "统计", "/stats", body)
}

/// `sum / days`, with a decimal while it is small.
fn average(sum: i64, days: i64) -> String {
    let avg = sum as f64 / days.max(1) as f64;
    if avg < 10.0 {
        format!("{avg:.1}")
    } else {
        format!("{avg:.0}")
    }
}

/// Rows sorted by views, with a bar of each one's share.
fn share_table(mut rows: Vec<(String, String, i64)>, total: i64, items: bool) -> Markup {
    rows.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    html! {
        @if rows.is_empty() {
            p { "这段时间还没有浏览记录。" }
        } @else {
            table {
                tr { th { "栏目" } @if items { th { "子栏目" } } th.n { "浏览" } th style="width:40%" { "占比" } }
                @for (column, item, n) in &rows {
                    @let share = if total > 0 { *n as f64 * 100.0 / total as f64 } else { 0.0 };
                    tr {
                        td { (column) }
                        @if items { td { (item) } }
                        td.n { (n) }
                        td { div.share { div.bar { i style={ "width:" (format!("{share:.1}")) "%" } {} } span.hint { (format!("{share:.1}")) "%" } } }
                    }
                }
            }
        }
    }
}

/// The versions waiting now (none when review is off).
fn waiting(admin: &Admin) -> Vec<crate::review::Version> {
    let renderer = &admin.driver;
    renderer.desk().and_then(|d| d.waiting(renderer.channels()).ok()).unwrap_or_default()
}

/// The waiting alert among `waiting`: shown at the top of the dashboard.
fn alert(waiting: &[crate::review::Version]) -> Option<&crate::review::Version> {
    waiting
        .iter()
        .find(|v| matches!(v.path.as_str(), "alert.txt" | "alert.md") && v.state == crate::review::State::Pending)
}
