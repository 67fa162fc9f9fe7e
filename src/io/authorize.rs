//! Deciding, on the server, whether an authenticated client may connect.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;

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
/// address, the connections already open), use
/// [`Server::authenticate`](crate::Server::authenticate)
/// instead, which stops the handshake at this point and hands you the client's key and the
/// transport.
///
/// Implement it with a plain `async fn` (no macro needed; the future must be `Send`):
///
/// ```
/// use std::collections::HashSet;
/// use secret_handshake::{Authorize, BoxError, PublicKey};
///
/// struct Members(HashSet<PublicKey>);
///
/// impl Authorize for Members {
///     type Auth = &'static str;
///
///     async fn authorize(&self, client: &PublicKey) -> Result<Option<&'static str>, BoxError> {
///         Ok(self.0.contains(client).then_some("member"))
///     }
/// }
/// # fn assert_authorizer(_: impl Authorize) {}
/// # assert_authorizer(Members(HashSet::new()));
/// ```
///
/// Any `Fn(PublicKey) -> impl Future<Output = Result<Option<T>, E>>` is an authorizer too:
///
/// ```
/// # use secret_handshake::{PublicKey, Authorize};
/// fn assert_authorizer(_: impl Authorize) {}
/// let banned = PublicKey::from_bytes([9; 32]);
/// assert_authorizer(move |client: PublicKey| async move {
///     Ok::<_, std::io::Error>((client != banned).then_some("welcome"))
/// });
/// ```
///
/// An `Arc<A>` of an authorizer is one too (share it with the rest of the program), and so is a
/// `Box` of a closure. The method returns `impl Future`, so `dyn Authorize` does not exist;
/// [`DynAuthorize`] is the boxed, type-erased form (for servers whose authorizer is picked at
/// run time, or a `Box` of your own type).
///
/// # `#[async_trait]`
///
/// The 0.1 trait was written with the `async-trait` macro; the trait now declares
/// `fn authorize(&self, ..) -> impl Future + Send` instead, and an `#[async_trait::async_trait]`
/// impl no longer matches it. The macro expands the method to this signature, which fails with
/// E0195, "lifetime parameters or bounds on method `authorize` do not match the trait
/// declaration":
///
/// ```compile_fail,E0195
/// # use std::{future::Future, pin::Pin};
/// # use secret_handshake::{Authorize, BoxError, PublicKey};
/// struct Members;
///
/// // What `#[async_trait] impl Authorize for Members { async fn authorize(..) }` expands to.
/// impl Authorize for Members {
///     type Auth = ();
///
///     fn authorize<'life0, 'life1, 'async_trait>(
///         &'life0 self,
///         client: &'life1 PublicKey,
///     ) -> Pin<Box<dyn Future<Output = Result<Option<()>, BoxError>> + Send + 'async_trait>>
///     where
///         'life0: 'async_trait,
///         'life1: 'async_trait,
///         Self: 'async_trait,
///     {
///         Box::pin(async move { Ok(Some(())) })
///     }
/// }
/// ```
///
/// The fix: remove `#[async_trait]` and keep the `async fn` (as above), or, where the future
/// must be built by hand, return `impl Future + Send` without lifetime parameters:
///
/// ```
/// # use std::future::Future;
/// # use secret_handshake::{Authorize, BoxError, PublicKey};
/// struct Members;
///
/// impl Authorize for Members {
///     type Auth = ();
///
///     fn authorize(
///         &self,
///         client: &PublicKey,
///     ) -> impl Future<Output = Result<Option<()>, BoxError>> + Send {
///         let client = *client;
///         async move { Ok((client.as_bytes()[0] != 0).then_some(())) }
///     }
/// }
/// # fn assert_authorizer(_: impl Authorize) {}
/// # assert_authorizer(Members);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an authorizer (it does not implement `Authorize`)",
    label = "not an authorizer",
    note = "an authorizer is a closure `Fn(PublicKey) -> impl Future<Output = Result<Option<T>, E>>`, \
            `AllowAll`, `AllowList`, `DynAuthorize`, a type of yours with `impl Authorize` \
            (an `async fn authorize`, not `#[async_trait]`), or an `Arc` of any of these",
    note = "for a `Box` of an authorizer of your own type, use `DynAuthorize::new` or `Arc`"
)]
pub trait Authorize: Send + Sync + 'static {
    /// What an accepted connection carries (JS `stream.auth`).
    type Auth: Send + Sync + 'static;

    /// Accept (`Some`) or reject (`None`, or an error) the client `client`.
    fn authorize(
        &self,
        client: &PublicKey,
    ) -> impl Future<Output = Result<Option<Self::Auth>, BoxError>> + Send;
}

