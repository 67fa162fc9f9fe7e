//! Dialling multiserver addresses: `net:`, `ws://`, `wss://` and `unix:`, one after another
//! until one connects.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use secret_handshake::{dial, Client, Keypair, NetworkKey};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! let client = Client::new(Keypair::generate(), NetworkKey::ssb_main_net());
//! let pub_address = "net:example.org:8008~shs:1KHLiKZvAvjbY1ziZEHMXawbCEIM6qwjCDm3VYRan/s=;\
//!                    ws://example.org~shs:1KHLiKZvAvjbY1ziZEHMXawbCEIM6qwjCDm3VYRan/s=";
//! let mut stream = dial::connect(&client, pub_address).await?;
//! stream.write_all(b"hello").await?;
//! stream.shutdown().await?; // our goodbye
//! let mut reply = Vec::new();
//! stream.read_to_end(&mut reply).await?; // up to the peer's goodbye
//! stream.close().await?; // the transport's end: a WebSocket's Close, TCP's FIN
//! # Ok(()) }
//! ```
//!
//! # Which failures fall back to the next address
//! The addresses are tried in order. One that cannot be reached — it does not parse, its
//! transport is unsupported here, the name does not resolve, the connection is refused or
//! unreachable, TLS or the WebSocket upgrade fails, the peer stays silent or resets, or the
//! attempt timeout runs out — is recorded and the next is tried. A secret handshake that gets
//! past the server's hello (message 2, which proves a secret-handshake server on our network)
//! and then fails is the peer's answer — a wrong server key, or the server turned us away — so
//! the dial stops there and returns it ([`Failure::is_answer`]). The JS client tries only the
//! first address it can parse.
//!
//! An invite's seed in an address (`~shs:KEY:SEED`) makes that attempt prove the identity made
//! from the seed ([`Client::with_seed_identity`]).
//!
//! # Timeouts
//! Each attempt — connect, TLS, upgrade and handshake — is bounded by
//! [`Dialer::attempt_timeout`] (default [`DEFAULT_ATTEMPT_TIMEOUT`]), the whole dial by
//! [`Dialer::total_timeout`] (default [`DEFAULT_TOTAL_TIMEOUT`]); `Duration::MAX` means none.
//! The handshake keeps the client's own inactivity timeout too. The timers are Tokio's: polled
//! outside a Tokio runtime, a dial runs untimed.
//!
//! # Unix sockets and `noauth`
//! `unix:PATH~shs:KEY` is dialled like any other address. Serving one takes no helper: bind a
//! `tokio::net::UnixListener` and hand each accepted `UnixStream` to
//! [`Server::accept`](crate::Server::accept).
//!
//! `noauth` addresses give a **plain, unauthenticated and unencrypted** stream: Scuttlebutt
//! servers offer `unix:PATH~noauth` to local tools, trusting the socket file's permissions.
//! [`connect`] never dials them; [`connect_noauth`] does, and only on this machine (a Unix
//! socket, or `net:` to a loopback address).

mod connection;
mod deadline;
mod error;
mod open;
mod run;

use std::borrow::Cow;
use std::net::IpAddr;
use std::time::Duration;

pub use connection::Connection;
pub use error::{Attempt, DialError, Failure, Step};

use self::open::{open, Progress};
use self::run::Target;
use crate::io::{BoxStream, Client};
use crate::multiserver::{split_list, Endpoint, MultiserverAddress, NoauthAddress, TransportKind};

/// How long one attempt may take, unless [`Dialer::attempt_timeout`] says otherwise.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a whole dial may take, unless [`Dialer::total_timeout`] says otherwise.
pub const DEFAULT_TOTAL_TIMEOUT: Duration = Duration::from_secs(30);

/// Dials `addresses`, a multiserver address or a `;`-separated list, with the default
/// timeouts, and runs the secret handshake as `client`. See the [module docs](self).
pub async fn connect(client: &Client, addresses: &str) -> Result<BoxStream<Connection>, DialError> {
    Dialer::new().connect(client, addresses).await
}

/// Opens a plain **unauthenticated, unencrypted** stream to the first `…~noauth` entry of
/// `addresses` that answers, on this machine only. See the [module docs](self).
pub async fn connect_noauth(addresses: &str) -> Result<Connection, DialError> {
    Dialer::new().connect_noauth(addresses).await
}

/// Dial options: the timeouts.
#[derive(Clone, Debug)]
pub struct Dialer {
    attempt_timeout: Duration,
    total_timeout: Duration,
    websocket: WebSocketOptions,
}

