//! `shs-cat connect ws://…` and `shs-cat listen --ws` against each other and against the JS
//! multiserver ws + shs plugins (tests/interop/ws_peer.js; these need Node.js and npm), and
//! the WebSocket Close seen by a library peer.

mod support;

use secret_handshake::multiserver::MultiserverAddress;
use secret_handshake::websocket::{self, WsTransport};
use secret_handshake::{AllowAll, BoxStream, Client, Keypair, NetworkKey, Server};
use serde_json::{json, Value};
use support::common::Node;
use support::js::{self, assert_done, assert_ws_peer_exits_promptly, main_net_hex};
use support::session::{addr, connect, connected_to, fresh_id, listen, ws_addr};
use support::{assert_bytes_eq, in_runtime, pattern, Finished, DEADLINE};
use support::{Proc, TempDir};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const KIB_100: usize = 100 * 1024;
const MIB: usize = 1024 * 1024;

/// The `-v` line for `what` (`sent` or `received`) says `bytes`.
fn assert_counted(run: &Finished, what: &str, bytes: usize) {
    let line = run.stderr_after(&format!("{what} "));
    assert!(
        line.is_some_and(|l| l.starts_with(&format!("{bytes} bytes in "))),
        "{}: no `{what} {bytes} bytes` line: {:?}",
        run.name,
        run.stderr
    );
}

// ---- shs-cat against itself --------------------------------------------------------------

#[test]
fn listen_ws_and_connect_ws_pipe_both_ways() {
    let home = TempDir::new("ws-both-ways");
    let to_client = pattern(KIB_100, 11);
    let to_server = pattern(KIB_100, 12);
    // `listen` reads the first stderr line: `listening on 127.0.0.1:PORT as ID`.
    let (server, port, server_id) = listen(&home, &["--ws", "-v"], to_client.clone());
    assert_ne!(port, 0, "the listening line shows the real port");
    let client = connect(
        &home,
        &[&ws_addr(port, &server_id), "-v"],
        to_server.clone(),
    );
    let server = server.finish();
    client.assert_success();
    server.assert_success();
    assert_bytes_eq("client stdout", &client.stdout, &to_client);
    assert_bytes_eq("server stdout", &server.stdout, &to_server);
    assert_eq!(connected_to(&client), server_id);
    assert_eq!(connected_to(&server), fresh_id(&client));
    for (run, sent, received) in [(&client, KIB_100, KIB_100), (&server, KIB_100, KIB_100)] {
        assert_counted(run, "sent", sent);
        assert_counted(run, "received", received);
    }
}

#[test]
fn either_side_may_end_first_over_ws_and_nothing_is_lost() {
    let home = TempDir::new("ws-ends");
    let data = pattern(MIB, 13);
    // The server's goodbye goes out at once, before the client has sent anything.
    let (server, port, server_id) = listen(&home, &["--ws"], Vec::new());
    let client = connect(&home, &[&ws_addr(port, &server_id)], data.clone());
    let server = server.finish();
    client.assert_success();
    server.assert_success();
    assert!(client.stdout.is_empty());
    assert_bytes_eq("server stdout", &server.stdout, &data);

    // And the client's goodbye first.
    let (server, port, server_id) = listen(&home, &["--ws"], data.clone());
    let client = connect(&home, &[&ws_addr(port, &server_id)], Vec::new());
    let server = server.finish();
    client.assert_success();
    server.assert_success();
    assert_bytes_eq("client stdout", &client.stdout, &data);
    assert!(server.stdout.is_empty());
}

#[test]
fn wrong_keys_over_ws_name_the_phase() {
    let home = TempDir::new("ws-wrong-keys");
    let (server, port, server_id) = listen(&home, &["--ws"], Vec::new());
    let other_network = "ab".repeat(32);
    let client = connect(
        &home,
        &[&ws_addr(port, &server_id), "--network-key", &other_network],
        b"unseen".to_vec(),
    );
    client.assert_failure("handshake failed (phase 1)");
    server.finish().assert_failure("handshake failed (phase 1)");

    let (server, port, _) = listen(&home, &["--ws"], Vec::new());
    let someone_else = *Keypair::generate().public();
    let client = connect(&home, &[&ws_addr(port, &someone_else)], b"unseen".to_vec());
    client.assert_failure("handshake failed (phase 3)");
    let server = server.finish();
    server.assert_failure("handshake failed (phase 3)");
    assert!(server.stdout.is_empty());
}

