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
/// likely causes are listed in each message. `Debug` prints what `Display` does (so `?` from
/// `main` reads well); match on the variants to tell them apart.
#[non_exhaustive]
pub enum HandshakeError {
    /// A hello (message 1 or 2) failed its HMAC: the peer uses another network key, or does not
    /// speak secret-handshake.
    InvalidHello(Phase),
    /// The server's hello (message 2) failed its HMAC and began with `HTTP/`: the server
    /// answered in HTTP, so it is probably a WebSocket (`ws://`) endpoint dialled as `net:`.
    HttpReply,
    /// The client's hello (message 1) failed its HMAC and began with `GET `: the client sent
    /// an HTTP request, so it is probably a WebSocket (`ws://`) client at a `net:` port.
    HttpRequest,
    /// A hello carried an ephemeral key of low order (the shared secret would be all zeros).
    WeakKey(Phase),
    /// The server key we were asked to dial is not a usable Ed25519 key: not a curve point, of
    /// small order, or outside the prime-order subgroup. Tied to no phase:
    /// [`Client::connect`](crate::Client::connect) refuses it before sending anything.
    InvalidServerKey,
    /// The client's authentication (message 3) did not decrypt or verify: it dialled the wrong
    /// server key, or the message was corrupted.
    InvalidClientAuth,
    /// The client's long-term key in message 3 is not a usable Ed25519 key: of small order, or
    /// outside the prime-order subgroup (a torsion component, which would let one secret act as
    /// several ids). Refused before the authorizer sees it (phase 3).
    InvalidClientKey,
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
    /// The peer made no progress (no byte read or written) within the handshake timeout.
    Timeout(Phase),
    /// The handshake as a whole took longer than its deadline (a peer trickling bytes).
    DeadlineExceeded(Phase),
    /// Server side: the authorizer did not decide within its timeout, which rejects the client
    /// (phase 3). The peer is not to blame: look at what the authorizer waits for.
    AuthorizerTimeout,
    /// A deadline is set but the Tokio runtime has no time driver to keep it: build the runtime
    /// with `enable_time` (or `enable_all`), or set no deadline
    /// ([`Limits::untimed`](crate::Limits::untimed)). Nothing was sent or read. Outside any Tokio
    /// runtime (another executor) this is the error too.
    NoTimeDriver,
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
            InvalidHello(p)
            | WeakKey(p)
            | PeerClosed(p)
            | Timeout(p)
            | DeadlineExceeded(p)
            | Io(p, _) => Some(*p),
            HttpReply => Some(Phase::ServerHello),
            HttpRequest => Some(Phase::ClientHello),
            InvalidClientAuth | InvalidClientKey | Unauthorized | Authorizer(_)
            | AuthorizerTimeout => Some(Phase::ClientAuth),
            InvalidServerAccept => Some(Phase::ServerAccept),
            InvalidServerKey | Misuse(_) | NoTimeDriver => None,
        }
    }

    /// The `io::ErrorKind` that `io::Error::from` gives this error: the one mapping, used by
    /// every error that wraps a handshake error.
    pub(crate) fn io_kind(&self) -> io::ErrorKind {
        use HandshakeError::*;
        match self {
            Io(_, e) => e.kind(),
            PeerClosed(_) => io::ErrorKind::UnexpectedEof,
            Timeout(_) | DeadlineExceeded(_) | AuthorizerTimeout => io::ErrorKind::TimedOut,
            Unauthorized | Authorizer(_) => io::ErrorKind::PermissionDenied,
            InvalidServerKey => io::ErrorKind::InvalidInput,
            Misuse(_) | NoTimeDriver => io::ErrorKind::Other,
            _ => io::ErrorKind::InvalidData,
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
            HttpRequest => write!(
                f,
                "handshake failed (phase 1): peer's hello is invalid: the client sent an HTTP request: is it dialling ws://…? (this port speaks secret-handshake, as net:)"
            ),
            WeakKey(p) => write!(f, "handshake failed ({p}): peer sent a low-order ephemeral key"),
            InvalidServerKey => write!(
                f,
                "cannot dial: the server key is not a valid Ed25519 public key (not a curve point, of small order, or outside the prime-order subgroup)"
            ),
            InvalidClientAuth => write!(
                f,
                "handshake failed (phase 3): client authentication invalid: the client dialled another server key, or the message was corrupted"
            ),
            InvalidClientKey => write!(
                f,
                "handshake failed (phase 3): the client's key is not a valid Ed25519 public key (of small order, or outside the prime-order subgroup)"
            ),
            InvalidServerAccept => write!(
                f,
                "handshake failed (phase 4): server acceptance invalid: wrong server key, or the message was corrupted"
            ),
            Unauthorized => write!(f, "handshake failed (phase 3): client is not authorized"),
            Authorizer(e) => write!(f, "handshake failed (phase 3): authorizer failed: {e}"),
            PeerClosed(p) => write!(f, "handshake failed ({p}): peer closed the connection{}", closed_hint(*p)),
            Timeout(p) => write!(f, "handshake failed ({p}): timed out waiting for the peer"),
            DeadlineExceeded(p) => write!(
                f,
                "handshake failed ({p}): the peer did not finish the handshake within the deadline"
            ),
            AuthorizerTimeout => write!(
                f,
                "handshake failed (phase 3): the authorizer did not decide in time (the client was not to blame)"
            ),
            Io(p, e) => write!(f, "handshake failed ({p}): {e}"),
            Misuse(what) => write!(f, "handshake driven out of order: {what}"),
            NoTimeDriver => write!(
                f,
                "handshake not started: deadline set but the Tokio runtime has no time driver (enable_time), or set no deadline"
            ),
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

/// The transport's or the authorizer's error is part of the message, so `source()` carries on
/// from its own source (never repeating it).
impl std::error::Error for HandshakeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HandshakeError::Io(_, e) => e.source(),
            HandshakeError::Authorizer(e) => e.source(),
            _ => None,
        }
    }
}

