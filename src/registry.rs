//! The registry of known boxes: the middleware serials of the cable
//! company's subscriber system (site.toml `[interaction] boxes =
//! "boxes.csv"`), whose answers are taken under their serial. Only hashes
//! of the serials are kept.

use std::collections::HashSet;

/// The boxes of the cable company's subscriber system (site.toml
/// `[interaction] boxes = "boxes.csv"`): their middleware serials, kept
/// only as hashes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Registry {
    serials: HashSet<[u8; 16]>,
}

impl Registry {
    /// The serials in the first column of `text` (a CSV, header or not).
    pub fn parse(text: &str) -> Registry {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
        let serials =
            reader.records().filter_map(Result::ok).filter_map(|r| r.get(0).map(serial_hash)).flatten().collect();
        Registry { serials }
    }

    pub fn len(&self) -> usize {
        self.serials.len()
    }

    pub fn is_empty(&self) -> bool {
        self.serials.is_empty()
    }

    pub fn knows(&self, serial: &str) -> bool {
        serial_hash(serial).is_some_and(|h| self.serials.contains(&h))
    }

    /// A digest of the whole registry (for the generation's id).
    pub fn digest(&self) -> String {
        let mut all: Vec<&[u8; 16]> = self.serials.iter().collect();
        all.sort();
        let mut h = blake3::Hasher::new();
        for s in all {
            h.update(s);
        }
        h.finalize().to_hex()[..16].to_string()
    }
}

/// A serial as the registry keeps it: trimmed, upper case, hashed; `None`
/// for an empty one.
fn serial_hash(serial: &str) -> Option<[u8; 16]> {
    let s = serial.trim().trim_matches('"').trim().to_ascii_uppercase();
    if s.is_empty() || s.len() > 128 || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    let mut out = [0u8; 16];
    out.copy_from_slice(&blake3::hash(s.as_bytes()).as_bytes()[..16]);
    Some(out)
}
