//! The content-addressed store every generation's bytes live in: pictures,
//! shells, screen texts and graphs, each named by its content hash, in pack
//! files in `data/blobs/`. A render appends only names it has not seen;
//! the server sends bytes from the packs with sendfile(2), the page cache
//! doing the caching, so memory holds an index and never pictures.
//!
//! Packs, not a file a blob: creating a file costs 0.4–0.7 ms on this
//! machine's ext4 (measured; profiled, a third of a cold render went to
//! the kernel finding free inodes), appending 0.02 ms.
//!
//! - `pack-NNNNNN.dat`: blobs back to back, only ever appended to.
//! - `pack-NNNNNN.idx`: a line `name offset length` per blob, appended only
//!   after the blob's bytes are flushed to the disk (`sync`), so after a
//!   crash a line names whole bytes; a torn last line is ignored. Bytes a
//!   crash left without a line are dead space until compaction.
//!
//! Invariant: bytes once named never change (packs are appended to, and
//! rewritten only into new packs), so a mapping of them stays valid and a
//! name read once is the same bytes for ever. A manifest saved beside the
//! store names only blobs that were flushed before it (`sync`).
//!
//! Without a data folder (one-off renders, tests of the stages) the store
//! is a map in memory with the same interface.

use std::collections::HashSet;

use hashbrown::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::sync::{Locked, RwLocked};

/// A file held open to send from: it stays readable when it is removed or
/// another is renamed over it. Its bytes, once there, never change.
#[derive(Debug)]
pub struct SavedFile {
    file: std::fs::File,
}

impl SavedFile {
    /// A file that grows but whose bytes never change (a pack of blobs).
    pub(crate) fn append_only(file: std::fs::File) -> SavedFile {
        SavedFile { file }
    }

    /// The descriptor to send from.
    pub(crate) fn fd(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsRawFd;
        self.file.as_raw_fd()
    }
}

/// Where an answer's bytes lie in an open file.
#[derive(Debug, Clone)]
pub struct SavedAt {
    pub file: Arc<SavedFile>,
    pub offset: u64,
}

/// The folder's name in the data folder.
pub const DIR: &str = "blobs";
/// A pack is closed and a new one begun past this size.
const PACK_BYTES: u64 = 512 << 20;

/// The store: packs in a folder, or memory.
pub struct Blobs {
    place: Place,
}

enum Place {
    Memory(Mutex<HashMap<String, Bytes>>),
    Disk(Packs),
}

struct Packs {
    dir: PathBuf,
    index: RwLock<HashMap<Key, Loc>>,
    packs: RwLock<HashMap<u32, Arc<Pack>>>,
    /// The pack being appended to, and the index lines not yet written;
    /// none when the store was opened to read only.
    writing: Option<Mutex<Writing>>,
    opened: Instant,
}

/// Where a blob lies, and when it was put (ms since the store was opened;
/// 0 for blobs found on disk). 24 bytes: no blob nears 4 GB.
#[derive(Clone, Copy)]
struct Loc {
    offset: u64,
    put: u64,
    pack: u32,
    len: u32,
}

/// A blob's name as the index holds it: `{20 hex}.{ext}`, every name infotv
/// makes, packed into 16 bytes (the hash's bytes, the extension's length
/// and letters), any other name as it is. A county's store indexes some
/// 160,000 blobs, and a heap string a name was 5 MB of the server's memory.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Packed([u8; 16]),
    Other(Box<str>),
}

impl Key {
    fn of(name: &str) -> Key {
        Key::packed(name).map_or_else(|| Key::Other(name.into()), Key::Packed)
    }

    /// Only lower-case hex is packed, so a packed key names one name.
    fn packed(name: &str) -> Option<[u8; 16]> {
        let (hash, ext) = name.split_once('.')?;
        if hash.len() != 20 || hash.bytes().any(|b| b.is_ascii_uppercase()) {
            return None;
        }
        if ext.is_empty() || ext.len() > 5 || ext.contains('.') {
            return None;
        }
        let mut key = [0u8; 16];
        hex::decode_to_slice(hash, &mut key[..10]).ok()?;
        key[10] = ext.len() as u8;
        key[11..11 + ext.len()].copy_from_slice(ext.as_bytes());
        Some(key)
    }

    fn name(&self) -> String {
        match self {
            Key::Packed(key) => {
                let ext = &key[11..11 + usize::from(key[10])];
                format!("{}.{}", hex::encode(&key[..10]), String::from_utf8_lossy(ext))
            }
            Key::Other(name) => name.to_string(),
        }
    }
}

