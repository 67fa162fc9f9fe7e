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

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::encoding::from_base64;
use crate::error::{KeyError, SecretFileError};
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
    /// The private key must be consistent with the public key and the id. An error never
    /// quotes the file: it says what is wrong and where (a JSON line and column).
    pub fn from_ssb_secret(text: &str) -> Result<Self, KeyError> {
        // Comment lines become empty ones, so that JSON line numbers are the file's.
        let json: String = text
            .lines()
            .map(|line| {
                if line.trim_start().starts_with('#') {
                    ""
                } else {
                    line
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let file: SecretFile = serde_json::from_str(&json).map_err(json_error)?;
        if file.curve != "ed25519" {
            return Err(KeyError::reason("secret file", "its curve is not ed25519"));
        }
        let private = file
            .private
            .strip_suffix(".ed25519")
            .unwrap_or(&file.private);
        let secret = from_base64::<64>(private)
            .map(Secret::new)
            .ok_or_else(|| KeyError::new("secret file private key", private))?;
        let keypair = Keypair::from_secret_key_bytes(secret.expose())?;
        for claimed in [&file.public, &file.id] {
            if PublicKey::from_base64(claimed).ok() != Some(*keypair.public()) {
                return Err(KeyError::reason(
                    "secret file",
                    "its public key or id is not that of its private key",
                ));
            }
        }
        Ok(keypair)
    }

    /// Reads a Scuttlebutt secret file such as `~/.ssb/secret`. A missing or unreadable file is
    /// [`SecretFileError::Read`], a malformed one [`SecretFileError::Invalid`]; both name the
    /// file (`reading secret file /home/me/.ssb/secret: No such file or directory (os error
    /// 2)`), and `?` turns them into an [`io::Error`](std::io::Error) where one is expected.
    pub fn from_ssb_secret_file(path: impl AsRef<Path>) -> Result<Self, SecretFileError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| SecretFileError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_ssb_secret(&text).map_err(|source| SecretFileError::Invalid {
            path: path.to_owned(),
            source,
        })
    }

    /// Reads the default secret file, [`default_ssb_secret_path`](Self::default_ssb_secret_path):
    /// `$HOME/.ssb/secret`. Without `HOME` (unset or empty) it fails with
    /// [`SecretFileError::NoHome`]; pass a path to
    /// [`from_ssb_secret_file`](Self::from_ssb_secret_file)
    /// instead.
    pub fn from_default_ssb_secret_file() -> Result<Self, SecretFileError> {
        Self::from_ssb_secret_file(Self::default_ssb_secret_path().ok_or(SecretFileError::NoHome)?)
    }

    /// Where Scuttlebutt keeps the identity by default: `$HOME/.ssb/secret`, whether or not the
    /// file exists. `None` if `HOME` is unset or empty: there is no other fallback (on Windows,
    /// where `HOME` is usually unset, pass the path yourself).
    pub fn default_ssb_secret_path() -> Option<PathBuf> {
        let home = std::env::var_os("HOME").filter(|home| !home.is_empty())?;
        Some(PathBuf::from(home).join(".ssb").join("secret"))
    }

    /// Writes this keypair to a new secret file at `path`, in the layout of
    /// [`to_ssb_secret`](Self::to_ssb_secret). The file is created with mode 0600 on Unix (it is
    /// never readable by others, not even for a moment) and never overwrites an existing file:
    /// that fails with [`SecretFileError::Write`] of kind `AlreadyExists`. Errors name the file,
    /// never the key. The directory must exist.
    pub fn write_ssb_secret_file(&self, path: impl AsRef<Path>) -> Result<(), SecretFileError> {
        let path = path.as_ref();
        let error = |source| SecretFileError::Write {
            path: path.to_owned(),
            source,
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(error)?;
        let mut text = self.to_ssb_secret().into_bytes();
        let written = std::io::Write::write_all(&mut file, &text).and_then(|()| file.sync_all());
        zeroize::Zeroize::zeroize(text.as_mut_slice());
        if let Err(source) = written {
            // Leave no half-written secret behind (the file is ours: we just created it).
            drop(file);
            let _ = std::fs::remove_file(path);
            return Err(error(source));
        }
        Ok(())
    }

    /// Writes this keypair to the default secret file,
    /// [`default_ssb_secret_path`](Self::default_ssb_secret_path), as
    /// [`write_ssb_secret_file`](Self::write_ssb_secret_file) does, creating `$HOME/.ssb` (mode
    /// 0700 on Unix) if it is missing. Returns the path written.
    pub fn write_default_ssb_secret_file(&self) -> Result<PathBuf, SecretFileError> {
        let path = Self::default_ssb_secret_path().ok_or(SecretFileError::NoHome)?;
        if let Some(dir) = path.parent() {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder
                .create(dir)
                .map_err(|source| SecretFileError::Write {
                    path: dir.to_owned(),
                    source,
                })?;
        }
        self.write_ssb_secret_file(&path)?;
        Ok(path)
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

/// A secret file that is not the JSON expected, described without quoting any of it: serde_json
/// puts offending values in its messages, and a value here may be the private key.
fn json_error(error: serde_json::Error) -> KeyError {
    use serde_json::error::Category;
    let reason = match error.classify() {
        Category::Syntax | Category::Eof => "it is not JSON",
        Category::Data if error.to_string().starts_with("missing field") => {
            "it lacks one of curve, public, private and id"
        }
        Category::Data => "one of its fields is not a string",
        Category::Io => "it could not be read",
    };
    KeyError::reason("secret file", reason).at(error.line(), error.column())
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
