//! The client testee for [shs1-test](https://github.com/AljoschaMeyer/shs1-test): performs the
//! client side of SHS1 over stdin/stdout with a fresh long-term key, then writes its outcome.
//!
//! ```text
//! cargo build --example shs1_client
//! tests/interop/node_modules/.bin/shs1testclient "$PWD/target/debug/examples/shs1_client" [seed]
//! ```
//!
//! Arguments (from the harness): `<network_key_hex> <server_pk_hex>`.
//! Output: messages 1 and 3, then (once message 4 verifies) the 112-byte outcome
//! `enc_key ‖ enc_nonce ‖ dec_key ‖ dec_nonce`. On a misbehaving server it exits with code 1
//! and one line on stderr naming the failed phase; bad arguments exit with code 2.

#[path = "shs1_common/mod.rs"]
mod shs1_common;

use secret_handshake::handshake::ClientHandshake;
use secret_handshake::hazmat::drive;
use secret_handshake::{HandshakeError, Keypair, NetworkKey, PublicKey};
use shs1_common::{fail, parse_hex, usage, write_outcome};

const PROGRAM: &str = "shs1_client";
const ARGS: &str = "<network_key_hex> <server_pk_hex>";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [network, server] = args.as_slice() else {
        usage(PROGRAM, ARGS, "expected 2 arguments")
    };
    let network = parse_hex::<32>(network)
        .map(NetworkKey::from_bytes)
        .unwrap_or_else(|| usage(PROGRAM, ARGS, "network key must be 32 bytes of hex"));
    let server = parse_hex::<32>(server)
        .map(PublicKey::from_bytes)
        .unwrap_or_else(|| usage(PROGRAM, ARGS, "server public key must be 32 bytes of hex"));

    let mut stdin = std::io::stdin().lock();
    let mut stdout = std::io::stdout().lock();
    let handshake = ClientHandshake::new(&Keypair::generate(), &network, &server);
    let no_authorize =
        |_: &mut ClientHandshake| Err(HandshakeError::Misuse("clients never authorize"));
    // The harness only sees bytes that left our buffer: the driver flushes every message.
    let session = drive::blocking(handshake, no_authorize, &mut stdin, &mut stdout)
        .unwrap_or_else(|e| fail(PROGRAM, e));
    write_outcome(&session.keys, &mut stdout)
        .unwrap_or_else(|e| fail(PROGRAM, format_args!("writing the outcome: {e}")));
}