// `?Sized`: `Arc<dyn Fn(..)>` and `Box<dyn Fn(..)>` are authorizers (the latter as a `Fn`).
impl<F, Fut, T, E> Authorize for F
where
    F: Fn(PublicKey) -> Fut + Send + Sync + 'static + ?Sized,
    Fut: Future<Output = Result<Option<T>, E>> + Send,
    T: Send + Sync + 'static,
    E: Into<BoxError>,
{
    type Auth = T;

    fn authorize(
        &self,
        client: &PublicKey,
    ) -> impl Future<Output = Result<Option<T>, BoxError>> + Send {
        let decision = self(*client);
        async move { decision.await.map_err(Into::into) }
    }
}

/// Shares an authorizer with the rest of the program. (A `Box<A>` cannot have the same impl: a
/// boxed closure is already an authorizer as a `Fn`, and the two would overlap.)
impl<A: Authorize + ?Sized> Authorize for Arc<A> {
    type Auth = A::Auth;

    fn authorize(
        &self,
        client: &PublicKey,
    ) -> impl Future<Output = Result<Option<A::Auth>, BoxError>> + Send {
        (**self).authorize(client)
    }
}

/// Accepts every client that completes the handshake (for public servers).
#[derive(Debug, Clone, Copy, Default)]
pub struct AllowAll;

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

impl Authorize for AllowList {
    type Auth = ();

    async fn authorize(&self, client: &PublicKey) -> Result<Option<()>, BoxError> {
        Ok(self.0.contains(client).then_some(()))
    }
}

/// Any [`Authorize`] answering with `T`, boxed: one type for authorizers chosen at run time.
/// Cheap to clone (the authorizer is shared).
///
/// ```
/// use secret_handshake::{AllowAll, AllowList, DynAuthorize, Keypair, NetworkKey, Server};
///
/// let open = std::env::var_os("OPEN_SERVER").is_some();
/// let authorizer: DynAuthorize = if open {
///     DynAuthorize::new(AllowAll)
/// } else {
///     DynAuthorize::new(AllowList::new([]))
/// };
/// let server: Server<DynAuthorize> =
///     Server::new(Keypair::generate(), NetworkKey::ssb_main_net(), authorizer);
/// # drop(server);
/// ```
///
/// An authorizer already in an `Arc` (shared with other parts of the program) is boxed with
/// [`from_arc`](Self::from_arc).
pub struct DynAuthorize<T = ()>(Arc<dyn ErasedAuthorize<T>>);

impl<T: Send + Sync + 'static> DynAuthorize<T> {
    /// Boxes `authorizer`.
    pub fn new(authorizer: impl Authorize<Auth = T>) -> Self {
        DynAuthorize(Arc::new(authorizer))
    }

    /// Shares an authorizer that is already in an `Arc`.
    pub fn from_arc<A: Authorize<Auth = T>>(authorizer: Arc<A>) -> Self {
        DynAuthorize(authorizer)
    }
}

impl<T> Clone for DynAuthorize<T> {
    fn clone(&self) -> Self {
        DynAuthorize(Arc::clone(&self.0))
    }
}

impl<T> std::fmt::Debug for DynAuthorize<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DynAuthorize(..)")
    }
}

impl<T: Send + Sync + 'static> Authorize for DynAuthorize<T> {
    type Auth = T;

    async fn authorize(&self, client: &PublicKey) -> Result<Option<T>, BoxError> {
        self.0.authorize_boxed(client).await
    }
}

/// [`Authorize`] in a dyn-compatible form: its future boxed.
trait ErasedAuthorize<T>: Send + Sync {
    fn authorize_boxed<'a>(
        &'a self,
        client: &'a PublicKey,
    ) -> BoxFuture<'a, Result<Option<T>, BoxError>>;
}

impl<A: Authorize> ErasedAuthorize<A::Auth> for A {
    fn authorize_boxed<'a>(
        &'a self,
        client: &'a PublicKey,
    ) -> BoxFuture<'a, Result<Option<A::Auth>, BoxError>> {
        Box::pin(self.authorize(client))
    }
}

/// What a server's authorizer answers, boxed.
pub(crate) type Decision<T> = BoxFuture<'static, Result<Option<T>, BoxError>>;

/// An [`Authorize`] with its type erased down to what it answers with, owned by the future
/// that asks it (so that `Accept` is `'static` whatever the authorizer borrows).
pub(crate) trait Decide<T>: Send + Sync {
    fn decide(self: Arc<Self>, client: PublicKey) -> Decision<T>;
}

impl<A: Authorize> Decide<A::Auth> for A {
    fn decide(self: Arc<Self>, client: PublicKey) -> Decision<A::Auth> {
        Box::pin(async move { self.authorize(&client).await })
    }
}
