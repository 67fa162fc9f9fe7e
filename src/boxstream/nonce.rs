//! Box-stream nonces: 24-byte big-endian counters that wrap silently, as in the JS reference.

use crate::crypto::NONCE_LEN;

/// Adds one to a big-endian 192-bit counter, wrapping from `ff…ff` to `00…00`.
pub(super) fn increment(nonce: &mut [u8; NONCE_LEN]) {
    for byte in nonce.iter_mut().rev() {
        let (next, carry) = byte.overflowing_add(1);
        *byte = next;
        if !carry {
            return;
        }
    }
}

/// The nonce one past `nonce`.
pub(super) fn successor(nonce: &[u8; NONCE_LEN]) -> [u8; NONCE_LEN] {
    let mut next = *nonce;
    increment(&mut next);
    next
}

#[cfg(feature = "hazmat")]
/// The nonce two before `nonce` (the header nonce of the frame just sealed).
pub(super) fn predecessor2(nonce: &[u8; NONCE_LEN]) -> [u8; NONCE_LEN] {
    let mut previous = *nonce;
    for _ in 0..2 {
        for byte in previous.iter_mut().rev() {
            let (next, borrow) = byte.overflowing_sub(1);
            *byte = next;
            if !borrow {
                break;
            }
        }
    }
    previous
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carries_and_wraps() {
        let mut n = [0; NONCE_LEN];
        n[23] = 0xff;
        n[22] = 0x01;
        increment(&mut n);
        assert_eq!(&n[21..], &[0, 2, 0]);
        let mut n = [0xff; NONCE_LEN];
        increment(&mut n);
        assert_eq!(n, [0; NONCE_LEN]);
    }
}
