//! [`Tap`]: the connection beneath tungstenite, watched: it caps what the HTTP upgrade may
//! read, replays the bytes peeked to tell HTTP from other protocols, and notes whether our
//! writes are blocked (a peer that does not read).

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::config::MAX_UPGRADE_BYTES;
use super::replay::Replay;

/// How many bytes are peeked to recognise an HTTP request.
pub(super) const HEAD: usize = 4;
/// What every WebSocket upgrade request starts with (RFC 6455, 4.1).
pub(crate) const GET: &[u8; HEAD] = b"GET ";
/// The first byte of a TLS record of type handshake.
pub(super) const TLS_HANDSHAKE: u8 = 0x16;

#[derive(Debug)]
pub(super) struct Tap<S> {
    /// The connection, with the bytes peeked to recognise HTTP handed out first.
    inner: Replay<S>,
    /// What the HTTP upgrade may still read; `None` once it is over.
    upgrade_allowance: Option<usize>,
    /// Our last write to `inner` returned `Pending`, and none has gone through since.
    write_blocked: bool,
}

impl<S> Tap<S> {
    /// `inner`, in its HTTP upgrade, with `peeked` already read from it.
    pub(super) fn new(inner: S, peeked: &[u8]) -> Self {
        Tap {
            inner: Replay::new(inner, peeked),
            upgrade_allowance: Some(MAX_UPGRADE_BYTES),
            write_blocked: false,
        }
    }

    /// The upgrade is over: reads are no longer capped.
    pub(super) fn upgraded(&mut self) {
        self.upgrade_allowance = None;
    }

    /// Whether our writes are waiting for the peer to read.
    pub(super) fn write_blocked(&self) -> bool {
        self.write_blocked
    }

    pub(super) fn get_ref(&self) -> &S {
        self.inner.get_ref()
    }

    pub(super) fn get_mut(&mut self) -> &mut S {
        self.inner.get_mut()
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tap<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // The peeked bytes were counted when they were read.
        if this.inner.replaying() {
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        }
        let Some(allowance) = this.upgrade_allowance else {
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        };
        if allowance == 0 {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the HTTP upgrade is longer than {} KiB",
                    MAX_UPGRADE_BYTES / 1024
                ),
            )));
        }
        // Read at most the allowance (a small copy, during the upgrade only).
        let mut chunk = [0; 1024];
        let cap = allowance.min(chunk.len()).min(buf.remaining());
        let mut limited = ReadBuf::new(&mut chunk[..cap]);
        ready!(Pin::new(&mut this.inner).poll_read(cx, &mut limited))?;
        let n = limited.filled().len();
        buf.put_slice(limited.filled());
        this.upgrade_allowance = Some(allowance - n);
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tap<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write(cx, buf);
        match result {
            Poll::Pending => this.write_blocked = true,
            Poll::Ready(Ok(n)) if n > 0 => this.write_blocked = false,
            Poll::Ready(_) => {}
        }
        result
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// The first bytes of a client's request, after `peeked` (already read): read while they may
/// still be `GET ` ([`HEAD`] at most; fewer if the client hangs up or sends something else).
pub(crate) async fn read_head<S: AsyncRead + Unpin>(
    io: &mut S,
    peeked: &[u8],
) -> io::Result<([u8; HEAD], usize)> {
    use tokio::io::AsyncReadExt;
    let mut head = [0; HEAD];
    let mut len = peeked.len().min(HEAD);
    head[..len].copy_from_slice(&peeked[..len]);
    while len < HEAD && GET.starts_with(&head[..len]) {
        match io.read(&mut head[len..]).await? {
            0 => break,
            n => len += n,
        }
    }
    Ok((head, len))
}

/// What the first bytes a server received say about the client, if they are not HTTP.
pub(super) fn not_http(head: &[u8]) -> Option<&'static str> {
    // A WebSocket upgrade is a GET request (RFC 6455, 4.1).
    match head.first() {
        None => Some("the client closed the connection before sending its HTTP request"),
        // A TLS record of type handshake.
        Some(&TLS_HANDSHAKE) => Some(
            "the client sent a TLS handshake, not an HTTP request: a wss:// client on a plain \
             ws:// port? (terminate TLS in front of this server)",
        ),
        _ if GET.starts_with(head) => None,
        _ => Some(
            "the client did not send an HTTP request: a secret-handshake client dialling a \
             net: address? (the transports are mixed up: this port speaks WebSocket)",
        ),
    }
}