/// How WebSockets are opened: limits, and for `wss://` the TLS roots (feature `websocket`).
#[cfg(feature = "websocket")]
pub(crate) type WebSocketOptions = crate::websocket::DialOptions;
#[cfg(not(feature = "websocket"))]
pub(crate) type WebSocketOptions = ();

impl Default for Dialer {
    fn default() -> Self {
        Dialer::new()
    }
}

impl Dialer {
    /// A dialler with the default timeouts.
    pub fn new() -> Self {
        Dialer {
            attempt_timeout: DEFAULT_ATTEMPT_TIMEOUT,
            total_timeout: DEFAULT_TOTAL_TIMEOUT,
            websocket: WebSocketOptions::default(),
        }
    }

    /// Bounds each attempt: connecting, TLS, the WebSocket upgrade and the secret handshake
    /// together (`Duration::MAX`: no bound).
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// Bounds the whole dial, all attempts together (`Duration::MAX`: no bound).
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.total_timeout = timeout;
        self
    }

    /// How `ws://` and `wss://` addresses are opened: WebSocket limits, and for `wss://` the
    /// TLS roots or a whole `rustls::ClientConfig` (default: the webpki roots).
    #[cfg(feature = "websocket")]
    pub fn websocket_options(mut self, options: crate::websocket::DialOptions) -> Self {
        self.websocket = options;
        self
    }

    /// [`connect`] with these options.
    pub async fn connect(
        &self,
        client: &Client,
        addresses: &str,
    ) -> Result<BoxStream<Connection>, DialError> {
        let entries = split_list(addresses).enumerate().map(|(i, text)| {
            text.parse::<MultiserverAddress>()
                .map_err(|e| (format!("entry {}", i + 1), Failure::Address(e)))
        });
        self.connect_each(client, entries.collect()).await
    }

    /// Dials addresses already parsed, in order.
    pub async fn connect_to(
        &self,
        client: &Client,
        addresses: &[MultiserverAddress],
    ) -> Result<BoxStream<Connection>, DialError> {
        self.connect_each(client, addresses.iter().cloned().map(Ok).collect())
            .await
    }

    async fn connect_each(
        &self,
        client: &Client,
        entries: Vec<Result<MultiserverAddress, (String, Failure)>>,
    ) -> Result<BoxStream<Connection>, DialError> {
        let targets = entries.into_iter().map(|entry| {
            entry.map(|address| {
                let label = address.redacted().to_string();
                Target {
                    label,
                    endpoint: address.endpoint(),
                    address,
                }
            })
        });
        self.run(targets.collect(), |target, progress| async move {
            shs_attempt(client, &target.address, &self.websocket, &progress).await
        })
        .await
    }

    /// [`connect_noauth`] with these options.
    pub async fn connect_noauth(&self, addresses: &str) -> Result<Connection, DialError> {
        let targets = split_list(addresses).enumerate().map(|(i, text)| {
            let label = || format!("entry {}", i + 1);
            let address = text
                .parse::<NoauthAddress>()
                .map_err(|e| (label(), Failure::Address(e)))?;
            Ok(Target {
                label: address.to_string(),
                endpoint: address.endpoint(),
                address,
            })
        });
        self.run(targets.collect(), |target, progress| async move {
            if !is_local(&target.endpoint) {
                return Err(Failure::NotLocal);
            }
            open(&target.endpoint, None, &self.websocket, &progress).await
        })
        .await
    }
}

/// One secret-handshake attempt: the transport, then the handshake as `client` or as the
/// invite's identity.
async fn shs_attempt(
    client: &Client,
    address: &MultiserverAddress,
    websocket: &WebSocketOptions,
    progress: &Progress,
) -> Result<BoxStream<Connection>, Failure> {
    // An unusable server key is refused before anything is dialled.
    client
        .check_server_key(&address.key)
        .map_err(Failure::Handshake)?;
    let connection = open(&address.endpoint(), Some(address), websocket, progress).await?;
    progress.set(Step::Handshake);
    let client = match &address.seed {
        Some(seed) => Cow::Owned(client.clone().with_seed_identity(seed)),
        None => Cow::Borrowed(client),
    };
    client
        .connect(connection, &address.key)
        .await
        .map_err(Failure::Handshake)
}

/// Whether `endpoint` is on this machine: a Unix socket, or a loopback address.
fn is_local(endpoint: &Endpoint) -> bool {
    match endpoint.transport {
        TransportKind::Unix => true,
        TransportKind::Net | TransportKind::Ws => {
            endpoint.host == "localhost"
                || endpoint
                    .host
                    .parse::<IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        _ => false,
    }
}
