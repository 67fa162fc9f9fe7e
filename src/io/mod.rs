//! The async adapter: [`Client`] and [`Server`] run the handshake over any tokio transport and
//! produce a [`BoxStream`].

mod alarm;
mod authenticated;
mod authorize;
mod buffer;
mod client;
mod close;
mod fallible;
mod framed;
mod mid_handshake;
mod read;
mod reader;
mod server;
mod split;
mod stream;
mod timer;
mod write;
mod writer;

use std::time::Duration;

pub use authenticated::{Authenticate, Authenticated, FallibleAuthenticate};
pub use authorize::{AllowAll, AllowList, Authorize, BoxError, DynAuthorize};
pub use client::{Client, Connect, ConnectSession};
pub use close::DEFAULT_CLOSE_TIMEOUT;
pub use fallible::{FallibleAccept, FallibleConnect};
pub use framed::BoxFramed;
pub use reader::BoxReader;
pub use server::{Accept, AcceptSession, Server};
pub use split::{ReuniteError, SplitReader, SplitWriter};
pub use stream::{BoxStream, DynBoxStream, Transport};
pub use write::DEFAULT_WRITE_BUFFER;
pub use writer::BoxWriter;

pub(crate) use timer::within;

/// The JS reference's handshake timeout: 5 s without progress on a read.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// The default bound on a whole handshake, however steadily the peer trickles bytes: an honest
/// one takes two round trips.
pub const DEFAULT_HANDSHAKE_DEADLINE: Duration = Duration::from_secs(30);

const DEFAULT_LIMITS: timer::Limits = timer::Limits {
    silence: Some(DEFAULT_HANDSHAKE_TIMEOUT),
    total: Some(DEFAULT_HANDSHAKE_DEADLINE),
    clock: timer::Clock::Wall,
};
