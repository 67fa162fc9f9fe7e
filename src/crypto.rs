//! The only module that talks to libsodium (through `sodiumoxide`).
//!
//! Every primitive the handshake and box-stream need is wrapped here with plain byte arrays, so
//! the rest of the crate never sees a `sodiumoxide` type and the backend stays swappable. Keys that
//! are used repeatedly (the box-stream key) are kept in libsodium's own key type, which wipes
//! itself on drop.

use sodiumoxide::crypto::{auth, hash::sha256, scalarmult::curve25519 as x25519, secretbox, sign};
use std::sync::Once;

use crate::secret::Secret;

/// Length of an XSalsa20-Poly1305 authentication tag.
pub(crate) const TAG_LEN: usize = secretbox::MACBYTES;
/// Length of a secretbox nonce.
pub(crate) const NONCE_LEN: usize = secretbox::NONCEBYTES;

/// Initialises libsodium once (it picks the fastest implementations and seeds its RNG).
fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // `sodium_init` only fails if the OS has no usable randomness source; libsodium then
        // aborts on first use of randomness anyway, so there is nothing better to do here.
        let _ = sodiumoxide::init();
    });
}

/// Fills `buf` with cryptographically secure random bytes.
pub(crate) fn random_bytes(buf: &mut [u8]) {
    init();
    sodiumoxide::randombytes::randombytes_into(buf);
}

/// Overwrites `buf` with zeros in a way the compiler may not optimise away.
pub(crate) fn wipe(buf: &mut [u8]) {
    sodiumoxide::utils::memzero(buf);
}

/// Constant-time equality of two byte strings.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    sodiumoxide::utils::memcmp(a, b)
}

/// `crypto_auth`: HMAC-SHA-512 truncated to 32 bytes.
pub(crate) fn hmac(msg: &[u8], key: &[u8; 32]) -> [u8; 32] {
    auth::authenticate(msg, &auth::Key(*key)).0
}

/// `crypto_auth_verify`: constant-time check of an HMAC-SHA-512-256 tag.
pub(crate) fn hmac_verify(tag: &[u8; 32], msg: &[u8], key: &[u8; 32]) -> bool {
    auth::verify(&auth::Tag(*tag), msg, &auth::Key(*key))
}

/// SHA-256 of the concatenation of `parts`.
pub(crate) fn sha256(parts: &[&[u8]]) -> Secret<32> {
    let mut state = sha256::State::new();
    for part in parts {
        state.update(part);
    }
    Secret::new(state.finalize().0)
}

/// X25519 scalar multiplication. `None` when the result is all zeros (a low-order point), which
/// libsodium refuses and which would make the shared secret predictable.
pub(crate) fn x25519(secret: &Secret<32>, public: &[u8; 32]) -> Option<Secret<32>> {
    let scalar = x25519::Scalar(*secret.expose());
    let product = x25519::scalarmult(&scalar, &x25519::GroupElement(*public)).ok()?;
    Some(Secret::new(product.0))
}

/// The X25519 public key of `secret`.
pub(crate) fn x25519_base(secret: &Secret<32>) -> [u8; 32] {
    x25519::scalarmult_base(&x25519::Scalar(*secret.expose())).0
}

/// A fresh X25519 keypair for one handshake: a random scalar and its public point.
pub(crate) fn x25519_keypair() -> (Secret<32>, [u8; 32]) {
    let mut secret = Secret::new([0; 32]);
    random_bytes(secret.expose_mut());
    let public = x25519_base(&secret);
    (secret, public)
}

/// An Ed25519 keypair from a 32-byte seed: `(public, seed ‖ public)`.
pub(crate) fn ed25519_from_seed(seed: &[u8; 32]) -> ([u8; 32], Secret<64>) {
    init();
    let (public, secret) = sign::keypair_from_seed(&sign::Seed(*seed));
    (public.0, Secret::new(secret.0))
}

