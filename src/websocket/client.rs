//! Dialling: `ws://` and `wss://` URLs, the HTTP upgrade (bounded), and the secret handshake.

use std::io;
use std::sync::atomic::{AtomicU8, Ordering::Relaxed};

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::client_async_with_config;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::http::Uri;
use tokio_tungstenite::tungstenite::Error as WsError;

use super::config::seconds;
use super::stream::WsStream;
use super::tap::Tap;
use super::transport::{to_io, WsTransport};
use super::{Config, DialOptions, Error};
use crate::io::timer::{no_time_driver, no_time_driver_error};
use crate::io::within;

impl<S: AsyncRead + AsyncWrite + Unpin> WsTransport<S> {
    /// A building block: opens a WebSocket as a client over `io`, a connection you opened
    /// yourself (through a proxy, say), requesting `url` (`ws[s]://HOST[:PORT][/PATH]`, whose
    /// host and path are sent; `io` must already reach it), within `config`'s limits and
    /// upgrade timeout. The secret handshake is yours to run on the result. To dial an address,
    /// use [`dial`](crate::dial).
    pub async fn connect_with(io: S, url: &str, config: &Config) -> Result<Self, Error> {
        match within(config.upgrade_timeout(), upgrade(io, url, config)).await {
            Some(result) => result,
            None => Err(Error::Upgrade(timed_out(config, "no answer"))),
        }
    }
}

/// A building block: opens `url` (`ws://HOST[:PORT][/PATH]` or `wss://…`; ports 80 and 443 by
/// default), the TCP connection, TLS for `wss` and the WebSocket upgrade requesting PATH
/// (default `/`), all within the upgrade timeout of `options`' [`Config`], and returns the
/// transport: the secret handshake is yours to run on it (`client.connect(transport, &key)`).
/// To dial a multiserver address (`ws://HOST~shs:KEY`), use [`dial`](crate::dial), which also
/// bounds hostile address text and can refuse local targets.
///
/// Each failure says where it happened: [`Error::Unsupported`] (not a WebSocket URL, or
/// `wss` without the `wss` feature), [`Error::Connect`], [`Error::Tls`], [`Error::Upgrade`];
/// a timeout is a `TimedOut` error of the step that was running.
pub async fn open(url: &str, options: &DialOptions) -> Result<WsTransport<WsStream>, Error> {
    let target = Target::parse(url)?;
    // The step running, for a timeout's error (atomic only to keep the future `Sync`).
    let step = AtomicU8::new(Step::Connect as u8);
    let config = &options.config;
    let dial = async {
        let tcp = TcpStream::connect((target.host.as_str(), target.port))
            .await
            .map_err(Error::Connect)?;
        // Box-stream flushes whole frames; don't let Nagle hold them back (ws does the same).
        let _ = tcp.set_nodelay(true);
        let stream = if target.secure {
            step.store(Step::Tls as u8, Relaxed);
            options.tls_connect(tcp, &target.host).await?
        } else {
            WsStream::plain(tcp)
        };
        step.store(Step::Upgrade as u8, Relaxed);
        upgrade(stream, url, config).await
    };
    match within(config.upgrade_timeout(), dial).await {
        Some(result) => result,
        None => Err(match step.load(Relaxed) {
            s if s == Step::Connect as u8 => Error::Connect(timed_out(config, "no connection")),
            s if s == Step::Tls as u8 => Error::Tls(timed_out(config, "no TLS handshake")),
            _ => Error::Upgrade(timed_out(config, "no answer")),
        }),
    }
}

/// The HTTP upgrade over `io`, unbounded in time; a `101` that announces an extension we never
/// offered is refused.
async fn upgrade<S: AsyncRead + AsyncWrite + Unpin>(
    io: S,
    url: &str,
    config: &Config,
) -> Result<WsTransport<S>, Error> {
    let upgrade = client_async_with_config(url, Tap::new(io, &[]), Some(config.tungstenite()));
    let (ws, response) = upgrade.await.map_err(upgrade_failed)?;
    // We offer no extension (RFC 6455 §4.1: the client must fail the connection then);
    // tungstenite does not check.
    if response.headers().contains_key("sec-websocket-extensions") {
        return Err(Error::Upgrade(io::Error::new(
            io::ErrorKind::InvalidData,
            "the server's 101 announces a WebSocket extension (such as permessage-deflate) \
             that we never offered",
        )));
    }
    Ok(WsTransport::new(ws, config))
}

#[derive(Clone, Copy)]
#[repr(u8)]
enum Step {
    Connect,
    Tls,
    Upgrade,
}

/// Where a URL leads.
struct Target {
    secure: bool,
    /// Without IPv6 brackets.
    host: String,
    port: u16,
}

impl Target {
    fn parse(url: &str) -> Result<Target, Error> {
        const NOT_WS: &str = "not a ws:// or wss:// URL of the form ws[s]://HOST[:PORT][/PATH]";
        let uri: Uri = url.parse().map_err(|_| Error::Unsupported(NOT_WS))?;
        let secure = match uri.scheme_str() {
            Some("ws") => false,
            Some("wss") => true,
            _ => return Err(Error::Unsupported(NOT_WS)),
        };
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or(Error::Unsupported(NOT_WS))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
        Ok(Target { secure, host, port })
    }
}

/// "no answer within 5 s", say.
fn timed_out(config: &Config, what: &str) -> io::Error {
    if no_time_driver() {
        return no_time_driver_error();
    }
    let limit = seconds(config.upgrade_timeout().unwrap_or_default());
    io::Error::new(io::ErrorKind::TimedOut, format!("{what} within {limit}"))
}

/// The upgrade failed; if the server hung up or did not answer in HTTP, say what that
/// probably means. An HTTP answer that is not a valid upgrade (a wrong `Sec-WebSocket-Accept`,
/// a missing header, another status) gets no hint: the server speaks HTTP.
fn upgrade_failed(e: WsError) -> Error {
    let not_http = matches!(
        &e,
        WsError::HttpFormat(_)
            | WsError::Protocol(
                ProtocolError::HttparseError(_)
                    | ProtocolError::HandshakeIncomplete
                    | ProtocolError::WrongHttpVersion
            )
    ) || matches!(&e, WsError::Io(io) if matches!(
        io.kind(),
        io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
    ));
    let io = to_io(e);
    if !not_http {
        return Error::Upgrade(io);
    }
    Error::Upgrade(io::Error::new(
        io.kind(),
        format!(
            "{io}: the server hung up or did not answer in HTTP; is this a net: \
             (secret-handshake over TCP) port rather than a WebSocket one?"
        ),
    ))
}
