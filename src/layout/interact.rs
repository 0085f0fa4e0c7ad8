//! Screens households answer on, with the remote only: a poll's questions,
//! its results or a thank-you; a rating of a service; a request desk's
//! categories, callback number and reference.
//!
//! Everything is pre-rendered like every other screen. What a box chooses
//! is held by its shell (the `ask` of a screen says what to record and what
//! to send); what the shell must show that no render can know — the digits
//! of a number being typed, a reference — it places from the page-number
//! entry's digit pictures.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::config::Rgb;
use crate::content::poll::{Poll, PollCount, Results};
use crate::content::{Doc, Item};
use crate::fonts::Weight;

use super::frame::{line_box, page_label, Frame, Hints};
use super::text::{ellipsize, wrap_at_most};
use super::{page_id, screen_id, Focus, Key, Kind, Op, Rect, Screen, State, Target};

/// What a screen asks of the box, for its shell and for the server that
/// takes the answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Ask {
    /// Question `index` (0-based) of a poll with `choices` choices: states
    /// `choices..2*choices` are the chosen looks, and entering one records
    /// its choice. The last question also carries what is sent.
    Question {
        index: usize,
        choices: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        send: Option<PollSpec>,
    },
    /// A rating of the sub-item `item`: five levels, 非常满意 first.
    Rating { item: String, title: String, next: Target },
    /// A callback number for a request in `category`, typed into `slots`
    /// digit places starting at (x, y).
    /// (`number` is the category's, 1-based.)
    Phone { item: String, title: String, category: String, number: usize, x: i32, y: i32, slots: usize, next: Target },
    /// A request's reference, placed from the `r` of the address at (x, y).
    Reference { x: i32, y: i32 },
}

/// What the server needs to take a poll's answers and the operators to
/// show them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PollSpec {
    /// The poll file's stable key (`column/item/file`).
    pub key: String,
    pub title: String,
    pub closes: Option<DateTime<FixedOffset>>,
    pub questions: Vec<QuestionSpec>,
    /// Where a box goes once its answers are taken.
    pub next: Target,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionSpec {
    pub text: String,
    pub choices: Vec<String>,
}

/// The five levels of 好差评, as the rating screen lists them (digit 1 is
/// 非常满意, stored as level 5).
pub const LEVELS: [&str; 5] = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"];

/// Most digits a callback number has as typed (`0818` + 8 digits).
pub const PHONE_SLOTS: usize = 12;

/// What a choice screen's OK does.
enum Then {
    /// Each choice leads somewhere of its own (request categories).
    Each(Vec<Target>),
    /// A choice is confirmed on its chosen look, then OK goes on; `sends`
    /// when that OK sends the answers.
    Confirm { next: Target, sends: bool },
}

/// One screen of choices.
struct Choices<'a> {
    id: String,
    kind: Kind,
    title: String,
    crumbs: &'a [String],
    accent: Rgb,
    page: Option<String>,
    prompt: &'a str,
    choices: &'a [String],
    back: Target,
    then: Then,
    ask: Option<Ask>,
}

/// Seconds between re-renders of results while answers arrive, as the
/// results screens tell viewers.
pub const RESULTS_EVERY: u32 = 30;

/// Where a document's screens start: a closed poll opens on its results.
pub fn entry(doc: &Doc) -> Target {
    Target::new(screen_id("a", &doc.key), 0)
}

