//! Telling mixed-up transports apart: a peer that speaks HTTP where secret-handshake was
//! expected (a WebSocket client at a TCP listener, a WebSocket listener answering a TCP
//! client) fails the handshake in phase 1 like a wrong network key. The first bytes say which.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A transport that notes whether the peer's first bytes were `prefix`; everything else
/// passes through untouched.
pub struct Sniff<T> {
    inner: T,
    prefix: &'static [u8],
    /// How many of the peer's first bytes matched `prefix` so far; `None` once decided.
    matched: Option<usize>,
    seen: Arc<AtomicBool>,
}

/// Whether a [`Sniff`] saw its prefix; usable after the transport is gone.
#[derive(Clone)]
pub struct Seen {
    seen: Arc<AtomicBool>,
    hint: &'static str,
}

impl Seen {
    /// `message` with the hint appended if the prefix was seen.
    pub fn hint(&self, message: String) -> String {
        if self.seen.load(Ordering::Relaxed) {
            format!("{message} ({})", self.hint)
        } else {
            message
        }
    }
}

/// Wraps `inner`; `hint` is what the [`Seen`] adds to an error if the peer sent `prefix`.
pub fn wrap<T>(inner: T, prefix: &'static [u8], hint: &'static str) -> (Sniff<T>, Seen) {
    let seen = Arc::new(AtomicBool::new(false));
    let sniff = Sniff {
        inner,
        prefix,
        matched: Some(0),
        seen: Arc::clone(&seen),
    };
    (sniff, Seen { seen, hint })
}

impl<T> Sniff<T> {
    fn look(&mut self, bytes: &[u8]) {
        let Some(matched) = self.matched else { return };
        let want = &self.prefix[matched..];
        let n = want.len().min(bytes.len());
        if bytes[..n] != want[..n] {
            self.matched = None;
        } else if matched + n == self.prefix.len() {
            self.seen.store(true, Ordering::Relaxed);
            self.matched = None;
        } else {
            self.matched = Some(matched + n);
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Sniff<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if self.matched.is_some() {
            self.look(&buf.filled()[before..]);
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Sniff<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sniffed(pieces: &[&[u8]]) -> bool {
        let (mut sniff, seen) = wrap((), b"HTTP/", "hint");
        for piece in pieces {
            sniff.look(piece);
        }
        seen.hint(String::new()) == " (hint)"
    }

    #[test]
    fn the_prefix_is_seen_across_reads_and_only_at_the_start() {
        assert!(sniffed(&[b"HTTP/1.1 400 Bad Request"]));
        assert!(sniffed(&[b"H", b"", b"TT", b"P/1.1"]));
        assert!(!sniffed(&[b"HTT"]));
        assert!(!sniffed(&[b"HTTX/"]));
        assert!(!sniffed(&[b"xHTTP/"]));
        assert!(!sniffed(&[b"xxxxx", b"HTTP/"]));
    }
}
