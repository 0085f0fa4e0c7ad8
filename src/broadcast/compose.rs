//! Each second's frame of the loop: the screen's base picture with a strip
//! over its footer (page number, what comes next — or the alert), the date
//! and the clock where the shell would draw them, and the alert page while
//! an alert is new.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset};

use crate::config::{Profile, Rgb};
use crate::fonts::{Fonts, Weight};
use crate::layout::text::{ellipsize, wrap};
use crate::layout::{date_text, line_box, text_run, Geometry, Op, Rect, TextRun};
use crate::publish::Generation;
use crate::raster::{Canvas, RasterCache};

use super::{Colours, Entry, Plan};

/// The alert band: a muted red, as the shells' (saturated red blooms on
/// composite video).
const ALERT_RED: Rgb = Rgb(150, 44, 40);

/// Draws frames of one profile, keeping the last base picture decoded.
pub struct Composer {
    fonts: Arc<Fonts>,
    cache: RasterCache,
    profile: Profile,
    geo: Geometry,
    scale: f32,
    base: Option<(String, Canvas)>,
}

/// What the strip says about the loop.
pub struct Place<'a> {
    pub position: usize,
    pub total: usize,
    pub entry: &'a Entry,
    pub next: &'a Entry,
}

impl Composer {
    pub fn new(fonts: Arc<Fonts>, profile: Profile) -> Composer {
        let geo = Geometry::new(&profile, 1.0);
        Composer { cache: RasterCache::new(fonts.clone()), fonts, profile, geo, scale: 1.0, base: None }
    }

    /// Follows the theme's text scale, which sizes the strip as it does the
    /// screens' footers.
    pub(crate) fn set_scale(&mut self, scale: f32) {
        if scale != self.scale {
            self.geo = Geometry::new(&self.profile, scale);
            self.scale = scale;
        }
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The screen of `place` with the strip and the clock; `alert` replaces
    /// what-comes-next while an alert is on air.
    pub fn screen(
        &mut self,
        generation: &Generation,
        plan: &Plan,
        place: &Place,
        alert: Option<&str>,
        now: DateTime<FixedOffset>,
    ) -> Canvas {
        let mut frame = self.base(generation, &place.entry.asset, &plan.colours);
        let g = &self.geo;
        let c = &plan.colours;
        let small = g.small;
        let mut ops = vec![Op::Fill {
            rect: Rect::new(0, g.footer_y, g.width, g.height - g.footer_y),
            color: if alert.is_some() { ALERT_RED } else { rgb(c.header) },
            radius: 0,
        }];
        let fy = g.footer_y as f32 + (g.safe.bottom() - g.footer_y) as f32 / 2.0 - line_box(small) / 2.0;
        let (left, right) = (g.safe.x as f32, g.safe.right() as f32);
        let mut x = left;
        let page = match place.entry.number {
            Some(n) => format!("P{n}  {}/{}", place.position, place.total),
            None => format!("{}/{}", place.position, place.total),
        };
        ops.push(self.text(x, fy, small, Weight::Bold, rgb(c.accent), &page));
        x += self.fonts.measure(&page, small, Weight::Bold) + small;
        match alert {
            Some(text) => {
                let label = "紧急通知";
                ops.push(self.text(x, fy, small, Weight::Bold, rgb(c.text), label));
                x += self.fonts.measure(label, small, Weight::Bold) + small * 0.6;
                let text = ellipsize(&self.fonts, text, small, Weight::Regular, right - x);
                ops.push(self.text(x, fy, small, Weight::Regular, rgb(c.text), &text));
            }
            None => {
                let label = "下一页";
                ops.push(self.text(x, fy, small, Weight::Regular, rgb(c.dim), label));
                x += self.fonts.measure(label, small, Weight::Regular) + small * 0.5;
                let next = ellipsize(&self.fonts, &place.next.title, small, Weight::Bold, right - x);
                ops.push(self.text(x, fy, small, Weight::Bold, rgb(c.text), &next));
            }
        }
        self.draw_band(&mut frame, Rect::new(0, g.footer_y, g.width, g.height - g.footer_y), &ops);
        self.clock(&mut frame, c, now);
        frame
    }

    /// The alert on its own page: the header of the screen playing, and the
    /// notice in the body, as large as body text.
    pub(crate) fn alert_page(
        &mut self,
        generation: &Generation,
        plan: &Plan,
        entry: &Entry,
        paragraphs: &[String],
        now: DateTime<FixedOffset>,
    ) -> Canvas {
        let mut frame = self.base(generation, &entry.asset, &plan.colours);
        let g = &self.geo;
        let c = &plan.colours;
        let top = g.header_h;
        let area = Rect::new(0, top, g.width, g.height - top);
        let mut ops = vec![Op::Fill { rect: area, color: rgb(c.background), radius: 0 }];
        let band_h = (line_box(g.item) + g.gap as f32 * 1.5) as i32;
        let band = Rect::new(g.safe.x, g.body.y, g.safe.w, band_h);
        ops.push(Op::Fill { rect: band, color: ALERT_RED, radius: g.radius });
        let pad = g.gap as f32 * 1.5;
        let title_y = band.y as f32 + (band_h as f32 - line_box(g.item)) / 2.0;
        ops.push(self.text(band.x as f32 + pad, title_y, g.item, Weight::Bold, rgb(c.text), "紧急通知"));
        let mut y = (band.y + band_h) as f32 + pad;
        let width = g.safe.w as f32 - 2.0 * pad;
        let bottom = g.safe.bottom() as f32;
        'outer: for p in paragraphs {
            for line in wrap(&self.fonts, &[(p.clone(), Weight::Regular)], g.body_size, width, 0.0, true) {
                if y + g.body_line > bottom {
                    break 'outer;
                }
                for piece in line.pieces {
                    ops.push(Op::Text(TextRun {
                        x: g.safe.x as f32 + pad + piece.x,
                        y,
                        w: piece.w,
                        h: g.body_line,
                        size: g.body_size,
                        weight: piece.weight,
                        color: rgb(c.text),
                        spacing: piece.spacing,
                        text: piece.text,
                        body: true,
                    }));
                }
                y += g.body_line;
            }
        }
        // The strip says what the alert interrupted, in the alert's red.
        ops.push(Op::Fill {
            rect: Rect::new(0, g.footer_y, g.width, g.height - g.footer_y),
            color: ALERT_RED,
            radius: 0,
        });
        let fy = g.footer_y as f32 + (g.safe.bottom() - g.footer_y) as f32 / 2.0 - line_box(g.small) / 2.0;
        let mut x = g.safe.x as f32;
        let label = "紧急通知";
        ops.push(self.text(x, fy, g.small, Weight::Bold, rgb(c.accent), label));
        x += self.fonts.measure(label, g.small, Weight::Bold) + g.small;
        let then = format!("之后继续播出：{}", entry.title);
        let then = ellipsize(&self.fonts, &then, g.small, Weight::Regular, g.safe.right() as f32 - x);
        ops.push(self.text(x, fy, g.small, Weight::Regular, rgb(c.text), &then));
        self.draw_band(&mut frame, area, &ops);
        self.clock(&mut frame, c, now);
        frame
    }

