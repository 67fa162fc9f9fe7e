//! Live interop with the JS reference (secret-handshake@1.1.21 + pull-box-stream@1.0.13) over
//! loopback TCP, in both roles. The Node side is `tests/interop/peer.js`; node and npm are
//! required, and the packages are installed from `tests/interop/package-lock.json` on first use.

use crate::common;

use crate::{check_done, merge};
use common::js_peer::JsPeer;
use common::Node;
use common::{hex, net, payload};
use secret_handshake::{
    AllowAll, AllowList, Authorize, BoxStream, Client, HandshakeError, Keypair, NetworkKey, Phase,
    PublicKey, Server,
};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const KIB: usize = 1024;

impl JsPeer {
    /// Skips to the peer's final event (`done` or `handshake_failed`) and waits for its exit.
    async fn outcome(mut self) -> Value {
        loop {
            let event = self.event().await;
            match event["event"].as_str() {
                Some("connected") | Some("listening") => continue,
                Some("done") | Some("handshake_failed") => {
                    let status = self.child.wait().await.expect("JS peer exit");
                    assert!(status.success(), "JS peer exited with {status}: {event}");
                    return event;
                }
                _ => panic!("JS peer failed: {event}"),
            }
        }
    }
}

/// A JS server, listening; returns it with its port and key.
async fn js_server(node: Node, seed: [u8; 32], extra: Value) -> (JsPeer, u16, PublicKey) {
    let mut config = json!({"role": "server", "network_key": net().to_hex(), "seed": hex(&seed)});
    merge(&mut config, extra);
    let mut peer = JsPeer::spawn(node, "peer.js", config);
    let listening = peer.event().await;
    assert_eq!(listening["event"], "listening", "{listening}");
    let port = listening["port"].as_u64().expect("port") as u16;
    let key = PublicKey::from_hex(listening["public_key"].as_str().expect("key")).expect("hex");
    assert_eq!(&key, Keypair::from_seed(&seed).public());
    (peer, port, key)
}

/// A JS client dialling `port`.
fn js_client(node: Node, port: u16, server: &PublicKey, extra: Value) -> JsPeer {
    let mut config = json!({
        "role": "client", "network_key": net().to_hex(), "seed": hex(&[3; 32]),
        "port": port, "server_pk": server.to_hex(),
    });
    merge(&mut config, extra);
    JsPeer::spawn(node, "peer.js", config)
}

/// Sends `data` and receives everything at the same time. With `after_peer`, our goodbye
/// waits for the peer's. Returns what was received.
async fn exchange<IO>(stream: BoxStream<IO>, data: Vec<u8>, after_peer: bool) -> Vec<u8>
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut reader, mut writer) = stream.into_split();
    let (peer_done_tx, peer_done_rx) = tokio::sync::oneshot::channel();
    let sender = tokio::spawn(async move {
        writer.write_all(&data).await.expect("write");
        writer.flush().await.expect("flush");
        if after_peer {
            let _ = peer_done_rx.await;
        }
        writer.shutdown().await.expect("goodbye");
    });
    let mut received = Vec::new();
    reader
        .read_to_end(&mut received)
        .await
        .expect("clean end with goodbye");
    assert!(reader.is_ended());
    let _ = peer_done_tx.send(());
    sender.await.expect("sender");
    received
}

const SIZES: [usize; 7] = [0, 1, 4095, 4096, 4097, 100 * KIB, 8 * KIB * KIB];

#[tokio::test]
async fn our_client_with_the_js_server_both_directions_at_once() {
    let Some(node) = common::node::require() else {
        return;
    };
    for (i, size) in SIZES.into_iter().enumerate() {
        let (js, port, key) = js_server(node, [1; 32], json!({"send_bytes": size})).await;
        let client = Client::new(Keypair::generate(), net());
        let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let stream = client.connect(tcp, &key).await.expect("handshake with JS");
        assert_eq!(stream.peer_key(), &key);
        let data = payload(size, i as u64);
        let received = exchange(stream, data.clone(), false).await;
        check_done(
            &js.outcome().await,
            &data,
            &received,
            &format!("{size} bytes"),
        );
    }
}