/// A poll's screens: its questions (`a-…`, `a-…-2`, …) while open, then its
/// results (`v-…`) or a thank-you (`t-…`); once closed, `a-…` is its final
/// results, or a closing notice when results are never shown.
pub(crate) fn poll_screens(
    frame: &Frame,
    doc: &Doc,
    poll: &Poll,
    crumbs: &[String],
    back: Target,
    accent: Rgb,
) -> Vec<Screen> {
    let first = screen_id("a", &doc.key);
    let mut crumbs = crumbs.to_vec();
    crumbs.push(poll.title.clone());
    let count = frame.site.tally.polls.get(&doc.key).cloned().unwrap_or_default();
    let open = poll.open_at(frame.cx.now);
    if !open {
        return match poll.results {
            Results::Never => vec![notice(frame, &first, &crumbs, accent, &poll.title, &closed_line(poll), "", &back)],
            _ => results(frame, &first, poll, &count, &crumbs, accent, &back, false),
        };
    }
    let after = match poll.results {
        Results::After => results(frame, &screen_id("v", &doc.key), poll, &count, &crumbs, accent, &back, true),
        Results::Closed => {
            let when = poll.closes.map(|c| format!("结果将在 {} 征集截止后公布", c.format("%Y年%-m月%-d日 %H:%M")));
            let when = when.unwrap_or_else(|| "结果将在征集截止后公布".to_string());
            vec![notice(frame, &screen_id("t", &doc.key), &crumbs, accent, "感谢您的参与！", &when, "", &back)]
        }
        Results::Never => {
            vec![notice(
                frame,
                &screen_id("t", &doc.key),
                &crumbs,
                accent,
                "感谢您的参与！",
                "您的意见已收到",
                "",
                &back,
            )]
        }
    };
    let next = Target::new(after[0].id.clone(), 0);
    let spec = PollSpec {
        key: doc.key.clone(),
        title: poll.title.clone(),
        closes: poll.closes,
        questions: poll
            .questions
            .iter()
            .map(|q| QuestionSpec { text: q.text.clone(), choices: q.choices.clone() })
            .collect(),
        next: next.clone(),
    };
    let n = poll.questions.len();
    let mut out = Vec::with_capacity(n + after.len());
    for (i, q) in poll.questions.iter().enumerate() {
        let last = i + 1 == n;
        let id = page_id(&first, i);
        let back_to = if i == 0 { back.clone() } else { Target::new(page_id(&first, i - 1), 0) };
        let then = Then::Confirm {
            next: if last { next.clone() } else { Target::new(page_id(&first, i + 1), 0) },
            sends: last,
        };
        out.push(choice_screen(
            frame,
            Choices {
                id,
                kind: Kind::Poll,
                title: poll.title.clone(),
                crumbs: &crumbs,
                accent,
                page: page_label(i + 1, n, "题").or_else(|| Some("共 1 题".to_string())),
                prompt: &q.text,
                choices: &q.choices,
                back: back_to,
                then,
                ask: Some(Ask::Question { index: i, choices: q.choices.len(), send: last.then(|| spec.clone()) }),
            },
        ));
    }
    out.extend(after);
    out
}

/// `已于 2027年1月31日 18:00 截止`.
fn closed_line(poll: &Poll) -> String {
    match poll.closes {
        Some(c) => format!("本次征集已于 {} 截止，感谢关注", c.format("%Y年%-m月%-d日 %H:%M")),
        None => "本次征集已结束，感谢关注".to_string(),
    }
}

