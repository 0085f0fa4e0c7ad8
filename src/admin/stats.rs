//! The statistics page's sums and its chart: views per day as bars, unique
//! boxes per day as a line, in inline SVG (no script, no chart library).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use maud::{html, Markup};

use crate::store::Stats;

/// Views summed per day (every day of the range, zero or not), column and
/// sub-item.
pub struct Sums {
    pub total: i64,
    pub per_day: BTreeMap<NaiveDate, i64>,
    pub per_column: BTreeMap<String, i64>,
    pub per_item: BTreeMap<(String, String), i64>,
}

impl Sums {
    pub fn of(stats: &Stats, from: NaiveDate, to: NaiveDate) -> Sums {
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
        Sums { total: stats.rows.iter().map(|r| r.3).sum(), per_day, per_column, per_item }
    }
}

/// Views per day as bars, unique boxes as a line.
pub fn chart(per_day: &BTreeMap<NaiveDate, i64>, boxes: &BTreeMap<String, i64>) -> Markup {
    let (w, h, left, bottom, top) = (1200.0, 240.0, 44.0, 28.0, 12.0);
    let n = per_day.len().max(1) as f64;
    let max = per_day.values().copied().chain(boxes.values().copied()).max().unwrap_or(0).max(1) as f64;
    let step = (w - left - 8.0) / n;
    let y = |v: f64| top + (h - top - bottom) * (1.0 - v / max);
    let every = (per_day.len() / 10).max(1);
    let line: Vec<String> = per_day
        .keys()
        .enumerate()
        .map(|(i, day)| {
            let b = boxes.get(&day.to_string()).copied().unwrap_or(0);
            format!("{:.1},{:.1}", left + step * i as f64 + step / 2.0, y(b as f64))
        })
        .collect();
    let f1 = |v: f64| format!("{v:.1}");
    html! {
        svg viewBox={ "0 0 " (w) " " (h) } width="100%" style="background:#fff;border-radius:10px" role="img" aria-label="每日浏览" {
            @for k in 0..=4 {
                @let v = max * f64::from(k) / 4.0;
                line x1=(left) x2=(w - 8.0) y1=(f1(y(v))) y2=(f1(y(v))) stroke="#e6eaef" {}
                text x=(left - 6.0) y=(f1(y(v) + 4.0)) text-anchor="end" { (v.round()) }
            }
            @for (i, (day, views)) in per_day.iter().enumerate() {
                @let x = left + step * i as f64;
                rect x=(f1(x + step * 0.15)) y=(f1(y(*views as f64))) width=(f1(step * 0.7)) height=(f1((h - bottom) - y(*views as f64))) fill="#2f6fb0" {
                    title { (day) "：浏览 " (views) }
                }
                @if i % every == 0 {
                    text x=(f1(x + step / 2.0)) y=(h - 10.0) text-anchor="middle" { (day.format("%m-%d")) }
                }
            }
            polyline points=(line.join(" ")) fill="none" stroke="#f0a020" stroke-width="2.5" {}
        }
        p.hint {
            span style="color:#2f6fb0" { "■" } " 浏览次数　"
            span style="color:#f0a020" { "━" } " 机顶盒数（每天不重复）"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_day_of_the_range_is_a_bar_and_views_add_up_by_column_and_item() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        let stats = Stats {
            rows: vec![
                ("2026-11-02".into(), String::new(), String::new(), 4),
                ("2026-11-02".into(), "便民万源".into(), "便民电话".into(), 3),
                ("2026-11-03".into(), "便民万源".into(), "公交".into(), 2),
            ],
            boxes: [("2026-11-02".to_string(), 2)].into_iter().collect(),
        };
        let sums = Sums::of(&stats, day(1), day(7));
        assert_eq!(sums.total, 9);
        assert_eq!(sums.per_day.len(), 7);
        assert_eq!((sums.per_day[&day(2)], sums.per_day[&day(1)]), (7, 0));
        assert_eq!((sums.per_column["首页"], sums.per_column["便民万源"]), (4, 5));
        assert_eq!(sums.per_item.len(), 2);
        let svg = chart(&sums.per_day, &stats.boxes).into_string();
        assert_eq!(svg.matches("<rect ").count(), 7);
        assert!(svg.contains("<title>2026-11-02：浏览 7</title>"), "{svg}");
    }
}
