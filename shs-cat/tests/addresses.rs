//! `shs-cat connect` with every kind of multiserver address: `;` lists (fallback, and the
//! answer that ends them), unix sockets against a live JS multiserver node, and the checks of
//! the address that never echo an invite's seed.

mod support;

use secret_handshake::Keypair;
use serde_json::json;
use support::common::hex;
use support::js::{self, main_net_hex};
use support::session::{connect, connected_to, listen, ms_addr};
use support::{shs_cat, Proc, TempDir};

/// A loopback port nothing listens on.
fn refused_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("local address").port()
}

#[test]
fn a_list_falls_back_past_refused_and_unsupported_entries() {
    let home = TempDir::new("list-fallback");
    let (server, port, server_id) = listen(&home, &[], b"to the client".to_vec());
    let k = server_id.to_base64();
    let list = format!(
        "wss://127.0.0.1:{}~shs:{k};onion:abc.onion:8008~shs:{k};{};{}",
        refused_port(),
        ms_addr(refused_port(), &server_id),
        ms_addr(port, &server_id)
    );
    let client = connect(&home, &[&list], b"to the server".to_vec());
    client.assert_success();
    assert_eq!(client.stdout, b"to the client");
    assert_eq!(connected_to(&client), server_id);
    let server = server.finish();
    server.assert_success();
    assert_eq!(server.stdout, b"to the server");
}

#[test]
fn a_wrong_key_answer_ends_the_list_and_every_attempt_is_one_line() {
    let home = TempDir::new("list-answer");
    let (server, port, _) = listen(&home, &[], Vec::new());
    let second = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    second.set_nonblocking(true).unwrap();
    let wrong = *Keypair::generate().public();
    let list = format!(
        "{};{}",
        ms_addr(port, &wrong),
        ms_addr(second.local_addr().unwrap().port(), &wrong)
    );
    let client = connect(&home, &[&list], Vec::new());
    client.assert_failure("handshake failed (phase 3)");
    assert_eq!(client.status.code(), Some(1));
    server.finish().assert_failure("handshake failed (phase 3)");
    assert_eq!(
        second.accept().map(|_| ()).unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock,
        "the second entry was dialled"
    );

    // Nothing answers: one line naming every attempt.
    let (a, b) = (refused_port(), refused_port());
    let list = format!("{};{}", ms_addr(a, &wrong), ms_addr(b, &wrong));
    let client = connect(&home, &[&list], Vec::new());
    client.assert_failure("could not connect (2 addresses tried); 1. net:127.0.0.1:");
    let line = client.stderr.last().unwrap();
    assert!(
        line.contains(&format!("2. net:127.0.0.1:{b}~shs:")),
        "{line}"
    );
}

#[test]
fn unix_sockets_and_the_lists_a_js_node_prints() {
    let Some(node) = support::common::node::require() else {
        return;
    };
    let home = TempDir::new("js-node-unix");
    let dir = TempDir::new("js-node-unix-socket");
    let mut js = js::ms_node(
        node,
        json!({
            "role": "server", "network_key": main_net_hex(), "seed": hex(&[4; 32]),
            "plugs": [
                {"transport": "unix", "transform": "shs", "dir": dir.path()},
                {"transport": "net", "transform": "shs"},
                {"transport": "ws", "transform": "shs"},
            ],
        }),
    );
    let listening = js::event(&mut js, "listening");
    let printed = listening["address"].as_str().unwrap().to_owned();
    let js_id = *Keypair::from_seed(&[4; 32]).public();
    let unix = printed.split(';').next().unwrap();
    assert!(unix.starts_with("unix:"), "{printed}");

    // The node echoes: what we send comes back.
    for address in [unix, &printed, printed.split(';').nth(2).unwrap()] {
        let client = connect(&home, &[address], b"echo me".to_vec());
        client.assert_success();
        assert_eq!(client.stdout, b"echo me", "{address}");
        assert_eq!(connected_to(&client), js_id);
        js::event(&mut js, "connected");
    }
}

#[test]
fn bad_addresses_are_usage_errors_that_never_echo_a_seed() {
    let home = TempDir::new("bad-addresses");
    let key = Keypair::generate().public().to_base64();
    let seed = "QUFBQkJCQ0NDRERERUVFRkZGR0dHSEhISUlJSkpKSks=";
    let other_seed = "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=";
    for (address, needle) in [
        (format!("net:h:99999~shs:{key}:{seed}"), "the port"),
        (
            format!("net:h:1~shs:{key}:{seed};net:h:1~shs:{key}:{seed}x"),
            "(entry 2)",
        ),
        (
            format!("net:h:1~shs:{key}:{seed};net:h:2~shs:{key}:{other_seed}"),
            "different invite seeds",
        ),
        (
            format!("net:h:1~shs:{key}:{seed} ;ws://h:1/#x~shs:{key}"),
            "(entry 2)",
        ),
    ] {
        let run = Proc::spawn(
            "connect",
            shs_cat(home.path()).args(["connect", &address]),
            Vec::new(),
        )
        .finish();
        assert_eq!(run.status.code(), Some(2), "{address}: {:?}", run.stderr);
        assert!(
            run.stderr[0].starts_with("error: ") && run.stderr[0].contains(needle),
            "{address}: {:?}",
            run.stderr
        );
        for window in seed.as_bytes().windows(6) {
            let window = std::str::from_utf8(window).unwrap();
            assert!(
                !run.stderr.iter().any(|l| l.contains(window)),
                "{address}: {:?}",
                run.stderr
            );
        }
    }
}
