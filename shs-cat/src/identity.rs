//! Long-term identities: loading a secret file, making a fresh one, and `keygen`.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use secret_handshake::Keypair;

use crate::args::IdentityChoice;

/// Loads the chosen identity, saying on stderr where it comes from unless it is a secret file.
pub fn resolve(choice: &IdentityChoice) -> Result<(Keypair, Announce), String> {
    match choice {
        IdentityChoice::File(path) => Ok((load(path)?, Announce::Nothing)),
        // What `Client::with_seed_identity` does; no other identity needs loading first.
        IdentityChoice::InviteSeed(seed) => Ok((Keypair::from_seed(seed), Announce::Invite)),
        IdentityChoice::Default => match default_secret_file() {
            Some(path) => Ok((load(&path)?, Announce::Nothing)),
            None => Ok((Keypair::generate(), Announce::Fresh)),
        },
    }
}

/// What to tell the user about the identity in use.
#[derive(Clone, Copy)]
pub enum Announce {
    Nothing,
    Fresh,
    Invite,
}

impl Announce {
    pub fn print(self, keypair: &Keypair) {
        match self {
            Announce::Nothing => {}
            Announce::Fresh => eprintln!("using a fresh identity {}", keypair.public()),
            Announce::Invite => eprintln!("using the invite's identity {}", keypair.public()),
        }
    }
}

/// `$HOME/.ssb/secret`, if it exists.
fn default_secret_file() -> Option<PathBuf> {
    Keypair::default_ssb_secret_path().filter(|path| path.exists())
}

/// The error names the file.
fn load(path: &Path) -> Result<Keypair, String> {
    Keypair::from_ssb_secret_file(path).map_err(|e| e.to_string())
}

/// `shs-cat keygen`: a new secret file at `out` (mode 0600, never replacing a file), or on stdout.
pub fn keygen(out: Option<&Path>) -> Result<(), String> {
    let keypair = Keypair::generate();
    let text = keypair.to_ssb_secret();
    let Some(path) = out else {
        return std::io::stdout().write_all(text.as_bytes()).map_err(|e| {
            if e.kind() == ErrorKind::BrokenPipe {
                crate::exit::quietly(crate::exit::STDOUT_CLOSED);
            }
            format!("writing stdout: {e}")
        });
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| match e.kind() {
            ErrorKind::AlreadyExists => {
                format!("{} already exists; not overwriting it", path.display())
            }
            _ => format!("creating {}: {e}", path.display()),
        })?;
    if let Err(e) = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
    {
        // Leave no half-written secret behind.
        let _ = std::fs::remove_file(path);
        return Err(format!("writing {}: {e}", path.display()));
    }
    eprintln!("wrote {} for {}", path.display(), keypair.public());
    Ok(())
}
