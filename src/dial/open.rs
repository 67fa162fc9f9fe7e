//! Opening each kind of transport: TCP (names resolved), Unix sockets, WebSocket.

use std::io;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU8, Ordering};

use tokio::net::TcpStream;

use super::error::{Failure, Step};
use super::WebSocketOptions;
use crate::multiserver::{Endpoint, MultiserverAddress, TransportKind};
use crate::Connection;

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
/// secret-handshake one (the WebSocket request is built from it). Without `allow_local`,
/// targets on this machine or its link are refused before anything is sent.
pub(crate) async fn open(
    endpoint: &Endpoint,
    shs: Option<&MultiserverAddress>,
    websocket: &WebSocketOptions,
    allow_local: bool,
    progress: &Progress,
) -> Result<Connection, Failure> {
    progress.set(Step::Connect);
    if !allow_local && is_local(endpoint) {
        return Err(Failure::Local);
    }
    let tcp = |host| tcp(host, endpoint.port, allow_local);
    match endpoint.transport {
        TransportKind::Net => Ok(Connection::from_tcp(
            tcp(&endpoint.host).await?,
            endpoint.socket_address(),
        )),
        TransportKind::Unix => unix(&endpoint.path).await,
        TransportKind::Ws | TransportKind::Wss => {
            let Some(address) = shs else {
                return Err(Failure::Unsupported(
                    "noauth over WebSocket is not supported: use a unix: socket",
                ));
            };
            open_websocket(tcp(&endpoint.host).await?, address, websocket, progress).await
        }
        TransportKind::Onion => Err(Failure::Unsupported(
            "onion: addresses need a Tor SOCKS proxy, which this crate does not have",
        )),
        #[allow(unreachable_patterns)] // TransportKind is non_exhaustive for users only
        _ => Err(Failure::Unsupported("this transport cannot be dialled")),
    }
}

/// Whether `endpoint` is on this machine or its link, by its text alone: a Unix socket,
/// `localhost`, or a loopback, unspecified or link-local IP address. Names are checked again
/// once resolved ([`tcp`]).
pub(crate) fn is_local(endpoint: &Endpoint) -> bool {
    match endpoint.transport {
        TransportKind::Unix => true,
        _ => {
            let host = endpoint.host.to_ascii_lowercase();
            host == "localhost"
                || host.ends_with(".localhost")
                || host.parse::<IpAddr>().is_ok_and(is_local_ip)
        }
    }
}

/// Loopback, unspecified (which reaches this machine) or link-local, IPv4-mapped forms too.
fn is_local_ip(ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_unspecified() || v4.is_link_local(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.is_unspecified() || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

/// Resolves `host` and connects to its addresses in turn, as `TcpStream::connect` does, but
/// telling a name that does not resolve from a host that refuses. Without `allow_local`,
/// resolved addresses on this machine or its link are skipped ([`Failure::Local`] if no other
/// is left).
async fn tcp(host: &str, port: u16, allow_local: bool) -> Result<TcpStream, Failure> {
    let mut resolved = tokio::net::lookup_host((host, port))
        .await
        .map_err(Failure::Resolve)?
        .peekable();
    if resolved.peek().is_none() {
        return Err(Failure::Resolve(io::Error::new(
            io::ErrorKind::NotFound,
            "the name has no addresses",
        )));
    }
    let mut last = None;
    for addr in resolved.filter(|a| allow_local || !is_local_ip(a.ip())) {
        match TcpStream::connect(addr).await {
            Ok(tcp) => {
                // Box-stream flushes whole frames; Nagle would only hold them back.
                let _ = tcp.set_nodelay(true);
                return Ok(tcp);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.map_or(Failure::Local, Failure::Connect))
}

#[cfg(unix)]
async fn unix(path: &str) -> Result<Connection, Failure> {
    let socket = tokio::net::UnixStream::connect(path)
        .await
        .map_err(Failure::Connect)?;
    Ok(Connection::from_unix(socket, path.to_owned()))
}

#[cfg(not(unix))]
async fn unix(_path: &str) -> Result<Connection, Failure> {
    Err(Failure::Unsupported("unix: sockets exist only on Unix"))
}

/// TLS for `wss://`, then the WebSocket opening handshake requesting the address's path.
#[cfg(feature = "websocket")]
async fn open_websocket(
    tcp: TcpStream,
    address: &MultiserverAddress,
    options: &WebSocketOptions,
    progress: &Progress,
) -> Result<Connection, Failure> {
    use crate::websocket::{WsStream, WsTransport};
    let (scheme, stream) = match address.transport {
        TransportKind::Wss => {
            progress.set(Step::Tls);
            ("wss", options.tls_connect(tcp, &address.host).await?)
        }
        _ => ("ws", WsStream::plain(tcp)),
    };
    progress.set(Step::Upgrade);
    let url = format!("{scheme}://{}{}", address.socket_address(), address.path);
    let ws = WsTransport::connect_with(stream, &url, options.config()).await?;
    Ok(Connection::from_websocket(ws, address.socket_address()))
}

#[cfg(not(feature = "websocket"))]
async fn open_websocket(
    _: TcpStream,
    _: &MultiserverAddress,
    _: &WebSocketOptions,
    _: &Progress,
) -> Result<Connection, Failure> {
    Err(Failure::Unsupported(
        "ws:// and wss:// need the `websocket` feature of secret-handshake",
    ))
}
