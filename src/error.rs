//! Error types. Handshake failures name the phase (the message number) in which they happened.

use std::{fmt, io};

/// A step of the handshake, numbered as the message exchanged in it (and as in the JS errors).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// Message 1, client → server: the client's hello (network key HMAC + ephemeral key).
    ClientHello = 1,
    /// Message 2, server → client: the server's hello.
    ServerHello = 2,
    /// Message 3, client → server: the client's authentication (its identity and signature).
    ClientAuth = 3,
    /// Message 4, server → client: the server's acceptance.
    ServerAccept = 4,
}

impl Phase {
    /// The phase number, 1 to 4.
    pub fn number(self) -> u8 {
        self as u8
    }

    /// The message a peer turned down if it hangs up while we await this one: servers reject
    /// silently, by closing the connection. A driver reports such an EOF as
    /// [`HandshakeError::PeerClosed`]`(awaited.rejected())`.
    pub fn rejected(self) -> Phase {
        match self {
            Phase::ClientHello | Phase::ServerHello => Phase::ClientHello,
            Phase::ClientAuth => Phase::ServerHello,
            Phase::ServerAccept => Phase::ClientAuth,
        }
    }
}

impl Phase {
    /// The message's name, as in `Debug` but in words: "client hello", "server hello",
    /// "client auth", "server accept".
    pub fn name(self) -> &'static str {
        match self {
            Phase::ClientHello => "client hello",
            Phase::ServerHello => "server hello",
            Phase::ClientAuth => "client auth",
            Phase::ServerAccept => "server accept",
        }
    }
}

/// `phase 3`, numbered as the JS reference's errors are (so our messages and theirs can be
/// compared); the alternate form `{:#}` adds the name: `phase 3, client auth`.
impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "phase {}", self.number())?;
        if f.alternate() {
            write!(f, ", {}", self.name())?;
        }
        Ok(())
    }
}

/// Why a handshake failed.
///
/// Authentication failures are deliberately coarse: a peer learns nothing from them, and the
/// likely causes are listed in each message.
#[derive(Debug)]
#[non_exhaustive]
pub enum HandshakeError {
    /// A hello (message 1 or 2) failed its HMAC: the peer uses another network key, or does not
    /// speak secret-handshake.
    InvalidHello(Phase),
    /// The server's hello (message 2) failed its HMAC and began with `HTTP/`: the server
    /// answered in HTTP, so it is probably a WebSocket (`ws://`) endpoint dialled as `net:`.
    HttpReply,
    /// A hello carried an ephemeral key of low order (the shared secret would be all zeros).
    WeakKey(Phase),
    /// The server key we were asked to dial is not a usable Ed25519 key (phase 2).
    InvalidServerKey,
    /// The client's authentication (message 3) did not decrypt or verify: it dialled the wrong
    /// server key, or the message was corrupted.
    InvalidClientAuth,
    /// The server's acceptance (message 4) did not decrypt or verify.
    InvalidServerAccept,
    /// Server side: the authorizer rejected the client (phase 3).
    Unauthorized,
    /// Server side: the authorizer itself failed, which rejects the client (phase 3).
    Authorizer(Box<dyn std::error::Error + Send + Sync>),
    /// The peer closed the connection mid-handshake, which is how a peer rejects us: the phase
    /// is that of the last message it received (phase 3 on a client: the server rejected us, or
    /// we dialled the wrong server key).
    PeerClosed(Phase),
    /// No byte arrived within the handshake timeout.
    Timeout(Phase),
    /// The transport failed.
    Io(Phase, io::Error),
    /// A handshake state machine was driven out of order (a bug in the caller, not the peer).
    Misuse(&'static str),
}

impl HandshakeError {
    /// The phase in which the handshake failed, if it is tied to one.
    pub fn phase(&self) -> Option<Phase> {
        use HandshakeError::*;
        match self {
            InvalidHello(p) | WeakKey(p) | PeerClosed(p) | Timeout(p) | Io(p, _) => Some(*p),
            InvalidServerKey | HttpReply => Some(Phase::ServerHello),
            InvalidClientAuth | Unauthorized | Authorizer(_) => Some(Phase::ClientAuth),
            InvalidServerAccept => Some(Phase::ServerAccept),
            Misuse(_) => None,
        }
    }
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use HandshakeError::*;
        match self {
            InvalidHello(p) => write!(
                f,
                "handshake failed ({p}): peer's hello is invalid: wrong network key, or not a secret-handshake peer"
            ),
            HttpReply => write!(
                f,
                "handshake failed (phase 2): peer's hello is invalid: the peer answered in HTTP: is it a WebSocket (ws://) endpoint?"
            ),
            WeakKey(p) => write!(f, "handshake failed ({p}): peer sent a low-order ephemeral key"),
            InvalidServerKey => write!(
                f,
                "handshake failed (phase 2): the server key is not a valid Ed25519 public key"
            ),
            InvalidClientAuth => write!(
                f,
                "handshake failed (phase 3): client authentication invalid: the client dialled another server key, or the message was corrupted"
            ),
            InvalidServerAccept => write!(
                f,
                "handshake failed (phase 4): server acceptance invalid: wrong server key, or the message was corrupted"
            ),
            Unauthorized => write!(f, "handshake failed (phase 3): client is not authorized"),
            Authorizer(e) => write!(f, "handshake failed (phase 3): authorizer failed: {e}"),
            PeerClosed(p) => write!(f, "handshake failed ({p}): peer closed the connection{}", closed_hint(*p)),
            Timeout(p) => write!(f, "handshake failed ({p}): timed out waiting for the peer"),
            Io(p, e) => write!(f, "handshake failed ({p}): {e}"),
            Misuse(what) => write!(f, "handshake driven out of order: {what}"),
        }
    }
}

