//! Opening each kind of transport: TCP (names resolved), Unix sockets, WebSocket.

use std::io;
use std::sync::atomic::{AtomicU8, Ordering};

use tokio::net::TcpStream;

use super::connection::Connection;
use super::error::{Failure, Step};
use super::WebSocketOptions;
use crate::multiserver::{Endpoint, MultiserverAddress, TransportKind};

/// The step an attempt is in, readable after its future was dropped by a timeout.
#[derive(Debug, Default)]
pub(crate) struct Progress(AtomicU8);

impl Progress {
    pub(crate) fn set(&self, step: Step) {
        self.0.store(step as u8, Ordering::Relaxed);
    }

    pub(crate) fn get(&self) -> Step {
        Step::from_u8(self.0.load(Ordering::Relaxed))
    }
}

/// Opens the transport `endpoint` names. `shs` is the whole address when it is a
/// secret-handshake one (the WebSocket request is built from it).
pub(crate) async fn open(
    endpoint: &Endpoint,
    shs: Option<&MultiserverAddress>,
    websocket: &WebSocketOptions,
    progress: &Progress,
) -> Result<Connection, Failure> {
    progress.set(Step::Connect);
    match endpoint.transport {
        TransportKind::Net => {
            let tcp = tcp(&endpoint.host, endpoint.port).await?;
            Ok(Connection::tcp(
                tcp,
                TransportKind::Net,
                endpoint.socket_address(),
            ))
        }
        TransportKind::Unix => unix(&endpoint.path).await,
        TransportKind::Ws => {
            let Some(address) = shs else {
                return Err(Failure::Unsupported(
                    "noauth over ws:// is not supported: use a unix: socket",
                ));
            };
            let tcp = tcp(&endpoint.host, endpoint.port).await?;
            progress.set(Step::Upgrade);
            open_websocket(tcp, address, websocket).await
        }
        TransportKind::Wss => open_secure_websocket(shs, websocket, progress).await,
        TransportKind::Onion => Err(Failure::Unsupported(
            "onion: addresses need a Tor SOCKS proxy, which this crate does not have",
        )),
        #[allow(unreachable_patterns)] // TransportKind is non_exhaustive for users only
        _ => Err(Failure::Unsupported("this transport cannot be dialled")),
    }
}

/// Resolves `host` and connects to its addresses in turn, as `TcpStream::connect` does, but
/// telling a name that does not resolve from a host that refuses.
async fn tcp(host: &str, port: u16) -> Result<TcpStream, Failure> {
    let resolved: Vec<_> = tokio::net::lookup_host((host, port))
        .await
        .map_err(Failure::Resolve)?
        .collect();
    let mut last = None;
    for addr in resolved {
        match TcpStream::connect(addr).await {
            Ok(tcp) => {
                // Box-stream flushes whole frames; Nagle would only hold them back.
                let _ = tcp.set_nodelay(true);
                return Ok(tcp);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(match last {
        Some(e) => Failure::Connect(e),
        None => Failure::Resolve(io::Error::new(
            io::ErrorKind::NotFound,
            "the name has no addresses",
        )),
    })
}

#[cfg(unix)]
async fn unix(path: &str) -> Result<Connection, Failure> {
    let socket = tokio::net::UnixStream::connect(path)
        .await
        .map_err(Failure::Connect)?;
    Ok(Connection::unix(socket, path.to_owned()))
}

#[cfg(not(unix))]
async fn unix(_path: &str) -> Result<Connection, Failure> {
    Err(Failure::Unsupported("unix: sockets exist only on Unix"))
}

/// The WebSocket opening handshake over `tcp`, for `ws://` addresses, requesting the
/// address's path.
#[cfg(feature = "websocket")]
async fn open_websocket(
    tcp: TcpStream,
    address: &MultiserverAddress,
    options: &WebSocketOptions,
) -> Result<Connection, Failure> {
    let url = format!("ws://{}{}", address.socket_address(), address.path);
    let ws = crate::websocket::WsTransport::connect_with(tcp, &url, options.config())
        .await
        .map_err(websocket_failure)?;
    Ok(Connection::websocket(
        ws,
        address.transport,
        address.socket_address(),
    ))
}

#[cfg(not(feature = "websocket"))]
async fn open_websocket(
    _: TcpStream,
    _: &MultiserverAddress,
    _: &WebSocketOptions,
) -> Result<Connection, Failure> {
    Err(Failure::Unsupported(
        "ws:// needs the `websocket` feature of secret-handshake",
    ))
}

/// TCP, TLS, then the WebSocket opening handshake, for `wss://` addresses (noauth is refused,
/// as for `ws://`).
#[cfg(feature = "wss")]
async fn open_secure_websocket(
    shs: Option<&MultiserverAddress>,
    options: &WebSocketOptions,
    progress: &Progress,
) -> Result<Connection, Failure> {
    let Some(address) = shs else {
        return Err(Failure::Unsupported(
            "noauth over wss:// is not supported: use a unix: socket",
        ));
    };
    progress.set(Step::Tls);
    let url = format!("wss://{}{}", address.socket_address(), address.path);
    let ws = crate::websocket::open(&url, options)
        .await
        .map_err(websocket_failure)?;
    Ok(Connection::websocket(
        ws,
        TransportKind::Wss,
        address.socket_address(),
    ))
}

#[cfg(not(feature = "wss"))]
async fn open_secure_websocket(
    _: Option<&MultiserverAddress>,
    _: &WebSocketOptions,
    _: &Progress,
) -> Result<Connection, Failure> {
    Err(Failure::Unsupported(
        "wss:// needs the `wss` feature of secret-handshake",
    ))
}

/// Where a WebSocket dial failed.
#[cfg(feature = "websocket")]
fn websocket_failure(error: crate::websocket::Error) -> Failure {
    use crate::websocket::Error;
    match error {
        Error::Connect(e) => Failure::Connect(e),
        Error::Tls(e) => Failure::Tls(e),
        Error::Upgrade(e) => Failure::Upgrade(e),
        Error::Unsupported(what) => Failure::Unsupported(what),
        other => Failure::Upgrade(io::Error::other(other.to_string())),
    }
}
