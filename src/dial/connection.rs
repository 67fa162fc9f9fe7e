//! [`Connection`]: the transport a dial opened, whichever kind it is.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::multiserver::TransportKind;

/// The transports a dial opens.
enum Io {
    Tcp(tokio::net::TcpStream),
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
    /// `ws://` (over plain TCP) and `wss://` (over TLS); boxed, being far larger.
    #[cfg(feature = "websocket")]
    Ws(Box<crate::websocket::WsTransport<crate::websocket::WsStream>>),
}

/// `$body` with `$io` bound to the transport, whichever it is.
macro_rules! each {
    ($self:expr, $io:ident => $body:expr) => {
        match $self {
            Io::Tcp($io) => $body,
            #[cfg(unix)]
            Io::Unix($io) => $body,
            #[cfg(feature = "websocket")]
            Io::Ws($io) => $body,
        }
    };
}

/// The transport a dial opened: TCP, a Unix socket, or a WebSocket (over TCP or TLS), behind
/// one type. It reads and writes like the transport itself.
///
/// End a session with [`BoxStream::close`](crate::BoxStream::close): our goodbye, the peer's,
/// then the transport's own end (a WebSocket's Close handshake), within a timeout, whichever
/// kind of transport it is.
pub struct Connection {
    io: Io,
    transport: TransportKind,
    peer: String,
}

impl Connection {
    fn new(io: Io, transport: TransportKind, peer: String) -> Self {
        Connection {
            io,
            transport,
            peer,
        }
    }

    pub(crate) fn tcp(io: tokio::net::TcpStream, transport: TransportKind, peer: String) -> Self {
        Connection::new(Io::Tcp(io), transport, peer)
    }

    #[cfg(unix)]
    pub(crate) fn unix(io: tokio::net::UnixStream, path: String) -> Self {
        Connection::new(Io::Unix(io), TransportKind::Unix, path)
    }

    /// A WebSocket over any connection (TCP for `ws`, TLS for `wss`).
    #[cfg(feature = "websocket")]
    pub(crate) fn websocket(
        io: crate::websocket::WsTransport<crate::websocket::WsStream>,
        transport: TransportKind,
        peer: String,
    ) -> Self {
        Connection::new(Io::Ws(Box::new(io)), transport, peer)
    }

    /// The kind of transport.
    pub fn transport(&self) -> TransportKind {
        self.transport
    }

    /// Where it leads: `HOST:PORT` as dialled (a name, not the resolved address), or the
    /// socket's path.
    pub fn peer_address(&self) -> &str {
        &self.peer
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        each!(&mut self.get_mut().io, io => Pin::new(io).poll_read(cx, buf))
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        each!(&mut self.get_mut().io, io => Pin::new(io).poll_write(cx, buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(&mut self.get_mut().io, io => Pin::new(io).poll_flush(cx))
    }

    /// The transport's own shutdown: a TCP or Unix half-close; for a WebSocket a flush the
    /// first time, and the end of the WebSocket after that.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(&mut self.get_mut().io, io => Pin::new(io).poll_shutdown(cx))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        each!(&mut self.get_mut().io, io => Pin::new(io).poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        each!(&self.io, io => io.is_write_vectored())
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("transport", &self.transport)
            .field("peer", &self.peer)
            .finish_non_exhaustive()
    }
}
