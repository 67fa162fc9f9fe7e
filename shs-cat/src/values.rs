//! Parsing one argument's value: ids, `HOST:PORT` addresses and network keys.

use std::ffi::OsStr;

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;

use secret_handshake::{NetworkKey, PublicKey};

pub fn public_key(id: &str) -> Result<PublicKey, String> {
    id.parse()
        .map_err(|e| format!("{e}: expected @<base64>.ed25519, base64 or hex"))
}

/// Checks the `HOST:PORT` shape (IPv6 hosts in brackets); names are resolved when used.
pub fn host_port(addr: &str) -> Result<String, String> {
    let (host, port) = addr
        .rsplit_once(':')
        .ok_or("expected HOST:PORT, with a port")?;
    if host.is_empty() {
        return Err("expected HOST:PORT, with a host".into());
    }
    port.parse::<u16>()
        .map_err(|_| format!("expected HOST:PORT; {port:?} is not a port number"))?;
    Ok(addr.to_owned())
}

/// Parses `--network-key` without echoing the value: a private network's key is its secret.
#[derive(Clone)]
pub struct NetworkKeyParser;

impl TypedValueParser for NetworkKeyParser {
    type Value = NetworkKey;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<NetworkKey, clap::Error> {
        value.to_str().and_then(|v| v.parse().ok()).ok_or_else(|| {
            let name = arg.map_or("--network-key <KEY>".into(), |a| a.to_string());
            let message =
                format!("invalid value for '{name}': expected 64 hex digits or base64 of 32 bytes");
            clap::Error::raw(ErrorKind::ValueValidation, message).format(&mut cmd.clone())
        })
    }
}
