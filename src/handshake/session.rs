//! What a successful handshake produces: the peer's identity and the box-stream keys.

use crate::boxstream::BoxStreamKeys;
use crate::crypto::{self, NONCE_LEN};
use crate::keys::PublicKey;
use crate::secret::Secret;

/// A finished handshake: who the peer is, and the keys for one box-stream in each direction.
#[derive(Debug)]
#[non_exhaustive]
pub struct Session {
    /// The peer's long-term public key, proven by the handshake.
    pub peer: PublicKey,
    /// The box-stream keys. Deliberately not `Clone`: two streams from one handshake would reuse
    /// nonces.
    pub keys: BoxStreamKeys,
}

/// JS `clean`: `S = sha256(key4)`; each direction's key is `sha256(S ‖ receiver's long-term
/// key)` and its nonce is the first 24 bytes of the receiver's hello HMAC.
pub(crate) fn derive_keys(
    key4: &Secret<32>,
    peer: &PublicKey,
    peer_hello_nonce: [u8; NONCE_LEN],
    us: &PublicKey,
    our_hello_nonce: [u8; NONCE_LEN],
) -> BoxStreamKeys {
    keys_from_shared_secret(
        &crypto::sha256(&[key4.expose()]),
        peer,
        peer_hello_nonce,
        us,
        our_hello_nonce,
    )
}

/// The derivation from `S = sha256(key4)` (the JS `state.secret` after `clean`).
pub(crate) fn keys_from_shared_secret(
    shared: &Secret<32>,
    peer: &PublicKey,
    peer_hello_nonce: [u8; NONCE_LEN],
    us: &PublicKey,
    our_hello_nonce: [u8; NONCE_LEN],
) -> BoxStreamKeys {
    BoxStreamKeys::new(
        crypto::sha256(&[shared.expose(), peer.as_bytes()]),
        peer_hello_nonce,
        crypto::sha256(&[shared.expose(), us.as_bytes()]),
        our_hello_nonce,
    )
}
