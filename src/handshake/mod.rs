//! The SHS1 handshake as sans-IO state machines.
//!
//! [`ClientHandshake`] and [`ServerHandshake`] never touch a socket. Ask
//! [`next`](ClientHandshake::next)
//! what to do: send some bytes (then call `sent`), receive exactly `n` bytes (then call
//! `received`), let the application authorize the client (server only), or finish. Every message
//! has a fixed size (64, 64, 112, 80 bytes), so a driver never reads past the handshake.
//!
//! A failed step moves the machine to a failed state; every later call returns an error.
//!
//! A [`CurveCache`] shared by the handshakes of one client or server (`new_cached`) saves the
//! Curve25519 conversion of a peer's key when that peer comes back.

mod client;
mod curve_cache;
pub(crate) mod messages;
mod server;
pub(crate) mod session;
mod step;

pub use client::ClientHandshake;
pub use curve_cache::CurveCache;
pub use server::ServerHandshake;
pub use session::Session;
use step::exact;
pub use step::{Handshake, Next};
