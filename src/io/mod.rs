//! The async adapter: [`Client`] and [`Server`] run the handshake over any tokio transport and
//! produce a [`BoxStream`].

mod authorize;
mod client;
mod mid_handshake;
mod read;
mod server;
mod stream;
mod write;

use std::time::Duration;

pub use authorize::{AllowAll, AllowList, Authorize, BoxError};
pub use client::{Client, Connect};
pub use read::BoxReader;
pub use server::{Accept, Server};
pub use stream::{BoxStream, DynBoxStream, ReuniteError, Transport};
pub use write::{BoxWriter, DEFAULT_WRITE_BUFFER};

/// The JS reference's handshake timeout: 5 s without progress on a read.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
