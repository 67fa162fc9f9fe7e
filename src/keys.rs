//! Long-term identities ([`Keypair`], [`PublicKey`]) and the network key ([`NetworkKey`]).

use std::fmt;
use std::str::FromStr;

use crate::crypto;
use crate::encoding::{from_base64, from_hex, to_base64, to_hex};
use crate::error::KeyError;
use crate::secret::Secret;

/// An Ed25519 public key: a peer's long-term identity.
///
/// Parses from and prints as the Scuttlebutt id `@<base64>.ed25519`; [`FromStr`] also takes plain
/// base64 (with or without the `.ed25519` suffix) and 64 hex digits.
///
/// Any 32 bytes parse. A handshake refuses a peer key that is not a curve point, has small
/// order, or lies outside the prime-order subgroup; the bundled libsodium 1.0.18 alone would let
/// some of the last kind through (CVE-2025-69277), so the crate checks them itself. See
/// [`HandshakeError::InvalidClientKey`](crate::HandshakeError::InvalidClientKey) and
/// [`HandshakeError::InvalidServerKey`](crate::HandshakeError::InvalidServerKey).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey([u8; 32]);

impl PublicKey {
    /// Wraps 32 raw bytes. Whether they are a usable key is checked by the handshake (a client
    /// checks the server's before it sends anything).
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        PublicKey(bytes)
    }

    /// The raw 32 bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex (64 digits).
    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }

    /// Standard base64 (44 characters, `+/`, padded).
    pub fn to_base64(&self) -> String {
        to_base64(&self.0)
    }

    /// The Scuttlebutt feed id: `@<base64>.ed25519`.
    pub fn to_ssb_id(&self) -> String {
        format!("@{}.ed25519", self.to_base64())
    }

    /// Parses 64 hex digits.
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        from_hex(text)
            .map(PublicKey)
            .ok_or_else(|| KeyError::public("public key", text))
    }

    /// Parses base64, with or without a leading `@` and a trailing `.ed25519`.
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        let bare = text.strip_prefix('@').unwrap_or(text);
        let bare = bare.strip_suffix(".ed25519").unwrap_or(bare);
        from_base64(bare)
            .map(PublicKey)
            .ok_or_else(|| KeyError::public("public key", text))
    }
}

impl FromStr for PublicKey {
    type Err = KeyError;

    /// Accepts `@<base64>.ed25519`, plain base64 and hex.
    fn from_str(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        Self::from_hex(text).or_else(|_| Self::from_base64(text))
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_ssb_id())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_ssb_id())
    }
}

/// An Ed25519 long-term keypair. The secret half is wiped on drop and never printed.
#[derive(Clone)]
pub struct Keypair {
    public: PublicKey,
    /// libsodium layout: `seed(32) ‖ public(32)`.
    secret: Secret<64>,
    /// The secret in Curve25519 form, converted once here rather than in every handshake.
    curve: Secret<32>,
}

impl Keypair {
    /// A new random identity.
    pub fn generate() -> Self {
        let mut seed = Secret::new([0; 32]);
        crypto::random_bytes(seed.expose_mut());
        Self::from_seed(seed.expose())
    }

