//! Running `shs-cat` and other programs as child processes, never waiting for ever.
//!
//! Used as `mod support;`; not every test file uses every helper.

#![allow(dead_code)]

#[path = "../../../tests/common/mod.rs"]
pub mod common;
pub mod js;
pub mod session;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long any process or expected line may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// `shs-cat` with `HOME` set to `home`, so that no real `~/.ssb/secret` is picked up.
pub fn shs_cat(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shs-cat"));
    command.env("HOME", home);
    command
}

pub use common::temp_dir::TempDir;

/// Runs `session` (a library peer) on a fresh current-thread runtime in its own thread, so
/// that the test's thread can wait for `shs-cat` meanwhile; it fails after [`DEADLINE`].
pub fn in_runtime<T: Send + 'static>(
    session: impl std::future::Future<Output = T> + Send + 'static,
) -> JoinHandle<T> {
    thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            tokio::time::timeout(DEADLINE, session)
                .await
                .expect("the library peer's session timed out")
        })
    })
}

/// Deterministic pseudo-random bytes (xorshift).
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .collect()
}

/// `got == want`, or a panic saying where they first differ.
pub fn assert_bytes_eq(what: &str, got: &[u8], want: &[u8]) {
    assert!(
        got == want,
        "{what}: got {} bytes, want {} (first difference at {:?})",
        got.len(),
        want.len(),
        got.iter().zip(want).position(|(a, b)| a != b)
    );
}

/// A running child: stdin is fed `input` and then closed (or, interactively, written bit by
/// bit), stdout is collected, stderr and (for line-oriented programs) stdout lines can be
/// awaited one by one. Killed on drop.
pub struct Proc {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Option<JoinHandle<Vec<u8>>>,
    stdout_lines: Option<Receiver<String>>,
    stderr: Receiver<String>,
    stderr_seen: Vec<String>,
}

/// A child that has exited.
pub struct Finished {
    pub name: String,
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<String>,
}

impl Proc {
    /// Spawns `command`, collecting stdout as bytes.
    pub fn spawn(name: &str, command: &mut Command, input: Vec<u8>) -> Proc {
        Self::start(name, command, Some(input), false)
    }

    /// Spawns `command`, handing out stdout line by line ([`Proc::stdout_line`]).
    pub fn spawn_lines(name: &str, command: &mut Command) -> Proc {
        Self::start(name, command, Some(Vec::new()), true)
    }

    /// Spawns `command` with stdin left open for [`Proc::send`] and stdout handed out line by
    /// line.
    pub fn spawn_interactive(name: &str, command: &mut Command) -> Proc {
        Self::start(name, command, None, true)
    }

    fn start(name: &str, command: &mut Command, input: Option<Vec<u8>>, lines: bool) -> Proc {
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {name} ({command:?}): {e}"));
        let mut stdin = child.stdin.take();
        if let Some(input) = input {
            let mut stdin = stdin.take().expect("piped stdin");
            // The child may exit without reading everything; a failed write is its business.
            thread::spawn(move || {
                let _ = stdin.write_all(&input);
            });
        }
        let stdout = child.stdout.take().expect("piped stdout");
        let (stdout, stdout_lines) = if lines {
            (None, Some(line_reader(stdout)))
        } else {
            let reader = thread::spawn(move || {
                let mut bytes = Vec::new();
                let _ = BufReader::new(stdout).read_to_end(&mut bytes);
                bytes
            });
            (Some(reader), None)
        };
        let stderr = line_reader(child.stderr.take().expect("piped stderr"));
        Proc {
            name: name.to_owned(),
            child,
            stdin,
            stdout,
            stdout_lines,
            stderr,
            stderr_seen: Vec::new(),
        }
    }

    /// Writes `bytes` to the stdin of a child from [`Proc::spawn_interactive`].
    pub fn send(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("spawned with spawn_interactive");
        stdin
            .write_all(bytes)
            .and_then(|()| stdin.flush())
            .unwrap_or_else(|e| panic!("{}: writing stdin: {e}", self.name));
    }

    /// Closes the stdin of a child from [`Proc::spawn_interactive`].
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// The next line on stderr.
    pub fn stderr_line(&mut self) -> String {
        let line = next_line(&self.stderr)
            .unwrap_or_else(|why| panic!("{}: no stderr line ({why})", self.name));
        self.stderr_seen.push(line.clone());
        line
    }

    /// The next stderr line that starts with `prefix`, skipping others.
    pub fn stderr_line_starting(&mut self, prefix: &str) -> String {
        loop {
            let line = self.stderr_line();
            if line.starts_with(prefix) {
                return line;
            }
        }
    }

