//! `listen --unix PATH`: a unix socket that replaces only a stale socket file and is removed
//! again when shs-cat ends.

use std::io::ErrorKind;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::net::{UnixListener, UnixStream};

/// How long a connect to an existing socket file may take to tell whether it is in use.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// A listening unix socket; dropping it removes the socket file, if it is still ours.
pub struct UnixSocket {
    pub listener: UnixListener,
    path: PathBuf,
    /// Device and inode of our socket file, so that we never remove someone else's.
    id: (u64, u64),
}

impl UnixSocket {
    /// Listens at `path` (made absolute, for the address shs-cat prints).
    pub async fn bind(path: &Path) -> Result<UnixSocket, String> {
        let cannot =
            |e: &dyn std::fmt::Display| format!("cannot listen on {}: {e}", path.display());
        let path = std::path::absolute(path).map_err(|e| cannot(&e))?;
        remove_if_stale(&path).await.map_err(|e| cannot(&e))?;
        let listener = UnixListener::bind(&path).map_err(|e| cannot(&e))?;
        let meta = std::fs::symlink_metadata(&path).map_err(|e| cannot(&e))?;
        let socket = UnixSocket {
            listener,
            id: (meta.dev(), meta.ino()),
            path,
        };
        // Owner only, as multiserver's unix plugin does; the handshake still authenticates.
        std::fs::set_permissions(&socket.path, PermissionsExt::from_mode(0o600))
            .map_err(|e| cannot(&e))?;
        Ok(socket)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for UnixSocket {
    fn drop(&mut self) {
        let ours = std::fs::symlink_metadata(&self.path)
            .is_ok_and(|meta| meta.file_type().is_socket() && (meta.dev(), meta.ino()) == self.id);
        if ours {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Removes a socket file that nobody listens on; anything else at `path` is left alone and
/// is an error.
async fn remove_if_stale(path: &Path) -> Result<(), String> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.to_string()),
    };
    if !meta.file_type().is_socket() {
        return Err("a file that is not a socket is there; not replacing it".into());
    }
    // A listener whose queue is full leaves a connect waiting: it is in use, too.
    match tokio::time::timeout(PROBE_TIMEOUT, UnixStream::connect(path)).await {
        Ok(Err(e)) if e.kind() == ErrorKind::ConnectionRefused => {
            std::fs::remove_file(path).map_err(|e| format!("removing the stale socket: {e}"))
        }
        Ok(Err(e)) => Err(format!(
            "cannot tell whether the socket there is in use: {e}"
        )),
        Ok(Ok(_)) | Err(_) => Err("another process is listening there".into()),
    }
}
