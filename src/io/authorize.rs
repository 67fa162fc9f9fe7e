//! Deciding, on the server, whether an authenticated client may connect.

use std::collections::HashSet;
use std::future::Future;

use async_trait::async_trait;

use crate::keys::PublicKey;

/// An error from an authorizer (it rejects the client).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Decides whether a client may connect, after it has proven its long-term key (message 3)
/// and before the server sends its acceptance (message 4).
///
/// Return `Ok(Some(value))` to accept; `value` is then the stream's
/// [`auth`](crate::BoxStream::auth), with its type. `Ok(None)` or `Err(_)` rejects: the client gets
/// no further bytes and a closed connection, exactly as with the JS reference.
///
/// An authorizer sees only the client's key. To decide with per-connection context (the peer's
/// address, the connections already open), use [`Server::authenticate`](crate::Server::authenticate)
/// instead, which stops the handshake at this point and hands you the client's key and the
/// transport.
///
/// Any `Fn(PublicKey) -> impl Future<Output = Result<Option<T>, E>>` is an authorizer:
///
/// ```
/// # use secret_handshake::{PublicKey, Authorize};
/// fn assert_authorizer(_: impl Authorize) {}
/// let banned = PublicKey::from_bytes([9; 32]);
/// assert_authorizer(move |client: PublicKey| async move {
///     Ok::<_, std::io::Error>((client != banned).then_some("welcome"))
/// });
/// ```
#[async_trait]
pub trait Authorize: Send + Sync + 'static {
    /// What an accepted connection carries (JS `stream.auth`).
    type Auth: Send + Sync + 'static;

    /// Accept (`Some`) or reject (`None`, or an error) the client `client`.
    async fn authorize(&self, client: &PublicKey) -> Result<Option<Self::Auth>, BoxError>;
}

#[async_trait]
impl<F, Fut, T, E> Authorize for F
where
    F: Fn(PublicKey) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Option<T>, E>> + Send,
    T: Send + Sync + 'static,
    E: Into<BoxError>,
{
    type Auth = T;

    async fn authorize(&self, client: &PublicKey) -> Result<Option<T>, BoxError> {
        self(*client).await.map_err(Into::into)
    }
}

/// Accepts every client that completes the handshake (for public servers).
#[derive(Debug, Clone, Copy, Default)]
pub struct AllowAll;

#[async_trait]
impl Authorize for AllowAll {
    type Auth = ();

    async fn authorize(&self, _client: &PublicKey) -> Result<Option<()>, BoxError> {
        Ok(Some(()))
    }
}

/// Accepts only the listed client keys (key pinning).
#[derive(Debug, Clone, Default)]
pub struct AllowList(HashSet<PublicKey>);

impl AllowList {
    /// Allows exactly `keys`.
    pub fn new(keys: impl IntoIterator<Item = PublicKey>) -> Self {
        AllowList(keys.into_iter().collect())
    }
}

#[async_trait]
impl Authorize for AllowList {
    type Auth = ();

    async fn authorize(&self, client: &PublicKey) -> Result<Option<()>, BoxError> {
        Ok(self.0.contains(client).then_some(()))
    }
}
