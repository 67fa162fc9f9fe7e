//! Handshake futures that give the transport back when they fail (`into_fallible`).

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite};

use super::client::Connect;
use super::server::Accept;
use super::stream::BoxStream;
use crate::error::HandshakeError;

/// Why a handshake future ended without a stream, with the transport when there is one.
pub(crate) struct Failed<IO> {
    pub(crate) error: HandshakeError,
    io: Option<Pin<Box<IO>>>,
}

impl<IO> Failed<IO> {
    pub(crate) fn with_io(error: HandshakeError, io: Pin<Box<IO>>) -> Self {
        Failed {
            error,
            io: Some(io),
        }
    }

    /// A future polled again after it completed: there is no transport left to give back.
    pub(crate) fn misuse(what: &'static str) -> Self {
        Failed {
            error: HandshakeError::Misuse(what),
            io: None,
        }
    }

    /// The error and the transport, for the fallible future `future`.
    ///
    /// # Panics
    /// If the future was polled after it completed: its output, `(error, transport)`, has no
    /// room for a transport that is gone (see [`FallibleConnect`]).
    pub(crate) fn into_parts(self, future: &'static str) -> (HandshakeError, IO)
    where
        IO: Unpin,
    {
        match self.io {
            Some(io) => (self.error, *Pin::into_inner(io)),
            None => {
                panic!("{future} polled after completion: the transport was already handed out")
            }
        }
    }
}

/// [`Connect`] that resolves to `Err((error, transport))` on failure, as in tokio-rustls.
///
/// The transport must be `Unpin` to be handed back by value. The peer has seen a broken
/// handshake, so the transport is only good for logging or closing it your way.
///
/// Polled again after it completed, it panics (naming itself), where [`Connect`] returns
/// `Err(HandshakeError::Misuse)`: the transport has been handed out, and an output of
/// `(error, Option<IO>)` would make every caller handle a `None` that only a manual poll
/// after completion can cause (`.await` cannot). tokio-rustls's fallible futures panic too.
#[derive(Debug)]
pub struct FallibleConnect<IO>(pub(crate) Connect<IO>);

impl<IO: AsyncRead + AsyncWrite + Unpin> Future for FallibleConnect<IO> {
    type Output = Result<BoxStream<IO>, (HandshakeError, IO)>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let result = ready!(self.0.poll_finish(cx));
        Poll::Ready(result.map_err(|failed| failed.into_parts("FallibleConnect")))
    }
}

/// [`Accept`] that resolves to `Err((error, transport))` on failure, as in tokio-rustls.
///
/// The transport must be `Unpin` to be handed back by value. Giving it back means the server
/// no longer rejects silently by itself: close it (or drop it) to turn the client away. Like
/// [`FallibleConnect`], it panics if polled again after it completed.
#[derive(Debug)]
pub struct FallibleAccept<IO, T = ()>(pub(crate) Accept<IO, T>);

impl<IO: AsyncRead + AsyncWrite + Unpin, T> Future for FallibleAccept<IO, T> {
    type Output = Result<BoxStream<IO, T>, (HandshakeError, IO)>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let result = ready!(self.0.poll_finish(cx));
        Poll::Ready(result.map_err(|failed| failed.into_parts("FallibleAccept")))
    }
}
