//! The channel's typefaces: loading, coverage and advance widths.
//!
//! Layout measures text with [`Fonts::advance`]; raster draws glyphs from the
//! same faces. Advances are precomputed per character at one unit of size
//! because layout measures every character of the channel on every render.
//!
//! Behind the two shipped faces stands a fallback chain (site.toml `fonts`).
//!
//! Every face is held as its file's bytes. Its character map and advances
//! are read once, with ttf-parser, when it is loaded; a glyph's outline is
//! read, in place, only when raster first draws it at a size. So loading
//! is quick and a face costs its file and its advances, however many glyphs
//! it has.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::{Context, Result};
use ttf_parser::GlyphId;

use crate::problem::Problem;
use crate::sync::RwLocked;

/// File names of the shipped faces inside the fonts folder.
pub const REGULAR_FILE: &str = "NotoSansSC-Regular.otf";
pub const BOLD_FILE: &str = "NotoSansSC-Bold.otf";

/// Stroke weight of a run of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Weight {
    Regular,
    Bold,
}

/// The fallback used when site.toml names none.
pub const DEFAULT_FALLBACK: &str = "NotoSansSC-Extra.otf";

/// A face's file. ttf-parser reads what is asked of it in place, so parsing
/// it again for a glyph costs only its table directory.
struct Face {
    bytes: Vec<u8>,
}

impl Face {
    /// The bytes as a face, refused unless they parse as one.
    fn new(bytes: Vec<u8>) -> Result<Face, String> {
        ttf_parser::Face::parse(&bytes, 0).map_err(|e| e.to_string())?;
        Ok(Face { bytes })
    }

    fn parsed(&self) -> ttf_parser::Face<'_> {
        ttf_parser::Face::parse(&self.bytes, 0).expect("parsed when it was read")
    }
}

/// A fallback face and its advances.
struct Fallback {
    name: String,
    face: Face,
    /// Advance width at 1 px per character.
    advances: HashMap<char, f32>,
}

impl Fallback {
    fn read(path: &Path) -> Result<Fallback, String> {
        let file = Face::new(std::fs::read(path).map_err(|e| e.to_string())?)?;
        let face = file.parsed();
        let per_em = f32::from(face.units_per_em().max(1));
        let mut advances = HashMap::new();
        if let Some(cmap) = face.tables().cmap {
            for sub in cmap.subtables.into_iter().filter(|s| s.is_unicode()) {
                sub.codepoints(|cp| {
                    if let Some(ch) = char::from_u32(cp) {
                        if let Some(id) = sub.glyph_index(cp) {
                            let adv = face.glyph_hor_advance(id).map_or(1.0, |a| f32::from(a) / per_em);
                            advances.insert(ch, adv);
                        }
                    }
                });
            }
        }
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        Ok(Fallback { name, face: file, advances })
    }
}

/// The loaded faces.
pub struct Fonts {
    regular: Face,
    bold: Face,
    /// Where fallback faces are found.
    dir: PathBuf,
    /// The fallback chain in order; replaced when site.toml changes it.
    // A std RwLock: read on every measured character that the shipped faces
    // lack (rare), written only when the chain changes.
    fallbacks: RwLock<Vec<Arc<Fallback>>>,
    /// Advance width at 1 px per character, (regular, bold).
    advances: Advances,
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

/// The shipped faces' advances by character: a table indexed by code point
/// for the Basic Multilingual Plane (every Chinese character the faces
/// hold), a map beyond it. Layout looks one up for every character of the
/// channel on every render; hashing each was a tenth of an edit's layout.
struct Advances {
    /// Negative where the faces lack the character.
    bmp: Vec<(f32, f32)>,
    astral: HashMap<char, (f32, f32)>,
    len: usize,
}

impl Default for Advances {
    fn default() -> Advances {
        Advances { bmp: vec![(-1.0, -1.0); 0x10000], astral: HashMap::new(), len: 0 }
    }
}

impl Advances {
    fn insert(&mut self, ch: char, advance: (f32, f32)) {
        let had = match self.bmp.get_mut(ch as usize) {
            Some(slot) => std::mem::replace(slot, advance).0 >= 0.0,
            None => self.astral.insert(ch, advance).is_some(),
        };
        self.len += usize::from(!had);
    }