/// What an EOF in each phase most likely means, given that servers reject silently.
fn closed_hint(phase: Phase) -> &'static str {
    match phase {
        Phase::ClientHello => ": wrong network key, or not a secret-handshake peer",
        Phase::ServerHello => ": the client turned down our hello (another network key?)",
        Phase::ClientAuth => ": server rejected us or wrong server key",
        Phase::ServerAccept => "",
    }
}

impl std::error::Error for HandshakeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HandshakeError::Io(_, e) => Some(e),
            HandshakeError::Authorizer(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}

impl From<HandshakeError> for io::Error {
    fn from(error: HandshakeError) -> Self {
        use HandshakeError::*;
        let kind = match &error {
            Io(_, e) => e.kind(),
            PeerClosed(_) => io::ErrorKind::UnexpectedEof,
            Timeout(_) => io::ErrorKind::TimedOut,
            Unauthorized | Authorizer(_) => io::ErrorKind::PermissionDenied,
            Misuse(_) => io::ErrorKind::Other,
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, error)
    }
}

/// Why a box-stream could not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BoxStreamError {
    /// A frame header failed authentication (tampering, or another key or nonce).
    InvalidHeader,
    /// A frame body failed authentication.
    InvalidBody,
    /// A header announced a body of 0 or more than 4096 bytes.
    InvalidBodyLength(u16),
    /// The stream ended without a goodbye, `bytes` into an unfinished frame (0 at a frame boundary).
    Truncated {
        /// Bytes of the unfinished frame that did arrive.
        bytes: usize,
    },
    /// An earlier frame failed; the stream cannot continue.
    Failed,
}

impl fmt::Display for BoxStreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BoxStreamError::InvalidHeader => f.write_str("box-stream: invalid frame header"),
            BoxStreamError::InvalidBody => f.write_str("box-stream: invalid frame body"),
            BoxStreamError::InvalidBodyLength(n) => {
                write!(f, "box-stream: frame body length {n} outside 1..=4096")
            }
            BoxStreamError::Truncated { bytes: 0 } => {
                f.write_str("box-stream: peer closed without a goodbye")
            }
            BoxStreamError::Truncated { bytes } => write!(
                f,
                "box-stream: peer closed without a goodbye, {bytes} bytes into a frame"
            ),
            BoxStreamError::Failed => f.write_str("box-stream: stream already failed"),
        }
    }
}

impl std::error::Error for BoxStreamError {}

impl From<BoxStreamError> for io::Error {
    fn from(error: BoxStreamError) -> Self {
        let kind = match error {
            BoxStreamError::Truncated { .. } => io::ErrorKind::UnexpectedEof,
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, error)
    }
}

/// A key, id or secret file that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    what: &'static str,
    input: String,
}

impl KeyError {
    pub(crate) fn new(what: &'static str, input: &str) -> Self {
        let mut input: String = input.chars().take(80).collect();
        if input.len() == 80 {
            input.push('…');
        }
        KeyError { what, input }
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {:?}", self.what, self.input)
    }
}

impl std::error::Error for KeyError {}
