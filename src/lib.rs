//! Scuttlebutt's **secret-handshake** (SHS1) and **box-stream**, byte-compatible with the
//! JavaScript reference (`secret-handshake` 1.1.21, `pull-box-stream` 1.0.13).
//!
//! A [`Client`] and a [`Server`] that share a [`NetworkKey`] authenticate each other's long-term
//! Ed25519 keys over any tokio `AsyncRead + AsyncWrite` (TCP, Unix sockets, in-memory pipes,
//! WebSocket adapters) and turn it into an encrypted [`BoxStream`]. The client must know the
//! server's key in advance; the server learns the client's and decides with an [`Authorize`]
//! whether to let it in.
//!
//! ```
//! use secret_handshake::{AllowAll, Client, Keypair, NetworkKey, Server};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let network = NetworkKey::ssb_main_net();
//! let server = Server::new(Keypair::generate(), network.clone(), AllowAll);
//! let client = Client::new(Keypair::generate(), network);
//!
//! let (client_io, server_io) = tokio::io::duplex(4096); // or a TcpStream
//! let (client_stream, server_stream) = tokio::join!(
//!     client.connect(client_io, server.identity()),
//!     server.accept(server_io),
//! );
//! let (mut alice, mut bob) = (client_stream?, server_stream?);
//! assert_eq!(bob.peer_key(), client.identity());
//!
//! alice.write_all(b"hello bob").await?;
//! alice.shutdown().await?; // flush, goodbye, half-close
//! let mut got = String::new();
//! bob.read_to_string(&mut got).await?; // ends cleanly at alice's goodbye
//! assert_eq!(got, "hello bob");
//! # Ok(()) }
//! ```
//!
//! # Layers
//! * [`handshake`] and [`boxstream`]: the protocol as sans-IO state machines (bytes in, bytes
//!   out, no runtime), used by everything else and usable on their own.
//! * [`Client`], [`Server`], [`BoxStream`]: the tokio adapter. [`BoxStream`] can be split into
//!   halves for two tasks ([`BoxStream::into_split`], [`BoxStream::split_with`]).
//! * [`boxstream::BoxStreamCodec`]: box-stream as a `tokio_util::codec` `Decoder`/`Encoder`.
//! * `websocket` (feature `websocket`): Scuttlebutt's `ws://HOST:PORT~shs:KEY` transport, with
//!   its own way to end a session (a WebSocket has no half-close).
//!
//! # FAQ
//! **Why must I flush?** Writes are sealed into frames and buffered like a `BufWriter`, so many
//! small writes share one transport write. Call `flush` before waiting for a reply;
//! `shutdown` flushes too.
//!
//! **What is the goodbye?** A box-stream ends with an authenticated empty frame. `shutdown`
//! sends it (then half-closes TCP); reads return `Ok(0)` once the peer's goodbye arrives. A
//! transport that ends without one is an `UnexpectedEof` error, so truncation is never mistaken
//! for a clean end. Dropping a stream without `shutdown` is such a truncation for the peer.
//!
//! **Timeouts?** A handshake fails after 5 s without progress on a read or write, as in the
//! reference ([`Client::with_handshake_timeout`], [`Server::with_handshake_timeout`]; `None`
//! disables it). No timeout applies afterwards; wrap reads in `tokio::time::timeout` if you need
//! one.
//!
//! **How do I use my Scuttlebutt identity?** [`Keypair::from_ssb_secret_file`] reads
//! `~/.ssb/secret`. Peers' ids print and parse as `@<base64>.ed25519` ([`PublicKey`]), and
//! `net:HOST:PORT~shs:KEY` and `ws://HOST:PORT~shs:KEY` addresses as [`MultiserverAddress`].
//!
//! **Why was I rejected without an error message?** As in the reference, a server never tells a
//! client why: it hangs up. The client's error then names the phase and the likely causes, e.g.
//! `handshake failed (phase 3): peer closed the connection: server rejected us or wrong server key`.
//!
//! **async-std or smol?** Wrap their streams with `tokio_util::compat` (`FuturesAsyncReadCompatExt`);
//! note that `poll_close` there maps to our `poll_shutdown`, which sends the goodbye.
//!
//! **Which transports?** Any `AsyncRead + AsyncWrite + Unpin`; no `'static` or `Send` bound
//! (pin a `!Unpin` transport with `Box::pin`). A failed handshake drops, and so closes, the
//! transport rather than handing it back: the peer has seen a broken handshake, and the
//! reference closes too.
//!
//! **Cancel safety.** Reads are cancel-safe. Handshake futures are not resumable: dropping one
//! drops (closes) the transport. `write_all` is not cancel-safe, as for any writer.
//!
//! # Security notes
//! MACs are checked in constant time, all-zero Diffie-Hellman results and long-term keys that do
//! not convert to Curve25519 are rejected, frames announcing 0 or more than 4096 body bytes are
//! refused, and a server never tells a rejected client why.
//!
//! Secrets are wiped from memory when dropped and never printed by `Debug`. Safe Rust cannot
//! read freed memory, so a test can only show the wiping routine itself (it zeroes, see the
//! crate's unit tests); here is where each secret lives:
//!
//! | secret | held in | wiped |
//! |---|---|---|
//! | long-term secret key | [`Keypair`] (a wiping 64-byte buffer) | when the keypair drops |
//! | network key | [`NetworkKey`] (wiping buffer; `Debug` names only the public main net) | on drop |
//! | ephemeral X25519 key | the handshake state machine | when the machine drops (after the handshake) |
//! | `ab`, `aB`, `Ab`, `sha256(ab)`, key3, key4, the signed identity `H` | the machine's per-phase state | when the handshake moves past the phase that needs them, or drops |
//! | session keys | [`handshake::SessionKeys`] (not `Clone`) | moved into the sealer and opener, which keep them in libsodium's self-wiping key type |
//! | transient copies made for libsodium calls | sodiumoxide's secret newtypes (`Scalar`, `secretbox::Key`, `auth::Key`, `sign::SecretKey`) | on drop (`sodium_memzero`) |
//!
//! Not covered: copies the compiler leaves on the stack when values move, and plaintext, which
//! belongs to the application once read.
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

pub mod boxstream;
mod crypto;
mod encoding;
mod error;
pub mod handshake;
mod io;
mod keys;
mod multiserver;
mod secret;
mod secret_file;
#[cfg(feature = "websocket")]
pub mod websocket;

pub use error::{BoxStreamError, HandshakeError, KeyError, Phase};
pub use io::{
    Accept, AllowAll, AllowList, Authorize, BoxError, BoxReader, BoxStream, BoxWriter, Client,
    Connect, DynBoxStream, ReuniteError, Server, Transport, DEFAULT_HANDSHAKE_TIMEOUT,
    DEFAULT_WRITE_BUFFER,
};
pub use keys::{Keypair, NetworkKey, PublicKey};
pub use multiserver::{MultiserverAddress, TransportKind};
