//! The sending direction of a box-stream over an `AsyncWrite`.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Buf, BytesMut};
use tokio::io::AsyncWrite;

use super::authorize::AuthValue;
use crate::boxstream::{BoxSealer, HEADER_LEN, MAX_BODY_LEN};
use crate::keys::PublicKey;

/// The default limit of sealed bytes buffered before a write waits for the transport: small
/// enough that a stream's two buffers stay under 16 KiB of heap. Raise it with
/// `set_write_buffer_limit` for bulk transfers (64 KiB gains 5–17 % on loopback TCP, see
/// BENCHMARKS.md).
pub const DEFAULT_WRITE_BUFFER: usize = 8 * 1024;

/// Seals writes into frames and buffers them, like a `BufWriter`, until a flush or a full buffer.
#[derive(Debug)]
pub(crate) struct WriteState {
    sealer: BoxSealer,
    /// Sealed frames not yet written to the transport.
    wire: BytesMut,
    limit: usize,
    closing: Closing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closing {
    Open,
    /// The goodbye is sealed into `wire`; flushing and shutting down the transport remain.
    GoodbyeSealed,
    Closed,
}

impl WriteState {
    pub(crate) fn new(sealer: BoxSealer) -> Self {
        WriteState {
            sealer,
            wire: BytesMut::new(),
            limit: DEFAULT_WRITE_BUFFER,
            closing: Closing::Open,
        }
    }

    pub(crate) fn set_limit(&mut self, limit: usize) {
        self.limit = limit.max(1);
    }

    /// Seals as much of `data` as the buffer takes; waits for the transport only when full.
    pub(crate) fn poll_write<W: AsyncWrite + Unpin>(
        &mut self,
        io: &mut W,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.closing != Closing::Open {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "box-stream: write after shutdown",
            )));
        }
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let mut fits = plaintext_fitting(self.room());
        if fits == 0 && !self.wire.is_empty() {
            ready!(self.poll_drain(io, cx))?;
            fits = plaintext_fitting(self.room());
        }
        // A limit too small for one sealed byte still lets one frame through at a time.
        let taken = data.len().min(if fits == 0 { MAX_BODY_LEN } else { fits });
        self.sealer.seal(&data[..taken], &mut self.wire);
        Poll::Ready(Ok(taken))
    }

    /// Sealed bytes that fit without growing the buffer past its limit (or at all).
    fn room(&mut self) -> usize {
        if self.wire.is_empty() && self.wire.capacity() < self.limit {
            // Allocates once (exactly `limit`), or moves back to the start of the allocation.
            self.wire.reserve(self.limit);
        }
        self.wire
            .capacity()
            .min(self.limit)
            .saturating_sub(self.wire.len())
    }

    /// Writes every buffered frame to the transport.
    fn poll_drain<W: AsyncWrite + Unpin>(
        &mut self,
        io: &mut W,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        while !self.wire.is_empty() {
            match ready!(Pin::new(&mut *io).poll_write(cx, &self.wire))? {
                0 => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                n => self.wire.advance(n),
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Writes the buffered frames, then flushes the transport.
    pub(crate) fn poll_flush<W: AsyncWrite + Unpin>(
        &mut self,
        io: &mut W,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        ready!(self.poll_drain(io, cx))?;
        Pin::new(io).poll_flush(cx)
    }

    /// Sends the goodbye after any buffered frames, flushes, then shuts down the transport's
    /// writing side. Safe to call again; never waits for the peer's goodbye.
    pub(crate) fn poll_shutdown<W: AsyncWrite + Unpin>(
        &mut self,
        io: &mut W,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        if self.closing == Closing::Open {
            self.sealer.seal_goodbye(&mut self.wire);
            self.closing = Closing::GoodbyeSealed;
        }
        if self.closing == Closing::GoodbyeSealed {
            ready!(self.poll_flush(io, cx))?;
            match ready!(Pin::new(io).poll_shutdown(cx)) {
                // The peer may already be gone; our side is closed either way.
                Err(e) if e.kind() != io::ErrorKind::NotConnected => return Poll::Ready(Err(e)),
                _ => self.closing = Closing::Closed,
            }
        }
        Poll::Ready(Ok(()))
    }
}

/// How much plaintext seals into at most `room` bytes of frames.
fn plaintext_fitting(room: usize) -> usize {
    let frame = HEADER_LEN + MAX_BODY_LEN;
    room / frame * MAX_BODY_LEN + (room % frame).saturating_sub(HEADER_LEN)
}

/// The writing half of a [`BoxStream`](crate::BoxStream).
///
/// Writes are buffered: call `flush` before waiting for a reply, and `shutdown` to send the
/// goodbye (dropping the writer without it makes the peer see a truncated stream).
#[derive(Debug)]
pub struct BoxWriter<W> {
    pub(crate) io: W,
    pub(crate) state: WriteState,
    pub(crate) peer: PublicKey,
    pub(crate) auth: Option<AuthValue>,
}

impl<W> BoxWriter<W> {
    /// The peer's long-term public key.
    pub fn peer_key(&self) -> &PublicKey {
        &self.peer
    }

    /// Server side: the authorizer's value for this client, if it has type `T`.
    pub fn auth<T: std::any::Any>(&self) -> Option<&T> {
        self.auth.as_deref()?.downcast_ref()
    }

    /// The transport half.
    pub fn get_ref(&self) -> &W {
        &self.io
    }

    /// The transport half, mutably. Writing to it directly corrupts the stream.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.io
    }

    /// Sets how many sealed bytes are buffered before writes wait for the transport
    /// (default [`DEFAULT_WRITE_BUFFER`]).
    pub fn set_write_buffer_limit(&mut self, bytes: usize) {
        self.state.set_limit(bytes);
    }
}

impl<W: AsyncWrite + Unpin> AsyncWrite for BoxWriter<W> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.state.poll_write(&mut this.io, cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.state.poll_flush(&mut this.io, cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.state.poll_shutdown(&mut this.io, cx)
    }
}
