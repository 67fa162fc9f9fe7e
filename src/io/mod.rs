//! The async adapter: [`Client`] and [`Server`] run the handshake over any tokio transport and
//! produce a [`BoxStream`].

mod accept;
mod authenticated;
mod authorize;
mod buffer;
mod client;
mod close;
mod framed;
mod limits;
mod mid_handshake;
mod read;
mod reader;
mod server;
mod split;
mod stream;
pub(crate) mod timer;
mod write;
mod writer;

pub use accept::{Accept, AcceptSession, FallibleAccept};
pub use authenticated::{Authenticate, Authenticated, FallibleAuthenticate};
pub use authorize::{AllowAll, AllowList, Authorize, BoxError, DynAuthorize};
pub use client::{Client, Connect, ConnectSession, FallibleConnect};
pub use close::DEFAULT_CLOSE_TIMEOUT;
pub use framed::BoxFramed;
pub use limits::{
    Limits, DEFAULT_HANDSHAKE_DEADLINE, DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_HANDSHAKES,
    DEFAULT_MAX_HANDSHAKES_PER_SOURCE,
};
pub use reader::BoxReader;
pub use server::Server;
pub use split::{ReuniteError, SplitReader, SplitWriter};
pub use stream::{BoxStream, DynBoxStream, Transport};
pub use write::DEFAULT_WRITE_BUFFER;
pub use writer::BoxWriter;

/// Deadlines on Tokio's clock for any future (`timer::until` for an absolute one).
#[cfg(feature = "websocket")]
pub(crate) use timer::within;
