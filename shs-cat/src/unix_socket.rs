//! `listen --unix PATH`: a stale socket file there is replaced (the library's listener creates
//! the socket, owner-only from the start, and removes it when shs-cat ends).

use std::io::ErrorKind;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::time::Duration;

use tokio::net::UnixStream;

/// How long a connect to an existing socket file may take to tell whether it is in use.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// Removes a socket file that nobody listens on; anything else at `path` is left alone and
/// is an error.
pub async fn remove_if_stale(path: &Path) -> Result<(), String> {
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
