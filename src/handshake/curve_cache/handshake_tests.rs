//! Both state machines with a cache: same sessions as without, and keys that do not convert are
//! still refused with the same errors.

use std::sync::Arc;

use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::CompressedEdwardsY;

use super::CurveCache;
use crate::crypto;
use crate::error::{HandshakeError, Phase};
use crate::handshake::{ClientHandshake, Handshake, Next, ServerHandshake, Session};
use crate::keys::{Keypair, NetworkKey, PublicKey};

/// Moves one message from `from` to `to`; the receiver's verdict.
fn relay(from: &mut impl Handshake, to: &mut impl Handshake) -> Result<(), HandshakeError> {
    let Next::Send(msg) = from.next() else {
        panic!("nothing to send: {:?}", from.next())
    };
    let msg = msg.to_vec();
    from.sent().expect("sent");
    to.received(&msg)
}

/// Messages 1 to 3, then (if the server let message 3 in) its acceptance and message 4.
fn run(
    mut client: ClientHandshake,
    mut server: ServerHandshake,
) -> Result<(Session, Session), HandshakeError> {
    relay(&mut client, &mut server)?;
    relay(&mut server, &mut client)?;
    relay(&mut client, &mut server)?;
    server.accept()?;
    relay(&mut server, &mut client)?;
    Ok((client.finish()?, server.finish()?))
}

/// The seed of [`TORSIONED`]'s keypair.
const SEED: [u8; 32] = [0x42; 32];
/// The public key of [`SEED`] plus the point of order 4 `(sqrt(-1), 0)`, computed with the
/// arithmetic of RFC 8032. It decodes and is not of small order, so libsodium's signature check
/// passes whenever the signature's hash is a multiple of 4, but it is outside the main subgroup,
/// so it does not convert to Curve25519.
const TORSIONED: [u8; 32] = [
    0x66, 0x89, 0x00, 0x59, 0xb2, 0x39, 0xfe, 0x36, 0x48, 0x99, 0x77, 0x91, 0x74, 0x23, 0xb6, 0xfe,
    0x07, 0x98, 0x22, 0x3d, 0xb8, 0x25, 0xfb, 0x1d, 0xc7, 0x4c, 0x35, 0x0c, 0xb9, 0x74, 0x60, 0xc7,
];

/// The keypair of [`SEED`] claiming [`TORSIONED`] as its public key.
fn torsioned() -> Keypair {
    let honest = Keypair::from_seed(&SEED);
    assert_ne!(honest.public().as_bytes(), &TORSIONED);
    let keypair = honest.with_public_for_tests(TORSIONED);
    assert_eq!(crypto::ed25519_pk_to_x25519(&TORSIONED), None);
    keypair
}

/// The keypair of [`SEED`] claiming `Q + T2` as its public key (`Q` its real one, `T2` the point
/// of order 2): the key libsodium 1.0.18 converts (CVE-2025-69277), and whose signatures it
/// verifies whenever the signature's hash is even.
fn order_2_torsioned() -> Keypair {
    let honest = Keypair::from_seed(&SEED);
    let q = CompressedEdwardsY(*honest.public().as_bytes())
        .decompress()
        .expect("a real key decodes");
    let plus_t2 = (q + EIGHT_TORSION[4]).compress().to_bytes();
    assert_eq!(crypto::ed25519_pk_to_x25519(&plus_t2), None);
    honest.with_public_for_tests(plus_t2)
}

/// Of 64 messages signed by `keypair`, how many its claimed public key verifies.
fn verified_of_64(keypair: &Keypair) -> usize {
    (0..64u8)
        .filter(|&i| {
            let signature = crypto::sign(&[i], keypair.secret());
            crypto::verify(&signature, &[i], keypair.public().as_bytes())
        })
        .count()
}

#[test]
fn cached_sessions_equal_uncached_ones() {
    let (client_id, server_id, net) = (
        Keypair::generate(),
        Keypair::generate(),
        NetworkKey::default(),
    );
    let (client_cache, server_cache) = (Arc::new(CurveCache::new()), Arc::new(CurveCache::new()));
    let random = ([1; 32], [2; 32]);
    let plain = run(
        ClientHandshake::with_js_ephemeral_seed_for_testing_only(
            &client_id,
            &net,
            server_id.public(),
            &random.0,
        ),
        ServerHandshake::with_js_ephemeral_seed_for_testing_only(&server_id, &net, &random.1),
    )
    .expect("uncached");
    for round in ["first contact", "repeat peer"] {
        let client = ClientHandshake::with_js_ephemeral_seed_for_testing_only(
            &client_id,
            &net,
            server_id.public(),
            &random.0,
        )
        .with_cache(&client_cache);
        let server =
            ServerHandshake::with_js_ephemeral_seed_for_testing_only(&server_id, &net, &random.1)
                .with_cache(&server_cache);
        let (c, s) = run(client, server).expect(round);
        assert_eq!(
            c.keys.encrypt_key.expose(),
            plain.0.keys.encrypt_key.expose(),
            "{round}"
        );
        assert_eq!(
            s.keys.encrypt_key.expose(),
            plain.1.keys.encrypt_key.expose(),
            "{round}"
        );
        assert_eq!((client_cache.len(), server_cache.len()), (1, 1), "{round}");
    }
}

#[test]
fn a_server_key_that_does_not_convert_is_refused_with_a_cache() {
    let (client_id, server_id, net) = (
        Keypair::generate(),
        Keypair::generate(),
        NetworkKey::default(),
    );
    let cache = Arc::new(CurveCache::new());
    let bad = PublicKey::from_bytes(TORSIONED);
    for attempt in 0..2 {
        let mut client = ClientHandshake::new_cached(&client_id, &net, &bad, &cache);
        let mut server = ServerHandshake::new(&server_id, &net);
        relay(&mut client, &mut server).expect("message 1");
        let e = relay(&mut server, &mut client).expect_err("message 2");
        assert!(
            matches!(e, HandshakeError::InvalidServerKey),
            "{attempt}: {e:?}"
        );
        assert!(cache.is_empty(), "a failed conversion was cached");
    }
}

