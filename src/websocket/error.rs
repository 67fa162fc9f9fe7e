//! Why a WebSocket connection could not be set up.

use std::time::Duration;
use std::{fmt, io};

use crate::error::{HandshakeError, Phase};

/// Why [`connect`](super::connect) or [`accept`](super::accept) failed, step by step.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The address cannot be dialled over WebSocket here (a `net:` address, a malformed URL,
    /// or `wss://` without the `wss` feature).
    Unsupported(&'static str),
    /// The TCP connection could not be opened (or not within the upgrade timeout).
    Connect(io::Error),
    /// The TLS handshake of a `wss://` connection failed: its source is rustls' error (a
    /// certificate that does not verify, say), or it timed out.
    Tls(io::Error),
    /// The WebSocket opening handshake (the HTTP upgrade) failed.
    Upgrade(io::Error),
    /// The secret handshake failed; it names the phase.
    Handshake(HandshakeError),
    /// The upgrade and the secret handshake together took longer than this (the server's
    /// handshake deadline, counted from the start of the upgrade).
    Deadline(Duration),
}

impl Error {
    /// The secret-handshake phase that failed, if it got that far.
    pub fn phase(&self) -> Option<Phase> {
        match self {
            Error::Handshake(e) => e.phase(),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Unsupported(what) => f.write_str(what),
            Error::Connect(e) => write!(f, "TCP connect failed: {e}"),
            Error::Tls(e) => write!(f, "TLS handshake failed: {e}"),
            Error::Upgrade(e) => write!(f, "WebSocket upgrade failed: {e}"),
            Error::Handshake(e) => e.fmt(f),
            Error::Deadline(d) => write!(
                f,
                "the WebSocket upgrade and secret handshake took longer than {} in all",
                super::seconds(*d)
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Unsupported(_) | Error::Deadline(_) => None,
            Error::Connect(e) | Error::Tls(e) | Error::Upgrade(e) => Some(e),
            // Displayed as the handshake error itself, so its source is the handshake's.
            Error::Handshake(e) => e.source(),
        }
    }
}

impl From<HandshakeError> for Error {
    fn from(e: HandshakeError) -> Self {
        Error::Handshake(e)
    }
}

impl From<Error> for io::Error {
    fn from(error: Error) -> Self {
        match error {
            Error::Handshake(e) => e.into(),
            Error::Unsupported(_) => io::Error::new(io::ErrorKind::Unsupported, error),
            Error::Deadline(_) => io::Error::new(io::ErrorKind::TimedOut, error),
            Error::Connect(ref e) | Error::Tls(ref e) | Error::Upgrade(ref e) => {
                io::Error::new(e.kind(), error)
            }
        }
    }
}