/// The results: a page a question, a bar a choice with its count and share.
#[allow(clippy::too_many_arguments)]
fn results(
    frame: &Frame,
    base: &str,
    poll: &Poll,
    count: &PollCount,
    crumbs: &[String],
    accent: Rgb,
    back: &Target,
    open: bool,
) -> Vec<Screen> {
    let g = frame.geo;
    let t = frame.theme();
    let fonts = frame.cx.fonts;
    let n = poll.questions.len();
    let mut out = Vec::with_capacity(n);
    for (i, q) in poll.questions.iter().enumerate() {
        let hints: Hints = if n > 1 {
            vec![("←→", "上一题/下一题"), ("返回", "上一级")]
        } else {
            vec![("返回", "上一级")]
        };
        let mut ops = frame.chrome(crumbs, accent, &hints, page_label(i + 1, n, "题"));
        let (x0, w) = (g.body.x as f32, g.body.w as f32);
        let mut y = g.body.y as f32;
        let state = if open {
            format!("{} 户参与 · 每 {RESULTS_EVERY} 秒更新", count.boxes)
        } else {
            format!("最终结果 · {} 户参与", count.boxes)
        };
        ops.push(frame.text(x0, y, g.small, Weight::Regular, t.dim, &state));
        y += line_box(g.small);
        for line in wrap_at_most(fonts, &q.text, Weight::Bold, g.item, w, 2) {
            ops.push(frame.text(x0, y, g.item, Weight::Bold, t.text, &line_text(&line)));
            y += line_box(g.item);
        }
        y += g.gap as f32 / 2.0;
        let counts: Vec<u64> =
            (0..q.choices.len()).map(|c| count.counts.get(i).and_then(|v| v.get(c)).copied().unwrap_or(0)).collect();
        let total: u64 = counts.iter().sum();
        let most = counts.iter().copied().max().unwrap_or(0).max(1);
        // A choice a row: its number and text with "123 票 45%" at the
        // right, the bar under them — or beside the text when many choices
        // leave no room for two lines.
        let room = g.body.bottom() as f32 - y;
        let k = q.choices.len() as f32;
        let bar_h = |size: f32| ((line_box(size) * 0.4) / 2.0).round() as i32 * 2;
        let two = |size: f32| line_box(size) + bar_h(size) as f32 + g.gap as f32 * 0.75;
        let (size, stacked) = if two(g.row) * k <= room {
            (g.row, true)
        } else if two(g.small) * k <= room {
            (g.small, true)
        } else {
            (g.small, false)
        };
        let row_h = if stacked { two(size) } else { (room / k).min(line_box(size) + g.gap as f32 / 2.0).floor() };
        let figure_w = fonts.measure("99999 票 100%", size, Weight::Bold).ceil();
        let label_w = if stacked { w - figure_w - g.gap as f32 } else { (w * 0.35).round() };
        let bar_x = if stacked { x0 } else { x0 + label_w + g.gap as f32 };
        let bar_room = if stacked { w } else { w - label_w - g.gap as f32 * 2.0 - figure_w };
        for (c, choice) in q.choices.iter().enumerate() {
            let ty = if stacked { y } else { y + (row_h - line_box(size)) / 2.0 };
            let label = ellipsize(fonts, choice, size, Weight::Regular, label_w);
            ops.push(frame.text(x0, ty, size, Weight::Regular, t.text, &label));
            // Bars even and at least 2 px high: thin shapes flicker when interlaced.
            let bh = bar_h(size).max(2);
            let bar_y = if stacked {
                (y + line_box(size)).round() as i32
            } else {
                (y + (row_h - bh as f32) / 2.0).round() as i32
            };
            let track = Rect::new(bar_x as i32, bar_y, bar_room as i32, bh);
            ops.push(Op::Fill { rect: track, color: t.background.mix(t.text, 0.12), radius: bh / 2 });
            let len = (bar_room * counts[c] as f32 / most as f32).round() as i32;
            if counts[c] > 0 {
                ops.push(Op::Fill { rect: Rect::new(track.x, bar_y, len.max(bh), bh), color: accent, radius: bh / 2 });
            }
            let share = (counts[c] * 100 + total / 2).checked_div(total).unwrap_or(0);
            let figure = format!("{} 票 {share}%", counts[c]);
            ops.push(frame.text_right(x0 + w, ty, size, Weight::Bold, t.text, &figure));
            y += row_h;
        }
        let keys = super::frame::paging_keys(base, i, n, back);
        out.push(Screen::page(page_id(base, i), Kind::Poll, &poll.title, back, ops, keys));
    }
    out
}

/// A screen of a line or two and nothing to choose: a thank-you, a closed
/// poll, a request's reference. OK and back both leave.
#[allow(clippy::too_many_arguments)]
fn notice(
    frame: &Frame,
    id: &str,
    crumbs: &[String],
    accent: Rgb,
    head: &str,
    line: &str,
    after: &str,
    back: &Target,
) -> Screen {
    let g = frame.geo;
    let t = frame.theme();
    let fonts = frame.cx.fonts;
    let hints: Hints = vec![("OK", "完成"), ("返回", "上一级")];
    let mut ops = frame.chrome(crumbs, accent, &hints, None);
    let mut y = g.body.y as f32 + g.body.h as f32 * 0.18;
    let centre = |text: &str, size: f32, weight: Weight| {
        let w = fonts.measure(text, size, weight);
        g.body.x as f32 + (g.body.w as f32 - w) / 2.0
    };
    for line in wrap_at_most(fonts, head, Weight::Bold, g.article_title, g.body.w as f32, 2) {
        let text = line_text(&line);
        ops.push(frame.text(
            centre(&text, g.article_title, Weight::Bold),
            y,
            g.article_title,
            Weight::Bold,
            t.text,
            &text,
        ));
        y += line_box(g.article_title);
    }
    y += g.gap as f32;
    for text in [line, after].into_iter().filter(|l| !l.is_empty()) {
        for l in wrap_at_most(fonts, text, Weight::Regular, g.row, g.body.w as f32, 3) {
            let s = line_text(&l);
            ops.push(frame.text(centre(&s, g.row, Weight::Regular), y, g.row, Weight::Regular, t.dim, &s));
            y += line_box(g.row);
        }
        y += g.gap as f32;
    }
    let mut keys = std::collections::BTreeMap::new();
    keys.insert(Key::Back, back.clone());
    keys.insert(Key::Ok, back.clone());
    let mut screen = Screen::page(id.to_string(), Kind::Poll, head, back, ops, keys);
    screen.title = crumbs.last().cloned().unwrap_or_default();
    screen
}

