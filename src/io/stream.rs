//! [`BoxStream`]: the encrypted duplex a successful handshake produces.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project::pin_project;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf, ReadHalf, WriteHalf};

use super::read::{BoxReader, ReadState};
use super::write::{BoxWriter, WriteState};
use crate::handshake::Session;
use crate::keys::PublicKey;

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
///
/// The transport may be any `AsyncRead + AsyncWrite`, `Unpin` or not: it is kept in one heap
/// allocation (`Pin<Box<IO>>`) from the start of the handshake, so it never moves after it has
/// been polled. Buffers are allocated only while data is in flight and freed when the stream
/// is quiet.
#[pin_project]
pub struct BoxStream<IO: ?Sized, A = ()> {
    read: ReadState,
    write: WriteState,
    peer: PublicKey,
    auth: A,
    io: Pin<Box<IO>>,
}

impl<IO: AsyncRead + AsyncWrite> BoxStream<IO> {
    /// A box-stream over `io` from a handshake driven by hand (the sans-IO
    /// [`handshake`](crate::handshake) machines).
    pub fn new(io: IO, session: Session) -> Self {
        BoxStream::from_pinned(Box::pin(io), session, ())
    }
}

impl<IO: ?Sized, A> BoxStream<IO, A> {
    pub(crate) fn from_pinned(io: Pin<Box<IO>>, session: Session, auth: A) -> Self {
        let (sealer, opener) = session.keys.into_sealer_and_opener();
        BoxStream {
            read: ReadState::new(opener),
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

    /// Splits into halves that can be used from separate tasks, with the transport split by
    /// `split` (for example `tokio::net::TcpStream::into_split`, which needs no lock). The two
    /// directions of a box-stream share no state.
    pub fn split_with<R, W>(
        self,
        split: impl FnOnce(IO) -> (R, W),
    ) -> (BoxReader<R, A>, BoxWriter<W, A>)
    where
        IO: Unpin + Sized,
    {
        let BoxStream {
            io,
            read,
            write,
            peer,
            auth,
        } = self;
        let (r, w) = split(*Pin::into_inner(io));
        halves(read, write, peer, auth, r, w)
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

/// The reading half [`BoxStream::into_split`] gives for a transport `IO`.
pub type SplitReader<IO, A = ()> = BoxReader<ReadHalf<Pin<Box<IO>>>, A>;
/// The writing half [`BoxStream::into_split`] gives for a transport `IO`.
pub type SplitWriter<IO, A = ()> = BoxWriter<WriteHalf<Pin<Box<IO>>>, A>;

impl<IO: AsyncRead + AsyncWrite, A> BoxStream<IO, A> {
    /// Splits into owned halves for separate tasks, over `tokio::io::split` (which works for
    /// any transport, at the cost of a lock shared by the halves). Use
    /// [`split_with`](Self::split_with) where the transport splits itself.
    pub fn into_split(self) -> (SplitReader<IO, A>, SplitWriter<IO, A>) {
        let BoxStream {
            io,
            read,
            write,
            peer,
            auth,
        } = self;
        let (r, w) = tokio::io::split(io);
        halves(read, write, peer, auth, r, w)
    }
}

/// Gives each half its direction's state and both the peer's key and the auth value (shared,
/// so it need not be `Clone`).
fn halves<R, W, A>(
    read: ReadState,
    write: WriteState,
    peer: PublicKey,
    auth: A,
    r: R,
    w: W,
) -> (BoxReader<R, A>, BoxWriter<W, A>) {
    let auth = Arc::new(auth);
    let reader = BoxReader {
        io: r,
        state: read,
        peer,
        auth: Arc::clone(&auth),
    };
    let writer = BoxWriter {
        io: w,
        state: write,
        peer,
        auth,
    };
    (reader, writer)
}

/// Two halves of one stream taken apart again, with the auth value they shared.
struct Rejoined<R, W, A> {
    r: R,
    w: W,
    read: ReadState,
    write: WriteState,
    peer: PublicKey,
    auth: A,
}

/// Takes apart two halves of one stream, or gives them back if they are not a pair.
#[allow(clippy::result_large_err, clippy::type_complexity)]
fn rejoin<R, W, A>(
    reader: BoxReader<R, A>,
    writer: BoxWriter<W, A>,
) -> Result<Rejoined<R, W, A>, (BoxReader<R, A>, BoxWriter<W, A>)> {
    if !Arc::ptr_eq(&reader.auth, &writer.auth) {
        return Err((reader, writer));
    }
    let BoxReader {
        io: r,
        state: read,
        peer,
        auth,
    } = reader;
    let BoxWriter {
        io: w,
        state: write,
        auth: writers_share,
        ..
    } = writer;
    // Only the two halves ever hold the value.
    drop(writers_share);
    match Arc::try_unwrap(auth) {
        Ok(auth) => Ok(Rejoined {
            r,
            w,
            read,
            write,
            peer,
            auth,
        }),
        Err(auth) => {
            let reader = BoxReader {
                io: r,
                state: read,
                peer,
                auth: Arc::clone(&auth),
            };
            let writer = BoxWriter {
                io: w,
                state: write,
                peer,
                auth,
            };
            Err((reader, writer))
        }
    }
}

impl<R, A> BoxReader<R, A> {
    /// Puts halves from [`BoxStream::split_with`] back together, joining the transport halves
    /// with `join`, which gives them back if they do not belong together. For TCP:
    /// `reader.reunite_with(writer, |r, w| r.reunite(w).map_err(|e| (e.0, e.1)))`.
    ///
    /// Halves of different streams are handed back unchanged.
    #[allow(clippy::result_large_err, clippy::type_complexity)]
    pub fn reunite_with<W, IO>(
        self,
        writer: BoxWriter<W, A>,
        join: impl FnOnce(R, W) -> Result<IO, (R, W)>,
    ) -> Result<BoxStream<IO, A>, (BoxReader<R, A>, BoxWriter<W, A>)> {
        let Rejoined {
            r,
            w,
            read,
            write,
            peer,
            auth,
        } = rejoin(self, writer)?;
        match join(r, w) {
            Ok(io) => Ok(BoxStream {
                io: Box::pin(io),
                read,
                write,
                peer,
                auth,
            }),
            // Give the halves back as they were.
            Err((r, w)) => Err(halves(read, write, peer, auth, r, w)),
        }
    }
}

impl<IO: AsyncRead + AsyncWrite, A> SplitReader<IO, A> {
    /// Puts the halves from [`BoxStream::into_split`] back together. Gives them back if they
    /// come from different streams.
    // The error hands the halves back, like tokio's own `ReuniteError`; boxing would only add
    // an allocation to a rare path.
    #[allow(clippy::result_large_err)]
    pub fn reunite(
        self,
        writer: SplitWriter<IO, A>,
    ) -> Result<BoxStream<IO, A>, ReuniteError<IO, A>> {
        if !self.io.is_pair_of(&writer.io) {
            return Err(ReuniteError(self, writer));
        }
        let Rejoined {
            r,
            w,
            read,
            write,
            peer,
            auth,
        } = rejoin(self, writer).map_err(|(reader, writer)| ReuniteError(reader, writer))?;
        Ok(BoxStream {
            io: r.unsplit(w),
            read,
            write,
            peer,
            auth,
        })
    }
}

/// Halves of two different streams, handed back by [`BoxReader::reunite`].
pub struct ReuniteError<IO, A = ()>(pub SplitReader<IO, A>, pub SplitWriter<IO, A>);

impl<IO, A> std::fmt::Debug for ReuniteError<IO, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReuniteError(..)")
    }
}

impl<IO, A> std::fmt::Display for ReuniteError<IO, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("tried to reunite halves of different box-streams")
    }
}

impl<IO, A> std::error::Error for ReuniteError<IO, A> {}

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
