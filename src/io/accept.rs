//! The server handshake in progress: [`Authenticate`]'s stage (messages 1 to 3), the
//! authorizer under its own timeout, then message 4; and the forms that hand back the
//! transport or the session.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};

use super::authenticated::{Authenticate, Authenticated};
use super::authorize::{BoxError, Decide, Decision};
use super::limits::Limits;
use super::mid_handshake::{Failed, MidHandshake};
use super::stream::BoxStream;
use super::timer::Expired;
use crate::error::{HandshakeError, Phase};
use crate::handshake::{Handshake, ServerHandshake, Session};
use crate::trace;

/// The server handshake in progress; resolves to a [`BoxStream`] whose
/// [`auth`](BoxStream::auth) is the value the client was accepted with.
///
/// On failure the transport is dropped, which is the silent rejection of the reference;
/// [`into_fallible`](Self::into_fallible) hands it back instead. `Accept` is `Send` when the
/// transport is, but not `Sync`: the authorizer's future it holds is only `Send`.
pub struct Accept<IO, T = ()> {
    state: State<IO, T>,
}

enum State<IO, T> {
    /// Messages 1 to 3, as [`Authenticate`] runs them; then the authorizer.
    Authenticating {
        stage: Authenticate<IO>,
        authorizer: Arc<dyn Decide<T>>,
        authorize_timeout: Option<Duration>,
        timeout: Option<Duration>,
    },
    Deciding {
        mid: MidHandshake<IO, ServerHandshake>,
        decision: Decision<T>,
        timeout: Option<Duration>,
    },
    /// Message 4.
    Sending {
        mid: MidHandshake<IO, ServerHandshake>,
        auth: T,
    },
    Done,
}

impl<IO, T> Accept<IO, T> {
    /// `stage`, then `authorizer` under `limits`' authorizer timeout, then message 4.
    pub(crate) fn new(
        stage: Authenticate<IO>,
        authorizer: Arc<dyn Decide<T>>,
        limits: &Limits,
    ) -> Self {
        let state = State::Authenticating {
            stage,
            authorizer,
            authorize_timeout: limits.authorize_timeout(),
            timeout: limits.handshake_timeout(),
        };
        Accept { state }
    }

    /// The transport, while the handshake runs (`None` once the future has completed).
    pub fn get_ref(&self) -> Option<&IO> {
        match &self.state {
            State::Authenticating { stage, .. } => stage.get_ref(),
            State::Deciding { mid, .. } | State::Sending { mid, .. } => Some(&*mid.io),
            State::Done => None,
        }
    }

    /// The transport, mutably, while the handshake runs (for socket options). Reading or
    /// writing it corrupts the handshake.
    pub fn get_mut(&mut self) -> Option<&mut IO>
    where
        IO: Unpin,
    {
        match &mut self.state {
            State::Authenticating { stage, .. } => stage.get_mut(),
            State::Deciding { mid, .. } | State::Sending { mid, .. } => {
                Some(mid.io.as_mut().get_mut())
            }
            State::Done => None,
        }
    }

    /// Names the transport and the peer's address in the handshake's span (feature `tracing`),
    /// before the first poll.
    pub(crate) fn at(self, transport: &str, peer_addr: &dyn std::fmt::Display) -> Self {
        if let State::Authenticating { stage, .. } = &self.state {
            stage.trace_at(transport, peer_addr);
        }
        self
    }

    /// A future that gives the transport back with the error if the handshake fails.
    pub fn into_fallible(self) -> FallibleAccept<IO, T> {
        FallibleAccept(self)
    }

    /// A future that resolves to the transport, the [`Session`] and the auth value instead of
    /// a [`BoxStream`], for your own framing (see
    /// [`Connect::into_session`](crate::Connect::into_session)).
    pub fn into_session(self) -> AcceptSession<IO, T> {
        AcceptSession(self)
    }
}

impl<IO> Authenticated<IO> {
    /// Lets the client in: sends message 4 and resolves to the stream.
    pub fn accept(self) -> Accept<IO, ()> {
        self.accept_with(())
    }

    /// Lets the client in, with `auth` as the stream's [`auth`](crate::BoxStream::auth).
    pub fn accept_with<T>(self, auth: T) -> Accept<IO, T> {
        let mut mid = self.mid;
        mid.timer.restart();
        let state = match mid.machine.accept() {
            Ok(()) => State::Sending { mid, auth },
            // An `Authenticated` is always at the authorization step, so this cannot happen.
            Err(_) => State::Done,
        };
        Accept { state }
    }
}

/// A finished server handshake: the transport, the session, the value the client was
/// accepted with, and the span its stream's events go to.
type Finished<IO, T> = (Pin<Box<IO>>, Session, T, trace::Stream);

impl<IO: AsyncRead + AsyncWrite, T> Accept<IO, T> {
    fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<Result<BoxStream<IO, T>, Failed<IO>>> {
        self.poll_session(cx)
            .map_ok(|(io, session, auth, trace)| BoxStream::from_pinned(io, session, auth, trace))
    }

