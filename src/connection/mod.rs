//! [`Connection`]: the transport under every stream the dialler opens and the listener accepts,
//! whichever kind it is.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::multiserver::TransportKind;

#[cfg(feature = "websocket")]
use crate::websocket::Replay;

/// The transports a connection runs on.
enum Io {
    Tcp(TcpStream),
    /// A TCP connection whose first bytes were read to tell WebSocket from secret-handshake;
    /// they are handed out again first.
    #[cfg(feature = "websocket")]
    Sniffed(Replay<TcpStream>),
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
    /// `ws://` (over plain TCP) and `wss://` (over TLS). Boxed: a WebSocket is far larger
    /// than a socket, and TCP connections should not pay.
    #[cfg(feature = "websocket")]
    Ws(Box<crate::websocket::WsTransport<crate::websocket::WsStream>>),
}

/// `$body` with `$io` bound to the transport, whichever it is.
macro_rules! each {
    ($self:expr, $io:ident => $body:expr) => {
        match $self {
            Io::Tcp($io) => $body,
            #[cfg(feature = "websocket")]
            Io::Sniffed($io) => $body,
            #[cfg(unix)]
            Io::Unix($io) => $body,
            #[cfg(feature = "websocket")]
            Io::Ws($io) => $body,
        }
    };
}

/// The transport under a [`BoxStream`](crate::BoxStream) that [`dial`](crate::dial) opened or
/// a [`Listener`](crate::Listener) accepted: TCP, a unix socket, or a WebSocket (over TCP or
/// TLS), behind one type, so that code written for one serves every transport and both
/// directions. It reads and writes like the transport itself.
///
/// End a session with [`BoxStream::close`](crate::BoxStream::close): our goodbye, the peer's,
/// then the transport's own end (a WebSocket's Close handshake, TCP's FIN), within a timeout,
/// whichever kind of transport it is.
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

    pub(crate) fn from_tcp(io: TcpStream, peer: String) -> Self {
        Connection::new(Io::Tcp(io), TransportKind::Net, peer)
    }

    /// A TCP connection whose first bytes, read to sniff it, come first.
    #[cfg(feature = "websocket")]
    pub(crate) fn from_sniffed(io: Replay<TcpStream>, peer: String) -> Self {
        Connection::new(Io::Sniffed(io), TransportKind::Net, peer)
    }

    #[cfg(unix)]
    pub(crate) fn from_unix(io: tokio::net::UnixStream, peer: String) -> Self {
        Connection::new(Io::Unix(io), TransportKind::Unix, peer)
    }

    /// A WebSocket over TCP (`ws`) or TLS (`wss`).
    #[cfg(feature = "websocket")]
    pub(crate) fn from_websocket(
        io: crate::websocket::WsTransport<crate::websocket::WsStream>,
        peer: String,
    ) -> Self {
        let transport = match io.get_ref().is_tls() {
            true => TransportKind::Wss,
            false => TransportKind::Ws,
        };
        Connection::new(Io::Ws(Box::new(io)), transport, peer)
    }

    /// The kind of transport: `Net`, `Unix`, `Ws` or `Wss`.
    pub fn transport(&self) -> TransportKind {
        self.transport
    }

    /// Where it leads. Dialled: `HOST:PORT` as dialled (a name, not the resolved address), or
    /// the socket's path. Accepted: the client's address as the listener saw it (the text of
    /// its [`PeerAddr`](crate::PeerAddr)).
    pub fn peer_address(&self) -> &str {
        &self.peer
    }

    /// The TCP connection beneath, if there is one (also under a WebSocket and TLS), for its
    /// addresses or socket options. Reading or writing it corrupts the stream.
    pub fn tcp(&self) -> Option<&TcpStream> {
        match &self.io {
            Io::Tcp(tcp) => Some(tcp),
            #[cfg(feature = "websocket")]
            Io::Sniffed(replay) => Some(replay.get_ref()),
            #[cfg(unix)]
            Io::Unix(_) => None,
            #[cfg(feature = "websocket")]
            Io::Ws(ws) => Some(ws.get_ref().tcp()),
        }
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
