//! A zlib stream written straight from runs of equal bytes.
//!
//! A screen's PNG rows are palette indices that the quantiser has already
//! found as runs. A general compressor would scan those bytes again looking
//! for matches; here each run becomes one literal and matches at distance 1
//! (what zlib's RLE strategy finds), coded with Huffman codes fitted to this
//! part of the picture in dynamic blocks, and the Adler-32 is summed run by
//! run. The cost is a few operations a run instead of a search a byte. What
//! it gives up are matches farther back (a glyph drawn twice): on the
//! county channel pictures came out 5.5 % bigger than zlib-rs's level 2
//! made them, and the whole render took 0.78–0.83 of its time.

use std::cell::RefCell;

/// Lengths of matches: the base of each of the 29 length codes (257–285)
/// and its number of extra bits (RFC 1951, 3.2.5).
const LENGTH_BASE: [u16; 29] =
    [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA: [u8; 29] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];

/// The length code (0–28, for symbols 257–285) of each match length 3–258.
const LENGTH_CODE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut code = 0;
    let mut len = 3;
    while len <= 258 {
        while code + 1 < 29 && LENGTH_BASE[code + 1] as usize <= len {
            code += 1;
        }
        table[len - 3] = code as u8;
        len += 1;
    }
    table
};

/// The order in which code-length code lengths are sent.
const CODE_LENGTH_ORDER: [usize; 19] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

const END_OF_BLOCK: usize = 256;
/// Literals and lengths: 0–255 bytes, 256 the end, 257–285 lengths.
const SYMBOLS: usize = 286;
const MODULUS: u64 = 65_521;
/// Symbols a block: each block has codes fitted to its part of the screen
/// (a header band, text, a table). On the county channel one block for a
/// whole picture made PNGs 4 % bigger than blocks of 8192, and blocks of
/// 4096 saved only 0.4 % more for a header a block.
const BLOCK: usize = 8192;

thread_local! {
    /// Symbols of the picture being written: a byte (0–255) or a match
    /// length as 256 + length − 3. A text screen has ~50,000; one buffer per
    /// thread, reused.
    static SYMBOLS_BUF: RefCell<Vec<u16>> = const { RefCell::new(Vec::new()) };
}

/// A zlib stream being built from runs; [`Stream::finish`] writes it.
pub(super) struct Stream {
    symbols: Vec<u16>,
    /// The run not yet turned into symbols: equal neighbours merge first.
    pending: (u8, usize),
    adler: (u64, u64),
    len: usize,
}

impl Stream {
    pub(super) fn new() -> Stream {
        let mut symbols = SYMBOLS_BUF.with(|b| std::mem::take(&mut *b.borrow_mut()));
        symbols.clear();
        Stream { symbols, pending: (0, 0), adler: (1, 0), len: 0 }
    }

    /// `count` more bytes of `value`.
    pub(super) fn push(&mut self, value: u8, count: usize) {
        if count == 0 {
            return;
        }
        if self.pending.1 > 0 && self.pending.0 == value {
            self.pending.1 += count;
            return;
        }
        self.flush_run();
        self.pending = (value, count);
    }

    /// The bytes pushed so far.
    pub(super) fn len(&self) -> usize {
        self.len + self.pending.1
    }

    fn flush_run(&mut self) {
        let (value, count) = self.pending;
        if count == 0 {
            return;
        }
        self.pending.1 = 0;
        self.len += count;
        // Adler-32 of `count` bytes of `value` at once: each byte adds
        // `value` to a, and b adds a after each byte. The sums are reduced
        // only when they grow large: most runs are a single byte.
        let (mut a, mut b) = self.adler;
        let (n, v) = (count as u64, u64::from(value));
        if count == 1 {
            a += v;
            b += a;
        } else {
            b += n * a + v * (n * (n + 1) / 2);
            a += v * n;
        }
        // Bounds that keep the next run's products inside 64 bits: a run
        // is under 2^24 bytes (a row of pixels, or a whole picture).
        if a >= 1 << 32 || b >= 1 << 56 || count >= 1 << 20 {
            (a, b) = (a % MODULUS, b % MODULUS);
        }
        self.adler = (a, b);

        self.literal(value);
        let mut left = count - 1;
        while left >= 3 {
            let len = left.min(258);
            self.symbols.push(256 + (len - 3) as u16);
            left -= len;
        }
        for _ in 0..left {
            self.literal(value);
        }
    }

    fn literal(&mut self, value: u8) {
        self.symbols.push(u16::from(value));
    }