/// The rating of a sub-item (`e-…`) and its thank-you (`e-…-ok`).
pub(crate) fn rating_screens(frame: &Frame, item: &Item, crumbs: &[String], back: Target, accent: Rgb) -> Vec<Screen> {
    let id = screen_id("e", &item.key);
    let thanks_id = format!("{id}-ok");
    let choices: Vec<String> = LEVELS.iter().map(|s| s.to_string()).collect();
    let prompt = format!("您对“{}”的服务满意吗？", item.title);
    let mut crumbs = crumbs.to_vec();
    crumbs.push("评价".to_string());
    let next = Target::new(thanks_id.clone(), 0);
    let rate = choice_screen(
        frame,
        Choices {
            id: id.clone(),
            kind: Kind::Poll,
            title: format!("评价：{}", item.title),
            crumbs: &crumbs,
            accent,
            page: None,
            prompt: &prompt,
            choices: &choices,
            back: back.clone(),
            then: Then::Confirm { next: next.clone(), sends: true },
            ask: Some(Ask::Rating { item: item.key.clone(), title: item.title.clone(), next }),
        },
    );
    let thanks = notice(frame, &thanks_id, &crumbs, accent, "感谢您的评价！", "您的评价将帮助我们改进服务", "", &back);
    vec![rate, thanks]
}

/// A request desk (`q-…`): its categories, a callback-number screen per
/// category (`q-…-p1`, …) and the reference screen (`q-…-ok`).
pub(crate) fn request_screens(
    frame: &Frame,
    item: &Item,
    categories: &[String],
    crumbs: &[String],
    back: Target,
    accent: Rgb,
) -> Vec<Screen> {
    let desk = screen_id("q", &item.key);
    let done = format!("{desk}-ok");
    let phone_ids: Vec<String> = (1..=categories.len()).map(|k| format!("{desk}-p{k}")).collect();
    let mut out = vec![choice_screen(
        frame,
        Choices {
            id: desk.clone(),
            kind: Kind::Request,
            title: item.title.clone(),
            crumbs,
            accent,
            page: None,
            prompt: "请选择要反映的问题：",
            choices: categories,
            back: back.clone(),
            then: Then::Each(phone_ids.iter().map(|p| Target::new(p.clone(), 0)).collect()),
            ask: None,
        },
    )];
    for (k, category) in categories.iter().enumerate() {
        out.push(phone_screen(frame, item, crumbs, accent, (&desk, &phone_ids[k], &done), (k, category)));
    }
    out.push(reference_screen(frame, crumbs, accent, &done, &back));
    out
}

