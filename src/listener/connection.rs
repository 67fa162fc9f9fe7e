//! [`Connection`]: the transport of a client the listener accepted, whichever kind it is.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpStream, UnixStream};

#[cfg(feature = "websocket")]
use crate::websocket::WsTransport;

/// The transport under a [`Listener`](super::Listener)'s streams: a TCP connection, a unix
/// socket connection, or (feature `websocket`) a WebSocket over TCP.
#[derive(Debug)]
pub struct Connection(pub(super) Kind);

#[derive(Debug)]
pub(super) enum Kind {
    Tcp(TcpStream),
    /// A TCP connection whose first bytes were read to tell WebSocket from secret-handshake;
    /// they are handed out again first.
    #[cfg(feature = "websocket")]
    Sniffed(Replay<TcpStream>),
    Unix(UnixStream),
    /// Boxed: a WebSocket is far larger than a socket, and TCP connections should not pay.
    #[cfg(feature = "websocket")]
    WebSocket(Box<WsTransport<TcpStream>>),
}

impl Kind {
    /// The transport's name in traces, as in multiserver addresses.
    pub(super) fn name(&self) -> &'static str {
        match self {
            Kind::Tcp(_) => "net",
            #[cfg(feature = "websocket")]
            Kind::Sniffed(_) => "net",
            Kind::Unix(_) => "unix",
            #[cfg(feature = "websocket")]
            Kind::WebSocket(_) => "ws",
        }
    }
}

impl Connection {
    /// The TCP connection beneath, if there is one (also under a WebSocket).
    pub fn tcp(&self) -> Option<&TcpStream> {
        match &self.0 {
            Kind::Tcp(tcp) => Some(tcp),
            #[cfg(feature = "websocket")]
            Kind::Sniffed(replay) => Some(&replay.inner),
            Kind::Unix(_) => None,
            #[cfg(feature = "websocket")]
            Kind::WebSocket(ws) => Some(ws.get_ref()),
        }
    }
}

macro_rules! each {
    ($self:expr, $io:ident => $e:expr) => {
        match &mut $self.get_mut().0 {
            Kind::Tcp($io) => $e,
            #[cfg(feature = "websocket")]
            Kind::Sniffed($io) => $e,
            Kind::Unix($io) => $e,
            #[cfg(feature = "websocket")]
            Kind::WebSocket($io) => $e,
        }
    };
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        each!(self, io => Pin::new(io).poll_read(cx, buf))
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        each!(self, io => Pin::new(io).poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        each!(self, io => Pin::new(io).poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        match &self.0 {
            Kind::Tcp(io) => io.is_write_vectored(),
            #[cfg(feature = "websocket")]
            Kind::Sniffed(io) => io.inner.is_write_vectored(),
            Kind::Unix(io) => io.is_write_vectored(),
            #[cfg(feature = "websocket")]
            Kind::WebSocket(io) => io.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, io => Pin::new(io).poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, io => Pin::new(io).poll_shutdown(cx))
    }
}

/// `inner` with a few bytes already read from it handed out first.
#[cfg(feature = "websocket")]
#[derive(Debug)]
pub(super) struct Replay<S> {
    head: [u8; 4],
    start: usize,
    len: usize,
    inner: S,
}

#[cfg(feature = "websocket")]
impl<S> Replay<S> {
    pub(super) fn new(head: [u8; 4], len: usize, inner: S) -> Self {
        Replay {
            head,
            start: 0,
            len: len.min(4),
            inner,
        }
    }
}

#[cfg(feature = "websocket")]
impl<S: AsyncRead + Unpin> AsyncRead for Replay<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.start < this.len {
            let n = (this.len - this.start).min(buf.remaining());
            buf.put_slice(&this.head[this.start..this.start + n]);
            this.start += n;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

#[cfg(feature = "websocket")]
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

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
