//! [`BoxStream`]: the encrypted duplex a successful handshake produces.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project::pin_project;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::read::ReadState;
use super::write::WriteState;
use crate::handshake::Session;
use crate::keys::PublicKey;
use crate::trace;

/// Any transport, boxed: for code that mixes TCP, Unix sockets and others in one type
/// (see [`BoxStream::into_dyn`]).
pub trait Transport: AsyncRead + AsyncWrite + Send {}

impl<T: AsyncRead + AsyncWrite + Send + ?Sized> Transport for T {}

/// A box-stream over a transport of any kind.
pub type DynBoxStream<A = ()> = BoxStream<dyn Transport, A>;

/// An authenticated, encrypted duplex over `IO`; `A` is the value the server's authorizer
/// accepted the client with (`()` on clients).
///
/// * Reading yields the peer's plaintext, as much as is ready and fits. After the peer's
///   goodbye every read returns 0 bytes; a transport EOF without a goodbye is an
///   `UnexpectedEof` error, and a frame that fails authentication is `InvalidData`; both end
///   the stream for good. A transport error is returned once and ends nothing: retry when
///   the transport recovers, and reading continues where it stopped.
/// * Writes are sealed into frames of at most 4096 bytes and buffered like a `BufWriter`:
///   **call `flush` before waiting for a reply**. `shutdown` sends the goodbye, flushes, and
///   shuts down the transport's writing side (a TCP half-close); reading keeps working.
///   One transport write carries many frames.
/// * [`close`](Self::close) ends the connection on any transport, bounded in time: both
///   goodbyes, then the transport's own end (a WebSocket's Close).
///
/// The transport may be any `AsyncRead + AsyncWrite`, `Unpin` or not: it is kept in one heap
/// allocation (`Pin<Box<IO>>`) from the start of the handshake, so it never moves after it has
/// been polled. Buffers are allocated only while data is in flight and freed when the stream
/// is quiet.
#[pin_project]
pub struct BoxStream<IO: ?Sized, A = ()> {
    pub(super) read: ReadState,
    pub(super) write: WriteState,
    pub(super) peer: PublicKey,
    pub(super) auth: A,
    pub(super) io: Pin<Box<IO>>,
}

impl<IO: AsyncRead + AsyncWrite> BoxStream<IO> {
    /// A box-stream over `io` from a handshake driven by hand (the sans-IO
    /// [`handshake`](crate::handshake) machines).
    pub fn new(io: IO, session: Session) -> Self {
        BoxStream::from_pinned(Box::pin(io), session, (), trace::Stream::none())
    }
}

impl<IO: ?Sized, A> BoxStream<IO, A> {
    /// The stream of a finished handshake; its events go to `trace`.
    pub(crate) fn from_pinned(
        io: Pin<Box<IO>>,
        session: Session,
        auth: A,
        trace: trace::Stream,
    ) -> Self {
        let (sealer, opener) = session.keys.into_sealer_and_opener();
        BoxStream {
            read: ReadState::new(opener, trace),
            write: WriteState::new(sealer),
            peer: session.peer,
            auth,
            io,
        }
    }

    /// The peer's long-term public key, proven by the handshake (JS `stream.remote`).
    pub fn peer_key(&self) -> &PublicKey {
        &self.peer
    }

    /// Server side: the value the authorizer accepted this client with (JS `stream.auth`).
    pub fn auth(&self) -> &A {
        &self.auth
    }

    /// The transport.
    pub fn get_ref(&self) -> &IO {
        &self.io
    }

    /// The transport, mutably (for socket options). Reading or writing it directly corrupts
    /// the stream.
    pub fn get_mut(&mut self) -> &mut IO
    where
        IO: Unpin,
    {
        self.io.as_mut().get_mut()
    }

    /// The pinned transport, for transports that are not `Unpin`.
    pub fn get_pin_mut(&mut self) -> Pin<&mut IO> {
        self.io.as_mut()
    }

    /// The transport. Buffered plaintext, ciphertext not yet opened and frames not yet written
    /// are dropped: shut down or flush first.
    pub fn into_inner(self) -> IO
    where
        IO: Unpin + Sized,
    {
        *Pin::into_inner(self.io)
    }

    /// Whether the peer's goodbye has arrived (reads now return 0 bytes).
    pub fn is_ended(&self) -> bool {
        self.read.is_ended()
    }

    /// Sets how many sealed bytes may be buffered before writes wait for the transport
    /// (default [`DEFAULT_WRITE_BUFFER`](crate::DEFAULT_WRITE_BUFFER)). Any value is accepted;
    /// the buffer only grows as far as a burst needs.
    pub fn set_write_buffer_limit(&mut self, bytes: usize) {
        self.write.set_limit(bytes);
    }

    /// Heap bytes the stream's buffers hold right now (0 when quiet).
    pub fn buffered_capacity(&self) -> usize {
        self.read.buffered_capacity() + self.write.buffered_capacity()
    }

    /// Boxes the transport as a trait object, so streams over different transports have one
    /// type.
    pub fn into_dyn(self) -> DynBoxStream<A>
    where
        IO: Transport + Sized + 'static,
    {
        BoxStream {
            io: self.io,
            read: self.read,
            write: self.write,
            peer: self.peer,
            auth: self.auth,
        }
    }
}

impl<IO: AsyncRead + ?Sized, A> AsyncRead for BoxStream<IO, A> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.project();
        this.read.poll_read(this.io.as_mut(), cx, buf)
    }
}

impl<IO: AsyncWrite + ?Sized, A> AsyncWrite for BoxStream<IO, A> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.project();
        this.write.poll_write(this.io.as_mut(), cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.project();
        this.write.poll_flush(this.io.as_mut(), cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.project();
        this.write.poll_shutdown(this.io.as_mut(), cx)
    }
}

impl<IO: ?Sized, A> std::fmt::Debug for BoxStream<IO, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoxStream")
            .field("peer", &self.peer)
            .field("ended", &self.read.is_ended())
            .finish_non_exhaustive()
    }
}

#[cfg(unix)]
impl<IO: std::os::fd::AsFd + ?Sized, A> std::os::fd::AsFd for BoxStream<IO, A> {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.io.as_fd()
    }
}

#[cfg(unix)]
impl<IO: std::os::fd::AsRawFd + ?Sized, A> std::os::fd::AsRawFd for BoxStream<IO, A> {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.as_raw_fd()
    }
}

#[cfg(windows)]
impl<IO: std::os::windows::io::AsSocket + ?Sized, A> std::os::windows::io::AsSocket
    for BoxStream<IO, A>
{
    fn as_socket(&self) -> std::os::windows::io::BorrowedSocket<'_> {
        self.io.as_socket()
    }
}

#[cfg(windows)]
impl<IO: std::os::windows::io::AsRawSocket + ?Sized, A> std::os::windows::io::AsRawSocket
    for BoxStream<IO, A>
{
    fn as_raw_socket(&self) -> std::os::windows::io::RawSocket {
        self.io.as_raw_socket()
    }
}
