//! Support shared by the integration tests, used as `mod common;` (not every test file uses
//! every helper). shs-cat's tests include this file too, for the Node.js helpers, so nothing
//! here may need the `hazmat` feature.

#![allow(dead_code, unused_imports)]

mod node;
pub mod peer;

pub use node::{ensure_node_modules, example_path, interop_dir};

use secret_handshake::NetworkKey;

/// The network every test uses unless it tests network keys.
pub fn net() -> NetworkKey {
    NetworkKey::ssb_main_net()
}
