//! A cache of rasterised glyphs, shared by every screen of every render.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::fonts::{Fonts, Weight};

/// One glyph's coverage bitmap and where it sits relative to the pen.
#[derive(Debug)]
pub struct Glyph {
    pub xmin: i32,
    /// Distance from the baseline up to the bitmap's top row.
    pub top: i32,
    pub width: usize,
    pub height: usize,
    pub coverage: Vec<u8>,
}

/// Glyphs by (weight, character, size). A channel uses a few thousand, each
/// drawn on many screens, so rasterising each once dominates cold renders.
pub struct GlyphCache {
    fonts: Arc<Fonts>,
    // A std Mutex: held only for a map lookup or insert, never across rasterising.
    glyphs: Mutex<HashMap<(Weight, char, u32), Arc<Glyph>>>,
}

impl GlyphCache {
    pub fn new(fonts: Arc<Fonts>) -> GlyphCache {
        GlyphCache {
            fonts,
            glyphs: Mutex::new(HashMap::new()),
        }
    }

    pub fn fonts(&self) -> &Fonts {
        &self.fonts
    }

    /// The glyph for `ch` at `size` px, rasterised on first use.
    pub fn get(&self, ch: char, size: f32, weight: Weight) -> Arc<Glyph> {
        let key = (weight, ch, size.to_bits());
        if let Some(g) = self
            .glyphs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return g.clone();
        }
        let (m, coverage) = self.fonts.face(weight).rasterize(ch, size);
        let glyph = Arc::new(Glyph {
            xmin: m.xmin,
            top: m.height as i32 + m.ymin,
            width: m.width,
            height: m.height,
            coverage,
        });
        self.glyphs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, glyph.clone());
        glyph
    }

    /// How many glyphs are cached.
    pub fn len(&self) -> usize {
        self.glyphs.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