#[tokio::test]
async fn the_js_client_with_our_server_both_directions_at_once() {
    let Some(node) = common::node::require() else {
        return;
    };
    for (i, size) in SIZES.into_iter().enumerate() {
        let server = Server::new(Keypair::generate(), net(), AllowAll);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let js = js_client(node, port, server.identity(), json!({"send_bytes": size}));
        let (tcp, _) = listener.accept().await.unwrap();
        let stream = server.accept(tcp).await.expect("handshake with JS");
        assert_eq!(stream.peer_key(), Keypair::from_seed(&[3; 32]).public());
        let data = payload(size, 100 + i as u64);
        let received = exchange(stream, data.clone(), false).await;
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
    // (JS ends only after our goodbye, we end first) and (JS ends first, we answer).
    for js_waits in [true, false] {
        let end = if js_waits {
            "after_peer_end"
        } else {
            "after_send"
        };
        let (js, port, key) =
            js_server(node, [2; 32], json!({"send_bytes": 5000, "end": end})).await;
        let client = Client::new(Keypair::generate(), net());
        let stream = client
            .connect(TcpStream::connect(("127.0.0.1", port)).await.unwrap(), &key)
            .await
            .unwrap();
        let data = payload(3000, 7);
        let received = exchange(stream, data.clone(), !js_waits).await;
        check_done(&js.outcome().await, &data, &received, end);

        let server = Server::new(Keypair::generate(), net(), AllowAll);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let js = js_client(
            node,
            port,
            server.identity(),
            json!({"send_bytes": 5000, "end": end}),
        );
        let stream = server
            .accept(listener.accept().await.unwrap().0)
            .await
            .unwrap();
        let received = exchange(stream, data.clone(), !js_waits).await;
        check_done(&js.outcome().await, &data, &received, end);
    }
}

#[tokio::test]
async fn the_js_server_rejecting_us_is_reported_as_phase_3() {
    let Some(node) = common::node::require() else {
        return;
    };
    for policy in ["reject", "error"] {
        let (js, port, key) = js_server(node, [4; 32], json!({"authorize": policy})).await;
        let client = Client::new(Keypair::generate(), net());
        let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let e = client.connect(tcp, &key).await.expect_err("rejected");
        assert!(
            matches!(e, HandshakeError::PeerClosed(Phase::ClientAuth)),
            "{policy}: {e:?}"
        );
        assert!(e.to_string().contains("(phase 3)"), "{e}");
        let outcome = js.outcome().await;
        assert_eq!(outcome["event"], "handshake_failed", "{outcome}");
    }
}

#[tokio::test]
async fn our_server_rejecting_the_js_client() {
    let Some(node) = common::node::require() else {
        return;
    };
    reject_js_client(
        node,
        Server::new(Keypair::generate(), net(), AllowList::new([])),
        "allow list",
    )
    .await;
    let failing = |_key: PublicKey| async { Err::<Option<()>, _>("authorizer down".to_string()) };
    reject_js_client(
        node,
        Server::new(Keypair::generate(), net(), failing),
        "error",
    )
    .await;
}

async fn reject_js_client<A: Authorize>(node: Node, server: Server<A>, what: &str) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let js = js_client(node, port, server.identity(), json!({}));
    let e = server
        .accept(listener.accept().await.unwrap().0)
        .await
        .expect_err(what);
    assert!(e.to_string().contains("(phase 3)"), "{what}: {e}");
    let outcome = js.outcome().await;
    assert_eq!(outcome["event"], "handshake_failed", "{outcome}");
    let message = outcome["error"].as_str().unwrap();
    assert!(message.contains("(phase 3)"), "{what}: JS said {message}");
}

#[tokio::test]
async fn wrong_network_key_each_way() {
    let Some(node) = common::node::require() else {
        return;
    };
    let other = NetworkKey::from_bytes([9; 32]);
    // Our client, other network, JS server.
    let (js, port, key) = js_server(node, [5; 32], json!({})).await;
    let client = Client::new(Keypair::generate(), other.clone());
    let e = client
        .connect(TcpStream::connect(("127.0.0.1", port)).await.unwrap(), &key)
        .await
        .expect_err("wrong network");
    assert!(
        matches!(e, HandshakeError::PeerClosed(Phase::ClientHello)),
        "{e:?}"
    );
    let outcome = js.outcome().await;
    assert!(
        outcome["error"].as_str().unwrap().contains("(phase 1)"),
        "{outcome}"
    );

    // JS client, other network, our server.
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let js = js_client(
        node,
        port,
        server.identity(),
        json!({"network_key": other.to_hex()}),
    );
    let e = server
        .accept(listener.accept().await.unwrap().0)
        .await
        .expect_err("wrong network");
    assert!(
        matches!(e, HandshakeError::InvalidHello(Phase::ClientHello)),
        "{e:?}"
    );
    let outcome = js.outcome().await;
    assert!(
        outcome["error"].as_str().unwrap().contains("(phase 1)"),
        "{outcome}"
    );
}