#[test]
fn a_client_key_that_does_not_convert_is_refused_with_a_cache() {
    let (client_id, server_id, net) = (
        Keypair::generate(),
        Keypair::generate(),
        NetworkKey::default(),
    );
    // Signing hashes in the claimed public key, and libsodium verifies some of these signatures:
    // about one in 4 for the order-4 component, one in 2 for the order-2 one. The server checks
    // the key before the signature, so every handshake fails at the key, whatever the hash.
    for (bad, expected) in [(torsioned(), 4..=28), (order_2_torsioned(), 16..=48)] {
        let verified = verified_of_64(&bad);
        assert!(expected.contains(&verified), "{verified} of 64 verified");
        let cache = Arc::new(CurveCache::new());
        for attempt in 0..16 {
            let client = ClientHandshake::new(&bad, &net, server_id.public());
            let server = ServerHandshake::new_cached(&server_id, &net, &cache);
            let e = run(client, server).expect_err("a key outside the prime-order subgroup");
            assert!(
                matches!(e, HandshakeError::InvalidClientKey),
                "{attempt}: {e:?}"
            );
            assert_eq!(e.phase(), Some(Phase::ClientAuth));
        }
        assert!(cache.is_empty(), "a failed conversion was cached");
        let good = ClientHandshake::new(&client_id, &net, server_id.public());
        run(good, ServerHandshake::new_cached(&server_id, &net, &cache)).expect("good client");
        assert_eq!(cache.len(), 1);
    }
}

#[test]
fn a_torsioned_server_key_is_known_before_anything_is_sent() {
    let (client_id, net) = (Keypair::generate(), NetworkKey::default());
    let cache = Arc::new(CurveCache::new());
    for bad in [TORSIONED, *order_2_torsioned().public().as_bytes(), [0; 32]] {
        let bad = PublicKey::from_bytes(bad);
        for client in [
            ClientHandshake::new(&client_id, &net, &bad),
            ClientHandshake::new_cached(&client_id, &net, &bad, &cache),
        ] {
            let e = client.check_server_key().expect_err("refused");
            assert!(matches!(e, HandshakeError::InvalidServerKey), "{e:?}");
            assert_eq!(client.phase(), Phase::ClientHello, "nothing sent yet");
        }
    }
    assert!(cache.is_empty());
    let good = Keypair::generate();
    let client = ClientHandshake::new_cached(&client_id, &net, good.public(), &cache);
    client.check_server_key().expect("a real key");
    assert_eq!(cache.len(), 1, "converted once, at creation");
}

/// Issue 18: a client that claims someone's key but cannot sign for it leaves nothing in the
/// server's cache; a client that proves its key is cached.
#[test]
fn a_server_caches_a_client_key_only_once_its_signature_verifies() {
    let (server_id, net) = (Keypair::generate(), NetworkKey::default());
    let cache = Arc::new(CurveCache::new());
    for _ in 0..200 {
        // A valid, convertible key, signed for by another secret key.
        let claimed = *Keypair::generate().public().as_bytes();
        let liar = Keypair::generate().with_public_for_tests(claimed);
        let client = ClientHandshake::new(&liar, &net, server_id.public());
        let server = ServerHandshake::new_cached(&server_id, &net, &cache);
        let error = run(client, server).expect_err("a bad signature");
        assert_eq!(error.phase(), Some(Phase::ClientAuth), "{error:?}");
        assert!(
            !matches!(error, HandshakeError::InvalidClientKey),
            "{error:?}"
        );
    }
    assert_eq!(cache.len(), 0, "keys with bad signatures were cached");

    let honest = Keypair::generate();
    let client = ClientHandshake::new(&honest, &net, server_id.public());
    run(
        client,
        ServerHandshake::new_cached(&server_id, &net, &cache),
    )
    .expect("honest");
    assert_eq!(cache.len(), 1);
}

/// Issue 18: the server makes its ephemeral key only for a hello that checks out, not for
/// every connection (junk costs no key generation).
#[test]
fn a_server_makes_no_ephemeral_key_before_a_valid_hello() {
    use crate::handshake::messages::GENERATED;
    let generated = || GENERATED.with(|count| count.get());
    let (server_id, net) = (Keypair::generate(), NetworkKey::default());
    let before = generated();
    for junk in 0..100u8 {
        let mut server = ServerHandshake::new(&server_id, &net);
        assert!(server.received(&[junk; 64]).is_err());
        assert!(matches!(server.next(), Next::Failed));
    }
    // A hello for another network is junk too.
    let mut client = ClientHandshake::new(&Keypair::generate(), &net, server_id.public());
    let other_net = NetworkKey::from_bytes([7; 32]);
    let mut server = ServerHandshake::new(&server_id, &other_net);
    let before_hellos = generated();
    assert!(relay(&mut client, &mut server).is_err());
    assert_eq!(
        generated(),
        before_hellos,
        "a key for a hello of another network"
    );
    assert_eq!(generated() - before, 1, "only the client's own key");

    // A valid hello: one key, and the handshake completes with it.
    let client = ClientHandshake::new(&Keypair::generate(), &net, server_id.public());
    let before = generated();
    let server = ServerHandshake::new(&server_id, &net);
    assert_eq!(generated(), before, "none at construction");
    run(client, server).expect("a valid handshake");
    assert_eq!(generated() - before, 1);
}
