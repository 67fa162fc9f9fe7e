//! [`BoxStream`]: the encrypted duplex a successful handshake produces.

use std::any::Any;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf, ReadHalf, WriteHalf};

use super::authorize::AuthValue;
use super::read::{BoxReader, ReadState};
use super::write::{BoxWriter, WriteState};
use crate::handshake::Session;
use crate::keys::PublicKey;

/// Any transport, boxed: for code that mixes TCP, Unix sockets and others in one type
/// (see [`BoxStream::into_dyn`]).
pub trait Transport: AsyncRead + AsyncWrite + Send + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin> Transport for T {}

/// A box-stream over a boxed transport of any kind.
pub type DynBoxStream = BoxStream<Box<dyn Transport>>;

/// An authenticated, encrypted duplex over `IO`.
///
/// * Reading yields the peer's plaintext. After the peer's goodbye every read returns 0 bytes;
///   a transport EOF without a goodbye is an `UnexpectedEof` error, and a frame that fails
///   authentication is `InvalidData`.
/// * Writes are sealed into frames of at most 4096 bytes and buffered like a `BufWriter`:
///   **call `flush` before waiting for a reply**. `shutdown` sends the goodbye, flushes, and
///   shuts down the transport's writing side (a TCP half-close); reading keeps working.
///   Sealed frames collect in one contiguous buffer, so a transport write carries many frames
///   at once; vectored writes would add nothing, and are not implemented.
pub struct BoxStream<IO> {
    io: IO,
    read: ReadState,
    write: WriteState,
    peer: PublicKey,
    auth: Option<AuthValue>,
}

impl<IO> BoxStream<IO> {
    /// A box-stream over `io` from a finished handshake.
    pub fn new(io: IO, session: Session) -> Self {
        let (sealer, opener) = session.keys.into_box_stream();
        BoxStream {
            io,
            read: ReadState::new(opener),
            write: WriteState::new(sealer),
            peer: session.peer,
            auth: None,
        }
    }

    pub(crate) fn with_auth(mut self, auth: AuthValue) -> Self {
        self.auth = Some(auth);
        self
    }

    /// The peer's long-term public key, proven by the handshake (JS `stream.remote`).
    pub fn peer_key(&self) -> &PublicKey {
        &self.peer
    }

    /// Server side: the value the authorizer accepted this client with (JS `stream.auth`), if
    /// it has type `T`.
    pub fn auth<T: Any>(&self) -> Option<&T> {
        self.auth.as_deref()?.downcast_ref()
    }

    /// The transport.
    pub fn get_ref(&self) -> &IO {
        &self.io
    }

    /// The transport, mutably (for socket options). Reading or writing it directly corrupts
    /// the stream.
    pub fn get_mut(&mut self) -> &mut IO {
        &mut self.io
    }

    /// The transport. Buffered plaintext, ciphertext not yet opened and frames not yet written
    /// are dropped: shut down or flush first.
    pub fn into_inner(self) -> IO {
        self.io
    }

    /// Whether the peer's goodbye has arrived (reads now return 0 bytes).
    pub fn is_ended(&self) -> bool {
        self.read.is_ended()
    }

    /// Sets how many sealed bytes are buffered before writes wait for the transport
    /// (default [`DEFAULT_WRITE_BUFFER`](crate::DEFAULT_WRITE_BUFFER)).
    pub fn set_write_buffer_limit(&mut self, bytes: usize) {
        self.write.set_limit(bytes);
    }

    /// Splits into halves that can be used from separate tasks, with the transport split by
    /// `split` (for example `tokio::net::TcpStream::into_split`, which needs no lock). The two
    /// directions of a box-stream share no state.
    pub fn split_with<R, W>(
        self,
        split: impl FnOnce(IO) -> (R, W),
    ) -> (BoxReader<R>, BoxWriter<W>) {
        let (r, w) = split(self.io);
        (
            BoxReader {
                io: r,
                state: self.read,
                peer: self.peer,
                auth: self.auth.clone(),
            },
            BoxWriter {
                io: w,
                state: self.write,
                peer: self.peer,
                auth: self.auth,
            },
        )
    }

    /// Boxes the transport, so streams over different transports have one type.
    pub fn into_dyn(self) -> DynBoxStream
    where
        IO: Transport + 'static,
    {
        BoxStream {
            io: Box::new(self.io),
            read: self.read,
            write: self.write,
            peer: self.peer,
            auth: self.auth,
        }
    }
}

impl<IO: AsyncRead + AsyncWrite> BoxStream<IO> {
    /// Splits into owned halves for separate tasks, over `tokio::io::split` (which works for
    /// any transport). Use [`split_with`](Self::split_with) where the transport splits itself.
    pub fn into_split(self) -> (BoxReader<ReadHalf<IO>>, BoxWriter<WriteHalf<IO>>) {
        self.split_with(tokio::io::split)
    }
}

impl<IO: Unpin> BoxReader<ReadHalf<IO>> {
    /// Puts the halves from [`BoxStream::into_split`] back together. Gives them back if they
    /// come from different streams.
    // The error hands the halves back, like tokio's own `ReuniteError`; boxing would only add
    // an allocation to a rare path.
    #[allow(clippy::result_large_err)]
    pub fn reunite(
        self,
        writer: BoxWriter<WriteHalf<IO>>,
    ) -> Result<BoxStream<IO>, ReuniteError<IO>> {
        if !self.io.is_pair_of(&writer.io) {
            return Err(ReuniteError(self, writer));
        }
        Ok(BoxStream {
            io: self.io.unsplit(writer.io),
            read: self.state,
            write: writer.state,
            peer: self.peer,
            auth: self.auth,
        })
    }
}

/// Halves of two different streams, handed back by [`BoxReader::reunite`].
pub struct ReuniteError<IO>(pub BoxReader<ReadHalf<IO>>, pub BoxWriter<WriteHalf<IO>>);

impl<IO> std::fmt::Debug for ReuniteError<IO> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReuniteError(..)")
    }
}

impl<IO> std::fmt::Display for ReuniteError<IO> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("tried to reunite halves of different box-streams")
    }
}

impl<IO> std::error::Error for ReuniteError<IO> {}

impl<IO: AsyncRead + Unpin> AsyncRead for BoxStream<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.read.poll_read(&mut this.io, cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for BoxStream<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.write.poll_write(&mut this.io, cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.write.poll_flush(&mut this.io, cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.write.poll_shutdown(&mut this.io, cx)
    }
}

impl<IO> std::fmt::Debug for BoxStream<IO> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoxStream")
            .field("peer", &self.peer)
            .field("ended", &self.read.is_ended())
            .finish_non_exhaustive()
    }
}
