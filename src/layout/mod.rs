//! Site model to screens: what every screen shows, where, and where each key
//! leads, for one profile.
//!
//! Layout measures text with the channel's fonts but touches no pixels and
//! does no I/O; [`crate::raster`] draws what it describes.

mod article;
mod coverage;
pub mod finder;
mod frame;
mod gallery;
pub mod interact;
pub mod memo;
pub mod menu;
pub mod overlay;
pub mod qr;
mod screen;
mod table;
pub mod text;
mod walk;

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};

use crate::config::Profile;

use std::sync::Arc;

use crate::content::Site;
use crate::fonts::Fonts;
use crate::problem::Problem;

pub use crate::keys::Key;
pub use coverage::{coverage_problems, floor_problems, live_docs};
pub use frame::{date_text, line_box, text_run, Geometry, DATE_GLYPHS};
pub use overlay::{Overlays, Sprite};
pub use screen::{
    document_of, drawing_key, page_id, screen_id, Focus, Kind, Op, Rect, RowSpan, Screen, Section, State, Target,
    TextRun, Thin, HOME,
};
use walk::{colour_targets, column_screens, finishing, home_screens, shared, shared_keys};
pub(crate) use walk::{page_number, tile_target};

/// Everything layout needs besides the site.
pub struct Context<'a> {
    pub fonts: &'a Fonts,
    pub profile: &'a Profile,
    /// The moment the screens are made for: the date on screen and which
    /// articles are published.
    pub now: DateTime<FixedOffset>,
    /// Documents' screens from earlier renders, when the caller keeps them.
    pub memo: Option<&'a memo::Memo>,
}

/// The overlays the shell draws for one profile (clock, page-number entry,
/// alert).
pub fn overlays(site: &Site, cx: &Context) -> Overlays {
    let geo = Geometry::new(cx.profile, site.config.theme.text_scale);
    let frame = frame::Frame::new(site, cx, &geo);
    overlay::overlays(&frame, site)
}

/// The page numbers of a profile's screens: a digit 1–9 opens a column,
/// three digits a sub-item (column 7's are 701, 702, …).
pub fn numbers(site: &Site, screens: &[Arc<Screen>]) -> BTreeMap<String, Target> {
    let mut out = BTreeMap::new();
    for (ci, column) in site.columns.iter().enumerate().take(9) {
        out.insert((ci + 1).to_string(), Target::new(screen_id("c", &column.key), 0));
    }
    for screen in screens {
        if let Some(n) = screen.number {
            out.entry(n.to_string()).or_insert_with(|| Target::new(screen.id.clone(), 0));
        }
    }
    out
}

/// The site's problems that no screen shows: faces of the fallback chain
/// that cannot be used, characters no face has. Documents unchanged since a
/// render that kept them in `memo` are not read again.
pub(crate) fn site_problems(site: &Site, fonts: &Fonts, memo: Option<&memo::Memo>) -> Vec<Problem> {
    let mut problems = fonts.use_chain(site.config.fonts.as_deref());
    problems.extend(coverage::coverage(site, fonts, memo));
    problems
}

/// One profile's screens and the problems of their text (below the
/// legibility floor): how both `render` and `check` lay out a site.
pub fn screens(site: &Site, cx: &Context) -> (Vec<Arc<Screen>>, Vec<Problem>) {
    let screens = build(site, cx);
    let problems = floor_problems(&screens, cx.profile);
    (screens, problems)
}

/// Lays out every screen of `site` for one profile: home, then each column
/// with its sub-items, then the keys every screen shares. Screens are
/// shared: a document's unchanged screens are the very ones the memo kept.
pub fn build(site: &Site, cx: &Context) -> Vec<Arc<Screen>> {
    let geo = Geometry::new(cx.profile, site.config.theme.text_scale);
    let frame = frame::Frame::new(site, cx, &geo);
    let mut screens = shared(home_screens(&frame));
    for (ci, column) in site.columns.iter().enumerate() {
        screens.extend(column_screens(&frame, ci, column));
    }
    screens.extend(shared(finder::screens(&frame)));
    let colours = colour_targets(&frame);
    for screen in screens.iter_mut().filter_map(finishing) {
        shared_keys(&colours, screen);
    }
    screens
}

/// The screens of a menu made at request time (search results, a lookup's
/// list): laid out in the frame of `site` like every menu of the channel,
/// with the keys every screen shares (home, the colour keys).
pub fn request_menu(site: &Site, cx: &Context, spec: menu::Spec) -> Vec<Screen> {
    let geo = Geometry::new(cx.profile, site.config.theme.text_scale);
    let frame = frame::Frame::new(site, cx, &geo);
    let colours = colour_targets(&frame);
    let spec = menu::Spec { accent: frame.theme().focus_frame, ..spec };
    let mut screens = menu::screens(&frame, spec);
    for screen in &mut screens {
        shared_keys(&colours, screen);
    }
    screens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_id_leads_back_to_its_document() {
        let base = screen_id("a", "01-要闻/01-时政/x.md");
        for page in 0..12 {
            assert_eq!(document_of(&page_id(&base, page)), base);
        }
        assert_eq!(document_of(HOME), HOME);
        assert_eq!(document_of("s-0123456789"), "s-0123456789");
    }

    #[test]
    fn a_target_reads_back_from_its_text() {
        let t = Target::new("a-01#x", 3);
        assert_eq!(t.to_string().parse::<Target>(), Ok(t.clone()));
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"a-01#x#3\"");
        assert_eq!(serde_json::from_str::<Target>("\"a-01#x#3\"").unwrap(), t);
        assert!("home".parse::<Target>().is_err() && "home#x".parse::<Target>().is_err());
    }
}
