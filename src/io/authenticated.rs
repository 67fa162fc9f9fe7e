//! The staged accept: a handshake stopped after the client proved who it is, waiting for the
//! application's decision. [`Accept`](crate::Accept) runs this stage first, then asks its
//! authorizer; `Authenticated::accept` is beside `Accept`, in `accept.rs`.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite};

use super::mid_handshake::{Failed, MidHandshake};
use crate::error::HandshakeError;
use crate::handshake::{Handshake, Next, ServerHandshake};
use crate::keys::PublicKey;

/// The first stage of a server handshake, from
/// [`Server::authenticate`](crate::Server::authenticate): resolves to an [`Authenticated`] client
/// once message 3 has been verified.
///
/// On failure the transport is dropped, which closes it; [`into_fallible`](Self::into_fallible)
/// hands it back instead.
pub struct Authenticate<IO> {
    mid: Option<MidHandshake<IO, ServerHandshake>>,
}

impl<IO> Authenticate<IO> {
    pub(crate) fn new(mid: MidHandshake<IO, ServerHandshake>) -> Self {
        Authenticate { mid: Some(mid) }
    }

    /// The transport, while the handshake runs (`None` once the future has completed).
    pub fn get_ref(&self) -> Option<&IO> {
        self.mid.as_ref().map(|mid| &*mid.io)
    }

    /// The transport, mutably, while the handshake runs (for socket options). Reading or
    /// writing it corrupts the handshake.
    pub fn get_mut(&mut self) -> Option<&mut IO>
    where
        IO: Unpin,
    {
        self.mid.as_mut().map(|mid| mid.io.as_mut().get_mut())
    }

    /// Names the transport and the peer's address in the handshake's span (feature `tracing`).
    pub(crate) fn trace_at(&self, transport: &str, peer_addr: &dyn std::fmt::Display) {
        if let Some(mid) = &self.mid {
            mid.trace.at(transport, peer_addr);
        }
    }

    /// A future that gives the transport back with the error if phases 1 to 3 fail.
    pub fn into_fallible(self) -> FallibleAuthenticate<IO> {
        FallibleAuthenticate(self)
    }
}

impl<IO: AsyncRead + AsyncWrite> Authenticate<IO> {
    /// Messages 1 to 3, up to the client's verified key (also `Accept`'s first stage).
    pub(crate) fn poll_authenticated(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Authenticated<IO>, Failed<IO>>> {
        let Some(mid) = self.mid.as_mut() else {
            return Poll::Ready(Err(Failed::misuse("Authenticate polled after completion")));
        };
        let result = ready!(mid.poll_io(cx));
        let Some(mid) = self.mid.take() else {
            return Poll::Ready(Err(Failed::misuse("Authenticate polled after completion")));
        };
        if let Err(error) = result {
            return Poll::Ready(Err(mid.fail(error)));
        }
        let Next::Authorize(&peer) = mid.machine.next() else {
            let error = HandshakeError::Misuse("server stopped before authorization");
            return Poll::Ready(Err(mid.fail(error)));
        };
        mid.trace.authenticated(&peer);
        // The application decides now; the silence is counted again from message 4 on.
        Poll::Ready(Ok(Authenticated { mid, peer }))
    }
}

impl<IO: AsyncRead + AsyncWrite> Future for Authenticate<IO> {
    type Output = Result<Authenticated<IO>, HandshakeError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.poll_authenticated(cx).map_err(|failed| failed.error)
    }
}

/// [`Authenticate`] that resolves to `Err((error, transport))` when phases 1 to 3 fail, from
/// [`Authenticate::into_fallible`]; see [`FallibleAccept`](crate::FallibleAccept).
#[derive(Debug)]
pub struct FallibleAuthenticate<IO>(Authenticate<IO>);

impl<IO: AsyncRead + AsyncWrite + Unpin> Future for FallibleAuthenticate<IO> {
    type Output = Result<Authenticated<IO>, (HandshakeError, IO)>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let result = ready!(self.0.poll_authenticated(cx));
        Poll::Ready(result.map_err(|failed| failed.into_parts("FallibleAuthenticate")))
    }
}

impl<IO> std::fmt::Debug for Authenticate<IO> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticate").finish_non_exhaustive()
    }
}

/// A client that has proven its long-term key (message 3), waiting for the server's decision.
///
/// Nothing has been sent in reply yet. [`accept`](Self::accept) sends message 4 and yields the
/// stream; [`reject`](Self::reject) hands the transport back without it, and dropping this
/// closes the transport: either way the client is turned away silently, as in the reference.
/// The client's own handshake timer keeps running meanwhile (5 s by default): decide quickly.
///
/// ```
/// # use secret_handshake::{AllowAll, Client, Keypair, NetworkKey, Server};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::collections::HashSet;
///
/// let server = Server::new(Keypair::generate(), NetworkKey::ssb_main_net(), AllowAll);
/// let client = Client::new(Keypair::generate(), NetworkKey::ssb_main_net());
/// let mut connected = HashSet::new();
///
/// for attempt in 0..2 {
///     let (client_io, server_io) = tokio::io::duplex(4096);
///     let dial = client.connect(client_io, server.identity());
///     let answer = async {
///         let authenticated = server.authenticate(server_io).await?;
///         // Our own context: refuse a second connection from a key already connected.
///         if !connected.insert(*authenticated.peer_key()) {
///             drop(authenticated.reject()); // message 4 is never sent
///             return Ok(None);
///         }
///         let stream = authenticated.accept_with(attempt).await?;
///         Ok::<_, secret_handshake::HandshakeError>(Some(stream))
///     };
///     let (dialled, answered) = tokio::join!(dial, answer);
///     match attempt {
///         0 => assert_eq!(*answered?.expect("first is accepted").auth(), 0),
///         _ => assert!(answered?.is_none() && dialled.is_err()),
///     }
/// }
/// # Ok(()) }
/// ```
pub struct Authenticated<IO> {
    pub(crate) mid: MidHandshake<IO, ServerHandshake>,
    pub(crate) peer: PublicKey,
}

impl<IO> Authenticated<IO> {
    /// The client's long-term key, proven by its signature.
    pub fn peer_key(&self) -> &PublicKey {
        &self.peer
    }

    /// The transport (for the peer's address, say).
    pub fn get_ref(&self) -> &IO {
        &self.mid.io
    }

    /// The transport, mutably (for socket options). Reading or writing it corrupts the
    /// handshake.
    pub fn get_mut(&mut self) -> &mut IO
    where
        IO: Unpin,
    {
        self.mid.io.as_mut().get_mut()
    }

    /// The pinned transport, for transports that are not `Unpin`.
    pub fn get_pin_mut(&mut self) -> Pin<&mut IO> {
        self.mid.io.as_mut()
    }

    /// Turns the client away: message 4 is never sent, and the transport is yours (drop it to
    /// hang up, as the reference does).
    pub fn reject(self) -> IO
    where
        IO: Unpin,
    {
        *Pin::into_inner(self.reject_pinned())
    }

    /// [`reject`](Self::reject) for transports that are not `Unpin`.
    pub fn reject_pinned(self) -> Pin<Box<IO>> {
        self.mid.trace.failed(&HandshakeError::Unauthorized);
        self.mid.io
    }
}

impl<IO> std::fmt::Debug for Authenticated<IO> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticated")
            .field("peer", &self.peer)
            .finish_non_exhaustive()
    }
}