/// One pack file, open for reading and mapped as far as it was read.
struct Pack {
    file: Arc<SavedFile>,
    map: RwLock<Option<Arc<memmap2::Mmap>>>,
    raw: std::fs::File,
}

const PAGE: u64 = 4096;
/// The bytes sendfile(2) moves in one pass: the kernel's pipe of 16 pages.
const SPLICE_PASS: u64 = 16 * PAGE;

/// Where a blob of `len` bytes goes in a pack that ends at `end`: right
/// there, unless from there it would span more pages than sendfile(2)
/// moves in one pass; then at the next page boundary, as a file of its own
/// would lie. Measured on loopback (Linux 6.18), a 66 KB picture starting
/// mid-page went out at a quarter of the rate of the same picture starting
/// on a page, for nginx as for infotv; a picture within one pass is sent
/// as fast wherever it starts, so small blobs stay packed tight.
fn start_for(end: u64, len: u64) -> u64 {
    if end % PAGE + len <= SPLICE_PASS {
        end
    } else {
        end.next_multiple_of(PAGE)
    }
}

struct Writing {
    number: u32,
    file: std::fs::File,
    len: u64,
    /// Index lines of blobs appended but not yet flushed, per pack.
    unsynced: Vec<(u32, String)>,
    /// A write failed since the last `settle` (a full disk).
    failed: Option<String>,
}

impl Writing {
    /// Appends `bytes` where a blob of their length starts (see
    /// [`start_for`]), after padding up to there, and says where that is.
    /// Padding is named by no index line, and neither is whatever part of a
    /// failed write went in: dead space, the pack going on after it.
    fn append(&mut self, bytes: &[u8]) -> std::io::Result<u64> {
        let start = start_for(self.len, bytes.len() as u64);
        let pad = [0u8; PAGE as usize];
        let written =
            self.file.write_all(&pad[..(start - self.len) as usize]).and_then(|()| self.file.write_all(bytes));
        match written {
            Ok(()) => {
                self.len = start + bytes.len() as u64;
                Ok(start)
            }
            Err(e) => {
                self.len = self.file.metadata().map_or(self.len, |m| m.len());
                Err(e)
            }
        }
    }
}

/// A blob's bytes to send, and where they lie in a file (for sendfile).
pub struct Blob {
    pub bytes: Bytes,
    pub at: Option<SavedAt>,
}

impl std::fmt::Debug for Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.place {
            Place::Memory(m) => write!(f, "Blobs(memory, {})", m.locked().len()),
            Place::Disk(p) => write!(f, "Blobs({})", p.dir.display()),
        }
    }
}

impl Default for Blobs {
    fn default() -> Blobs {
        Blobs::in_memory()
    }
}

/// A name that is a hash and an extension: nothing else is ever stored.
fn plain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

fn pack_path(dir: &Path, number: u32, ext: &str) -> PathBuf {
    dir.join(format!("pack-{number:06}.{ext}"))
}

impl Pack {
    fn open(path: &Path) -> std::io::Result<Pack> {
        let raw = std::fs::File::open(path)?;
        let file = Arc::new(SavedFile::append_only(raw.try_clone()?));
        Ok(Pack { file, map: RwLock::new(None), raw })
    }

    /// A mapping that covers `end`, made again when the pack grew past
    /// the last one.
    fn mapped(&self, end: u64) -> Option<Arc<memmap2::Mmap>> {
        if let Some(m) = self.map.reading().as_ref().filter(|m| m.len() as u64 >= end) {
            return Some(m.clone());
        }
        let m = Arc::new(map(&self.raw)?);
        if (m.len() as u64) < end {
            return None;
        }
        *self.map.writing() = Some(m.clone());
        Some(m)
    }
}

/// A slice of a mapping, owning it.
struct Slice(Arc<memmap2::Mmap>, std::ops::Range<usize>);

impl AsRef<[u8]> for Slice {
    fn as_ref(&self) -> &[u8] {
        &self.0[self.1.clone()]
    }
}

impl Blobs {
    pub(crate) fn in_memory() -> Blobs {
        Blobs { place: Place::Memory(Mutex::new(HashMap::new())) }
    }

    /// The store in `dir`, created when missing: its index read from the
    /// packs' index files.
    pub fn open(dir: &Path) -> std::io::Result<Blobs> {
        std::fs::create_dir_all(dir)?;
        Blobs::open_packs(dir, true)
    }

