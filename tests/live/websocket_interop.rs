//! Live interop over WebSocket with the npm packages Scuttlebutt runs: `multiserver@3.8.2` with
//! its `ws` (pull-websocket 3.4.2 on ws 7) and `shs` plugins, in both roles, over loopback. The
//! Node side is `tests/interop/ws_peer.js`; node and npm are required, and the packages are
//! installed from `tests/interop/package-lock.json` on first use.

use crate::common;

use crate::{check_done, merge};
use common::js_peer::JsPeer;
use common::ws::{exchange, SIZES};
use common::Node;
use common::{hex, net, payload};
use secret_handshake::multiserver::{MultiserverAddress, TransportKind};
use secret_handshake::websocket::{self, Error, WsTransport};
use secret_handshake::{
    AllowAll, BoxStream, Client, HandshakeError, Keypair, NetworkKey, Phase, PublicKey, Server,
};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};

/// How long the JS process may take to exit after its session is done: ws waits 30 s for a
/// TCP connection the other side does not drop.
const EXIT_AFTER_DONE_MS: u64 = 3000;

/// How a multiserver peer's session ended (its own checks, beside `interop.rs`'s).
trait Outcome {
    async fn outcome(self) -> Value;
}

impl Outcome for JsPeer {
    /// The peer's final session event (`done`, `handshake_failed` or `connect_failed`), after
    /// checking that the process then exits by itself, successfully and promptly.
    async fn outcome(mut self) -> Value {
        let outcome = loop {
            let event = self.event().await;
            match event["event"].as_str() {
                Some("connected") | Some("listening") => continue,
                Some("done") | Some("handshake_failed") | Some("connect_failed") => break event,
                _ => panic!("JS peer failed: {event}"),
            }
        };
        let exit = self.event().await;
        assert_ne!(
            exit["event"], "harness_timeout",
            "the JS peer did not exit after {outcome}: its WebSocket or TCP connection was left open"
        );
        assert_eq!(exit["event"], "exit", "after {outcome}: {exit}");
        assert_eq!(exit["code"], 0, "after {outcome}: {exit}");
        if let Some(ms) = exit["after_done_ms"].as_u64() {
            assert!(
                ms < EXIT_AFTER_DONE_MS,
                "the JS peer took {ms} ms to exit after its session: the TCP connection was \
                 not dropped ({exit})"
            );
        }
        let status = self.child.wait().await.expect("JS peer exit");
        assert!(status.success(), "JS peer exited with {status}: {outcome}");
        outcome
    }
}

/// A JS multiserver ws+shs server, listening; returns it with the address it announces.
async fn js_server(node: Node, seed: u8, extra: Value) -> (JsPeer, MultiserverAddress) {
    let mut config =
        json!({"role": "server", "network_key": net().to_hex(), "seed": hex(&[seed; 32])});
    merge(&mut config, extra);
    let mut peer = JsPeer::spawn(node, "ws_peer.js", config);
    let listening = peer.event().await;
    assert_eq!(listening["event"], "listening", "{listening}");
    let announced = listening["address"].as_str().expect("address");
    let addr: MultiserverAddress = announced.parse().expect("multiserver's own ws address");
    assert_eq!(addr.transport, TransportKind::Ws);
    assert_eq!(addr.port as u64, listening["port"].as_u64().expect("port"));
    assert_eq!(&addr.key, Keypair::from_seed(&[seed; 32]).public());
    assert_eq!(
        addr.to_string(),
        announced,
        "we print it as multiserver does"
    );
    (peer, addr)
}

/// Our server on a loopback listener, and its `ws://` address for the JS client.
async fn our_server() -> (TcpListener, Server<AllowAll>, MultiserverAddress) {
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = MultiserverAddress::ws(
        "127.0.0.1",
        listener.local_addr().unwrap().port(),
        *server.identity(),
    );
    (listener, server, addr)
}

/// A JS multiserver ws+shs client dialling `address`.
fn js_client(node: Node, address: &str, extra: Value) -> JsPeer {
    let mut config = json!({
        "role": "client", "network_key": net().to_hex(), "seed": hex(&[3; 32]), "address": address,
    });
    merge(&mut config, extra);
    JsPeer::spawn(node, "ws_peer.js", config)
}

