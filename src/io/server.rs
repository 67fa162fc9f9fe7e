//! The server: accept clients, letting an [`Authorize`] decide who may connect.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::io::{AsyncRead, AsyncWrite};

use super::authorize::{AuthValue, Authorize, BoxError};
use super::mid_handshake::MidHandshake;
use super::stream::BoxStream;
use super::DEFAULT_HANDSHAKE_TIMEOUT;
use crate::error::HandshakeError;
use crate::handshake::{Handshake, Next, ServerHandshake};
use crate::keys::{Keypair, NetworkKey, PublicKey};

/// Accepts secret-handshake connections as one identity on one network. Cheap to clone.
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
    timeout: Option<Duration>,
}

impl<A: Authorize> Server<A> {
    /// A server with identity `identity` on `network`; `authorizer` decides who may connect.
    pub fn new(identity: Keypair, network: NetworkKey, authorizer: A) -> Self {
        Server {
            identity,
            network,
            authorizer: Arc::new(authorizer),
            timeout: Some(DEFAULT_HANDSHAKE_TIMEOUT),
        }
    }

    /// Fails a handshake after `timeout` without progress on any read or write (`None`: wait
    /// for ever). The authorizer is not timed. Nothing times out once the handshake is done.
    ///
    /// Like the reference's, this timer counts silence, so a peer trickling a byte every few
    /// seconds can stretch a handshake to minutes. To bound the total time as well, wrap the
    /// future: `tokio::time::timeout(Duration::from_secs(30), server.accept(io))` (dropping it closes the
    /// transport).
    ///
    /// The authorizer is not timed here, but the client's own timer (5 s by default, in the JS
    /// reference too) keeps running while it waits for message 4: keep authorizers well under
    /// it. The timer is Tokio's; outside any Tokio runtime the handshake runs untimed.
    pub fn with_handshake_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// The identity this server proves.
    pub fn identity(&self) -> &PublicKey {
        self.identity.public()
    }

    /// Performs the server handshake on `io`.
    ///
    /// A client that fails verification or is not authorized gets nothing more than the
    /// server's hello and a closed connection: the transport is dropped.
    pub fn accept<IO>(&self, io: IO) -> Accept<IO>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let authorizer = Arc::clone(&self.authorizer);
        let authorize: AuthorizeFn = Box::new(move |client| {
            Box::pin(async move {
                let auth = authorizer.authorize(&client).await?;
                Ok(auth.map(|value| Arc::new(value) as AuthValue))
            })
        });
        let machine = ServerHandshake::new(&self.identity, &self.network);
        Accept {
            mid: Some(MidHandshake::new(io, machine, self.timeout)),
            authorize: Mutex::new(Some(authorize)),
            deciding: Mutex::new(None),
            auth: None,
        }
    }
}

impl<A> Clone for Server<A> {
    fn clone(&self) -> Self {
        Server {
            identity: self.identity.clone(),
            network: self.network.clone(),
            authorizer: Arc::clone(&self.authorizer),
            timeout: self.timeout,
        }
    }
}

impl<A> std::fmt::Debug for Server<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("identity", self.identity.public())
            .field("network", &self.network)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

type Decision = Result<Option<AuthValue>, BoxError>;
type AuthorizeFn = Box<dyn FnOnce(PublicKey) -> BoxFuture<'static, Decision> + Send>;

/// The server handshake in progress; resolves to a [`BoxStream`] whose
/// [`auth`](BoxStream::auth) holds the authorizer's value.
pub struct Accept<IO> {
    mid: Option<MidHandshake<IO, ServerHandshake>>,
    // The two boxed callbacks are only `Send`; a `Mutex` (only ever reached through `&mut`, so
    // never locked) makes `Accept` `Sync` whenever the transport is.
    authorize: Mutex<Option<AuthorizeFn>>,
    deciding: Mutex<Option<BoxFuture<'static, Decision>>>,
    auth: Option<AuthValue>,
}

impl<IO: AsyncRead + AsyncWrite + Unpin> Accept<IO> {
    fn poll_handshake(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), HandshakeError>> {
        let Some(mid) = self.mid.as_mut() else {
            return Poll::Ready(Err(HandshakeError::Misuse(
                "Accept polled after completion",
            )));
        };
        let deciding = self.deciding.get_mut().unwrap_or_else(|e| e.into_inner());
        let authorize = self.authorize.get_mut().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(decision) = deciding.as_mut() {
                let decision = ready!(decision.as_mut().poll(cx));
                *deciding = None;
                match decision {
                    Ok(Some(value)) => {
                        self.auth = Some(value);
                        mid.machine.accept()?;
                        mid.restart_timer();
                    }
                    Ok(None) => return Poll::Ready(Err(HandshakeError::Unauthorized)),
                    Err(e) => return Poll::Ready(Err(HandshakeError::Authorizer(e))),
                }
            }
            ready!(mid.poll_io(cx))?;
            match mid.machine.next() {
                Next::Authorize(client) => {
                    let Some(authorize) = authorize.take() else {
                        return Poll::Ready(Err(HandshakeError::Misuse("authorized twice")));
                    };
                    *deciding = Some(authorize(*client));
                }
                _ => return Poll::Ready(Ok(())),
            }
        }
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> Future for Accept<IO> {
    type Output = Result<BoxStream<IO>, HandshakeError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let result = ready!(self.poll_handshake(cx));
        // Done or failed: on failure dropping the transport here is the silent rejection.
        let Some(mid) = self.mid.take() else {
            return Poll::Ready(Err(HandshakeError::Misuse(
                "Accept polled after completion",
            )));
        };
        let auth = self.auth.take();
        Poll::Ready(result.and_then(|()| {
            let session = mid.machine.finish()?;
            let stream = BoxStream::new(mid.io, session);
            Ok(match auth {
                Some(auth) => stream.with_auth(auth),
                None => stream,
            })
        }))
    }
}

impl<IO> Unpin for Accept<IO> {}

impl<IO> std::fmt::Debug for Accept<IO> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accept").finish_non_exhaustive()
    }
}
