//! The only module that talks to libsodium (through `sodiumoxide`).
//!
//! Every primitive the handshake and box-stream need is wrapped here with plain byte arrays, so
//! the rest of the crate never sees a `sodiumoxide` type and the backend stays swappable. Keys that
//! are used repeatedly (the box-stream key and its cached XSalsa20 subkey) are kept in libsodium's
//! own key types, which wipe themselves on drop.
//!
//! One check is not libsodium's: whether a peer's long-term key lies in the prime-order subgroup
//! ([`ed25519_pk_to_x25519`]), which the bundled libsodium 1.0.18 gets wrong (CVE-2025-69277) and
//! curve25519-dalek does here.

use curve25519_dalek::edwards::CompressedEdwardsY;
use sodiumoxide::crypto::onetimeauth::poly1305;
use sodiumoxide::crypto::stream::salsa20;
use sodiumoxide::crypto::{auth, hash::sha256, scalarmult::curve25519 as x25519, secretbox, sign};
use std::sync::Once;

use crate::secret::Secret;

/// Length of an XSalsa20-Poly1305 authentication tag.
pub(crate) const TAG_LEN: usize = secretbox::MACBYTES;
/// Length of a secretbox nonce.
pub(crate) const NONCE_LEN: usize = secretbox::NONCEBYTES;

/// Initialises libsodium once (it picks the fastest implementations and seeds its RNG).
fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // `sodium_init` only fails if the OS has no usable randomness source; libsodium then
        // aborts on first use of randomness anyway, so there is nothing better to do here.
        let _ = sodiumoxide::init();
    });
}

/// Fills `buf` with cryptographically secure random bytes.
pub(crate) fn random_bytes(buf: &mut [u8]) {
    init();
    sodiumoxide::randombytes::randombytes_into(buf);
}

/// `crypto_auth`: HMAC-SHA-512 truncated to 32 bytes.
pub(crate) fn hmac(msg: &[u8], key: &[u8; 32]) -> [u8; 32] {
    auth::authenticate(msg, &auth::Key(*key)).0
}

/// `crypto_auth_verify`: constant-time check of an HMAC-SHA-512-256 tag.
pub(crate) fn hmac_verify(tag: &[u8; 32], msg: &[u8], key: &[u8; 32]) -> bool {
    auth::verify(&auth::Tag(*tag), msg, &auth::Key(*key))
}

/// SHA-256 of the concatenation of `parts`.
pub(crate) fn sha256(parts: &[&[u8]]) -> Secret<32> {
    let mut state = sha256::State::new();
    for part in parts {
        state.update(part);
    }
    Secret::new(state.finalize().0)
}

/// X25519 scalar multiplication. `None` when the result is all zeros (a low-order point), which
/// libsodium refuses and which would make the shared secret predictable.
pub(crate) fn x25519(secret: &Secret<32>, public: &[u8; 32]) -> Option<Secret<32>> {
    let scalar = x25519::Scalar(*secret.expose());
    let product = x25519::scalarmult(&scalar, &x25519::GroupElement(*public)).ok()?;
    Some(Secret::new(product.0))
}

/// The X25519 public key of `secret`.
pub(crate) fn x25519_base(secret: &Secret<32>) -> [u8; 32] {
    x25519::scalarmult_base(&x25519::Scalar(*secret.expose())).0
}

/// A fresh X25519 keypair for one handshake: a random scalar and its public point.
pub(crate) fn x25519_keypair() -> (Secret<32>, [u8; 32]) {
    let mut secret = Secret::new([0; 32]);
    random_bytes(secret.expose_mut());
    let public = x25519_base(&secret);
    (secret, public)
}

/// An Ed25519 keypair from a 32-byte seed: `(public, seed ‖ public)`.
pub(crate) fn ed25519_from_seed(seed: &[u8; 32]) -> ([u8; 32], Secret<64>) {
    init();
    let (public, secret) = sign::keypair_from_seed(&sign::Seed(*seed));
    (public.0, Secret::new(secret.0))
}

