//! The JS peers of `tests/interop`: `peer.js` (secret-handshake over TCP) and `ws_peer.js`
//! (multiserver's ws + shs plugins), run with Node.js, and checks of what they print.

use secret_handshake::NetworkKey;
use serde_json::Value;

use super::common::Node;
use super::Proc;

/// How soon `ws_peer.js` must exit after its session: ws keeps a TCP connection that the other
/// side does not drop for 30 s.
pub const EXIT_AFTER_DONE_MS: u64 = 3000;

/// `node tests/interop/peer.js CONFIG` (`node` from `common::node::require()`).
pub fn peer(node: Node, config: Value) -> Proc {
    spawn(node, "peer.js", config)
}

/// `node tests/interop/ws_peer.js CONFIG`, likewise.
pub fn ws_peer(node: Node, config: Value) -> Proc {
    spawn(node, "ws_peer.js", config)
}

/// `node tests/interop/ms_node.js CONFIG`: a multiserver node (net, ws, unix; shs or noauth).
pub fn ms_node(node: Node, config: Value) -> Proc {
    spawn(node, "ms_node.js", config)
}

fn spawn(node: Node, script: &str, config: Value) -> Proc {
    let mut command = node.command(script);
    command.arg(config.to_string());
    Proc::spawn_lines(script, &mut command)
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
    let mut node = std::process::Command::new("node");
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
