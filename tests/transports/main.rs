//! The WebSocket transport: its semantics against a raw tungstenite peer and against itself,
//! `wss://` end to end, the endpoint mounted on a path of an HTTP server, and the listener.

#[path = "../common/mod.rs"]
mod common;

mod connection;
mod listener;
mod mount;
#[cfg(feature = "wss")]
mod tls;
mod websocket;
