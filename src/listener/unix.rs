//! A unix socket that no other uid can ever connect to: bound inside a fresh directory of mode
//! 0700, restricted to 0600 there, and only then linked at its path. Removed again on drop.

use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::net::UnixListener;

/// A listening unix socket; dropping it removes its file if it is still ours.
#[derive(Debug)]
pub(super) struct UnixSocket {
    pub(super) listener: UnixListener,
    /// The path and (device, inode) of the file we made, to remove it and nothing else.
    file: Option<(PathBuf, (u64, u64))>,
}

impl UnixSocket {
    pub(super) fn from_listener(listener: UnixListener) -> Self {
        UnixSocket {
            listener,
            file: None,
        }
    }

    /// Listens at `path`, which must not exist yet.
    pub(super) fn bind(path: &Path) -> io::Result<Self> {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let dir = private_dir(parent)?;
        let inside = dir.join("socket");
        let bound = bind_in(&inside, path);
        // Whatever happened, the private directory goes (the socket stays linked at `path`).
        let _ = std::fs::remove_file(&inside);
        let _ = std::fs::remove_dir(&dir);
        let listener = bound?;
        let meta = std::fs::symlink_metadata(path)?;
        Ok(UnixSocket {
            listener,
            file: Some((path.to_path_buf(), (meta.dev(), meta.ino()))),
        })
    }

    pub(super) fn path(&self) -> Option<&Path> {
        self.file.as_ref().map(|(path, _)| path.as_path())
    }
}

/// Binds at `inside` (in a 0700 directory), makes the socket 0600, then links it at `path`:
/// `link` fails if `path` exists, so nothing there is ever replaced.
fn bind_in(inside: &Path, path: &Path) -> io::Result<UnixListener> {
    let std = std::os::unix::net::UnixListener::bind(inside)?;
    std::fs::set_permissions(inside, PermissionsExt::from_mode(0o600))?;
    std::fs::hard_link(inside, path)?;
    std.set_nonblocking(true)?;
    match UnixListener::from_std(std) {
        Ok(listener) => Ok(listener),
        Err(e) => {
            let _ = std::fs::remove_file(path);
            Err(e)
        }
    }
}

/// A new directory in `parent` that only we may enter (mode 0700; a umask only removes bits).
fn private_dir(parent: &Path) -> io::Result<PathBuf> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let mut builder = std::fs::DirBuilder::new();
    builder.mode(0o700);
    let mut last = None;
    for _ in 0..64 {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = parent.join(format!(".shs-listen-{}-{n}", std::process::id()));
        match builder.create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no private directory")))
}

impl Drop for UnixSocket {
    fn drop(&mut self) {
        let Some((path, id)) = &self.file else { return };
        let ours =
            std::fs::symlink_metadata(path).is_ok_and(|meta| (meta.dev(), meta.ino()) == *id);
        if ours {
            let _ = std::fs::remove_file(path);
        }
    }
}
