//! The sending direction of a box-stream over an `AsyncWrite`.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Buf, BytesMut};
use tokio::io::AsyncWrite;

use super::buffer::reserve_exact;
use crate::boxstream::{sealed_len, BoxSealer, HEADER_LEN, MAX_BODY_LEN, MAX_FRAME_LEN};

/// The default bound on sealed bytes buffered before a write waits for the transport. The
/// buffer grows to it only during a burst and is freed once flushed; see BENCHMARKS.md for the
/// measurements behind the figure.
pub const DEFAULT_WRITE_BUFFER: usize = 64 * 1024;

/// Seals writes into frames and buffers them, like a `BufWriter`, until a flush or a full buffer.
///
/// Writes of more than one frame's worth are sealed as full 4096-byte frames (the rest comes
/// with the next write); a shorter write is one frame. Room in the buffer never cuts a frame.
#[derive(Debug)]
pub(crate) struct WriteState {
    sealer: BoxSealer,
    /// Sealed frames not yet written to the transport.
    wire: BytesMut,
    /// The size `wire` was last allocated with (0: nothing allocated).
    allocated: usize,
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
            allocated: 0,
            limit: DEFAULT_WRITE_BUFFER,
            closing: Closing::Open,
        }
    }

    /// Any value works: below one frame, frames go out one at a time.
    pub(crate) fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    /// Seals as much of `data` as the buffer takes in whole frames; waits for the transport
    /// only when the buffer has no room for the next frame.
    pub(crate) fn poll_write<W: AsyncWrite + ?Sized>(
        &mut self,
        mut io: Pin<&mut W>,
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
        let mut take = self.fitting(data.len());
        if take == 0 && !self.wire.is_empty() {
            ready!(self.poll_drain(io.as_mut(), cx))?;
            take = self.fitting(data.len());
        }
        if take == 0 {
            // A limit below one frame still lets one frame through at a time.
            take = data.len().min(MAX_BODY_LEN);
        }
        if !self.reserve(sealed_len(take)) {
            ready!(self.poll_drain(io.as_mut(), cx))?;
            self.reserve(sealed_len(take));
        }
        self.sealer.seal(&data[..take], &mut self.wire);
        Poll::Ready(Ok(take))
    }

    /// How much of a `len`-byte write fits the buffer's room: whole frames of a long write, all
    /// of a short one, or nothing.
    fn fitting(&self, len: usize) -> usize {
        let room = self.limit.saturating_sub(self.wire.len());
        if len <= MAX_BODY_LEN {
            return if len + HEADER_LEN <= room { len } else { 0 };
        }
        (room / MAX_FRAME_LEN).min(len / MAX_BODY_LEN) * MAX_BODY_LEN
    }

    /// Makes room for `sealed` more bytes: exactly what a first write needs, then doubling up
    /// to the limit, so a burst costs a few allocations and a small message a small one.
    /// `false` when the buffer has reached the limit and its free room is split between the
    /// front (already written) and the end: moving the unwritten frames to a new buffer for
    /// every frame would copy the whole buffer each time, so wait for the transport instead.
    fn reserve(&mut self, sealed: usize) -> bool {
        let len = self.wire.len();
        if self.wire.capacity() - len >= sealed || self.wire.try_reclaim(sealed) {
            return true;
        }
        let needed = len.saturating_add(sealed);
        let grown = if len == 0 {
            needed
        } else if self.allocated >= self.limit {
            return false;
        } else {
            needed.max(self.allocated.saturating_mul(2).min(self.limit))
        };
        reserve_exact(&mut self.wire, grown - len);
        self.allocated = grown;
        true
    }

    /// Writes every buffered frame to the transport, many frames per write.
    fn poll_drain<W: AsyncWrite + ?Sized>(
        &mut self,
        mut io: Pin<&mut W>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        while !self.wire.is_empty() {
            match ready!(io.as_mut().poll_write(cx, &self.wire))? {
                0 => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                n => self.wire.advance(n),
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Writes the buffered frames, flushes the transport, then frees the buffer.
    pub(crate) fn poll_flush<W: AsyncWrite + ?Sized>(
        &mut self,
        mut io: Pin<&mut W>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        ready!(self.poll_drain(io.as_mut(), cx))?;
        ready!(io.poll_flush(cx))?;
        self.wire = BytesMut::new();
        self.allocated = 0;
        Poll::Ready(Ok(()))
    }

    /// Sends the goodbye after any buffered frames, flushes, then shuts down the transport's
    /// writing side. Safe to call again; never waits for the peer's goodbye.
    pub(crate) fn poll_shutdown<W: AsyncWrite + ?Sized>(
        &mut self,
        mut io: Pin<&mut W>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        if self.closing == Closing::Open {
            if !self.reserve(HEADER_LEN) {
                ready!(self.poll_drain(io.as_mut(), cx))?;
                self.reserve(HEADER_LEN);
            }
            self.sealer.seal_goodbye(&mut self.wire);
            self.closing = Closing::GoodbyeSealed;
        }
        if self.closing == Closing::GoodbyeSealed {
            ready!(self.poll_flush(io.as_mut(), cx))?;
            match ready!(io.poll_shutdown(cx)) {
                // The peer may already be gone; our side is closed either way.
                Err(e) if e.kind() != io::ErrorKind::NotConnected => return Poll::Ready(Err(e)),
                _ => self.closing = Closing::Closed,
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Heap bytes held by the write buffer (for tests of idle memory).
    pub(crate) fn buffered_capacity(&self) -> usize {
        self.wire.capacity()
    }
}
