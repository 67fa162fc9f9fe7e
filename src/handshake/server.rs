//! The server side of the handshake: verifies messages 1 and 3, sends 2 and (once the
//! application authorizes the client) 4.

use std::mem;
use std::sync::Arc;

use super::curve_cache::CurveCache;
use super::messages::{self as m, Ephemeral, CLIENT_AUTH_LEN, HELLO_LEN};
use super::session::derive_keys;
use super::{exact, Handshake, Next, Session};
use crate::crypto::{self, NONCE_LEN};
use crate::error::{HandshakeError, Phase};
use crate::keys::{Keypair, NetworkKey, PublicKey};
use crate::secret::Secret;

/// The server's handshake state machine. See the [module docs](super) for how to drive it.
///
/// After message 3 verifies it stops at [`Next::Authorize`]: nothing more is sent until the
/// caller decides with [`accept`](Self::accept) or [`reject`](Self::reject).
pub struct ServerHandshake {
    network: NetworkKey,
    identity: Keypair,
    /// A fixed ephemeral key (hazmat, vectors); `None`: a fresh one, made only once a client's
    /// hello has checked out, so that junk connections cost no key generation.
    fixed_ephemeral: Option<Ephemeral>,
    cache: Option<Arc<CurveCache>>,
    state: State,
}

enum State {
    AwaitClientHello,
    SendHello(Box<Greeted>),
    AwaitAuth(Box<Greeted>),
    Authorize(Box<Authenticated>),
    SendAccept([u8; m::SERVER_ACCEPT_LEN], Session),
    Done(Session),
    /// Failed in this phase; every later call errors.
    Failed(Phase),
}

/// What the server knows once the client's hello checked out.
struct Greeted {
    ephemeral: Ephemeral,
    /// Message 2, our hello.
    hello: [u8; HELLO_LEN],
    client_nonce: [u8; NONCE_LEN],
    client_ephemeral: [u8; 32],
    ab: Secret<32>,
    shash: Secret<32>,
}

/// What the server knows once the client proved its identity.
struct Authenticated {
    client: PublicKey,
    client_nonce: [u8; NONCE_LEN],
    server_nonce: [u8; NONCE_LEN],
    shash: Secret<32>,
    h: Secret<96>,
    key4: Secret<32>,
}

impl ServerHandshake {
    /// Starts a handshake as `identity` on `network`.
    pub fn new(identity: &Keypair, network: &NetworkKey) -> Self {
        Self::with_ephemeral(identity, network, None)
    }

    /// As [`new`](Self::new), converting the client's key through `cache` (shared by all
    /// handshakes of one server, so a client seen before costs one conversion less).
    pub fn new_cached(identity: &Keypair, network: &NetworkKey, cache: &Arc<CurveCache>) -> Self {
        Self::new(identity, network).with_cache(cache)
    }

    /// Converts the peer's key through `cache` from now on.
    pub(crate) fn with_cache(mut self, cache: &Arc<CurveCache>) -> Self {
        self.cache = Some(Arc::clone(cache));
        self
    }

    /// Tests only: use this X25519 secret as the ephemeral key. A fixed ephemeral key makes
    /// every session key predictable to whoever knows it.
    #[cfg(any(test, feature = "hazmat"))]
    pub fn with_fixed_ephemeral_key_for_testing_only(
        identity: &Keypair,
        network: &NetworkKey,
        secret: [u8; 32],
    ) -> Self {
        Self::with_ephemeral(identity, network, Some(Ephemeral::from_secret(secret)))
    }

    /// Tests only: derive the ephemeral key from `random` as the JS reference does (to replay
    /// its vectors).
    #[cfg(any(test, feature = "hazmat"))]
    pub fn with_js_ephemeral_seed_for_testing_only(
        identity: &Keypair,
        network: &NetworkKey,
        random: &[u8; 32],
    ) -> Self {
        Self::with_ephemeral(identity, network, Some(Ephemeral::from_js_random(random)))
    }

    fn with_ephemeral(
        identity: &Keypair,
        network: &NetworkKey,
        fixed_ephemeral: Option<Ephemeral>,
    ) -> Self {
        ServerHandshake {
            network: network.clone(),
            identity: identity.clone(),
            fixed_ephemeral,
            cache: None,
            state: State::AwaitClientHello,
        }
    }

    /// The client's long-term key, once message 3 has been verified.
    pub fn client_key(&self) -> Option<&PublicKey> {
        match &self.state {
            State::Authorize(auth) => Some(&auth.client),
            State::SendAccept(_, session) | State::Done(session) => Some(&session.peer),
            _ => None,
        }
    }

    /// Lets the client in: message 4 becomes the next thing to send.
    pub fn accept(&mut self) -> Result<(), HandshakeError> {
        self.state = match mem::replace(&mut self.state, State::Failed(Phase::ClientAuth)) {
            State::Authorize(auth) => {
                let msg4 = m::server_accept(
                    &self.network,
                    &self.identity,
                    &auth.h,
                    &auth.shash,
                    &auth.key4,
                );
                let keys = derive_keys(
                    &auth.key4,
                    &auth.client,
                    auth.client_nonce,
                    self.identity.public(),
                    auth.server_nonce,
                );
                let session = Session {
                    peer: auth.client,
                    keys,
                };
                State::SendAccept(msg4, session)
            }
            other => {
                // A caller's mistake leaves the handshake as it was.
                self.state = other;
                return Err(HandshakeError::Misuse("accept() outside authorization"));
            }
        };
        Ok(())
    }

