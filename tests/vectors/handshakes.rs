//! Whole handshakes: every message and intermediate of `vectors/handshakes.json`, through the
//! state machines.

use secret_handshake::handshake::{ClientHandshake, Handshake, Next, ServerHandshake, Session};
use secret_handshake::hazmat::raw_session_keys;
use secret_handshake::hazmat::replay as r;
use secret_handshake::{Keypair, NetworkKey, PublicKey};
use serde::Deserialize;

use crate::{load, same, Cases, Hex, HexBytes};

/// One handshake of `vectors/handshakes.json`. A field the file adds fails the parse until
/// the test checks it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HandshakeCase {
    name: String,
    network_key: Hex<32>,
    client_longterm_pk: Hex<32>,
    client_longterm_sk: Hex<64>,
    server_longterm_pk: Hex<32>,
    server_longterm_sk: Hex<64>,
    client_ephemeral_pk: Hex<32>,
    client_ephemeral_sk: Hex<32>,
    server_ephemeral_pk: Hex<32>,
    server_ephemeral_sk: Hex<32>,
    /// The JS `random` the ephemeral key derives from; `None`: the raw key is used.
    client_ephemeral_seed: Option<Hex<32>>,
    server_ephemeral_seed: Option<Hex<32>>,
    msg1: HexBytes,
    msg2: HexBytes,
    msg3: HexBytes,
    msg4: HexBytes,
    ab: Hex<32>,
    #[serde(rename = "aB")]
    a_b: Hex<32>,
    #[serde(rename = "Ab")]
    big_a_b: Hex<32>,
    shash: Hex<32>,
    key3: Hex<32>,
    key4: Hex<32>,
    client_auth_plaintext: HexBytes,
    server_accept_plaintext: HexBytes,
    client_outcome: Outcome,
    server_outcome: Outcome,
}

/// The keys and nonces a side ends up with (the shs1-test outcome).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Outcome {
    encrypt_key: Hex<32>,
    encrypt_nonce: Hex<24>,
    decrypt_key: Hex<32>,
    decrypt_nonce: Hex<24>,
}

impl HandshakeCase {
    fn network(&self) -> NetworkKey {
        NetworkKey::from_bytes(self.network_key.0)
    }

    fn identity(&self, secret: &Hex<64>, public: &Hex<32>, side: &str) -> Keypair {
        let kp = Keypair::from_secret_key_bytes(&secret.0).expect("consistent secret key");
        same(
            &format!("{side}_longterm_pk"),
            kp.public().as_bytes(),
            &public.0,
        );
        kp
    }

    fn client(&self) -> ClientHandshake {
        let identity = self.identity(&self.client_longterm_sk, &self.client_longterm_pk, "client");
        let server = PublicKey::from_bytes(self.server_longterm_pk.0);
        match &self.client_ephemeral_seed {
            None => ClientHandshake::with_fixed_ephemeral_key_for_testing_only(
                &identity,
                &self.network(),
                &server,
                self.client_ephemeral_sk.0,
            ),
            Some(seed) => ClientHandshake::with_js_ephemeral_seed_for_testing_only(
                &identity,
                &self.network(),
                &server,
                &seed.0,
            ),
        }
    }

    fn server(&self) -> ServerHandshake {
        let identity = self.identity(&self.server_longterm_sk, &self.server_longterm_pk, "server");
        match &self.server_ephemeral_seed {
            None => ServerHandshake::with_fixed_ephemeral_key_for_testing_only(
                &identity,
                &self.network(),
                self.server_ephemeral_sk.0,
            ),
            Some(seed) => ServerHandshake::with_js_ephemeral_seed_for_testing_only(
                &identity,
                &self.network(),
                &seed.0,
            ),
        }
    }
}

fn expect_send(h: &mut impl Handshake, expected: &HexBytes, what: &str) {
    match h.next() {
        Next::Send(bytes) => same(what, bytes, &expected.0),
        other => panic!("{what}: expected to send, got {other:?}"),
    }
    h.sent().expect("sent");
}

fn expect_receive(h: &mut impl Handshake, msg: &HexBytes, what: &str) {
    assert_eq!(h.next(), Next::Receive(msg.0.len()), "{what}");
    h.received(&msg.0).unwrap_or_else(|e| panic!("{what}: {e}"));
}

fn check_outcome(session: Session, expected: &Outcome, peer: &Hex<32>, who: &str) {
    same(&format!("{who} peer"), session.peer.as_bytes(), &peer.0);
    let keys = raw_session_keys(&session.keys);
    let field = |name: &str| format!("{who} {name}");
    same(
        &field("encrypt_key"),
        &keys.encrypt_key,
        &expected.encrypt_key.0,
    );
    same(
        &field("encrypt_nonce"),
        &keys.encrypt_nonce,
        &expected.encrypt_nonce.0,
    );
    same(
        &field("decrypt_key"),
        &keys.decrypt_key,
        &expected.decrypt_key.0,
    );
    same(
        &field("decrypt_nonce"),
        &keys.decrypt_nonce,
        &expected.decrypt_nonce.0,
    );
}

