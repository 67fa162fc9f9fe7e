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
//! The handshake keeps the client's own inactivity timeout too. The timers are Tokio's: on a
//! runtime without a time driver, a dial with any timeout fails at once with
//! [`HandshakeError::NoTimeDriver`](crate::HandshakeError::NoTimeDriver).
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
//! # Unix sockets and `noauth`
//! `unix:PATH~shs:KEY` is dialled like any other address, and served by
//! [`Listener::bind_unix`](crate::Listener::bind_unix).
//!
//! `noauth` addresses give a **plain, unauthenticated and unencrypted** stream: Scuttlebutt
//! servers offer `unix:PATH~noauth` to local tools, trusting the socket file's permissions.
//! [`connect`] never dials them; [`connect_noauth`] does, and only on this machine (a Unix
//! socket, or `net:` to a loopback address).

mod bounds;
mod connect;
mod deadline;
mod dialer;
mod error;
mod open;
mod run;

pub use bounds::{MAX_ADDRESS_TEXT, MAX_LIST_ENTRIES};
pub(crate) use dialer::WebSocketOptions;
pub use dialer::{Dialer, DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_TOTAL_TIMEOUT};
pub use error::{Attempt, DialError, Failure, Step};

use crate::io::{BoxStream, Client};
use crate::Connection;

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
