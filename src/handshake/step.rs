//! What a handshake needs next, and the operations a driver calls: the one interface of both
//! sides.

use super::session::Session;
use crate::error::{HandshakeError, Phase};
use crate::keys::PublicKey;

/// What a handshake state machine needs next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Next<'a> {
    /// Write these bytes to the peer, then call `sent()`.
    Send(&'a [u8]),
    /// Read exactly this many bytes from the peer, then pass them to `received()`.
    Receive(usize),
    /// Server only: message 3 verified; decide whether this client may connect, then call
    /// [`ServerHandshake::accept`](super::ServerHandshake::accept) or
    /// [`ServerHandshake::reject`](super::ServerHandshake::reject).
    Authorize(&'a PublicKey),
    /// The handshake succeeded; call `finish()`.
    Done,
    /// The handshake failed earlier; nothing more can happen.
    Failed,
}

/// The operations a generic driver needs from either side of the handshake.
pub trait Handshake {
    /// What to do next.
    fn next(&self) -> Next<'_>;
    /// The phase the handshake is in (for error reports).
    fn phase(&self) -> Phase;
    /// The bytes from [`Next::Send`] have been written.
    fn sent(&mut self) -> Result<(), HandshakeError>;
    /// Exactly the [`Next::Receive`] number of bytes arrived; verify them and advance.
    fn received(&mut self, msg: &[u8]) -> Result<(), HandshakeError>;
    /// The established session, once [`Next::Done`].
    fn finish(self) -> Result<Session, HandshakeError>;
}

/// Copies a received message into a fixed-size array, rejecting any other length.
pub(super) fn exact<const N: usize>(
    msg: &[u8],
    what: &'static str,
) -> Result<[u8; N], HandshakeError> {
    <[u8; N]>::try_from(msg).map_err(|_| HandshakeError::Misuse(what))
}