#[test]
fn full_handshakes_from_the_reference() {
    let file: Cases<HandshakeCase> = load("handshakes.json");
    let cases = file.cases;
    assert!(
        cases.len() >= 8,
        "vectors/handshakes.json lost cases: {}",
        cases.len()
    );
    assert_eq!(cases[0].name, "shs1-crypto-worked-vector");
    for c in &cases {
        let name = &c.name;

        // Client side, fed the reference's server messages.
        let mut client = c.client();
        expect_send(&mut client, &c.msg1, &format!("{name} msg1"));
        expect_receive(&mut client, &c.msg2, &format!("{name} msg2"));
        expect_send(&mut client, &c.msg3, &format!("{name} msg3"));
        expect_receive(&mut client, &c.msg4, &format!("{name} msg4"));
        assert_eq!(client.next(), Next::Done);
        let session = client.finish().expect("client done");
        check_outcome(session, &c.client_outcome, &c.server_longterm_pk, name);

        // Server side, fed the reference's client messages.
        let mut server = c.server();
        expect_receive(&mut server, &c.msg1, &format!("{name} msg1"));
        expect_send(&mut server, &c.msg2, &format!("{name} msg2"));
        expect_receive(&mut server, &c.msg3, &format!("{name} msg3"));
        match server.next() {
            Next::Authorize(key) => same(
                &format!("{name} client key"),
                key.as_bytes(),
                &c.client_longterm_pk.0,
            ),
            other => panic!("{name}: expected authorize, got {other:?}"),
        }
        server.accept().expect("accept");
        expect_send(&mut server, &c.msg4, &format!("{name} msg4"));
        let session = server.finish().expect("server done");
        check_outcome(session, &c.server_outcome, &c.client_longterm_pk, name);

        check_intermediates(c);
    }
}

/// The intermediate secrets, step by step, against the reference's.
fn check_intermediates(c: &HandshakeCase) {
    let name = &c.name;
    let what = |field: &str| format!("{name} {field}");
    let k = c.network_key.0;
    let (a_sk, a_pk) = ephemeral(&c.client_ephemeral_seed, &c.client_ephemeral_sk);
    let (b_sk, b_pk) = ephemeral(&c.server_ephemeral_seed, &c.server_ephemeral_sk);
    same(
        &what("client_ephemeral_pk"),
        &a_pk,
        &c.client_ephemeral_pk.0,
    );
    same(
        &what("server_ephemeral_pk"),
        &b_pk,
        &c.server_ephemeral_pk.0,
    );
    same(
        &what("client_ephemeral_sk"),
        &a_sk,
        &c.client_ephemeral_sk.0,
    );
    same(
        &what("server_ephemeral_sk"),
        &b_sk,
        &c.server_ephemeral_sk.0,
    );
    let ab = r::shared(&a_sk, &b_pk).expect("ab");
    assert_eq!(Some(ab), r::shared(&b_sk, &a_pk));
    same(&what("ab"), &ab, &c.ab.0);
    let shash = r::sha256(&ab);
    same(&what("shash"), &shash, &c.shash.0);
    let server_curve = r::ed25519_pk_to_x25519(&c.server_longterm_pk.0).expect("B curve");
    let a_b = r::shared(&a_sk, &server_curve).expect("aB");
    same(&what("aB"), &a_b, &c.a_b.0);
    let client_curve = r::ed25519_pk_to_x25519(&c.client_longterm_pk.0).expect("A curve");
    let big_a_b = r::shared(&b_sk, &client_curve).expect("Ab");
    same(&what("Ab"), &big_a_b, &c.big_a_b.0);
    let key3 = r::key3(&k, &ab, &a_b);
    same(&what("key3"), &key3, &c.key3.0);
    let key4 = r::key4(&k, &ab, &a_b, &big_a_b);
    same(&what("key4"), &key4, &c.key4.0);
    let (client_longterm_sk, server_longterm_pk) =
        (&c.client_longterm_sk.0, &c.server_longterm_pk.0);
    let (h, _) = r::client_auth(&k, client_longterm_sk, server_longterm_pk, &shash, &key3)
        .expect("client keypair");
    same(
        &what("client_auth_plaintext"),
        &h,
        &c.client_auth_plaintext.0,
    );
    let opened = r::open_client_auth(&k, server_longterm_pk, &shash, &key3, &c.msg3.0);
    assert_eq!(opened.map(|(h, _)| h), Some(h), "{name}: msg3 opens to H");
    let signature = r::open_server_accept(&key4, &c.msg4.0).expect("msg4 opens");
    same(
        &what("server_accept_plaintext"),
        &signature,
        &c.server_accept_plaintext.0,
    );
}

/// An ephemeral `(secret, public)` key pair: derived from the JS seed, or the raw secret.
fn ephemeral(seed: &Option<Hex<32>>, secret: &Hex<32>) -> ([u8; 32], [u8; 32]) {
    match seed {
        Some(seed) => r::js_ephemeral(&seed.0),
        None => (secret.0, r::x25519_public(&secret.0)),
    }
}