/// The callback-number screen of one category: state 0 types, state 1
/// asks to check the number before it is sent. `ids` are the desk's, this
/// screen's and the reference screen's.
fn phone_screen(
    frame: &Frame,
    item: &Item,
    crumbs: &[String],
    accent: Rgb,
    ids: (&str, &str, &str),
    category: (usize, &String),
) -> Screen {
    let g = frame.geo;
    let t = frame.theme();
    let fonts = frame.cx.fonts;
    let (desk, id, done) = ids;
    let (k, category) = category;
    let (gw, gh) = super::overlay::entry_glyph_size(frame);
    let back_to = Target::new(desk, k);
    let hints: Hints = vec![("0-9", "输入"), ("返回", "删除"), ("OK", "确认")];
    let mut ops = frame.chrome(crumbs, accent, &hints, None);
    let (x0, w) = (g.body.x as f32, g.body.w as f32);
    let mut y = g.body.y as f32;
    let head = ellipsize(fonts, &format!("反映问题：{category}"), g.item, Weight::Bold, w);
    ops.push(frame.text(x0, y, g.item, Weight::Bold, t.text, &head));
    y += line_box(g.item) + g.gap as f32 / 2.0;
    for line in ["请用数字键输入回电号码：", "手机号，或带区号的座机号"] {
        ops.push(frame.text(x0, y, g.row, Weight::Regular, t.dim, line));
        y += line_box(g.row);
    }
    y += g.gap as f32;
    // The field: digit places in the entry's colours, the shell fills them.
    let pad = g.gap;
    let field = Rect::new(g.body.x + g.frame_w, y as i32, PHONE_SLOTS as i32 * gw + 2 * pad, gh + pad);
    ops.push(Op::Fill { rect: field.grow(g.frame_w / 2), color: t.focus_frame, radius: g.radius });
    ops.push(Op::Fill { rect: field, color: t.focus_fill, radius: g.radius });
    let (sx, sy) = (field.x + pad, field.y + pad / 2);
    y = field.bottom() as f32 + g.gap as f32 * 1.5;
    let note = "号码仅用于工作人员回电，办结后按规定删除。";
    for line in wrap_at_most(fonts, note, Weight::Regular, g.small, w, 2) {
        ops.push(frame.text(x0, y, g.small, Weight::Regular, t.dim, &line_text(&line)));
        y += line_box(g.small);
    }
    // State 0 types; state 1 asks to check the number before it is sent.
    let banner = footer_banner(frame, "请核对号码：按 OK 提交，按返回修改");
    let mut typing = std::collections::BTreeMap::new();
    typing.insert(Key::Ok, Target::new(id, 1));
    typing.insert(Key::Back, back_to);
    let mut checking = std::collections::BTreeMap::new();
    checking.insert(Key::Ok, Target::new(done, 0));
    checking.insert(Key::Back, Target::new(id, 0));
    let next = Target::new(done, 0);
    Screen {
        id: id.to_string(),
        kind: Kind::Request,
        title: format!("{}：{category}", item.title),
        parent: Some(desk.to_string()),
        number: None,
        section: None,
        carousel: None,
        ops,
        states: vec![
            State { focus: None, keys: typing },
            State { focus: Some(Focus { rect: banner.0, ops: banner.1 }), keys: checking },
        ],
        ask: Some(Box::new(Ask::Phone {
            item: item.key.clone(),
            title: item.title.clone(),
            category: category.clone(),
            number: k + 1,
            x: sx,
            y: sy,
            slots: PHONE_SLOTS,
            next,
        })),
        locals: Vec::new(),
        rows: None,
        drawn: None,
        made: None,
        thin: false,
    }
}

/// The reference screen: eight digits in two groups (room for a ninth, the
/// month's 10,000th request and on), placed by the shell from the address.
fn reference_screen(frame: &Frame, crumbs: &[String], accent: Rgb, done: &str, back: &Target) -> Screen {
    let g = frame.geo;
    let t = frame.theme();
    let fonts = frame.cx.fonts;
    let (gw, gh) = super::overlay::entry_glyph_size(frame);
    let mut screen = notice(frame, done, crumbs, accent, "已受理，工作人员将尽快回电", "", "", back);
    let pad = g.gap;
    let field_w = 9 * gw + gw / 2 + 2 * pad;
    let label = "受理编号";
    let label_w = fonts.measure(label, g.item, Weight::Bold);
    let total = label_w + g.gap as f32 + field_w as f32;
    let fx = (g.body.x as f32 + (g.body.w as f32 - total) / 2.0 + label_w + g.gap as f32).round() as i32;
    let fy = g.body.y + (g.body.h as f32 * 0.18 + line_box(g.article_title) * 2.0 + g.gap as f32 * 2.0) as i32;
    let field = Rect::new(fx, fy, field_w, gh + pad);
    screen.ops.push(frame.text(
        fx as f32 - g.gap as f32 - label_w,
        fy as f32 + (field.h as f32 - line_box(g.item)) / 2.0,
        g.item,
        Weight::Bold,
        t.text,
        label,
    ));
    screen.ops.push(Op::Fill { rect: field, color: t.focus_fill, radius: g.radius });
    let line = "请记下编号，来电查询时报给工作人员。";
    let w = fonts.measure(line, g.row, Weight::Regular);
    ops_push_centred(&mut screen.ops, frame, line, field.bottom() as f32 + g.gap as f32 * 1.5, w);
    screen.kind = Kind::Request;
    screen.ask = Some(Box::new(Ask::Reference { x: field.x + pad, y: field.y + pad / 2 }));
    screen
}

fn ops_push_centred(ops: &mut Vec<Op>, frame: &Frame, text: &str, y: f32, w: f32) {
    let g = frame.geo;
    let x = g.body.x as f32 + (g.body.w as f32 - w) / 2.0;
    ops.push(frame.text(x, y, g.row, Weight::Regular, frame.theme().dim, text));
}

