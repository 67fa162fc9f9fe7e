//! Why a dial failed: every attempt, and what ended each.

use std::time::Duration;
use std::{fmt, io};

use crate::error::{debug_as_display, HandshakeError, Phase};
use crate::multiserver::AddressError;

/// What an attempt was doing when its time ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Step {
    /// Resolving the host name and opening the TCP connection or Unix socket.
    Connect,
    /// The TLS handshake (`wss`).
    Tls,
    /// The WebSocket opening handshake.
    Upgrade,
    /// The secret handshake.
    Handshake,
}

impl Step {
    pub(crate) fn from_u8(n: u8) -> Step {
        match n {
            0 => Step::Connect,
            1 => Step::Tls,
            2 => Step::Upgrade,
            _ => Step::Handshake,
        }
    }
}

/// Why one step of opening a connection failed: for each address a dial tries (the
/// [`Attempt`]s of a [`DialError`]), and for each WebSocket accepted (re-exported as
/// `websocket::Error`, feature `websocket`).
///
/// Its message says the cause; `source()` carries on from the cause's own source. `Debug`
/// prints what `Display` does.
#[non_exhaustive]
pub enum Failure {
    /// The entry is not an address this call can dial: malformed, a transport or transform
    /// this crate does not support, or `noauth` where secret-handshake was asked for.
    Address(AddressError),
    /// The address text is longer than [`MAX_ADDRESS_TEXT`](super::MAX_ADDRESS_TEXT): nothing
    /// was parsed or dialled.
    TooLong {
        /// Its length in bytes.
        bytes: usize,
    },
    /// A transport this build cannot dial, or a URL that is not a WebSocket one (says what it
    /// needs).
    Unsupported(&'static str),
    /// `noauth` to a host that is not this machine: refused, since nothing would protect the
    /// stream.
    NotLocal,
    /// A target on this machine or its link (a `unix:` socket, a loopback, unspecified or
    /// link-local address, or a name that resolves only to those), refused by
    /// [`Dialer::allow_local`](super::Dialer::allow_local)`(false)`: nothing was sent.
    Local,
    /// The host name did not resolve.
    Resolve(io::Error),
    /// The connection could not be opened (refused, unreachable, no such socket, …).
    Connect(io::Error),
    /// The TLS handshake failed (`wss`): the cause is rustls' error (a certificate that does not
    /// verify, say).
    Tls(io::Error),
    /// The WebSocket opening handshake (the HTTP upgrade) failed.
    Upgrade(io::Error),
    /// The attempt did not finish within the attempt timeout.
    TimedOut {
        /// What it was doing.
        step: Step,
        /// The timeout.
        after: Duration,
    },
    /// The whole dial's time ran out during this attempt.
    TotalTimeout {
        /// What it was doing.
        step: Step,
    },
    /// The secret handshake failed (it names the phase).
    Handshake(HandshakeError),
    /// Serving: the WebSocket upgrade and the secret handshake together took longer than this
    /// (the listener's handshake deadline, feature `websocket`).
    Deadline(Duration),
}

impl Failure {
    /// Whether this failure is the peer's answer, so the dial stops instead of trying the next
    /// address: a secret handshake that failed once the server's hello (message 2) had proven
    /// it a secret-handshake peer on our network, that is in phase 3 or 4 (a wrong server key,
    /// or the server turned us away). Everything earlier, refusals, silence, a reset, a peer on
    /// another network or not speaking secret-handshake at all, is treated as a wrong number
    /// and the next address is tried.
    pub fn is_answer(&self) -> bool {
        match self {
            Failure::Handshake(HandshakeError::InvalidServerKey) => false,
            Failure::Handshake(e) => e
                .phase()
                .is_none_or(|p| p.number() >= Phase::ClientAuth.number()),
            _ => false,
        }
    }

    /// The secret-handshake phase that failed, if it got that far.
    pub fn phase(&self) -> Option<Phase> {
        match self {
            Failure::Handshake(e) => e.phase(),
            _ => None,
        }
    }

    /// The failure as an `io::ErrorKind`: what `io::Error::from` gives.
    pub fn kind(&self) -> io::ErrorKind {
        match self {
            Failure::Address(_) | Failure::TooLong { .. } => io::ErrorKind::InvalidInput,
            Failure::Unsupported(_) => io::ErrorKind::Unsupported,
            Failure::NotLocal | Failure::Local => io::ErrorKind::PermissionDenied,
            Failure::Resolve(e) | Failure::Connect(e) | Failure::Tls(e) | Failure::Upgrade(e) => {
                e.kind()
            }
            Failure::TimedOut { .. } | Failure::TotalTimeout { .. } | Failure::Deadline(_) => {
                io::ErrorKind::TimedOut
            }
            Failure::Handshake(e) => e.io_kind(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Address(e) => e.fmt(f),
            Failure::TooLong { bytes } => write!(
                f,
                "address text of {bytes} bytes refused: at most {} bytes are read",
                super::bounds::MAX_ADDRESS_TEXT
            ),
            Failure::Unsupported(what) => f.write_str(what),
            Failure::NotLocal => f.write_str(
                "noauth is only dialled on this machine (a unix socket or a loopback address): \
                 the stream would be unauthenticated and unencrypted",
            ),
            Failure::Local => f.write_str(
                "refused: a target on this machine or its link (unix socket, loopback, \
                 unspecified or link-local address), and local targets are not allowed",
            ),
            Failure::Resolve(e) => write!(f, "cannot resolve the host name: {e}"),
            Failure::Connect(e) => e.fmt(f),
            Failure::Tls(e) => write!(f, "TLS handshake failed: {e}"),
            Failure::Upgrade(e) => write!(f, "WebSocket upgrade failed: {e}"),
            Failure::TimedOut { step, after } => {
                let what = match step {
                    Step::Connect => "no connection",
                    Step::Tls => "TLS handshake failed: no answer",
                    Step::Upgrade => "WebSocket upgrade failed: no answer",
                    Step::Handshake => "handshake not finished",
                };
                write!(f, "{what} within {after:?} (the attempt timeout)")
            }
            Failure::TotalTimeout { .. } => f.write_str("stopped by the dial's total timeout"),
            Failure::Handshake(e) => e.fmt(f),
            Failure::Deadline(d) => write!(
                f,
                "the WebSocket upgrade and secret handshake took longer than {} s in all",
                d.as_secs_f64()
            ),
        }
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_as_display(self, f)
    }
}

/// The cause is part of the message, so `source()` carries on from the cause's own source.
impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Failure::Resolve(e) | Failure::Connect(e) | Failure::Tls(e) | Failure::Upgrade(e) => {
                e.source()
            }
            Failure::Handshake(e) => e.source(),
            Failure::Address(e) => e.source(),
            _ => None,
        }
    }
}