async fn accept_one(
    listener: &TcpListener,
    server: &Server<AllowAll>,
) -> Result<BoxStream<WsTransport<TcpStream>>, Error> {
    let (tcp, _) = listener.accept().await.unwrap();
    websocket::accept(server, tcp).await
}

#[tokio::test]
async fn our_client_with_the_js_ws_server_both_directions_at_once() {
    let Some(node) = common::node::require() else {
        return;
    };
    for (i, size) in SIZES.into_iter().enumerate() {
        let (js, addr) = js_server(node, 1, json!({"send_bytes": size})).await;
        let client = Client::new(Keypair::generate(), net());
        let stream = common::ws::connect(&client, &addr)
            .await
            .expect("connect to JS");
        assert_eq!(stream.peer_key(), &addr.key);
        let data = payload(size, i as u64);
        let (received, _closed) = exchange(stream, &data, false).await;
        check_done(
            &js.outcome().await,
            &data,
            &received,
            &format!("{size} bytes"),
        );
    }
}

#[tokio::test]
async fn the_js_ws_client_with_our_server_both_directions_at_once() {
    let Some(node) = common::node::require() else {
        return;
    };
    for (i, size) in SIZES.into_iter().enumerate() {
        let (listener, server, addr) = our_server().await;
        let js = js_client(node, &addr.to_string(), json!({"send_bytes": size}));
        let stream = accept_one(&listener, &server).await.expect("accept JS");
        assert_eq!(stream.peer_key(), Keypair::from_seed(&[3; 32]).public());
        let data = payload(size, 100 + i as u64);
        let (received, _closed) = exchange(stream, &data, false).await;
        check_done(
            &js.outcome().await,
            &data,
            &received,
            &format!("{size} bytes"),
        );
    }
}

#[tokio::test]
async fn clean_end_started_from_either_side() {
    let Some(node) = common::node::require() else {
        return;
    };
    // JS ends only after our goodbye (we end first), and JS ends first (goodbye, then at once
    // its WebSocket Close) before we send anything.
    for js_waits in [true, false] {
        let end = if js_waits {
            "after_peer_end"
        } else {
            "after_send"
        };
        let extra = json!({"send_bytes": 5000, "end": end});
        let data = payload(300 * 1024, 7);

        let (js, addr) = js_server(node, 2, extra.clone()).await;
        let client = Client::new(Keypair::generate(), net());
        let stream = common::ws::connect(&client, &addr).await.unwrap();
        let (received, _closed) = exchange(stream, &data, !js_waits).await;
        check_done(
            &js.outcome().await,
            &data,
            &received,
            &format!("JS server, {end}"),
        );

        let (listener, server, addr) = our_server().await;
        let js = js_client(node, &addr.to_string(), extra);
        let stream = accept_one(&listener, &server).await.unwrap();
        let (received, _closed) = exchange(stream, &data, !js_waits).await;
        check_done(
            &js.outcome().await,
            &data,
            &received,
            &format!("JS client, {end}"),
        );
    }
}

#[tokio::test]
async fn an_invite_address_dials_as_the_seed_identity() {
    let Some(node) = common::node::require() else {
        return;
    };
    let seed = [8; 32];
    let (listener, server, mut addr) = our_server().await;
    addr.seed = Some(seed);
    let js = js_client(node, &addr.to_string(), json!({}));
    let stream = accept_one(&listener, &server)
        .await
        .expect("seeded JS client");
    assert_eq!(stream.peer_key(), Keypair::from_seed(&seed).public());
    let (_, _closed) = exchange(stream, b"welcome", false).await;
    check_done(&js.outcome().await, b"welcome", &[], "JS invite");

    let (js, mut addr) = js_server(node, 10, json!({})).await;
    addr.seed = Some(seed);
    let client = Client::new(Keypair::generate(), net());
    let stream = common::ws::connect(&client, &addr)
        .await
        .expect("our invite");
    let (received, _closed) = exchange(stream, &[], false).await;
    let done = js.outcome().await;
    check_done(&done, &[], &received, "our invite");
}