/// A band over the footer in the focus colours, saying what OK does now:
/// (where it sits, what it draws).
fn footer_banner(frame: &Frame, text: &str) -> (Rect, Vec<Op>) {
    let g = frame.geo;
    let t = frame.theme();
    let rect = Rect::new(0, g.footer_y, g.width, g.height - g.footer_y);
    let fy = g.footer_y as f32 + (g.safe.bottom() - g.footer_y) as f32 / 2.0 - line_box(g.row) / 2.0;
    let text = ellipsize(frame.cx.fonts, text, g.row, Weight::Bold, g.safe.w as f32);
    let ops = vec![
        Op::Fill { rect, color: t.focus_fill, radius: 0 },
        Op::Fill { rect: Rect::new(0, g.footer_y, g.width, g.frame_w), color: t.focus_frame, radius: 0 },
        frame.text(g.safe.x as f32, fy, g.row, Weight::Bold, t.focus_text, &text),
    ];
    (rect, ops)
}

/// The text of a laid-out line.
fn line_text(line: &super::text::Line) -> String {
    line.pieces.iter().map(|p| p.text.as_str()).collect()
}

/// A screen of numbered choices: a prompt, then a tile a choice (one column
/// up to four, two beyond), picked with the digits or the arrows and OK.
fn choice_screen(frame: &Frame, c: Choices) -> Screen {
    let g = frame.geo;
    let t = frame.theme();
    let fonts = frame.cx.fonts;
    let n = c.choices.len();
    let hints: Hints = vec![("数字键", "选择"), ("↑↓", "移动"), ("OK", "确认"), ("返回", "上一步")];
    let mut ops = frame.chrome(c.crumbs, c.accent, &hints, c.page.clone());
    let mut y = g.body.y as f32;
    for line in wrap_at_most(fonts, c.prompt, Weight::Bold, g.item, g.body.w as f32, 2) {
        ops.push(frame.text(g.body.x as f32, y, g.item, Weight::Bold, t.text, &line_text(&line)));
        y += line_box(g.item);
    }
    y += g.gap as f32 / 2.0;
    let inset = g.frame_w;
    let area =
        Rect::new(g.body.x + inset, y as i32 + inset, g.body.w - 2 * inset, g.body.bottom() - y as i32 - 2 * inset);
    let gap = g.gap / 2 + g.frame_w;
    // One column while the choices fit at a comfortable height (whole
    // texts); two beyond that.
    let least = line_box(g.row) as i32 + g.gap / 2;
    let cols = if n as i32 * (least + gap) - gap <= area.h { 1 } else { 2 };
    let rows = n.div_ceil(cols) as i32;
    let tile_h = ((area.h - gap * (rows - 1)) / rows).min(line_box(g.row) as i32 + g.gap * 2);
    let tile_w = (area.w - gap * (cols as i32 - 1)) / cols as i32;
    // Down the first column, then the second: 1–5 left, 6–9 right.
    let rect = |i: usize| {
        let (col, row) = ((i as i32) / rows, (i as i32) % rows);
        Rect::new(area.x + col * (tile_w + gap), area.y + row * (tile_h + gap), tile_w, tile_h)
    };
    for (i, choice) in c.choices.iter().enumerate() {
        ops.extend(tile(frame, rect(i), i, choice, c.accent, Look::Plain));
    }
    let confirm = matches!(c.then, Then::Confirm { .. });
    let at = |i: usize| Target::new(c.id.clone(), i);
    let moves = |i: usize, keys: &mut std::collections::BTreeMap<Key, Target>| {
        let rows = rows as usize;
        if !i.is_multiple_of(rows) {
            keys.insert(Key::Up, at(i - 1));
        }
        if i % rows + 1 < rows && i + 1 < n {
            keys.insert(Key::Down, at(i + 1));
        }
        if i >= rows {
            keys.insert(Key::Left, at(i - rows));
        }
        if i + rows < n {
            keys.insert(Key::Right, at(i + rows));
        }
        for d in 0..n {
            keys.insert(Key::Digit(d as u8 + 1), if confirm { at(n + d) } else { pick(&c.then, d) });
        }
    };
    let mut states = Vec::with_capacity(2 * n);
    for i in 0..n {
        let mut keys = std::collections::BTreeMap::new();
        moves(i, &mut keys);
        keys.insert(Key::Ok, if confirm { at(n + i) } else { pick(&c.then, i) });
        keys.insert(Key::Back, c.back.clone());
        let r = rect(i);
        let focus = Focus { rect: r.grow(g.frame_w), ops: tile(frame, r, i, &c.choices[i], c.accent, Look::Focused) };
        states.push(State { focus: Some(focus), keys });
    }
    if let Then::Confirm { next, sends } = &c.then {
        for i in 0..n {
            let mut keys = std::collections::BTreeMap::new();
            moves(i, &mut keys);
            keys.insert(Key::Ok, next.clone());
            keys.insert(Key::Back, at(i));
            let r = rect(i);
            let what = if *sends { "按 OK 提交" } else { "按 OK 下一题" };
            let (band, mut band_ops) = footer_banner(frame, &format!("已选第 {} 项：{what}，按返回重选", i + 1));
            let mut focus_ops = tile(frame, r, i, &c.choices[i], c.accent, Look::Chosen);
            focus_ops.append(&mut band_ops);
            let grown = r.grow(g.frame_w);
            let top = grown.y.min(band.y);
            let cover = Rect::new(0, top, g.width, band.bottom() - top);
            // The chosen look covers the tile and the banner: the rows between
            // are drawn as they are in the base picture.
            states.push(State { focus: Some(Focus { rect: cover, ops: focus_ops }), keys });
        }
    }
    Screen {
        id: c.id.clone(),
        kind: c.kind,
        title: c.title,
        parent: Some(c.back.screen.to_string()),
        number: None,
        section: None,
        carousel: None,
        ops,
        states,
        ask: c.ask.map(Box::new),
        locals: Vec::new(),
        rows: None,
        drawn: None,
        made: None,
        thin: false,
    }
}

