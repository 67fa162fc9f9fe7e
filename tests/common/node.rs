//! The Node.js interop install and the example binaries.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// `tests/interop`: package.json and package-lock.json of the JS reference tools (shs1-test,
/// secret-handshake, pull-box-stream, multiserver, secret-stack).
pub fn interop_dir() -> PathBuf {
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

/// Whether `node` and `npm` are on PATH. Without them, a test of the live JS suites calls this
/// first and returns early: the suite prints one line saying so (once per test binary, past
/// the test harness's capture), unless [`REQUIRE_NODE`] is set, which makes it a failure.
pub fn node_available() -> bool {
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

/// Makes sure `node` and `npm` are on PATH and `tests/interop/node_modules` is installed,
/// running `npm ci` there once per process if it is not. Panics with the reason otherwise.
pub fn ensure_node_modules() {
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
