//! The receiving direction of a box-stream over an `AsyncRead`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, ReadBuf};

use super::authorize::AuthValue;
use crate::boxstream::{BoxOpener, Frame};
use crate::error::BoxStreamError;
use crate::keys::PublicKey;

/// The read buffer's size: a full frame (4130 bytes) and room for the start of the next, while
/// the read and write buffers together stay under 16 KiB.
const READ_BUFFER: usize = 7 * 1024;

/// Decrypts frames from a transport and hands out their plaintext.
#[derive(Debug)]
pub(crate) struct ReadState {
    opener: BoxOpener,
    /// Ciphertext read from the transport and not yet opened.
    wire: BytesMut,
    /// Plaintext of the current frame not yet handed out.
    plain: BytesMut,
    /// The first error; every later read repeats it.
    failed: Option<(io::ErrorKind, String)>,
}

impl ReadState {
    pub(crate) fn new(opener: BoxOpener) -> Self {
        ReadState {
            opener,
            wire: BytesMut::new(),
            plain: BytesMut::new(),
            failed: None,
        }
    }

    /// Fills `buf` with as much plaintext as is ready, reading the transport only when nothing
    /// is. `Ok` with nothing added means the peer said goodbye.
    pub(crate) fn poll_read<R: AsyncRead + Unpin>(
        &mut self,
        io: &mut R,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some((kind, message)) = &self.failed {
            return Poll::Ready(Err(io::Error::new(*kind, message.clone())));
        }
        let start = buf.filled().len();
        while buf.remaining() > 0 {
            if !self.plain.is_empty() {
                let n = self.plain.len().min(buf.remaining());
                buf.put_slice(&self.plain[..n]);
                self.plain.advance(n);
                if self.plain.is_empty() {
                    // Release our share of the read buffer so it can be reused without allocating.
                    self.plain = BytesMut::new();
                }
                continue;
            }
            let delivered = buf.filled().len() > start;
            match self.opener.open(&mut self.wire) {
                Ok(Some(Frame::Message(body))) => self.plain = body,
                Ok(Some(Frame::Goodbye)) => break,
                Err(e) => {
                    let error = self.fail(e);
                    // Hand out what we have first; the next call reports the error.
                    if delivered {
                        break;
                    }
                    return Poll::Ready(Err(error));
                }
                Ok(None) if delivered => break,
                Ok(None) => match self.poll_fill(io, cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Ready(Ok(0)) => {
                        let eof = self.opener.open_eof(&mut self.wire);
                        if let Ok(Some(Frame::Goodbye)) = eof {
                            break;
                        }
                        let e = eof.err().unwrap_or(BoxStreamError::Truncated { bytes: 0 });
                        return Poll::Ready(Err(self.fail(e)));
                    }
                    Poll::Ready(Ok(_)) => {}
                },
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Reads more ciphertext from the transport into `wire`.
    fn poll_fill<R: AsyncRead + Unpin>(
        &mut self,
        io: &mut R,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<usize>> {
        // Top the buffer up to READ_BUFFER in all (not READ_BUFFER more: that would double it
        // whenever part of a frame is pending). The pending part is under one frame, so a
        // whole frame always fits.
        if self.wire.capacity() < READ_BUFFER {
            self.wire
                .reserve(READ_BUFFER.saturating_sub(self.wire.len()));
        }
        tokio_util::io::poll_read_buf(Pin::new(io), cx, &mut self.wire)
    }

    fn fail(&mut self, error: BoxStreamError) -> io::Error {
        let error = io::Error::from(error);
        self.failed = Some((error.kind(), error.to_string()));
        error
    }

    /// Whether the peer's goodbye has arrived.
    pub(crate) fn is_ended(&self) -> bool {
        self.opener.is_ended()
    }
}

/// The reading half of a [`BoxStream`](crate::BoxStream), from
/// [`into_split`](crate::BoxStream::into_split) or [`split_with`](crate::BoxStream::split_with).
///
/// Reads are cancel-safe: plaintext is only ever handed out once, and dropping a read future
/// loses nothing.
#[derive(Debug)]
pub struct BoxReader<R> {
    pub(crate) io: R,
    pub(crate) state: ReadState,
    pub(crate) peer: PublicKey,
    pub(crate) auth: Option<AuthValue>,
}

impl<R> BoxReader<R> {
    /// The peer's long-term public key.
    pub fn peer_key(&self) -> &PublicKey {
        &self.peer
    }

    /// Server side: the authorizer's value for this client, if it has type `T`.
    pub fn auth<T: std::any::Any>(&self) -> Option<&T> {
        self.auth.as_deref()?.downcast_ref()
    }

    /// The transport half.
    pub fn get_ref(&self) -> &R {
        &self.io
    }

    /// The transport half, mutably. Reading from it directly corrupts the stream.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.io
    }

    /// Whether the peer's goodbye has arrived (reads now return 0 bytes).
    pub fn is_ended(&self) -> bool {
        self.state.is_ended()
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for BoxReader<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.state.poll_read(&mut this.io, cx, buf)
    }
}
