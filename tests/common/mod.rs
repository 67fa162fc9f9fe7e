//! Support shared by the integration tests, used as `mod common;` (not every test file uses
//! every helper). shs-cat's tests include this file too, for the Node.js helpers, so nothing
//! here may need the `hazmat` feature.

#![allow(dead_code, unused_imports)]

pub mod crowd;
pub mod dial;
pub mod heap;
pub mod js_peer;
pub mod keys;
pub mod node;
pub mod pairs;
pub mod peer;
pub mod tally;
pub mod temp_dir;
pub mod ws;

pub use node::{example_path, Node, REQUIRE_NODE};

use secret_handshake::NetworkKey;

/// The network every test uses unless it tests network keys.
pub fn net() -> NetworkKey {
    NetworkKey::ssb_main_net()
}

/// Lowercase hex, for the JS peers' JSON.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Deterministic pseudo-random bytes (xorshift), different per `seed`.
pub fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}
