//! `/review` and `/api/v1/review`: each version waiting for a reviewer, as
//! the TV will show it once approved (every changed screen of both
//! profiles), beside what is on air now; approve, or reject with a reason.
//! A preview is the air tree with that one version put in, rendered by a
//! renderer of its own, so previews never touch what is on air.

use std::collections::HashMap;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Request, StatusCode};
use maud::{html, Markup};
use serde_json::json;

use super::access::Caller;
use super::{form, html as page_html, json as json_resp, pages, redirect, text, Admin, Resp};
use crate::accounts::Role;
use crate::audit::Action;
use crate::problem::Problem;
use crate::publish::graph::Graph;
use crate::publish::Generation;
use crate::renderlog::Trigger;
use crate::review::{State, Version};
use crate::sync::Locked;

/// A rendered preview: the on-air generation it was made against, and the
/// candidate.
pub type Cached = (String, Arc<Generation>, Vec<Problem>);

/// One screen that changes: its id, title, and the picture now and after.
pub struct Change {
    pub id: String,
    pub title: String,
    pub now: Option<String>,
    pub then: Option<String>,
}

/// A waiting version with what it changes on screen.
pub struct Preview {
    pub version: Version,
    /// Profile → changed screens.
    pub changes: Vec<(String, (u32, u32), Vec<Change>)>,
    pub problems: Vec<Problem>,
}

/// The waiting versions and their previews (rendered when not cached).
async fn previews(admin: &Arc<Admin>) -> Result<Vec<Preview>, String> {
    let admin = admin.clone();
    tokio::task::spawn_blocking(move || build(&admin)).await.map_err(|e| e.to_string())?
}

fn build(admin: &Admin) -> Result<Vec<Preview>, String> {
    let (renderer, previewer) = (&admin.driver, &admin.previewer);
    let Some(desk) = renderer.desk() else { return Ok(Vec::new()) };
    let waiting = desk.waiting(renderer.channels()).map_err(|e| format!("{e:#}"))?;
    let on_air = admin.station.on_air.current();
    let air_id = on_air.as_ref().map(|g| g.id.clone()).unwrap_or_default();
    let mut out = Vec::new();
    let mut keep = HashMap::new();
    for v in waiting {
        let cached = admin.previews.locked().get(&v.version).filter(|c| c.0 == air_id).cloned();
        let (_, candidate, problems) = match cached {
            Some(c) => c,
            None => {
                let dir = desk.candidate(renderer.channels(), &v).map_err(|e| format!("{e:#}"))?;
                let (g, report) = previewer.render_root(&dir, Trigger::Named(format!("preview {}", v.path)));
                let _ = std::fs::remove_dir_all(&dir);
                let g = Arc::new(g.ok_or("the preview did not render")?);
                let mine: Vec<Problem> = report.problems.into_iter().filter(|p| p.path == v.path).collect();
                (air_id.clone(), g, mine)
            }
        };
        keep.insert(v.version.clone(), (air_id.clone(), candidate.clone(), problems.clone()));
        let changes = diff(on_air.as_deref(), &candidate);
        out.push(Preview { version: v, changes, problems });
    }
    *admin.previews.locked() = keep;
    Ok(out)
}

/// Screens of `after` whose picture or text differs from `before`, and
/// screens `before` had that `after` lacks, per profile.
fn diff(before: Option<&Generation>, after: &Generation) -> Vec<(String, (u32, u32), Vec<Change>)> {
    let mut out = Vec::new();
    for (name, p) in &after.profiles {
        let graph =
            |g: &Generation| -> Option<Graph> { serde_json::from_slice(&g.profiles.get(name)?.graph_json).ok() };
        let Some(new) = graph(after) else { continue };
        let old = before.and_then(graph);
        let old_p = before.and_then(|g| g.profiles.get(name));
        let image = |g: &Graph, id: &str| g.screens.get(id).and_then(|s| s.states.first()).map(|s| s.image.clone());
        let mut changes = Vec::new();
        for (id, s) in new.navigation_order() {
            let then = image(&new, id);
            let now = old.as_ref().and_then(|o| image(o, id));
            let text_same =
                old_p.and_then(|o| o.screens.get(id)).zip(p.screens.get(id)).is_some_and(|(a, b)| a.text == b.text);
            if now != then || !text_same {
                changes.push(Change { id: id.to_string(), title: s.title.clone(), now, then });
            }
        }
        if let Some(o) = &old {
            for (id, s) in &o.screens {
                if !new.screens.contains_key(id) {
                    changes.push(Change { id: id.clone(), title: s.title.clone(), now: image(o, id), then: None });
                }
            }
        }
        out.push((name.clone(), (p.profile.width, p.profile.height), changes));
    }
    out
}

pub async fn page(admin: &Arc<Admin>, who: &Caller) -> Resp {
    let previews = match previews(admin).await {
        Ok(p) => p,
        Err(e) => return text(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e}\n")),
    };
    let driver = &admin.driver;
    let required = driver.desk().is_some_and(|d| d.required(driver.channels()));
    let body = html! {
        h1 { "内容审核" }
        @if !required {
            div.notice { "未开启先审后发：文件放入频道文件夹即播出。在 site.toml 中加入 [review] required = true 即可开启。" }
        } @else if previews.is_empty() {
            div.notice.ok { "没有待审核的内容，播出的都是已审核的版本。" }
        } @else {
            p.hint { (previews.len()) " 项变更待审核。左边是现在播出的画面，右边是通过后将播出的画面；两种清晰度的每一页都列出。" }
        }
        @for p in &previews { (one(p, who)) }
    };
    page_html(StatusCode::OK, pages::page(admin, who, "内容审核", "/review", body))
}

