//! Hex and base64 for keys and ids.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// Lowercase hex of `bytes`.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 0xf)] as char);
    }
    out
}

/// Exactly `N` bytes from hex (either case), or `None`.
pub(crate) fn from_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let text = text.as_bytes();
    if text.len() != N * 2 {
        return None;
    }
    let mut out = [0; N];
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        *byte = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(out)
}

/// Standard (padded, `+/`) base64 of `bytes`, as Scuttlebutt uses it.
pub(crate) fn to_base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Exactly `N` bytes from standard base64, or `None`.
pub(crate) fn from_base64<const N: usize>(text: &str) -> Option<[u8; N]> {
    let mut decoded = STANDARD.decode(text).ok()?;
    let out = <[u8; N]>::try_from(decoded.as_slice()).ok();
    // The decoded bytes may be a secret key: leave no copy behind on the heap.
    zeroize::Zeroize::zeroize(decoded.as_mut_slice());
    out
}
