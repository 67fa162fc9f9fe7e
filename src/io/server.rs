//! The server: accept clients, letting an [`Authorize`] decide who may connect, or decide
//! yourself with [`Server::authenticate`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::io::{AsyncRead, AsyncWrite};

use super::authenticated::Authenticate;
use super::authorize::{Authorize, BoxError};
use super::fallible::{Failed, FallibleAccept};
use super::mid_handshake::MidHandshake;
use super::stream::BoxStream;
use super::timer::{Clock, Expired, Limits};
use super::DEFAULT_LIMITS;
use crate::error::{HandshakeError, Phase};
use crate::handshake::{CurveCache, Handshake, Next, ServerHandshake, Session};
use crate::keys::{Keypair, NetworkKey, PublicKey};

/// Accepts secret-handshake connections as one identity on one network. Cheap to clone; clones
/// share a cache of clients' keys in Curve25519 form, so a returning client costs one
/// conversion less.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use secret_handshake::{AllowAll, Keypair, NetworkKey, Server};
///
/// let server = Server::new(Keypair::generate(), NetworkKey::ssb_main_net(), AllowAll);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8008").await?;
/// loop {
///     let (tcp, _) = listener.accept().await?;
///     let server = server.clone();
///     // Handshake outside the accept loop, so a slow client cannot stall the others.
///     tokio::spawn(async move {
///         match server.accept(tcp).await {
///             Ok(stream) => println!("connected: {}", stream.peer_key()),
///             Err(e) => eprintln!("{e}"),
///         }
///     });
/// }
/// # }
/// ```
pub struct Server<A> {
    identity: Keypair,
    network: NetworkKey,
    authorizer: Arc<A>,
    limits: Limits,
    /// `None`: the handshake timeout.
    authorize_timeout: Option<Option<Duration>>,
    /// Clients' keys in Curve25519 form, shared by clones.
    curves: Arc<CurveCache>,
}

impl<A> Server<A> {
    /// A server with identity `identity` on `network`; `authorizer` decides in
    /// [`accept`](Self::accept) who may connect ([`authenticate`](Self::authenticate) leaves
    /// the decision to you; [`without_authorizer`](Server::without_authorizer) needs none).
    pub fn new(identity: Keypair, network: NetworkKey, authorizer: A) -> Self {
        Server {
            identity,
            network,
            authorizer: Arc::new(authorizer),
            limits: DEFAULT_LIMITS,
            authorize_timeout: None,
            curves: Arc::new(CurveCache::new()),
        }
    }

    /// Fails a handshake after `timeout` without progress on any read or write (`None`, or a
    /// duration too long for the clock such as `Duration::MAX`: wait for ever). Nothing times
    /// out once the handshake is done.
    ///
    /// Like the reference's, this timer counts silence, so a peer trickling a byte every few
    /// seconds could stretch a handshake to minutes: [`with_handshake_deadline`](Self::with_handshake_deadline)
    /// bounds the whole. Both are checked on every poll, however fast the peer sends, and need
    /// no runtime timer (see [`with_tokio_timer`](Self::with_tokio_timer)).
    pub fn with_handshake_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.limits.silence = timeout;
        self
    }

    /// Fails a handshake that is not done `deadline` after it started, however steadily the
    /// client trickles bytes (default [`DEFAULT_HANDSHAKE_DEADLINE`](crate::DEFAULT_HANDSHAKE_DEADLINE), 30 s; `None` or
    /// `Duration::MAX`: no deadline). The authorizer's time counts. The error is
    /// [`HandshakeError::DeadlineExceeded`].
    pub fn with_handshake_deadline(mut self, deadline: Option<Duration>) -> Self {
        self.limits.total = deadline;
        self
    }

    /// Wakes waiting handshakes with Tokio's timer instead of the crate's timer thread, so that
    /// `tokio::time::pause` and `advance` move their deadlines (for tests). Where the runtime
    /// has no timer, the crate's timer is used after all (Tokio prints a panic message when
    /// asked, which is caught, once per thread; with `panic = "abort"` the crate's timer is
    /// always used). By default deadlines run on the wall clock, woken by one timer
    /// thread the crate starts on first use: that works on any runtime and executor.
    pub fn with_tokio_timer(mut self) -> Self {
        self.limits.clock = Clock::Tokio;
        self
    }

    /// Bounds how long [`accept`](Self::accept) waits for the authorizer (default: the
    /// handshake timeout). When it runs out the transport is dropped and `accept` fails with
    /// [`HandshakeError::AuthorizerTimeout`], which names the authorizer, not the peer. The client's own timer (5 s by default, in the
    /// JS reference too) runs meanwhile, so keep decisions well under it.
    pub fn with_authorize_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.authorize_timeout = Some(timeout);
        self
    }

    /// The identity this server proves.
    pub fn identity(&self) -> &PublicKey {
        self.identity.public()
    }

    /// Runs the handshake on `io` up to and including the verification of the client's
    /// identity (message 3), and stops there: the [`Authenticated`](crate::Authenticated) it resolves to tells you
    /// who the client is and lets you [`accept`](crate::Authenticated::accept) or
    /// [`reject`](crate::Authenticated::reject) it with whatever context you have. The authorizer
    /// given to [`Server::new`] is not consulted.
    pub fn authenticate<IO>(&self, io: IO) -> Authenticate<IO>
    where
        IO: AsyncRead + AsyncWrite,
    {
        Authenticate::new(self.mid_handshake(io))
    }

    fn mid_handshake<IO>(&self, io: IO) -> MidHandshake<IO, ServerHandshake>
    where
        IO: AsyncRead + AsyncWrite,
    {
        let machine = ServerHandshake::new_cached(&self.identity, &self.network, &self.curves);
        MidHandshake::new(io, machine, self.limits.timer())
    }
}