/// Asserts that `error` is the handshake error `expected` describes, in `phase`.
fn assert_handshake_error(error: &Error, phase: Phase, expected: fn(&HandshakeError) -> bool) {
    assert!(
        matches!(error, Error::Handshake(e) if expected(e)),
        "{error:?}"
    );
    assert_eq!(error.phase(), Some(phase), "{error}");
    assert!(error.to_string().contains(&format!("({phase})")), "{error}");
}

fn assert_js_failed(outcome: &Value, phase: u8) {
    assert_eq!(outcome["event"], "handshake_failed", "{outcome}");
    let message = outcome["error"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("(phase {phase})")),
        "JS said {message}"
    );
}

#[tokio::test]
async fn wrong_network_key_each_way() {
    let Some(node) = common::node::require() else {
        return;
    };
    let other = NetworkKey::from_bytes([9; 32]);
    let (js, addr) = js_server(node, 5, json!({})).await;
    let client = Client::new(Keypair::generate(), other.clone());
    let e = common::ws::connect(&client, &addr)
        .await
        .expect_err("wrong network");
    assert_handshake_error(&e, Phase::ClientHello, |e| {
        matches!(e, HandshakeError::PeerClosed(Phase::ClientHello))
    });
    assert_js_failed(&js.outcome().await, 1);

    let (listener, server, addr) = our_server().await;
    let js = js_client(
        node,
        &addr.to_string(),
        json!({"network_key": other.to_hex()}),
    );
    let e = accept_one(&listener, &server)
        .await
        .expect_err("wrong network");
    assert_handshake_error(&e, Phase::ClientHello, |e| {
        matches!(e, HandshakeError::InvalidHello(Phase::ClientHello))
    });
    assert_js_failed(&js.outcome().await, 1);
}

#[tokio::test]
async fn wrong_server_key_each_way() {
    let Some(node) = common::node::require() else {
        return;
    };
    let impostor: PublicKey = *Keypair::generate().public();
    let (js, mut addr) = js_server(node, 6, json!({})).await;
    addr.key = impostor;
    let client = Client::new(Keypair::generate(), net());
    let e = common::ws::connect(&client, &addr)
        .await
        .expect_err("wrong key");
    assert_handshake_error(&e, Phase::ClientAuth, |e| {
        matches!(e, HandshakeError::PeerClosed(Phase::ClientAuth))
    });
    assert_js_failed(&js.outcome().await, 3);

    let (listener, server, mut addr) = our_server().await;
    addr.key = impostor;
    let js = js_client(node, &addr.to_string(), json!({}));
    let e = accept_one(&listener, &server).await.expect_err("wrong key");
    assert_handshake_error(&e, Phase::ClientAuth, |e| {
        matches!(e, HandshakeError::InvalidClientAuth)
    });
    assert_js_failed(&js.outcome().await, 3);
}

#[tokio::test]
async fn the_js_server_rejecting_us_is_reported_as_phase_3() {
    let Some(node) = common::node::require() else {
        return;
    };
    let (js, addr) = js_server(node, 4, json!({"authorize": "reject"})).await;
    let client = Client::new(Keypair::generate(), net());
    let e = common::ws::connect(&client, &addr)
        .await
        .expect_err("rejected");
    assert_handshake_error(&e, Phase::ClientAuth, |e| {
        matches!(e, HandshakeError::PeerClosed(Phase::ClientAuth))
    });
    assert_js_failed(&js.outcome().await, 4);
}

/// A `net:` client at the JS WebSocket port: Node answers our hello with an HTTP 400 and hangs
/// up, and we say the port is probably a WebSocket one.
#[tokio::test]
async fn dialling_the_js_websocket_port_as_net_says_so() {
    let Some(node) = common::node::require() else {
        return;
    };
    let (js, addr) = js_server(node, 11, json!({})).await;
    let net_addr = format!("net:127.0.0.1:{}~shs:{}", addr.port, addr.key.to_base64());
    let e = secret_handshake::dial::connect(&Client::new(Keypair::generate(), net()), &net_addr)
        .await
        .expect_err("a WebSocket port");
    let answer = e.attempts()[0].failure();
    assert!(
        matches!(
            answer,
            secret_handshake::dial::Failure::Handshake(HandshakeError::HttpReply)
        ),
        "{e}"
    );
    assert!(e.to_string().contains("ws://"), "{e}");
    drop(js);
}
