//! `Authorize` without macros: a plain `async fn` on one's own type, the
//! closures, and the boxed form for authorizers chosen at run time.

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::net;
use secret_handshake::{
    AllowAll, AllowList, Authorize, BoxError, Client, DynAuthorize, HandshakeError, Keypair,
    PublicKey, Server,
};

/// An authorizer of our own, written as a tokio-rustls user would: a struct and an `async fn`.
struct Members {
    names: Vec<(PublicKey, &'static str)>,
    asked: AtomicUsize,
}

impl Authorize for Members {
    type Auth = &'static str;

    async fn authorize(&self, client: &PublicKey) -> Result<Option<&'static str>, BoxError> {
        self.asked.fetch_add(1, Ordering::Relaxed);
        tokio::task::yield_now().await; // a real await point: the future must still be Send
        Ok(self
            .names
            .iter()
            .find(|(key, _)| key == client)
            .map(|(_, name)| *name))
    }
}

/// Runs one handshake of `client` against `server`: the server's auth value, or its error.
async fn admit<A: Authorize>(server: &Server<A>, client: &Client) -> Result<A::Auth, HandshakeError>
where
    A::Auth: Clone,
{
    let (c, s) = tokio::io::duplex(4096);
    let (_, accepted) = tokio::join!(client.connect(c, server.identity()), server.accept(s));
    accepted.map(|stream| stream.auth().clone())
}

#[tokio::test]
async fn a_struct_with_a_plain_async_fn_is_an_authorizer() {
    let alice = Client::new(Keypair::generate(), net());
    let mallory = Client::new(Keypair::generate(), net());
    let members = Members {
        names: vec![(*alice.identity(), "alice")],
        asked: AtomicUsize::new(0),
    };
    let members = Arc::new(members);
    let server = Server::new(
        Keypair::generate(),
        net(),
        DynAuthorize::from_arc(members.clone()),
    );
    assert_eq!(admit(&server, &alice).await.unwrap(), "alice");
    assert!(matches!(
        admit(&server, &mallory).await,
        Err(HandshakeError::Unauthorized)
    ));
    assert_eq!(
        members.asked.load(Ordering::Relaxed),
        2,
        "asked once per client"
    );

    // The same type, directly (no Arc, no box).
    let direct = Members {
        names: vec![(*mallory.identity(), "mallory")],
        asked: AtomicUsize::new(0),
    };
    let server = Server::new(Keypair::generate(), net(), direct);
    assert_eq!(admit(&server, &mallory).await.unwrap(), "mallory");
}

#[tokio::test]
async fn closures_still_authorize_and_their_errors_reject() {
    let alice = Client::new(Keypair::generate(), net());
    let allowed = *alice.identity();
    let server = Server::new(
        Keypair::generate(),
        net(),
        move |client: PublicKey| async move {
            if client == allowed {
                Ok(Some(7u32))
            } else {
                Err(std::io::Error::other("not today"))
            }
        },
    );
    assert_eq!(admit(&server, &alice).await.unwrap(), 7);
    let bob = Client::new(Keypair::generate(), net());
    let error = admit(&server, &bob).await.unwrap_err();
    assert!(
        matches!(&error, HandshakeError::Authorizer(e) if e.to_string() == "not today"),
        "{error}"
    );
}

#[tokio::test]
async fn authorizers_chosen_at_run_time_share_one_boxed_type() {
    let alice = Client::new(Keypair::generate(), net());
    let bob = Client::new(Keypair::generate(), net());
    let choices: Vec<DynAuthorize> = vec![
        DynAuthorize::new(AllowAll),
        DynAuthorize::new(AllowList::new([*alice.identity()])),
        DynAuthorize::new(|_: PublicKey| async { Ok::<_, BoxError>(None) }),
    ];
    let mut outcomes = Vec::new();
    for authorizer in choices {
        let server = Server::new(Keypair::generate(), net(), authorizer.clone());
        outcomes.push((
            admit(&server, &alice).await.is_ok(),
            admit(&server, &bob).await.is_ok(),
        ));
    }
    assert_eq!(outcomes, [(true, true), (true, false), (false, false)]);
}

/// Issue 20: `Arc<A>` of any authorizer is one, and so is a boxed closure (sized or `dyn`).
#[tokio::test]
async fn arcs_and_boxed_closures_are_authorizers() {
    let alice = Client::new(Keypair::generate(), net());
    let bob = Client::new(Keypair::generate(), net());
    let only_alice = *alice.identity();

    let shared = Arc::new(AllowList::new([only_alice]));
    let server = Server::new(Keypair::generate(), net(), Arc::clone(&shared));
    assert!(admit(&server, &alice).await.is_ok());
    assert!(matches!(
        admit(&server, &bob).await,
        Err(HandshakeError::Unauthorized)
    ));

    // The authorizer is the caller's `Arc`, not a copy: both servers share its one count.
    let members = Arc::new(Members {
        names: vec![(only_alice, "alice")],
        asked: AtomicUsize::new(0),
    });
    let server = Server::new(Keypair::generate(), net(), Arc::clone(&members));
    assert_eq!(admit(&server, &alice).await.unwrap(), "alice");
    assert_eq!(members.asked.load(Ordering::Relaxed), 1);

    type Decision = futures::future::BoxFuture<'static, Result<Option<u8>, BoxError>>;
    let boxed: Box<dyn Fn(PublicKey) -> Decision + Send + Sync> =
        Box::new(move |client| Box::pin(async move { Ok((client == only_alice).then_some(1)) }));
    let server = Server::new(Keypair::generate(), net(), boxed);
    assert_eq!(admit(&server, &alice).await.unwrap(), 1);
    assert!(matches!(
        admit(&server, &bob).await,
        Err(HandshakeError::Unauthorized)
    ));

    let boxed = Box::new(move |client: PublicKey| async move {
        Ok::<_, BoxError>((client != only_alice).then_some(2u8))
    });
    let server = Server::new(Keypair::generate(), net(), boxed);
    assert_eq!(admit(&server, &bob).await.unwrap(), 2);

    let arc_dyn: Arc<dyn Fn(PublicKey) -> Decision + Send + Sync> =
        Arc::new(|_| Box::pin(async { Ok(Some(3)) }));
    let server = Server::new(Keypair::generate(), net(), arc_dyn);
    assert_eq!(admit(&server, &bob).await.unwrap(), 3);
}
