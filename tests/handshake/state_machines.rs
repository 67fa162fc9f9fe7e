//! The sans-IO state machines driven against each other, including out-of-order calls, and
//! the runtime-free drivers of `hazmat::drive`.

use std::io::{self, Write};
use std::os::unix::net::UnixStream;

use secret_handshake::handshake::{ClientHandshake, Handshake, Next, ServerHandshake};
use secret_handshake::hazmat::{drive, raw_session_keys};
use secret_handshake::{HandshakeError, Keypair, NetworkKey, Phase};

fn pair() -> (ClientHandshake, ServerHandshake) {
    let net = NetworkKey::ssb_main_net();
    let server_keys = Keypair::generate();
    let client = ClientHandshake::new(&Keypair::generate(), &net, server_keys.public());
    (client, ServerHandshake::new(&server_keys, &net))
}

/// Moves one message from `from` to `to`, which must take it.
fn relay(from: &mut impl Handshake, to: &mut impl Handshake) {
    drive::relay(from, to).expect("relay");
}

#[test]
fn out_of_order_calls_are_errors_that_leave_the_handshake_intact() {
    let (mut client, mut server) = pair();
    assert!(matches!(
        client.received(&[0; 64]),
        Err(HandshakeError::Misuse(_))
    ));
    assert!(matches!(server.sent(), Err(HandshakeError::Misuse(_))));
    assert!(matches!(server.accept(), Err(HandshakeError::Misuse(_))));
    server.reject(); // nothing to reject yet
    relay(&mut client, &mut server);
    relay(&mut server, &mut client);
    relay(&mut client, &mut server);
    assert!(matches!(server.next(), Next::Authorize(_)));
    server.accept().unwrap();
    assert!(matches!(server.accept(), Err(HandshakeError::Misuse(_))));
    relay(&mut server, &mut client);
    assert!(matches!(client.sent(), Err(HandshakeError::Misuse(_))));
    assert_eq!((client.next(), server.next()), (Next::Done, Next::Done));
    let (c, s) = (client.finish().unwrap(), server.finish().unwrap());
    let (c, s) = (raw_session_keys(&c.keys), raw_session_keys(&s.keys));
    assert_eq!(c.encrypt_key, s.decrypt_key);
    assert_eq!(c.decrypt_nonce, s.encrypt_nonce);
}

#[test]
fn a_rejected_client_never_gets_message_4() {
    let (mut client, mut server) = pair();
    relay(&mut client, &mut server);
    relay(&mut server, &mut client);
    relay(&mut client, &mut server);
    server.reject();
    assert_eq!(server.next(), Next::Failed);
    let e = server.finish().unwrap_err();
    assert_eq!(
        e.to_string(),
        "handshake driven out of order: finish() after the handshake failed"
    );
}

#[test]
fn the_in_memory_driver_gives_mirrored_sessions_and_relays_report_the_receivers_error() {
    let net = NetworkKey::ssb_main_net();
    let (client_keys, server_keys) = (Keypair::generate(), Keypair::generate());
    let client = ClientHandshake::new(&client_keys, &net, server_keys.public());
    let server = ServerHandshake::new(&server_keys, &net);
    let (c, s) = drive::in_memory(client, server).expect("handshake");
    assert_eq!(
        (&c.peer, &s.peer),
        (server_keys.public(), client_keys.public())
    );
    let (c, s) = (raw_session_keys(&c.keys), raw_session_keys(&s.keys));
    assert_eq!(c.encrypt_key, s.decrypt_key);
    assert_eq!(c.decrypt_nonce, s.encrypt_nonce);

    // Relaying from a side that has nothing to send is a misuse, and changes nothing.
    let (mut client, mut server) = pair();
    let e = drive::relay(&mut server, &mut client).unwrap_err();
    assert!(matches!(e, HandshakeError::Misuse(_)), "{e:?}");
    assert!(matches!(client.next(), Next::Send(_)));
    assert_eq!(server.next(), Next::Receive(64));
    // A damaged message is the receiver's error; the sender has sent it.
    let e = drive::relay_with(&mut client, &mut server, |msg| msg[0] ^= 1).unwrap_err();
    assert!(matches!(e, HandshakeError::InvalidHello(_)), "{e:?}");
    assert_eq!(
        (client.next(), server.next()),
        (Next::Receive(64), Next::Failed)
    );
}

fn no_authorize(_: &mut ClientHandshake) -> Result<(), HandshakeError> {
    Err(HandshakeError::Misuse("clients never authorize"))
}

#[test]
fn the_blocking_driver_runs_both_sides_over_std_io() {
    let (client, server) = pair();
    let (mut a, mut b) = UnixStream::pair().unwrap();
    let server_side = std::thread::spawn(move || {
        let mut input = b.try_clone().unwrap();
        drive::blocking(server, ServerHandshake::accept, &mut input, &mut b)
    });
    let mut input = a.try_clone().unwrap();
    let c = drive::blocking(client, no_authorize, &mut input, &mut a).expect("client");
    let s = server_side.join().unwrap().expect("server");
    let (c, s) = (raw_session_keys(&c.keys), raw_session_keys(&s.keys));
    assert_eq!(c.encrypt_key, s.decrypt_key);
    assert_eq!(c.decrypt_nonce, s.encrypt_nonce);

    // A server that turns the client away sends message 2 and nothing more.
    let (client, server) = pair();
    let (mut a, mut b) = UnixStream::pair().unwrap();
    let server_side = std::thread::spawn(move || {
        let mut input = b.try_clone().unwrap();
        let reject = |s: &mut ServerHandshake| {
            s.reject();
            Err(HandshakeError::Unauthorized)
        };
        drive::blocking(server, reject, &mut input, &mut b)
        // `b` drops here: the client sees the hang-up.
    });
    let mut input = a.try_clone().unwrap();
    let e = drive::blocking(client, no_authorize, &mut input, &mut a).unwrap_err();
    assert!(
        matches!(e, HandshakeError::PeerClosed(Phase::ClientAuth)),
        "{e:?}"
    );
    let s = server_side.join().unwrap().unwrap_err();
    assert!(matches!(s, HandshakeError::Unauthorized), "{s:?}");
}

#[test]
fn the_blocking_driver_names_a_hang_up_and_a_transport_that_takes_nothing() {
    // The peer ends before message 2: it turned down message 1, as the async client reports.
    let (client, _) = pair();
    let mut sent = Vec::new();
    let e = drive::blocking(client, no_authorize, &mut &b"short"[..], &mut sent).unwrap_err();
    assert!(
        matches!(e, HandshakeError::PeerClosed(Phase::ClientHello)),
        "{e:?}"
    );
    assert_eq!(sent.len(), 64, "message 1 went out");

    // Our own transport accepting 0 bytes is its fault, not the peer's.
    struct Full;
    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Ok(0)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let (client, _) = pair();
    match drive::blocking(client, no_authorize, &mut &[][..], &mut Full) {
        Err(HandshakeError::Io(Phase::ClientHello, e)) => {
            assert_eq!(e.kind(), io::ErrorKind::WriteZero)
        }
        other => panic!("{other:?}"),
    }
}
