//! What `listen` accepts: a TCP or unix socket connection, upgraded to WebSocket with `--ws`
//! (within the library's 5 s upgrade timeout), then through the secret handshake (within the
//! library's 30 s deadline, however slowly the client trickles its bytes).

use std::io;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream, UnixStream};

use secret_handshake::{Authorize, BoxStream, Server};

use crate::unix_socket::UnixSocket;
use crate::{not_websocket, sniff, ws};

const HTTP_CLIENT_HINT: &str = "the client sent an HTTP request: is it dialling ws://…? \
                                This listener speaks plain TCP; `listen --ws` serves WebSocket";

/// Any transport a session runs over.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for sniff::Sniff<T> {}
impl Io for UnixStream {}
impl Io for ws::Ws {}

/// An authenticated client, ready for its session.
pub type Session = BoxStream<Box<dyn Io>>;

/// Where `listen` accepts connections.
pub enum Listener {
    Tcp(TcpListener),
    Unix(UnixSocket),
}

/// A connection just accepted.
pub enum Incoming {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Listener {
    pub async fn accept(&self) -> io::Result<Incoming> {
        match self {
            Listener::Tcp(tcp) => Ok(Incoming::Tcp(tcp.accept().await?.0)),
            Listener::Unix(unix) => Ok(Incoming::Unix(unix.listener.accept().await?.0)),
        }
    }
}

/// Upgrades `incoming` (with `ws`) and runs the server's handshake.
pub async fn handshake<A: Authorize<Auth = ()>>(
    server: &Server<A>,
    incoming: Incoming,
    ws: bool,
) -> Result<Session, String> {
    let (transport, seen): (Box<dyn Io>, _) = match incoming {
        Incoming::Tcp(mut tcp) => {
            // See `connect::dial_tcp`.
            tcp.set_nodelay(true)
                .map_err(|e| format!("accepting a connection: {e}"))?;
            if ws {
                not_websocket::check(&mut tcp).await?;
                (Box::new(ws::accept(tcp).await?), None)
            } else {
                let (tcp, seen) = sniff::wrap(tcp, b"GET ", HTTP_CLIENT_HINT);
                (Box::new(tcp), Some(seen))
            }
        }
        Incoming::Unix(unix) => (Box::new(unix), None),
    };
    server.accept(transport).await.map_err(|e| {
        let message = e.to_string();
        match seen {
            Some(seen) => seen.hint(message),
            None => message,
        }
    })
}
