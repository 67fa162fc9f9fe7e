//! The server side of the handshake fed hostile input.
//!
//! The first input byte picks a mode:
//! 0. arbitrary bytes (any length) as message 1;
//! 1. a message 1 with a valid HMAC around a fuzzer-chosen ephemeral key (reaches the
//!    low-order-key check), then arbitrary bytes as message 3;
//! 2. a real client's message 1, then arbitrary bytes as message 3;
//! 3. a real client's message 1, then its real message 3 with fuzzer-chosen bytes XORed in
//!    (success exactly when nothing changed), then accept or reject;
//! 4. a real client and server driven by a fuzzer-chosen sequence of (mis)uses of the API.

#![no_main]

mod common;

use common::*;
use libfuzzer_sys::fuzz_target;
use secret_handshake::handshake::{ClientHandshake, Handshake, Next, ServerHandshake};
use secret_handshake::hazmat::{drive, replay};
use secret_handshake::{HandshakeError, Phase};

fuzz_target!(|data: &[u8]| {
    let mut input = Cursor::new(data);
    match input.byte() % 5 {
        0 => raw_client_hello(input.rest()),
        1 => keyed_client_hello(&mut input),
        2 => raw_client_auth(input.rest()),
        3 => mutated_client_auth(&mut input),
        _ => api_sequence(&mut input),
    }
});

fn server() -> ServerHandshake {
    ServerHandshake::with_fixed_ephemeral_key_for_testing_only(
        &server_identity(),
        &network(),
        SERVER_EPHEMERAL,
    )
}

fn raw_client_hello(msg1: &[u8]) {
    let mut server = server();
    expect_receive(&server, 64);
    match server.received(msg1) {
        Err(err) => {
            assert_error_phase(&err, Phase::ClientHello);
            if msg1.len() != 64 {
                assert!(matches!(err, HandshakeError::Misuse(_)), "{err}");
            } else {
                assert!(
                    matches!(err, HandshakeError::InvalidHello(Phase::ClientHello)),
                    "{err}"
                );
            }
            assert!(server.client_key().is_none());
            assert_dead(server, Phase::ClientHello);
        }
        // Only a hello with the right HMAC gets here (a forgery, or a real client's hello).
        Ok(()) => {
            assert_eq!(msg1.len(), 64);
            assert_eq!(outgoing(&server, "msg2").len(), 64);
        }
    }
}

fn keyed_client_hello(input: &mut Cursor<'_>) {
    let ephemeral: [u8; 32] = input.array();
    let msg1 = replay::hello(network().as_bytes(), &ephemeral);
    let mut server = server();
    let weak = replay::shared(&SERVER_EPHEMERAL, &ephemeral).is_none();
    match server.received(&msg1) {
        Err(err) => {
            assert!(weak, "valid hello rejected: {err}");
            assert!(
                matches!(err, HandshakeError::WeakKey(Phase::ClientHello)),
                "{err}"
            );
            assert_dead(server, Phase::ClientHello);
        }
        Ok(()) => {
            assert!(!weak, "low-order ephemeral key accepted");
            let msg2 = outgoing(&server, "msg2");
            let server_public = replay::x25519_public(&SERVER_EPHEMERAL);
            assert_eq!(msg2, replay::hello(network().as_bytes(), &server_public));
            sent(&mut server);
            expect_receive(&server, 112);
            // Nobody holds the secret behind `ephemeral` here, so no message 3 can be valid.
            let err = server
                .received(input.rest())
                .expect_err("forged message 3 accepted");
            assert_error_phase(&err, Phase::ClientAuth);
            assert!(server.client_key().is_none());
            assert_dead(server, Phase::ClientAuth);
        }
    }
}

/// Drives a real client and the server up to the point where the server awaits message 3.
/// Returns the client (holding its real message 3) and the server.
fn up_to_client_auth() -> (ClientHandshake, ServerHandshake, Vec<u8>) {
    let (mut client, mut server) = pair();
    drive::relay(&mut client, &mut server).expect("real msg1");
    drive::relay(&mut server, &mut client).expect("real msg2");
    let msg3 = outgoing(&client, "msg3");
    sent(&mut client);
    expect_receive(&server, 112);
    (client, server, msg3)
}