fn one(p: &Preview, who: &Caller) -> Markup {
    let v = &p.version;
    html! {
        section.review id=(v.version) {
            h2 {
                (v.path) " "
                @match v.state {
                    State::Rejected => span.tag.no { "已退回" },
                    _ => span.tag.keep { "待审核" },
                }
                span.en { " " (if v.replaces { "替换正在播出的版本" } else { "新内容" }) " · 版本 " (v.version) }
            }
            @if let Some(r) = &v.reason { div.notice.fault { "退回理由（" (v.decided_by.clone().unwrap_or_default()) "）：" (r) } }
            @for problem in &p.problems { div.notice { (problem.to_string()) } }
            @for (profile, (w, h), changes) in &p.changes {
                @let scale = 320.0 / f64::from(*w);
                h3 { (profile) " · " (w) "x" (h) " · " (changes.len()) " 个画面有变化" }
                div.pairs {
                    @for c in changes {
                        div.pair {
                            div.t { (c.title) span.en { " " (c.id) } }
                            @for (label, src) in [("现在播出", &c.now), ("通过后", &c.then)] {
                                figure {
                                    div.tv style={ "width:320px;height:" (format!("{:.0}", f64::from(*h) * scale)) "px" } {
                                        @if let Some(src) = src {
                                            img src=(src) style={ "width:320px" } alt=(label);
                                        } @else {
                                            span.none { (if label == "现在播出" { "（尚未播出）" } else { "（将撤下）" }) }
                                        }
                                    }
                                    figcaption { (label) }
                                }
                            }
                        }
                    }
                }
            }
            @if who.role == Role::Reviewer {
                div.decide {
                    form method="post" action={ "/api/v1/review/" (v.version) "/approve" } { button.ok { "通过并播出" } }
                    form method="post" action={ "/api/v1/review/" (v.version) "/reject" } {
                        input name="reason" required placeholder="退回理由（内容人员会在问题列表中看到）" size="40";
                        button.no { "退回" }
                    }
                }
            }
        }
    }
}

pub async fn api(admin: &Arc<Admin>) -> Resp {
    let previews = match previews(admin).await {
        Ok(p) => p,
        Err(e) => return text(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e}\n")),
    };
    let rows: Vec<_> = previews
        .iter()
        .map(|p| {
            let screens: serde_json::Map<String, serde_json::Value> = p
                .changes
                .iter()
                .map(|(profile, _, changes)| {
                    (profile.clone(), json!(changes.iter().filter_map(|c| c.then.clone()).collect::<Vec<_>>()))
                })
                .collect();
            json!({
                "path": p.version.path,
                "version": p.version.version,
                "state": p.version.state,
                "reason": p.version.reason,
                "changed": p.version.changed,
                "screens": screens,
                "problems": p.problems,
            })
        })
        .collect();
    json_resp(json!(rows))
}

/// `POST /api/v1/review/{version}/approve|reject`: the decision, recorded
/// and audited; an approval goes on air before the answer.
pub async fn decide(admin: &Arc<Admin>, req: Request<Incoming>, who: &Caller, version: &str, approve: bool) -> Resp {
    let wants_page =
        req.headers().get(hyper::header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    let form = match form(req).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let reason = form.get("reason").trim().to_string();
    let action = if approve { Action::Approve } else { Action::Reject };
    if !approve && reason.is_empty() {
        admin.record_by(who, action, version, "refused: no reason");
        return text(StatusCode::BAD_REQUEST, "退回须写明理由 (a rejection needs a reason)\n");
    }
    let renderer = admin.driver.clone();
    let Some(desk) = renderer.desk().cloned() else { return text(StatusCode::SERVICE_UNAVAILABLE, "no data folder\n") };
    let now = admin.gate.clock.now();
    let reason_opt = (!approve).then_some(reason.clone());
    let by = who.account.clone();
    let channels = renderer.channels().to_path_buf();
    let v = version.to_string();
    let decided =
        tokio::task::spawn_blocking(move || desk.decide(&channels, &v, approve, reason_opt.as_deref(), &by, now)).await;
    let decided = match decided {
        Ok(Ok(Some(v))) => v,
        Ok(Ok(None)) => {
            admin.record_by(who, action, version, "refused: not waiting");
            return text(StatusCode::NOT_FOUND, "no such version waiting (changed or decided meanwhile)\n");
        }
        Ok(Err(e)) => return text(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e:#}\n")),
        Err(e) => return text(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e}\n")),
    };
    let target = format!("{} @{}", decided.path, decided.version);
    let result = if approve { "ok".to_string() } else { format!("ok: {reason}") };
    admin.record_by(who, action, &target, &result);
    // Put it on air (or the rejection's problem in the log) now.
    let station = admin.station.clone();
    let word = if approve { "审核通过" } else { "审核退回" };
    let trigger = Trigger::Named(format!("{word} {}", decided.path));
    let _ = tokio::task::spawn_blocking(move || crate::driver::rebuild(&renderer, &station, trigger)).await;
    if wants_page {
        return redirect("/review");
    }
    json_resp(
        json!({"path": decided.path, "version": decided.version, "state": decided.state, "reason": decided.reason}),
    )
}