    /// Appends the whole zlib stream to `out`.
    pub(super) fn finish(mut self, out: &mut Vec<u8>) {
        self.flush_run();
        // zlib header: 32 KB window, deflate, fastest (FLEVEL 0).
        out.extend_from_slice(&[0x78, 0x01]);
        let mut bits = Bits { out, acc: 0, n: 0 };
        let mut blocks = self.symbols.chunks(BLOCK).peekable();
        if blocks.peek().is_none() {
            write_block(&mut bits, &[], true);
        }
        while let Some(symbols) = blocks.next() {
            write_block(&mut bits, symbols, blocks.peek().is_none());
        }
        bits.flush();
        let (a, b) = (self.adler.0 % MODULUS, self.adler.1 % MODULUS);
        out.extend_from_slice(&((b << 16 | a) as u32).to_be_bytes());
        SYMBOLS_BUF.with(|buf| *buf.borrow_mut() = std::mem::take(&mut self.symbols));
    }
}

/// Each symbol's place in the literal/length alphabet: bytes are
/// themselves, match lengths (256 + length − 3) their length code.
const ALPHABET: [u16; 512] = {
    let mut table = [0u16; 512];
    let mut s = 0;
    while s < 512 {
        table[s] = if s < 256 { s as u16 } else { 257 + LENGTH_CODE[s - 256] as u16 };
        s += 1;
    }
    table
};

/// One block with Huffman codes fitted to its symbols.
fn write_block(bits: &mut Bits, symbols: &[u16], last: bool) {
    let mut freq = [0u32; SYMBOLS];
    for &s in symbols {
        freq[usize::from(ALPHABET[usize::from(s)])] += 1;
    }
    freq[END_OF_BLOCK] = 1;
    let mut lit_lengths = [0u8; SYMBOLS];
    code_lengths(&freq, 15, &mut lit_lengths);
    let lit_codes = codes(&lit_lengths);
    // One distance is ever used (1, code 0); two codes of one bit make
    // the distance code complete, which every inflater accepts.
    let dist_lengths = [1u8, 1];

    bits.put(u32::from(last), 1);
    bits.put(2, 2); // dynamic Huffman codes
    header(bits, &lit_lengths, &dist_lengths);
    // Every symbol's whole bit string (code; for a match also its extra
    // bits and distance code 0), so each costs one lookup and one put.
    let mut table = [(0u32, 0u8); 512];
    for (s, entry) in table.iter_mut().enumerate() {
        let a = usize::from(ALPHABET[s]);
        let (code, len) = (u32::from(lit_codes[a]), lit_lengths[a]);
        *entry = if s < 256 {
            (code, len)
        } else {
            let (i, extra) = (a - 257, LENGTH_EXTRA[a - 257]);
            let value = (s - 256 + 3 - usize::from(LENGTH_BASE[i])) as u32;
            (code | value << len, len + extra + 1)
        };
    }
    bits.out.reserve(symbols.len() * 3 + 16);
    for &s in symbols {
        let (code, len) = table[usize::from(s)];
        bits.put(code, len);
    }
    bits.put(u32::from(lit_codes[END_OF_BLOCK]), lit_lengths[END_OF_BLOCK]);
}

/// Sends the code lengths of both codes, themselves run-length coded and
/// Huffman coded (RFC 1951, 3.2.7).
fn header(bits: &mut Bits, lit_lengths: &[u8; SYMBOLS], dist_lengths: &[u8]) {
    let hlit = lit_lengths.iter().rposition(|&l| l > 0).map_or(257, |i| i + 1).max(257);
    let all: Vec<u8> = lit_lengths[..hlit].iter().chain(dist_lengths).copied().collect();
    // (symbol 0–18, extra bits value)
    let mut coded: Vec<(u8, u8)> = Vec::with_capacity(all.len());
    let mut i = 0;
    while i < all.len() {
        let value = all[i];
        let run = all[i..].iter().take_while(|&&l| l == value).count();
        if value == 0 && run >= 3 {
            let n = run.min(138);
            coded.push(if n >= 11 { (18, (n - 11) as u8) } else { (17, (n - 3) as u8) });
            i += n;
        } else if value != 0 && run >= 4 {
            coded.push((value, 0));
            let n = (run - 1).min(6);
            coded.push((16, (n - 3) as u8));
            i += 1 + n;
        } else {
            coded.push((value, 0));
            i += 1;
        }
    }
    let mut freq = [0u32; 19];
    for &(s, _) in &coded {
        freq[usize::from(s)] += 1;
    }
    let mut cl_lengths = [0u8; 19];
    code_lengths(&freq, 7, &mut cl_lengths);
    let cl_codes = codes(&cl_lengths);
    let hclen = CODE_LENGTH_ORDER.iter().rposition(|&s| cl_lengths[s] > 0).map_or(4, |i| i + 1).max(4);

    bits.put((hlit - 257) as u32, 5);
    bits.put((dist_lengths.len() - 1) as u32, 5);
    bits.put((hclen - 4) as u32, 4);
    for &s in &CODE_LENGTH_ORDER[..hclen] {
        bits.put(u32::from(cl_lengths[s]), 3);
    }
    for (s, extra) in coded {
        let s = usize::from(s);
        bits.put(u32::from(cl_codes[s]), cl_lengths[s]);
        match s {
            16 => bits.put(u32::from(extra), 2),
            17 => bits.put(u32::from(extra), 3),
            18 => bits.put(u32::from(extra), 7),
            _ => {}
        }
    }
}

