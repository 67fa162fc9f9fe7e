//! The transport side of [`ReadState`]: reading ciphertext, into the caller's buffer (and
//! opening the frames there in place) or into our own.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};

use super::buffer::reserve_exact;
use super::read::{Fill, ReadState};
use crate::boxstream::{Opened, MAX_FRAME_LEN};

/// What a read for a caller with little room asks of the transport: several frames, so that
/// small reads do not cost one system call per frame.
const SMALL_READ: usize = 4 * MAX_FRAME_LEN;

/// The most of a caller's buffer one direct read uses: memory the caller has not initialised
/// must be zeroed first, and a socket rarely holds more than this at once.
const DIRECT_READ: usize = 64 * MAX_FRAME_LEN;

impl ReadState {
    /// Reads the transport into the caller's buffer after the unfinished frame we hold, and
    /// opens the frames there in place, packing their plaintext at the front.
    pub(super) fn poll_read_direct<R: AsyncRead + ?Sized>(
        &mut self,
        io: Pin<&mut R>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<Fill>> {
        let dst = buf.initialize_unfilled_to(buf.remaining().min(DIRECT_READ));
        let held = self.wire.len();
        dst[..held].copy_from_slice(&self.wire);
        let mut read = ReadBuf::new(&mut dst[held..]);
        if let Err(e) = std::task::ready!(io.poll_read(cx, &mut read)) {
            return Poll::Ready(Err(e));
        }
        let (n, room) = (read.filled().len(), read.capacity());
        if n == 0 {
            return Poll::Ready(Ok(Fill::Eof));
        }
        self.wire.clear();
        let region = &mut dst[..held + n];
        let (mut at, mut out) = (0, 0);
        loop {
            match self.opener.open_in_place(&mut region[at..]) {
                Ok(Opened::Message { consumed, body }) => {
                    region.copy_within(at + body.start..at + body.end, out);
                    out += body.len();
                    at += consumed;
                }
                Ok(Opened::Goodbye { .. }) => break,
                Ok(Opened::Incomplete { consumed }) => {
                    at += consumed;
                    if self.wire.capacity() < SMALL_READ {
                        // Once per burst: big enough for smaller reads that may follow, too.
                        reserve_exact(&mut self.wire, SMALL_READ);
                    }
                    self.wire.extend_from_slice(&region[at..]);
                    break;
                }
                Err(e) => {
                    self.fail(e);
                    break;
                }
            }
        }
        buf.advance(out);
        Poll::Ready(Ok(Fill::Bytes { paused: n < room }))
    }

    /// Reads more ciphertext from the transport into our own buffer.
    pub(super) fn poll_fill<R: AsyncRead + ?Sized>(
        &mut self,
        io: Pin<&mut R>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<Fill>> {
        if self.wire.capacity() == 0 {
            // A quiet stream holds no buffer: find out on the stack whether anything came, so
            // that waiting for the peer allocates nothing.
            // One byte more than a frame, so that a lone frame reads as a pause.
            let mut probe = [0; MAX_FRAME_LEN + 1];
            let mut read = ReadBuf::new(&mut probe);
            std::task::ready!(io.poll_read(cx, &mut read))?;
            let n = read.filled().len();
            if n == 0 {
                return Poll::Ready(Ok(Fill::Eof));
            }
            self.wire.reserve(SMALL_READ);
            self.wire.extend_from_slice(read.filled());
            return Poll::Ready(Ok(Fill::Bytes {
                paused: n < probe.len(),
            }));
        }
        // Room for the rest of the frame in progress at least; a fresh buffer takes several.
        let needed = self.opener.bytes_needed().max(1);
        if self.wire.capacity() - self.wire.len() < needed {
            // At most SMALL_READ in all (the unfinished frame held is smaller than that).
            let room = SMALL_READ.saturating_sub(self.wire.len()).max(needed);
            reserve_exact(&mut self.wire, room);
        }
        let room = self.wire.capacity() - self.wire.len();
        let n = std::task::ready!(tokio_util::io::poll_read_buf(io, cx, &mut self.wire))?;
        Poll::Ready(Ok(if n == 0 {
            Fill::Eof
        } else {
            Fill::Bytes { paused: n < room }
        }))
    }
}