impl From<HandshakeError> for Failure {
    fn from(e: HandshakeError) -> Self {
        Failure::Handshake(e)
    }
}

/// Its [`kind`](Failure::kind); a handshake error stays the inner error, as
/// `io::Error::from(HandshakeError)` makes it.
impl From<Failure> for io::Error {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Handshake(e) => e.into(),
            other => io::Error::new(other.kind(), other),
        }
    }
}

/// One address tried, and why it failed.
#[derive(Debug)]
pub struct Attempt {
    pub(crate) address: String,
    pub(crate) socket_address: Option<String>,
    pub(crate) failure: Failure,
}

impl Attempt {
    /// The address as given, with an invite seed redacted; for an entry that did not parse,
    /// `entry N` (counting from 1), since its text may hold a seed.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// `HOST:PORT` or the socket path dialled, if the entry parsed.
    pub fn socket_address(&self) -> Option<&str> {
        self.socket_address.as_deref()
    }

    /// What went wrong.
    pub fn failure(&self) -> &Failure {
        &self.failure
    }
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.address, self.failure)
    }
}

/// Why [`connect`](super::connect) found no connection: every address tried, in order, with
/// what ended each. The dial stopped early if one attempt was the peer's answer
/// ([`Failure::is_answer`]) or the total timeout ran out. Its size is bounded: at most
/// [`MAX_LIST_ENTRIES`](super::MAX_LIST_ENTRIES) attempts, from at most
/// [`MAX_ADDRESS_TEXT`](super::MAX_ADDRESS_TEXT) bytes of text.
///
/// `Debug` prints what `Display` does, so `?` from `main` reads well.
pub struct DialError {
    pub(crate) attempts: Vec<Attempt>,
    /// The total timeout, if it ended the dial.
    pub(crate) total_timeout: Option<Duration>,
    /// Entries of the list past [`MAX_LIST_ENTRIES`](super::MAX_LIST_ENTRIES), never tried.
    pub(crate) skipped: usize,
}

impl DialError {
    /// Every address tried, in order.
    pub fn attempts(&self) -> &[Attempt] {
        &self.attempts
    }

    /// The handshake error that stopped the dial, if a peer answered.
    pub fn answer(&self) -> Option<&HandshakeError> {
        match self.attempts.last().map(Attempt::failure) {
            Some(Failure::Handshake(e))
                if self.attempts.last().is_some_and(|a| a.failure.is_answer()) =>
            {
                Some(e)
            }
            _ => None,
        }
    }

    /// Whether the total timeout ended the dial.
    pub fn is_total_timeout(&self) -> bool {
        self.total_timeout.is_some()
    }

    /// How many entries of the list were left untried because only the first
    /// [`MAX_LIST_ENTRIES`](super::MAX_LIST_ENTRIES) are dialled.
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// Takes the attempts out.
    pub fn into_attempts(self) -> Vec<Attempt> {
        self.attempts
    }
}

impl fmt::Display for DialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.attempts.as_slice(), self.total_timeout) {
            ([], Some(total)) => write!(f, "no address tried within the total timeout {total:?}")?,
            ([], None) => f.write_str("no address to dial")?,
            ([one], None) if self.skipped == 0 => one.fmt(f)?,
            (all, total) => {
                f.write_str("could not connect")?;
                if let Some(total) = total {
                    write!(f, " within the total timeout {total:?}")?;
                }
                let plural = if all.len() == 1 { "" } else { "es" };
                write!(f, " ({} address{plural} tried)", all.len())?;
                for (i, attempt) in all.iter().enumerate() {
                    write!(f, "; {}. {attempt}", i + 1)?;
                }
            }
        }
        if self.skipped > 0 {
            write!(
                f,
                "; {} more entries not tried (at most {} are dialled from one list)",
                self.skipped,
                super::bounds::MAX_LIST_ENTRIES
            )?;
        }
        Ok(())
    }
}

impl fmt::Debug for DialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_as_display(self, f)
    }
}

/// Every attempt's failure is part of the message; `source()` carries on from the last one's
/// source.
impl std::error::Error for DialError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.attempts.last()?.failure)
    }
}

impl From<DialError> for io::Error {
    fn from(error: DialError) -> Self {
        let kind = match (&error.total_timeout, error.attempts.last()) {
            (Some(_), _) => io::ErrorKind::TimedOut,
            (None, Some(last)) => last.failure.kind(),
            (None, None) => io::ErrorKind::InvalidInput,
        };
        io::Error::new(kind, error)
    }
}
