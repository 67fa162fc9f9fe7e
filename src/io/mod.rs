//! The async adapter: [`Client`] and [`Server`] run the handshake over any tokio transport and
//! produce a [`BoxStream`].

mod authenticated;
mod authorize;
mod buffer;
mod client;
mod fallible;
mod framed;
mod limits;
mod mid_handshake;
mod read;
mod server;
mod stream;
pub(crate) mod timer;
mod write;

pub use authenticated::{Authenticate, Authenticated, FallibleAuthenticate};
pub use authorize::{AllowAll, AllowList, Authorize, BoxError, DynAuthorize};
pub use client::{Client, Connect, ConnectSession};
pub use fallible::{FallibleAccept, FallibleConnect};
pub use framed::BoxFramed;
pub use limits::{Limits, DEFAULT_HANDSHAKE_DEADLINE, DEFAULT_HANDSHAKE_TIMEOUT};
pub use read::BoxReader;
pub use server::{Accept, AcceptSession, Server};
pub use stream::{BoxStream, DynBoxStream, ReuniteError, SplitReader, SplitWriter, Transport};
pub use write::{BoxWriter, DEFAULT_WRITE_BUFFER};

/// Deadlines on Tokio's clock for any future (`timer::until` for an absolute one).
pub(crate) use timer::within;
