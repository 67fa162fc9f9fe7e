//! The JS peers of `tests/interop`: `peer.js` (secret-handshake over TCP) and `ws_peer.js`
//! (multiserver's ws + shs plugins), run with Node.js, and checks of what they print.

use std::process::Command;

use secret_handshake::NetworkKey;
use serde_json::Value;

use super::{common, Proc};

/// How soon `ws_peer.js` must exit after its session: ws keeps a TCP connection that the other
/// side does not drop for 30 s.
pub const EXIT_AFTER_DONE_MS: u64 = 3000;

/// `node tests/interop/peer.js CONFIG`, after making sure Node.js and the packages are there.
pub fn peer(config: Value) -> Proc {
    spawn("peer.js", config)
}

/// `node tests/interop/ws_peer.js CONFIG`, likewise.
pub fn ws_peer(config: Value) -> Proc {
    spawn("ws_peer.js", config)
}

/// `node tests/interop/ms_node.js CONFIG`: a multiserver node (net, ws, unix; shs or noauth).
pub fn ms_node(config: Value) -> Proc {
    spawn("ms_node.js", config)
}

fn spawn(script: &str, config: Value) -> Proc {
    common::ensure_node_modules();
    let mut node = Command::new("node");
    node.arg(common::interop_dir().join(script))
        .arg(config.to_string());
    Proc::spawn_lines(script, &mut node)
}

/// The peer's next stdout line, which must be the JSON event `event`.
pub fn event(peer: &mut Proc, event: &str) -> Value {
    let line = peer.stdout_line();
    let value: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
    assert_eq!(value["event"], event, "the JS peer said {line}");
    value
}

/// Reads `ws_peer.js`'s last line and checks that it exited by itself, at once and with 0:
/// our side closed the WebSocket and dropped the connection.
pub fn assert_ws_peer_exits_promptly(mut peer: Proc) {
    let exit = event(&mut peer, "exit");
    assert_eq!(exit["code"], 0, "{exit}");
    if let Some(ms) = exit["after_done_ms"].as_u64() {
        assert!(
            ms < EXIT_AFTER_DONE_MS,
            "ws_peer.js took {ms} ms to exit after its session: the connection was not \
             closed ({exit})"
        );
    }
    peer.finish().assert_success();
}

pub fn main_net_hex() -> String {
    NetworkKey::ssb_main_net().to_hex()
}

/// SHA-256 in hex, computed by node (already required here) to compare with the peers' hashes.
pub fn sha256_hex(data: &[u8]) -> String {
    let script = "const h = require('crypto').createHash('sha256');\
                  process.stdin.on('data', d => h.update(d));\
                  process.stdin.on('end', () => process.stdout.write(h.digest('hex')));";
    let mut node = Command::new("node");
    node.args(["-e", script]);
    let run = Proc::spawn("node sha256", &mut node, data.to_vec()).finish();
    run.assert_success();
    String::from_utf8(run.stdout).expect("hex")
}

/// A peer's `done` line for a clean session that sent `sent` and received `received`.
pub fn assert_done(done: &Value, sent: &[u8], received: &[u8]) {
    assert_eq!(done["end"], "goodbye", "{done}");
    assert_eq!(done["error"], Value::Null, "{done}");
    // peer.js only; absent (null) from ws_peer.js.
    assert_eq!(done["sink_error"], Value::Null, "{done}");
    assert_eq!(done["sent_bytes"], sent.len(), "{done}");
    assert_eq!(done["sent_sha256"], sha256_hex(sent), "{done}");
    assert_eq!(done["received_bytes"], received.len(), "{done}");
    assert_eq!(done["received_sha256"], sha256_hex(received), "{done}");
}