/// `crypto_sign_ed25519_pk_to_curve25519`. `None` for keys of small order, keys that do not
/// decode, and keys outside the main subgroup.
pub(crate) fn ed25519_pk_to_x25519(public: &[u8; 32]) -> Option<[u8; 32]> {
    sign::to_curve25519_pk(&sign::PublicKey(*public))
        .ok()
        .map(|pk| pk.0)
}

/// `crypto_sign_ed25519_sk_to_curve25519`: the clamped first half of SHA-512 of the seed.
pub(crate) fn ed25519_sk_to_x25519(secret: &Secret<64>) -> Secret<32> {
    let converted = sign::to_curve25519_sk(&sign::SecretKey(*secret.expose()))
        .map(|sk| sk.0)
        // libsodium's conversion of a secret key cannot fail (it only hashes and clamps).
        .unwrap_or([0; 32]);
    Secret::new(converted)
}

/// Ed25519 detached signature.
pub(crate) fn sign(msg: &[u8], secret: &Secret<64>) -> [u8; 64] {
    sign::sign_detached(msg, &sign::SecretKey(*secret.expose())).to_bytes()
}

/// Ed25519 detached signature verification (libsodium's strict checks).
pub(crate) fn verify(signature: &[u8; 64], msg: &[u8], public: &[u8; 32]) -> bool {
    // The signature type refuses some malformed encodings up front; those never verify anyway.
    sign::Signature::from_bytes(signature)
        .is_ok_and(|signature| sign::verify_detached(&signature, msg, &sign::PublicKey(*public)))
}

/// A secretbox key kept in libsodium's own type, which wipes itself on drop.
pub(crate) struct BoxKey(secretbox::Key);

impl BoxKey {
    pub(crate) fn new(key: &Secret<32>) -> Self {
        BoxKey(secretbox::Key(*key.expose()))
    }

    /// Encrypts `buf` in place and returns its tag (`crypto_secretbox_detached`).
    pub(crate) fn seal_detached(&self, buf: &mut [u8], nonce: &[u8; NONCE_LEN]) -> [u8; TAG_LEN] {
        secretbox::seal_detached(buf, &secretbox::Nonce(*nonce), &self.0).0
    }

    /// Decrypts `buf` in place if `tag` authenticates it; leaves it untouched otherwise.
    #[must_use]
    pub(crate) fn open_detached(
        &self,
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
        nonce: &[u8; NONCE_LEN],
    ) -> bool {
        secretbox::open_detached(
            buf,
            &secretbox::Tag(*tag),
            &secretbox::Nonce(*nonce),
            &self.0,
        )
        .is_ok()
    }
}

/// `crypto_secretbox_easy`: `tag ‖ ciphertext`.
pub(crate) fn secretbox_seal(msg: &[u8], nonce: &[u8; NONCE_LEN], key: &Secret<32>) -> Vec<u8> {
    let key = BoxKey::new(key);
    let mut out = vec![0; TAG_LEN + msg.len()];
    out[TAG_LEN..].copy_from_slice(msg);
    let tag = key.seal_detached(&mut out[TAG_LEN..], nonce);
    out[..TAG_LEN].copy_from_slice(&tag);
    out
}

/// `crypto_secretbox_open_easy` of `tag ‖ ciphertext` into a wiped-on-drop buffer.
pub(crate) fn secretbox_open<const N: usize>(
    boxed: &[u8],
    nonce: &[u8; NONCE_LEN],
    key: &Secret<32>,
) -> Option<Secret<N>> {
    if boxed.len() != TAG_LEN + N {
        return None;
    }
    let key = BoxKey::new(key);
    let mut tag = [0; TAG_LEN];
    tag.copy_from_slice(&boxed[..TAG_LEN]);
    let mut plain = Secret::new([0; N]);
    plain.expose_mut().copy_from_slice(&boxed[TAG_LEN..]);
    key.open_detached(plain.expose_mut(), &tag, nonce)
        .then_some(plain)
}
