//! [`WsStream`]: the connection a dialled WebSocket runs on, TCP or TLS over TCP.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// The connection beneath a WebSocket that [`open`](super::open) dialled: plain TCP for
/// `ws://`, TLS over TCP for `wss://` (feature `wss`). One type for both, so callers need
/// not care which.
pub struct WsStream(Inner);

enum Inner {
    Plain(TcpStream),
    #[cfg(feature = "wss")]
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl WsStream {
    pub(crate) fn plain(tcp: TcpStream) -> Self {
        WsStream(Inner::Plain(tcp))
    }

    #[cfg(feature = "wss")]
    pub(super) fn tls(tls: tokio_rustls::client::TlsStream<TcpStream>) -> Self {
        WsStream(Inner::Tls(Box::new(tls)))
    }

    /// The TCP connection (for its addresses or socket options). Reading or writing it
    /// corrupts the stream.
    pub fn tcp(&self) -> &TcpStream {
        match &self.0 {
            Inner::Plain(tcp) => tcp,
            #[cfg(feature = "wss")]
            Inner::Tls(tls) => tls.get_ref().0,
        }
    }

    /// Whether the connection is TLS (`wss://`).
    pub fn is_tls(&self) -> bool {
        !matches!(self.0, Inner::Plain(_))
    }
}

impl std::fmt::Debug for WsStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsStream")
            .field("tls", &self.is_tls())
            .field("peer", &self.tcp().peer_addr().ok())
            .finish()
    }
}

macro_rules! each {
    ($self:ident, $io:ident => $e:expr) => {
        match &mut $self.get_mut().0 {
            Inner::Plain($io) => {
                let $io = Pin::new($io);
                $e
            }
            #[cfg(feature = "wss")]
            Inner::Tls($io) => {
                let $io = Pin::new(&mut **$io);
                $e
            }
        }
    };
}

impl AsyncRead for WsStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        each!(self, io => io.poll_read(cx, buf))
    }
}

impl AsyncWrite for WsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        each!(self, io => io.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        each!(self, io => io.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        match &self.0 {
            Inner::Plain(io) => io.is_write_vectored(),
            #[cfg(feature = "wss")]
            Inner::Tls(io) => io.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, io => io.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, io => io.poll_shutdown(cx))
    }
}
