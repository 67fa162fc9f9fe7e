//! Replays every vector in `vectors/` (generated from the JS reference) byte for byte.

use bytes::BytesMut;
use secret_handshake::boxstream::{BoxStreamCodec, Frame, Goodbye};
use secret_handshake::handshake::{ClientHandshake, Handshake, Next, ServerHandshake, Session};
use secret_handshake::hazmat;
use secret_handshake::hazmat::raw_session_keys;
use secret_handshake::hazmat::replay as r;
use secret_handshake::{Keypair, NetworkKey, PublicKey};
use serde_json::Value;
use tokio_util::codec::{Decoder, Encoder};

/// Reads `vectors/<name>` (or from `$SHS_VECTORS_DIR`, used to check that mutated copies fail).
fn load(name: &str) -> Value {
    let dir = std::env::var("SHS_VECTORS_DIR")
        .unwrap_or_else(|_| format!("{}/vectors", env!("CARGO_MANIFEST_DIR")));
    let path = format!("{dir}/{name}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {path}: {e}"))
}

fn bytes(v: &Value) -> Vec<u8> {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("expected a hex string, got {v}"));
    assert!(s.len().is_multiple_of(2), "odd hex length: {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or_else(|_| panic!("bad hex {s}")))
        .collect()
}

fn arr<const N: usize>(v: &Value) -> [u8; N] {
    let b = bytes(v);
    b.as_slice()
        .try_into()
        .unwrap_or_else(|_| panic!("expected {N} bytes, got {}", b.len()))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Asserts `actual` equals the hex string `expected`, naming the field on failure.
fn check(what: &str, actual: &[u8], expected: &Value) {
    assert_eq!(
        hex(actual),
        expected.as_str().unwrap_or("<missing>"),
        "{what}"
    );
}

// ---------------------------------------------------------------------------------------------
// Op-level vectors: test-secret-handshake@1.0.2 data.json, all 159 entries.

#[test]
fn op_level_vectors_from_test_secret_handshake() {
    let file = load("test-secret-handshake.json");
    let entries = file["entries"].as_array().expect("entries");
    assert_eq!(file["count"], 159);
    assert_eq!(
        entries.len(),
        159,
        "vectors/test-secret-handshake.json lost entries"
    );
    let mut replayed = std::collections::BTreeMap::new();
    // Every peer key a state holds must be an identity of the data set, or (the wrong server key
    // of its failure case) appear in several states: a single altered copy stands out.
    let mut key_uses = std::collections::HashMap::<&Value, usize>::new();
    for state in entries
        .iter()
        .flat_map(|e| e["args"].as_array().into_iter().flatten())
    {
        for key in [&state["local"]["publicKey"], &state["remote"]["publicKey"]] {
            if key.is_string() {
                *key_uses.entry(key).or_default() += 1;
            }
        }
    }
    let identities: std::collections::HashSet<&Value> = entries
        .iter()
        .flat_map(|e| e["args"].as_array().into_iter().flatten())
        .map(|state| &state["local"]["publicKey"])
        .filter(|key| key.is_string())
        .chain(key_uses.iter().filter(|(_, n)| **n >= 3).map(|(k, _)| *k))
        .collect();
    for (i, entry) in entries.iter().enumerate() {
        let name = entry["name"].as_str().expect("name");
        let args = entry["args"].as_array().expect("args");
        let result = &entry["result"];
        let ctx = format!("entry {i} ({name})");
        // The ops mutate their state argument, and the JS snapshot was taken after the call: a
        // returned state must equal the snapshot, and our outputs must equal the fields in it.
        if result.is_object() && name != "toKeys" {
            assert_eq!(
                &args[0], result,
                "{ctx}: result differs from state snapshot"
            );
        }
        replay_op(name, args, result, &ctx);
        for state in args
            .iter()
            .chain([result])
            .filter(|v| v.get("local").is_some())
        {
            check_state(state, &ctx);
            let remote = &state["remote"]["publicKey"];
            assert!(
                remote.is_null() || identities.contains(remote),
                "{ctx}: unknown peer key"
            );
        }
        *replayed.entry(name.to_owned()).or_insert(0) += 1;
    }
    let expected = [
        ("clean", 12),
        ("clientCreateAuth", 12),
        ("clientVerifyAccept", 6),
        ("clientVerifyChallenge", 14),
        ("createChallenge", 31),
        ("initialize", 34),
        ("serverCreateAccept", 6),
        ("serverVerifyAuth", 12),
        ("toKeys", 2),
        ("verifyChallenge", 30),
    ];
    let expected = expected.iter().map(|(n, c)| (n.to_string(), *c)).collect();
    assert_eq!(replayed, expected);
}

/// Recomputes every derived field a JS state carries from the fields it derives from, so that no
/// byte of any state (not only an op's own outputs) goes unchecked.
fn check_state(state: &Value, ctx: &str) {
    let has = |v: &Value| v.is_string();
    let k: [u8; 32] = arr(&state["app_key"]);
    let (local, remote) = (&state["local"], &state["remote"]);
    let ctx = |field: &str| format!("{ctx}: state field {field}");
    if has(&local["secretKey"]) {
        let kp = Keypair::from_secret_key_bytes(&arr(&local["secretKey"]))
            .unwrap_or_else(|_| panic!("{}", ctx("local.secretKey")));
        check(
            &ctx("local.publicKey"),
            kp.public().as_bytes(),
            &local["publicKey"],
        );
    }
    if has(&state["seed"]) {
        let kp = Keypair::from_seed(&arr(&state["seed"]));
        check(&ctx("seed"), kp.secret_key_bytes(), &local["secretKey"]);
    }
    if has(&local["kx_sk"]) {
        let kx_sk = arr(&local["kx_sk"]);
        check(
            &ctx("local.kx_pk"),
            &r::x25519_public(&kx_sk),
            &local["kx_pk"],
        );
        if has(&state["random"]) {
            check(
                &ctx("random"),
                &r::js_ephemeral(&arr(&state["random"])).0,
                &local["kx_sk"],
            );
        }
    }
    for side in [local, remote] {
        if has(&side["app_mac"]) && has(&side["kx_pk"]) {
            check(
                &ctx("app_mac"),
                &r::hello(&k, &arr(&side["kx_pk"]))[..32],
                &side["app_mac"],
            );
        }
    }
    // Before `clean`, `secret` is ab; `clean` wipes kx_sk and replaces it with sha256(key4).
    if !has(&state["shash"]) {
        return;
    }
    let ab = arr(&state["secret"]);
    check(&ctx("shash"), &r::sha256(&ab), &state["shash"]);
    if has(&local["kx_sk"]) && has(&remote["kx_pk"]) {
        let expected = r::shared(&arr(&local["kx_sk"]), &arr(&remote["kx_pk"])).expect("ab");
        check(&ctx("secret"), &expected, &state["secret"]);
    }
    // Client and server compute aB and Ab from opposite key pairs; one of them must hold.
    let dh = |sk: [u8; 32], pk: Option<[u8; 32]>| pk.and_then(|pk| r::shared(&sk, &pk));
    let kx_sk = arr::<32>(&local["kx_sk"]);
    let our_curve = r::ed25519_sk_to_x25519(&arr(&local["secretKey"]));
    let their_curve = has(&remote["publicKey"])
        .then(|| r::ed25519_pk_to_x25519(&arr(&remote["publicKey"])))
        .flatten();
    let their_kx = has(&remote["kx_pk"]).then(|| arr::<32>(&remote["kx_pk"]));
    if has(&state["a_bob"]) {
        let a_b = arr::<32>(&state["a_bob"]);
        let options = [dh(kx_sk, their_curve), dh(our_curve, their_kx)];
        assert!(options.contains(&Some(a_b)), "{}", ctx("a_bob"));
        check(&ctx("secret2"), &r::key3(&k, &ab, &a_b), &state["secret2"]);
        if has(&state["b_alice"]) {
            let big_a_b = arr::<32>(&state["b_alice"]);
            let options = [dh(our_curve, their_kx), dh(kx_sk, their_curve)];
            assert!(options.contains(&Some(big_a_b)), "{}", ctx("b_alice"));
            check(
                &ctx("secret3"),
                &r::key4(&k, &ab, &a_b, &big_a_b),
                &state["secret3"],
            );
        }
    }
    if has(&local["hello"]) {
        let (h, _) = r::client_auth(
            &k,
            &arr(&local["secretKey"]),
            &arr(&remote["publicKey"]),
            &arr(&state["shash"]),
            &arr(&state["secret2"]),
        )
        .expect("client keypair");
        check(&ctx("local.hello"), &h, &local["hello"]);
    }
    if has(&remote["hello"]) && has(&remote["publicKey"]) {
        check(
            &ctx("remote.hello"),
            &bytes(&remote["hello"])[64..],
            &remote["publicKey"],
        );
    }
}

fn replay_op(name: &str, args: &[Value], result: &Value, ctx: &str) {
    let state = &args[0];
    let k: [u8; 32] = if name == "toKeys" {
        [0; 32]
    } else {
        arr(&state["app_key"])
    };
    let local = &state["local"];
    let remote = &state["remote"];
    match name {
        "toKeys" => {
            // A seed makes a keypair; a keypair object passes through unchanged.
            let kp = match args[0].is_object() {
                true => {
                    Keypair::from_secret_key_bytes(&arr(&args[0]["secretKey"])).expect("keypair")
                }
                false => Keypair::from_seed(&arr(&args[0])),
            };
            check(ctx, kp.public().as_bytes(), &result["publicKey"]);
            check(ctx, kp.secret_key_bytes(), &result["secretKey"]);
        }
        "initialize" => {
            if !state["seed"].is_null() {
                let kp = Keypair::from_seed(&arr(&state["seed"]));
                check(ctx, kp.public().as_bytes(), &local["publicKey"]);
                check(ctx, kp.secret_key_bytes(), &local["secretKey"]);
            }
            let (sk, pk) = r::js_ephemeral(&arr(&state["random"]));
            check(&format!("{ctx} kx_sk"), &sk, &result["local"]["kx_sk"]);
            check(&format!("{ctx} kx_pk"), &pk, &result["local"]["kx_pk"]);
            check(
                &format!("{ctx} app_mac"),
                &r::hello(&k, &pk)[..32],
                &result["local"]["app_mac"],
            );
        }
        "createChallenge" => {
            let msg = r::hello(&k, &arr(&local["kx_pk"]));
            check(ctx, &msg, result);
            check(ctx, &msg[..32], &local["app_mac"]);
        }
        "verifyChallenge" | "clientVerifyChallenge" => {
            let msg = bytes(&args[1]);
            let Some(peer) = r::open_hello(&k, &msg) else {
                assert!(result.is_null(), "{ctx}: we rejected a valid hello");
                return;
            };
            let ab = r::shared(&arr(&local["kx_sk"]), &peer).expect("ab");
            let shash = r::sha256(&ab);
            if name == "clientVerifyChallenge" {
                let Some(server_curve) = r::ed25519_pk_to_x25519(&arr(&remote["publicKey"])) else {
                    assert!(result.is_null(), "{ctx}: we rejected a valid server key");
                    return;
                };
                let a_b = r::shared(&arr(&local["kx_sk"]), &server_curve).expect("aB");
                let key3 = r::key3(&k, &ab, &a_b);
                let (h, _) = r::client_auth(
                    &k,
                    &arr(&local["secretKey"]),
                    &arr(&remote["publicKey"]),
                    &shash,
                    &key3,
                )
                .expect("client keypair");
                assert!(result.is_object(), "{ctx}: we accepted an invalid hello");
                check(&format!("{ctx} a_bob"), &a_b, &result["a_bob"]);
                check(&format!("{ctx} secret2"), &key3, &result["secret2"]);
                check(&format!("{ctx} hello"), &h, &result["local"]["hello"]);
            }
            assert!(result.is_object(), "{ctx}: we accepted an invalid hello");
            check(
                &format!("{ctx} remote.kx_pk"),
                &peer,
                &result["remote"]["kx_pk"],
            );
            check(
                &format!("{ctx} remote.app_mac"),
                &msg[..32],
                &result["remote"]["app_mac"],
            );
            check(&format!("{ctx} secret"), &ab, &result["secret"]);
            check(&format!("{ctx} shash"), &shash, &result["shash"]);
        }
        "clientCreateAuth" => {
            let (h, msg3) = r::client_auth(
                &k,
                &arr(&local["secretKey"]),
                &arr(&remote["publicKey"]),
                &arr(&state["shash"]),
                &arr(&state["secret2"]),
            )
            .expect("client keypair");
            check(ctx, &msg3, result);
            check(&format!("{ctx} hello"), &h, &local["hello"]);
        }
        "serverVerifyAuth" => {
            let server_curve = r::ed25519_sk_to_x25519(&arr(&local["secretKey"]));
            let a_b = r::shared(&server_curve, &arr(&remote["kx_pk"])).expect("aB");
            let key3 = r::key3(&k, &arr(&state["secret"]), &a_b);
            // Written by the JS before it knows whether message 3 is valid.
            check(&format!("{ctx} a_bob"), &a_b, &state["a_bob"]);
            check(&format!("{ctx} secret2"), &key3, &state["secret2"]);
            let opened = r::open_client_auth(
                &k,
                &arr(&local["publicKey"]),
                &arr(&state["shash"]),
                &key3,
                &bytes(&args[1]),
            );
            let Some((h, client)) = opened else {
                assert!(result.is_null(), "{ctx}: we rejected a valid client auth");
                return;
            };
            assert!(
                result.is_object(),
                "{ctx}: we accepted an invalid client auth"
            );
            let client_curve = r::ed25519_pk_to_x25519(&client).expect("client curve key");
            let big_a_b = r::shared(&arr(&local["kx_sk"]), &client_curve).expect("Ab");
            check(
                &format!("{ctx} remote.hello"),
                &h,
                &result["remote"]["hello"],
            );
            check(
                &format!("{ctx} remote.publicKey"),
                &client,
                &result["remote"]["publicKey"],
            );
            check(&format!("{ctx} b_alice"), &big_a_b, &result["b_alice"]);
            let key4 = r::key4(&k, &arr(&state["secret"]), &a_b, &big_a_b);
            check(&format!("{ctx} secret3"), &key4, &result["secret3"]);
        }
        "serverCreateAccept" => {
            let msg4 = r::server_accept(
                &k,
                &arr(&local["secretKey"]),
                &arr(&remote["hello"]),
                &arr(&state["shash"]),
                &arr(&state["secret3"]),
            )
            .expect("server keypair");
            check(ctx, &msg4, result);
        }
        "clientVerifyAccept" => {
            let client_curve = r::ed25519_sk_to_x25519(&arr(&local["secretKey"]));
            let big_a_b = r::shared(&client_curve, &arr(&remote["kx_pk"])).expect("Ab");
            let key4 = r::key4(&k, &arr(&state["secret"]), &arr(&state["a_bob"]), &big_a_b);
            check(&format!("{ctx} b_alice"), &big_a_b, &state["b_alice"]);
            check(&format!("{ctx} secret3"), &key4, &state["secret3"]);
            let ok = r::verify_server_accept(
                &k,
                &arr(&remote["publicKey"]),
                &arr(&local["hello"]),
                &arr(&state["shash"]),
                &key4,
                &bytes(&args[1]),
            );
            assert_eq!(ok, result.is_object(), "{ctx}: verdict differs");
        }
        "clean" => {
            let (enc, dec) = r::session_keys_from_secret(
                &arr(&state["secret"]),
                &arr(&remote["publicKey"]),
                &arr(&local["publicKey"]),
            );
            check(&format!("{ctx} encryptKey"), &enc, &result["encryptKey"]);
            check(&format!("{ctx} decryptKey"), &dec, &result["decryptKey"]);
        }
        other => panic!("{ctx}: unknown op {other}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Full handshakes: every message and intermediate, through the state machines.

struct Case<'a>(&'a Value);

impl Case<'_> {
    fn network(&self) -> NetworkKey {
        NetworkKey::from_bytes(arr(&self.0["network_key"]))
    }
    fn identity(&self, side: &str) -> Keypair {
        let kp = Keypair::from_secret_key_bytes(&arr(&self.0[format!("{side}_longterm_sk")]))
            .expect("consistent secret key");
        check(
            &format!("{side}_longterm_pk"),
            kp.public().as_bytes(),
            &self.0[format!("{side}_longterm_pk")],
        );
        kp
    }
    fn client(&self) -> ClientHandshake {
        let (c, net) = (&self.0, self.network());
        let server = PublicKey::from_bytes(arr(&c["server_longterm_pk"]));
        match c["client_ephemeral_seed"].is_null() {
            true => ClientHandshake::with_fixed_ephemeral_key_for_testing_only(
                &self.identity("client"),
                &net,
                &server,
                arr(&c["client_ephemeral_sk"]),
            ),
            false => ClientHandshake::with_js_ephemeral_seed_for_testing_only(
                &self.identity("client"),
                &net,
                &server,
                &arr(&c["client_ephemeral_seed"]),
            ),
        }
    }
    fn server(&self) -> ServerHandshake {
        let (c, net) = (&self.0, self.network());
        match c["server_ephemeral_seed"].is_null() {
            true => ServerHandshake::with_fixed_ephemeral_key_for_testing_only(
                &self.identity("server"),
                &net,
                arr(&c["server_ephemeral_sk"]),
            ),
            false => ServerHandshake::with_js_ephemeral_seed_for_testing_only(
                &self.identity("server"),
                &net,
                &arr(&c["server_ephemeral_seed"]),
            ),
        }
    }
}

fn expect_send(h: &mut impl Handshake, expected: &Value, what: &str) {
    match h.next() {
        Next::Send(bytes) => check(what, bytes, expected),
        other => panic!("{what}: expected to send, got {other:?}"),
    }
    h.sent().expect("sent");
}

fn expect_receive(h: &mut impl Handshake, msg: &Value, what: &str) {
    let msg = bytes(msg);
    assert_eq!(h.next(), Next::Receive(msg.len()), "{what}");
    h.received(&msg).unwrap_or_else(|e| panic!("{what}: {e}"));
}

fn check_outcome(session: Session, expected: &Value, peer: &Value, who: &str) {
    check(&format!("{who} peer"), session.peer.as_bytes(), peer);
    let keys = raw_session_keys(&session.keys);
    check(
        &format!("{who} encrypt_key"),
        &keys.encrypt_key,
        &expected["encrypt_key"],
    );
    check(
        &format!("{who} encrypt_nonce"),
        &keys.encrypt_nonce,
        &expected["encrypt_nonce"],
    );
    check(
        &format!("{who} decrypt_key"),
        &keys.decrypt_key,
        &expected["decrypt_key"],
    );
    check(
        &format!("{who} decrypt_nonce"),
        &keys.decrypt_nonce,
        &expected["decrypt_nonce"],
    );
}

#[test]
fn full_handshakes_from_the_reference() {
    let file = load("handshakes.json");
    let cases = file["cases"].as_array().expect("cases");
    assert!(
        cases.len() >= 8,
        "vectors/handshakes.json lost cases: {}",
        cases.len()
    );
    assert_eq!(cases[0]["name"], "shs1-crypto-worked-vector");
    for c in cases {
        let name = c["name"].as_str().expect("name");
        let case = Case(c);

        // Client side, fed the reference's server messages.
        let mut client = case.client();
        expect_send(&mut client, &c["msg1"], &format!("{name} msg1"));
        expect_receive(&mut client, &c["msg2"], &format!("{name} msg2"));
        expect_send(&mut client, &c["msg3"], &format!("{name} msg3"));
        expect_receive(&mut client, &c["msg4"], &format!("{name} msg4"));
        assert_eq!(client.next(), Next::Done);
        check_outcome(
            client.finish().expect("client done"),
            &c["client_outcome"],
            &c["server_longterm_pk"],
            name,
        );

        // Server side, fed the reference's client messages.
        let mut server = case.server();
        expect_receive(&mut server, &c["msg1"], &format!("{name} msg1"));
        expect_send(&mut server, &c["msg2"], &format!("{name} msg2"));
        expect_receive(&mut server, &c["msg3"], &format!("{name} msg3"));
        match server.next() {
            Next::Authorize(key) => check(
                &format!("{name} client key"),
                key.as_bytes(),
                &c["client_longterm_pk"],
            ),
            other => panic!("{name}: expected authorize, got {other:?}"),
        }
        server.accept().expect("accept");
        expect_send(&mut server, &c["msg4"], &format!("{name} msg4"));
        check_outcome(
            server.finish().expect("server done"),
            &c["server_outcome"],
            &c["client_longterm_pk"],
            name,
        );

        check_intermediates(c, name);
    }
}

/// The intermediate secrets, step by step, against the reference's.
fn check_intermediates(c: &Value, name: &str) {
    let k = arr(&c["network_key"]);
    let (a_sk, a_pk) = ephemeral(c, "client");
    let (b_sk, b_pk) = ephemeral(c, "server");
    check(
        &format!("{name} client_ephemeral_pk"),
        &a_pk,
        &c["client_ephemeral_pk"],
    );
    check(
        &format!("{name} server_ephemeral_pk"),
        &b_pk,
        &c["server_ephemeral_pk"],
    );
    check(
        &format!("{name} client_ephemeral_sk"),
        &a_sk,
        &c["client_ephemeral_sk"],
    );
    check(
        &format!("{name} server_ephemeral_sk"),
        &b_sk,
        &c["server_ephemeral_sk"],
    );
    let ab = r::shared(&a_sk, &b_pk).expect("ab");
    assert_eq!(Some(ab), r::shared(&b_sk, &a_pk));
    check(&format!("{name} ab"), &ab, &c["ab"]);
    let shash = r::sha256(&ab);
    check(&format!("{name} shash"), &shash, &c["shash"]);
    let server_curve = r::ed25519_pk_to_x25519(&arr(&c["server_longterm_pk"])).expect("B curve");
    let a_b = r::shared(&a_sk, &server_curve).expect("aB");
    check(&format!("{name} aB"), &a_b, &c["aB"]);
    let client_curve = r::ed25519_pk_to_x25519(&arr(&c["client_longterm_pk"])).expect("A curve");
    let big_a_b = r::shared(&b_sk, &client_curve).expect("Ab");
    check(&format!("{name} Ab"), &big_a_b, &c["Ab"]);
    let key3 = r::key3(&k, &ab, &a_b);
    check(&format!("{name} key3"), &key3, &c["key3"]);
    check(
        &format!("{name} key4"),
        &r::key4(&k, &ab, &a_b, &big_a_b),
        &c["key4"],
    );
    let (h, _) = r::client_auth(
        &k,
        &arr(&c["client_longterm_sk"]),
        &arr(&c["server_longterm_pk"]),
        &shash,
        &key3,
    )
    .expect("client keypair");
    check(
        &format!("{name} client_auth_plaintext"),
        &h,
        &c["client_auth_plaintext"],
    );
    let opened = r::open_client_auth(
        &k,
        &arr(&c["server_longterm_pk"]),
        &shash,
        &key3,
        &bytes(&c["msg3"]),
    );
    assert_eq!(opened.map(|(h, _)| h), Some(h), "{name}: msg3 opens to H");
    let key4 = r::key4(&k, &ab, &a_b, &big_a_b);
    let signature = r::open_server_accept(&key4, &bytes(&c["msg4"])).expect("msg4 opens");
    check(
        &format!("{name} server_accept_plaintext"),
        &signature,
        &c["server_accept_plaintext"],
    );
}

fn ephemeral(c: &Value, side: &str) -> ([u8; 32], [u8; 32]) {
    let seed = &c[format!("{side}_ephemeral_seed")];
    if seed.is_null() {
        let sk = arr(&c[format!("{side}_ephemeral_sk")]);
        (sk, r::x25519_public(&sk))
    } else {
        r::js_ephemeral(&arr(seed))
    }
}

// ---------------------------------------------------------------------------------------------
// Box-stream: sealing, opening in every chunking, and the codec.

#[test]
fn boxstream_vectors_from_pull_box_stream() {
    let file = load("boxstream.json");
    let cases = file["cases"].as_array().expect("cases");
    let names: Vec<&str> = cases
        .iter()
        .map(|c| c["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        [
            "box-stream-c",
            "empty-session",
            "empty-write",
            "write-4096",
            "write-4097",
            "write-4100",
            "write-65536",
            "several-writes",
            "nonce-wrap"
        ]
    );
    for c in cases {
        let name = c["name"].as_str().expect("name");
        let (key, nonce) = (arr::<32>(&c["key"]), arr::<24>(&c["nonce"]));
        let writes: Vec<Vec<u8>> = c["writes"]
            .as_array()
            .expect("writes")
            .iter()
            .map(bytes)
            .collect();
        let wire = bytes(&c["wire"]);
        let chunks: Vec<u8> = c["wire_chunks"]
            .as_array()
            .expect("chunks")
            .iter()
            .flat_map(bytes)
            .collect();
        assert_eq!(
            chunks, wire,
            "{name}: wire is the concatenation of wire_chunks"
        );
        let messages: Vec<Vec<u8>> = c["decrypted_messages"]
            .as_array()
            .expect("messages")
            .iter()
            .map(bytes)
            .collect();

        // Sealing.
        let mut sealer = hazmat::sealer_from_raw_parts(key, nonce);
        let mut out = BytesMut::new();
        for w in &writes {
            sealer.seal(w, &mut out);
        }
        sealer.seal_goodbye(&mut out);
        check(&format!("{name} wire"), &out, &c["wire"]);

        // The goodbye is the last 34 bytes, sealed with goodbye_nonce.
        let goodbye = &wire[wire.len() - 34..];
        let mut opener = hazmat::opener_from_raw_parts(key, arr(&c["goodbye_nonce"]));
        assert_eq!(
            opener.open(&mut BytesMut::from(goodbye)),
            Ok(Some(Frame::Goodbye)),
            "{name}"
        );

        // Opening, whole and in chunks of 1, 7 and 4096 bytes.
        for chunk in [wire.len().max(1), 1, 7, 4096] {
            assert_eq!(
                open_all(key, nonce, &wire, chunk),
                messages,
                "{name}, chunks of {chunk}"
            );
        }

        // The codec frames exactly the same way.
        let mut codec = BoxStreamCodec::from_parts(
            hazmat::sealer_from_raw_parts(key, nonce),
            hazmat::opener_from_raw_parts(key, nonce),
        );
        let mut out = BytesMut::new();
        for w in &writes {
            codec.encode(w.as_slice(), &mut out).expect("encode");
        }
        codec.encode(Goodbye, &mut out).expect("goodbye");
        check(&format!("{name} codec wire"), &out, &c["wire"]);
        let mut decoded = Vec::new();
        let mut src = BytesMut::from(&wire[..]);
        while let Some(frame) = codec.decode_eof(&mut src).expect("decode") {
            decoded.push(frame);
        }
        let goodbye = decoded.pop();
        let expected: Vec<Frame> = messages
            .iter()
            .map(|m| Frame::Message(m[..].into()))
            .collect();
        assert_eq!(
            goodbye,
            Some(Frame::Goodbye),
            "{name}: codec ends with the goodbye"
        );
        assert_eq!(decoded, expected, "{name}: codec decode");
    }
}

/// Opens `wire` fed `chunk` bytes at a time; checks it ends in a goodbye.
fn open_all(key: [u8; 32], nonce: [u8; 24], wire: &[u8], chunk: usize) -> Vec<Vec<u8>> {
    let mut opener = hazmat::opener_from_raw_parts(key, nonce);
    let mut buf = BytesMut::new();
    let mut messages = Vec::new();
    for piece in wire.chunks(chunk) {
        buf.extend_from_slice(piece);
        while let Some(frame) = opener.open(&mut buf).expect("valid frame") {
            match frame {
                Frame::Message(m) => messages.push(m.to_vec()),
                Frame::Goodbye => {
                    assert!(opener.is_ended());
                    return messages;
                }
            }
        }
    }
    panic!("no goodbye");
}
