//! The keys of one box-stream session, owned by the box-stream (the handshake derives them).

use std::fmt;

use super::{BoxOpener, BoxSealer};
use crate::crypto::NONCE_LEN;
use crate::secret::Secret;

/// The key and starting nonce of each direction of one session.
///
/// Deliberately not `Clone`, and consumed by every constructor of a stream: two streams built
/// from one handshake would reuse every nonce.
pub struct BoxStreamKeys {
    pub(crate) encrypt_key: Secret<32>,
    pub(crate) encrypt_nonce: [u8; NONCE_LEN],
    pub(crate) decrypt_key: Secret<32>,
    pub(crate) decrypt_nonce: [u8; NONCE_LEN],
}

impl BoxStreamKeys {
    pub(crate) fn new(
        encrypt_key: Secret<32>,
        encrypt_nonce: [u8; NONCE_LEN],
        decrypt_key: Secret<32>,
        decrypt_nonce: [u8; NONCE_LEN],
    ) -> Self {
        BoxStreamKeys {
            encrypt_key,
            encrypt_nonce,
            decrypt_key,
            decrypt_nonce,
        }
    }

    /// The sealer (our direction) and the opener (the peer's direction).
    pub fn into_sealer_and_opener(self) -> (BoxSealer, BoxOpener) {
        (
            BoxSealer::new(&self.encrypt_key, self.encrypt_nonce),
            BoxOpener::new(&self.decrypt_key, self.decrypt_nonce),
        )
    }
}

impl fmt::Debug for BoxStreamKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BoxStreamKeys(<redacted>)")
    }
}
