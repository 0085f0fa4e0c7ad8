//! The operators' pages: plain server-built HTML in Simplified Chinese, one
//! stylesheet, and script only for the live log.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde_json::{json, Value};

use super::Admin;
use crate::health::LoopState;
use crate::publish::shell::escape as esc;
use crate::renderlog::{Report, Trigger};
use crate::store::{ProblemRow, RenderRow};

const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;font:15px/1.6 "Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",sans-serif;background:#eef1f5;color:#1d2733}
header{background:#16324f;color:#fff;display:flex;align-items:center;gap:24px;padding:0 24px;height:56px}
header .brand{font-size:18px;font-weight:700;white-space:nowrap}
header .brand span{font-weight:400;opacity:.7;font-size:14px;margin-left:8px}
header nav{display:flex;gap:4px;flex:1}
header nav a{color:#cfe0f2;text-decoration:none;padding:6px 12px;border-radius:6px}
header nav a.on,header nav a:hover{background:#f0a020;color:#16324f}
header form button{background:none;border:1px solid #8fb0d0;color:#dbe8f5;border-radius:6px;padding:4px 12px;cursor:pointer;font:inherit}
main{max-width:1280px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 16px}
h2{font-size:17px;margin:28px 0 10px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:14px}
.card{background:#fff;border-radius:10px;padding:14px 16px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.card .k{color:#5b6b7c;font-size:13px}
.card .v{font-size:22px;font-weight:700;margin-top:2px;word-break:break-all}
.card .s{color:#5b6b7c;font-size:13px}
.bad .v{color:#b3261e}.good .v{color:#1e7a3c}.warn .v{color:#a05a00}
table{width:100%;border-collapse:collapse;background:#fff;border-radius:10px;overflow:hidden;box-shadow:0 1px 2px rgba(0,0,0,.08)}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid #e6eaef;vertical-align:top}
th{background:#f6f8fa;color:#46566a;font-weight:600;font-size:13px}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tr:hover td{background:#fbfcfd}
a{color:#1a5fa8}
.tag{display:inline-block;border-radius:4px;padding:0 6px;font-size:12px;margin-left:4px}
.tag.keep{background:#fff1d6;color:#8a5200}.tag.ok{background:#dff3e5;color:#1e7a3c}.tag.no{background:#fde2e0;color:#b3261e}
.hint{color:#46566a;font-size:13px}
.en{color:#7a8896;font-size:12px}
.notice{background:#fff;border-left:4px solid #f0a020;padding:10px 14px;border-radius:6px;margin:8px 0}
.notice.ok{border-color:#2e9d57}
.notice.fault{border-color:#b3261e;color:#7a1a14}
pre#log{background:#0f1b28;color:#cfe3f7;border-radius:10px;padding:12px 14px;height:260px;overflow:auto;font:13px/1.5 "DejaVu Sans Mono",monospace;margin:0}
.wall{display:grid;grid-template-columns:repeat(auto-fill,296px);gap:16px}
.shot{background:#fff;border-radius:10px;padding:8px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.tv{position:relative;overflow:hidden;background:#000;border-radius:4px}
.tv .in{position:absolute;left:0;top:0;transform-origin:0 0}
.tv img{position:absolute;left:0;top:0;display:block}
.shot .t{font-size:13px;margin-top:6px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.shot .t b{color:#a05a00;margin-right:6px}
.share{display:flex;align-items:center;gap:10px}.share .bar{flex:1}
.bar{background:#dce7f3;height:10px;border-radius:5px;min-width:2px}
.bar i{display:block;height:10px;border-radius:5px;background:#2f6fb0}
form.range{display:flex;gap:10px;align-items:center;margin:0 0 12px}
form.range input{font:inherit;padding:3px 6px}
form.range button,a.btn{font:inherit;background:#16324f;color:#fff;border:0;border-radius:6px;padding:5px 14px;text-decoration:none;cursor:pointer}
.login{max-width:380px;margin:12vh auto;background:#fff;border-radius:12px;padding:28px;box-shadow:0 2px 10px rgba(0,0,0,.1)}
.login input{width:100%;font:inherit;padding:8px;margin:10px 0 14px;border:1px solid #b8c4d0;border-radius:6px}
.login button{width:100%;font:inherit;background:#16324f;color:#fff;border:0;border-radius:6px;padding:9px}
.error{color:#b3261e}
svg text{font:11px sans-serif;fill:#46566a}
"#;

fn page(admin: &Admin, title: &str, on: &str, body: &str) -> String {
    let channel = admin.station.on_air.current().map(|g| g.title.clone()).unwrap_or_else(|| "infotv".into());
    let mut nav = String::new();
    for (href, label) in
        [("/", "状态"), ("/renders", "渲染记录"), ("/problems", "问题"), ("/preview", "预览墙"), ("/stats", "统计")]
    {
        let class = if href == on { " class=\"on\"" } else { "" };
        let _ = write!(nav, "<a href=\"{href}\"{class}>{label}</a>");
    }
    let mut store = match &admin.store_error {
        Some(e) => format!("<div class=\"notice\">数据库不可用，历史和统计暂不保存：{}</div>", esc(e)),
        None => String::new(),
    };
    for (_, message) in admin.station.health.faults() {
        let _ = write!(store, "<div class=\"notice fault\">{}</div>", esc(&message));
    }
    format!(
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{} · {} · infotv 管理</title><style>{STYLE}</style></head><body><header><div class=\"brand\">{}<span>infotv 管理</span></div>\
         <nav>{nav}</nav><form method=\"post\" action=\"/logout\"><button>退出</button></form></header><main>{store}{body}</main></body></html>",
        esc(title),
        esc(&channel),
        esc(&channel)
    )
}

pub fn login(next: &str, error: Option<&str>) -> String {
    let error = error.map(|e| format!("<p class=\"error\">{}</p>", esc(e))).unwrap_or_default();
    format!(
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>登录 · infotv 管理</title><style>{STYLE}</style></head>\
         <body><form class=\"login\" method=\"post\" action=\"/login\"><h1>infotv 管理登录</h1>{error}\
         <label>管理令牌<input type=\"password\" name=\"token\" autofocus autocomplete=\"current-password\"></label>\
         <input type=\"hidden\" name=\"next\" value=\"{}\"><button>登录</button>\
         <p class=\"hint\">令牌在首次启动时打印，并保存在数据目录的 admin-token 文件中。</p></form></body></html>",
        esc(next)
    )
}

pub fn not_found(admin: &Admin) -> String {
    page(admin, "找不到", "", "<h1>找不到这个页面</h1><p><a href=\"/\">回到状态页</a></p>")
}

/// The channel's UTC offset, from the generation on air.
fn zone(admin: &Admin) -> FixedOffset {
    let minutes = admin.station.on_air.current().map_or(480, |g| g.utc_offset_minutes);
    FixedOffset::east_opt(minutes * 60).unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"))
}

/// A stored RFC 3339 time as the channel's local `11-27 20:15:03`.
fn local(admin: &Admin, rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&zone(admin)).format("%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|_| rfc3339.to_string())
}

/// What started a render, in words.
fn trigger(t: &Trigger) -> String {
    match t {
        Trigger::Start => "启动".into(),
        Trigger::Export => "导出".into(),
        Trigger::Midnight => "零点换日".into(),
        Trigger::Schedule => "定时发布/撤下".into(),
        Trigger::Files { .. } => format!("文件变动：{}", esc(t.to_string().trim_start_matches("files:"))),
        Trigger::Named(name) => esc(name),
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
pub fn open_problems(admin: &Admin) -> Vec<ProblemRow> {
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

/// Columns with nothing new for longer than site.toml's `stale_days`, with
/// the days since their newest content.
fn stale(admin: &Admin) -> Vec<(String, Option<NaiveDate>, i64)> {
    let Some(g) = admin.station.on_air.current() else { return Vec::new() };
    if g.stale_days == 0 {
        return Vec::new();
    }
    let today = g.built_at.date_naive().max(Utc::now().with_timezone(&zone(admin)).date_naive());
    g.columns
        .iter()
        .filter_map(|c| {
            let days = c.newest.map_or(i64::MAX, |d| (today - d).num_days());
            (days > i64::from(g.stale_days)).then(|| (c.title.clone(), c.newest, days))
        })
        .collect()
}

pub fn status_json(admin: &Admin) -> Value {
    let g = admin.station.on_air.current();
    let last = admin.station.log.last();
    json!({
        "generation": g.as_ref().map(|g| g.id.clone()),
        "built_at": g.as_ref().map(|g| g.built_at.to_rfc3339()),
        "uptime_seconds": admin.station.health.uptime().as_secs(),
        "screens": g.as_ref().map(|g| g.profiles.iter().map(|(n, p)| (n.clone(), p.screens.len())).collect::<BTreeMap<_, _>>()),
        "last_render": last.as_ref().map(Report::to_json),
        "open_problems": open_problems(admin).len(),
        "alert": g.as_ref().and_then(|g| g.alert.as_ref().map(|a| json!({"text": a.text, "since": a.since}))),
        "stale_columns": stale(admin).iter().map(|(t, d, days)| json!({"column": t, "newest": d, "days": if *days == i64::MAX { Value::Null } else { json!(days) }})).collect::<Vec<_>>(),
        "store": admin.store_error.clone().map_or_else(|| json!("ok"), |e| json!(e)),
        "faults": admin.station.health.faults().into_iter().map(|(k, m)| json!({"fault": k.to_string(), "message": m})).collect::<Vec<_>>(),
        "loop": admin.station.health.loop_statuses(),
    })
}

pub fn status(admin: &Admin) -> String {
    let g = admin.station.on_air.current();
    let last = admin.station.log.last();
    let problems = open_problems(admin).len();
    let mut body = String::from("<h1>运行状态</h1><div class=\"cards\">");
    let mut card = |class: &str, k: &str, v: &str, s: &str| {
        let _ = write!(
            body,
            "<div class=\"card {class}\"><div class=\"k\">{k}</div><div class=\"v\">{v}</div><div class=\"s\">{s}</div></div>"
        );
    };
    match &g {
        Some(g) => card("good", "正在播出", &esc(&g.id), &format!("生成于 {}", g.built_at.format("%m-%d %H:%M:%S"))),
        None => card("bad", "正在播出", "无", "首次渲染尚未完成"),
    }
    card("", "已运行", &uptime(admin.station.health.uptime().as_secs()), "");
    if let Some(g) = &g {
        let per: Vec<String> = g.profiles.iter().map(|(n, p)| format!("{n} {}", p.screens.len())).collect();
        card("", "画面数", &g.screen_count().to_string(), &esc(&per.join(" · ")));
    }
    match &last {
        Some(r) => card(
            if r.published { "" } else { "warn" },
            "最近一次渲染",
            &format!("{} ms", r.duration.as_millis()),
            &format!(
                "{} · {}{}",
                r.finished.with_timezone(&zone(admin)).format("%H:%M:%S"),
                trigger(&r.trigger),
                r.change_to_air.map(|d| format!(" · 变更到播出 {} ms", d.as_millis())).unwrap_or_default()
            ),
        ),
        None => card("", "最近一次渲染", "—", ""),
    }
    card(
        if problems > 0 { "bad" } else { "good" },
        "未解决问题",
        &problems.to_string(),
        if problems > 0 { "<a href=\"/problems\">查看问题</a>" } else { "内容文件都没有问题" },
    );
    match g.as_ref().and_then(|g| g.alert.as_ref()) {
        Some(a) => card("warn", "紧急通知", "播出中", &esc(&a.text.chars().take(60).collect::<String>())),
        None => card("", "紧急通知", "无", "在频道根目录放入 alert.txt 即可播出"),
    }
    body.push_str("</div>");
    loop_section(admin, g.as_deref(), &mut body);
    body.push_str("<h2>栏目更新</h2>");
    let stale = stale(admin);
    let days = g.as_ref().map_or(0, |g| g.stale_days);
    if days == 0 {
        body.push_str("<div class=\"notice ok\">未启用栏目更新提醒（site.toml 中 stale_days = 0）。</div>");
    } else if stale.is_empty() {
        let _ = write!(body, "<div class=\"notice ok\">所有栏目在 {days} 天内都有新内容。</div>");
    } else {
        for (title, newest, since) in stale {
            let text = match newest {
                Some(d) => {
                    format!("「{}」已 {since} 天没有新内容（最近一次：{d}），超过 {days} 天的提醒线。", esc(&title))
                }
                None => format!("「{}」还没有任何带日期的内容。", esc(&title)),
            };
            let _ = write!(body, "<div class=\"notice\">{text}</div>");
        }
    }
    let _ = write!(
        body,
        "<h2>渲染日志（实时）</h2><pre id=\"log\"></pre><script>var TZ={};</script>",
        zone(admin).local_minus_utc() / 60
    );
    body.push_str(
        "<script>(function(){var log=document.getElementById('log');\
         function two(n){return (n<10?'0':'')+n;}\
         function line(r){var t=new Date(new Date(r.finished).getTime()+TZ*60000);var s=two(t.getUTCHours())+':'+two(t.getUTCMinutes())+':'+two(t.getUTCSeconds());\
         var x=s+'  '+r.trigger+'  '+r.duration_ms+' ms'+(r.change_to_air_ms!=null?'  变更到播出 '+r.change_to_air_ms+' ms':'')+\
         '  画面 '+r.screens+'（重绘 '+r.rendered+'，复用 '+r.reused+'）  问题 '+r.problems.length+(r.published?'':'  保留上一版');\
         log.textContent+=x+'\\n';for(var i=0;i<r.problems.length;i++){var p=r.problems[i];\
         log.textContent+='    '+p.path+(p.line?':'+p.line:'')+'  '+p.zh+'\\n';}log.scrollTop=log.scrollHeight;}\
         if(window.EventSource){var es=new EventSource('/events');es.addEventListener('render',function(e){line(JSON.parse(e.data));});}\
         else{log.textContent='此浏览器不支持实时日志。';}})();</script>",
    );
    page(admin, "运行状态", "/", &body)
}

/// The broadcast loop: each encoder's state, the screen playing, restarts.
fn loop_section(admin: &Admin, g: Option<&crate::publish::Generation>, body: &mut String) {
    body.push_str("<h2>轮播频道（单向机顶盒）</h2>");
    let Some(plan) = g.and_then(|g| g.broadcast.as_ref()) else {
        body.push_str(
            "<div class=\"notice ok\">未启用轮播（在 site.toml 中加入 [loop] 即可把频道做成轮播节目）。</div>",
        );
        return;
    };
    let music = match &plan.music {
        Some((path, _)) => {
            format!("背景音乐 {}", esc(&path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()))
        }
        None => "无背景音乐（静音）".to_string(),
    };
    let _ = write!(
        body,
        "<p class=\"hint\">每屏 {} 秒 · {} · HLS：{}{}</p>",
        plan.config.seconds,
        music,
        plan.config
            .profiles
            .iter()
            .map(|p| format!("<code>/live/{}/index.m3u8</code>", esc(p)))
            .collect::<Vec<_>>()
            .join(" "),
        plan.config.ts.as_ref().map(|t| format!(" · MPEG-TS：<code>{}</code>", esc(t))).unwrap_or_default(),
    );
    body.push_str(
        "<table><tr><th>输出</th><th>状态</th><th>当前画面</th><th class=\"n\">位置</th>\
         <th class=\"n\">已送帧</th><th class=\"n\">重启</th><th>最近错误</th></tr>",
    );
    for l in admin.station.health.loop_statuses() {
        let state = match l.state {
            LoopState::Playing if l.alert => "<span class=\"tag keep\">播出紧急通知</span>",
            LoopState::Playing => "<span class=\"tag ok\">播出中</span>",
            LoopState::Starting => "<span class=\"tag\">启动中</span>",
            LoopState::Restarting => "<span class=\"tag no\">等待重启</span>",
            LoopState::Stopped => "<span class=\"tag\">已停止</span>",
        };
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{state}</td><td>{}</td><td class=\"n\">{}/{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            esc(&l.output),
            esc(&l.title),
            l.position,
            l.total,
            l.frames,
            l.restarts,
            esc(l.last_error.as_deref().unwrap_or("—")),
        );
    }
    body.push_str("</table>");
}

fn renders_table(admin: &Admin, rows: &[RenderRow]) -> String {
    let mut body = String::from(
        "<table><tr><th>完成时间</th><th>触发</th><th class=\"n\">耗时</th><th class=\"n\">变更到播出</th>\
         <th class=\"n\">画面</th><th class=\"n\">重绘</th><th class=\"n\">复用</th><th class=\"n\">问题</th><th>结果</th></tr>",
    );
    for r in rows {
        let _ = write!(
            body,
            "<tr><td><a href=\"/renders/{}\">{}</a></td><td>{}</td><td class=\"n\">{} ms</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            r.id,
            local(admin, &r.finished),
            trigger(&r.trigger),
            r.duration_ms,
            r.change_to_air_ms.map(|m| format!("{m} ms")).unwrap_or_else(|| "—".into()),
            r.screens,
            r.rendered,
            r.reused,
            r.problem_count,
            if r.published {
                "<span class=\"tag ok\">已播出</span>"
            } else {
                "<span class=\"tag keep\">保留上一版</span>"
            }
        );
    }
    body.push_str("</table>");
    body
}

pub fn renders(admin: &Admin) -> String {
    let rows = admin.store.as_ref().and_then(|s| s.renders(200).ok()).unwrap_or_default();
    let mut body = String::from("<h1>渲染记录</h1><p class=\"hint\">最近 200 次渲染。点击时间查看那一次的问题。</p>");
    if rows.is_empty() {
        body.push_str("<p>还没有渲染记录。</p>");
    } else {
        body.push_str(&renders_table(admin, &rows));
    }
    page(admin, "渲染记录", "/renders", &body)
}

pub fn render_run(admin: &Admin, run: &RenderRow) -> String {
    let mut body = format!("<h1>第 {} 次渲染</h1>", run.id);
    body.push_str(&renders_table(admin, std::slice::from_ref(run)));
    let _ = write!(
        body,
        "<p class=\"hint\">生成编号 {}</p><h2>这次渲染报告的问题（{}）</h2>",
        esc(&run.generation),
        run.problems.len()
    );
    let rows: Vec<ProblemRow> = run
        .problems
        .iter()
        .map(|p| ProblemRow { problem: p.clone(), since: run.finished.clone(), resolved: None })
        .collect();
    body.push_str(&problems_table(admin, &rows, false));
    body.push_str("<p><a href=\"/renders\">← 返回渲染记录</a></p>");
    page(admin, "渲染详情", "/renders", &body)
}

fn problems_table(admin: &Admin, rows: &[ProblemRow], since: bool) -> String {
    if rows.is_empty() {
        return "<div class=\"notice ok\">没有问题。</div>".into();
    }
    let mut body = String::from("<table><tr><th>文件</th><th class=\"n\">行</th><th>原因与提示</th>");
    if since {
        body.push_str("<th>出现时间</th>");
    }
    body.push_str("</tr>");
    for r in rows {
        let p = &r.problem;
        let keep = if p.last_good { "<span class=\"tag keep\">仍播出上一版</span>" } else { "" };
        let _ = write!(
            body,
            "<tr><td>{}</td><td class=\"n\">{}</td><td>{}{keep}<div class=\"en\">{}</div><div class=\"hint\">提示：{}</div></td>",
            esc(&p.path),
            p.line.map(|l| l.to_string()).unwrap_or_default(),
            esc(&p.zh),
            esc(&p.en),
            esc(&p.hint_zh)
        );
        if since {
            let _ = write!(body, "<td>{}</td>", local(admin, &r.since));
        }
        body.push_str("</tr>");
    }
    body.push_str("</table>");
    body
}

pub fn problems(admin: &Admin) -> String {
    let rows = open_problems(admin);
    let mut body = format!(
        "<h1>未解决的问题（{}）</h1><p class=\"hint\">有问题的文件已跳过，频道其余内容照常播出；改好文件后几秒内自动消失。</p>",
        rows.len()
    );
    body.push_str(&problems_table(admin, &rows, true));
    page(admin, "问题", "/problems", &body)
}

/// Every screen of a profile as the TV shows it: the base picture with the
/// first state's focus drawn over it, scaled into a wall of thumbnails.
pub fn preview(admin: &Admin, profile: &str) -> Option<String> {
    let g = admin.station.on_air.current()?;
    let p = g.profiles.get(profile)?;
    let graph: Value = serde_json::from_slice(&p.graph_json).ok()?;
    let (w, h) = (p.profile.width as f64, p.profile.height as f64);
    let scale = 280.0 / w;
    let mut tabs = String::new();
    for name in g.profiles.keys() {
        let on = if name == profile { " style=\"background:#f0a020;color:#16324f\"" } else { "" };
        let _ = write!(tabs, "<a class=\"btn\"{on} href=\"/preview/{0}\">{0}</a> ", esc(name));
    }
    let mut body = format!(
        "<h1>预览墙 · {} ({}x{})</h1><p>{tabs}</p><p class=\"hint\">{} 个画面，按导航顺序排列，焦点画在第一个位置。</p><div class=\"wall\">",
        esc(profile),
        p.profile.width,
        p.profile.height,
        p.screens.len()
    );
    let screens = graph["screens"].as_object()?;
    for (id, s) in navigation_order(screens, graph["start"].as_str().unwrap_or("home")) {
        let state = &s["states"][0];
        let base = state["image"].as_str().unwrap_or("");
        let focus = match (&state["focus"], state["focus"]["image"].as_str()) {
            (f, Some(img)) => format!(
                "<img src=\"{}\" style=\"left:{}px;top:{}px\" alt=\"\">",
                esc(img),
                f["x"].as_f64().unwrap_or(0.0),
                f["y"].as_f64().unwrap_or(0.0)
            ),
            _ => String::new(),
        };
        let number = s["number"].as_u64().map(|n| format!("<b>{n}</b>")).unwrap_or_default();
        let _ = write!(
            body,
            "<div class=\"shot\"><a href=\"{base}\" title=\"{id}\"><div class=\"tv\" style=\"width:{:.0}px;height:{:.0}px\">\
             <div class=\"in\" style=\"width:{w}px;height:{h}px;transform:scale({scale:.4})\"><img src=\"{base}\" alt=\"\">{focus}</div></div></a>\
             <div class=\"t\">{number}{} <span class=\"en\">{} · {}</span></div></div>",
            w * scale,
            h * scale,
            esc(s["title"].as_str().unwrap_or("")),
            esc(s["kind"].as_str().unwrap_or("")),
            esc(id),
            base = esc(base),
            id = esc(id),
        );
    }
    body.push_str("</div>");
    Some(page(admin, "预览墙", "/preview", &body))
}

/// Screens in the order a viewer meets them: breadth first from the start
/// screen, digits before OK before paging, unreachable ones last.
fn navigation_order<'a>(screens: &'a serde_json::Map<String, Value>, start: &str) -> Vec<(&'a String, &'a Value)> {
    let keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "ok", "right", "down", "pagedown"];
    let mut seen = std::collections::HashSet::new();
    let mut queue = std::collections::VecDeque::new();
    let mut out = Vec::new();
    if let Some((id, s)) = screens.get_key_value(start) {
        seen.insert(id.as_str());
        queue.push_back((id, s));
    }
    while let Some((id, s)) = queue.pop_front() {
        out.push((id, s));
        for state in s["states"].as_array().into_iter().flatten() {
            for key in keys {
                let Some(target) = state["keys"][key].as_str() else { continue };
                let target = target.split('#').next().unwrap_or(target);
                if let Some((tid, ts)) = screens.get_key_value(target) {
                    if seen.insert(tid.as_str()) {
                        queue.push_back((tid, ts));
                    }
                }
            }
        }
    }
    out.extend(screens.iter().filter(|(id, _)| !seen.contains(id.as_str())));
    out
}

pub fn stats(admin: &Admin, from: NaiveDate, to: NaiveDate) -> String {
    let mut body = format!(
        "<h1>收视统计</h1><form class=\"range\" method=\"get\" action=\"/stats\">从 <input type=\"date\" name=\"from\" value=\"{from}\"> \
         到 <input type=\"date\" name=\"to\" value=\"{to}\"> <button>查看</button> \
         <a class=\"btn\" href=\"/stats.csv?from={from}&amp;to={to}\">下载 CSV（Excel）</a></form>"
    );
    let Some(store) = &admin.store else {
        body.push_str("<p>没有数据库，无法统计。</p>");
        return page(admin, "统计", "/stats", &body);
    };
    let stats = store.stats(from, to).unwrap_or_default();
    let total: i64 = stats.rows.iter().map(|r| r.3).sum();
    let mut per_day: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    let mut d = from;
    while d <= to {
        per_day.insert(d, 0);
        d = d.succ_opt().unwrap_or(to + chrono::Duration::days(1));
    }
    let mut per_column: BTreeMap<String, i64> = BTreeMap::new();
    let mut per_item: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (day, column, item, n) in &stats.rows {
        if let Ok(day) = NaiveDate::parse_from_str(day, "%Y-%m-%d") {
            *per_day.entry(day).or_default() += n;
        }
        let column = if column.is_empty() { "首页".to_string() } else { column.clone() };
        *per_column.entry(column.clone()).or_default() += n;
        if !item.is_empty() {
            *per_item.entry((column, item.clone())).or_default() += n;
        }
    }
    let days = per_day.len().max(1) as i64;
    let boxes_total: i64 = stats.boxes.values().sum();
    let _ = write!(
        body,
        "<div class=\"cards\"><div class=\"card\"><div class=\"k\">浏览次数</div><div class=\"v\">{total}</div><div class=\"s\">{from} 至 {to}</div></div>\
         <div class=\"card\"><div class=\"k\">日均浏览</div><div class=\"v\">{}</div><div class=\"s\">共 {days} 天</div></div>\
         <div class=\"card\"><div class=\"k\">日均机顶盒</div><div class=\"v\">{}</div><div class=\"s\">每天不重复的机顶盒数的平均</div></div></div>",
        average(total, days),
        average(boxes_total, days)
    );
    body.push_str("<h2>每日浏览</h2>");
    body.push_str(&chart(&per_day, &stats.boxes));
    body.push_str("<h2>各栏目</h2>");
    body.push_str(&share_table(per_column.into_iter().map(|(c, n)| (c, String::new(), n)).collect(), total, false));
    body.push_str("<h2>各子栏目</h2>");
    body.push_str(&share_table(per_item.into_iter().map(|((c, i), n)| (c, i, n)).collect(), total, true));
    page(admin, "统计", "/stats", &body)
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
fn share_table(mut rows: Vec<(String, String, i64)>, total: i64, items: bool) -> String {
    if rows.is_empty() {
        return "<p>这段时间还没有浏览记录。</p>".into();
    }
    rows.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    let mut out = String::from("<table><tr><th>栏目</th>");
    if items {
        out.push_str("<th>子栏目</th>");
    }
    out.push_str("<th class=\"n\">浏览</th><th style=\"width:40%\">占比</th></tr>");
    for (column, item, n) in rows {
        let share = if total > 0 { n as f64 * 100.0 / total as f64 } else { 0.0 };
        let _ = write!(out, "<tr><td>{}</td>", esc(&column));
        if items {
            let _ = write!(out, "<td>{}</td>", esc(&item));
        }
        let _ = write!(
            out,
            "<td class=\"n\">{n}</td><td><div class=\"share\"><div class=\"bar\"><i style=\"width:{share:.1}%\"></i></div><span class=\"hint\">{share:.1}%</span></div></td></tr>"
        );
    }
    out.push_str("</table>");
    out
}

/// Views per day as bars, unique boxes as a line, in inline SVG.
fn chart(per_day: &BTreeMap<NaiveDate, i64>, boxes: &BTreeMap<String, i64>) -> String {
    let (w, h, left, bottom, top) = (1200.0, 240.0, 44.0, 28.0, 12.0);
    let n = per_day.len().max(1) as f64;
    let max = per_day.values().copied().chain(boxes.values().copied()).max().unwrap_or(0).max(1) as f64;
    let step = (w - left - 8.0) / n;
    let y = |v: f64| top + (h - top - bottom) * (1.0 - v / max);
    let mut svg = format!(
        "<svg viewBox=\"0 0 {w} {h}\" width=\"100%\" style=\"background:#fff;border-radius:10px\" role=\"img\" aria-label=\"每日浏览\">"
    );
    for k in 0..=4 {
        let v = max * k as f64 / 4.0;
        let _ = write!(
            svg,
            "<line x1=\"{left}\" x2=\"{x2}\" y1=\"{yv:.1}\" y2=\"{yv:.1}\" stroke=\"#e6eaef\"/><text x=\"{tx}\" y=\"{ty:.1}\" text-anchor=\"end\">{label}</text>",
            x2 = w - 8.0,
            yv = y(v),
            tx = left - 6.0,
            ty = y(v) + 4.0,
            label = v.round()
        );
    }
    let mut line = Vec::new();
    for (i, (day, views)) in per_day.iter().enumerate() {
        let x = left + step * i as f64;
        let _ = write!(
            svg,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#2f6fb0\"><title>{day}：浏览 {views}</title></rect>",
            x + step * 0.15,
            y(*views as f64),
            step * 0.7,
            (h - bottom) - y(*views as f64)
        );
        let b = boxes.get(&day.to_string()).copied().unwrap_or(0);
        line.push(format!("{:.1},{:.1}", x + step / 2.0, y(b as f64)));
        let every = (per_day.len() / 10).max(1);
        if i % every == 0 {
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                x + step / 2.0,
                h - 10.0,
                day.format("%m-%d")
            );
        }
    }
    let _ =
        write!(svg, "<polyline points=\"{}\" fill=\"none\" stroke=\"#f0a020\" stroke-width=\"2.5\"/>", line.join(" "));
    svg.push_str("</svg><p class=\"hint\"><span style=\"color:#2f6fb0\">■</span> 浏览次数　<span style=\"color:#f0a020\">━</span> 机顶盒数（每天不重复）</p>");
    svg
}