#[test]
fn allow_keep_open_and_invites_work_over_ws() {
    let home = TempDir::new("ws-keep-open");
    let seed = [9u8; 32];
    let invited = *Keypair::from_seed(&seed).public();
    let (mut server, port, server_id) = listen(
        &home,
        &["--ws", "--keep-open", "--allow", &invited.to_ssb_id()],
        b"stdin goes to the first session".to_vec(),
    );
    let stranger = connect(&home, &[&ws_addr(port, &server_id)], Vec::new());
    stranger.assert_failure("phase 3");
    let rejected = server.stderr_line_starting("shs-cat: ");
    assert!(
        rejected.starts_with("shs-cat: handshake failed (phase 3): client is not authorized"),
        "{rejected}"
    );

    let invite = MultiserverAddress::ws("127.0.0.1", port, server_id)
        .with_seed(seed)
        .to_string();
    assert!(invite.starts_with("ws://"), "{invite}");
    let first = connect(&home, &[&invite], b"one ".to_vec());
    first.assert_success();
    assert_eq!(first.stdout, b"stdin goes to the first session");
    assert_eq!(
        first.stderr_after("using the invite's identity "),
        Some(invited.to_ssb_id().as_str())
    );
    let second = connect(&home, &[&invite], b"two".to_vec());
    second.assert_success();
    assert!(second.stdout.is_empty());
    // Sessions run one at a time: once a third is through, the second's data is on stdout.
    connect(&home, &[&invite], Vec::new()).assert_success();

    let server = server.kill();
    assert_eq!(server.stdout, b"one two");
    let sessions = server
        .stderr
        .iter()
        .filter(|l| l.starts_with("connected: "));
    assert_eq!(sessions.count(), 3, "{:?}", server.stderr);
}

#[test]
fn ws_and_tcp_do_not_mix_and_say_where_it_failed() {
    let home = TempDir::new("ws-tcp-mix");
    // A WebSocket client at a TCP listener: the upgrade fails.
    let (server, port, server_id) = listen(&home, &[], Vec::new());
    let client = connect(&home, &[&ws_addr(port, &server_id)], Vec::new());
    client.assert_failure(&format!(
        "cannot connect to 127.0.0.1:{port}: WebSocket upgrade failed"
    ));
    let server = server.finish();
    server.assert_failure("handshake failed (phase 1)");
    server.assert_failure("the client sent an HTTP request: is it dialling ws://");

    // A TCP client at a WebSocket listener: its hello is no HTTP request. The listener
    // answers in HTTP, so the client can tell, too.
    let (server, port, server_id) = listen(&home, &["--ws"], Vec::new());
    let client = connect(
        &home,
        &[&addr(port), "--server-key", &server_id.to_ssb_id()],
        Vec::new(),
    );
    client.assert_failure("handshake failed (phase");
    client.assert_failure("the peer answered in HTTP: is it a WebSocket (ws://) endpoint?");
    server.finish().assert_failure(
        "WebSocket upgrade failed: the client did not send an HTTP request: a secret-handshake \
         client dialling a net: address?",
    );
}

#[test]
fn a_server_that_never_answers_the_upgrade_is_given_up_on() {
    let home = TempDir::new("ws-silent");
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("local address").port();
    let someone = *Keypair::generate().public();
    // Accepted by the kernel's backlog; nothing is ever read or written.
    let client = connect(&home, &[&ws_addr(port, &someone)], Vec::new());
    client.assert_failure(&format!(
        "cannot connect to 127.0.0.1:{port}: WebSocket upgrade failed: no answer within 5 s"
    ));
    drop(silent);
}

