//! Which failures fall back to the next address, and which one stops the dial.

use secret_handshake::dial::{self, Failure};
use secret_handshake::{AllowList, Keypair, Phase, Server};

use super::common::dial::{any_server, exchange, tcp_echo_server};
use super::common::net;
use super::{client, net_addr, refused_port, SEED_B64};

#[tokio::test]
async fn a_refused_first_entry_connects_through_the_second() {
    let server = any_server();
    let key = *server.identity();
    let (port, echoed) = tcp_echo_server(server).await;
    let list = format!(
        "{};{}",
        net_addr(refused_port(), &key),
        net_addr(port, &key)
    );
    let stream = dial::connect(&client(), &list)
        .await
        .expect("the second entry");
    assert_eq!(stream.peer_key(), &key);
    assert_eq!(stream.get_ref().peer_address(), format!("127.0.0.1:{port}"));
    assert_eq!(
        exchange(stream, b"through the second").await,
        b"through the second"
    );
    assert_eq!(echoed.await.unwrap(), b"through the second");
}

#[tokio::test]
async fn a_wrong_key_answer_stops_the_dial_before_the_second_entry() {
    let answering = any_server();
    let (port, _task) = tcp_echo_server(answering).await;
    // The second entry would work, and must not even be dialled.
    let second = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    second.set_nonblocking(true).unwrap();
    let second_port = second.local_addr().unwrap().port();
    let wrong = *Keypair::generate().public();
    let list = format!(
        "{};{}",
        net_addr(port, &wrong),
        net_addr(second_port, &wrong)
    );

    let error = dial::connect(&client(), &list).await.unwrap_err();
    assert_eq!(error.attempts().len(), 1, "{error}");
    let answer = error.answer().expect("the peer's answer");
    assert_eq!(answer.phase(), Some(Phase::ClientAuth), "{answer}");
    assert!(error.attempts()[0].failure().is_answer());
    assert!(
        error.to_string().contains("handshake failed (phase 3)"),
        "{error}"
    );
    // The connect would be in the listener's backlog by now had it been made.
    let nothing = second.accept().map(|_| ()).unwrap_err();
    assert_eq!(nothing.kind(), std::io::ErrorKind::WouldBlock);
}

#[tokio::test]
async fn an_unknown_host_name_falls_back() {
    let server = any_server();
    let key = *server.identity();
    let (port, _task) = tcp_echo_server(server).await;
    // `.invalid` never resolves (RFC 2606).
    let nowhere = format!("net:nowhere.invalid:8008~shs:{}", key.to_base64());
    let list = format!("{nowhere};{}", net_addr(port, &key));
    let stream = dial::connect(&client(), &list)
        .await
        .expect("the second entry");
    assert_eq!(exchange(stream, b"dns").await, b"dns");

    let error = dial::connect(&client(), &nowhere).await.unwrap_err();
    assert!(
        matches!(error.attempts()[0].failure(), Failure::Resolve(_)),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with(&format!("{nowhere}: cannot resolve")),
        "{error}"
    );
}

#[tokio::test]
async fn a_failed_websocket_upgrade_falls_back() {
    // A plain TCP secret-handshake server gets the HTTP request: the upgrade fails.
    let tcp_only = any_server();
    let key = *tcp_only.identity();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ws_port = listener.local_addr().unwrap().port();
    let _answering = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let _ = tcp_only.accept(tcp).await;
    });
    let server = any_server();
    let second = *server.identity();
    let (port, _task) = tcp_echo_server(server).await;
    let list = format!(
        "ws://127.0.0.1:{ws_port}~shs:{};{}",
        key.to_base64(),
        net_addr(port, &second)
    );
    let stream = dial::connect(&client(), &list)
        .await
        .expect("the second entry");
    assert_eq!(stream.peer_key(), &second);
    assert_eq!(
        exchange(stream, b"after the upgrade").await,
        b"after the upgrade"
    );
}