/// Huffman code lengths for `freq`, none longer than `limit` (which must
/// allow a balanced tree over `freq`: 2^limit ≥ its length). A code with
/// a single symbol gets a partner so it is complete: inflaters refuse an
/// incomplete code for code lengths.
fn code_lengths(freq: &[u32], limit: u8, lengths: &mut [u8]) {
    assert!(freq.len() <= 1 << limit, "{} symbols cannot fit in codes of {limit} bits", freq.len());
    let used: Vec<usize> = (0..freq.len()).filter(|&s| freq[s] > 0).collect();
    lengths.fill(0);
    match used.len() {
        0 => return,
        1 => {
            lengths[used[0]] = 1;
            lengths[if used[0] == 0 { 1 } else { 0 }] = 1;
            return;
        }
        _ => {}
    }
    let mut weights: Vec<u32> = used.iter().map(|&s| freq[s]).collect();
    loop {
        // By weight, then symbol: the same input always gives the same code.
        let mut order: Vec<usize> = (0..used.len()).collect();
        order.sort_unstable_by_key(|&i| (weights[i], used[i]));
        let depths = huffman_depths(&order.iter().map(|&i| weights[i]).collect::<Vec<_>>());
        if depths.iter().all(|&d| d <= limit) {
            for (k, &i) in order.iter().enumerate() {
                lengths[used[i]] = depths[k];
            }
            return;
        }
        // Too deep: flatten the weights and build again. Weights of 1 all
        // round give a balanced tree, so this ends.
        for w in &mut weights {
            *w = w.div_ceil(2);
        }
    }
}

/// Depths of the leaves of a Huffman tree over `sorted` weights (ascending),
/// built with two queues: leaves in order, and joined nodes, which come out
/// in ascending order too.
fn huffman_depths(sorted: &[u32]) -> Vec<u8> {
    let n = sorted.len();
    // Nodes 0..n are leaves, n.. the joined ones; parent of each.
    let mut weight: Vec<u64> = sorted.iter().map(|&w| u64::from(w)).collect();
    let mut parent = vec![0usize; 2 * n - 1];
    let (mut leaf, mut joined) = (0, n);
    for _ in 0..n - 1 {
        let mut pick = || {
            let take_leaf = leaf < n && (joined >= weight.len() || weight[leaf] <= weight[joined]);
            if take_leaf {
                leaf += 1;
                leaf - 1
            } else {
                joined += 1;
                joined - 1
            }
        };
        let (a, b) = (pick(), pick());
        let node = weight.len();
        weight.push(weight[a] + weight[b]);
        parent[a] = node;
        parent[b] = node;
    }
    // The root is the last node; depths flow from parents, made later.
    let mut depth = vec![0u8; 2 * n - 1];
    for node in (0..2 * n - 2).rev() {
        depth[node] = depth[parent[node]] + 1;
    }
    depth.truncate(n);
    depth
}

/// Canonical codes for `lengths` (RFC 1951, 3.2.2), bit-reversed because
/// deflate sends a code's first bit first into a stream filled from the
/// low bit.
fn codes(lengths: &[u8]) -> Vec<u16> {
    let mut count = [0u16; 16];
    for &l in lengths {
        count[usize::from(l)] += 1;
    }
    count[0] = 0;
    let mut next = [0u16; 16];
    let mut code = 0u16;
    for bits in 1..16 {
        code = (code + count[bits - 1]) << 1;
        next[bits] = code;
    }
    lengths
        .iter()
        .map(|&l| {
            if l == 0 {
                return 0;
            }
            let c = next[usize::from(l)];
            next[usize::from(l)] += 1;
            c.reverse_bits() >> (16 - l)
        })
        .collect()
}