// ---- the WebSocket Close, seen by a library peer ------------------------------------------

/// Sends `data` and the goodbye, reads up to the peer's goodbye, then closes the WebSocket.
/// Returns what arrived and, if the close went well, whether the peer sent a WebSocket Close
/// of its own.
async fn library_session<S>(
    mut stream: BoxStream<WsTransport<S>>,
    data: &[u8],
) -> (Vec<u8>, std::io::Result<bool>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    stream.write_all(data).await.expect("write");
    stream.shutdown().await.expect("goodbye");
    let mut received = Vec::new();
    stream.read_to_end(&mut received).await.expect("goodbye");
    let close = stream.close().await;
    (
        received,
        close.map(|()| stream.get_ref().is_closed_by_peer()),
    )
}

#[test]
fn after_both_goodbyes_shs_cat_sends_a_websocket_close() {
    let home = TempDir::new("ws-close");
    // listen --ws, with a library client.
    let (server, port, server_id) = listen(&home, &["--ws"], b"to rust".to_vec());
    let ms: MultiserverAddress = ws_addr(port, &server_id).parse().expect("ws address");
    let client = in_runtime(async move {
        let client = Client::new(Keypair::generate(), NetworkKey::ssb_main_net());
        let url = format!("ws://{}/", ms.socket_address());
        let ws = websocket::open(&url, &Default::default())
            .await
            .expect("open");
        let stream = client.connect(ws, &ms.key).await.expect("connect");
        library_session(stream, b"from rust").await
    });
    let (received, peer_closed) = client.join().expect("client thread");
    let server = server.finish();
    server.assert_success();
    assert_eq!(received, b"to rust");
    assert_eq!(server.stdout, b"from rust");
    assert!(
        matches!(peer_closed, Ok(true)),
        "listen --ws dropped the connection without a Close: {peer_closed:?}"
    );

    // connect ws://…, with a library server.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("local address").port();
    let keys = Keypair::generate();
    let server_id = *keys.public();
    let server = in_runtime(async move {
        listener.set_nonblocking(true).expect("non-blocking");
        let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
        let (tcp, _) = listener.accept().await.expect("accept");
        let server = Server::new(keys, NetworkKey::ssb_main_net(), AllowAll);
        let stream = websocket::accept(&server, tcp).await.expect("handshake");
        library_session(stream, b"to shs-cat").await
    });
    let client = connect(
        &home,
        &[&ws_addr(port, &server_id)],
        b"from shs-cat".to_vec(),
    );
    let (received, peer_closed) = server.join().expect("server thread");
    client.assert_success();
    assert_eq!(client.stdout, b"to shs-cat");
    assert_eq!(received, b"from shs-cat");
    assert!(
        matches!(peer_closed, Ok(true)),
        "connect dropped the connection without a Close: {peer_closed:?}"
    );
}

// ---- shs-cat against the JS multiserver ws plugin ----------------------------------------

/// A JS multiserver ws + shs server, and the `ws://` address it announces.
fn js_server(node: Node, seed: u8, extra: Value) -> (Proc, String) {
    let mut config = json!({
        "role": "server",
        "network_key": main_net_hex(),
        "seed": format!("{seed:02x}").repeat(32),
        "timeout_ms": DEADLINE.as_millis() as u64,
    });
    merge(&mut config, extra);
    let mut js = js::ws_peer(node, config);
    let listening = js::event(&mut js, "listening");
    let address = listening["address"].as_str().expect("address").to_owned();
    assert!(address.starts_with("ws://127.0.0.1:"), "{listening}");
    (js, address)
}

fn js_client(node: Node, address: &str, extra: Value) -> Proc {
    let mut config = json!({
        "role": "client",
        "network_key": main_net_hex(),
        "seed": "16".repeat(32),
        "address": address,
        "timeout_ms": DEADLINE.as_millis() as u64,
    });
    merge(&mut config, extra);
    js::ws_peer(node, config)
}

fn merge(config: &mut Value, extra: Value) {
    if let (Some(config), Value::Object(extra)) = (config.as_object_mut(), extra) {
        config.extend(extra);
    }
}

