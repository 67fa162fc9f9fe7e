//! The cryptography of the four handshake messages, step by step as in the JS `crypto.js`.
//!
//! Both state machines are built from these functions, and the op-level test vectors replay
//! them one by one. Names follow protocol.md: `K` network key, `A`/`B` client/server long-term
//! keys, `a`/`b` their ephemeral keys.

use crate::crypto::{self, NONCE_LEN};
use crate::error::{HandshakeError, Phase};
use crate::keys::{Keypair, NetworkKey, PublicKey};
use crate::secret::Secret;

/// Message 1 and 2: `hmac(eph_pk, K) ‖ eph_pk`.
pub(crate) const HELLO_LEN: usize = 64;
/// Message 3: `box(sig_A ‖ A_pk)`.
pub(crate) const CLIENT_AUTH_LEN: usize = 112;
/// Message 4: `box(sig_B)`.
pub(crate) const SERVER_ACCEPT_LEN: usize = 80;

/// The all-zero nonce used for messages 3 and 4 (each is sealed under a one-time key).
const ZERO_NONCE: [u8; NONCE_LEN] = [0; NONCE_LEN];

/// An ephemeral X25519 keypair, used for one handshake only.
pub(crate) struct Ephemeral {
    pub(crate) secret: Secret<32>,
    pub(crate) public: [u8; 32],
}

