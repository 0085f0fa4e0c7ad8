//! Random ids and their text: session ids, tokens, the statistics salt. A
//! leaf, so that the store, the operators' port and metrics need not reach
//! into one another for them.

/// `n` random bytes from the operating system, as lower-case hex.
pub(crate) fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    if getrandom::getrandom(&mut bytes).is_err() {
        // No OS randomness (it never happens on Linux): mix time and address.
        let seed = format!("{:?}{:p}", std::time::SystemTime::now(), &bytes);
        bytes = blake3::hash(seed.as_bytes()).as_bytes()[..n.min(32)].to_vec();
    }
    hex::encode(bytes)
}

/// The `N` bytes written as hex in `text`; `None` when it is not that.
pub(crate) fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

/// Compares two secrets in time that depends only on their lengths, so
/// timing tells an attacker nothing about how much of a guess was right.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    constant_time_eq::constant_time_eq(a.as_bytes(), b.as_bytes())
}

/// HMAC (RFC 2104) over SM3 (GB/T 32905), the 国密 hash the audit chain
/// uses too: what signs the box ids the server issues.
pub(crate) fn hmac_sm3(key: &[u8], message: &[u8]) -> [u8; 32] {
    use sm3::Digest;
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&sm3::Sm3::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| -> [u8; BLOCK] { std::array::from_fn(|i| k[i] ^ byte) };
    let inner = sm3::Sm3::new().chain_update(pad(0x36)).chain_update(message).finalize();
    sm3::Sm3::new().chain_update(pad(0x5c)).chain_update(inner).finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sm3_is_openssls() {
        // Python's hmac.new(key, msg, 'sm3') over OpenSSL's SM3.
        assert_eq!(
            hex::encode(hmac_sm3(b"key", b"The quick brown fox jumps over the lazy dog")),
            "bd4a34077888162b210645b8ebf74b9af357303789357a27c7fc457244ebd398"
        );
        // A key longer than a block is hashed first.
        assert_eq!(
            hex::encode(hmac_sm3(&[7u8; 100], b"x")),
            "5d046001100eecfce3c65a7b3c523597f79ff09d1140ebbbb681b7fc3ac63d53"
        );
    }

    #[test]
    fn ids_are_random_hex_and_read_back() {
        let a = random_hex(16);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_ne!(a, random_hex(16));
        let bytes = unhex::<16>(&a).unwrap();
        assert_eq!(hex::encode(bytes), a);
        assert_eq!(unhex::<2>("zz00"), None);
        assert_eq!(unhex::<2>("00"), None);
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd") && !same_secret("abc", "ab"));
    }
}