/// The Curve25519 form of a peer's long-term Ed25519 key: `u = (1 + y) / (1 - y)`, the bytes
/// `crypto_sign_ed25519_pk_to_curve25519` gives. `None` unless `public` is the canonical encoding
/// of a point of prime order ℓ: a key that does not decode, is encoded non-canonically, has small
/// order, or has a torsion component (`Q + T`, `T` of order 2, 4 or 8) is refused.
///
/// This is the crate's one check that a long-term key lies in the prime-order subgroup, so every
/// peer key goes through it before it is used or cached. It is done with curve25519-dalek, not
/// libsodium: the bundled libsodium 1.0.18 tests only one coordinate of `ℓ·P`, so its conversion
/// accepts `Q + T₂` (CVE-2025-69277), which would let one secret sign as several ids. The cost is
/// one decompression, one multiplication by ℓ and two inversions, about one scalar
/// multiplication (measured: less than libsodium's conversion, which does the same work).
pub(crate) fn ed25519_pk_to_x25519(public: &[u8; 32]) -> Option<[u8; 32]> {
    let point = CompressedEdwardsY(*public).decompress()?;
    let canonical = point.compress().as_bytes() == public;
    (canonical && !point.is_small_order() && point.is_torsion_free())
        .then(|| point.to_montgomery().to_bytes())
}

/// `crypto_sign_ed25519_sk_to_curve25519`: the clamped first half of SHA-512 of the seed.
pub(crate) fn ed25519_sk_to_x25519(secret: &Secret<64>) -> Secret<32> {
    let converted = sign::to_curve25519_sk(&sign::SecretKey(*secret.expose()))
        .map(|sk| sk.0)
        // libsodium's conversion of a secret key cannot fail (it only hashes and clamps).
        .unwrap_or([0; 32]);
    Secret::new(converted)
}

/// Ed25519 detached signature.
pub(crate) fn sign(msg: &[u8], secret: &Secret<64>) -> [u8; 64] {
    sign::sign_detached(msg, &sign::SecretKey(*secret.expose())).to_bytes()
}

/// Ed25519 detached signature verification (libsodium's strict checks).
pub(crate) fn verify(signature: &[u8; 64], msg: &[u8], public: &[u8; 32]) -> bool {
    // The signature type refuses some malformed encodings up front; those never verify anyway.
    sign::Signature::try_from(&signature[..])
        .is_ok_and(|signature| sign::verify_detached(&signature, msg, &sign::PublicKey(*public)))
}

/// Length of the nonce prefix that XSalsa20 hashes into its subkey.
const PREFIX_LEN: usize = 16;

/// A secretbox key for a run of nonces: `crypto_secretbox_detached` with the XSalsa20 subkey
/// (HSalsa20 of the key and the nonce's first 16 bytes) cached, since a box-stream nonce only
/// changes those bytes when its low 64 bits wrap. Every secret here wipes itself on drop; the
/// last box's keystream block and Poly1305 key are overwritten by the next box instead of wiped
/// after each (they are worth less than the subkey kept beside them).
pub(crate) struct BoxKey {
    key: salsa20::Key,
    /// `HSalsa20(key, prefix)`, valid while `prefix` is `Some`.
    subkey: salsa20::Key,
    prefix: Option<[u8; PREFIX_LEN]>,
    /// Keystream block 0 of the current box: the Poly1305 key, then the first 32 bytes'
    /// keystream.
    block0: Secret<64>,
    /// The current box's one-time Poly1305 key (the first half of `block0`).
    poly_key: poly1305::Key,
}

impl BoxKey {
    pub(crate) fn new(key: &Secret<32>) -> Self {
        let mut box_key = BoxKey {
            key: salsa20::Key([0; 32]),
            subkey: salsa20::Key([0; 32]),
            prefix: None,
            block0: Secret::new([0; 64]),
            poly_key: poly1305::Key([0; 32]),
        };
        box_key.key.0.copy_from_slice(key.expose());
        box_key
    }

