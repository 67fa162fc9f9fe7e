//! The dialler and the address printer against a live JS multiserver node (multiserver@3.8.2,
//! tests/interop/ms_node.js): the addresses it prints (net over IPv4 and IPv6, ws, unix, `;`
//! joined) round-trip and dial, and unix works both ways with shs and with noauth.

use crate::common;

use common::dial::{any_server, echo, exchange, unix_echo_server, TempDir};
use common::js_peer::JsPeer;
use common::Node;
use common::{hex, net};
use secret_handshake::dial;
use secret_handshake::multiserver::TransportKind;
use secret_handshake::multiserver::{parse_multiaddress, MultiserverAddress, NoauthAddress};
use secret_handshake::{Client, Keypair, PublicKey};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixListener;

const JS_SEED: [u8; 32] = [5; 32];

/// A JS node serving `plugs` ([{transport, transform, ...}]); returns it, what it printed as
/// its address, and its key.
async fn js_node(node: Node, plugs: Value) -> (JsPeer, String, PublicKey) {
    let config = json!({
        "role": "server", "network_key": net().to_hex(), "seed": hex(&JS_SEED), "plugs": plugs,
    });
    let mut peer = JsPeer::spawn(node, "ms_node.js", config);
    let listening = peer.event().await;
    assert_eq!(listening["event"], "listening", "{listening}");
    let address = listening["address"].as_str().expect("address").to_owned();
    let key = PublicKey::from_hex(listening["public_key"].as_str().unwrap()).unwrap();
    assert_eq!(&key, Keypair::from_seed(&JS_SEED).public());
    (peer, address, key)
}

/// A JS client dialling `address`, sending `send`; returns what came back.
async fn js_client(node: Node, address: &str, send: &str) -> String {
    let config = json!({
        "role": "client", "network_key": net().to_hex(), "seed": hex(&[6; 32]),
        "address": address, "send": send,
    });
    let mut client = JsPeer::spawn(node, "ms_node.js", config);
    let connected = client.event().await;
    assert_eq!(connected["event"], "connected", "{connected}");
    let done = client.event().await;
    assert_eq!(done["event"], "done", "{done}");
    assert_eq!(done["error"], Value::Null, "{done}");
    done["received"].as_str().expect("received").to_owned()
}

fn client() -> Client {
    Client::new(Keypair::generate(), net())
}

#[tokio::test]
async fn the_addresses_a_js_node_prints_round_trip_and_each_dials() {
    let Some(node) = common::node::require() else {
        return;
    };
    let dir = TempDir::new("js-node-all");
    let (mut js, printed, key) = js_node(
        node,
        json!([
            {"transport": "net", "transform": "shs"},
            {"transport": "net", "transform": "shs", "host": "::1"},
            {"transport": "ws", "transform": "shs"},
            {"transport": "unix", "transform": "shs", "dir": dir.path()},
        ]),
    )
    .await;

    // The printer writes exactly what multiserver writes.
    let parsed: Vec<MultiserverAddress> = MultiserverAddress::parse_list(&printed)
        .map(|a| a.unwrap_or_else(|e| panic!("{printed}: {e}")))
        .collect();
    let kinds: Vec<_> = parsed.iter().map(|a| a.transport).collect();
    use TransportKind::*;
    assert_eq!(kinds, [Net, Net, Ws, Unix], "{printed}");
    assert_eq!(parsed[1].host, "::1", "{printed}");
    assert_eq!(parsed[3].path, dir.file("socket"));
    assert!(parsed.iter().all(|a| a.key == key && a.seed.is_none()));
    let again: Vec<String> = parsed.iter().map(ToString::to_string).collect();
    assert_eq!(again.join(";"), printed);
    let generic: Vec<String> = parse_multiaddress(&printed)
        .map(|a| a.expect("grammar").to_string())
        .collect();
    assert_eq!(generic.join(";"), printed);

    // The whole list dials its first entry; each entry on its own dials its transport.
    let stream = dial::connect(&client(), &printed).await.expect("the list");
    assert_eq!(stream.get_ref().transport(), Net);
    assert_eq!(exchange(stream, b"the list").await, b"the list");
    for address in &parsed {
        let stream = dial::connect(&client(), &address.to_string())
            .await
            .unwrap_or_else(|e| panic!("{address}: {e}"));
        assert_eq!(stream.peer_key(), &key);
        assert_eq!(stream.get_ref().transport(), address.transport);
        let data = format!("over {address}");
        assert_eq!(exchange(stream, data.as_bytes()).await, data.as_bytes());
    }
    for _ in 0..1 + parsed.len() {
        let connected = js.event().await;
        assert_eq!(connected["event"], "connected", "{connected}");
    }
}

#[tokio::test]
async fn unix_with_shs_works_both_ways() {
    let Some(node) = common::node::require() else {
        return;
    };
    // We dial the JS node's socket.
    let js_dir = TempDir::new("js-unix-shs");
    let (_js, printed, key) = js_node(
        node,
        json!([{"transport": "unix", "transform": "shs", "dir": js_dir.path()}]),
    )
    .await;
    assert_eq!(
        printed,
        format!("unix:{}~shs:{}", js_dir.file("socket"), key.to_base64())
    );
    let stream = dial::connect(&client(), &printed)
        .await
        .expect("dial the JS socket");
    assert_eq!(
        exchange(stream, b"to js over unix").await,
        b"to js over unix"
    );

    // A JS client dials ours, served by Server::accept on the UnixStream.
    let our_dir = TempDir::new("rs-unix-shs");
    let server = any_server();
    let ours = MultiserverAddress::unix(our_dir.file("socket"), *server.identity()).to_string();
    let echoed = unix_echo_server(server, our_dir.path().join("socket").as_path());
    assert_eq!(
        js_client(node, &ours, "from js over unix").await,
        "from js over unix"
    );
    assert_eq!(echoed.await.unwrap(), b"from js over unix");
}

#[tokio::test]
async fn unix_with_noauth_works_both_ways() {
    let Some(node) = common::node::require() else {
        return;
    };
    // We dial the JS node's plain socket, through the call that says so.
    let js_dir = TempDir::new("js-unix-noauth");
    let (_js, printed, _) = js_node(
        node,
        json!([{"transport": "unix", "transform": "noauth", "dir": js_dir.path()}]),
    )
    .await;
    assert_eq!(printed, format!("unix:{}~noauth", js_dir.file("socket")));
    assert!(
        dial::connect(&client(), &printed).await.is_err(),
        "connect is never noauth"
    );
    let mut plain = dial::connect_noauth(&printed)
        .await
        .expect("dial the JS socket");
    plain.write_all(b"plain to js").await.unwrap();
    plain.shutdown().await.unwrap();
    let mut back = Vec::new();
    plain.read_to_end(&mut back).await.unwrap();
    assert_eq!(back, b"plain to js");

    // A JS client dials our plain socket.
    let our_dir = TempDir::new("rs-unix-noauth");
    let ours = NoauthAddress::unix(our_dir.file("socket")).to_string();
    let listener = UnixListener::bind(our_dir.file("socket")).unwrap();
    let served = tokio::spawn(async move { echo(listener.accept().await.unwrap().0).await });
    assert_eq!(
        js_client(node, &ours, "plain from js").await,
        "plain from js"
    );
    assert_eq!(served.await.unwrap(), b"plain from js");
}
