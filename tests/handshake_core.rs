//! The sans-IO state machines driven against each other, including out-of-order calls.

use secret_handshake::handshake::{ClientHandshake, Handshake, Next, ServerHandshake};
use secret_handshake::hazmat::raw_session_keys;
use secret_handshake::{HandshakeError, Keypair, NetworkKey};

fn pair() -> (ClientHandshake, ServerHandshake) {
    let net = NetworkKey::ssb_main_net();
    let server_keys = Keypair::generate();
    let client = ClientHandshake::new(&Keypair::generate(), &net, server_keys.public());
    (client, ServerHandshake::new(&server_keys, &net))
}

/// Moves one message from `from` to `to`.
fn relay(from: &mut impl Handshake, to: &mut impl Handshake) {
    let Next::Send(msg) = from.next() else {
        panic!("{:?}", from.next())
    };
    let msg = msg.to_vec();
    from.sent().unwrap();
    assert_eq!(to.next(), Next::Receive(msg.len()));
    to.received(&msg).unwrap();
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