    fn get(&self, ch: char) -> Option<(f32, f32)> {
        match self.bmp.get(ch as usize) {
            Some(&a) => (a.0 >= 0.0).then_some(a),
            None => self.astral.get(&ch).copied(),
        }
    }

    fn contains(&self, ch: char) -> bool {
        self.get(ch).is_some()
    }

    fn len(&self) -> usize {
        self.len
    }
}

impl Fonts {
    /// Loads the shipped faces from `dir`, naming the file that is missing or broken.
    pub fn load(dir: &Path) -> Result<Fonts> {
        let (regular, bold) = (load_face(&dir.join(REGULAR_FILE))?, load_face(&dir.join(BOLD_FILE))?);
        let fonts = Fonts::from_faces(regular, bold, dir);
        if let Some(p) = fonts.use_chain(None).first() {
            anyhow::bail!("{p}");
        }
        Ok(fonts)
    }

    /// Sets the fallback chain site.toml asks for, or, when it names none, the
    /// shipped fallback if the fonts folder holds it.
    pub(crate) fn use_chain(&self, configured: Option<&[String]>) -> Vec<Problem> {
        match configured {
            Some(chain) => self.set_fallbacks(chain),
            None if self.dir.join(DEFAULT_FALLBACK).exists() => self.set_fallbacks(&[DEFAULT_FALLBACK.to_string()]),
            None => Vec::new(),
        }
    }

    /// Sets the fallback chain to the named files of the fonts folder, reusing
    /// faces already read. A file that is missing or unreadable is a problem
    /// and is left out of the chain.
    pub(crate) fn set_fallbacks(&self, names: &[String]) -> Vec<Problem> {
        let current = self.fallbacks.reading().clone();
        if current.iter().map(|f| &f.name).eq(names.iter()) {
            return Vec::new();
        }
        let mut problems = Vec::new();
        let mut chain = Vec::new();
        for name in names {
            if let Some(f) = current.iter().find(|f| &f.name == name) {
                chain.push(f.clone());
                continue;
            }
            // Only plain file names: the chain never reaches outside the fonts folder.
            let plain = Path::new(name).file_name().is_some_and(|f| f == name.as_str());
            let read = if plain { Fallback::read(&self.dir.join(name)) } else { Err("not a plain file name".into()) };
            match read {
                Ok(f) => chain.push(Arc::new(f)),
                Err(err) => problems.push(
                    Problem::new(
                        "site.toml",
                        format!("备用字体“{name}”无法读取（{err}）"),
                        format!("fallback font {name:?} cannot be read ({err})"),
                    )
                    .hint(
                        "把字体文件放进 fonts 文件夹，site.toml 里只写文件名",
                        "put the font in the fonts folder and name only the file in site.toml",
                    ),
                ),
            }
        }
        *self.fallbacks.writing() = chain;
        problems
    }

    /// The first fallback that has `ch`.
    fn fallback_for(&self, ch: char) -> Option<Arc<Fallback>> {
        self.fallbacks.reading().iter().find(|f| f.advances.contains_key(&ch)).cloned()
    }

