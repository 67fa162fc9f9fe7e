//! The command line, parsed by clap: the subcommands, their help, and the checks that look at
//! more than one argument.

use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::{Args, CommandFactory, Parser, Subcommand};

use secret_handshake::multiserver::{AddressError, MultiserverAddress, TransportKind};
use secret_handshake::{NetworkKey, PublicKey};

use crate::values::{host_port, public_key, NetworkKeyParser};

const AFTER_HELP: &str = "\
ID is a public key: @<base64>.ed25519, plain base64 or 64 hex digits.

Two terminals:
  shs-cat listen 127.0.0.1:8008          # prints: address: net:127.0.0.1:8008~shs:S…=
  shs-cat connect 'net:127.0.0.1:8008~shs:S…='

Over WebSocket (Scuttlebutt's multiserver ws transport):
  shs-cat listen --ws 127.0.0.1:8989     # prints: address: ws://127.0.0.1:8989~shs:S…=
  shs-cat connect 'ws://127.0.0.1:8989~shs:S…='

Exit status: 0 after a clean end, 1 on any failure (one line on stderr naming what failed,
e.g. the handshake phase), 2 on bad arguments; 141 without a message when stdout's reader
has gone (`shs-cat connect … | head`), as cat gets from SIGPIPE; 130 and 143 after Ctrl-C
and SIGTERM with --unix.";

/// netcat for Scuttlebutt's secret-handshake + box-stream
#[derive(Parser)]
#[command(name = "shs-cat", version, after_long_help = AFTER_HELP)]
#[command(long_about = "\
netcat for Scuttlebutt's secret-handshake + box-stream.

Opens an authenticated, encrypted connection (SHS1 + box-stream, byte-compatible with the JS
secret-handshake), copies stdin to the peer and the peer to stdout. The end of stdin sends the
goodbye; a session ends once stdin has ended and the peer has said goodbye. Messages go to
stderr.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    Keygen(KeygenArgs),
    Listen(ListenArgs),
    Connect(ConnectArgs),
}

impl Command {
    /// `-v` was given.
    pub fn verbose(&self) -> bool {
        match self {
            Command::Keygen(_) => false,
            Command::Listen(args) => args.session.verbose,
            Command::Connect(args) => args.session.verbose,
        }
    }
}

/// Make a new Scuttlebutt secret file
#[derive(Args)]
#[command(long_about = "\
Make a new identity and write it as a Scuttlebutt secret file: to FILE (created with mode
0600, never replacing an existing file), or to stdout. `listen` and `connect` use it with
--secret.")]
#[command(after_long_help = "\
Example:
  shs-cat keygen --out ~/client.secret     # prints: wrote /home/me/client.secret for @C….ed25519")]
