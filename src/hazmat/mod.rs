//! Raw access for tests, test vectors and interop tools: the `hazmat` feature.
//!
//! Nothing here is needed to use secret-handshake, and all of it can break a session's security:
//! raw keys let a caller build two streams from one handshake (reusing every nonce), fixed
//! ephemeral keys make session keys predictable, and the hostile-frame builder sends what no
//! honest peer would. With default features none of it exists.

pub mod drive;
pub mod replay;

use bytes::BytesMut;

use crate::boxstream::{BoxOpener, BoxSealer, BoxStreamKeys};
use crate::crypto::NONCE_LEN;
use crate::secret::Secret;

/// A copy of a session's raw keys and starting nonces (the shs1-test "outcome"). Wiped on drop.
pub struct RawSessionKeys {
    /// Key of our sending direction.
    pub encrypt_key: [u8; 32],
    /// Starting nonce of our sending direction.
    pub encrypt_nonce: [u8; NONCE_LEN],
    /// Key of the peer's sending direction.
    pub decrypt_key: [u8; 32],
    /// Starting nonce of the peer's sending direction.
    pub decrypt_nonce: [u8; NONCE_LEN],
}

impl Drop for RawSessionKeys {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.encrypt_key);
        zeroize::Zeroize::zeroize(&mut self.decrypt_key);
    }
}

impl std::fmt::Debug for RawSessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RawSessionKeys(<redacted>)")
    }
}

/// Copies the raw keys out of `keys`. Never build a stream from the copy as well as from `keys`.
pub fn raw_session_keys(keys: &BoxStreamKeys) -> RawSessionKeys {
    RawSessionKeys {
        encrypt_key: *keys.encrypt_key.expose(),
        encrypt_nonce: keys.encrypt_nonce,
        decrypt_key: *keys.decrypt_key.expose(),
        decrypt_nonce: keys.decrypt_nonce,
    }
}

/// A sealer from a raw key and starting nonce. Two sealers with one key and nonce reuse nonces.
pub fn sealer_from_raw_parts(key: [u8; 32], nonce: [u8; NONCE_LEN]) -> BoxSealer {
    BoxSealer::new(&Secret::new(key), nonce)
}

/// An opener from a raw key and starting nonce.
pub fn opener_from_raw_parts(key: [u8; 32], nonce: [u8; NONCE_LEN]) -> BoxOpener {
    BoxOpener::new(&Secret::new(key), nonce)
}

/// Appends a frame whose header claims `claimed_len` body bytes whatever `body` holds, as a
/// malicious or odd peer could send (an opener rejects anything over 4096; a claimed 0 with an
/// empty `body` is a valid frame with no data, which openers skip).
pub fn seal_frame_claiming_length(
    sealer: &mut BoxSealer,
    claimed_len: u16,
    body: &[u8],
    out: &mut BytesMut,
) {
    sealer.seal_frame_claiming_length(claimed_len, body, out);
}
