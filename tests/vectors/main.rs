//! Replays every vector in `vectors/` (generated from the JS reference) byte for byte: the
//! op-level vectors of test-secret-handshake, whole handshakes, and box-stream sessions.

#[path = "../common/mod.rs"]
mod common;

mod boxstream;
mod handshakes;
mod op_level;

use common::hex;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Reads `vectors/<name>` (or from `$SHS_VECTORS_DIR`, used to check that mutated copies fail).
pub(crate) fn load<T: DeserializeOwned>(name: &str) -> T {
    let dir = std::env::var("SHS_VECTORS_DIR")
        .unwrap_or_else(|_| format!("{}/vectors", env!("CARGO_MANIFEST_DIR")));
    let path = format!("{dir}/{name}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {path}: {e}"))
}

/// Decodes a hex string.
fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A hex string of a vector file, `N` bytes long.
struct Hex<const N: usize>([u8; N]);

/// A hex string of a vector file, of any length.
struct HexBytes(Vec<u8>);

impl<'de> Deserialize<'de> for HexBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        decode_hex(&s)
            .map(HexBytes)
            .ok_or_else(|| D::Error::custom(format!("bad hex {s:?}")))
    }
}

impl<'de, const N: usize> Deserialize<'de> for Hex<N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bytes = HexBytes::deserialize(d)?.0;
        let len = bytes.len();
        let expected = format!("{N} bytes of hex");
        bytes
            .try_into()
            .map(Hex)
            .map_err(|_| D::Error::invalid_length(len, &expected.as_str()))
    }
}

/// The cases of `vectors/handshakes.json` or `vectors/boxstream.json`.
#[derive(Deserialize)]
struct Cases<C> {
    cases: Vec<C>,
}

/// The bytes of a hex string in an untyped (op-level) vector.
fn bytes(v: &Value) -> Vec<u8> {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("expected a hex string, got {v}"));
    decode_hex(s).unwrap_or_else(|| panic!("bad hex {s}"))
}

fn arr<const N: usize>(v: &Value) -> [u8; N] {
    let b = bytes(v);
    b.as_slice()
        .try_into()
        .unwrap_or_else(|_| panic!("expected {N} bytes, got {}", b.len()))
}

/// Asserts `actual` equals the hex string `expected`, naming the field on failure.
fn check(what: &str, actual: &[u8], expected: &Value) {
    assert_eq!(
        hex(actual),
        expected.as_str().unwrap_or("<missing>"),
        "{what}"
    );
}

/// Asserts `actual` equals `expected`, showing both in hex and naming the field on failure.
fn same(what: &str, actual: &[u8], expected: &[u8]) {
    assert_eq!(hex(actual), hex(expected), "{what}");
}
