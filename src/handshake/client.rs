//! The client side of the handshake: sends messages 1 and 3, verifies 2 and 4.

use std::mem;
use std::sync::Arc;

use super::curve_cache::{peer_x25519, CurveCache};
use super::messages::{self as m, Ephemeral, CLIENT_AUTH_LEN, HELLO_LEN, SERVER_ACCEPT_LEN};
use super::session::derive_keys;
use super::{exact, Handshake, Next, Session};
use crate::crypto;
use crate::error::{HandshakeError, Phase};
use crate::keys::{Keypair, NetworkKey, PublicKey};
use crate::secret::Secret;

/// The client's handshake state machine. See the [module docs](super) for how to drive it.
pub struct ClientHandshake {
    network: NetworkKey,
    identity: Keypair,
    server: PublicKey,
    /// The server's key in Curve25519 form, converted (and checked) when the handshake is made;
    /// `None` if it is not a usable key.
    server_curve: Option<[u8; 32]>,
    ephemeral: Ephemeral,
    hello: [u8; HELLO_LEN],
    state: State,
}

enum State {
    SendHello,
    AwaitServerHello,
    SendAuth(Box<Authenticating>),
    AwaitAccept(Box<Authenticating>),
    Done(Session),
    /// Failed in this phase; every later call errors.
    Failed(Phase),
}

/// What the client knows once the server's hello checked out.
struct Authenticating {
    msg3: [u8; CLIENT_AUTH_LEN],
    server_nonce: [u8; crypto::NONCE_LEN],
    server_ephemeral: [u8; 32],
    ab: Secret<32>,
    shash: Secret<32>,
    a_b: Secret<32>,
    h: Secret<96>,
}

impl ClientHandshake {
    /// Starts a handshake as `identity` with the server `server` on `network`.
    ///
    /// Any key is accepted here; one that cannot be used (not a curve point, of small order, or
    /// outside the prime-order subgroup) fails the handshake with
    /// [`HandshakeError::InvalidServerKey`] when message 2 arrives. To refuse it before sending
    /// anything, ask [`check_server_key`](Self::check_server_key) first, as
    /// [`Client::connect`](crate::Client::connect) does.
    pub fn new(identity: &Keypair, network: &NetworkKey, server: &PublicKey) -> Self {
        Self::with_ephemeral(identity, network, server, Ephemeral::generate(), None)
    }

    /// As [`new`](Self::new), converting the server's key through `cache` (shared by all
    /// handshakes of one client, so a server seen before costs one conversion less).
    pub fn new_cached(
        identity: &Keypair,
        network: &NetworkKey,
        server: &PublicKey,
        cache: &Arc<CurveCache>,
    ) -> Self {
        Self::with_ephemeral(
            identity,
            network,
            server,
            Ephemeral::generate(),
            Some(cache),
        )
    }

    /// Converts the server's key again, through `cache` (tests build handshakes with fixed
    /// ephemeral keys first).
    #[cfg(test)]
    pub(crate) fn with_cache(mut self, cache: &Arc<CurveCache>) -> Self {
        self.server_curve = peer_x25519(Some(cache), &self.server);
        self
    }

    /// `Err(`[`HandshakeError::InvalidServerKey`]`)` if the server key cannot be used (it does
    /// not decode to a curve point, has small order, or lies outside the prime-order subgroup),
    /// so that a driver can refuse it before sending message 1. The check was made when the
    /// handshake was created; this only reports it.
    pub fn check_server_key(&self) -> Result<(), HandshakeError> {
        match self.server_curve {
            Some(_) => Ok(()),
            None => Err(HandshakeError::InvalidServerKey),
        }
    }

    /// Tests only: use this X25519 secret as the ephemeral key. A fixed ephemeral key makes
    /// every session key predictable to whoever knows it.
    #[cfg(any(test, feature = "hazmat"))]
    pub fn with_fixed_ephemeral_key_for_testing_only(
        identity: &Keypair,
        network: &NetworkKey,
        server: &PublicKey,
        secret: [u8; 32],
    ) -> Self {
        Self::with_ephemeral(
            identity,
            network,
            server,
            Ephemeral::from_secret(secret),
            None,
        )
    }

    /// Tests only: derive the ephemeral key from `random` as the JS reference does (to replay
    /// its vectors).
    #[cfg(any(test, feature = "hazmat"))]
    pub fn with_js_ephemeral_seed_for_testing_only(
        identity: &Keypair,
        network: &NetworkKey,
        server: &PublicKey,
        random: &[u8; 32],
    ) -> Self {
        Self::with_ephemeral(
            identity,
            network,
            server,
            Ephemeral::from_js_random(random),
            None,
        )
    }

