//! The client: dial a server whose key you know ([`Client`]), the handshake in progress
//! ([`Connect`]) and its forms that hand back the transport or the session.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite};

use super::limits::Limits;
use super::mid_handshake::{Failed, MidHandshake};
use super::stream::BoxStream;
use super::timer::Timer;
use crate::error::HandshakeError;
use crate::handshake::{ClientHandshake, CurveCache, Handshake, Session};
use crate::keys::{Keypair, NetworkKey, PublicKey};
use crate::trace::{self, Direction};

/// Opens secret-handshake connections as one identity on one network. Cheap to clone; clones
/// share a cache of servers' keys in Curve25519 form, so dialling a server again costs one
/// conversion less.
///
/// ```no_run
/// # use secret_handshake::PublicKey;
/// # async fn demo(server_key: PublicKey) -> Result<(), Box<dyn std::error::Error>> {
/// use secret_handshake::{Client, Keypair, NetworkKey};
/// use tokio::io::AsyncWriteExt;
///
/// let client = Client::new(Keypair::generate(), NetworkKey::ssb_main_net());
/// let tcp = tokio::net::TcpStream::connect("127.0.0.1:8008").await?;
/// let mut stream = client.connect(tcp, &server_key).await?;
/// stream.write_all(b"hello").await?;
/// stream.shutdown().await?; // sends the goodbye
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    identity: Keypair,
    network: NetworkKey,
    limits: Limits,
    /// Servers' keys in Curve25519 form, shared by clones.
    curves: Arc<CurveCache>,
}

impl Client {
    /// A client with identity `identity` on `network`, with the default [`Limits`] (the
    /// reference's 5 s handshake timeout, 30 s in all).
    pub fn new(identity: Keypair, network: NetworkKey) -> Self {
        Client {
            identity,
            network,
            limits: Limits::default(),
            curves: Arc::new(CurveCache::new()),
        }
    }

    /// Uses the identity derived from `seed` instead (the JS `seed` option, used by invites).
    pub fn with_seed_identity(mut self, seed: &[u8; 32]) -> Self {
        self.identity = Keypair::from_seed(seed);
        self
    }

    /// Uses `limits` for every handshake from now on (default [`Limits::default`]: 5 s on
    /// silence, 30 s in all; they need Tokio's time driver).
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The limits each handshake runs under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The identity this client proves.
    pub fn identity(&self) -> &PublicKey {
        self.identity.public()
    }

    /// `Err(`[`HandshakeError::InvalidServerKey`]`)` if `server` cannot be dialled at all (not a
    /// curve point, of small order, or outside the prime-order subgroup), so that a caller can
    /// refuse it before opening a connection. [`connect`](Self::connect) makes the same check
    /// before it writes; a usable key's conversion is cached for it.
    pub fn check_server_key(&self, server: &PublicKey) -> Result<(), HandshakeError> {
        match self.curves.convert(server) {
            Some(_) => Ok(()),
            None => Err(HandshakeError::InvalidServerKey),
        }
    }

    /// Performs the handshake on `io` with the server `server`.
    ///
    /// A `server` key that cannot be used (not a curve point, of small order, or outside the
    /// prime-order subgroup) fails with [`HandshakeError::InvalidServerKey`] at the first poll,
    /// before anything is written to `io`.
    ///
    /// Dropping the returned future closes the connection (the transport is dropped).
    pub fn connect<IO>(&self, io: IO, server: &PublicKey) -> Connect<IO>
    where
        IO: AsyncRead + AsyncWrite,
    {
        let machine =
            ClientHandshake::new_cached(&self.identity, &self.network, server, &self.curves);
        Connect(Some(MidHandshake::new(
            io,
            machine,
            Timer::new(
                self.limits.handshake_timeout(),
                self.limits.handshake_deadline(),
            ),
            trace::Handshake::new(Direction::Client),
        )))
    }
}

/// The client handshake in progress; resolves to a [`BoxStream`].
///
/// On failure the transport is dropped, which closes it; [`into_fallible`](Self::into_fallible)
/// hands it back instead.
pub struct Connect<IO>(Option<MidHandshake<IO, ClientHandshake>>);

impl<IO> Connect<IO> {
    /// The transport, while the handshake runs (`None` once the future has completed).
    pub fn get_ref(&self) -> Option<&IO> {
        self.0.as_ref().map(|mid| &*mid.io)
    }

    /// The transport, mutably, while the handshake runs (for socket options). Reading or
    /// writing it corrupts the handshake.
    pub fn get_mut(&mut self) -> Option<&mut IO>
    where
        IO: Unpin,
    {
        self.0.as_mut().map(|mid| mid.io.as_mut().get_mut())
    }

