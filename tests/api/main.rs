//! The public API as its users meet it: staged accept, fallible futures, access to the transport
//! mid-handshake, halves, settings at their extremes, the causes errors name, keys and secret
//! files, and which types are `Send` and `Sync`.

#[path = "../common/mod.rs"]
mod common;

mod secret_files;
mod send_sync;
mod shapes;
mod tokio_surface;