    /// Turns the client away (only at [`Next::Authorize`]; elsewhere it does nothing). As with
    /// the reference, it is never told why: the caller should just close the connection.
    pub fn reject(&mut self) {
        if matches!(self.state, State::Authorize(_)) {
            self.state = State::Failed(Phase::ClientAuth);
        }
    }

    /// Message 1: check the client's hello, then make our ephemeral key and message 2.
    fn on_client_hello(&mut self, msg: &[u8]) -> Result<Greeted, HandshakeError> {
        let msg1 = exact::<HELLO_LEN>(msg, "message 1 must be 64 bytes")?;
        let client_ephemeral = m::open_hello(&self.network, &msg1, Phase::ClientHello)?;
        let ephemeral = self
            .fixed_ephemeral
            .take()
            .unwrap_or_else(Ephemeral::generate);
        let ab = m::shared(&ephemeral.secret, &client_ephemeral, Phase::ClientHello)?;
        let shash = crypto::sha256(&[ab.expose()]);
        Ok(Greeted {
            hello: m::hello(&self.network, &ephemeral.public),
            ephemeral,
            client_nonce: m::hello_nonce(&msg1),
            client_ephemeral,
            ab,
            shash,
        })
    }

    /// Message 3: open the client's authentication and verify its signature.
    fn on_client_auth(
        &self,
        greeted: &Greeted,
        msg: &[u8],
    ) -> Result<Authenticated, HandshakeError> {
        let msg3 = exact::<CLIENT_AUTH_LEN>(msg, "message 3 must be 112 bytes")?;
        let a_b = m::shared(
            self.identity.curve_secret(),
            &greeted.client_ephemeral,
            Phase::ClientAuth,
        )?;
        let key3 = m::key3(&self.network, &greeted.ab, &a_b);
        let (h, client) = m::unseal_client_auth(&key3, &msg3)?;
        // The key is checked (small order, prime-order subgroup) before the signature: the
        // bundled libsodium verifies signatures by a key with a torsion component for some
        // messages, and so such a key always fails here, never reaching the authorizer. (The JS
        // server does not check this conversion and would throw.) It is cached only once its
        // signature has verified: a key anyone can claim must not displace proven ones.
        let client_curve = match self.cache.as_deref() {
            Some(cache) => cache.convert_uncached(&client),
            None => m::long_term_x25519(&client),
        }
        .ok_or(HandshakeError::InvalidClientKey)?;
        m::verify_client_auth(&self.network, self.identity.public(), &greeted.shash, &h)?;
        if let Some(cache) = self.cache.as_deref() {
            cache.remember(client, client_curve);
        }
        let big_a_b = m::shared(&greeted.ephemeral.secret, &client_curve, Phase::ClientAuth)?;
        let key4 = m::key4(&self.network, &greeted.ab, &a_b, &big_a_b);
        Ok(Authenticated {
            client,
            client_nonce: greeted.client_nonce,
            server_nonce: m::hello_nonce(&greeted.hello),
            shash: greeted.shash.clone(),
            h,
            key4,
        })
    }
}

impl Handshake for ServerHandshake {
    fn next(&self) -> Next<'_> {
        match &self.state {
            State::AwaitClientHello => Next::Receive(HELLO_LEN),
            State::SendHello(greeted) => Next::Send(&greeted.hello),
            State::AwaitAuth(_) => Next::Receive(CLIENT_AUTH_LEN),
            State::Authorize(auth) => Next::Authorize(&auth.client),
            State::SendAccept(msg4, _) => Next::Send(msg4),
            State::Done(_) => Next::Done,
            State::Failed(_) => Next::Failed,
        }
    }

    fn phase(&self) -> Phase {
        match self.state {
            State::AwaitClientHello => Phase::ClientHello,
            State::SendHello(_) => Phase::ServerHello,
            State::AwaitAuth(_) | State::Authorize(_) => Phase::ClientAuth,
            State::SendAccept(..) | State::Done(_) => Phase::ServerAccept,
            State::Failed(phase) => phase,
        }
    }

    fn sent(&mut self) -> Result<(), HandshakeError> {
        let failed = State::Failed(self.phase());
        self.state = match mem::replace(&mut self.state, failed) {
            State::SendHello(greeted) => State::AwaitAuth(greeted),
            State::SendAccept(_, session) => State::Done(session),
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
            State::AwaitClientHello => State::SendHello(Box::new(self.on_client_hello(msg)?)),
            State::AwaitAuth(greeted) => {
                State::Authorize(Box::new(self.on_client_auth(&greeted, msg)?))
            }
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

impl std::fmt::Debug for ServerHandshake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerHandshake")
            .field("identity", self.identity.public())
            .field("next", &self.next())
            .finish_non_exhaustive()
    }
}