    /// Encrypts `buf` in place and returns its tag, exactly as `crypto_secretbox_detached`.
    pub(crate) fn seal_detached(
        &mut self,
        buf: &mut [u8],
        nonce: &[u8; NONCE_LEN],
    ) -> [u8; TAG_LEN] {
        let salsa_nonce = self.first_block(nonce);
        self.xor_stream(buf, &salsa_nonce);
        poly1305::authenticate(buf, &self.poly_key).0
    }

    /// Decrypts `buf` in place if `tag` authenticates it (checked in constant time before
    /// anything is decrypted); leaves it untouched otherwise.
    #[must_use]
    pub(crate) fn open_detached(
        &mut self,
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
        nonce: &[u8; NONCE_LEN],
    ) -> bool {
        let salsa_nonce = self.first_block(nonce);
        if !poly1305::verify(&poly1305::Tag(*tag), buf, &self.poly_key) {
            return false;
        }
        self.xor_stream(buf, &salsa_nonce);
        true
    }

    /// Computes XSalsa20 keystream block 0 for `nonce` into `block0` and `poly_key`, and returns
    /// the Salsa20 nonce that continues the stream under the subkey.
    fn first_block(&mut self, nonce: &[u8; NONCE_LEN]) -> salsa20::Nonce {
        let mut prefix = [0; PREFIX_LEN];
        prefix.copy_from_slice(&nonce[..PREFIX_LEN]);
        if self.prefix != Some(prefix) {
            zeroize::Zeroize::zeroize(&mut self.subkey.0);
            hsalsa20(&mut self.subkey.0, &self.key, &prefix);
            self.prefix = Some(prefix);
        }
        let mut salsa_nonce = salsa20::Nonce([0; 8]);
        salsa_nonce.0.copy_from_slice(&nonce[PREFIX_LEN..]);
        let block0 = self.block0.expose_mut();
        block0.fill(0);
        salsa20::stream_xor_ic_inplace(block0, &salsa_nonce, 0, &self.subkey);
        self.poly_key.0.copy_from_slice(&block0[..32]);
        salsa_nonce
    }

    /// XORs `buf` with the message keystream: the second half of block 0, then blocks 1, 2, ….
    fn xor_stream(&self, buf: &mut [u8], salsa_nonce: &salsa20::Nonce) {
        let (head, rest) = buf.split_at_mut(buf.len().min(32));
        for (b, s) in head.iter_mut().zip(&self.block0.expose()[32..]) {
            *b ^= s;
        }
        if !rest.is_empty() {
            salsa20::stream_xor_ic_inplace(rest, salsa_nonce, 1, &self.subkey);
        }
    }
}

impl std::fmt::Debug for BoxKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BoxKey(<redacted>)")
    }
}

/// Salsa20's input constants, "expand 32-byte k" as little-endian words.
const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

/// `crypto_core_hsalsa20(out, input, key)`, from libsodium's Salsa20.
///
/// HSalsa20 runs Salsa20's rounds on the state Salsa20 would build from `key`, nonce
/// `input[..8]` and block counter `input[8..]` (little-endian), and outputs state words 0, 5, 10,
/// 15, 6, 7, 8, 9 without Salsa20's final addition of the input state. So it is that Salsa20
/// block with those words' inputs (the constants, then the nonce and counter words) subtracted.
fn hsalsa20(out: &mut [u8; 32], key: &salsa20::Key, input: &[u8; PREFIX_LEN]) {
    let mut nonce = salsa20::Nonce([0; 8]);
    nonce.0.copy_from_slice(&input[..8]);
    let mut counter = [0; 8];
    counter.copy_from_slice(&input[8..PREFIX_LEN]);
    let mut block = Secret::new([0; 64]);
    salsa20::stream_xor_ic_inplace(block.expose_mut(), &nonce, u64::from_le_bytes(counter), key);
    let word = |bytes: &[u8], i: usize| {
        u32::from_le_bytes([
            bytes[4 * i],
            bytes[4 * i + 1],
            bytes[4 * i + 2],
            bytes[4 * i + 3],
        ])
    };
    // (state word, its input): the diagonal holds the constants, words 6..=9 the input.
    let picks = [
        (0, SIGMA[0]),
        (5, SIGMA[1]),
        (10, SIGMA[2]),
        (15, SIGMA[3]),
        (6, word(input, 0)),
        (7, word(input, 1)),
        (8, word(input, 2)),
        (9, word(input, 3)),
    ];
    for (chunk, (i, input_word)) in out.chunks_exact_mut(4).zip(picks) {
        let z = word(block.expose(), i).wrapping_sub(input_word);
        chunk.copy_from_slice(&z.to_le_bytes());
    }
}

