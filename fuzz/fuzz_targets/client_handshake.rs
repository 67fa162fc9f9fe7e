//! The client side of the handshake fed hostile input.
//!
//! The first input byte picks a mode:
//! 0. arbitrary bytes (any length) as message 2;
//! 1. a message 2 with a valid HMAC around a fuzzer-chosen ephemeral key (reaches the
//!    low-order-key check), then arbitrary bytes as message 4;
//! 2. a real server's message 2, then arbitrary bytes as message 4;
//! 3. a real server's message 4 with fuzzer-chosen bytes XORed in (success exactly when nothing
//!    changed);
//! 4. the client dials a fuzzer-chosen server key (reaches the Ed25519 → Curve25519 conversion),
//!    and the real server answers.

#![no_main]

mod common;

use common::*;
use libfuzzer_sys::fuzz_target;
use secret_handshake::handshake::{ClientHandshake, Handshake, Next, ServerHandshake};
use secret_handshake::hazmat::{drive, replay};
use secret_handshake::{HandshakeError, Phase, PublicKey};

fuzz_target!(|data: &[u8]| {
    let mut input = Cursor::new(data);
    match input.byte() % 5 {
        0 => raw_server_hello(input.rest()),
        1 => keyed_server_hello(&mut input),
        2 => raw_server_accept(input.rest()),
        3 => mutated_server_accept(&mut input),
        _ => dial_any_key(&mut input),
    }
});

/// A client that has sent message 1 and awaits message 2.
fn client_after_hello(server: &PublicKey) -> ClientHandshake {
    let mut client = ClientHandshake::with_fixed_ephemeral_key_for_testing_only(
        &client_identity(),
        &network(),
        server,
        CLIENT_EPHEMERAL,
    );
    assert_eq!(outgoing(&client, "msg1").len(), 64);
    sent(&mut client);
    expect_receive(&client, 64);
    client
}

fn raw_server_hello(msg2: &[u8]) {
    let mut client = client_after_hello(server_identity().public());
    match client.received(msg2) {
        Err(err) => {
            assert_error_phase(&err, Phase::ServerHello);
            if msg2.len() != 64 {
                assert!(matches!(err, HandshakeError::Misuse(_)), "{err}");
            } else {
                assert!(
                    matches!(err, HandshakeError::InvalidHello(Phase::ServerHello)),
                    "{err}"
                );
            }
            assert_dead(client, Phase::ServerHello);
        }
        Ok(()) => assert_eq!(outgoing(&client, "msg3").len(), 112),
    }
}

fn keyed_server_hello(input: &mut Cursor<'_>) {
    let ephemeral: [u8; 32] = input.array();
    let msg2 = replay::hello(network().as_bytes(), &ephemeral);
    let mut client = client_after_hello(server_identity().public());
    let weak = replay::shared(&CLIENT_EPHEMERAL, &ephemeral).is_none();
    match client.received(&msg2) {
        Err(err) => {
            assert!(weak, "valid hello rejected: {err}");
            assert!(
                matches!(err, HandshakeError::WeakKey(Phase::ServerHello)),
                "{err}"
            );
            assert_dead(client, Phase::ServerHello);
        }
        Ok(()) => {
            assert!(!weak, "low-order ephemeral key accepted");
            assert_eq!(outgoing(&client, "msg3").len(), 112);
            sent(&mut client);
            expect_receive(&client, 80);
            // Nobody holds the secret behind `ephemeral`, so no message 4 can be valid.
            let err = client
                .received(input.rest())
                .expect_err("forged message 4 accepted");
            assert_error_phase(&err, Phase::ServerAccept);
            assert_dead(client, Phase::ServerAccept);
        }
    }
}

/// Runs a real exchange up to the server's message 4; returns both sides and that message.
fn up_to_server_accept() -> (ClientHandshake, ServerHandshake, Vec<u8>) {
    let (mut client, mut server) = pair();
    drive::relay(&mut client, &mut server).expect("real msg1");
    drive::relay(&mut server, &mut client).expect("real msg2");
    drive::relay(&mut client, &mut server).expect("real msg3");
    server.accept().expect("accept");
    let msg4 = outgoing(&server, "msg4");
    sent(&mut server);
    expect_receive(&client, 80);
    (client, server, msg4)
}

fn raw_server_accept(msg4: &[u8]) {
    let (mut client, _, real) = up_to_server_accept();
    match client.received(msg4) {
        Err(err) => {
            assert_ne!(msg4, &real[..]);
            assert_error_phase(&err, Phase::ServerAccept);
            assert_dead(client, Phase::ServerAccept);
        }
        Ok(()) => {
            assert_eq!(msg4, &real[..], "forged message 4 accepted");
            assert_eq!(client.next(), Next::Done);
        }
    }
}

fn mutated_server_accept(input: &mut Cursor<'_>) {
    let (mut client, server, real) = up_to_server_accept();
    let mut msg4 = real.clone();
    for (byte, mask) in msg4.iter_mut().zip(input.rest()) {
        *byte ^= mask;
    }
    let changed = msg4 != real;
    match client.received(&msg4) {
        Err(err) => {
            assert!(changed, "real message 4 rejected: {err}");
            assert!(matches!(err, HandshakeError::InvalidServerAccept), "{err}");
            assert_dead(client, Phase::ServerAccept);
        }
        Ok(()) => {
            assert!(!changed, "tampered message 4 accepted");
            assert_eq!(client.next(), Next::Done);
            check_sessions(client, server);
        }
    }
}

fn dial_any_key(input: &mut Cursor<'_>) {
    let dialled = PublicKey::from_bytes(input.array());
    let real_server = server_identity();
    let right_key = dialled == *real_server.public();
    let usable = replay::ed25519_pk_to_x25519(dialled.as_bytes()).is_some();
    let mut client = client_after_hello(&dialled);
    let mut server = ServerHandshake::with_fixed_ephemeral_key_for_testing_only(
        &real_server,
        &network(),
        SERVER_EPHEMERAL,
    );
    let mut client_for_msg1 = ClientHandshake::with_fixed_ephemeral_key_for_testing_only(
        &client_identity(),
        &network(),
        &dialled,
        CLIENT_EPHEMERAL,
    );
    drive::relay(&mut client_for_msg1, &mut server).expect("real msg1");
    let msg2 = outgoing(&server, "msg2");
    sent(&mut server);
    match client.received(&msg2) {
        Err(err) => {
            assert!(!usable, "usable server key refused: {err}");
            assert!(matches!(err, HandshakeError::InvalidServerKey), "{err}");
            assert_dead(client, Phase::ServerHello);
        }
        Ok(()) => {
            assert!(usable, "unusable server key accepted");
            let msg3 = outgoing(&client, "msg3");
            sent(&mut client);
            match server.received(&msg3) {
                Err(err) => {
                    assert!(!right_key, "right server key, yet message 3 failed: {err}");
                    assert!(matches!(err, HandshakeError::InvalidClientAuth), "{err}");
                    assert_dead(server, Phase::ClientAuth);
                }
                Ok(()) => assert!(right_key, "message 3 for another server key accepted"),
            }
        }
    }
}