    /// Hands `draw` the face and glyph that draw `ch`: the shipped face of
    /// the weight (the regular one where the bold lacks it), else the first
    /// fallback that has it (fallbacks have no bold), else the shipped
    /// face's empty box.
    pub(crate) fn with_glyph<R>(
        &self,
        ch: char,
        weight: Weight,
        draw: impl FnOnce(&ttf_parser::Face<'_>, GlyphId) -> R,
    ) -> R {
        if !self.advances.contains(ch) {
            if let Some(f) = self.fallback_for(ch) {
                let face = f.face.parsed();
                if let Some(id) = face.glyph_index(ch) {
                    return draw(&face, id);
                }
            }
        }
        let face = self.face(weight).parsed();
        match face.glyph_index(ch) {
            Some(id) => draw(&face, id),
            None if weight == Weight::Bold && self.advances.contains(ch) => {
                let regular = self.regular.parsed();
                let id = regular.glyph_index(ch).unwrap_or(GlyphId(0));
                draw(&regular, id)
            }
            None => draw(&face, GlyphId(0)),
        }
    }

    fn from_faces(regular: Face, bold: Face, dir: &Path) -> Fonts {
        let mut advances = Advances::default();
        let (r, b) = (regular.parsed(), bold.parsed());
        // Advances at 1 px, computed as fontdue computed them (at 1000 px,
        // then divided), so that layout measures exactly as it did.
        let at_1000 = |face: &ttf_parser::Face<'_>| 1000.0 / f32::from(face.units_per_em().max(1));
        let (rs, bs) = (at_1000(&r), at_1000(&b));
        let advance = |face: &ttf_parser::Face<'_>, scale: f32, id: GlyphId| {
            scale * face.glyph_hor_advance(id).map_or(0.0, f32::from) / 1000.0
        };
        if let Some(cmap) = r.tables().cmap {
            for sub in cmap.subtables.into_iter().filter(|s| s.is_unicode()) {
                sub.codepoints(|cp| {
                    let (Some(ch), Some(id)) = (char::from_u32(cp), sub.glyph_index(cp)) else { return };
                    if id.0 == 0 || advances.contains(ch) {
                        return;
                    }
                    let ra = advance(&r, rs, id);
                    let ba = b.glyph_index(ch).filter(|b| b.0 != 0).map_or(ra, |id| advance(&b, bs, id));
                    advances.insert(ch, (ra, ba));
                });
            }
        }
        let (ascent, descent) = (f32::from(r.ascender()) * rs, f32::from(r.descender()) * rs);
        let (ascent, extent) = (ascent / 1000.0, (ascent - descent) / 1000.0);
        Fonts { regular, bold, dir: dir.to_path_buf(), fallbacks: RwLock::new(Vec::new()), advances, ascent, extent }
    }

    /// The face for a weight.
    fn face(&self, weight: Weight) -> &Face {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }

    /// Whether a face of the chain draws `ch` (white space counts as drawn).
    pub fn has(&self, ch: char) -> bool {
        self.advances.contains(ch) || ch.is_whitespace() || self.fallback_for(ch).is_some()
    }

    /// Advance width of `ch` at `size` px.
    pub fn advance(&self, ch: char, size: f32, weight: Weight) -> f32 {
        let (r, b) = match self.advances.get(ch) {
            Some(a) => a,
            None if !ch.is_whitespace() => match self.fallback_for(ch) {
                Some(f) => {
                    let a = f.advances[&ch];
                    (a, a)
                }
                None => (1.0, 1.0),
            },
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

/// Where the fonts are when no folder is given: `fonts/` in the working
/// directory (a checkout), then where a package installs them — beside the
/// executable (`/usr/bin/../share/infotv/fonts`, also for `/usr/local` or
/// `/opt/infotv`) and `/usr/share/infotv/fonts`. A folder given (flag,
/// `INFOTV_FONTS`) is used as it is.
pub fn find(given: Option<&Path>) -> Result<std::path::PathBuf> {
    if let Some(dir) = given {
        return Ok(dir.to_path_buf());
    }
    let mut places = vec![std::path::PathBuf::from("fonts")];
    if let Some(bin) = std::env::current_exe().ok().and_then(|e| e.parent().map(Path::to_path_buf)) {
        places.push(bin.join("../share/infotv/fonts"));
    }
    places.push("/usr/share/infotv/fonts".into());
    match places.iter().find(|p| p.join(REGULAR_FILE).is_file()) {
        Some(found) => Ok(found.clone()),
        None => anyhow::bail!(
            "cannot find the fonts ({REGULAR_FILE}): looked in {}; give the folder with --fonts DIR",
            places.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        ),
    }
}

fn load_face(path: &Path) -> Result<Face> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read font file {}", path.display()))?;
    Face::new(bytes)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("font file {} is not a usable OpenType/TrueType font", path.display()))
}
