//! What a successful handshake produces: the peer's identity and the box-stream keys.

use std::fmt;

use crate::boxstream::{BoxOpener, BoxSealer};
use crate::crypto::{self, NONCE_LEN};
use crate::keys::PublicKey;
use crate::secret::Secret;

/// A finished handshake: who the peer is, and the keys for one box-stream in each direction.
#[derive(Debug)]
pub struct Session {
    /// The peer's long-term public key, proven by the handshake.
    pub peer: PublicKey,
    /// The box-stream keys. Deliberately not `Clone`: two streams from one handshake would reuse
    /// nonces.
    pub keys: SessionKeys,
}

/// The two box-stream keys and starting nonces of a session.
pub struct SessionKeys {
    encrypt_key: Secret<32>,
    encrypt_nonce: [u8; NONCE_LEN],
    decrypt_key: Secret<32>,
    decrypt_nonce: [u8; NONCE_LEN],
}

impl SessionKeys {
    /// JS `clean`: `S = sha256(key4)`; each direction's key is `sha256(S ‖ receiver's long-term
    /// key)` and its nonce is the first 24 bytes of the receiver's hello HMAC.
    pub(crate) fn derive(
        key4: &Secret<32>,
        peer: &PublicKey,
        peer_hello_nonce: [u8; NONCE_LEN],
        us: &PublicKey,
        our_hello_nonce: [u8; NONCE_LEN],
    ) -> Self {
        Self::from_shared_secret(
            &crypto::sha256(&[key4.expose()]),
            peer,
            peer_hello_nonce,
            us,
            our_hello_nonce,
        )
    }

    /// The derivation from `S = sha256(key4)` (the JS `state.secret` after `clean`).
    pub(crate) fn from_shared_secret(
        shared: &Secret<32>,
        peer: &PublicKey,
        peer_hello_nonce: [u8; NONCE_LEN],
        us: &PublicKey,
        our_hello_nonce: [u8; NONCE_LEN],
    ) -> Self {
        SessionKeys {
            encrypt_key: crypto::sha256(&[shared.expose(), peer.as_bytes()]),
            encrypt_nonce: peer_hello_nonce,
            decrypt_key: crypto::sha256(&[shared.expose(), us.as_bytes()]),
            decrypt_nonce: our_hello_nonce,
        }
    }

    /// Builds the sealer (our direction) and opener (the peer's direction). Consumes the keys so
    /// that no second stream can reuse their nonces.
    pub fn into_box_stream(self) -> (BoxSealer, BoxOpener) {
        (
            BoxSealer::new(&self.encrypt_key, self.encrypt_nonce),
            BoxOpener::new(&self.decrypt_key, self.decrypt_nonce),
        )
    }

    /// Key of our sending direction. Exposed for interop tests (the shs1-test outcome); never
    /// build a second stream from it.
    pub fn encrypt_key(&self) -> &[u8; 32] {
        self.encrypt_key.expose()
    }

    /// Starting nonce of our sending direction.
    pub fn encrypt_nonce(&self) -> &[u8; NONCE_LEN] {
        &self.encrypt_nonce
    }

    /// Key of the peer's sending direction.
    pub fn decrypt_key(&self) -> &[u8; 32] {
        self.decrypt_key.expose()
    }

    /// Starting nonce of the peer's sending direction.
    pub fn decrypt_nonce(&self) -> &[u8; NONCE_LEN] {
        &self.decrypt_nonce
    }
}

impl fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKeys(<redacted>)")
    }
}
