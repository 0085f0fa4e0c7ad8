//! `/audit`, `/api/v1/audit`, `/audit.csv`, for auditors: the audit log,
//! filtered by time, account and action, with the chain's state. Reading
//! it is itself recorded.

use std::sync::Arc;

use chrono::TimeZone;
use hyper::header::{HeaderValue, CONTENT_DISPOSITION};
use hyper::StatusCode;
use maud::html;

use super::access::Caller;
use super::{boxed, day_param, html as page_html, json, pages, param, text, Admin, Resp};
use crate::audit::{self, Action, Filter, Verdict};
use crate::clock::stamp;

/// The filter in `query`: `from`, `to` (days of the channel's calendar,
/// inclusive), `account`, `action`, `limit`.
fn filter(admin: &Admin, query: &str, default_limit: usize) -> Result<Filter, String> {
    let zone = pages::zone(admin);
    let day = |name: &str, end: bool| -> Result<Option<String>, String> {
        let Some(d) = day_param(query, name)? else { return Ok(None) };
        let t = if end { d.and_hms_milli_opt(23, 59, 59, 999) } else { d.and_hms_opt(0, 0, 0) };
        let local = t.and_then(|t| zone.from_local_datetime(&t).single()).ok_or_else(|| format!("{name}={d}\n"))?;
        Ok(Some(stamp(local.with_timezone(&chrono::Utc))))
    };
    let nonempty = |name: &str| Some(param(query, name)).filter(|v| !v.is_empty());
    let limit = param(query, "limit").parse().unwrap_or(default_limit).clamp(1, 100_000);
    Ok(Filter {
        from: day("from", false)?,
        to: day("to", true)?,
        account: nonempty("account"),
        action: nonempty("action"),
        limit: Some(limit),
    })
}

fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    }
}

pub async fn page(admin: &Arc<Admin>, who: &Caller, query: &str) -> Resp {
    let f = match filter(admin, query, 500) {
        Ok(f) => f,
        Err(why) => return text(StatusCode::BAD_REQUEST, &why),
    };
    let Some(store) = admin.store.clone() else { return text(StatusCode::SERVICE_UNAVAILABLE, "no data folder\n") };
    let (rows, verdict) = {
        let (store, f) = (store.clone(), f.clone());
        tokio::task::spawn_blocking(move || (store.audit_rows(&f), store.audit_verify())).await.unwrap_or_else(|e| {
            let e = anyhow::anyhow!("{e}");
            (Err(anyhow::anyhow!("{e}")), Err(e))
        })
    };
    admin.record_by(who, Action::AuditRead, &with_query("/audit", query), "ok");
    let rows = rows.unwrap_or_default();
    let csv_link = format!("/audit.csv?{query}");
    let body = html! {
        h1 { "审计日志" }
        @match &verdict {
            Ok(Verdict::Intact { rows }) => div.notice.ok { "哈希链完整：共 " (rows) " 行，逐行校验无误。" },
            Ok(Verdict::Broken { id, why }) => div.notice.fault { "哈希链在第 " (id) " 行断开：" (why) },
            Err(e) => div.notice.fault { "无法校验：" (format!("{e:#}")) },
        }
        form.range method="get" action="/audit" {
            label { "从 " input type="date" name="from" value=(param(query, "from")); }
            label { "到 " input type="date" name="to" value=(param(query, "to")); }
            label { "账号 " input name="account" size="10" value=(param(query, "account")); }
            label { "操作 "
                select name="action" {
                    option value="" { "全部" }
                    @for a in Action::ALL {
                        option value=(a.name()) selected[param(query, "action") == a.name()] { (a.zh()) }
                    }
                }
            }
            button { "筛选" }
            a.btn href=(csv_link) { "导出 CSV" }
        }
        p.hint { "最新的在前，最多显示 500 行；导出不限。记录只增不改，保存不少于 180 天。" }
        table {
            tr { th.n { "序号" } th { "时间" } th { "账号" } th { "角色" } th { "地址" } th { "操作" } th { "对象" } th { "结果" } }
            @for r in &rows {
                tr {
                    td.n { (r.id) }
                    td { (pages::local_full(admin, &r.at)) }
                    td { (r.account) }
                    td { (r.role) }
                    td { (r.address) }
                    td { (Action::of_name(&r.action).map_or(r.action.as_str(), |a| a.zh())) span.en { " " (r.action) } }
                    td { (r.target) }
                    td class=[(!r.result.starts_with("ok")).then_some("error")] { (r.result) }
                }
            }
        }
    };
    page_html(StatusCode::OK, pages::page(admin, who, "审计日志", "/audit", body))
}

pub fn api(admin: &Admin, who: &Caller, query: &str) -> Resp {
    let f = match filter(admin, query, 1000) {
        Ok(f) => f,
        Err(why) => return text(StatusCode::BAD_REQUEST, &why),
    };
    let Some(store) = &admin.store else { return text(StatusCode::SERVICE_UNAVAILABLE, "no data folder\n") };
    match store.audit_rows(&f) {
        Ok(rows) => {
            admin.record_by(who, Action::AuditRead, &with_query("/api/v1/audit", query), "ok");
            json(serde_json::json!(rows))
        }
        Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e:#}\n")),
    }
}

pub fn csv(admin: &Admin, who: &Caller, query: &str) -> Resp {
    let f = match filter(admin, query, 100_000) {
        Ok(f) => f,
        Err(why) => return text(StatusCode::BAD_REQUEST, &why),
    };
    let Some(store) = &admin.store else { return text(StatusCode::SERVICE_UNAVAILABLE, "no data folder\n") };
    let rows = match store.audit_rows(&f) {
        Ok(rows) => rows,
        Err(e) => return text(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e:#}\n")),
    };
    admin.record_by(who, Action::Export, &with_query("audit.csv", query), "ok");
    let mut r =
        boxed(crate::net::bytes(StatusCode::OK, "text/csv; charset=utf-8", audit::csv(&rows).into(), "no-store"));
    let name = format!("attachment; filename=\"infotv-audit-{}.csv\"", chrono::Utc::now().format("%Y%m%d-%H%M%S"));
    if let Ok(v) = HeaderValue::from_str(&name) {
        r.headers_mut().insert(CONTENT_DISPOSITION, v);
    }
    r
}