/// `crypto_secretbox_easy`: `tag ‖ ciphertext`.
pub(crate) fn secretbox_seal(msg: &[u8], nonce: &[u8; NONCE_LEN], key: &Secret<32>) -> Vec<u8> {
    let mut key = BoxKey::new(key);
    let mut out = vec![0; TAG_LEN + msg.len()];
    out[TAG_LEN..].copy_from_slice(msg);
    let tag = key.seal_detached(&mut out[TAG_LEN..], nonce);
    out[..TAG_LEN].copy_from_slice(&tag);
    out
}

/// `crypto_secretbox_open_easy` of `tag ‖ ciphertext` into a wiped-on-drop buffer.
pub(crate) fn secretbox_open<const N: usize>(
    boxed: &[u8],
    nonce: &[u8; NONCE_LEN],
    key: &Secret<32>,
) -> Option<Secret<N>> {
    if boxed.len() != TAG_LEN + N {
        return None;
    }
    let mut key = BoxKey::new(key);
    let mut tag = [0; TAG_LEN];
    tag.copy_from_slice(&boxed[..TAG_LEN]);
    let mut plain = Secret::new([0; N]);
    plain.expose_mut().copy_from_slice(&boxed[TAG_LEN..]);
    key.open_detached(plain.expose_mut(), &tag, nonce)
        .then_some(plain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sodiumoxide::crypto::stream::xsalsa20;

    fn random<const N: usize>() -> [u8; N] {
        let mut bytes = [0; N];
        random_bytes(&mut bytes);
        bytes
    }

    fn random_below(n: usize) -> usize {
        (u64::from_le_bytes(random()) % n as u64) as usize
    }

    fn hex<const N: usize>(s: &str) -> [u8; N] {
        crate::encoding::from_hex(s).expect("hex")
    }

    /// `nonce + k` as a big-endian 192-bit counter, wrapping.
    fn nonce_add(nonce: [u8; NONCE_LEN], k: u64) -> [u8; NONCE_LEN] {
        let mut n = nonce;
        let mut carry = u128::from(k);
        for byte in n.iter_mut().rev() {
            let sum = u128::from(*byte) + (carry & 0xff);
            *byte = sum as u8;
            carry = (carry >> 8) + (sum >> 8);
        }
        n
    }

    /// A random nonce whose low 64 bits are `u64::MAX - back`: it wraps (changing the prefix)
    /// after `back + 1` increments.
    fn near_wrap(back: u64) -> [u8; NONCE_LEN] {
        let mut n = random::<NONCE_LEN>();
        n[16..].copy_from_slice(&(u64::MAX - back).to_be_bytes());
        n
    }

    fn libsodium_seal(buf: &mut [u8], nonce: &[u8; NONCE_LEN], key: &[u8; 32]) -> [u8; TAG_LEN] {
        secretbox::seal_detached(buf, &secretbox::Nonce(*nonce), &secretbox::Key(*key)).0
    }

    fn libsodium_open(
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
        nonce: &[u8; 24],
        key: &[u8; 32],
    ) -> bool {
        let (n, k) = (secretbox::Nonce(*nonce), secretbox::Key(*key));
        secretbox::open_detached(buf, &secretbox::Tag(*tag), &n, &k).is_ok()
    }

    /// Seals `plain` with `ours` and with libsodium, requires equal bytes and tags, and opens
    /// the result with `opener`.
    fn check_box(
        ours: &mut BoxKey,
        opener: &mut BoxKey,
        key: &[u8; 32],
        nonce: &[u8; 24],
        plain: &[u8],
    ) {
        let mut sealed = plain.to_vec();
        let tag = ours.seal_detached(&mut sealed, nonce);
        let mut reference = plain.to_vec();
        let reference_tag = libsodium_seal(&mut reference, nonce, key);
        assert_eq!(
            tag,
            reference_tag,
            "tag, len {} nonce {nonce:02x?}",
            plain.len()
        );
        assert!(
            sealed == reference,
            "ciphertext, len {} nonce {nonce:02x?}",
            plain.len()
        );
        assert!(
            opener.open_detached(&mut sealed, &tag, nonce),
            "open, len {}",
            plain.len()
        );
        assert!(sealed == plain, "round trip, len {}", plain.len());
    }

    // NaCl's HSalsa20 test vectors (tests/core1.c and core2.c; checked against a separate
    // implementation of the Salsa20 specification).
    #[test]
    fn hsalsa20_matches_the_nacl_vectors() {
        let shared = hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        let firstkey = hex("1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389");
        let prefix: [u8; 16] = hex("69696ee955b62b73cd62bda875fc73d6");
        let secondkey = hex("dc908dda0b9344a953629b733820778880f3ceb421bb61b91cbd4c3e66256ce4");
        let mut out = [0; 32];
        hsalsa20(&mut out, &salsa20::Key(shared), &[0; 16]);
        assert_eq!(out, firstkey);
        hsalsa20(&mut out, &salsa20::Key(firstkey), &prefix);
        assert_eq!(out, secondkey);
    }

    /// XSalsa20 is Salsa20 under the HSalsa20 subkey: libsodium's stream must agree.
    #[test]
    fn hsalsa20_subkey_continues_libsodiums_xsalsa20() {
        for _ in 0..500 {
            let (key, nonce) = (random::<32>(), random::<24>());
            let mut subkey = salsa20::Key([0; 32]);
            let mut prefix = [0; 16];
            prefix.copy_from_slice(&nonce[..16]);
            hsalsa20(&mut subkey.0, &salsa20::Key(key), &prefix);
            let mut tail = salsa20::Nonce([0; 8]);
            tail.0.copy_from_slice(&nonce[16..]);
            let ours = salsa20::stream(200, &tail, &subkey);
            let libsodium = xsalsa20::stream(200, &xsalsa20::Nonce(nonce), &xsalsa20::Key(key));
            assert_eq!(ours, libsodium, "key {key:02x?} nonce {nonce:02x?}");
        }
    }

    /// Every length from 0 to 4096, at nonces before, at and after a wrap of the low 64 bits,
    /// through one sealing and one opening key (so the cached subkey is both reused and
    /// replaced), equals `crypto_secretbox_detached` byte for byte.
    #[test]
    fn seal_matches_libsodium_for_every_length_across_prefix_changes() {
        let key = random::<32>();
        let (mut sealer, mut opener) = (
            BoxKey::new(&Secret::new(key)),
            BoxKey::new(&Secret::new(key)),
        );
        let base = near_wrap(1);
        let nonces = [
            base,
            nonce_add(base, 1),
            nonce_add(base, 2), // low 64 bits wrapped: a new prefix
            nonce_add(base, 3),
            [0xff; 24],
            [0; 24],
        ];
        let plain: Vec<u8> = (0..4096u32).map(|i| (i * 7 + 3) as u8).collect();
        for len in 0..=4096 {
            for nonce in &nonces {
                check_box(&mut sealer, &mut opener, &key, nonce, &plain[..len]);
            }
        }
    }

    /// A wrong tag (any single bit) or a wrong ciphertext bit never opens and leaves the buffer
    /// as it was; libsodium agrees.
    #[test]
    fn open_rejects_every_bit_flip_and_leaves_the_buffer() {
        let key = random::<32>();
        let mut box_key = BoxKey::new(&Secret::new(key));
        for nonce in [near_wrap(0), nonce_add(near_wrap(0), 1), random()] {
            for len in [0, 1, 17, 31, 32, 33, 63, 64, 65, 100, 4095, 4096] {
                let mut sealed: Vec<u8> = (0..len).map(|i| i as u8).collect();
                let tag = box_key.seal_detached(&mut sealed, &nonce);
                for bit in 0..8 * TAG_LEN {
                    let mut bad_tag = tag;
                    bad_tag[bit / 8] ^= 1 << (bit % 8);
                    let mut buf = sealed.clone();
                    assert!(
                        !box_key.open_detached(&mut buf, &bad_tag, &nonce),
                        "tag bit {bit}"
                    );
                    assert_eq!(buf, sealed, "buffer changed, tag bit {bit}");
                    assert!(!libsodium_open(&mut buf, &bad_tag, &nonce, &key));
                }
                // Every bit of the first 80 bytes, then every 97th.
                let bits = (0..8 * len).filter(|&b| b < 640 || b % 97 == 0);
                for bit in bits {
                    let mut buf = sealed.clone();
                    buf[bit / 8] ^= 1 << (bit % 8);
                    let damaged = buf.clone();
                    assert!(
                        !box_key.open_detached(&mut buf, &tag, &nonce),
                        "ciphertext bit {bit}"
                    );
                    assert_eq!(buf, damaged, "buffer changed, ciphertext bit {bit}");
                }
                let mut buf = sealed.clone();
                assert!(!box_key.open_detached(&mut buf, &tag, &nonce_add(nonce, 1)));
                assert!(box_key.open_detached(&mut buf, &tag, &nonce), "len {len}");
            }
        }
    }

    /// Random keys, nonces (near a wrap a third of the time), lengths and data against
    /// libsodium, both ways, with keys reused over runs of successive nonces.
    #[test]
    fn random_boxes_match_libsodium_both_ways() {
        for _ in 0..300 {
            let key = random::<32>();
            let mut box_key = BoxKey::new(&Secret::new(key));
            let mut nonce = match random_below(3) {
                0 => near_wrap(random_below(4) as u64),
                _ => random(),
            };
            for _ in 0..1 + random_below(8) {
                let mut plain = vec![0; random_below(5000)];
                random_bytes(&mut plain);
                // Ours seals, libsodium opens.
                let mut sealed = plain.clone();
                let tag = box_key.seal_detached(&mut sealed, &nonce);
                let mut reference = plain.clone();
                assert_eq!(tag, libsodium_seal(&mut reference, &nonce, &key));
                assert!(sealed == reference);
                assert!(libsodium_open(&mut reference, &tag, &nonce, &key));
                assert!(reference == plain);
                // libsodium seals, ours opens; a random bit flip fails.
                let mut sealed = plain.clone();
                let tag = libsodium_seal(&mut sealed, &nonce_add(nonce, 1), &key);
                let mut damaged = sealed.clone();
                let bit = random_below(8 * (damaged.len() + TAG_LEN));
                let mut bad_tag = tag;
                match damaged.get_mut(bit / 8) {
                    Some(byte) => *byte ^= 1 << (bit % 8),
                    None => bad_tag[bit / 8 - sealed.len()] ^= 1 << (bit % 8),
                }
                let before = damaged.clone();
                assert!(!box_key.open_detached(&mut damaged, &bad_tag, &nonce_add(nonce, 1)));
                assert!(damaged == before);
                assert!(box_key.open_detached(&mut sealed, &tag, &nonce_add(nonce, 1)));
                assert!(sealed == plain);
                nonce = nonce_add(nonce, 2);
            }
        }
    }

    #[test]
    fn the_subkey_follows_the_prefix() {
        let mut box_key = BoxKey::new(&Secret::new(random()));
        let nonce = near_wrap(0);
        let _ = box_key.seal_detached(&mut [], &nonce);
        assert_eq!(box_key.prefix.map(Vec::from), Some(nonce[..16].to_vec()));
        let first = box_key.subkey.0;
        let _ = box_key.seal_detached(&mut [], &nonce_add(nonce, 1));
        let next = nonce_add(nonce, 1);
        assert_eq!(box_key.prefix.map(Vec::from), Some(next[..16].to_vec()));
        assert_ne!(box_key.subkey.0, first);
        assert_eq!(format!("{box_key:?}"), "BoxKey(<redacted>)");
    }
}

#[cfg(test)]
#[path = "crypto_key_tests.rs"]
mod key_tests;