#[test]
fn connect_ws_to_the_js_server() {
    let Some(node) = support::common::node::require() else {
        return;
    };
    let home = TempDir::new("ws-js-server");
    let (mut js, address) = js_server(node, 0x14, json!({"send_bytes": 100_000}));
    let input = pattern(KIB_100, 14);
    let client = connect(&home, &[&address], input.clone());
    client.assert_success();
    assert_eq!(
        connected_to(&client),
        *Keypair::from_seed(&[0x14; 32]).public()
    );
    let connected = js::event(&mut js, "connected");
    assert_eq!(connected["remote"], fresh_id(&client).to_hex());
    let done = js::event(&mut js, "done");
    assert_done(&done, &client.stdout, &input);
    assert_ws_peer_exits_promptly(js);
}

#[test]
fn the_js_ws_client_connects_to_listen_ws() {
    let Some(node) = support::common::node::require() else {
        return;
    };
    let home = TempDir::new("ws-js-client");
    let input = pattern(KIB_100, 15);
    let (server, port, server_id) = listen(&home, &["--ws"], input.clone());
    let mut js = js_client(
        node,
        &ws_addr(port, &server_id),
        json!({"send_bytes": 100_000}),
    );
    let connected = js::event(&mut js, "connected");
    assert_eq!(connected["remote"], server_id.to_hex());
    let done = js::event(&mut js, "done");
    let server = server.finish();
    server.assert_success();
    let js_id = Keypair::from_seed(&[0x16; 32]).public().to_ssb_id();
    assert_eq!(server.stderr_after("connected: "), Some(js_id.as_str()));
    assert_done(&done, &server.stdout, &input);
    assert_ws_peer_exits_promptly(js);
}

#[test]
fn the_js_side_may_end_first_and_still_gets_everything() {
    let Some(node) = support::common::node::require() else {
        return;
    };
    // The JS plugin sends its goodbye and at once its WebSocket Close; shs-cat still sends
    // all of stdin after that, and only then closes.
    let home = TempDir::new("ws-js-ends-first");
    let input = pattern(MIB, 17);
    let (mut js, address) = js_server(node, 0x17, json!({}));
    let client = connect(&home, &[&address], input.clone());
    client.assert_success();
    js::event(&mut js, "connected");
    assert_done(&js::event(&mut js, "done"), &[], &input);
    assert_ws_peer_exits_promptly(js);

    let (server, port, server_id) = listen(&home, &["--ws"], input.clone());
    let mut js = js_client(node, &ws_addr(port, &server_id), json!({}));
    js::event(&mut js, "connected");
    assert_done(&js::event(&mut js, "done"), &[], &input);
    server.finish().assert_success();
    assert_ws_peer_exits_promptly(js);
}

#[test]
fn wrong_keys_with_the_js_ws_peers_name_the_phase() {
    let Some(node) = support::common::node::require() else {
        return;
    };
    let home = TempDir::new("ws-js-wrong-keys");
    let (mut js, address) = js_server(node, 0x18, json!({}));
    let other_network = "ab".repeat(32);
    let client = connect(
        &home,
        &[&address, "--network-key", &other_network],
        b"unseen".to_vec(),
    );
    client.assert_failure("handshake failed (phase 1)");
    let failed = js::event(&mut js, "handshake_failed");
    assert!(
        failed["error"]
            .as_str()
            .is_some_and(|e| e.contains("(phase 1)")),
        "{failed}"
    );

    // The JS client dials listen --ws with a key that is not the server's.
    let (server, port, _) = listen(&home, &["--ws"], Vec::new());
    let wrong = *Keypair::generate().public();
    let mut js = js_client(node, &ws_addr(port, &wrong), json!({}));
    let failed = js::event(&mut js, "handshake_failed");
    assert!(
        failed["error"]
            .as_str()
            .is_some_and(|e| e.contains("(phase 3)")),
        "{failed}"
    );
    server.finish().assert_failure("handshake failed (phase 3)");
}