    /// The identity derived from a 32-byte seed (`crypto_sign_seed_keypair`, as JS `toKeys`).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        let (public, secret) = crypto::ed25519_from_seed(seed);
        Keypair {
            public: PublicKey(public),
            curve: crypto::ed25519_sk_to_x25519(&secret),
            secret,
        }
    }

    /// From libsodium's 64-byte secret key (`seed ‖ public`), as stored in `~/.ssb/secret`.
    ///
    /// Fails unless the second half is the public key of the first (a corrupt or foreign key).
    pub fn from_secret_key_bytes(secret: &[u8; 64]) -> Result<Self, KeyError> {
        let mut seed = Secret::new([0; 32]);
        seed.expose_mut().copy_from_slice(&secret[..32]);
        let keypair = Self::from_seed(seed.expose());
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            &keypair.public.as_bytes()[..],
            &secret[32..],
        )) {
            return Err(KeyError::reason(
                "secret key",
                "its second half is not the public key of its first (a corrupt or foreign key)",
            ));
        }
        Ok(keypair)
    }

    /// Tests only: the keypair of libsodium's secret key `seed ‖ public` without checking that
    /// `public` belongs to `seed`. Signing hashes the claimed `public`, so this plays a peer that
    /// claims a key it does not own, such as its own key plus a point of small order (which an
    /// honest handshake refuses).
    #[cfg(any(test, feature = "hazmat"))]
    pub fn from_secret_key_bytes_unchecked_for_testing_only(secret: &[u8; 64]) -> Self {
        let mut seed = Secret::new([0; 32]);
        seed.expose_mut().copy_from_slice(&secret[..32]);
        let mut public = [0; 32];
        public.copy_from_slice(&secret[32..]);
        Self::from_seed(seed.expose()).with_public(public)
    }

    /// The public half.
    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// The 64-byte libsodium secret key (`seed ‖ public`). Handle with care.
    pub fn secret_key_bytes(&self) -> &[u8; 64] {
        self.secret.expose()
    }

    pub(crate) fn secret(&self) -> &Secret<64> {
        &self.secret
    }

    /// Tests only: `self` with its public half (also the second half of the libsodium secret key,
    /// which signing hashes) replaced by `public`.
    #[cfg(test)]
    pub(crate) fn with_public_for_tests(&self, public: [u8; 32]) -> Self {
        self.clone().with_public(public)
    }

    #[cfg(any(test, feature = "hazmat"))]
    fn with_public(mut self, public: [u8; 32]) -> Self {
        self.public = PublicKey(public);
        self.secret.expose_mut()[32..].copy_from_slice(&public);
        self
    }

    /// `crypto_sign_ed25519_sk_to_curve25519` of the secret key.
    pub(crate) fn curve_secret(&self) -> &Secret<32> {
        &self.curve
    }
}

impl fmt::Debug for Keypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keypair")
            .field("public", &self.public)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// The 32-byte network identifier (`caps.shs`, the JS `appKey`). Peers with different network
/// keys cannot complete a handshake, and a server stays silent towards them.
#[derive(Clone, PartialEq, Eq)]
pub struct NetworkKey(Secret<32>);

impl NetworkKey {
    /// The Scuttlebutt main network: `d4a1cb88…9ffb`
    /// (base64 `1KHLiKZvAvjbY1ziZEHMXawbCEIM6qwjCDm3VYRan/s=`).
    pub const SSB_MAIN_NET_BYTES: [u8; 32] = [
        0xd4, 0xa1, 0xcb, 0x88, 0xa6, 0x6f, 0x02, 0xf8, 0xdb, 0x63, 0x5c, 0xe2, 0x64, 0x41, 0xcc,
        0x5d, 0xac, 0x1b, 0x08, 0x42, 0x0c, 0xea, 0xac, 0x23, 0x08, 0x39, 0xb7, 0x55, 0x84, 0x5a,
        0x9f, 0xfb,
    ];

    /// The Scuttlebutt main network key.
    pub fn ssb_main_net() -> Self {
        Self::from_bytes(Self::SSB_MAIN_NET_BYTES)
    }

    /// Wraps 32 raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        NetworkKey(Secret::new(bytes))
    }

    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.expose()
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        to_hex(self.as_bytes())
    }

    /// Standard base64.
    pub fn to_base64(&self) -> String {
        to_base64(self.as_bytes())
    }

    fn is_ssb_main_net(&self) -> bool {
        self.as_bytes() == &Self::SSB_MAIN_NET_BYTES
    }
}

impl Default for NetworkKey {
    /// The Scuttlebutt main network.
    fn default() -> Self {
        Self::ssb_main_net()
    }
}

impl FromStr for NetworkKey {
    type Err = KeyError;

    /// Accepts 64 hex digits or base64 of 32 bytes.
    fn from_str(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        from_hex(text)
            .or_else(|| from_base64(text))
            .map(Self::from_bytes)
            .ok_or_else(|| KeyError::new("network key", text))
    }
}

impl fmt::Debug for NetworkKey {
    /// Private networks rely on their key staying unknown, so only the public main net is named.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_ssb_main_net() {
            f.write_str("NetworkKey(ssb-main-net)")
        } else {
            f.write_str("NetworkKey(<redacted>)")
        }
    }
}
