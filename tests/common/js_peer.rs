//! A Node.js peer from `tests/interop` (`peer.js`, `ws_peer.js`): one process, configured by a
//! JSON argument, reporting JSON events on stdout one per line.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// One JS peer process; killed when dropped.
pub struct JsPeer {
    pub child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl JsPeer {
    /// Starts `tests/interop/<script>` with `config` (`node` from [`super::node::require`]).
    pub fn spawn(node: super::Node, script: &str, config: Value) -> JsPeer {
        let mut child = Command::new("node")
            .arg(node.script(script))
            .arg(config.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("node is required for the interop tests: install Node.js 20 and npm");
        let stdout = child.stdout.take().expect("piped stdout");
        JsPeer {
            child,
            lines: BufReader::new(stdout).lines(),
        }
    }

    /// The next JSON event the peer prints (30 s at most).
    pub async fn event(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(30), self.lines.next_line())
            .await
            .expect("JS peer printed nothing for 30 s")
            .expect("read JS peer output")
            .expect("JS peer exited without a final event");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("bad JS peer line {line:?}: {e}"))
    }
}
