//! Scuttlebutt secret files (`~/.ssb/secret`): JSON with `#` comment lines.
//!
//! ```text
//! # this is your SECRET name.
//! {
//!   "curve": "ed25519",
//!   "public": "<base64>.ed25519",
//!   "private": "<base64 of the 64-byte secret key>.ed25519",
//!   "id": "@<base64>.ed25519"
//! }
//! ```

use std::path::Path;
use std::{fmt, io};

use serde::{Deserialize, Serialize};

use crate::encoding::from_base64;
use crate::error::KeyError;
use crate::keys::{Keypair, PublicKey};
use crate::secret::Secret;

#[derive(Deserialize, Serialize)]
struct SecretFile {
    curve: String,
    public: String,
    private: String,
    id: String,
}

impl fmt::Debug for SecretFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretFile")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Keypair {
    /// Parses the contents of a Scuttlebutt secret file. Lines starting with `#` are comments.
    ///
    /// The private key must be consistent with the public key and the id.
    pub fn from_ssb_secret(text: &str) -> Result<Self, KeyError> {
        let json: String = text
            .lines()
            .filter(|line| !line.trim_start().starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n");
        let file: SecretFile = serde_json::from_str(&json)
            .map_err(|e| KeyError::new("secret file", &e.to_string()))?;
        if file.curve != "ed25519" {
            return Err(KeyError::new("secret file curve", &file.curve));
        }
        let private = file
            .private
            .strip_suffix(".ed25519")
            .unwrap_or(&file.private);
        let secret = from_base64::<64>(private)
            .map(Secret::new)
            .ok_or(KeyError::new("secret file private key", "<redacted>"))?;
        let keypair = Keypair::from_secret_key_bytes(secret.expose())?;
        for claimed in [&file.public, &file.id] {
            if PublicKey::from_base64(claimed)? != *keypair.public() {
                return Err(KeyError::new(
                    "secret file (public key does not match)",
                    claimed,
                ));
            }
        }
        Ok(keypair)
    }

    /// Reads a Scuttlebutt secret file such as `~/.ssb/secret`.
    pub fn from_ssb_secret_file(path: impl AsRef<Path>) -> io::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        Self::from_ssb_secret(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }

    /// The secret file contents for this keypair, in the layout `ssb-keys` writes.
    pub fn to_ssb_secret(&self) -> String {
        let public = format!("{}.ed25519", self.public().to_base64());
        let file = SecretFile {
            curve: "ed25519".into(),
            private: format!(
                "{}.ed25519",
                crate::encoding::to_base64(self.secret_key_bytes())
            ),
            id: format!("@{public}"),
            public,
        };
        let json = serde_json::to_string_pretty(&file).unwrap_or_default();
        format!(
            "# this is your SECRET name.\n# this name gives you magical powers.\n# with it you can mark your messages so that your friends can verify\n# that they really did come from you.\n#\n# if any one learns this name, they can use it to destroy your identity\n# NEVER show this to anyone!!!\n\n{json}\n\n# WARNING! It's vital that you DO NOT edit OR share your secret name\n# instead, share your public name\n# your public name: {}\n",
            file.id
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_mismatches() {
        let kp = Keypair::from_seed(&[7; 32]);
        let text = kp.to_ssb_secret();
        assert!(text.starts_with("# this is your SECRET name."));
        let back = Keypair::from_ssb_secret(&text).expect("parse");
        assert_eq!(back.public(), kp.public());
        assert_eq!(back.secret_key_bytes(), kp.secret_key_bytes());

        let other = Keypair::from_seed(&[8; 32]).public().to_ssb_id();
        let tampered = text.replace(&kp.public().to_ssb_id(), &other);
        assert!(Keypair::from_ssb_secret(&tampered).is_err());
        assert!(Keypair::from_ssb_secret("# only comments\n").is_err());
        assert!(!format!("{kp:?}").contains(&crate::encoding::to_base64(kp.secret_key_bytes())));
    }
}
