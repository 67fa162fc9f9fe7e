#!/usr/bin/env bash
# The library builds with the lowest versions its Cargo.toml declares: a copy of the crate
# without dev-dependencies (they would raise the floor) resolved with cargo's
# -Z direct-minimal-versions (RUSTC_BOOTSTRAP=1 lets stable cargo take the flag), checked with
# every feature. ed25519 comes through sodiumoxide, which asks for ^1: pin it to 1.0.0 too, so
# our use of it (crypto.rs) must build on what sodiumoxide users may have.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=target/minimal-versions
rm -rf "$dir/crate" && mkdir -p "$dir/crate"
cp -r src docs README.md "$dir/crate/"
python3 .ci/lib_manifest.py Cargo.toml "$dir/crate/Cargo.toml"
cd "$dir/crate"
RUSTC_BOOTSTRAP=1 cargo update -Z direct-minimal-versions
cargo update -p ed25519 --precise 1.0.0
CARGO_TARGET_DIR=../target cargo check --lib --all-features
