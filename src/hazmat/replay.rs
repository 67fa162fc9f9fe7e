//! Raw-byte entry points to each handshake step, for replaying the JS reference's op-level test
//! vectors. Each is a thin adapter over the functions the state machines use.

use crate::crypto;
use crate::error::Phase;
use crate::handshake::messages as m;
use crate::handshake::session::keys_from_shared_secret;
use crate::keys::{Keypair, NetworkKey, PublicKey};
use crate::secret::Secret;

type Key = [u8; 32];

fn net(key: &Key) -> NetworkKey {
    NetworkKey::from_bytes(*key)
}

fn secret(key: &Key) -> Secret<32> {
    Secret::new(*key)
}

fn keypair(secret_key: &[u8; 64]) -> Option<Keypair> {
    Keypair::from_secret_key_bytes(secret_key).ok()
}

/// JS `initialize`: the ephemeral `(kx_sk, kx_pk)` derived from `random`.
pub fn js_ephemeral(random: &Key) -> (Key, Key) {
    let e = m::Ephemeral::from_js_random(random);
    (*e.secret.expose(), e.public)
}

/// The X25519 public key of a raw ephemeral secret.
pub fn x25519_public(secret_key: &Key) -> Key {
    m::Ephemeral::from_secret(*secret_key).public
}

/// JS `createChallenge`: `hmac(kx_pk, K) ‖ kx_pk`.
pub fn hello(network: &Key, ephemeral_public: &Key) -> [u8; 64] {
    m::hello(&net(network), ephemeral_public)
}

/// JS `verifyChallenge`'s check: the peer's ephemeral key, if the HMAC holds.
pub fn open_hello(network: &Key, msg: &[u8]) -> Option<Key> {
    let msg: [u8; 64] = msg.try_into().ok()?;
    m::open_hello(&net(network), &msg, Phase::ClientHello).ok()
}

/// X25519 that rejects an all-zero result.
pub fn shared(secret_key: &Key, public: &Key) -> Option<Key> {
    m::shared(&secret(secret_key), public, Phase::ClientHello)
        .ok()
        .map(|s| *s.expose())
}

/// SHA-256.
pub fn sha256(data: &[u8]) -> Key {
    *crypto::sha256(&[data]).expose()
}

/// Ed25519 public key to Curve25519, `None` for a key the handshake refuses (not a point, of
/// small order, or outside the prime-order subgroup).
pub fn ed25519_pk_to_x25519(public: &Key) -> Option<Key> {
    m::long_term_x25519(&PublicKey::from_bytes(*public))
}

/// Ed25519 secret key to Curve25519.
pub fn ed25519_sk_to_x25519(secret_key: &[u8; 64]) -> Key {
    *crypto::ed25519_sk_to_x25519(&Secret::new(*secret_key)).expose()
}

/// `sha256(K ‖ ab ‖ aB)`.
pub fn key3(network: &Key, ab: &Key, a_b: &Key) -> Key {
    *m::key3(&net(network), &secret(ab), &secret(a_b)).expose()
}

/// `sha256(K ‖ ab ‖ aB ‖ Ab)`.
pub fn key4(network: &Key, ab: &Key, a_b: &Key, big_a_b: &Key) -> Key {
    *m::key4(&net(network), &secret(ab), &secret(a_b), &secret(big_a_b)).expose()
}

/// JS `clientCreateAuth`: `(H, msg3)`. `None` if the secret key is inconsistent.
pub fn client_auth(
    network: &Key,
    client_secret: &[u8; 64],
    server: &Key,
    shash: &Key,
    key3: &Key,
) -> Option<([u8; 96], [u8; 112])> {
    let (h, msg) = m::client_auth(
        &net(network),
        &keypair(client_secret)?,
        &PublicKey::from_bytes(*server),
        &secret(shash),
        &secret(key3),
    );
    Some((*h.expose(), msg))
}

/// JS `serverVerifyAuth`'s check: `(H, client key)` if message 3 opens and verifies.
pub fn open_client_auth(
    network: &Key,
    server: &Key,
    shash: &Key,
    key3: &Key,
    msg: &[u8],
) -> Option<([u8; 96], Key)> {
    let msg: [u8; 112] = msg.try_into().ok()?;
    let (h, client) = m::unseal_client_auth(&secret(key3), &msg).ok()?;
    m::verify_client_auth(
        &net(network),
        &PublicKey::from_bytes(*server),
        &secret(shash),
        &h,
    )
    .ok()?;
    Some((*h.expose(), *client.as_bytes()))
}

/// JS `serverCreateAccept`: message 4.
pub fn server_accept(
    network: &Key,
    server_secret: &[u8; 64],
    h: &[u8; 96],
    shash: &Key,
    key4: &Key,
) -> Option<[u8; 80]> {
    Some(m::server_accept(
        &net(network),
        &keypair(server_secret)?,
        &Secret::new(*h),
        &secret(shash),
        &secret(key4),
    ))
}

/// The plaintext of message 4 (the server's signature), if it opens under `key4`.
pub fn open_server_accept(key4: &Key, msg: &[u8]) -> Option<[u8; 64]> {
    crypto::secretbox_open::<64>(msg, &[0; crypto::NONCE_LEN], &secret(key4)).map(|s| *s.expose())
}

/// JS `clientVerifyAccept`'s check.
pub fn verify_server_accept(
    network: &Key,
    server: &Key,
    h: &[u8; 96],
    shash: &Key,
    key4: &Key,
    msg: &[u8],
) -> bool {
    let Ok(msg) = <[u8; 80]>::try_from(msg) else {
        return false;
    };
    m::verify_server_accept(
        &net(network),
        &PublicKey::from_bytes(*server),
        &Secret::new(*h),
        &secret(shash),
        &secret(key4),
        &msg,
    )
    .is_ok()
}

/// JS `clean`: `(encryptKey, decryptKey)` from `secret = sha256(key4)`.
pub fn session_keys_from_secret(shared_secret: &Key, remote: &Key, local: &Key) -> (Key, Key) {
    let keys = keys_from_shared_secret(
        &secret(shared_secret),
        &PublicKey::from_bytes(*remote),
        [0; 24],
        &PublicKey::from_bytes(*local),
        [0; 24],
    );
    (*keys.encrypt_key.expose(), *keys.decrypt_key.expose())
}
