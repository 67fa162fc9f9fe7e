//! The server: accept clients, letting an [`Authorize`] decide who may connect
//! ([`Server::accept`], the future in `accept.rs`), or decide yourself with
//! [`Server::authenticate`] (the staged accept, in `authenticated.rs`).

use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};

use super::accept::Accept;
use super::authenticated::Authenticate;
use super::authorize::{Authorize, Decide};
use super::limits::Limits;
use super::mid_handshake::MidHandshake;
use super::timer::Timer;
use crate::handshake::{CurveCache, ServerHandshake};
use crate::keys::{Keypair, NetworkKey, PublicKey};
use crate::trace::{self, Direction};

/// Accepts secret-handshake connections as one identity on one network. Cheap to clone; clones
/// share a cache of clients' keys in Curve25519 form, so a returning client costs one
/// conversion less.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use secret_handshake::{AllowAll, Keypair, NetworkKey, Server};
///
/// let server = Server::new(Keypair::generate(), NetworkKey::ssb_main_net(), AllowAll);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8008").await?;
/// loop {
///     let (tcp, _) = listener.accept().await?;
///     let server = server.clone();
///     // Handshake outside the accept loop, so a slow client cannot stall the others.
///     tokio::spawn(async move {
///         match server.accept(tcp).await {
///             Ok(stream) => println!("connected: {}", stream.peer_key()),
///             Err(e) => eprintln!("{e}"),
///         }
///     });
/// }
/// # }
/// ```
pub struct Server<A> {
    identity: Keypair,
    network: NetworkKey,
    authorizer: Arc<A>,
    limits: Limits,
    /// Clients' keys in Curve25519 form, shared by clones.
    curves: Arc<CurveCache>,
}

impl<A> Server<A> {
    /// A server with identity `identity` on `network`; `authorizer` decides in
    /// [`accept`](Self::accept) who may connect ([`authenticate`](Self::authenticate) leaves
    /// the decision to you; [`without_authorizer`](Server::without_authorizer) needs none).
    pub fn new(identity: Keypair, network: NetworkKey, authorizer: A) -> Self {
        Server {
            identity,
            network,
            authorizer: Arc::new(authorizer),
            limits: Limits::default(),
            curves: Arc::new(CurveCache::new()),
        }
    }

    /// Uses `limits` for every handshake and authorizer from now on (default
    /// [`Limits::default`]: 5 s on silence, 30 s in all; they need Tokio's time driver).
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The limits each handshake runs under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The identity this server proves.
    pub fn identity(&self) -> &PublicKey {
        self.identity.public()
    }

    /// Runs the handshake on `io` up to and including the verification of the client's
    /// identity (message 3), and stops there: the [`Authenticated`](crate::Authenticated) it
    /// resolves to tells you who the client is and lets you
    /// [`accept`](crate::Authenticated::accept) or [`reject`](crate::Authenticated::reject) it
    /// with whatever context you have. The authorizer given to [`Server::new`] is not
    /// consulted.
    pub fn authenticate<IO>(&self, io: IO) -> Authenticate<IO>
    where
        IO: AsyncRead + AsyncWrite,
    {
        Authenticate::new(self.mid_handshake(io))
    }

    fn mid_handshake<IO>(&self, io: IO) -> MidHandshake<IO, ServerHandshake>
    where
        IO: AsyncRead + AsyncWrite,
    {
        let machine = ServerHandshake::new_cached(&self.identity, &self.network, &self.curves);
        let timer = Timer::new(
            self.limits.handshake_timeout(),
            self.limits.handshake_deadline(),
        );
        MidHandshake::new(io, machine, timer, trace::Handshake::new(Direction::Server))
    }
}

impl Server<()> {
    /// A server for the staged accept alone: [`authenticate`](Self::authenticate) hands you
    /// each client and you decide. `()` is not an [`Authorize`], so `accept`, which would need
    /// one, does not compile on it:
    ///
    /// ```compile_fail,E0277
    /// # use secret_handshake::{Keypair, NetworkKey, Server};
    /// let server = Server::without_authorizer(Keypair::generate(), NetworkKey::ssb_main_net());
    /// let (_, io) = tokio::io::duplex(64);
    /// let _ = server.accept(io); // error: `()` is not an authorizer
    /// ```
    pub fn without_authorizer(identity: Keypair, network: NetworkKey) -> Self {
        Server::new(identity, network, ())
    }
}

// `A: Authorize` on the method, not the impl: calling `accept` with a non-authorizer is then an
// E0277 that shows `Authorize`'s `on_unimplemented` note, not an E0599 about `Fn`.
impl<A> Server<A> {
    /// Performs the server handshake on `io`, letting the authorizer decide.
    ///
    /// A client that fails verification or is not authorized gets nothing more than the
    /// server's hello and a closed connection: the transport is dropped.
    pub fn accept<IO>(&self, io: IO) -> Accept<IO, A::Auth>
    where
        A: Authorize,
        IO: AsyncRead + AsyncWrite,
    {
        let authorizer = Arc::clone(&self.authorizer) as Arc<dyn Decide<A::Auth>>;
        Accept::new(self.authenticate(io), authorizer, &self.limits)
    }
}

impl<A> Clone for Server<A> {
    fn clone(&self) -> Self {
        Server {
            identity: self.identity.clone(),
            network: self.network.clone(),
            authorizer: Arc::clone(&self.authorizer),
            limits: self.limits,
            curves: Arc::clone(&self.curves),
        }
    }
}

impl<A> std::fmt::Debug for Server<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("identity", self.identity.public())
            .field("network", &self.network)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}
