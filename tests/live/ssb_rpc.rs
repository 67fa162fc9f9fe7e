//! `examples/ssb_rpc`: its packet-stream codec, and the example itself (its `run`, compiled in
//! here) against a live JS secret-stack node (`tests/interop/stack_node.js`) in both roles,
//! over TCP and WebSocket.

#[allow(dead_code)]
#[path = "../../examples/ssb_rpc/main.rs"]
mod example;

use crate::common::js_peer::JsPeer;
use crate::common::node::Node;
use crate::common::temp_dir::TempDir;
use bytes::{Bytes, BytesMut};
use example::codec::{BodyType, Frame, Packet, PacketCodec, MAX_BODY};
use secret_handshake::Keypair;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_util::codec::{Decoder, Encoder};

fn encode(frame: Frame) -> Vec<u8> {
    let mut bytes = BytesMut::new();
    PacketCodec.encode(frame, &mut bytes).expect("encode");
    bytes.to_vec()
}

#[test]
fn packets_have_the_nine_byte_header() {
    let request = Packet::json(1, false, &json!({"name": ["whoami"], "args": []}));
    let body = br#"{"args":[],"name":["whoami"]}"#;
    let mut expected = vec![0x02, 0, 0, 0, body.len() as u8, 0, 0, 0, 1];
    expected.extend_from_slice(body);
    assert_eq!(encode(Frame::Packet(request)), expected);

    let end = Packet {
        stream: true,
        end: true,
        body_type: BodyType::Utf8,
        req: -5,
        body: Bytes::from_static(b"ok"),
    };
    let bytes = encode(Frame::Packet(end.clone()));
    assert_eq!(
        bytes,
        [0x0d, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xfb, b'o', b'k']
    );
    let decoded = PacketCodec.decode(&mut BytesMut::from(&bytes[..]));
    assert_eq!(decoded.expect("decode"), Some(Frame::Packet(end)));

    assert_eq!(encode(Frame::Goodbye), [0; 9]);
    let decoded = PacketCodec.decode(&mut BytesMut::from(&[0u8; 9][..]));
    assert_eq!(decoded.expect("decode"), Some(Frame::Goodbye));
}

#[test]
fn packets_arriving_a_byte_at_a_time_decode_once_whole() {
    let packet = Packet::json(-7, true, &json!({"message": "no"}));
    let mut bytes = encode(Frame::Packet(packet.clone()));
    bytes.extend_from_slice(&[0; 9]);
    let mut buffer = BytesMut::new();
    let mut frames = vec![];
    for byte in bytes {
        buffer.extend_from_slice(&[byte]);
        frames.extend(PacketCodec.decode(&mut buffer).expect("decode"));
    }
    assert_eq!(frames, [Frame::Packet(packet), Frame::Goodbye]);
    assert!(buffer.is_empty());
}

#[test]
fn an_empty_string_is_a_packet_not_a_goodbye() {
    // packet-stream-codec reads any empty body as the goodbye; only nine zeros are one here.
    let bytes = [0x01, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff];
    let decoded = PacketCodec
        .decode(&mut BytesMut::from(&bytes[..]))
        .expect("decode");
    let Some(Frame::Packet(packet)) = decoded else {
        panic!("{decoded:?}")
    };
    assert_eq!(
        (packet.body_type, packet.req, packet.body.len()),
        (BodyType::Utf8, -1, 0)
    );
}

#[test]
fn unknown_types_and_huge_bodies_are_refused_from_the_header() {
    let mut unknown = BytesMut::from(&[0x03, 0, 0, 0, 1, 0, 0, 0, 1][..]);
    let error = PacketCodec.decode(&mut unknown).expect_err("type 3");
    assert_eq!(error.to_string(), "packet 1: unknown body type 3");

    let len = (MAX_BODY as u32 + 1).to_be_bytes();
    let mut huge = BytesMut::from(&[0x02, len[0], len[1], len[2], len[3], 0, 0, 0, 2][..]);
    let error = PacketCodec.decode(&mut huge).expect_err("too long");
    assert_eq!(
        error.to_string(),
        format!("packet 2: body of {} bytes, over {MAX_BODY}", MAX_BODY + 1)
    );
}

/// Runs the example with `args`: its result and what it printed on stdout.
async fn ssb_rpc(args: &[&str]) -> (Result<(), example::Failure>, String) {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let mut out = Vec::new();
    let result = example::run(&args, &mut out).await;
    (result, String::from_utf8(out).expect("UTF-8 output"))
}

/// A JS secret-stack node with identity `seed`: the process and its `listening` event.
async fn js_node(js: Node, seed: u8) -> (JsPeer, Value) {
    let mut node = JsPeer::spawn(
        js,
        "stack_node.js",
        json!({"role": "server", "seed": crate::common::hex(&[seed; 32])}),
    );
    let listening = node.event().await;
    assert_eq!(listening["event"], "listening", "{listening}");
    assert_eq!(
        listening["id"].as_str(),
        Some(&*Keypair::from_seed(&[seed; 32]).public().to_ssb_id())
    );
    (node, listening)
}

