//! Scuttlebutt's secret-handshake (SHS1) and box-stream.
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

pub mod boxstream;
mod crypto;
mod encoding;
mod error;
pub mod handshake;
mod keys;
mod secret;

pub use error::{BoxStreamError, HandshakeError, KeyError, Phase};
pub use keys::{Keypair, NetworkKey, PublicKey};