pub struct KeygenArgs {
    /// The file to create [default: print to stdout]
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Accept a connection and pipe stdin and stdout through it
#[derive(Args)]
#[command(long_about = "\
Accept a connection on HOST:PORT (or, with --unix, a unix socket), pipe stdin to the client
and the client to stdout, then exit. The first stderr line is `listening on HOST:PORT as ID`
with the real port, so port 0 works; the second is `address: ADDRESS`, the multiserver
address to paste into `shs-cat connect` or a JS peer: net:HOST:PORT~shs:KEY, with --ws
ws://HOST:PORT~shs:KEY, with --unix unix:PATH~shs:KEY (KEY is ID's base64). On 0.0.0.0 or ::
it lists this host's addresses, `;`-joined, loopback last. Each client is announced as
`connected: ID`. A client has 30 s for its handshake (and 5 s before that for a WebSocket
upgrade).

Any client may connect unless --allow or --allow-file is given; then only the listed clients
get in, and anyone else is turned away in phase 3 of the handshake.")]
#[command(after_long_help = "\
Example: serve a file to one known client
  shs-cat listen 0.0.0.0:8008 --secret server.secret --allow-file clients.txt < file

Example: a unix socket, for clients on this host
  shs-cat listen --unix /tmp/shs.sock    # prints: address: unix:/tmp/shs.sock~shs:S…=

An allow file holds one ID per line; blank lines and everything after a `#` are ignored:
  # alice
  @AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=.ed25519")]
pub struct ListenArgs {
    /// The address to listen on (port 0 picks a free port)
    #[arg(value_name = "HOST:PORT", value_parser = host_port, required_unless_present = "unix")]
    pub addr: Option<String>,
    /// Listen on a unix socket at PATH instead of TCP
    ///
    /// A stale socket file at PATH (one nobody listens on) is replaced; a live
    /// socket or any other file there is an error. The socket file is removed again on exit, also on
    /// Ctrl-C or SIGTERM.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["addr", "ws"], verbatim_doc_comment)]
    pub unix: Option<PathBuf>,
    /// Accept only this client (repeatable)
    #[arg(long, value_name = "ID", value_parser = public_key)]
    pub allow: Vec<PublicKey>,
    /// Accept only the clients listed in FILE, one ID per line (repeatable)
    #[arg(long, value_name = "FILE")]
    pub allow_file: Vec<PathBuf>,
    /// Serve connections one after another until killed
    ///
    /// Only the first connection gets stdin; later ones get a goodbye at once,
    /// as if stdin were empty. Every client's data goes to stdout. A failed
    /// connection is reported and the next one is served.
    #[arg(long, verbatim_doc_comment)]
    pub keep_open: bool,
    /// With --keep-open, how many clients may be handshaking, and waiting for their turn
    ///
    /// Each client's handshake runs on its own, so a slow one holds up no other.
    /// When N are handshaking, a new client replaces the oldest pending one of the
    /// address that holds the most, so a crowd of slow clients locks no one out.
    #[arg(long, value_name = "N", default_value_t = 32, verbatim_doc_comment, requires = "keep_open",
          value_parser = clap::value_parser!(u16).range(1..))]
    pub max_handshakes: u16,
    /// Serve WebSocket clients (multiserver's ws transport) instead of plain TCP
    #[arg(long)]
    pub ws: bool,
    #[command(flatten)]
    pub session: SessionArgs,
}

/// Dial a server and pipe stdin and stdout through the connection
#[derive(Args)]
#[command(long_about = "\
Dial a server and pipe stdin to it and its data to stdout. ADDRESS is HOST:PORT with
--server-key, or a multiserver address, which names the server's key itself:
net:HOST:PORT~shs:KEY over TCP, ws://HOST[:PORT]~shs:KEY or wss://… over WebSocket (port
80 or 443 if left out; a /PATH may follow), unix:PATH~shs:KEY over a Unix socket. wss://
checks the server's TLS certificate against Mozilla's roots, or those in --tls-root's files.
An invite (…~shs:KEY:SEED) also sets the identity to use. A list of addresses separated by
`;` (what a pub's getAddress() prints) is tried in order: an address that cannot be reached
falls back to the next, a server that answers (a wrong key, or it turned us away) ends the
attempt. Entries this tool cannot dial (onion:, tunnel:, …~noauth) are skipped.")]
#[command(after_long_help = "\
Examples:
  shs-cat connect 127.0.0.1:8008 --server-key '@S….ed25519' < file
  shs-cat connect 'net:127.0.0.1:8008~shs:S…=' --secret client.secret
  shs-cat connect 'ws://127.0.0.1:8989~shs:S…='
  shs-cat connect 'net:pub.example.org:8008~shs:S…=;wss://pub.example.org~shs:S…='
  shs-cat connect 'unix:/home/me/.ssb/socket~shs:S…='
  shs-cat connect 'wss://127.0.0.1:8443~shs:S…=' --tls-root server.pem

ID is a public key: @<base64>.ed25519, plain base64 or 64 hex digits.")]
pub struct ConnectArgs {
    #[arg(
        value_name = "ADDRESS",
        help = "HOST:PORT, or a multiserver address (net:, ws://, wss://, unix:) or `;` list"
    )]
    pub address: String,
    /// The server's key; required with a HOST:PORT address
    #[arg(long, value_name = "ID", value_parser = public_key)]
    pub server_key: Option<PublicKey>,
    /// Trust the PEM certificates in FILE for wss:// (repeatable)
    ///
    /// Instead of the built-in roots (Mozilla's, from webpki-roots; the host's
    /// certificate store plays no part): for a server with a self-signed
    /// certificate or a private CA. FILE holds one or more `-----BEGIN
    /// CERTIFICATE-----` sections; other sections are skipped. A file without
    /// certificates is an error.
    #[arg(long, value_name = "FILE", verbatim_doc_comment)]
    pub tls_root: Vec<PathBuf>,
    #[command(flatten)]
    pub session: SessionArgs,
}

