//! [`BoxWriter`]: the writing half of a split box-stream.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project::pin_project;
use tokio::io::AsyncWrite;

use super::write::WriteState;
use crate::keys::PublicKey;

/// The writing half of a [`BoxStream`](crate::BoxStream).
///
/// Writes are buffered: call `flush` before waiting for a reply, and `shutdown` to send the
/// goodbye. Dropping the writer without `shutdown` sends nothing more: the peer sees the end
/// of the stream only when the transport's writing side closes, and then as a truncation
/// (`UnexpectedEof`), not a goodbye. When that happens depends on the split: a
/// `TcpStream::into_split` write half shuts down TCP's writing side when dropped, while the
/// halves of [`BoxStream::into_split`](crate::BoxStream::into_split) keep the transport open
/// until the reader half is dropped as well. For the whole clean end, put the halves back
/// together ([`BoxReader::reunite`](crate::BoxReader::reunite)) and call
/// [`BoxStream::close`](crate::BoxStream::close).
#[pin_project]
#[derive(Debug)]
pub struct BoxWriter<W, A = ()> {
    #[pin]
    pub(crate) io: W,
    pub(crate) state: WriteState,
    pub(crate) peer: PublicKey,
    /// Shared with the other half, so that `A` need not be `Clone`.
    pub(crate) auth: std::sync::Arc<A>,
}

impl<W, A> BoxWriter<W, A> {
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
    pub fn into_inner(self) -> W {
        self.io
    }

    /// The transport half.
    pub fn get_ref(&self) -> &W {
        &self.io
    }

    /// The transport half, mutably. Writing to it directly corrupts the stream.
    pub fn get_mut(&mut self) -> &mut W
    where
        W: Unpin,
    {
        &mut self.io
    }

    /// Sets how many sealed bytes may be buffered before writes wait for the transport
    /// (default [`DEFAULT_WRITE_BUFFER`](crate::DEFAULT_WRITE_BUFFER)). Any value is accepted;
    /// the buffer only grows as far as a burst needs.
    pub fn set_write_buffer_limit(&mut self, bytes: usize) {
        self.state.set_limit(bytes);
    }
}

impl<W: AsyncWrite, A> AsyncWrite for BoxWriter<W, A> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.project();
        this.state.poll_write(this.io, cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.project();
        this.state.poll_flush(this.io, cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.project();
        this.state.poll_shutdown(this.io, cx)
    }
}
