//! Long-term keys a hostile peer might claim.

/// `p = 2^255 - 19`, little-endian.
const P: [u8; 32] = {
    let mut p = [0xff; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    p
};

/// `key + T2`, `T2 = (0, -1)` the Edwards point of order 2, for a key whose `x` is not 0:
/// `(x, y) + (0, -1) = (-x, -y)`, so `y` becomes `p - y` and the sign bit of `x` flips. The
/// bundled libsodium 1.0.18 takes such a key for a prime-order one (CVE-2025-69277).
pub fn plus_order_2_point(key: &[u8; 32]) -> [u8; 32] {
    let sign = key[31] & 0x80;
    let mut y = *key;
    y[31] &= 0x7f;
    let mut minus_y = [0; 32];
    let mut borrow = 0;
    for ((out, p), y) in minus_y.iter_mut().zip(P).zip(y) {
        let (d, b1) = p.overflowing_sub(y);
        let (d, b2) = d.overflowing_sub(borrow);
        *out = d;
        borrow = u8::from(b1 || b2);
    }
    minus_y[31] |= sign ^ 0x80;
    minus_y
}

/// The libsodium secret key `seed ‖ public` of `seed`'s keypair, claiming `public` instead.
pub fn claiming(seed: &[u8; 32], public: &[u8; 32]) -> [u8; 64] {
    let real = secret_handshake::Keypair::from_seed(seed);
    let mut secret = *real.secret_key_bytes();
    secret[32..].copy_from_slice(public);
    secret
}
