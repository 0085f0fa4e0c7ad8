//! `POST /api/v1/answer`: a household's answer, checked against the screen
//! it was given on, braked per box and address, and committed before the
//! box is told where to go next.
//!
//! Every refusal is a status and a Chinese message, with the reason the
//! shell shows a notice for; nothing is stored for any of them.

use bytes::Bytes;
use chrono::{DateTime, FixedOffset};
use hyper::StatusCode;

use crate::answers::{self, Answer, Filed, Held, Unknown, Written};
use crate::layout::interact::Ask;
use crate::metrics::Metrics;
use crate::net::{bytes, Resp};

use super::Channel;

/// Longest answer body: a ten-question poll with a long box id is far less.
pub const MAX_BODY: usize = 2048;

/// How long an answer's body may take to arrive, whole.
pub const BODY_TIME: std::time::Duration = std::time::Duration::from_secs(10);

/// A refusal: `status`, the Chinese message, the shell's notice.
pub fn refusal(status: StatusCode, message: &str, notice: &str) -> Resp {
    let body = serde_json::json!({ "error": message, "notice": notice });
    bytes(status, "application/json; charset=utf-8", Bytes::from(body.to_string()), "no-store")
}

fn bad(message: &str) -> Resp {
    refusal(StatusCode::BAD_REQUEST, message, "bad")
}

