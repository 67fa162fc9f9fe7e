//! `shs-cat listen` and `shs-cat connect` as the tests start them, and what they print.

use secret_handshake::PublicKey;

use super::{shs_cat, Finished, Proc, TempDir};

/// Reads the first stderr line of `shs-cat listen`: `listening on HOST:PORT as ID`.
pub fn listening(server: &mut Proc) -> (u16, PublicKey) {
    let line = server.stderr_line();
    let parsed = line.strip_prefix("listening on ").and_then(|rest| {
        let (addr, id) = rest.split_once(" as ")?;
        let port = addr.rsplit_once(':')?.1.parse().ok()?;
        Some((port, id.parse().ok()?))
    });
    parsed.unwrap_or_else(|| panic!("not a listening line: {line:?}"))
}

/// `shs-cat listen 127.0.0.1:0 EXTRA…` fed `input`, once it is listening.
pub fn listen(home: &TempDir, extra: &[&str], input: Vec<u8>) -> (Proc, u16, PublicKey) {
    let mut server = Proc::spawn(
        "listen",
        shs_cat(home.path())
            .args(["listen", "127.0.0.1:0"])
            .args(extra),
        input,
    );
    let (port, id) = listening(&mut server);
    (server, port, id)
}

/// `shs-cat listen ARGS…` fed `input`, and the rest of its first stderr line: `listening on
/// REST`.
pub fn listen_args(home: &TempDir, args: &[&str], input: Vec<u8>) -> (Proc, String) {
    let mut server = Proc::spawn(
        "listen",
        shs_cat(home.path()).arg("listen").args(args),
        input,
    );
    let line = server.stderr_line();
    let rest = line.strip_prefix("listening on ");
    let rest = rest.unwrap_or_else(|| panic!("not a listening line: {line:?}"));
    (server, rest.to_owned())
}

/// The address `shs-cat listen` prints to paste, from its `address: ADDRESS` line.
pub fn pasted_address(server: &mut Proc) -> String {
    let line = server.stderr_line_starting("address: ");
    line["address: ".len()..].to_owned()
}

/// `shs-cat connect ARGS…` fed `input`, run to its end.
pub fn connect(home: &TempDir, args: &[&str], input: Vec<u8>) -> Finished {
    Proc::spawn(
        "connect",
        shs_cat(home.path()).arg("connect").args(args),
        input,
    )
    .finish()
}

pub fn addr(port: u16) -> String {
    format!("127.0.0.1:{port}")
}

pub fn ms_addr(port: u16, server: &PublicKey) -> String {
    format!("net:127.0.0.1:{port}~shs:{}", server.to_base64())
}

/// The `ws://` address of a `listen --ws` on `port`.
pub fn ws_addr(port: u16, server: &PublicKey) -> String {
    format!("ws://127.0.0.1:{port}~shs:{}", server.to_base64())
}

/// The id announced as `using a fresh identity ID`.
pub fn fresh_id(run: &Finished) -> PublicKey {
    let id = run.stderr_after("using a fresh identity ");
    id.and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no fresh identity announced: {:?}", run.stderr))
}

/// The id announced as `connected: ID`.
pub fn connected_to(run: &Finished) -> PublicKey {
    let id = run.stderr_after("connected: ");
    id.and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no `connected:` line: {:?}", run.stderr))
}
