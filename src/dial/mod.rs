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
//! # Bounds on address text
//! Address text may come from peers (a pub's announced address, an invite), so what a dial does
//! with it is bounded:
//!
//! * at most [`MAX_ADDRESS_TEXT`] (8 KiB) is read; longer text is refused whole
//!   ([`Failure::TooLong`]);
//! * entries are parsed one at a time as their turn comes, so parsing holds no more than one
//!   entry beside the text;
//! * at most [`MAX_LIST_ENTRIES`] (16) entries of one list are tried, and a [`DialError`] holds
//!   at most that many attempts ([`DialError::skipped`] counts the rest);
//! * [`Dialer::allow_local`]`(false)` refuses targets on this machine or its link (`unix:`,
//!   loopback, unspecified and link-local addresses, names that resolve only to those), so an
//!   announced address cannot make us send a hello to a local service.
//!
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
/// The longest address text read, in bytes: longer text is refused whole
/// ([`Failure::TooLong`]), before any of it is parsed.
pub const MAX_ADDRESS_TEXT: usize = 8 * 1024;
/// The most entries of one list (or slice of addresses) dialled; the rest are counted
/// ([`DialError::skipped`]) and not tried.
pub const MAX_LIST_ENTRIES: usize = 16;

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

/// Dial options: the timeouts, whether local targets may be dialled, WebSocket options.
#[derive(Clone, Debug)]
pub struct Dialer {
    attempt_timeout: Duration,
    total_timeout: Duration,
    allow_local: bool,
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
    /// A dialler with the default timeouts that dials local targets too.
    pub fn new() -> Self {
        Dialer {
            attempt_timeout: DEFAULT_ATTEMPT_TIMEOUT,
            total_timeout: DEFAULT_TOTAL_TIMEOUT,
            allow_local: true,
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

    /// Whether targets on this machine or its link may be dialled (default: yes, so you can
    /// dial your own local server). Set `false` for addresses that come from peers: then a
    /// `unix:` socket, `localhost`, a loopback, unspecified (`0.0.0.0`, `::`) or link-local
    /// address, or a name that resolves only to those, fails with [`Failure::Local`] before
    /// anything is sent. `noauth` dials ignore it (they only ever go to this machine).
    pub fn allow_local(mut self, allow: bool) -> Self {
        self.allow_local = allow;
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
        if addresses.len() > MAX_ADDRESS_TEXT {
            return Err(too_long(addresses));
        }
        // Parsed one at a time, as each turn comes: the text is never held twice.
        let entries = split_list(addresses).enumerate().map(|(i, text)| {
            text.parse::<MultiserverAddress>()
                .map_err(|e| (format!("entry {}", i + 1), Failure::Address(e)))
        });
        let skipped = split_list(addresses)
            .count()
            .saturating_sub(MAX_LIST_ENTRIES);
        self.connect_each(client, entries.take(MAX_LIST_ENTRIES), skipped)
            .await
    }

    /// Dials addresses already parsed, in order (at most [`MAX_LIST_ENTRIES`] of them).
    pub async fn connect_to(
        &self,
        client: &Client,
        addresses: &[MultiserverAddress],
    ) -> Result<BoxStream<Connection>, DialError> {
        let skipped = addresses.len().saturating_sub(MAX_LIST_ENTRIES);
        let entries = addresses.iter().take(MAX_LIST_ENTRIES).cloned().map(Ok);
        self.connect_each(client, entries, skipped).await
    }

    async fn connect_each(
        &self,
        client: &Client,
        entries: impl Iterator<Item = Result<MultiserverAddress, (String, Failure)>>,
        skipped: usize,
    ) -> Result<BoxStream<Connection>, DialError> {
        let targets = entries.map(|entry| {
            entry.map(|address| {
                let label = address.redacted().to_string();
                Target {
                    label,
                    endpoint: address.endpoint(),
                    address,
                }
            })
        });
        self.run(targets, skipped, |target, progress| async move {
            shs_attempt(client, &target.address, self, &progress).await
        })
        .await
    }

    /// [`connect_noauth`] with these options.
    pub async fn connect_noauth(&self, addresses: &str) -> Result<Connection, DialError> {
        if addresses.len() > MAX_ADDRESS_TEXT {
            return Err(too_long(addresses));
        }
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
        let skipped = split_list(addresses)
            .count()
            .saturating_sub(MAX_LIST_ENTRIES);
        let targets = targets.take(MAX_LIST_ENTRIES);
        self.run(targets, skipped, |target, progress| async move {
            if !on_this_machine(&target.endpoint) {
                return Err(Failure::NotLocal);
            }
            open(&target.endpoint, None, &self.websocket, true, &progress).await
        })
        .await
    }
}

/// The error for address text over [`MAX_ADDRESS_TEXT`].
fn too_long(addresses: &str) -> DialError {
    DialError {
        attempts: vec![Attempt {
            address: "the address list".to_owned(),
            socket_address: None,
            failure: Failure::TooLong {
                bytes: addresses.len(),
            },
        }],
        total_timeout: None,
        skipped: 0,
    }
}

/// One secret-handshake attempt: the transport, then the handshake as `client` or as the
/// invite's identity.
async fn shs_attempt(
    client: &Client,
    address: &MultiserverAddress,
    dialer: &Dialer,
    progress: &Progress,
) -> Result<BoxStream<Connection>, Failure> {
    // An unusable server key is refused before anything is dialled.
    client.check_server_key(&address.key)?;
    let endpoint = address.endpoint();
    let connection = open(
        &endpoint,
        Some(address),
        &dialer.websocket,
        dialer.allow_local,
        progress,
    )
    .await?;
    progress.set(Step::Handshake);
    let client = match &address.seed {
        Some(seed) => Cow::Owned(client.clone().with_seed_identity(seed)),
        None => Cow::Borrowed(client),
    };
    let handshake = client.connect(connection, &address.key);
    let at = endpoint.socket_address();
    Ok(handshake.at(endpoint.transport.name(), &at).await?)
}

/// Whether `endpoint` is on this machine: a Unix socket, or a loopback address.
fn on_this_machine(endpoint: &Endpoint) -> bool {
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
