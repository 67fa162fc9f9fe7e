//! Ends that are not failures to report: stdout closed by its reader, or a signal. The process
//! then exits with the shell's status for that signal and prints nothing, as `cat` does.

use std::sync::OnceLock;

/// The status `cat` gets in a shell when its reader goes away (128 + SIGPIPE).
pub const STDOUT_CLOSED: u8 = 141;
/// 128 + SIGINT.
pub const INTERRUPTED: u8 = 130;
/// 128 + SIGTERM.
pub const TERMINATED: u8 = 143;

static QUIET: OnceLock<u8> = OnceLock::new();

/// Asks for the process to exit with `status` and no message; the first request wins.
pub fn quietly(status: u8) {
    let _ = QUIET.set(status);
}

/// The status asked for by [`quietly`], if any.
pub fn quiet_status() -> Option<u8> {
    QUIET.get().copied()
}
