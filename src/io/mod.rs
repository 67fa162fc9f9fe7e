//! The async adapter: [`Client`] and [`Server`] run the handshake over any tokio transport and
//! produce a [`BoxStream`].

mod accept;
mod authenticated;
mod authorize;
mod buffer;
mod client;
mod framed;
mod limits;
mod mid_handshake;
mod read;
mod server;
mod stream;
pub(crate) mod timer;
mod write;

pub use accept::{Accept, AcceptSession, FallibleAccept};
pub use authenticated::{Authenticate, Authenticated, FallibleAuthenticate};
pub use authorize::{AllowAll, AllowList, Authorize, BoxError, DynAuthorize};
pub use client::{Client, Connect, ConnectSession, FallibleConnect};
pub use framed::BoxFramed;
pub use limits::{Limits, DEFAULT_HANDSHAKE_DEADLINE, DEFAULT_HANDSHAKE_TIMEOUT};
pub use read::BoxReader;
pub use server::Server;
pub use stream::{BoxStream, DynBoxStream, ReuniteError, SplitReader, SplitWriter, Transport};
pub use write::{BoxWriter, DEFAULT_WRITE_BUFFER};

/// Deadlines on Tokio's clock for any future (`timer::until` for an absolute one).
pub(crate) use timer::within;
