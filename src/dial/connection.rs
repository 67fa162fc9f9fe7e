//! [`Connection`]: the transport a dial opened, whichever kind it is.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::multiserver::TransportKind;

/// Any of the transports a dial opens.
trait Io: AsyncRead + AsyncWrite + Send + Sync + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Sync + Unpin> Io for T {}

/// The transport a dial opened: TCP, a Unix socket, or a WebSocket (over TCP or TLS), behind
/// one type. It reads and writes like the transport itself.
///
/// End a session with [`BoxStream::close`](crate::BoxStream::close): our goodbye, the peer's,
/// then the transport's own end (a WebSocket's Close handshake), within a timeout, whichever
/// kind of transport it is.
pub struct Connection {
    io: Box<dyn Io>,
    transport: TransportKind,
    peer: String,
}

impl Connection {
    fn new(io: Box<dyn Io>, transport: TransportKind, peer: String) -> Self {
        Connection {
            io,
            transport,
            peer,
        }
    }

    pub(crate) fn tcp(io: tokio::net::TcpStream, transport: TransportKind, peer: String) -> Self {
        Connection::new(Box::new(io), transport, peer)
    }

    #[cfg(unix)]
    pub(crate) fn unix(io: tokio::net::UnixStream, path: String) -> Self {
        Connection::new(Box::new(io), TransportKind::Unix, path)
    }

    /// A WebSocket over any connection (TCP for `ws`, TLS for `wss`).
    #[cfg(feature = "websocket")]
    pub(crate) fn websocket<S>(
        io: crate::websocket::WsTransport<S>,
        transport: TransportKind,
        peer: String,
    ) -> Self
    where
        S: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static,
    {
        Connection::new(Box::new(io), transport, peer)
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
        Pin::new(&mut *self.get_mut().io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().io).poll_flush(cx)
    }

    /// The transport's own shutdown: a TCP or Unix half-close; for a WebSocket a flush the
    /// first time, and the end of the WebSocket after that.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
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