    fn with_ephemeral(
        identity: &Keypair,
        network: &NetworkKey,
        server: &PublicKey,
        ephemeral: Ephemeral,
        cache: Option<&Arc<CurveCache>>,
    ) -> Self {
        ClientHandshake {
            hello: m::hello(network, &ephemeral.public),
            network: network.clone(),
            identity: identity.clone(),
            server: *server,
            server_curve: peer_x25519(cache.map(Arc::as_ref), server),
            ephemeral,
            state: State::SendHello,
        }
    }

    /// Message 2: check the server's hello, then prepare message 3.
    fn on_server_hello(&self, msg: &[u8]) -> Result<Authenticating, HandshakeError> {
        let msg2 = exact::<HELLO_LEN>(msg, "message 2 must be 64 bytes")?;
        let server_ephemeral = m::open_hello(&self.network, &msg2, Phase::ServerHello)?;
        let ab = m::shared(
            &self.ephemeral.secret,
            &server_ephemeral,
            Phase::ServerHello,
        )?;
        let shash = crypto::sha256(&[ab.expose()]);
        let server_curve = self.server_curve.ok_or(HandshakeError::InvalidServerKey)?;
        let a_b = m::shared(&self.ephemeral.secret, &server_curve, Phase::ServerHello)?;
        let key3 = m::key3(&self.network, &ab, &a_b);
        let (h, msg3) = m::client_auth(&self.network, &self.identity, &self.server, &shash, &key3);
        Ok(Authenticating {
            msg3,
            server_nonce: m::hello_nonce(&msg2),
            server_ephemeral,
            ab,
            shash,
            a_b,
            h,
        })
    }

    /// Message 4: check the server's acceptance and derive the session.
    fn on_server_accept(
        &self,
        auth: &Authenticating,
        msg: &[u8],
    ) -> Result<Session, HandshakeError> {
        let msg4 = exact::<SERVER_ACCEPT_LEN>(msg, "message 4 must be 80 bytes")?;
        let big_a_b = m::shared(
            self.identity.curve_secret(),
            &auth.server_ephemeral,
            Phase::ServerAccept,
        )?;
        let key4 = m::key4(&self.network, &auth.ab, &auth.a_b, &big_a_b);
        m::verify_server_accept(
            &self.network,
            &self.server,
            &auth.h,
            &auth.shash,
            &key4,
            &msg4,
        )?;
        Ok(Session {
            peer: self.server,
            keys: derive_keys(
                &key4,
                &self.server,
                auth.server_nonce,
                self.identity.public(),
                m::hello_nonce(&self.hello),
            ),
        })
    }
}

impl Handshake for ClientHandshake {
    fn next(&self) -> Next<'_> {
        match &self.state {
            State::SendHello => Next::Send(&self.hello),
            State::AwaitServerHello => Next::Receive(HELLO_LEN),
            State::SendAuth(auth) => Next::Send(&auth.msg3),
            State::AwaitAccept(_) => Next::Receive(SERVER_ACCEPT_LEN),
            State::Done(_) => Next::Done,
            State::Failed(_) => Next::Failed,
        }
    }

    fn phase(&self) -> Phase {
        match self.state {
            State::SendHello => Phase::ClientHello,
            State::AwaitServerHello => Phase::ServerHello,
            State::SendAuth(_) => Phase::ClientAuth,
            State::AwaitAccept(_) | State::Done(_) => Phase::ServerAccept,
            State::Failed(phase) => phase,
        }
    }

    fn sent(&mut self) -> Result<(), HandshakeError> {
        let failed = State::Failed(self.phase());
        self.state = match mem::replace(&mut self.state, failed) {
            State::SendHello => State::AwaitServerHello,
            State::SendAuth(auth) => State::AwaitAccept(auth),
            other => {
                // A caller's mistake leaves the handshake as it was.
                self.state = other;
                return Err(HandshakeError::Misuse("sent() while not sending"));
            }
        };
        Ok(())
    }

    fn received(&mut self, msg: &[u8]) -> Result<(), HandshakeError> {
        let failed = State::Failed(self.phase());
        self.state = match mem::replace(&mut self.state, failed) {
            State::AwaitServerHello => State::SendAuth(Box::new(self.on_server_hello(msg)?)),
            State::AwaitAccept(auth) => State::Done(self.on_server_accept(&auth, msg)?),
            other => {
                // A caller's mistake leaves the handshake as it was.
                self.state = other;
                return Err(HandshakeError::Misuse("received() while not receiving"));
            }
        };
        Ok(())
    }

    fn finish(self) -> Result<Session, HandshakeError> {
        match self.state {
            State::Done(session) => Ok(session),
            State::Failed(_) => Err(HandshakeError::Misuse(
                "finish() after the handshake failed",
            )),
            _ => Err(HandshakeError::Misuse(
                "finish() before the handshake is done",
            )),
        }
    }
}

impl std::fmt::Debug for ClientHandshake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientHandshake")
            .field("server", &self.server)
            .field("next", &self.next())
            .finish_non_exhaustive()
    }
}
