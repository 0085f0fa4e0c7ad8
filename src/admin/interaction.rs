//! `/polls`, `/requests`, their CSV and JSON: what households answered.
//! Polls and ratings are named by the generation on air (what the boxes
//! were asked), counted from the store as of now. Callback numbers are
//! personal data: shown in full to operators only, masked for reviewers,
//! and every full view and every export is recorded.

use std::sync::Arc;

use hyper::header::{HeaderValue, CONTENT_DISPOSITION};
use hyper::StatusCode;
use maud::html;
use serde::Serialize;

use super::access::Caller;
use super::{boxed, html as page_html, json, pages, redirect, text, Admin, Resp};
use crate::accounts::Role;
use crate::answers::{RatingRow, RequestRow};
use crate::audit::{cell, Action};
use crate::layout::interact::{Ask, PollSpec, LEVELS};

/// One poll with its counts, as `/api/v1/polls` gives it.
#[derive(Debug, Clone, Serialize)]
pub struct PollOut {
    pub id: String,
    pub title: String,
    pub closes: Option<String>,
    pub boxes: u64,
    pub questions: Vec<QuestionOut>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuestionOut {
    pub text: String,
    pub choices: Vec<ChoiceOut>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChoiceOut {
    pub text: String,
    pub count: u64,
}

/// The polls and rated sub-items on air: (polls, (item key, title)).
fn on_air(admin: &Admin) -> (Vec<PollSpec>, Vec<(String, String)>) {
    let Some(g) = admin.station.on_air.current() else { return (Vec::new(), Vec::new()) };
    let Some(profile) = g.profiles.get(&g.default_profile).or_else(|| g.profiles.values().next()) else {
        return (Vec::new(), Vec::new());
    };
    let mut polls: Vec<PollSpec> = Vec::new();
    let mut rated: Vec<(String, String)> = Vec::new();
    for screen in profile.screens.values() {
        match screen.graph.ask.as_deref() {
            Some(Ask::Question { send: Some(spec), .. }) => polls.push(spec.clone()),
            Some(Ask::Rating { item, title, .. }) => rated.push((item.clone(), title.clone())),
            _ => {}
        }
    }
    polls.sort_by(|a, b| a.key.cmp(&b.key));
    polls.dedup_by(|a, b| a.key == b.key);
    rated.sort();
    rated.dedup();
    (polls, rated)
}

/// What a page reads: the polls, the ratings, or both.
#[derive(Clone, Copy, PartialEq)]
enum Read {
    Polls,
    Ratings,
    Both,
}

/// The polls on air with their counts, and the ratings by title, as far as
/// `read` asks (the JSON of one does not count the other).
async fn gather(admin: &Arc<Admin>, read: Read) -> Result<(Vec<PollOut>, Vec<(String, RatingRow)>), Resp> {
    let Some(store) = admin.store.clone() else {
        return Err(text(StatusCode::SERVICE_UNAVAILABLE, "no data folder\n"));
    };
    let (mut polls, mut rated) = on_air(admin);
    if read == Read::Ratings {
        polls.clear();
    }
    if read == Read::Polls {
        rated.clear();
    }
    let counted = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let mut out = Vec::with_capacity(polls.len());
        for p in polls {
            let sizes: Vec<usize> = p.questions.iter().map(|q| q.choices.len()).collect();
            let (counts, boxes) = store.poll_counts(&p.key, &sizes)?;
            out.push(PollOut {
                id: p.key.clone(),
                title: p.title.clone(),
                closes: p.closes.map(|c| c.to_rfc3339()),
                boxes,
                questions: p
                    .questions
                    .iter()
                    .zip(counts)
                    .map(|(q, c)| QuestionOut {
                        text: q.text.clone(),
                        choices: q
                            .choices
                            .iter()
                            .zip(c)
                            .map(|(t, n)| ChoiceOut { text: t.clone(), count: n })
                            .collect(),
                    })
                    .collect(),
            });
        }
        let ratings = if rated.is_empty() { Vec::new() } else { store.ratings()? };
        let ratings = rated
            .into_iter()
            .map(|(key, title)| {
                let row = ratings.iter().find(|r| r.item == key).cloned();
                (title, row.unwrap_or(RatingRow { item: key, levels: [0; 5] }))
            })
            .collect();
        Ok((out, ratings))
    })
    .await;
    match counted {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(text(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e:#}\n"))),
        Err(e) => Err(text(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e}\n"))),
    }
}

fn share(n: u64, total: u64) -> u64 {
    (n * 100 + total / 2).checked_div(total).unwrap_or(0)
}

pub(crate) async fn polls_page(admin: &Arc<Admin>, who: &Caller) -> Resp {
    let (polls, ratings) = match gather(admin, Read::Both).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let body = html! {
        h1 { "投票与评价" }
        p.hint { "票数为此刻的实数；电视上的结果画面在有新回答时每 30 秒左右重画一次。每台机顶盒每个问卷只算一份，改答覆盖旧答。"
            " " a href="/polls" { "刷新" } " · " a.btn href="/polls.csv" { "导出 CSV" } }
        @if polls.is_empty() { p { "频道里没有问卷。在子栏目中放一个 *.poll.toml 文件即可发起。" } }
        @for p in &polls {
            section.poll {
                h2 { (p.title) }
                p.hint {
                    (p.boxes) " 户参与"
                    @if let Some(c) = &p.closes { " · 截止 " (pages::local_full(admin, c)) }
                    " · " span.en { (p.id) }
                }
                @for (i, q) in p.questions.iter().enumerate() {
                    @let total: u64 = q.choices.iter().map(|c| c.count).sum();
                    h3 { (i + 1) ". " (q.text) }
                    table.chart {
                        @for c in &q.choices {
                            tr {
                                td { (c.text) }
                                td.barcell { div.bar style=(format!("width:{}%", share(c.count, total))) {} }
                                td.n { (c.count) }
                                td.n { (share(c.count, total)) "%" }
                            }
                        }
                    }
                }
            }
        }
        h2 { "服务评价" }
        @if ratings.is_empty() { p { "没有开放评价的子栏目（item.toml 写 rating = true）。" } }
        @else {
            table {
                tr { th { "事项" } th.n { "评价数" } th.n { "平均（5 为非常满意）" }
                    @for l in LEVELS { th.n { (l) } } }
                @for (title, r) in &ratings {
                    tr {
                        td { (title) }
                        td.n { (r.levels.iter().sum::<u64>()) }
                        td.n { (r.average().map_or("—".to_string(), |a| format!("{a:.2}"))) }
                        // LEVELS lists 非常满意 (level 5) first.
                        @for l in (0..5).rev() { td.n { (r.levels[l]) } }
                    }
                }
            }
        }
    };
    page_html(StatusCode::OK, pages::page(admin, who, "投票与评价", "/polls", body))
}

/// `/api/v1/polls`: DESIGN.md's list of polls with their counts.
pub(crate) async fn polls_api(admin: &Arc<Admin>) -> Resp {
    match gather(admin, Read::Polls).await {
        Ok((polls, _)) => json(serde_json::json!(polls)),
        Err(r) => r,
    }
}

/// `/api/v1/ratings`: each rated sub-item's levels (1 非常不满意 … 5 非常满意)
/// and average.
pub(crate) async fn ratings_api(admin: &Arc<Admin>) -> Resp {
    match gather(admin, Read::Ratings).await {
        Ok((_, ratings)) => {
            let out: Vec<_> = ratings
                .iter()
                .map(|(title, r)| {
                    serde_json::json!({ "id": r.item, "title": title, "levels": r.levels, "average": r.average() })
                })
                .collect();
            json(serde_json::json!(out))
        }
        Err(r) => r,
    }
}

/// A CSV for Excel: UTF-8 with a BOM, CRLF, cells Excel will not run.
fn csv_file(name: &str, header: &[&str], rows: Vec<Vec<String>>) -> Resp {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(&mut out);
        let _ = w.write_record(header);
        for row in rows {
            let _ = w.write_record(row.iter().map(|c| cell(c)));
        }
        let _ = w.flush();
    }
    let mut r = boxed(crate::net::bytes(StatusCode::OK, "text/csv; charset=utf-8", out.into(), "no-store"));
    let disposition =
        format!("attachment; filename=\"infotv-{name}-{}.csv\"", chrono::Utc::now().format("%Y%m%d-%H%M%S"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        r.headers_mut().insert(CONTENT_DISPOSITION, v);
    }
    r
}

pub(crate) async fn polls_csv(admin: &Arc<Admin>, who: &Caller) -> Resp {
    let (polls, ratings) = match gather(admin, Read::Both).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut rows = Vec::new();
    for p in &polls {
        for (i, q) in p.questions.iter().enumerate() {
            let total: u64 = q.choices.iter().map(|c| c.count).sum();
            for c in &q.choices {
                rows.push(vec![
                    "投票".into(),
                    p.title.clone(),
                    format!("{}. {}", i + 1, q.text),
                    c.text.clone(),
                    c.count.to_string(),
                    format!("{}%", share(c.count, total)),
                    p.boxes.to_string(),
                ]);
            }
        }
    }
    for (title, r) in &ratings {
        let total: u64 = r.levels.iter().sum();
        for (l, name) in LEVELS.iter().enumerate() {
            let n = r.levels[4 - l];
            rows.push(vec![
                "评价".into(),
                title.clone(),
                String::new(),
                name.to_string(),
                n.to_string(),
                format!("{}%", share(n, total)),
                total.to_string(),
            ]);
        }
    }
    admin.record_by(who, Action::Export, "polls.csv", "ok");
    csv_file("polls", &["类型", "名称", "题目", "选项", "票数", "占比", "参与户数"], rows)
}

/// A callback number for someone who may not see it whole: the first
/// three and last four digits.
pub fn masked(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().collect();
    if digits.len() <= 7 {
        return "*".repeat(digits.len());
    }
    digits.iter().enumerate().map(|(i, c)| if i < 3 || i + 4 >= digits.len() || *c == '-' { *c } else { '*' }).collect()
}

/// Requests as `who` may see them: numbers whole for operators only.
async fn requests_for(admin: &Arc<Admin>, who: &Caller) -> Result<Vec<RequestRow>, Resp> {
    let Some(store) = admin.store.clone() else {
        return Err(text(StatusCode::SERVICE_UNAVAILABLE, "no data folder\n"));
    };
    let rows = match tokio::task::spawn_blocking(move || store.requests(2000)).await {
        Ok(Ok(rows)) => rows,
        Ok(Err(e)) => return Err(text(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e:#}\n"))),
        Err(e) => return Err(text(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e}\n"))),
    };
    let whole = who.role == Role::Operator;
    Ok(rows
        .into_iter()
        .map(|mut r| {
            if !whole {
                r.phone = r.phone.as_deref().map(masked);
            }
            r
        })
        .collect())
}

/// The sub-item titles of request desks on air, by key.
fn desk_titles(admin: &Admin) -> std::collections::HashMap<String, String> {
    let mut out = std::collections::HashMap::new();
    if let Some(g) = admin.station.on_air.current() {
        for p in g.profiles.values() {
            for s in p.screens.values() {
                if let Some(Ask::Phone { item, title, .. }) = s.graph.ask.as_deref() {
                    out.insert(item.clone(), title.clone());
                }
            }
        }
    }
    out
}

fn state_zh(state: &str) -> &str {
    match state {
        "new" => "待处理",
        "handled" => "已处理",
        other => other,
    }
}

pub(crate) async fn requests_page(admin: &Arc<Admin>, who: &Caller) -> Resp {
    let rows = match requests_for(admin, who).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    if who.role == Role::Operator {
        admin.record_by(who, Action::RequestsRead, "/requests", "ok");
    }
    let titles = desk_titles(admin);
    let retain = admin.station.on_air.current().map_or(180, |g| g.interaction.retain_days);
    let open = rows.iter().filter(|r| r.state == "new").count();
    let body = html! {
        h1 { "群众诉求" }
        p.hint {
            (rows.len()) " 件，其中待处理 " (open) " 件。受理编号即机顶盒屏幕上显示的编号。诉求及回电号码保存 "
            (retain) " 天后删除；号码完整显示仅限运维人员，每次查看都记入审计日志。 "
            a.btn href="/requests.csv" { "导出 CSV" }
        }
        table {
            tr { th { "受理编号" } th { "时间" } th { "事项" } th { "类别" } th { "回电号码" } th { "状态" }
                @if who.role == Role::Operator { th {} } }
            @for r in &rows {
                tr {
                    td { (r.reference) }
                    td { (pages::local_full(admin, &r.time)) }
                    td { (titles.get(&r.item).map_or(r.item.as_str(), String::as_str)) }
                    td { (r.category) }
                    td { (r.phone.as_deref().unwrap_or("（已删除）")) }
                    td { (state_zh(&r.state)) }
                    @if who.role == Role::Operator {
                        td { @if r.state == "new" {
                            form method="post" action=(format!("/requests/{}/handled", r.reference)) {
                                button { "标记已处理" }
                            }
                        } }
                    }
                }
            }
        }
    };
    page_html(StatusCode::OK, pages::page(admin, who, "群众诉求", "/requests", body))
}

pub(crate) async fn requests_api(admin: &Arc<Admin>, who: &Caller) -> Resp {
    match requests_for(admin, who).await {
        Ok(rows) => {
            if who.role == Role::Operator {
                admin.record_by(who, Action::RequestsRead, "/api/v1/requests", "ok");
            }
            let titles = desk_titles(admin);
            let out: Vec<_> = rows
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "reference": r.reference,
                        "time": r.time,
                        "item": titles.get(&r.item).unwrap_or(&r.item),
                        "category": r.category,
                        "phone": r.phone,
                        "state": r.state,
                    })
                })
                .collect();
            json(serde_json::json!(out))
        }
        Err(r) => r,
    }
}

pub(crate) async fn requests_csv(admin: &Arc<Admin>, who: &Caller) -> Resp {
    let rows = match requests_for(admin, who).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let titles = desk_titles(admin);
    let out = rows
        .iter()
        .map(|r| {
            vec![
                r.reference.clone(),
                pages::local_full(admin, &r.time),
                titles.get(&r.item).cloned().unwrap_or_else(|| r.item.clone()),
                r.category.clone(),
                r.phone.clone().unwrap_or_default(),
                state_zh(&r.state).to_string(),
            ]
        })
        .collect();
    admin.record_by(who, Action::Export, "requests.csv", "ok");
    csv_file("requests", &["受理编号", "时间", "事项", "类别", "回电号码", "状态"], out)
}

pub async fn handled(admin: &Arc<Admin>, who: &Caller, reference: &str) -> Resp {
    let Some(store) = admin.store.clone() else { return text(StatusCode::SERVICE_UNAVAILABLE, "no data folder\n") };
    let r = reference.to_string();
    let done = tokio::task::spawn_blocking(move || store.handle_request(&r)).await;
    match done {
        Ok(Ok(true)) => {
            admin.record_by(who, Action::RequestHandled, reference, "ok");
            redirect("/requests")
        }
        Ok(Ok(false)) => {
            admin.record_by(who, Action::RequestHandled, reference, "refused: no such request");
            text(StatusCode::NOT_FOUND, "没有这个受理编号 (no such request)\n")
        }
        Ok(Err(e)) => text(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e:#}\n")),
        Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e}\n")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_masked_but_for_their_ends() {
        assert_eq!(masked("13881812345"), "138****2345");
        assert_eq!(masked("0818-8621234"), "081*-***1234");
        assert_eq!(masked("123"), "***");
    }
}