    /// The store in `dir` as it is now, to read beside the server that
    /// writes it (a backup): nothing is created or appended. Every pack is
    /// held open from here on, so a blob indexed now stays readable even if
    /// the server compacts its pack away meanwhile.
    pub(crate) fn open_read_only(dir: &Path) -> std::io::Result<Blobs> {
        Blobs::open_packs(dir, false)
    }

    fn open_packs(dir: &Path, write: bool) -> std::io::Result<Blobs> {
        let mut numbers: Vec<u32> = std::fs::read_dir(dir)?
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.strip_prefix("pack-")?.strip_suffix(".dat")?.parse().ok()
            })
            .collect();
        numbers.sort_unstable();
        let mut index = HashMap::new();
        let mut packs = HashMap::new();
        for &n in &numbers {
            let pack = Pack::open(&pack_path(dir, n, "dat"))?;
            let size = pack.raw.metadata()?.len();
            let lines = std::fs::read_to_string(pack_path(dir, n, "idx")).unwrap_or_default();
            for line in lines.lines() {
                let mut parts = line.split(' ');
                let (Some(name), Some(offset), Some(len)) = (parts.next(), parts.next(), parts.next()) else {
                    continue;
                };
                let (Ok(offset), Ok(len)) = (offset.parse::<u64>(), len.parse::<u32>()) else { continue };
                if plain(name) && offset.checked_add(u64::from(len)).is_some_and(|end| end <= size) {
                    index.insert(Key::of(name), Loc { pack: n, offset, len, put: 0 });
                }
            }
            packs.insert(n, Arc::new(pack));
        }
        let mut writing = None;
        if write {
            let number = numbers.last().copied().unwrap_or(1);
            let (file, len) = open_for_append(dir, number)?;
            if let hashbrown::hash_map::Entry::Vacant(e) = packs.entry(number) {
                e.insert(Arc::new(Pack::open(&pack_path(dir, number, "dat"))?));
            }
            writing = Some(Mutex::new(Writing { number, file, len, unsynced: Vec::new(), failed: None }));
        }
        Ok(Blobs {
            place: Place::Disk(Packs {
                dir: dir.to_path_buf(),
                index: RwLock::new(index),
                packs: RwLock::new(packs),
                writing,
                opened: Instant::now(),
            }),
        })
    }

    pub fn has(&self, name: &str) -> bool {
        match &self.place {
            Place::Memory(m) => m.locked().contains_key(name),
            Place::Disk(p) => p.index.reading().contains_key(&Key::of(name)),
        }
    }

    /// Stores `bytes` as `name` (a hash of them), unless it is there. A
    /// failed write on disk (a full disk) is told by [`Blobs::settle`].
    pub fn put(&self, name: &str, bytes: &Bytes) -> std::io::Result<()> {
        if !plain(name) || bytes.is_empty() || u32::try_from(bytes.len()).is_err() {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("not a blob: {name}")));
        }
        match &self.place {
            Place::Memory(m) => {
                m.locked().entry(name.to_string()).or_insert_with(|| bytes.clone());
                Ok(())
            }
            Place::Disk(p) => {
                let key = Key::of(name);
                if p.index.reading().contains_key(&key) {
                    return Ok(());
                }
                let Some(writing) = &p.writing else {
                    return Err(std::io::Error::new(std::io::ErrorKind::ReadOnlyFilesystem, "blobs opened to read"));
                };
                let mut w = writing.locked();
                if p.index.reading().contains_key(&key) {
                    return Ok(());
                }
                if w.len >= PACK_BYTES {
                    p.next_pack(&mut w)?;
                }
                let offset = match w.append(bytes) {
                    Ok(offset) => offset,
                    Err(e) => {
                        w.failed.get_or_insert_with(|| format!("{name}: {e}"));
                        return Err(e);
                    }
                };
                let number = w.number;
                w.unsynced.push((number, format!("{name} {offset} {}\n", bytes.len())));
                let put = p.opened.elapsed().as_millis() as u64;
                p.index.writing().insert(key, Loc { pack: number, offset, len: bytes.len() as u32, put });
                Ok(())
            }
        }
    }

    /// Says whether every blob put so far was stored: the first that could
    /// not be (a full disk) is the error.
    pub fn settle(&self) -> std::io::Result<()> {
        let Place::Disk(Packs { writing: Some(writing), .. }) = &self.place else { return Ok(()) };
        match writing.locked().failed.take() {
            Some(why) => Err(std::io::Error::other(why)),
            None => Ok(()),
        }
    }

    /// The bytes of `name` to send: from memory, or a slice of its pack
    /// mapped (its pages are read only if the body is not sent with
    /// sendfile).
    pub fn get(&self, name: &str) -> Option<Blob> {
        match &self.place {
            Place::Memory(m) => m.locked().get(name).map(|b| Blob { bytes: b.clone(), at: None }),
            Place::Disk(p) => {
                let loc = *p.index.reading().get(&Key::of(name))?;
                let pack = p.packs.reading().get(&loc.pack)?.clone();
                let end = loc.offset + u64::from(loc.len);
                let map = pack.mapped(end)?;
                let bytes = Bytes::from_owner(Slice(map, loc.offset as usize..end as usize));
                Some(Blob { bytes, at: Some(SavedAt { file: pack.file.clone(), offset: loc.offset }) })
            }
        }
    }

    /// The length of `name`'s bytes, from the index: nothing is read.
    pub fn len(&self, name: &str) -> Option<u64> {
        match &self.place {
            Place::Memory(m) => m.locked().get(name).map(|b| b.len() as u64),
            Place::Disk(p) => p.index.reading().get(&Key::of(name)).map(|loc| u64::from(loc.len)),
        }
    }

    /// The bytes of `name`, copied out of their pack: for what is read
    /// once (the saved generation's buckets, an export), so that no mapping
    /// keeps those pages in the server's resident memory afterwards.
    pub fn read(&self, name: &str) -> Option<Bytes> {
        match &self.place {
            Place::Memory(m) => m.locked().get(name).cloned(),
            Place::Disk(p) => {
                let loc = *p.index.reading().get(&Key::of(name))?;
                let pack = p.packs.reading().get(&loc.pack)?.clone();
                let mut bytes = vec![0; usize::try_from(loc.len).ok()?];
                std::os::unix::fs::FileExt::read_exact_at(&pack.raw, &mut bytes, loc.offset).ok()?;
                Some(bytes.into())
            }
        }
    }

    /// Flushes every blob put so far to the disk, then their index lines.
    pub fn sync(&self) -> std::io::Result<()> {
        let Place::Disk(p @ Packs { writing: Some(writing), .. }) = &self.place else { return Ok(()) };
        if let Some(why) = writing.locked().failed.take() {
            return Err(std::io::Error::other(why));
        }
        p.sync_all()
    }

    /// Compacts the store when more of it is dead than alive: the blobs
    /// `keep` names and those put in the last `age` (a render under way, a
    /// preview) are copied into a new pack, and the old packs removed.
    /// Returns how many blobs went.
    pub(crate) fn sweep(&self, keep: &HashSet<&str>, age: Duration) -> usize {
        let Place::Disk(p) = &self.place else { return 0 };
        match p.compact(keep, age) {
            Ok(gone) => gone,
            Err(e) => {
                tracing::warn!("compacting the blobs failed, they stay as they are: {e}");
                0
            }
        }
    }
}