async fn calls_a_js_node(js: Node, transport: &str) {
    let (mut node, listening) = js_node(js, 7).await;
    let address = listening[transport].as_str().expect("address");
    let id = listening["id"].as_str().expect("id");

    let (result, out) = ssb_rpc(&[address, "whoami"]).await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(out, format!("{{\"id\":\"{id}\"}}\n"));

    let (result, out) = ssb_rpc(&[address, "greet.hello", r#"["rust"]"#]).await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(out, "\"Hello, rust!\"\n");

    let (result, out) = ssb_rpc(&[address, "greet.nope", "[]"]).await;
    let failure = result.expect_err("an error answer");
    assert_eq!(failure.exit_code(), 1);
    assert_eq!(
        failure.to_string(),
        "greet.nope answered with an error: Error: method:greet,nope is not in list of allowed methods"
    );
    assert_eq!(out, "");

    // Each call was one connection, which the node saw open and close.
    for _ in 0..3 {
        assert_eq!(node.event().await["event"], "connected");
        assert_eq!(node.event().await["event"], "closed");
    }
}

#[tokio::test]
async fn calls_a_js_node_over_tcp() {
    let Some(node) = crate::common::node::require() else {
        return;
    };
    calls_a_js_node(node, "net").await;
}

#[tokio::test]
async fn calls_a_js_node_over_websocket() {
    let Some(node) = crate::common::node::require() else {
        return;
    };
    calls_a_js_node(node, "ws").await;
}

#[tokio::test]
async fn calls_with_the_identity_of_a_secret_file_and_any_address_of_a_list() {
    let Some(node) = crate::common::node::require() else {
        return;
    };
    let (mut node, listening) = js_node(node, 8).await;
    let dir = TempDir::new("ssb_rpc_secret");
    let secret = dir.path().join("secret");
    let ours = Keypair::from_seed(&[9; 32]);
    std::fs::write(&secret, ours.to_ssb_secret()).expect("write the secret file");
    let list = format!(
        "{};{}",
        listening["ws"].as_str().unwrap(),
        listening["net"].as_str().unwrap()
    );

    let args = [
        "--secret",
        secret.to_str().unwrap(),
        &list,
        "greet.hello",
        r#"["file"]"#,
    ];
    let (result, out) = ssb_rpc(&args).await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(out, "\"Hello, file!\"\n");
    let connected = node.event().await;
    assert_eq!(
        connected,
        json!({"event": "connected", "id": ours.public().to_ssb_id()})
    );
}

#[tokio::test]
async fn bad_command_lines_exit_2_without_dialling() {
    let cases: [(&[&str], &str); 6] = [
        (&["net:x:1~shs:k"], "expected ADDRESS METHOD [JSON_ARGS]"),
        (
            &["a", "b", "[]", "d"],
            "expected ADDRESS METHOD [JSON_ARGS]",
        ),
        (
            &["a", "greet..hello"],
            r#"not a method name: "greet..hello""#,
        ),
        (&["a", "m", "{}"], "JSON_ARGS is not a JSON array: {}"),
        (&["--serve"], "--serve needs a value"),
        (&["--ws", "0", "a", "m"], "--ws goes with --serve"),
    ];
    for (args, problem) in cases {
        let (result, out) = ssb_rpc(args).await;
        let failure = result.expect_err("a usage error");
        assert_eq!(failure.exit_code(), 2, "{args:?}: {failure}");
        let message = failure.to_string();
        assert_eq!(message.lines().next(), Some(problem));
        assert!(message.contains("\nusage: ssb_rpc"), "{message}");
        assert_eq!(out, "");
    }
}

#[tokio::test]
async fn a_failed_dial_exits_1_and_prints_nothing() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("address").port();
    drop(closed);
    let key = Keypair::from_seed(&[1; 32]).public().to_base64();
    let (result, out) = ssb_rpc(&[&format!("net:127.0.0.1:{port}~shs:{key}"), "whoami"]).await;
    let failure = result.expect_err("nobody listens");
    assert_eq!(failure.exit_code(), 1, "{failure}");
    assert!(matches!(failure, example::Failure::Failed(_)), "{failure}");
    assert_eq!(out, "");
}

/// `std::io::Write` into a channel: the server's stdout, read while it runs.
struct Lines(mpsc::UnboundedSender<Vec<u8>>);

impl std::io::Write for Lines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let _ = self.0.send(bytes.to_vec());
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The example's server, running in this process with the identity `keypair`.
struct Serving {
    net: String,
    ws: String,
    lines: mpsc::UnboundedReceiver<Vec<u8>>,
    pending: Vec<u8>,
    task: tokio::task::JoinHandle<Result<(), String>>,
    _dir: TempDir,
}

impl Serving {
    /// Starts `ssb_rpc --secret FILE --serve 0 --ws 127.0.0.1:0` and reads its address.
    async fn start(keypair: &Keypair) -> Serving {
        let dir = TempDir::new(&format!("ssb_rpc_serve_{}", keypair.public().to_hex()));
        let secret = dir.path().join("secret");
        std::fs::write(&secret, keypair.to_ssb_secret()).expect("write the secret file");
        let secret = secret.to_str().expect("UTF-8 path").to_owned();
        let args = ["--secret", &secret, "--serve", "0", "--ws", "127.0.0.1:0"].map(String::from);
        let (tx, lines) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            example::run(&args, Lines(tx))
                .await
                .map_err(|e| e.to_string())
        });
        let mut serving = Serving {
            net: String::new(),
            ws: String::new(),
            lines,
            pending: vec![],
            task,
            _dir: dir,
        };

        let address = serving.next_line().await;
        let key = keypair.public().to_base64();
        let (net, ws) = address.split_once(';').expect("net;ws");
        for (part, scheme) in [(net, "net:127.0.0.1:"), (ws, "ws://127.0.0.1:")] {
            let port = part
                .strip_prefix(scheme)
                .and_then(|rest| rest.strip_suffix(&format!("~shs:{key}")));
            assert!(port.is_some_and(|p| p.parse::<u16>().is_ok()), "{address}");
        }
        (serving.net, serving.ws) = (net.to_owned(), ws.to_owned());
        serving
    }

    /// The next line the server prints.
    async fn next_line(&mut self) -> String {
        loop {
            if let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=end).collect();
                return String::from_utf8(line)
                    .expect("UTF-8")
                    .trim_end()
                    .to_owned();
            }
            let more =
                tokio::time::timeout(std::time::Duration::from_secs(30), self.lines.recv()).await;
            self.pending
                .extend(more.expect("a line within 30 s").expect("the server ended"));
        }
    }

    /// The next client's line, `ADDRESS OUTCOME`: the outcome.
    async fn next_client(&mut self) -> String {
        let line = self.next_line().await;
        let (peer, outcome) = line.split_once(' ').expect("ADDRESS OUTCOME");
        assert!(peer.starts_with("127.0.0.1:"), "{line}");
        outcome.to_owned()
    }

    fn stop(self) {
        assert!(!self.task.is_finished(), "the server stopped");
        self.task.abort();
    }
}

