//! [`BoxReader`]: the reading half of a split box-stream.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project::pin_project;
use tokio::io::{AsyncRead, ReadBuf};

use super::read::ReadState;
use crate::keys::PublicKey;

/// The reading half of a [`BoxStream`](crate::BoxStream), from
/// [`into_split`](crate::BoxStream::into_split) or [`split_with`](crate::BoxStream::split_with).
///
/// Reads are cancel-safe: plaintext is only ever handed out once, and dropping a read future
/// loses nothing.
#[pin_project]
#[derive(Debug)]
pub struct BoxReader<R, A = ()> {
    #[pin]
    pub(crate) io: R,
    pub(crate) state: ReadState,
    pub(crate) peer: PublicKey,
    /// Shared with the other half, so that `A` need not be `Clone`.
    pub(crate) auth: std::sync::Arc<A>,
}

impl<R, A> BoxReader<R, A> {
    /// The peer's long-term public key.
    pub fn peer_key(&self) -> &PublicKey {
        &self.peer
    }

    /// Server side: the value this client was accepted with (JS `stream.auth`).
    pub fn auth(&self) -> &A {
        &self.auth
    }

    /// The transport half, giving up this half of the stream (its state is dropped; for
    /// [`BoxWriter`](crate::BoxWriter), frames not yet written too: flush first).
    pub fn into_inner(self) -> R {
        self.io
    }

    /// The transport half.
    pub fn get_ref(&self) -> &R {
        &self.io
    }

    /// The transport half, mutably. Reading from it directly corrupts the stream.
    pub fn get_mut(&mut self) -> &mut R
    where
        R: Unpin,
    {
        &mut self.io
    }

    /// Whether the peer's goodbye has arrived (reads now return 0 bytes).
    pub fn is_ended(&self) -> bool {
        self.state.is_ended()
    }
}

impl<R: AsyncRead, A> AsyncRead for BoxReader<R, A> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.project();
        this.state.poll_read(this.io, cx, buf)
    }
}