impl Server<()> {
    /// A server for the staged accept alone: [`authenticate`](Self::authenticate) hands you
    /// each client and you decide. `()` is not an [`Authorize`], so `accept`, which would need
    /// one, does not compile on it:
    ///
    /// ```compile_fail,E0277
    /// # use secret_handshake::{Keypair, NetworkKey, Server};
    /// let server = Server::without_authorizer(Keypair::generate(), NetworkKey::ssb_main_net());
    /// let (_, io) = tokio::io::duplex(64);
    /// let _ = server.accept(io); // error: `()` is not an authorizer
    /// ```
    pub fn without_authorizer(identity: Keypair, network: NetworkKey) -> Self {
        Server::new(identity, network, ())
    }
}

// `A: Authorize` on the method, not the impl: calling `accept` with a non-authorizer is then an
// E0277 that shows `Authorize`'s `on_unimplemented` note, not an E0599 about `Fn`.
impl<A> Server<A> {
    /// Performs the server handshake on `io`, letting the authorizer decide.
    ///
    /// A client that fails verification or is not authorized gets nothing more than the
    /// server's hello and a closed connection: the transport is dropped.
    pub fn accept<IO>(&self, io: IO) -> Accept<IO, A::Auth>
    where
        A: Authorize,
        IO: AsyncRead + AsyncWrite,
    {
        Accept {
            state: State::Authenticating {
                mid: self.mid_handshake(io),
                authorizer: Arc::clone(&self.authorizer) as Arc<dyn Decide<A::Auth>>,
                authorize_timeout: self.authorize_timeout.unwrap_or(self.limits.silence),
                timeout: self.limits.silence,
            },
        }
    }
}

impl<A> Clone for Server<A> {
    fn clone(&self) -> Self {
        Server {
            identity: self.identity.clone(),
            network: self.network.clone(),
            authorizer: Arc::clone(&self.authorizer),
            limits: self.limits,
            authorize_timeout: self.authorize_timeout,
            curves: Arc::clone(&self.curves),
        }
    }
}

impl<A> std::fmt::Debug for Server<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("identity", self.identity.public())
            .field("network", &self.network)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

type Decision<T> = BoxFuture<'static, Result<Option<T>, BoxError>>;

/// An [`Authorize`] with its type erased down to what it answers with.
trait Decide<T>: Send + Sync {
    fn decide(self: Arc<Self>, client: PublicKey) -> Decision<T>;
}

