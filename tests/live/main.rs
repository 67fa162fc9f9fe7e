//! Live suites against the JavaScript implementations Scuttlebutt runs: the JS reference over TCP
//! and over WebSocket (multiserver), the dialler and address printer against a multiserver node,
//! the multiserver grammar against `multiserver-address`, the shs1-test suites, and
//! `examples/ssb_rpc` against a secret-stack node. Each skips
//! (saying so) when Node.js is missing, unless `SHS_REQUIRE_NODE=1`.

#[path = "../common/mod.rs"]
mod common;

mod dial_interop;
mod interop;
mod multiserver_grammar;
mod shs1;
mod ssb_rpc;
#[cfg(feature = "websocket")]
mod websocket_interop;

use secret_handshake::hazmat::replay::sha256;
use serde_json::Value;

/// Adds the fields of `extra` to a JS peer's `config`.
fn merge(config: &mut Value, extra: Value) {
    if let (Some(c), Value::Object(e)) = (config.as_object_mut(), extra) {
        c.extend(e);
    }
}

/// Checks the JS `done` line against what we sent and received.
fn check_done(done: &Value, sent: &[u8], received: &[u8], what: &str) {
    assert_eq!(done["event"], "done", "{what}: {done}");
    assert_eq!(
        done["end"], "goodbye",
        "{what}: JS saw no clean end: {done}"
    );
    assert_eq!(done["received_bytes"], sent.len(), "{what}: {done}");
    assert_eq!(
        done["received_sha256"],
        common::hex(&sha256(sent)),
        "{what}: JS got other bytes"
    );
    assert_eq!(done["sent_bytes"], received.len(), "{what}: {done}");
    assert_eq!(
        done["sent_sha256"],
        common::hex(&sha256(received)),
        "{what}: we got other bytes"
    );
}