/// Options of `listen` and `connect`.
#[derive(Args)]
pub struct SessionArgs {
    /// The identity to use [default: ~/.ssb/secret if it exists, else a fresh one]
    #[arg(long, value_name = "FILE")]
    pub secret: Option<PathBuf>,
    /// 64 hex digits or base64 of 32 bytes [default: the Scuttlebutt main network]
    #[arg(long, value_name = "KEY", value_parser = NetworkKeyParser)]
    pub network_key: Option<NetworkKey>,
    /// Log each handshake (who, how long, why it failed) on stderr, and at the end print the
    /// bytes and MB/s (10^6 bytes a second) each way
    #[arg(short, long)]
    pub verbose: bool,
}

/// Where the long-term identity comes from.
pub enum IdentityChoice {
    /// `~/.ssb/secret` if it exists, else a fresh identity.
    Default,
    File(PathBuf),
    /// The seed of an invite's multiserver address.
    InviteSeed([u8; 32]),
}

/// Where `listen` listens.
pub enum Endpoint {
    /// A `HOST:PORT` for TCP.
    Tcp(String),
    /// A unix socket's path.
    Unix(PathBuf),
}

pub struct Listen {
    pub endpoint: Endpoint,
    pub identity: IdentityChoice,
    pub network: NetworkKey,
    pub allow: Vec<PublicKey>,
    pub allow_files: Vec<PathBuf>,
    pub keep_open: bool,
    /// Clients between accept and their session at most, with `keep_open`.
    pub max_handshakes: usize,
    /// Serve WebSocket clients instead of plain TCP ones.
    pub ws: bool,
    pub verbose: bool,
}

pub struct Connect {
    /// The addresses to dial, in order, parsed once here (an invite's seed taken out: it is
    /// the identity already).
    pub addresses: Vec<MultiserverAddress>,
    /// `--tls-root` files: the roots for `wss://` instead of the webpki ones.
    pub tls_roots: Vec<PathBuf>,
    pub identity: IdentityChoice,
    pub network: NetworkKey,
    pub verbose: bool,
}

impl ListenArgs {
    pub fn into_listen(self) -> Listen {
        // clap requires exactly one of the two.
        let endpoint = match (self.unix, self.addr) {
            (Some(path), _) => Endpoint::Unix(path),
            (None, addr) => Endpoint::Tcp(addr.unwrap_or_default()),
        };
        Listen {
            endpoint,
            identity: identity(self.session.secret),
            network: self.session.network_key.unwrap_or_default(),
            allow: self.allow,
            allow_files: self.allow_file,
            keep_open: self.keep_open,
            max_handshakes: self.max_handshakes.into(),
            ws: self.ws,
            verbose: self.session.verbose,
        }
    }
}