#[tokio::test]
async fn our_client_and_server_close_both_layers_cleanly() {
    let server = Keypair::from_seed(&[12; 32]);
    let mut serving = Serving::start(&server).await;
    let (net, ws) = (serving.net.clone(), serving.ws.clone());
    for (address, ending) in [
        (&net, "closed cleanly"),
        (&ws, "closed with the WebSocket Close"),
    ] {
        let (result, out) = ssb_rpc(&[address, "greet.hello", r#"["rust"]"#]).await;
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(out, "\"Hello, rust!\"\n");
        let outcome = serving.next_client().await;
        assert!(
            outcome.ends_with(&format!(": 1 answered, {ending}")),
            "{outcome}"
        );

        let (result, out) = ssb_rpc(&[address, "whoami"]).await;
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(
            out,
            format!("{{\"id\":\"{}\"}}\n", server.public().to_ssb_id())
        );
        let outcome = serving.next_client().await;
        assert!(
            outcome.ends_with(&format!(": 1 answered, {ending}")),
            "{outcome}"
        );

        let (result, out) = ssb_rpc(&[address, "greet.hello"]).await;
        let failure = result.expect_err("no name");
        assert_eq!(
            failure.to_string(),
            "greet.hello answered with an error: Error: greet.hello takes a name"
        );
        assert_eq!(out, "");
        let outcome = serving.next_client().await;
        assert!(
            outcome.ends_with(&format!(": 1 answered, {ending}")),
            "{outcome}"
        );
    }
    serving.stop();
}

#[tokio::test]
async fn answers_a_js_client_over_tcp_and_websocket() {
    let Some(node) = crate::common::node::require() else {
        return;
    };
    let server = Keypair::from_seed(&[10; 32]);
    let mut serving = Serving::start(&server).await;
    let client_seed = [11; 32];
    let client_id = Keypair::from_seed(&client_seed).public().to_ssb_id();
    for (address, ending) in [
        // JS muxrpc, having sent its packet-stream goodbye, hangs up without box-stream's.
        (serving.net.clone(), "then the peer hung up"),
        (serving.ws.clone(), "closed with the WebSocket Close"),
    ] {
        let calls = json!([["whoami", []], ["greet.hello", ["js"]], ["greet.nope", []]]);
        let config = json!({"role": "client", "seed": crate::common::hex(&client_seed), "address": address, "calls": calls});
        let mut client = JsPeer::spawn(node, "stack_node.js", config);
        let expected = [
            json!({"event": "connected", "id": server.public().to_ssb_id()}),
            json!({"event": "answer", "method": "whoami", "value": {"id": server.public().to_ssb_id()}}),
            json!({"event": "answer", "method": "greet.hello", "value": "Hello, js!"}),
            json!({"event": "error", "method": "greet.nope", "name": "Error", "message": "no method greet.nope here"}),
            json!({"event": "closed", "error": null}),
        ];
        for event in expected {
            assert_eq!(client.event().await, event);
        }
        let status = client.child.wait().await.expect("JS client exit");
        assert!(status.success(), "{status}");
        assert_eq!(
            serving.next_client().await,
            format!("{client_id}: 3 answered, {ending}")
        );
    }
    serving.stop();
}