fn raw_client_auth(msg3: &[u8]) {
    let (_, mut server, real) = up_to_client_auth();
    match server.received(msg3) {
        Err(err) => {
            assert_ne!(msg3, &real[..]);
            assert_error_phase(&err, Phase::ClientAuth);
            assert_dead(server, Phase::ClientAuth);
        }
        Ok(()) => {
            assert_eq!(msg3, &real[..], "forged message 3 accepted");
            assert_eq!(server.next(), Next::Authorize(client_identity().public()));
        }
    }
}

fn mutated_client_auth(input: &mut Cursor<'_>) {
    let (mut client, mut server, real) = up_to_client_auth();
    let accept = input.byte() & 1 == 0;
    let mut msg3 = real.clone();
    for (byte, mask) in msg3.iter_mut().zip(input.rest()) {
        *byte ^= mask;
    }
    let changed = msg3 != real;
    match server.received(&msg3) {
        Err(err) => {
            assert!(changed, "real message 3 rejected: {err}");
            assert!(matches!(err, HandshakeError::InvalidClientAuth), "{err}");
            assert_dead(server, Phase::ClientAuth);
        }
        Ok(()) => {
            assert!(!changed, "tampered message 3 accepted");
            let client_pk = *client_identity().public();
            assert_eq!(server.next(), Next::Authorize(&client_pk));
            assert_eq!(server.client_key(), Some(&client_pk));
            if !accept {
                server.reject();
                assert_dead(server, Phase::ClientAuth);
                return;
            }
            server.accept().expect("accept while authorizing");
            let msg4 = outgoing(&server, "msg4");
            assert_eq!(msg4.len(), 80);
            sent(&mut server);
            assert_eq!(server.next(), Next::Done);
            expect_receive(&client, 80);
            client.received(&msg4).expect("real msg4");
            assert_eq!(client.next(), Next::Done);
            check_sessions(client, server);
        }
    }
}

/// A fuzzer-chosen sequence of calls on a server talking to a real client. Whatever the order,
/// nothing panics, a failed machine stays failed, and a session only appears after the real
/// four messages went through.
fn api_sequence(input: &mut Cursor<'_>) {
    let (mut client, mut server) = pair();
    let mut to_server: Option<Vec<u8>> = None;
    while !input.is_empty() {
        let was_failed = server.next() == Next::Failed;
        match input.byte() % 7 {
            0 => {
                // Client does its next step if it can, queueing what it sends.
                if let Next::Send(bytes) = client.next() {
                    to_server = Some(bytes.to_vec());
                    sent(&mut client);
                }
            }
            1 => {
                let msg = to_server.take().unwrap_or_default();
                let _ = server.received(&msg);
            }
            2 => {
                let n = input.byte() as usize;
                let _ = server.received(input.take(n));
            }
            3 => {
                if let Next::Send(bytes) = server.next() {
                    let bytes = bytes.to_vec();
                    sent(&mut server);
                    if client.received(&bytes).is_err() {
                        assert_eq!(client.next(), Next::Failed);
                    }
                } else {
                    assert!(server.sent().is_err(), "sent() while not sending");
                }
            }
            4 => {
                let authorizing = matches!(server.next(), Next::Authorize(_));
                assert_eq!(server.accept().is_ok(), authorizing);
            }
            5 => server.reject(),
            _ => {
                let _ = server.phase();
                let _ = server.client_key();
            }
        }
        if was_failed {
            assert_eq!(
                server.next(),
                Next::Failed,
                "a failed server came back to life"
            );
        }
    }
    let done = server.next() == Next::Done;
    let finished = server.finish();
    assert_eq!(finished.is_ok(), done);
    if let Ok(session) = finished {
        assert_eq!(session.peer, *client_identity().public());
    }
}