/// Bits sent low bit first, as deflate packs them.
struct Bits<'a> {
    out: &'a mut Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits<'_> {
    /// Appends the low `bits` of `value` (at most 32 − 7). Whole bytes go
    /// out at once; fewer than 8 bits stay behind.
    fn put(&mut self, value: u32, bits: u8) {
        self.acc |= u64::from(value) << self.n;
        self.n += u32::from(bits);
        // Eight bytes written, the whole ones kept: no branch on how many.
        let whole = (self.n / 8) as usize;
        let len = self.out.len();
        self.out.extend_from_slice(&self.acc.to_le_bytes());
        self.out.truncate(len + whole);
        self.acc >>= whole * 8;
        self.n -= whole as u32 * 8;
    }

    fn flush(&mut self) {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        (self.acc, self.n) = (0, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inflate(data: &[u8]) -> Vec<u8> {
        let mut back = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::ZlibDecoder::new(data), &mut back).expect("a valid stream");
        back
    }

    fn zlib_of(runs: &[(u8, usize)]) -> (Vec<u8>, Vec<u8>) {
        let mut stream = Stream::new();
        let mut raw = Vec::new();
        for &(v, n) in runs {
            stream.push(v, n);
            raw.extend(std::iter::repeat_n(v, n));
        }
        assert_eq!(stream.len(), raw.len());
        let mut out = Vec::new();
        stream.finish(&mut out);
        (out, raw)
    }

    fn xorshift(state: &mut u32) -> u32 {
        *state ^= *state << 13;
        *state ^= *state >> 17;
        *state ^= *state << 5;
        *state
    }

    #[test]
    fn streams_inflate_to_their_runs() {
        let mut state = 99u32;
        let mut cases: Vec<Vec<(u8, usize)>> = vec![
            vec![(0, 1)],
            vec![(7, 2)],
            vec![(7, 3), (7, 1)],
            vec![(255, 258), (255, 1), (3, 259), (4, 260), (5, 261), (6, 262)],
            vec![(9, 500_000)],
            (0..=255).map(|v| (v, 1)).collect(),
        ];
        for round in 0..300 {
            // Short runs of a few values, long runs, noise: every length
            // code and literal, Huffman codes deep enough to need flattening.
            let values = 1 + xorshift(&mut state) % 256;
            let runs = (0..1 + xorshift(&mut state) % 3000)
                .map(|_| {
                    let r = xorshift(&mut state);
                    let v = (r % values) as u8;
                    let n = match round % 3 {
                        0 => 1 + (r >> 8) as usize % 4,
                        1 => 1 + (r >> 8) as usize % 700,
                        _ => 1usize << ((r >> 8) % 18),
                    };
                    (v, n)
                })
                .collect();
            cases.push(runs);
        }
        // Skewed frequencies, Fibonacci-like: an unlimited Huffman code
        // would be deeper than 15 bits.
        let (mut a, mut b) = (1usize, 1usize);
        let mut fib = Vec::new();
        for v in 0..25u8 {
            for _ in 0..a {
                fib.push((v, 1));
            }
            (a, b) = (b, a + b);
        }
        cases.push(fib);
        for runs in cases {
            let (data, raw) = zlib_of(&runs);
            assert_eq!(inflate(&data), raw, "{} runs", runs.len());
            // And the checksum zlib itself computes.
            let mut check = flate2::Decompress::new(true);
            let mut sink = vec![0u8; raw.len() + 16];
            check.decompress(&data, &mut sink, flate2::FlushDecompress::Finish).expect("checked");
            assert_eq!(check.total_out() as usize, raw.len());
        }
    }

    #[test]
    fn lengths_respect_the_limit_and_make_a_complete_code() {
        let mut state = 5u32;
        for (limit, alphabet) in [(7u8, 19), (15, SYMBOLS)] {
            for _ in 0..200 {
                let n = 4 + xorshift(&mut state) as usize % (alphabet - 3);
                let freq: Vec<u32> =
                    (0..n).map(|i| if i % 3 == 0 { 0 } else { 1 << (xorshift(&mut state) % 24) }).collect();
                let mut lengths = vec![0u8; n];
                code_lengths(&freq, limit, &mut lengths);
                assert!(lengths.iter().all(|&l| l <= limit));
                // Kraft: a complete prefix code sums to exactly one.
                let kraft: f64 = lengths.iter().filter(|&&l| l > 0).map(|&l| 0.5f64.powi(i32::from(l))).sum();
                assert!((kraft - 1.0).abs() < 1e-9, "kraft {kraft} for {freq:?}");
                for (s, &f) in freq.iter().enumerate() {
                    assert_eq!(f > 0, lengths[s] > 0, "symbol {s}");
                }
            }
        }
    }
}