    /// Names the transport and the peer's address in the handshake's span (feature `tracing`).
    pub(crate) fn at(self, transport: &str, peer_addr: &dyn std::fmt::Display) -> Self {
        if let Some(mid) = &self.0 {
            mid.trace.at(transport, peer_addr);
        }
        self
    }

    /// A future that gives the transport back with the error if the handshake fails.
    pub fn into_fallible(self) -> FallibleConnect<IO> {
        FallibleConnect(self)
    }

    /// A future that resolves to the transport and the [`Session`] instead of a
    /// [`BoxStream`], for your own framing: a [`BoxFramed`](crate::BoxFramed), or a
    /// `Framed` with [`BoxStreamCodec`](crate::boxstream::BoxStreamCodec). The handshake reads
    /// its messages at their exact sizes, so the transport holds every byte the server sent
    /// after message 4. The session's keys build exactly one stream.
    pub fn into_session(self) -> ConnectSession<IO> {
        ConnectSession(self)
    }
}

/// A finished client handshake: the transport, the session, and the span its stream's events go
/// to.
type Finished<IO> = (Pin<Box<IO>>, Session, trace::Stream);

/// [`Connect`] resolving to the transport and the [`Session`], from
/// [`Connect::into_session`]. The transport must be `Unpin` to be handed back by value (a
/// `Pin<Box<IO>>` always is).
#[derive(Debug)]
pub struct ConnectSession<IO>(Connect<IO>);

impl<IO: AsyncRead + AsyncWrite + Unpin> Future for ConnectSession<IO> {
    type Output = Result<(IO, Session), HandshakeError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0
            .poll_session(cx)
            .map_ok(|(io, session, _)| (*Pin::into_inner(io), session))
            .map_err(|failed| failed.error)
    }
}

impl<IO: AsyncRead + AsyncWrite> Connect<IO> {
    fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<Result<BoxStream<IO>, Failed<IO>>> {
        self.poll_session(cx)
            .map_ok(|(io, session, trace)| BoxStream::from_pinned(io, session, (), trace))
    }

    /// The handshake's outcome before any stream is built from it.
    fn poll_session(&mut self, cx: &mut Context<'_>) -> Poll<Result<Finished<IO>, Failed<IO>>> {
        let Some(mid) = self.0.as_mut() else {
            return Poll::Ready(Err(Failed::misuse("Connect polled after completion")));
        };
        // An unusable server key is refused before a byte is sent (it would fail in phase 2).
        let result = match mid.machine.check_server_key() {
            Ok(()) => ready!(mid.poll_io(cx)),
            Err(refused) => Err(refused),
        };
        let Some(mid) = self.0.take() else {
            return Poll::Ready(Err(Failed::misuse("Connect polled after completion")));
        };
        Poll::Ready(match result {
            Ok(()) => match mid.machine.finish() {
                Ok(session) => {
                    let trace = mid.trace.succeeded(&session.peer);
                    Ok((mid.io, session, trace))
                }
                Err(error) => {
                    mid.trace.failed(&error);
                    Err(Failed::with_io(error, mid.io))
                }
            },
            Err(error) => Err(mid.fail(error)),
        })
    }
}

impl<IO: AsyncRead + AsyncWrite> Future for Connect<IO> {
    type Output = Result<BoxStream<IO>, HandshakeError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.poll_finish(cx).map_err(|failed| failed.error)
    }
}

/// [`Connect`] that resolves to `Err((error, transport))` on failure, as in tokio-rustls.
///
/// The transport must be `Unpin` to be handed back by value. The peer has seen a broken
/// handshake, so the transport is only good for logging or closing it your way.
///
/// Polled again after it completed, it panics (naming itself), where [`Connect`] returns
/// `Err(HandshakeError::Misuse)`: the transport has been handed out, and an output of
/// `(error, Option<IO>)` would make every caller handle a `None` that only a manual poll
/// after completion can cause (`.await` cannot). tokio-rustls's fallible futures panic too.
#[derive(Debug)]
pub struct FallibleConnect<IO>(Connect<IO>);

impl<IO: AsyncRead + AsyncWrite + Unpin> Future for FallibleConnect<IO> {
    type Output = Result<BoxStream<IO>, (HandshakeError, IO)>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let result = ready!(self.0.poll_finish(cx));
        Poll::Ready(result.map_err(|failed| failed.into_parts("FallibleConnect")))
    }
}

impl<IO> std::fmt::Debug for Connect<IO> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connect").finish_non_exhaustive()
    }
}