impl<A: Authorize> Decide<A::Auth> for A {
    fn decide(self: Arc<Self>, client: PublicKey) -> Decision<A::Auth> {
        Box::pin(async move { self.authorize(&client).await })
    }
}

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
    /// Messages 1 to 3, then the authorizer.
    Authenticating {
        mid: MidHandshake<IO, ServerHandshake>,
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
    /// From [`Authenticated::accept_with`]: only message 4 is left to send.
    pub(crate) fn sending(mut mid: MidHandshake<IO, ServerHandshake>, auth: T) -> Self {
        mid.timer.restart();
        let state = match mid.machine.accept() {
            Ok(()) => State::Sending { mid, auth },
            // An `Authenticated` is always at the authorization step, so this cannot happen.
            Err(_) => State::Done,
        };
        Accept { state }
    }

    /// The transport, while the handshake runs (`None` once the future has completed).
    pub fn get_ref(&self) -> Option<&IO> {
        match &self.state {
            State::Authenticating { mid, .. }
            | State::Deciding { mid, .. }
            | State::Sending { mid, .. } => Some(&*mid.io),
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
            State::Authenticating { mid, .. }
            | State::Deciding { mid, .. }
            | State::Sending { mid, .. } => Some(mid.io.as_mut().get_mut()),
            State::Done => None,
        }
    }

    /// A future that gives the transport back with the error if the handshake fails.
    pub fn into_fallible(self) -> FallibleAccept<IO, T> {
        FallibleAccept(self)
    }

    /// A future that resolves to the transport, the [`Session`] and the auth value instead of
    /// a [`BoxStream`], for your own framing (see [`Connect::into_session`](crate::Connect::into_session)).
    pub fn into_session(self) -> AcceptSession<IO, T> {
        AcceptSession(self)
    }
}

/// A finished server handshake: the transport, the session, the value the client was
/// accepted with.
type Finished<IO, T> = (Pin<Box<IO>>, Session, T);

/// [`Accept`] resolving to the transport, the [`Session`] and the auth value, from
/// [`Accept::into_session`]. The transport must be `Unpin` to be handed back by value.
#[derive(Debug)]
pub struct AcceptSession<IO, T = ()>(Accept<IO, T>);

impl<IO: AsyncRead + AsyncWrite + Unpin, T> Future for AcceptSession<IO, T> {
    type Output = Result<(IO, Session, T), HandshakeError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0
            .poll_session(cx)
            .map_ok(|(io, session, auth)| (*Pin::into_inner(io), session, auth))
            .map_err(|failed| failed.error)
    }
}

impl<IO: AsyncRead + AsyncWrite, T> Accept<IO, T> {
    pub(crate) fn poll_finish(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<BoxStream<IO, T>, Failed<IO>>> {
        self.poll_session(cx)
            .map_ok(|(io, session, auth)| BoxStream::from_pinned(io, session, auth))
    }

    /// The handshake's outcome before any stream is built from it.
    fn poll_session(&mut self, cx: &mut Context<'_>) -> Poll<Result<Finished<IO, T>, Failed<IO>>> {
        loop {
            let step = match &mut self.state {
                State::Authenticating { mid, .. } => {
                    ready!(mid.poll_io(cx)).and_then(|()| self.start_deciding())
                }
                State::Deciding { mid, decision, .. } => match mid.timer.expired() {
                    Some(Expired::Silence) => Err(HandshakeError::AuthorizerTimeout),
                    Some(Expired::Total) => {
                        Err(HandshakeError::DeadlineExceeded(Phase::ClientAuth))
                    }
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
    fn start_deciding(&mut self) -> Result<(), HandshakeError> {
        let client = match &self.state {
            State::Authenticating { mid, .. } => match mid.machine.next() {
                Next::Authorize(client) => *client,
                _ => {
                    return Err(HandshakeError::Misuse(
                        "server stopped before authorization",
                    ))
                }
            },
            _ => return Err(HandshakeError::Misuse("not authenticating")),
        };
        if let State::Authenticating {
            mut mid,
            authorizer,
            authorize_timeout,
            timeout,
        } = std::mem::replace(&mut self.state, State::Done)
        {
            mid.timer.set_timeout(authorize_timeout);
            self.state = State::Deciding {
                mid,
                decision: authorizer.decide(client),
                timeout,
            };
        }
        Ok(())
    }

    /// Message 4 sent: the session.
    fn finish(&mut self) -> Result<Finished<IO, T>, Failed<IO>> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Sending { mid, auth } => match mid.machine.finish() {
                Ok(session) => Ok((mid.io, session, auth)),
                Err(error) => Err(Failed::with_io(error, mid.io)),
            },
            _ => Err(Failed::misuse("Accept finished twice")),
        }
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

    /// Ends the future with `error`, taking the transport out (dropping it closes it).
    fn fail(&mut self, error: HandshakeError) -> Failed<IO> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Authenticating { mid, .. }
            | State::Deciding { mid, .. }
            | State::Sending { mid, .. } => Failed::with_io(error, mid.io),
            State::Done => Failed::misuse("Accept polled after completion"),
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