    /// The handshake's outcome before any stream is built from it.
    fn poll_session(&mut self, cx: &mut Context<'_>) -> Poll<Result<Finished<IO, T>, Failed<IO>>> {
        loop {
            let step = match &mut self.state {
                State::Authenticating { stage, .. } => match ready!(stage.poll_authenticated(cx)) {
                    Ok(authenticated) => self.start_deciding(authenticated),
                    Err(failed) => {
                        self.state = State::Done;
                        return Poll::Ready(Err(failed));
                    }
                },
                State::Deciding { mid, decision, .. } => match mid.timer.expired() {
                    Some(Expired::Silence) => Err(HandshakeError::AuthorizerTimeout),
                    Some(Expired::Total) => {
                        Err(HandshakeError::DeadlineExceeded(Phase::ClientAuth))
                    }
                    Some(Expired::NoTimeDriver) => Err(HandshakeError::NoTimeDriver),
                    None => match decision.as_mut().poll(cx) {
                        Poll::Pending => {
                            mid.timer.arm(cx);
                            return Poll::Pending;
                        }
                        Poll::Ready(decision) => self.decided(decision),
                    },
                },
                State::Sending { mid, .. } => match ready!(mid.poll_io(cx)) {
                    Ok(()) => return Poll::Ready(self.finish()),
                    Err(error) => Err(error),
                },
                State::Done => {
                    return Poll::Ready(Err(Failed::misuse("Accept polled after completion")))
                }
            };
            if let Err(error) = step {
                return Poll::Ready(Err(self.fail(error)));
            }
        }
    }

    /// Message 3 verified: ask the authorizer, under its own timeout.
    fn start_deciding(&mut self, client: Authenticated<IO>) -> Result<(), HandshakeError> {
        let State::Authenticating {
            authorizer,
            authorize_timeout,
            timeout,
            ..
        } = std::mem::replace(&mut self.state, State::Done)
        else {
            return Err(HandshakeError::Misuse("not authenticating"));
        };
        let Authenticated { mut mid, peer } = client;
        mid.timer.set_timeout(authorize_timeout);
        self.state = State::Deciding {
            mid,
            decision: authorizer.decide(peer),
            timeout,
        };
        Ok(())
    }

    /// The authorizer answered: accept (message 4 comes next) or refuse.
    fn decided(&mut self, decision: Result<Option<T>, BoxError>) -> Result<(), HandshakeError> {
        let auth = match decision {
            Ok(Some(auth)) => auth,
            Ok(None) => return Err(HandshakeError::Unauthorized),
            Err(e) => return Err(HandshakeError::Authorizer(e)),
        };
        let State::Deciding {
            mut mid, timeout, ..
        } = std::mem::replace(&mut self.state, State::Done)
        else {
            return Err(HandshakeError::Misuse("decided while not deciding"));
        };
        let accepted = mid.machine.accept();
        mid.timer.set_timeout(timeout);
        self.state = State::Sending { mid, auth };
        accepted
    }

    /// Message 4 sent: the session.
    fn finish(&mut self) -> Result<Finished<IO, T>, Failed<IO>> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Sending { mid, auth } => match mid.machine.finish() {
                Ok(session) => {
                    let trace = mid.trace.succeeded(&session.peer);
                    Ok((mid.io, session, auth, trace))
                }
                Err(error) => {
                    mid.trace.failed(&error);
                    Err(Failed::with_io(error, mid.io))
                }
            },
            _ => Err(Failed::misuse("Accept finished twice")),
        }
    }

    /// Ends the future with `error`, taking the transport out (dropping it closes it).
    fn fail(&mut self, error: HandshakeError) -> Failed<IO> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Deciding { mid, .. } | State::Sending { mid, .. } => mid.fail(error),
            State::Authenticating { .. } | State::Done => {
                Failed::misuse("Accept polled after completion")
            }
        }
    }
}

impl<IO: AsyncRead + AsyncWrite, T> Future for Accept<IO, T> {
    type Output = Result<BoxStream<IO, T>, HandshakeError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.poll_finish(cx).map_err(|failed| failed.error)
    }
}

impl<IO, T> Unpin for Accept<IO, T> {}

impl<IO, T> std::fmt::Debug for Accept<IO, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accept").finish_non_exhaustive()
    }
}

/// [`Accept`] resolving to the transport, the [`Session`] and the auth value, from
/// [`Accept::into_session`]. The transport must be `Unpin` to be handed back by value.
#[derive(Debug)]
pub struct AcceptSession<IO, T = ()>(Accept<IO, T>);

impl<IO: AsyncRead + AsyncWrite + Unpin, T> Future for AcceptSession<IO, T> {
    type Output = Result<(IO, Session, T), HandshakeError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0
            .poll_session(cx)
            .map_ok(|(io, session, auth, _)| (*Pin::into_inner(io), session, auth))
            .map_err(|failed| failed.error)
    }
}

/// [`Accept`] that resolves to `Err((error, transport))` on failure, as in tokio-rustls.
///
/// The transport must be `Unpin` to be handed back by value. Giving it back means the server
/// no longer rejects silently by itself: close it (or drop it) to turn the client away. Like
/// [`FallibleConnect`](crate::FallibleConnect), it panics if polled again after it completed.
#[derive(Debug)]
pub struct FallibleAccept<IO, T = ()>(Accept<IO, T>);

impl<IO: AsyncRead + AsyncWrite + Unpin, T> Future for FallibleAccept<IO, T> {
    type Output = Result<BoxStream<IO, T>, (HandshakeError, IO)>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let result = ready!(self.0.poll_finish(cx));
        Poll::Ready(result.map_err(|failed| failed.into_parts("FallibleAccept")))
    }
}
