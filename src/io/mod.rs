//! The async adapter: [`Client`] and [`Server`] run the handshake over any tokio transport and
//! produce a [`BoxStream`].

mod authenticated;
mod authorize;
mod buffer;
mod client;
mod fallible;
mod framed;
mod mid_handshake;
mod read;
mod server;
mod stream;
mod timer;
mod write;

use std::time::Duration;

pub use authenticated::{Authenticate, Authenticated, FallibleAuthenticate};
pub use authorize::{AllowAll, AllowList, Authorize, BoxError, DynAuthorize};
pub use client::{Client, Connect, ConnectSession};
pub use fallible::{FallibleAccept, FallibleConnect};
pub use framed::BoxFramed;
pub use read::BoxReader;
pub use server::{Accept, AcceptSession, Server};
pub use stream::{BoxStream, DynBoxStream, ReuniteError, SplitReader, SplitWriter, Transport};
pub use write::{BoxWriter, DEFAULT_WRITE_BUFFER};

pub(crate) use timer::within;

/// The JS reference's handshake timeout: 5 s without progress on a read.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// The default bound on a whole handshake, however steadily the peer trickles bytes: an honest
/// one takes two round trips.
pub const DEFAULT_HANDSHAKE_DEADLINE: Duration = Duration::from_secs(30);

const DEFAULT_LIMITS: timer::Limits = timer::Limits {
    silence: Some(DEFAULT_HANDSHAKE_TIMEOUT),
    total: Some(DEFAULT_HANDSHAKE_DEADLINE),
};