    /// The next line on stdout (after [`Proc::spawn_lines`]).
    pub fn stdout_line(&mut self) -> String {
        let lines = self
            .stdout_lines
            .as_ref()
            .expect("spawned with spawn_lines");
        next_line(lines).unwrap_or_else(|why| {
            let stderr = self.drain_stderr();
            panic!("{}: no stdout line ({why}); stderr: {stderr:?}", self.name)
        })
    }

    /// Waits for the exit (killing the child after [`DEADLINE`]): the exit closes stderr, so
    /// its end of file is the event waited for, then the child is reaped.
    pub fn finish(mut self) -> Finished {
        let deadline = Instant::now() + DEADLINE;
        loop {
            match self
                .stderr
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(line) => self.stderr_seen.push(line),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    let _ = self.child.kill();
                    panic!(
                        "{} still running after {DEADLINE:?}; stderr: {:?}",
                        self.name, self.stderr_seen
                    );
                }
            }
        }
        let status = self
            .child
            .wait()
            .unwrap_or_else(|e| panic!("waiting for {}: {e}", self.name));
        self.collect(status)
    }

    /// Sends the child signal `name` (`TERM`, `INT`) with kill(1).
    pub fn signal(&self, name: &str) {
        let sent = Command::new("kill")
            .args(["-s", name, &self.child.id().to_string()])
            .status()
            .unwrap_or_else(|e| panic!("running kill: {e}"));
        assert!(sent.success(), "kill -s {name} {}: {sent}", self.name);
    }

    /// Kills the child (for servers that run until killed) and collects its output.
    pub fn kill(mut self) -> Finished {
        let _ = self.child.kill();
        let status = self.child.wait().expect("waiting for a killed child");
        self.collect(status)
    }

    fn collect(&mut self, status: ExitStatus) -> Finished {
        let stdout = match self.stdout.take() {
            Some(reader) => reader.join().expect("stdout reader"),
            None => Vec::new(),
        };
        Finished {
            name: self.name.clone(),
            status,
            stdout,
            stderr: self.drain_stderr(),
        }
    }

    /// Every stderr line so far, including those already handed out.
    fn drain_stderr(&mut self) -> Vec<String> {
        // The child has exited or been killed, so its stderr is closed or about to be.
        while let Ok(line) = self.stderr.recv_timeout(Duration::from_secs(2)) {
            self.stderr_seen.push(line);
        }
        self.stderr_seen.clone()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Finished {
    /// Exit 0, or a panic showing stderr.
    pub fn assert_success(&self) {
        assert!(
            self.status.success(),
            "{} failed ({}); stderr: {:?}",
            self.name,
            self.status,
            self.stderr
        );
    }

    /// A non-zero exit whose only error line is the last line and contains `needle`.
    pub fn assert_failure(&self, needle: &str) {
        assert!(
            !self.status.success() && self.status.code().is_some(),
            "{} should have failed on its own ({}); stderr: {:?}",
            self.name,
            self.status,
            self.stderr
        );
        let errors: Vec<_> = self
            .stderr
            .iter()
            .filter(|l| l.starts_with("shs-cat: "))
            .collect();
        assert_eq!(
            errors.len(),
            1,
            "{}: one error line: {:?}",
            self.name,
            self.stderr
        );
        let last = self.stderr.last().expect("an error line");
        assert!(
            last.starts_with("shs-cat: ") && last.contains(needle),
            "{}: last stderr line should contain {needle:?}: {:?}",
            self.name,
            self.stderr
        );
    }

    /// The stderr line starting with `prefix`, without it.
    pub fn stderr_after(&self, prefix: &str) -> Option<&str> {
        self.stderr.iter().find_map(|l| l.strip_prefix(prefix))
    }
}

fn line_reader(stream: impl Read + Send + 'static) -> Receiver<String> {
    let (lines, receiver) = mpsc::channel();
    // Only the end of the stream (or an error reading it) ends the channel, never its bytes:
    // waiting for the exit relies on that.
    thread::spawn(move || {
        let mut stream = BufReader::new(stream);
        let mut line = Vec::new();
        while matches!(stream.read_until(b'\n', &mut line), Ok(n) if n > 0) {
            let text = String::from_utf8_lossy(&line);
            let text = text.strip_suffix('\n').unwrap_or(&text);
            let text = text.strip_suffix('\r').unwrap_or(text);
            if lines.send(text.to_owned()).is_err() {
                break;
            }
            line.clear();
        }
    });
    receiver
}

fn next_line(lines: &Receiver<String>) -> Result<String, String> {
    lines.recv_timeout(DEADLINE).map_err(|e| match e {
        mpsc::RecvTimeoutError::Timeout => format!("none within {DEADLINE:?}"),
        mpsc::RecvTimeoutError::Disconnected => "the stream ended".into(),
    })
}