impl Packs {
    /// Closes the pack being written (its index lines go with the next
    /// `sync`) and begins the next.
    fn next_pack(&self, w: &mut Writing) -> std::io::Result<()> {
        w.file.sync_data()?;
        let number = w.number + 1;
        let (file, len) = open_for_append(&self.dir, number)?;
        self.packs.writing().insert(number, Arc::new(Pack::open(&pack_path(&self.dir, number, "dat"))?));
        (w.number, w.file, w.len) = (number, file, len);
        Ok(())
    }

    fn compact(&self, keep: &HashSet<&str>, age: Duration) -> std::io::Result<usize> {
        let Some(writing) = &self.writing else { return Ok(0) };
        let mut w = writing.locked();
        let now = self.opened.elapsed().as_millis() as u64;
        let young = |l: &Loc| l.put + age.as_millis() as u64 > now;
        let keep: HashSet<Key> = keep.iter().map(|n| Key::of(n)).collect();
        let (live, total): (u64, u64) = {
            let index = self.index.reading();
            let live = index.iter().filter(|(n, l)| keep.contains(n) || young(l)).map(|(_, l)| u64::from(l.len));
            (live.sum(), self.packs.reading().values().filter_map(|p| p.raw.metadata().ok()).map(|m| m.len()).sum())
        };
        if total < 64 << 20 || total < 2 * live {
            return Ok(0);
        }
        // The writer is held throughout, so no blob is put (and indexed)
        // while the index is rebuilt. Everything written so far is flushed
        // and indexed first, so the old packs hold nothing the new ones lack.
        self.sync_locked(&mut w)?;
        let old: Vec<u32> = self.packs.reading().keys().copied().collect();
        self.next_pack(&mut w)?;
        let entries: Vec<(Key, Loc)> = self.index.reading().iter().map(|(n, l)| (n.clone(), *l)).collect();
        let mut gone = 0;
        let mut moved = HashMap::new();
        for (key, loc) in entries {
            if !(keep.contains(&key) || young(&loc)) {
                gone += 1;
                continue;
            }
            let pack = self.packs.reading().get(&loc.pack).cloned();
            let map = pack
                .and_then(|p| p.mapped(loc.offset + u64::from(loc.len)))
                .ok_or_else(|| std::io::Error::other("unreadable pack"))?;
            if w.len >= PACK_BYTES {
                self.next_pack(&mut w)?;
            }
            let offset = w.append(&map[loc.offset as usize..(loc.offset + u64::from(loc.len)) as usize])?;
            let number = w.number;
            w.unsynced.push((number, format!("{} {offset} {}\n", key.name(), loc.len)));
            moved.insert(key, Loc { pack: number, offset, ..loc });
        }
        self.sync_locked(&mut w)?;
        *self.index.writing() = moved;
        // Answers under way hold their pack open: removing it is safe.
        for n in old {
            self.packs.writing().remove(&n);
            let _ = std::fs::remove_file(pack_path(&self.dir, n, "dat"));
            let _ = std::fs::remove_file(pack_path(&self.dir, n, "idx"));
        }
        Ok(gone)
    }

