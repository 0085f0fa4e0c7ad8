//! What `.docx`, `.xlsx` and `.ods` have in common: a zip of XML parts,
//! each read whole under one size limit, and attributes looked up by their
//! local name (whatever namespace prefix the writing program used).

use std::io::{Cursor, Read};

use std::borrow::Cow;

use quick_xml::events::{BytesRef, BytesStart, Event};

/// Parts larger than this are refused: a zip bomb must not exhaust memory.
pub const MAX_PART: u64 = 32 << 20;

pub type Zip<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

/// The part `name`, or `None` when the package has none; an error naming
/// the part when it is too large or cannot be read.
pub fn part(zip: &mut Zip, name: &str) -> Result<Option<Vec<u8>>, String> {
    let file = match zip.by_name(name) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(format!("{name}: {e}")),
    };
    if file.size() > MAX_PART {
        return Err(format!("{name} is larger than {} MB", MAX_PART >> 20));
    }
    let mut out = Vec::new();
    file.take(MAX_PART).read_to_end(&mut out).map_err(|e| format!("{name}: {e}"))?;
    Ok(Some(out))
}

/// The part `name`, which the package must have.
pub fn required(zip: &mut Zip, name: &str) -> Result<Vec<u8>, String> {
    part(zip, name)?.ok_or_else(|| format!("{name}: {}", zip::result::ZipError::FileNotFound))
}

/// An attribute by its local name, unescaped.
pub(crate) fn attr(e: &BytesStart, local: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .and_then(|a| quick_xml::escape::unescape(&String::from_utf8_lossy(&a.value)).ok().map(|v| v.into_owned()))
}

/// The characters an event adds to an element's text: text itself, or an
/// entity or character reference resolved (quick-xml reports `&amp;` and
/// `&#20013;` as events of their own between the pieces of text).
pub(crate) fn text_piece<'a>(event: &Event<'a>) -> Option<Result<Cow<'a, str>, quick_xml::Error>> {
    match event {
        Event::Text(t) => Some(t.xml_content().map_err(Into::into)),
        Event::GeneralRef(r) => Some(reference(r)),
        _ => None,
    }
}

fn reference<'a>(r: &BytesRef<'a>) -> Result<Cow<'a, str>, quick_xml::Error> {
    if let Some(c) = r.resolve_char_ref()? {
        return Ok(c.to_string().into());
    }
    let name = r.decode()?;
    Ok(match quick_xml::escape::resolve_predefined_entity(&name) {
        Some(text) => text.into(),
        // An entity we do not know stays as written, as a reader would see it.
        None => format!("&{name};").into(),
    })
}