/// Where choice `i` leads when choices lead each somewhere.
fn pick(then: &Then, i: usize) -> Target {
    match then {
        Then::Each(targets) => targets[i].clone(),
        Then::Confirm { next, .. } => next.clone(),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Look {
    Plain,
    Focused,
    Chosen,
}

/// One choice's tile: its digit, its text, and on the chosen look 已选.
fn tile(frame: &Frame, r: Rect, i: usize, text: &str, accent: Rgb, look: Look) -> Vec<Op> {
    let g = frame.geo;
    let t = frame.theme();
    let fonts = frame.cx.fonts;
    let mut ops = Vec::new();
    let (fill, fg) = match look {
        Look::Plain => (t.background.mix(t.text, 0.1), t.text),
        _ => {
            ops.push(Op::Fill { rect: r.grow(g.frame_w), color: t.focus_frame, radius: g.radius + g.frame_w });
            (t.focus_fill, t.focus_text)
        }
    };
    ops.push(Op::Fill { rect: r, color: fill, radius: g.radius });
    let size = g.row;
    let pad = g.gap as f32;
    let digit = (i + 1).to_string();
    let bw = (line_box(size)).round() as i32;
    let by = r.y + (r.h - bw) / 2;
    ops.push(Op::Fill { rect: Rect::new(r.x + g.gap / 2, by, bw, bw), color: accent, radius: g.radius / 2 });
    let dw = fonts.measure(&digit, size, Weight::Bold);
    ops.push(frame.text(
        (r.x + g.gap / 2) as f32 + (bw as f32 - dw) / 2.0,
        by as f32,
        size,
        Weight::Bold,
        t.text,
        &digit,
    ));
    let left = (r.x + g.gap / 2 + bw) as f32 + pad / 2.0;
    let mark = "已选";
    let mark_w = if look == Look::Chosen { fonts.measure(mark, g.small, Weight::Bold) + pad } else { 0.0 };
    let room = r.right() as f32 - pad / 2.0 - mark_w - left;
    let label = ellipsize(fonts, text, size, Weight::Regular, room);
    let ty = r.y as f32 + (r.h as f32 - line_box(size)) / 2.0;
    ops.push(frame.text(left, ty, size, if look == Look::Plain { Weight::Regular } else { Weight::Bold }, fg, &label));
    if look == Look::Chosen {
        let my = r.y as f32 + (r.h as f32 - line_box(g.small)) / 2.0;
        ops.push(frame.text_right(r.right() as f32 - pad / 2.0, my, g.small, Weight::Bold, accent, mark));
    }
    ops
}