    /// Flushes the pack being written, then writes and flushes the index
    /// lines of what it holds.
    fn sync_all(&self) -> std::io::Result<()> {
        let Some(writing) = &self.writing else { return Ok(()) };
        let mut w = writing.locked();
        self.sync_locked(&mut w)
    }

    fn sync_locked(&self, w: &mut Writing) -> std::io::Result<()> {
        w.file.sync_data()?;
        let unsynced = std::mem::take(&mut w.unsynced);
        let mut by_pack: HashMap<u32, String> = HashMap::new();
        for (n, line) in &unsynced {
            by_pack.entry(*n).or_default().push_str(line);
        }
        let written = (|| {
            for (n, lines) in &by_pack {
                let path = pack_path(&self.dir, *n, "idx");
                let mut idx = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
                idx.write_all(lines.as_bytes())?;
                idx.sync_data()?;
            }
            std::fs::File::open(&self.dir)?.sync_all()
        })();
        if written.is_err() {
            // Written again next time (a line twice is harmless).
            w.unsynced = unsynced;
        }
        written
    }
}

/// The pack `number` opened to append to, and its length.
fn open_for_append(dir: &Path, number: u32) -> std::io::Result<(std::fs::File, u64)> {
    let file = std::fs::OpenOptions::new().create(true).append(true).open(pack_path(dir, number, "dat"))?;
    let len = file.metadata()?.len();
    Ok((file, len))
}

