//! The dialler (`secret_handshake::dial`) on loopback TCP and Unix sockets in a temp dir:
//! fallback across a `;` list and where it stops, timeouts, invites, unix, noauth, and the
//! bounds on hostile address text.

#[path = "../common/mod.rs"]
mod common;

// For `hostile_text`: it bounds the heap a dial of hostile text takes.
#[global_allocator]
static HEAP: common::heap::Counting = common::heap::Counting;

mod errors;
mod fallback;
mod hostile_text;
mod noauth;
mod timeouts;
mod unix;

use secret_handshake::{Client, Keypair, PublicKey};

/// An invite seed: no error may print any of it.
const SEED_B64: &str = "QUFBQkJCQ0NDRERERUVFRkZGR0dHSEhISUlJSkpKSks=";

fn client() -> Client {
    Client::new(Keypair::generate(), common::net())
}

fn net_addr(port: u16, key: &PublicKey) -> String {
    format!("net:127.0.0.1:{port}~shs:{}", key.to_base64())
}

/// A loopback port nothing listens on: connecting is refused.
fn refused_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("local address").port()
}
