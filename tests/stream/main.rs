//! The box-stream after the handshake: `BoxStream` over 1-byte pipes and loopback TCP, how
//! bytes move between it and its transport, `tokio_util::codec` on top of it and the raw session
//! for custom framing, and property tests of the sans-IO core against a model of the protocol.

#[path = "../common/mod.rs"]
mod common;

mod codec;
mod io_paths;
mod pipes;
mod properties;
mod raw_session;
