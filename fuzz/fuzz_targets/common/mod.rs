//! Helpers shared by the fuzz targets: fixed identities, an input cursor and an in-memory
//! handshake driver. Everything is deterministic so that libFuzzer's coverage feedback is stable.

#![allow(dead_code)]

use secret_handshake::handshake::{ClientHandshake, Handshake, Next, ServerHandshake};
use secret_handshake::hazmat::raw_session_keys;
use secret_handshake::{HandshakeError, Keypair, NetworkKey, Phase};

/// The network key every target uses.
pub fn network() -> NetworkKey {
    NetworkKey::from_bytes([0x4b; 32])
}

/// The client's long-term identity.
pub fn client_identity() -> Keypair {
    Keypair::from_seed(&[0xc1; 32])
}

/// The server's long-term identity.
pub fn server_identity() -> Keypair {
    Keypair::from_seed(&[0x5e; 32])
}

/// Fixed ephemeral secrets (any 32 bytes are a valid X25519 scalar).
pub const CLIENT_EPHEMERAL: [u8; 32] = [0xa1; 32];
pub const SERVER_EPHEMERAL: [u8; 32] = [0xb2; 32];

/// Reads an input front to back; running out yields zeros / empty slices, never a panic.
pub struct Cursor<'a> {
    data: &'a [u8],
}

impl<'a> Cursor<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Cursor { data }
    }

    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    /// Up to `n` bytes (fewer if the input runs out).
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        head
    }

    /// Exactly `N` bytes, zero-padded if the input runs out.
    pub fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        let got = self.take(N);
        out[..got.len()].copy_from_slice(got);
        out
    }

    pub fn rest(&mut self) -> &'a [u8] {
        self.take(self.data.len())
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// The bytes a handshake wants to send right now; panics if it wants something else.
pub fn outgoing<H: Handshake>(hs: &H, what: &str) -> Vec<u8> {
    match hs.next() {
        Next::Send(bytes) => bytes.to_vec(),
        other => panic!("{what}: expected Send, got {other:?}"),
    }
}

/// Marks the pending send as done.
pub fn sent<H: Handshake>(hs: &mut H) {
    hs.sent().expect("sent() after Next::Send must succeed");
}

/// Asserts that `hs` expects exactly `n` bytes.
pub fn expect_receive<H: Handshake>(hs: &H, n: usize) {
    assert_eq!(hs.next(), Next::Receive(n));
}

/// After a failed `received`, the machine is dead: `next()` is `Failed`, the phase is kept, every
/// further call errors, and there is no session.
pub fn assert_dead<H: Handshake>(mut hs: H, phase: Phase) {
    assert_eq!(hs.next(), Next::Failed);
    assert_eq!(hs.phase(), phase);
    assert!(hs.sent().is_err());
    assert!(hs.received(&[0; 64]).is_err());
    assert!(hs.received(&[0; 112]).is_err());
    assert_eq!(hs.next(), Next::Failed);
    assert!(hs.finish().is_err());
}

/// The phase a handshake error must report, checked against where it happened.
pub fn assert_error_phase(err: &HandshakeError, phase: Phase) {
    if !matches!(err, HandshakeError::Misuse(_)) {
        assert_eq!(err.phase(), Some(phase), "{err}");
    }
}

/// A client and a server with the fixed identities and ephemerals.
pub fn pair() -> (ClientHandshake, ServerHandshake) {
    let server = server_identity();
    let client = ClientHandshake::with_fixed_ephemeral_key_for_testing_only(
        &client_identity(),
        &network(),
        server.public(),
        CLIENT_EPHEMERAL,
    );
    let server = ServerHandshake::with_fixed_ephemeral_key_for_testing_only(
        &server,
        &network(),
        SERVER_EPHEMERAL,
    );
    (client, server)
}

/// Both sides finished: their keys must mirror each other and name the right peers.
pub fn check_sessions(client: ClientHandshake, server: ServerHandshake) {
    let c = client.finish().expect("client session");
    let s = server.finish().expect("server session");
    assert_eq!(c.peer, *server_identity().public());
    assert_eq!(s.peer, *client_identity().public());
    let (c, s) = (raw_session_keys(&c.keys), raw_session_keys(&s.keys));
    assert_eq!(c.encrypt_key, s.decrypt_key);
    assert_eq!(c.encrypt_nonce, s.decrypt_nonce);
    assert_eq!(c.decrypt_key, s.encrypt_key);
    assert_eq!(c.decrypt_nonce, s.encrypt_nonce);
    assert_ne!(c.encrypt_key, c.decrypt_key);
}
