//! The server testee for [shs1-test](https://github.com/AljoschaMeyer/shs1-test): performs the
//! server side of SHS1 over stdin/stdout, accepting any client, then writes its outcome.
//!
//! ```text
//! cargo build --example shs1_server
//! tests/interop/node_modules/.bin/shs1testserver "$PWD/target/debug/examples/shs1_server" [seed]
//! ```
//!
//! Arguments (from the harness): `<network_key_hex> <server_sk_hex (64 bytes)> <server_pk_hex>`.
//! Output: message 2, then message 4 followed by the 112-byte outcome
//! `enc_key ‖ enc_nonce ‖ dec_key ‖ dec_nonce`. On a misbehaving client it exits with code 1
//! and one line on stderr naming the failed phase; bad arguments exit with code 2.

#[path = "shs1_common/mod.rs"]
mod shs1_common;

use secret_handshake::handshake::ServerHandshake;
use secret_handshake::hazmat::drive;
use secret_handshake::{Keypair, NetworkKey, PublicKey};
use shs1_common::{fail, parse_hex, usage, write_outcome};

const PROGRAM: &str = "shs1_server";
const ARGS: &str = "<network_key_hex> <server_sk_hex> <server_pk_hex>";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [network, secret, public] = args.as_slice() else {
        usage(PROGRAM, ARGS, "expected 3 arguments")
    };
    let network = parse_hex::<32>(network)
        .map(NetworkKey::from_bytes)
        .unwrap_or_else(|| usage(PROGRAM, ARGS, "network key must be 32 bytes of hex"));
    let identity = parse_hex::<64>(secret)
        .and_then(|sk| Keypair::from_secret_key_bytes(&sk).ok())
        .unwrap_or_else(|| {
            usage(
                PROGRAM,
                ARGS,
                "server secret key must be 64 bytes of hex (seed ‖ pk)",
            )
        });
    let public = parse_hex::<32>(public).map(PublicKey::from_bytes);
    if public.as_ref() != Some(identity.public()) {
        usage(
            PROGRAM,
            ARGS,
            "server public key does not match the secret key",
        );
    }

    let mut stdin = std::io::stdin().lock();
    let mut stdout = std::io::stdout().lock();
    let handshake = ServerHandshake::new(&identity, &network);
    // The harness only sees bytes that left our buffer: the driver flushes every message.
    let session = drive::blocking(handshake, ServerHandshake::accept, &mut stdin, &mut stdout)
        .unwrap_or_else(|e| fail(PROGRAM, e));
    write_outcome(&session.keys, &mut stdout)
        .unwrap_or_else(|e| fail(PROGRAM, format_args!("writing the outcome: {e}")));
}
