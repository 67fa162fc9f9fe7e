//! The op-level vectors: test-secret-handshake@1.0.2 data.json, all 159 entries, each op
//! replayed and every field of every state recomputed.

use secret_handshake::hazmat::replay as r;
use secret_handshake::Keypair;
use serde_json::Value;

use crate::{arr, bytes, check, load};

#[test]
fn op_level_vectors_from_test_secret_handshake() {
    let file: Value = load("test-secret-handshake.json");
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