#[tokio::test]
async fn wrong_server_key_each_way() {
    let Some(node) = common::node::require() else {
        return;
    };
    let impostor = *Keypair::generate().public();
    // Our client dials the JS server with the wrong key.
    let (js, port, _key) = js_server(node, [6; 32], json!({})).await;
    let client = Client::new(Keypair::generate(), net());
    let e = client
        .connect(
            TcpStream::connect(("127.0.0.1", port)).await.unwrap(),
            &impostor,
        )
        .await
        .expect_err("wrong key");
    assert!(
        matches!(e, HandshakeError::PeerClosed(Phase::ClientAuth)),
        "{e:?}"
    );
    let outcome = js.outcome().await;
    assert!(
        outcome["error"].as_str().unwrap().contains("(phase 3)"),
        "{outcome}"
    );

    // The JS client dials our server with the wrong key.
    let server = Server::new(Keypair::generate(), net(), AllowAll);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let js = js_client(node, port, &impostor, json!({}));
    let e = server
        .accept(listener.accept().await.unwrap().0)
        .await
        .expect_err("wrong key");
    assert!(matches!(e, HandshakeError::InvalidClientAuth), "{e:?}");
    let outcome = js.outcome().await;
    assert!(
        outcome["error"].as_str().unwrap().contains("(phase 3)"),
        "{outcome}"
    );
}

#[tokio::test]
async fn a_js_client_with_a_seed_identity() {
    let Some(node) = common::node::require() else {
        return;
    };
    let seed = [8; 32];
    let expected = *Keypair::from_seed(&seed).public();
    let server = Server::new(Keypair::generate(), net(), AllowList::new([expected]));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let js = js_client(
        node,
        port,
        server.identity(),
        json!({"seed_identity": hex(&seed), "send_bytes": 10}),
    );
    let stream = server
        .accept(listener.accept().await.unwrap().0)
        .await
        .expect("seeded client");
    assert_eq!(stream.peer_key(), &expected);
    let received = exchange(stream, b"welcome".to_vec(), false).await;
    check_done(&js.outcome().await, b"welcome", &received, "seed identity");

    // And our client's seed identity against the JS server.
    let (js, port, key) = js_server(
        node,
        [10; 32],
        json!({"authorize": format!("allow:{}", expected.to_hex())}),
    )
    .await;
    let client = Client::new(Keypair::generate(), net()).with_seed_identity(&seed);
    let stream = client
        .connect(TcpStream::connect(("127.0.0.1", port)).await.unwrap(), &key)
        .await
        .expect("JS server allows the seeded identity");
    let received = exchange(stream, vec![], false).await;
    check_done(&js.outcome().await, &[], &received, "our seed identity");
}

/// Issue 20: a frame with no data. The JS reference's reader takes it as an empty chunk, and
/// ours skips it: never the end of the stream. The JS side boxes it with the reference's own
/// primitives (its writer drops empty writes); our hazmat sealer makes the same bytes.
#[test]
fn an_empty_frame_is_no_data_to_the_js_reference_and_to_us() {
    use bytes::BytesMut;
    use secret_handshake::boxstream::Frame;
    use secret_handshake::hazmat;

    let Some(node) = common::node::require() else {
        return;
    };
    let (key, nonce) = ([0x11; 32], [0xfe; 24]);
    let writes: [&[u8]; 5] = [b"", b"one", b"", b"two", b""];
    let config = json!({
        "key": hex(&key), "nonce": hex(&nonce),
        "writes": writes.iter().map(|w| hex(w)).collect::<Vec<_>>(),
    });
    let out = node
        .command("empty_frame.js")
        .arg(config.to_string())
        .output()
        .expect("running node");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let js: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(js["ended"], true, "the JS reader ended cleanly: {js}");
    assert_eq!(
        js["chunks"],
        json!(["", "6f6e65", "", "74776f", ""]),
        "{js}"
    );

    let mut sealer = hazmat::sealer_from_raw_parts(key, nonce);
    let mut wire = BytesMut::new();
    for write in writes {
        let len = u16::try_from(write.len()).unwrap();
        hazmat::seal_frame_claiming_length(&mut sealer, len, write, &mut wire);
    }
    sealer.seal_goodbye(&mut wire);
    assert_eq!(js["wire"], hex(&wire), "the same bytes as the JS boxing");

    let mut opener = hazmat::opener_from_raw_parts(key, nonce);
    let mut frames = Vec::new();
    while let Some(frame) = opener.open(&mut wire).expect("opens") {
        let end = frame == Frame::Goodbye;
        frames.push(frame);
        if end {
            break;
        }
    }
    let message = |m: &[u8]| Frame::Message(BytesMut::from(m));
    assert_eq!(frames, [message(b"one"), message(b"two"), Frame::Goodbye]);
}