#[cfg(test)]
thread_local! {
    /// Ephemeral keys generated on this thread (tests: none for a junk hello).
    pub(crate) static GENERATED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

impl Ephemeral {
    pub(crate) fn generate() -> Self {
        #[cfg(test)]
        GENERATED.with(|count| count.set(count.get() + 1));
        let (secret, public) = crypto::x25519_keypair();
        Ephemeral { secret, public }
    }

    #[cfg(any(test, feature = "hazmat"))]
    pub(crate) fn from_secret(secret: [u8; 32]) -> Self {
        let secret = Secret::new(secret);
        let public = crypto::x25519_base(&secret);
        Ephemeral { secret, public }
    }

    #[cfg(any(test, feature = "hazmat"))]
    /// The JS reference's derivation from a 32-byte `random`: an Ed25519 seed keypair converted
    /// to Curve25519. Only needed to replay its vectors.
    pub(crate) fn from_js_random(random: &[u8; 32]) -> Self {
        let (_, ed_secret) = crypto::ed25519_from_seed(random);
        let secret = crypto::ed25519_sk_to_x25519(&ed_secret);
        let public = crypto::x25519_base(&secret);
        Ephemeral { secret, public }
    }
}

/// Message 1 or 2: `hmac(eph_pk, K) ‖ eph_pk`.
pub(crate) fn hello(network: &NetworkKey, ephemeral_public: &[u8; 32]) -> [u8; HELLO_LEN] {
    let mut msg = [0; HELLO_LEN];
    msg[..32].copy_from_slice(&crypto::hmac(ephemeral_public, network.as_bytes()));
    msg[32..].copy_from_slice(ephemeral_public);
    msg
}

/// Checks a hello's HMAC (constant time) and returns the peer's ephemeral key.
pub(crate) fn open_hello(
    network: &NetworkKey,
    msg: &[u8; HELLO_LEN],
    phase: Phase,
) -> Result<[u8; 32], HandshakeError> {
    let (mac, key) = split_hello(msg);
    if crypto::hmac_verify(&mac, &key, network.as_bytes()) {
        Ok(key)
    } else if phase == Phase::ServerHello && msg.starts_with(b"HTTP/") {
        // Still a failed hello, with the likely reason: a WebSocket endpoint dialled as TCP.
        Err(HandshakeError::HttpReply)
    } else if phase == Phase::ClientHello && msg.starts_with(b"GET ") {
        // A WebSocket client at a `net:` port.
        Err(HandshakeError::HttpRequest)
    } else {
        Err(HandshakeError::InvalidHello(phase))
    }
}

fn split_hello(msg: &[u8; HELLO_LEN]) -> ([u8; 32], [u8; 32]) {
    let (mut mac, mut key) = ([0; 32], [0; 32]);
    mac.copy_from_slice(&msg[..32]);
    key.copy_from_slice(&msg[32..]);
    (mac, key)
}

/// The first 24 bytes of a hello: the box-stream nonce of its sender's receiving direction.
pub(crate) fn hello_nonce(msg: &[u8; HELLO_LEN]) -> [u8; NONCE_LEN] {
    let mut nonce = [0; NONCE_LEN];
    nonce.copy_from_slice(&msg[..NONCE_LEN]);
    nonce
}

/// X25519, rejecting an all-zero result (a low-order key from the peer).
pub(crate) fn shared(
    secret: &Secret<32>,
    public: &[u8; 32],
    phase: Phase,
) -> Result<Secret<32>, HandshakeError> {
    crypto::x25519(secret, public).ok_or(HandshakeError::WeakKey(phase))
}

/// The Curve25519 form of a long-term Ed25519 public key; `None` unless the key is a point of
/// prime order (see [`crypto::ed25519_pk_to_x25519`]).
pub(crate) fn long_term_x25519(key: &PublicKey) -> Option<[u8; 32]> {
    crypto::ed25519_pk_to_x25519(key.as_bytes())
}

/// `key3 = sha256(K ‖ ab ‖ aB)`: seals message 3.
pub(crate) fn key3(network: &NetworkKey, ab: &Secret<32>, a_b: &Secret<32>) -> Secret<32> {
    crypto::sha256(&[network.as_bytes(), ab.expose(), a_b.expose()])
}

/// `key4 = sha256(K ‖ ab ‖ aB ‖ Ab)`: seals message 4, and seeds the session keys.
pub(crate) fn key4(
    network: &NetworkKey,
    ab: &Secret<32>,
    a_b: &Secret<32>,
    big_a_b: &Secret<32>,
) -> Secret<32> {
    crypto::sha256(&[
        network.as_bytes(),
        ab.expose(),
        a_b.expose(),
        big_a_b.expose(),
    ])
}

/// The client's signed identity `H = sig_A(K ‖ B_pk ‖ sha256(ab)) ‖ A_pk`, and message 3 sealing
/// it.
pub(crate) fn client_auth(
    network: &NetworkKey,
    client: &Keypair,
    server: &PublicKey,
    shash: &Secret<32>,
    key3: &Secret<32>,
) -> (Secret<96>, [u8; CLIENT_AUTH_LEN]) {
    let signed = concat::<96>(&[network.as_bytes(), server.as_bytes(), shash.expose()]);
    let signature = crypto::sign(signed.expose(), client.secret());
    let mut h = Secret::new([0; 96]);
    h.expose_mut()[..64].copy_from_slice(&signature);
    h.expose_mut()[64..].copy_from_slice(client.public().as_bytes());
    let msg = seal::<CLIENT_AUTH_LEN>(h.expose(), key3);
    (h, msg)
}

/// Decrypts message 3: `H` and the key the client claims, whose signature is still unchecked.
pub(crate) fn unseal_client_auth(
    key3: &Secret<32>,
    msg: &[u8; CLIENT_AUTH_LEN],
) -> Result<(Secret<96>, PublicKey), HandshakeError> {
    let h = crypto::secretbox_open::<96>(msg, &ZERO_NONCE, key3)
        .ok_or(HandshakeError::InvalidClientAuth)?;
    let mut client = [0; 32];
    client.copy_from_slice(&h.expose()[64..]);
    Ok((h, PublicKey::from_bytes(client)))
}

/// Verifies the client's signature in `H = sig_A(K ‖ B_pk ‖ sha256(ab)) ‖ A_pk`.
pub(crate) fn verify_client_auth(
    network: &NetworkKey,
    server: &PublicKey,
    shash: &Secret<32>,
    h: &Secret<96>,
) -> Result<(), HandshakeError> {
    let (mut signature, mut client) = ([0; 64], [0; 32]);
    signature.copy_from_slice(&h.expose()[..64]);
    client.copy_from_slice(&h.expose()[64..]);
    let signed = concat::<96>(&[network.as_bytes(), server.as_bytes(), shash.expose()]);
    if crypto::verify(&signature, signed.expose(), &client) {
        Ok(())
    } else {
        Err(HandshakeError::InvalidClientAuth)
    }
}

/// Message 4: `box(sig_B(K ‖ H ‖ sha256(ab)), key4)`.
pub(crate) fn server_accept(
    network: &NetworkKey,
    server: &Keypair,
    h: &Secret<96>,
    shash: &Secret<32>,
    key4: &Secret<32>,
) -> [u8; SERVER_ACCEPT_LEN] {
    let signed = concat::<160>(&[network.as_bytes(), h.expose(), shash.expose()]);
    seal::<SERVER_ACCEPT_LEN>(&crypto::sign(signed.expose(), server.secret()), key4)
}

/// Opens message 4 and verifies the server's signature.
pub(crate) fn verify_server_accept(
    network: &NetworkKey,
    server: &PublicKey,
    h: &Secret<96>,
    shash: &Secret<32>,
    key4: &Secret<32>,
    msg: &[u8; SERVER_ACCEPT_LEN],
) -> Result<(), HandshakeError> {
    let signature = crypto::secretbox_open::<64>(msg, &ZERO_NONCE, key4)
        .ok_or(HandshakeError::InvalidServerAccept)?;
    let signed = concat::<160>(&[network.as_bytes(), h.expose(), shash.expose()]);
    if crypto::verify(signature.expose(), signed.expose(), server.as_bytes()) {
        Ok(())
    } else {
        Err(HandshakeError::InvalidServerAccept)
    }
}

fn seal<const N: usize>(plain: &[u8], key: &Secret<32>) -> [u8; N] {
    let boxed = crypto::secretbox_seal(plain, &ZERO_NONCE, key);
    let mut msg = [0; N];
    msg.copy_from_slice(&boxed);
    msg
}

/// Concatenates `parts` (which add up to exactly `N` bytes) into a wiped-on-drop buffer.
fn concat<const N: usize>(parts: &[&[u8]]) -> Secret<N> {
    let mut out = Secret::new([0; N]);
    let mut at = 0;
    for part in parts {
        out.expose_mut()[at..at + part.len()].copy_from_slice(part);
        at += part.len();
    }
    out
}