/// Maps `file` for reading.
#[allow(unsafe_code)] // A mapping is sound while the file is not truncated.
fn map(file: &std::fs::File) -> Option<memmap2::Mmap> {
    // SAFETY: packs are only ever appended to, never truncated or written
    // in place (module invariant); removing one leaves the mapping valid.
    unsafe { memmap2::Mmap::map(file) }.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_keys_give_back_the_name_they_were_made_of() {
        for name in ["0000b910c89a2d64a7b1.png", "6f9faed7710123456789.html", "ffffffffffffffffffff.jpg"] {
            assert!(matches!(Key::of(name), Key::Packed(_)), "{name} is packed");
            assert_eq!(Key::of(name).name(), name);
        }
        // Anything else is kept as it is: upper-case hex (it would pack to
        // the lower-case name's key), other lengths, long extensions.
        for name in [
            "0000B910C89A2D64A7B1.png",
            "abc.png",
            "0000b910c89a2d64a7b1.tar.gz",
            "0000b910c89a2d64a7b1.jsonld",
            "0000b910c89a2d64a7b1.",
        ] {
            assert!(matches!(Key::of(name), Key::Other(_)), "{name} is not packed");
            assert_eq!(Key::of(name).name(), name);
        }
        assert_ne!(Key::of("0000b910c89a2d64a7b1.png"), Key::of("0000b910c89a2d64a7b1.jpg"));
        assert_ne!(Key::of("0000b910c89a2d64a7b1.png"), Key::of("0000b910c89a2d64a7b2.png"));
    }

    #[test]
    fn blobs_are_appended_once_read_back_after_a_reopen_and_compacted() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path()).unwrap();
        blobs.put("abc.png", &Bytes::from_static(b"picture")).unwrap();
        blobs.put("abc.png", &Bytes::from_static(b"other")).unwrap();
        assert_eq!(&blobs.get("abc.png").unwrap().bytes[..], b"picture", "a name is stored once");
        assert!(blobs.get("../abc.png").is_none() && blobs.put("../x", &Bytes::from_static(b"x")).is_err());
        blobs.put("unsynced.png", &Bytes::from_static(b"lost")).unwrap();
        // Only what was flushed is indexed on disk.
        blobs.sync().unwrap();
        blobs.put("late.png", &Bytes::from_static(b"late")).unwrap();
        let again = Blobs::open(dir.path()).unwrap();
        assert!(again.has("abc.png") && again.has("unsynced.png") && !again.has("late.png"));
        assert_eq!(&again.read("abc.png").unwrap()[..], b"picture");
        // A torn index line is ignored.
        let idx = pack_path(dir.path(), 1, "idx");
        let mut lines = std::fs::read_to_string(&idx).unwrap();
        lines.push_str("torn.png 9999");
        std::fs::write(&idx, lines).unwrap();
        let again = Blobs::open(dir.path()).unwrap();
        assert!(!again.has("torn.png") && again.has("abc.png"));

        // Compaction: dead bytes over live ones go, kept ones stay readable.
        let big = Bytes::from(vec![7u8; 70 << 20]);
        again.put("dead.bin", &big).unwrap();
        again.sync().unwrap();
        assert_eq!(again.sweep(&HashSet::from(["abc.png"]), Duration::from_secs(3600)), 0, "young blobs stay");
        assert_eq!(again.sweep(&HashSet::from(["abc.png"]), Duration::ZERO), 2);
        assert!(again.has("abc.png") && !again.has("dead.bin"));
        assert_eq!(&again.read("abc.png").unwrap()[..], b"picture");
        let sizes: u64 = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum();
        assert!(sizes < 1 << 20, "{sizes}");
        let reopened = Blobs::open(dir.path()).unwrap();
        assert_eq!(&reopened.read("abc.png").unwrap()[..], b"picture");
        assert!(!reopened.has("dead.bin"));
    }

    #[test]
    fn a_blob_longer_than_a_sendfile_pass_from_where_it_would_start_starts_on_a_page() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path()).unwrap();
        let blob =
            |len: usize, seed: u8| Bytes::from((0..len).map(|i| (i as u8).wrapping_mul(31) ^ seed).collect::<Vec<_>>());
        let cases = [
            ("a.png", blob(100, 1)),     // at 0
            ("b.png", blob(60_000, 2)),  // at 100: 100 + 60,000 fits one pass
            ("c.png", blob(66_000, 3)),  // at 60,100: longer than a pass, to 61,440
            ("d.png", blob(3, 4)),       // right after c
            ("e.png", blob(65_536, 5)),  // at 127,443, mid-page: to 131,072
            ("f.png", blob(200_000, 6)), // right after e, on a page already
        ];
        for (name, bytes) in &cases {
            blobs.put(name, bytes).unwrap();
        }
        blobs.sync().unwrap();
        let at = |name: &str| blobs.get(name).unwrap().at.unwrap().offset;
        let starts: Vec<u64> = cases.iter().map(|(name, _)| at(name)).collect();
        assert_eq!(starts, [0, 100, 61_440, 127_440, 131_072, 196_608]);
        // Everything reads back whole, here and after a reopen: the padding
        // between blobs is named by no index line.
        let again = Blobs::open(dir.path()).unwrap();
        for (name, bytes) in &cases {
            assert_eq!(&blobs.get(name).unwrap().bytes, bytes, "{name}");
            assert_eq!(&again.read(name).unwrap(), bytes, "{name} after a reopen");
        }
        // Compaction (dead bytes outweigh live ones) keeps the rule: the
        // kept long blob lands on a page wherever its turn comes.
        again.put("dead.bin", &Bytes::from(vec![7u8; 70 << 20])).unwrap();
        again.sync().unwrap();
        assert_eq!(again.sweep(&HashSet::from(["d.png", "c.png"]), Duration::ZERO), 5);
        assert!(again.has("c.png") && !again.has("f.png"));
        assert_eq!(again.get("c.png").unwrap().at.unwrap().offset % PAGE, 0);
        assert_eq!(&again.read("c.png").unwrap(), &cases[2].1);
    }
}