impl fmt::Debug for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_as_display(self, f)
    }
}

/// `Debug` that says what `Display` says, then each further cause, as `io::Error` does: what
/// `main` prints when it returns the error.
pub(crate) fn debug_as_display(
    error: &(dyn std::error::Error + 'static),
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    write!(f, "{error}")?;
    let mut source = error.source();
    while let Some(cause) = source {
        write!(f, "\n  caused by: {cause}")?;
        source = cause.source();
    }
    Ok(())
}

impl From<HandshakeError> for io::Error {
    fn from(error: HandshakeError) -> Self {
        io::Error::new(error.io_kind(), error)
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
    /// A header announced a body of more than 4096 bytes. (A length-0 frame is one with no
    /// data: it is skipped.)
    InvalidBodyLength(u16),
    /// The stream ended without a goodbye, `bytes` into an unfinished frame (0 at a frame
    /// boundary).
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
                write!(f, "box-stream: frame body length {n} over 4096")
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

/// A key, id, address or secret file that could not be parsed.
///
/// It never holds a secret, so neither its `Display` nor its `Debug` can show one. Only inputs
/// that are public by nature (a public key or feed id) are quoted, and only when they could be
/// one: at most 64 characters (64 hex digits is the longest form) with no `:`, `~` or
/// whitespace, so that a secret key or an `shs:KEY:SEED` pair pasted in their place is not.
/// Everything else (seeds, secret keys, network keys, secret files, multiserver addresses,
/// which may carry an invite seed) is described by its length or by what is wrong with it,
/// never quoted, not even in part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    what: &'static str,
    detail: KeyErrorDetail,
}

/// What a [`KeyError`] says about its input.
#[derive(Debug, Clone, PartialEq, Eq)]
enum KeyErrorDetail {
    /// A public input, quoted.
    Public(String),
    /// A secret, or possibly secret, input: only its length in characters.
    Redacted { chars: usize },
    /// Why it is invalid, without any of the input; where, if a line and column are known.
    Reason {
        reason: &'static str,
        at: Option<(usize, usize)>,
    },
}

impl KeyError {
    /// The longest input [`public`](Self::public) quotes: 64 hex digits.
    const MAX_QUOTED: usize = 64;

    /// An invalid `what` whose `input` may be secret: only its length is kept.
    pub(crate) fn new(what: &'static str, input: &str) -> Self {
        KeyError {
            what,
            detail: KeyErrorDetail::Redacted {
                chars: input.chars().count(),
            },
        }
    }

    /// An invalid `what` whose `input` is public by nature (a public key or id): quoted if it
    /// looks like a mistyped one, redacted (as [`new`](Self::new)) otherwise.
    pub(crate) fn public(what: &'static str, input: &str) -> Self {
        let quotable = input.chars().count() <= Self::MAX_QUOTED
            && !input.contains(|c: char| c == ':' || c == '~' || c.is_whitespace());
        if !quotable {
            return Self::new(what, input);
        }
        KeyError {
            what,
            detail: KeyErrorDetail::Public(input.to_owned()),
        }
    }

    /// An invalid `what`, for the stated `reason` (which must not contain any of the input).
    pub(crate) fn reason(what: &'static str, reason: &'static str) -> Self {
        KeyError {
            what,
            detail: KeyErrorDetail::Reason { reason, at: None },
        }
    }

    /// Says where (1-based line and column) a [`reason`](Self::reason) error was found.
    #[cfg(feature = "ssb-secret-file")]
    pub(crate) fn at(mut self, line: usize, column: usize) -> Self {
        if let KeyErrorDetail::Reason { at, .. } = &mut self.detail {
            *at = Some((line, column));
        }
        self
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            KeyErrorDetail::Public(input) => write!(f, "invalid {}: {input:?}", self.what),
            KeyErrorDetail::Redacted { chars } => write!(
                f,
                "invalid {} ({chars} characters, not shown as it may be secret)",
                self.what
            ),
            KeyErrorDetail::Reason { reason, at: None } => {
                write!(f, "invalid {}: {reason}", self.what)
            }
            KeyErrorDetail::Reason {
                reason,
                at: Some((line, column)),
            } => write!(
                f,
                "invalid {}: {reason} (line {line}, column {column})",
                self.what
            ),
        }
    }
}

impl std::error::Error for KeyError {}

/// `InvalidData`: the text or file was read and found malformed, which is what std's parsers
/// (UTF-8, numbers) report too; `InvalidInput` is for a bad argument to an operation.
impl From<KeyError> for io::Error {
    fn from(error: KeyError) -> Self {
        io::Error::new(io::ErrorKind::InvalidData, error)
    }
}

/// Why a Scuttlebutt secret file could not be loaded. It names the file and says the cause (an
/// [`io::Error`] or a [`KeyError`], kept in the variant's `source` field).
#[cfg(feature = "ssb-secret-file")]
#[derive(Debug)]
#[non_exhaustive]
pub enum SecretFileError {
    /// No path was given and `HOME` is unset or empty, so there is no default
    /// `$HOME/.ssb/secret`.
    NoHome,
    /// The file could not be read (missing, unreadable, not UTF-8).
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The file could not be written: it exists already (`AlreadyExists`: it is never
    /// overwritten), or its directory is missing or not writable.
    Write {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The file was read but is not a valid secret file.
    Invalid {
        /// The file.
        path: std::path::PathBuf,
        /// Why (never showing the file's contents).
        source: KeyError,
    },
}

#[cfg(feature = "ssb-secret-file")]
impl fmt::Display for SecretFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretFileError::NoHome => f.write_str(
                "no default secret file: HOME is not set (or empty), so $HOME/.ssb/secret is unknown",
            ),
            SecretFileError::Read { path, source } => {
                write!(f, "reading secret file {}: {source}", path.display())
            }
            SecretFileError::Invalid { path, source } => {
                write!(f, "reading secret file {}: {source}", path.display())
            }
            SecretFileError::Write { path, source } => {
                write!(f, "writing secret file {}: {source}", path.display())
            }
        }
    }
}

#[cfg(feature = "ssb-secret-file")]
impl std::error::Error for SecretFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            // The cause is part of the message.
            SecretFileError::NoHome | SecretFileError::Invalid { .. } => None,
            SecretFileError::Read { source, .. } | SecretFileError::Write { source, .. } => {
                source.source()
            }
        }
    }
}

/// The read or write error's own kind (`NotFound`, `AlreadyExists`, …); `InvalidData` for a
/// malformed file; `NotFound` without `HOME`.
#[cfg(feature = "ssb-secret-file")]
impl From<SecretFileError> for io::Error {
    fn from(error: SecretFileError) -> Self {
        let kind = match &error {
            SecretFileError::NoHome => io::ErrorKind::NotFound,
            SecretFileError::Read { source, .. } | SecretFileError::Write { source, .. } => {
                source.kind()
            }
            SecretFileError::Invalid { .. } => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, error)
    }
}
