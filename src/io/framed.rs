//! [`BoxFramed`]: box-stream frames as a `Stream` of messages and a `Sink` of byte buffers,
//! whose `close` sends the goodbye.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::{Sink, Stream};
use pin_project::pin_project;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::codec::Framed;

use super::close::{self, Ending};
use crate::boxstream::{BoxStreamCodec, Frame, Goodbye};
use crate::handshake::Session;
use crate::keys::PublicKey;

/// A box-stream as whole messages: each item sent is sealed as its own frames (one frame
/// per 4096 bytes), each frame received is one item, as in the JS reference's pull-streams.
///
/// [`BoxStreamCodec`] in a `tokio_util` `Framed`, plus what `Framed` cannot do: its `Sink` is
/// for [`Bytes`] alone, so `SinkExt::close` needs no type annotation, and `close` seals the
/// goodbye before flushing and shutting down the transport's writing side (a half-close: a
/// WebSocket stays open); [`close_within`](Self::close_within) is the whole end, the
/// peer's goodbye and a WebSocket's Close included. The `Stream` ends
/// (`None`) at the peer's goodbye, even if the transport stays open; a transport that ends
/// without one is an `UnexpectedEof` error.
///
/// Memory: `Framed`'s buffers, 8 KiB each way at first; the read buffer holds at most one
/// unfinished frame besides the last read, and sends wait for the transport past 8 KiB
/// buffered.
///
/// ```
/// use bytes::Bytes;
/// use futures::{SinkExt, TryStreamExt};
/// use secret_handshake::{AllowAll, BoxFramed, Client, Keypair, NetworkKey, Server};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let server = Server::new(Keypair::generate(), NetworkKey::ssb_main_net(), AllowAll);
/// let client = Client::new(Keypair::generate(), NetworkKey::ssb_main_net());
/// let (a, b) = tokio::io::duplex(4096);
/// let (dialled, accepted) = tokio::join!(
///     client.connect(a, server.identity()).into_session(),
///     server.accept(b).into_session(),
/// );
/// let (io, session) = dialled?;
/// let mut alice = BoxFramed::new(io, session);
/// let (io, session, ()) = accepted?;
/// let mut bob = BoxFramed::new(io, session);
///
/// alice.send(Bytes::from_static(b"hello")).await?;
/// alice.close().await?; // the goodbye, then a half-close
/// let got: Vec<_> = bob.try_collect().await?; // ends at the goodbye
/// assert_eq!(got, [&b"hello"[..]]);
/// # Ok(()) }
/// ```
#[pin_project]
#[derive(Debug)]
pub struct BoxFramed<IO> {
    #[pin]
    inner: Framed<IO, BoxStreamCodec>,
    peer: PublicKey,
    closing: Closing,
}

/// How far `Sink::poll_close` has gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closing {
    Open,
    GoodbyeSealed,
    /// Done: a later `poll_close` does not shut the transport down again (a second shutdown
    /// ends a WebSocket, which only [`BoxFramed::close_within`] does, at the right moment).
    Closed,
}

impl<IO: AsyncRead + AsyncWrite> BoxFramed<IO> {
    /// Frames `io` with the keys of `session`, which are consumed: one session, one stream.
    pub fn new(io: IO, session: Session) -> Self {
        BoxFramed {
            inner: Framed::new(io, BoxStreamCodec::new(session.keys)),
            peer: session.peer,
            closing: Closing::Open,
        }
    }
}

impl<IO> BoxFramed<IO> {
    /// The peer's long-term public key, proven by the handshake.
    pub fn peer_key(&self) -> &PublicKey {
        &self.peer
    }

    /// Whether the peer's goodbye has arrived (the `Stream` has ended).
    pub fn is_ended(&self) -> bool {
        self.inner.codec().is_ended()
    }

    /// The transport.
    pub fn get_ref(&self) -> &IO {
        self.inner.get_ref()
    }

    /// The transport, mutably. Reading or writing it directly corrupts the stream.
    pub fn get_mut(&mut self) -> &mut IO {
        self.inner.get_mut()
    }

    /// The underlying `Framed`, for its buffer settings. Its own `Sink::poll_close` does not
    /// send the goodbye.
    pub fn framed_mut(&mut self) -> &mut Framed<IO, BoxStreamCodec> {
        &mut self.inner
    }

    /// The transport. Frames buffered either way are dropped: close or flush first.
    pub fn into_inner(self) -> IO {
        self.inner.into_inner()
    }
}

impl<IO: AsyncRead> Stream for BoxFramed<IO> {
    type Item = io::Result<BytesMut>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        if this.inner.codec().is_ended() {
            return Poll::Ready(None);
        }
        Poll::Ready(match ready!(this.inner.as_mut().poll_next(cx)) {
            Some(Ok(Frame::Message(message))) => Some(Ok(message)),
            Some(Ok(Frame::Goodbye)) | None => None,
            Some(Err(error)) => Some(Err(error)),
        })
    }
}

impl<IO: AsyncWrite> Sink<Bytes> for BoxFramed<IO> {
    type Error = io::Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Sink::<Bytes>::poll_ready(self.project().inner, cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Bytes) -> io::Result<()> {
        self.project().inner.start_send(item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Sink::<Bytes>::poll_flush(self.project().inner, cx)
    }

    /// Seals the goodbye after anything buffered, flushes, and shuts down the transport's
    /// writing side (a `NotConnected` from it means the peer is gone: done). Safe to call
    /// again; once done, it does nothing more. The whole end is
    /// [`close_within`](BoxFramed::close_within).
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut this = self.project();
        if *this.closing == Closing::Open {
            ready!(Sink::<Goodbye>::poll_ready(this.inner.as_mut(), cx))?;
            this.inner.as_mut().start_send(Goodbye)?;
            *this.closing = Closing::GoodbyeSealed;
        }
        if *this.closing == Closing::GoodbyeSealed {
            match ready!(Sink::<Goodbye>::poll_close(this.inner, cx)) {
                Err(e) if e.kind() != io::ErrorKind::NotConnected => return Poll::Ready(Err(e)),
                _ => *this.closing = Closing::Closed,
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> BoxFramed<IO> {
    /// Ends the connection cleanly, whatever the transport, as
    /// [`BoxStream::close_within`](crate::BoxStream::close_within) does: `SinkExt::close`
    /// (our goodbye and the half-close), then the peer's goodbye (messages before it are
    /// dropped: read the `Stream` to its end first to keep them), then the transport's own end
    /// (a WebSocket's Close handshake), all within `timeout`
    /// ([`DEFAULT_CLOSE_TIMEOUT`](crate::DEFAULT_CLOSE_TIMEOUT) is the usual choice).
    pub async fn close_within(&mut self, timeout: Duration) -> io::Result<()> {
        close::close(self, timeout).await
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> Ending for BoxFramed<IO> {
    fn poll_goodbye(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Sink::<Bytes>::poll_close(Pin::new(self), cx)
    }

    fn poll_peer_goodbye(&mut self, cx: &mut Context<'_>, budget: usize) -> Poll<io::Result<()>> {
        for _ in 0..budget {
            match ready!(Pin::new(&mut *self).poll_next(cx)) {
                Some(Ok(_dropped)) => {}
                Some(Err(e)) => return Poll::Ready(Err(e)),
                None => return Poll::Ready(Ok(())),
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    fn poll_end_transport(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.inner.get_mut()).poll_shutdown(cx)
    }
}
