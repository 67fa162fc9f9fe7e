//! [`Replay`]: a connection with the few bytes peeked from it (to tell HTTP from other
//! protocols) handed out first.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// `inner` with a few bytes already read from it (at most four: enough to tell `GET ` from
/// other protocols) handed out first.
#[derive(Debug)]
pub(crate) struct Replay<S> {
    head: [u8; 4],
    start: usize,
    len: usize,
    inner: S,
}

impl<S> Replay<S> {
    /// `inner`, with `peeked` (its first four bytes at most) read from it already.
    pub(crate) fn new(inner: S, peeked: &[u8]) -> Self {
        let mut head = [0; 4];
        let len = peeked.len().min(head.len());
        head[..len].copy_from_slice(&peeked[..len]);
        Replay {
            head,
            start: 0,
            len,
            inner,
        }
    }

    /// Whether peeked bytes are still to be handed out.
    pub(crate) fn replaying(&self) -> bool {
        self.start < self.len
    }

    pub(crate) fn get_ref(&self) -> &S {
        &self.inner
    }

    pub(crate) fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Replay<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.replaying() {
            let n = (this.len - this.start).min(buf.remaining());
            buf.put_slice(&this.head[this.start..this.start + n]);
            this.start += n;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Replay<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