    /// The base picture of an asset, decoded once per screen change; a
    /// missing or undecodable one is the background colour.
    fn base(&mut self, generation: &Generation, asset: &str, colours: &Colours) -> Canvas {
        if self.base.as_ref().is_none_or(|(name, _)| name != asset) {
            let (w, h) = (self.profile.width, self.profile.height);
            let decoded = generation
                .asset(asset)
                .and_then(|(_, body)| image::load_from_memory(&body.bytes).ok())
                .map(|i| i.to_rgb8())
                .filter(|i| i.dimensions() == (w, h))
                .and_then(|i| Canvas::from_rgb(w, h, i.into_raw()));
            let canvas = decoded.unwrap_or_else(|| {
                let mut blank = Canvas::new(w, h);
                for p in blank.pixels_mut().chunks_exact_mut(3) {
                    p.copy_from_slice(&colours.background);
                }
                blank
            });
            self.base = Some((asset.to_string(), canvas));
        }
        self.base.as_ref().map(|(_, c)| c.clone()).unwrap_or_else(|| Canvas::new(1, 1))
    }

    /// The date and `HH:MM` at the right of the header, where the shell
    /// draws them.
    fn clock(&self, frame: &mut Canvas, c: &Colours, now: DateTime<FixedOffset>) {
        let g = &self.geo;
        let date = (g.date_box(&self.fonts), Weight::Regular, c.dim, date_text(now));
        let clock = (g.clock_box(&self.fonts), Weight::Bold, c.text, now.format("%H:%M").to_string());
        for (area, weight, colour, text) in [date, clock] {
            let ops = vec![
                Op::Fill { rect: area, color: rgb(c.header), radius: 0 },
                self.text_right(area.right() as f32, area.y as f32, g.small, weight, rgb(colour), &text),
            ];
            self.draw_band(frame, area, &ops);
        }
    }

    /// Draws `ops` inside `area` on a canvas of its own, softened like the
    /// screens on an interlaced profile, then copies it onto the frame.
    fn draw_band(&self, frame: &mut Canvas, area: Rect, ops: &[Op]) {
        if area.w <= 0 || area.h <= 0 {
            return;
        }
        let mut band = Canvas::new(area.w as u32, area.h as u32);
        for op in ops {
            band.apply_offset(op, &self.cache, area.x, area.y);
        }
        if self.profile.interlaced {
            band.soften_vertical();
        }
        frame.paste(&band, area.x, area.y);
    }

    fn text(&self, x: f32, y: f32, size: f32, weight: Weight, color: Rgb, text: &str) -> Op {
        text_run(&self.fonts, x, y, size, weight, color, text)
    }

    fn text_right(&self, right: f32, y: f32, size: f32, weight: Weight, color: Rgb, text: &str) -> Op {
        let w = self.fonts.measure(text, size, weight);
        self.text(right - w, y, size, weight, color, text)
    }
}

fn rgb(c: [u8; 3]) -> Rgb {
    Rgb(c[0], c[1], c[2])
}
