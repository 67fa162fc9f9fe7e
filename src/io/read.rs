//! The receiving direction of a box-stream over an `AsyncRead`.

use std::io;
use std::ops::Range;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, ReadBuf};

use crate::boxstream::{BoxOpener, Opened, MAX_FRAME_LEN};
use crate::error::BoxStreamError;
use crate::trace;

/// Transport reads one `poll_read` makes while it has nothing to hand out before it yields (a
/// wake-up and `Pending`): frames with no data, or a frame trickling in, cannot hold the task
/// for ever on a transport that is always ready. Tokio's own I/O yields after 128 too.
const READS_BEFORE_YIELD: u32 = 128;

/// Decrypts frames from a transport and hands out their plaintext.
///
/// A caller's buffer with room for a whole frame receives the ciphertext straight from the
/// transport, and the frames are opened there in place; smaller buffers are served from our
/// own. Between calls we keep only an unfinished frame, and no buffer at all once the peer has
/// gone quiet.
#[derive(Debug)]
pub(crate) struct ReadState {
    pub(super) opener: BoxOpener,
    /// Ciphertext not yet opened (after any header the opener has already taken), preceded by
    /// the frame whose plaintext is `plain`.
    pub(super) wire: BytesMut,
    /// The opened frame's plaintext in `wire`, not yet handed out, and where its frame ends.
    pub(super) plain: Range<usize>,
    frame_end: usize,
    /// The transport has ended (a later call decides whether that was clean).
    eof: bool,
    /// The last transport read brought less than the room offered: the peer has paused.
    paused: bool,
    /// The first protocol error (bad MAC, bad length, EOF without a goodbye); every later read
    /// returns it again, typed (its `io::Error` wraps a clone of it).
    failed: Option<BoxStreamError>,
    /// A transport error that came after some plaintext was handed out: the next read reports
    /// it, once. Transport errors never end the stream: a retry continues where it was.
    transport_error: Option<io::Error>,
    /// Where refused frames are reported (nothing without feature `tracing`).
    pub(crate) trace: trace::Stream,
}

/// What one transport read brought.
pub(super) enum Fill {
    /// Some bytes; whether they were fewer than the room offered (the peer paused).
    Bytes {
        paused: bool,
    },
    Eof,
}

impl ReadState {
    pub(crate) fn new(opener: BoxOpener, trace: trace::Stream) -> Self {
        ReadState {
            opener,
            wire: BytesMut::new(),
            plain: 0..0,
            frame_end: 0,
            eof: false,
            paused: false,
            failed: None,
            transport_error: None,
            trace,
        }
    }

    /// Fills `buf` with as much plaintext as is ready, reading the transport while it has
    /// data and `buf` has room. `Ok` with nothing added means the peer said goodbye.
    pub(crate) fn poll_read<R: AsyncRead + ?Sized>(
        &mut self,
        mut io: Pin<&mut R>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(error) = self.transport_error.take() {
            return Poll::Ready(Err(error));
        }
        let start = buf.filled().len();
        let mut reads = 0;
        loop {
            if let Some(error) = &self.failed {
                if buf.filled().len() > start {
                    return Poll::Ready(Ok(())); // hand out what we have; the error comes next
                }
                return Poll::Ready(Err(error.clone().into()));
            }
            if self.deliver(buf) || buf.remaining() == 0 || self.opener.is_ended() {
                if self.paused || self.opener.is_ended() {
                    // The peer has paused (or ended): hold no buffer meanwhile if nothing is
                    // left in it.
                    self.release();
                }
                return Poll::Ready(Ok(()));
            }
            if self.open_buffered() {
                continue;
            }
            // Only part of a frame is buffered: read more.
            if self.eof {
                let error = self.opener.truncated(self.wire.len());
                self.fail(error);
                continue;
            }
            if buf.filled().len() == start {
                reads += 1;
                if reads > READS_BEFORE_YIELD {
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
            }
            let fill = if buf.remaining() >= MAX_FRAME_LEN {
                self.poll_read_direct(io.as_mut(), cx, buf)
            } else {
                self.poll_fill(io.as_mut(), cx)
            };
            match fill {
                Poll::Pending if buf.filled().len() > start => return Poll::Ready(Ok(())),
                Poll::Pending => {
                    self.release();
                    return Poll::Pending;
                }
                // The transport's trouble, not the stream's: report it and keep every byte.
                Poll::Ready(Err(e)) if buf.filled().len() > start => {
                    self.transport_error = Some(e);
                    return Poll::Ready(Ok(()));
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(Fill::Eof)) => self.eof = true,
                Poll::Ready(Ok(Fill::Bytes { paused })) => {
                    self.paused = paused;
                    if paused && buf.filled().len() > start && self.plain.is_empty() {
                        // The transport had no more: hand out what we have rather than ask it
                        // again, and hold no buffer meanwhile if nothing is left in it.
                        self.release();
                        return Poll::Ready(Ok(()));
                    }
                }
            }
        }
    }

    /// Copies out plaintext already opened; whether `buf` is now full.
    fn deliver(&mut self, buf: &mut ReadBuf<'_>) -> bool {
        if self.plain.is_empty() {
            return false;
        }
        let n = self.plain.len().min(buf.remaining());
        buf.put_slice(&self.wire[self.plain.start..self.plain.start + n]);
        self.plain.start += n;
        if self.plain.is_empty() {
            self.wire.advance(self.frame_end);
            self.plain = 0..0;
            self.frame_end = 0;
        }
        buf.remaining() == 0
    }

    /// Opens the next whole frame in our buffer; whether there was one (or the goodbye, or an
    /// error).
    fn open_buffered(&mut self) -> bool {
        match self.opener.open_in_place(&mut self.wire) {
            Ok(Opened::Message { consumed, body }) => {
                self.plain = body;
                self.frame_end = consumed;
                true
            }
            Ok(Opened::Goodbye { .. }) => true,
            Ok(Opened::Incomplete { consumed }) => {
                self.wire.advance(consumed);
                false
            }
            Err(e) => {
                self.fail(e);
                true
            }
        }
    }

    /// Nothing buffered: no plaintext to hand out, no unfinished frame.
    fn is_idle(&self) -> bool {
        self.wire.is_empty() && self.plain.is_empty()
    }

    /// Frees the buffer if it holds nothing, so that a quiet stream costs no more than a fresh
    /// one.
    fn release(&mut self) {
        if self.is_idle() || self.opener.is_ended() {
            self.wire = BytesMut::new();
            self.plain = 0..0;
        }
    }

    pub(super) fn fail(&mut self, error: BoxStreamError) {
        if self.failed.is_none() {
            self.trace.bad_frame(&error);
            self.failed = Some(error);
        }
        self.wire = BytesMut::new();
        self.plain = 0..0;
    }

    /// Whether the peer's goodbye has arrived.
    pub(crate) fn is_ended(&self) -> bool {
        self.opener.is_ended()
    }

    /// Heap bytes held by the read buffer (for tests of idle memory).
    pub(crate) fn buffered_capacity(&self) -> usize {
        self.wire.capacity()
    }
}
