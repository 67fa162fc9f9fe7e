//! [`ed25519_pk_to_x25519`]: honest keys convert exactly as libsodium converts them; keys with a
//! torsion component, small-order points and encodings that are not curve points do not.

use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};

use super::*;

/// `p = 2^255 - 19`, little-endian.
const P: [u8; 32] = {
    let mut p = [0xff; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    p
};

fn honest_keys(n: u8) -> impl Iterator<Item = [u8; 32]> {
    (0..n).map(|i| ed25519_from_seed(&[i; 32]).0)
}

fn point(key: &[u8; 32]) -> EdwardsPoint {
    CompressedEdwardsY(*key)
        .decompress()
        .expect("a curve point")
}

/// libsodium 1.0.18's conversion, with its one-coordinate subgroup check.
fn libsodium(key: &[u8; 32]) -> Option<[u8; 32]> {
    sign::to_curve25519_pk(&sign::PublicKey(*key))
        .ok()
        .map(|pk| pk.0)
}

/// `y + p` (or `y` with the sign bit set): another encoding of a small `y`.
fn plus_p(y: u8, sign_bit: bool) -> [u8; 32] {
    let mut key = P;
    key[0] = key[0].wrapping_add(y);
    assert!(y < 19, "y + p must stay below 2^255");
    if sign_bit {
        key[31] |= 0x80;
    }
    key
}

#[test]
fn honest_keys_convert_to_libsodiums_bytes() {
    for key in honest_keys(100) {
        let ours = ed25519_pk_to_x25519(&key);
        assert!(ours.is_some(), "{key:02x?} refused");
        assert_eq!(ours, libsodium(&key), "{key:02x?}");
    }
}

#[test]
fn keys_with_a_torsion_component_are_refused() {
    for key in honest_keys(16) {
        let q = point(&key);
        for (i, torsion) in EIGHT_TORSION.iter().enumerate().skip(1) {
            let torsioned = (q + torsion).compress().to_bytes();
            assert_eq!(ed25519_pk_to_x25519(&torsioned), None, "Q + T[{i}]");
        }
        // CVE-2025-69277: libsodium 1.0.18 converts Q + T2 (T2 = (0, -1), of order 2), which
        // is why the check is not libsodium's. (If a newer libsodium refuses it, this fails.)
        let t2 = (q + EIGHT_TORSION[4]).compress().to_bytes();
        assert!(libsodium(&t2).is_some(), "libsodium refused Q + T2");
    }
    assert_eq!(EIGHT_TORSION[4].compress().to_bytes(), {
        let mut minus_one = P;
        minus_one[0] -= 1;
        minus_one
    });
}

#[test]
fn small_order_points_are_refused_in_every_encoding() {
    for (i, torsion) in EIGHT_TORSION.iter().enumerate() {
        let key = torsion.compress().to_bytes();
        assert_eq!(ed25519_pk_to_x25519(&key), None, "T[{i}]");
        let mut signed = key;
        signed[31] ^= 0x80;
        assert_eq!(ed25519_pk_to_x25519(&signed), None, "T[{i}], other sign");
    }
    // All zeros is y = 0: the point (sqrt(-1), 0), of order 4.
    assert!(CompressedEdwardsY([0; 32]).decompress().is_some());
    assert_eq!(ed25519_pk_to_x25519(&[0; 32]), None, "all zeros");
    // y = 1 and y = -1 (the identity and T2) as y + p and p - 1 + p do not fit; y = 1 + p does.
    assert_eq!(
        ed25519_pk_to_x25519(&plus_p(1, false)),
        None,
        "identity + p"
    );
    assert_eq!(ed25519_pk_to_x25519(&plus_p(1, true)), None, "-0 identity");
}

#[test]
fn non_canonical_encodings_are_refused() {
    // Every y in 0..19 has a second encoding y + p below 2^255; none is accepted, whether or not
    // the canonical one is.
    for y in 0..19 {
        for sign_bit in [false, true] {
            assert_eq!(
                ed25519_pk_to_x25519(&plus_p(y, sign_bit)),
                None,
                "y = {y} + p, sign {sign_bit}"
            );
        }
    }
    // An honest key with its sign bit flipped is -Q: a valid key, so it converts (to the same u).
    for key in honest_keys(10) {
        let mut negated = key;
        negated[31] ^= 0x80;
        assert_eq!(ed25519_pk_to_x25519(&negated), ed25519_pk_to_x25519(&key));
    }
}

#[test]
fn bytes_that_are_not_curve_points_are_refused() {
    // y = 2 is not the y of a curve point; neither are about half of all 32-byte strings.
    let mut two = [0; 32];
    two[0] = 2;
    assert!(CompressedEdwardsY(two).decompress().is_none());
    assert_eq!(ed25519_pk_to_x25519(&two), None);
    let mut not_points = 0;
    for i in 0..=255u8 {
        let key: [u8; 32] = sha256(&[&[i]]).expose().to_owned();
        if CompressedEdwardsY(key).decompress().is_none() {
            not_points += 1;
            assert_eq!(ed25519_pk_to_x25519(&key), None, "{key:02x?}");
            assert_eq!(libsodium(&key), None, "{key:02x?}");
        }
    }
    assert!((64..=192).contains(&not_points), "{not_points} of 256");
}
