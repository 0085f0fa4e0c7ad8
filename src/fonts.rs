//! The channel's typefaces: loading, coverage and advance widths.
//!
//! Layout measures text with [`Fonts::advance`]; raster draws glyphs from the
//! same faces. Advances are precomputed per character at one unit of size
//! because layout measures every character of the channel on every render.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use fontdue::{Font, FontSettings};

/// File names of the shipped faces inside the fonts folder.
pub const REGULAR_FILE: &str = "NotoSansSC-Regular.otf";
pub const BOLD_FILE: &str = "NotoSansSC-Bold.otf";

/// Stroke weight of a run of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Weight {
    Regular,
    Bold,
}

/// The loaded faces.
pub struct Fonts {
    regular: Font,
    bold: Font,
    /// Advance width at 1 px per character, (regular, bold).
    advances: HashMap<char, (f32, f32)>,
    /// Ascent at 1 px: where the baseline sits inside a line box.
    ascent: f32,
    /// Ascent + descent at 1 px: the height the glyphs really use.
    extent: f32,
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fonts").field("chars", &self.advances.len()).finish()
    }
}

impl Fonts {
    /// Loads the shipped faces from `dir`, naming the file that is missing or broken.
    pub fn load(dir: &Path) -> Result<Fonts> {
        let regular = load_face(&dir.join(REGULAR_FILE))?;
        let bold = load_face(&dir.join(BOLD_FILE))?;
        Ok(Fonts::from_faces(regular, bold))
    }

    fn from_faces(regular: Font, bold: Font) -> Fonts {
        let mut advances = HashMap::with_capacity(regular.chars().len());
        for (&ch, &index) in regular.chars() {
            let r = regular.metrics_indexed(index.get(), 1000.0).advance_width / 1000.0;
            let b = bold.lookup_glyph_index(ch);
            let b = if b == 0 { r } else { bold.metrics_indexed(b, 1000.0).advance_width / 1000.0 };
            advances.insert(ch, (r, b));
        }
        let lm = regular.horizontal_line_metrics(1000.0);
        let (ascent, extent) = match lm {
            Some(lm) => (lm.ascent / 1000.0, (lm.ascent - lm.descent) / 1000.0),
            None => (0.88, 1.16),
        };
        Fonts { regular, bold, advances, ascent, extent }
    }

    /// The face for a weight.
    pub fn face(&self, weight: Weight) -> &Font {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }

    /// Whether the faces draw `ch` (white space counts as drawn).
    pub fn has(&self, ch: char) -> bool {
        self.advances.contains_key(&ch) || ch.is_whitespace()
    }

    /// Advance width of `ch` at `size` px.
    pub fn advance(&self, ch: char, size: f32, weight: Weight) -> f32 {
        let (r, b) = match self.advances.get(&ch) {
            Some(&a) => a,
            // Missing characters draw as a full-width box; coverage reports them.
            None if ch == '\u{3000}' => (1.0, 1.0),
            None if ch.is_whitespace() => (0.25, 0.25),
            None => (1.0, 1.0),
        };
        size * if weight == Weight::Bold { b } else { r }
    }

    /// Width of a string at `size` px.
    pub fn measure(&self, text: &str, size: f32, weight: Weight) -> f32 {
        text.chars().map(|c| self.advance(c, size, weight)).sum()
    }

    /// Distance from the top of a line box of height `size * line` to the baseline,
    /// with the glyphs centred vertically in the box.
    pub fn baseline(&self, size: f32, box_height: f32) -> f32 {
        (box_height - self.extent * size) / 2.0 + self.ascent * size
    }
}

fn load_face(path: &PathBuf) -> Result<Font> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read font file {}", path.display()))?;
    let settings = FontSettings { scale: 40.0, ..FontSettings::default() };
    Font::from_bytes(bytes, settings)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("font file {} is not a usable OpenType/TrueType font", path.display()))
}
