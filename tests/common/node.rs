//! The Node.js interop install and the example binaries.
//!
//! The one way to a JS tool is [`require`]: it returns a [`Node`] where Node.js, npm and the
//! packages are there, and `None` (after one line saying what is skipped) where they are not, so
//! a live suite starts with `let Some(node) = common::node::require() else { return };` and
//! cannot forget to skip. Every path into `tests/interop` goes through a `Node`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Proof that `node`, `npm` and `tests/interop/node_modules` are there: what every JS tool
/// needs. Only [`require`] makes one.
#[derive(Debug, Clone, Copy)]
pub struct Node(());

impl Node {
    /// `tests/interop/<script>`, one of the JS peers (`peer.js`, `ws_peer.js`, `ms_node.js`, …).
    pub fn script(self, script: &str) -> PathBuf {
        interop_dir().join(script)
    }

    /// `tests/interop/node_modules/.bin/<tool>` (`shs1testserver`, …).
    pub fn bin(self, tool: &str) -> PathBuf {
        interop_dir().join("node_modules").join(".bin").join(tool)
    }

    /// `node tests/interop/<script>`, to add arguments to.
    pub fn command(self, script: &str) -> Command {
        let mut command = Command::new("node");
        command.arg(self.script(script));
        command
    }
}

/// A [`Node`] where the live JS suites can run (installing the packages on first use); `None`
/// where Node.js is missing, after one line on stderr saying what is skipped. With
/// [`REQUIRE_NODE`] set (CI), a missing Node.js panics instead.
pub fn require() -> Option<Node> {
    if !node_available() {
        return None;
    }
    ensure_node_modules();
    Some(Node(()))
}

/// `tests/interop`: package.json and package-lock.json of the JS reference tools (shs1-test,
/// secret-handshake, pull-box-stream, multiserver, secret-stack).
fn interop_dir() -> PathBuf {
    // Also included by workspace members (shs-cat), so look upwards for it.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("tests").join("interop"))
        .find(|dir| dir.join("package.json").is_file())
        .expect("tests/interop/package.json above CARGO_MANIFEST_DIR")
}

/// Set (to anything but `0`) where the live JS suites must run: CI (`.ci/run`) sets it, so a
/// missing Node.js fails there instead of skipping.
pub const REQUIRE_NODE: &str = "SHS_REQUIRE_NODE";

/// Whether `node` and `npm` are on PATH. Without them the suite prints one line saying so (once
/// per test binary, past the test harness's capture), unless [`REQUIRE_NODE`] is set, which
/// makes it a failure.
fn node_available() -> bool {
    static FOUND: OnceLock<bool> = OnceLock::new();
    let found = *FOUND.get_or_init(|| {
        let found = ["node", "npm"].iter().all(|tool| {
            Command::new(tool)
                .arg("--version")
                .output()
                .is_ok_and(|out| out.status.success())
        });
        if !found && !node_required() {
            use std::io::Write;
            let suite = std::env::current_exe()
                .ok()
                .and_then(|exe| exe.file_stem().map(|s| s.to_string_lossy().into_owned()))
                .map(|stem| {
                    stem.rsplit_once('-')
                        .map_or(stem.clone(), |(name, _)| name.to_owned())
                })
                .unwrap_or_default();
            // Straight to stderr: the harness captures `eprintln!` of passing tests.
            let _ = writeln!(
                std::io::stderr(),
                "note: {suite}: live JS suites skipped: they need Node.js 20 + npm on PATH \
                 (set {REQUIRE_NODE}=1 to make this an error)"
            );
        }
        found
    });
    assert!(
        found || !node_required(),
        "{REQUIRE_NODE} is set but node/npm are not on PATH: the live JS suites need Node.js 20 + npm"
    );
    found
}

fn node_required() -> bool {
    std::env::var_os(REQUIRE_NODE).is_some_and(|v| v != "0" && !v.is_empty())
}

/// Makes sure `tests/interop/node_modules` is installed, running `npm ci` there once per
/// process if it is not. Panics with the reason otherwise (node is there: a broken install is a
/// failure, not a skip).
fn ensure_node_modules() {
    static SETUP: OnceLock<Result<(), String>> = OnceLock::new();
    // Every caller panics with the same message, not just the first (a `Once` would poison).
    if let Err(message) = SETUP.get_or_init(install_node_modules) {
        panic!("{message}");
    }
}

fn install_node_modules() -> Result<(), String> {
    for tool in ["node", "npm"] {
        let found = Command::new(tool).arg("--version").output();
        if !found.is_ok_and(|out| out.status.success()) {
            return Err(
                "node and npm are required for the interop tests: install Node.js 20 \
                        and npm (e.g. apt-get install nodejs npm)"
                    .into(),
            );
        }
    }
    let dir = interop_dir();
    let markers = [
        ".bin/shs1testserver",
        ".bin/shs1testclient",
        "secret-handshake",
        "pull-box-stream",
        "multiserver",
        "multiserver-address",
        "pull-websocket",
        "secret-stack",
    ];
    if markers
        .iter()
        .all(|m| dir.join("node_modules").join(m).exists())
    {
        return Ok(());
    }
    eprintln!(
        "installing the JS interop tools: npm ci in {}",
        dir.display()
    );
    let out = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .output()
        .map_err(|e| format!("could not run npm ci in {}: {e}", dir.display()))?;
    if !out.status.success() {
        return Err(format!(
            "npm ci in {} failed ({}):\n{}{}",
            dir.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

/// The built example binary `name`: `target/<profile>/examples/<name>`, next to this test
/// binary's `target/<profile>/deps/`.
///
/// `cargo test` builds the examples, but `cargo test --test <name>` does not (run
/// `cargo build --examples` first), and neither rebuilds a stale one in that case.
pub fn example_path(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("path of the test binary");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary lives in target/<profile>/deps/");
    let path = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "example `{name}` not found at {}: run via cargo test so examples are built \
         (with `cargo test --test …`, run `cargo build --examples` first)",
        path.display()
    );
    path
}
