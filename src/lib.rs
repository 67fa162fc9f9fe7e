//! Scuttlebutt's secret-handshake (SHS1) and box-stream.
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

pub use error::{BoxStreamError, HandshakeError, KeyError, Phase};
pub use io::{
    Accept, AllowAll, AllowList, Authorize, BoxError, BoxReader, BoxStream, BoxWriter, Client,
    Connect, DynBoxStream, Server, Transport, DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_WRITE_BUFFER,
};
pub use keys::{Keypair, NetworkKey, PublicKey};
pub use multiserver::MultiserverAddress;
