//! Why a WebSocket connection could not be set up.

use std::{fmt, io};

use crate::error::{HandshakeError, Phase};

/// Why [`connect`](super::connect) or [`accept`](super::accept) failed, step by step.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The address cannot be dialled over WebSocket here (a `net:` address, or `wss://`,
    /// which needs TLS).
    Unsupported(&'static str),
    /// The TCP connection could not be opened.
    Connect(io::Error),
    /// The WebSocket opening handshake (the HTTP upgrade) failed.
    Upgrade(io::Error),
    /// The secret handshake failed; it names the phase.
    Handshake(HandshakeError),
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
            Error::Upgrade(e) => write!(f, "WebSocket upgrade failed: {e}"),
            Error::Handshake(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Unsupported(_) => None,
            Error::Connect(e) | Error::Upgrade(e) => Some(e),
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
            Error::Connect(ref e) | Error::Upgrade(ref e) => io::Error::new(e.kind(), error),
        }
    }
}