/// A refusal before it is a response: status, message, notice.
type Refused = (StatusCode, String, &'static str);

fn bad_form(message: String) -> Refused {
    (StatusCode::BAD_REQUEST, message, "bad")
}

/// Takes one answer from `address`.
pub async fn take(channel: &Channel, metrics: &Metrics, address: &str, body: &[u8]) -> Resp {
    let Some(desk) = &channel.answers else {
        return refusal(StatusCode::SERVICE_UNAVAILABLE, "本频道暂不收集回答", "busy");
    };
    let Some(g) = channel.on_air.current() else {
        return refusal(StatusCode::SERVICE_UNAVAILABLE, "频道正在启动，请稍后再试", "busy");
    };
    let form: std::collections::HashMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
    let field = |k: &str| form.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let (Some(profile), Some(screen)) = (field("profile"), field("screen")) else {
        return bad("缺少 profile 或 screen");
    };
    let Some(out) = g.profiles.get(profile).and_then(|p| p.screens.get(screen)) else {
        return bad("没有这个画面，请返回后重试");
    };
    let Some(ask) = &out.graph.ask else { return bad("这个画面不收集回答") };
    let plain = |b: &&str| b.len() <= 128 && b.bytes().all(|c| c.is_ascii_graphic());
    let (sent_box, serial) = (field("box"), field("serial"));
    if sent_box.is_some_and(|b| !plain(&b)) || serial.is_some_and(|s| !plain(&s)) {
        return bad("机顶盒标识有误");
    }
    let now: DateTime<FixedOffset> = channel.clock.now().with_timezone(
        &FixedOffset::east_opt(g.utc_offset_minutes * 60).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC")),
    );
    let (answer, next) = match checked(ask, &form, now) {
        Ok(a) => a,
        Err((status, message, notice)) => return refusal(status, &message, notice),
    };
    let registry = g.interaction.registry.as_deref();
    let who = match desk.identify(sent_box, serial, registry, &g.interaction, address, now.timestamp()) {
        Ok(who) => who,
        Err(Unknown::Forged) => {
            tracing::info!(address, "an answer with a box id this server never issued");
            return refusal(StatusCode::FORBIDDEN, "机顶盒标识无效，请返回后重试", "box");
        }
        Err(Unknown::TooManyNew) => {
            tracing::info!(address, "new box ids held by the brakes");
            return refusal(StatusCode::TOO_MANY_REQUESTS, "提交太频繁，请稍后再试", "often");
        }
    };
    let box_key = desk.box_key(&who.identity);
    let resp = match desk.pass(&g.interaction, &box_key, address, now.timestamp()) {
        Ok(()) => write(desk, metrics, answer, box_key, now, profile, next).await,
        Err(held) => {
            tracing::info!(?held, address, "answer held by the brakes");
            let what = if held == Held::Box {
                "这台机顶盒提交太频繁，请稍后再试"
            } else {
                "提交太频繁，请稍后再试"
            };
            (StatusCode::TOO_MANY_REQUESTS, serde_json::json!({ "error": what, "notice": "often" }))
        }
    };
    // A new id goes back with whatever the answer came to: the box keeps it.
    let (status, mut body) = resp;
    if let Some(id) = &who.issued {
        body["box"] = serde_json::json!(id);
    }
    bytes(status, "application/json; charset=utf-8", Bytes::from(body.to_string()), "no-store")
}

/// Writes a checked answer; the status and JSON body to answer with.
async fn write(
    desk: &answers::Intake,
    metrics: &Metrics,
    answer: Answer,
    box_key: String,
    now: DateTime<FixedOffset>,
    profile: &str,
    next: crate::layout::Target,
) -> (StatusCode, serde_json::Value) {
    let kind = answer.kind();
    match desk.write(answer, box_key, now).await {
        Ok(Written::Filed(Filed::Limit)) => (
            StatusCode::TOO_MANY_REQUESTS,
            serde_json::json!({
                "error": format!("每台机顶盒每天最多提交 {} 次诉求，请明天再来", answers::REQUESTS_A_DAY),
                "notice": "limit",
            }),
        ),
        Ok(written) => {
            metrics.answer_taken(kind);
            let mut next = format!("/tv/{profile}/{}.html?f={}", next.screen, next.focus);
            let mut body = serde_json::json!({ "next": "" });
            if let Written::Filed(Filed::Reference(r)) = &written {
                next.push_str(&format!("&r={r}"));
                body["reference"] = serde_json::json!(r);
            }
            body["next"] = serde_json::json!(next);
            (StatusCode::OK, body)
        }
        Err(e) => {
            tracing::error!("an answer could not be stored: {e}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({ "error": "暂时无法保存，请稍后再试", "notice": "busy" }),
            )
        }
    }
}

/// The answer the form gives for `ask`, and where the box goes once it is
/// taken; or the refusal.
fn checked(
    ask: &Ask,
    form: &std::collections::HashMap<String, String>,
    now: DateTime<FixedOffset>,
) -> Result<(Answer, crate::layout::Target), Refused> {
    let number = |k: &str| form.get(k).and_then(|v| v.trim().parse::<u32>().ok());
    match ask {
        Ask::Question { send: Some(spec), .. } => {
            if spec.closes.is_some_and(|c| now >= c) {
                return Err((StatusCode::CONFLICT, "本次征集已截止，不再收集意见".into(), "closed"));
            }
            let mut choices = Vec::with_capacity(spec.questions.len());
            for (i, q) in spec.questions.iter().enumerate() {
                match number(&format!("q{}", i + 1)) {
                    Some(c) if (1..=q.choices.len() as u32).contains(&c) => choices.push(c as u8),
                    Some(_) => {
                        return Err(bad_form(format!("第 {} 题的选择无效，应为 1 到 {}", i + 1, q.choices.len())))
                    }
                    None => return Err(bad_form(format!("缺少第 {} 题的回答", i + 1))),
                }
            }
            Ok((Answer::Poll { poll: spec.key.clone(), choices }, spec.next.clone()))
        }
        Ask::Rating { item, next, .. } => match number("rating") {
            Some(level @ 1..=5) => Ok((Answer::Rating { item: item.clone(), level: level as u8 }, next.clone())),
            _ => Err(bad_form("评价应为 1 到 5".into())),
        },
        Ask::Phone { item, category, number: n, next, .. } => {
            if number("category") != Some(*n as u32) {
                return Err(bad_form("诉求类别无效，请返回后重选".into()));
            }
            let Some(phone) = form.get("phone").and_then(|p| answers::phone(p)) else {
                return Err((StatusCode::BAD_REQUEST, "号码有误，请输入手机号或带区号的座机号".into(), "phone"));
            };
            Ok((Answer::Request { item: item.clone(), category: category.clone(), phone }, next.clone()))
        }
        Ask::Question { send: None, .. } | Ask::Reference { .. } => Err(bad_form("这个画面不收集回答".into())),
    }
}