impl ConnectArgs {
    /// Checks the address against the other options; a clap error (exit 2) if they disagree.
    pub fn into_connect(self) -> Result<Connect, clap::Error> {
        let session = self.session;
        let network = session.network_key.unwrap_or_default();
        let verbose = session.verbose;
        let tls_roots = self.tls_root;
        if is_multiserver(&self.address) {
            let (addresses, seed) = parse_list(&self.address)?;
            let has_wss = addresses.iter().any(|a| a.transport == TransportKind::Wss);
            if !tls_roots.is_empty() && !has_wss {
                return Err(usage_error(
                    ErrorKind::ArgumentConflict,
                    "'--tls-root' is for wss:// addresses, and the address has none",
                ));
            }
            if self.server_key.is_some() {
                return Err(usage_error(
                    ErrorKind::ArgumentConflict,
                    "'--server-key' cannot be used with a multiserver address: it names the \
                     server already",
                ));
            }
            let identity =
                match (seed, session.secret) {
                    (Some(_), Some(_)) => return Err(usage_error(
                        ErrorKind::ArgumentConflict,
                        "'--secret' cannot be used with an invite address: it sets the identity \
                         already",
                    )),
                    (Some(seed), None) => IdentityChoice::InviteSeed(seed),
                    (None, secret) => identity(secret),
                };
            return Ok(Connect {
                addresses,
                tls_roots,
                identity,
                network,
                verbose,
            });
        }
        let invalid = |e: &dyn std::fmt::Display| {
            usage_error(
                ErrorKind::ValueValidation,
                format!("invalid value '{}' for '<ADDRESS>': {e}", self.address),
            )
        };
        let addr = host_port(&self.address).map_err(|e| invalid(&e))?;
        let server = self.server_key.ok_or_else(|| {
            usage_error(
                ErrorKind::MissingRequiredArgument,
                "'--server-key <ID>' is required with a HOST:PORT address \
                 (or use net:HOST:PORT~shs:KEY)",
            )
        })?;
        if !tls_roots.is_empty() {
            return Err(usage_error(
                ErrorKind::ArgumentConflict,
                "'--tls-root' is for wss:// addresses, not HOST:PORT (plain TCP)",
            ));
        }
        let (host, port) = addr.rsplit_once(':').unwrap_or((&addr, "0"));
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = port.parse().map_err(|_| invalid(&"not a port number"))?;
        Ok(Connect {
            addresses: vec![MultiserverAddress::net(host, port, server)],
            tls_roots,
            identity: identity(session.secret),
            network,
            verbose,
        })
    }
}

/// Whether `address` is a multiserver address (or list) rather than `HOST:PORT`.
fn is_multiserver(address: &str) -> bool {
    let known = ["net:", "ws:", "wss:", "unix:", "onion:"];
    address.contains(['~', ';']) || known.iter().any(|scheme| address.starts_with(scheme))
}

/// Parses a multiserver list once, for the dialler: the entries this tool can dial, and the
/// invite seed they carry, if any (taken out of the addresses: it becomes the identity, so it
/// is applied once). Entries it cannot dial (another transport or transform) are left out;
/// malformed ones are usage errors. The address is never echoed: it may hold a seed.
fn parse_list(list: &str) -> Result<(Vec<MultiserverAddress>, Option<[u8; 32]>), clap::Error> {
    let several = list.contains(';');
    let mut addresses = Vec::new();
    let mut seeds = Vec::new();
    for (i, entry) in MultiserverAddress::parse_list(list).enumerate() {
        match entry {
            Ok(mut address) => {
                seeds.extend(address.seed.take());
                addresses.push(address);
            }
            Err(AddressError::Unsupported { .. } | AddressError::Transform { .. }) => {}
            Err(e) => {
                let entry = if several {
                    format!(" (entry {})", i + 1)
                } else {
                    String::new()
                };
                return Err(usage_error(
                    ErrorKind::ValueValidation,
                    format!(
                        "invalid value for '<ADDRESS>'{entry}: {e}: expected net:HOST:PORT~shs:KEY, \
                         ws://HOST[:PORT]~shs:KEY (or wss://, and a /PATH may follow), or \
                         unix:PATH~shs:KEY, each optionally with :SEED"
                    ),
                ));
            }
        }
    }
    if addresses.is_empty() {
        return Err(usage_error(
            ErrorKind::ValueValidation,
            "invalid value for '<ADDRESS>': no entry this tool can dial (net:, ws://, wss:// or \
             unix: with ~shs)",
        ));
    }
    match seeds.split_first() {
        Some((first, rest)) if rest.iter().any(|seed| seed != first) => Err(usage_error(
            ErrorKind::ValueValidation,
            "invalid value for '<ADDRESS>': its addresses carry different invite seeds",
        )),
        first => Ok((addresses, first.map(|(seed, _)| *seed))),
    }
}

/// An error about `shs-cat connect`'s arguments, in clap's form with its usage line.
fn usage_error(kind: ErrorKind, message: impl std::fmt::Display) -> clap::Error {
    let mut cli = Cli::command();
    cli.build();
    match cli.find_subcommand_mut("connect") {
        Some(connect) => connect.error(kind, message),
        None => cli.error(kind, message),
    }
}

fn identity(secret: Option<PathBuf>) -> IdentityChoice {
    match secret {
        Some(path) => IdentityChoice::File(path),
        None => IdentityChoice::Default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