#[tokio::test]
async fn malformed_and_unsupported_entries_are_reported_and_skipped() {
    let server = any_server();
    let key = *server.identity();
    let k = key.to_base64();
    let (port, _task) = tcp_echo_server(server).await;
    let skipped = format!(
        "garbage;onion:abc.onion:8008~shs:{k};net:h:1~shs:{k}~gzip;unix:/tmp/no-such-dir/s~noauth;\
         wss://127.0.0.1:{}~shs:{k}",
        refused_port()
    );
    let error = dial::connect(&client(), &skipped).await.unwrap_err();
    let failures: Vec<_> = error.attempts().iter().map(|a| a.failure()).collect();
    assert_eq!(failures.len(), 5, "{error}");
    assert!(matches!(failures[0], Failure::Address(_)));
    assert!(matches!(failures[1], Failure::Unsupported(_)));
    assert!(matches!(failures[2], Failure::Address(_)));
    assert!(matches!(failures[3], Failure::Address(_)));
    // Unsupported in a build without TLS, refused with it.
    assert!(matches!(
        failures[4],
        Failure::Unsupported(_) | Failure::Connect(_)
    ));
    assert!(failures.iter().all(|f| !f.is_answer()));
    // Entries that did not parse are named by position: their text may hold a seed.
    assert_eq!(error.attempts()[0].address(), "entry 1");
    assert_eq!(
        error.attempts()[1].address(),
        format!("onion:abc.onion:8008~shs:{k}")
    );

    let list = format!("{skipped};{}", net_addr(port, &key));
    let stream = dial::connect(&client(), &list)
        .await
        .expect("the last entry");
    assert_eq!(exchange(stream, b"last").await, b"last");
}

#[tokio::test]
async fn an_invite_seed_sets_the_identity_and_is_never_printed() {
    let seed: [u8; 32] = *b"AAABBBCCCDDDEEEFFFGGGHHHIIIJJJJK";
    assert_eq!(
        secret_handshake::PublicKey::from_bytes(seed).to_base64(),
        SEED_B64
    );
    let invited = *Keypair::from_seed(&seed).public();
    let server = Server::new(Keypair::generate(), net(), AllowList::new([invited]));
    let key = *server.identity();
    let (port, _task) = tcp_echo_server(server).await;
    let invite = format!("{}:{SEED_B64}", net_addr(port, &key));
    let stream = dial::connect(&client(), &invite).await.expect("invited");
    assert_eq!(exchange(stream, b"invited").await, b"invited");

    let refused = format!(
        "{}:{SEED_B64};{}:{SEED_B64}",
        net_addr(refused_port(), &key),
        net_addr(refused_port(), &key)
    );
    let error = dial::connect(&client(), &refused).await.unwrap_err();
    let mut shown = format!("{error} {error:?}");
    shown.push_str(&std::io::Error::from(error).to_string());
    assert!(!shown.contains(&SEED_B64[..8]), "{shown}");
    assert!(shown.contains("<seed redacted>"), "{shown}");
}

#[test]
fn only_failures_after_the_servers_hello_are_answers() {
    use secret_handshake::HandshakeError::*;
    use std::io::{Error, ErrorKind};
    let answers = [
        PeerClosed(Phase::ClientAuth),
        Timeout(Phase::ClientAuth),
        Timeout(Phase::ServerAccept),
        InvalidServerAccept,
        Io(Phase::ServerAccept, Error::from(ErrorKind::ConnectionReset)),
        Misuse("a bug, not an outage"),
    ];
    for e in answers {
        let shown = e.to_string();
        assert!(Failure::Handshake(e).is_answer(), "{shown}");
    }
    let outages = [
        PeerClosed(Phase::ClientHello),
        Timeout(Phase::ClientHello),
        Timeout(Phase::ServerHello),
        InvalidHello(Phase::ServerHello),
        WeakKey(Phase::ServerHello),
        InvalidServerKey,
        Io(Phase::ServerHello, Error::from(ErrorKind::ConnectionReset)),
    ];
    for e in outages {
        let shown = e.to_string();
        assert!(!Failure::Handshake(e).is_answer(), "{shown}");
    }
    for failure in [
        Failure::Connect(Error::from(ErrorKind::ConnectionRefused)),
        Failure::Resolve(Error::from(ErrorKind::NotFound)),
        Failure::Upgrade(Error::from(ErrorKind::InvalidData)),
        Failure::Tls(Error::from(ErrorKind::InvalidData)),
        Failure::NotLocal,
        Failure::Unsupported("onion"),
    ] {
        assert!(!failure.is_answer(), "{failure}");
    }
}
