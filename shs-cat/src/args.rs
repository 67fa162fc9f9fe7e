//! The command line: hand-rolled parsing into a [`Command`], and the help text.

use std::ffi::OsString;
use std::path::PathBuf;

use secret_handshake::{MultiserverAddress, NetworkKey, PublicKey};

pub const HELP: &str = "\
shs-cat: netcat for Scuttlebutt's secret-handshake + box-stream

Usage:
  shs-cat keygen [--out FILE]
  shs-cat listen HOST:PORT [--secret FILE] [--network-key KEY] [--allow ID]... [--keep-open]
  shs-cat connect HOST:PORT --server-key ID [--secret FILE] [--network-key KEY]
  shs-cat connect net:HOST:PORT~shs:KEY[:SEED] [--secret FILE] [--network-key KEY]

Commands:
  keygen   Write a new Scuttlebutt secret file to FILE (created with mode 0600, never
           overwriting a file), or to stdout.
  listen   Accept one connection on HOST:PORT (port 0 picks a free port), pipe stdin to the
           peer and the peer to stdout, then exit.
  connect  Dial a server and pipe the same way. A multiserver address carries the server
           key; an invite's SEED in it sets the identity to use (no --secret then).

Options:
  --secret FILE      identity to use (default: ~/.ssb/secret if it exists, else a fresh one)
  --network-key KEY  64 hex digits or base64 of 32 bytes (default: the Scuttlebutt main net)
  --server-key ID    connect: the server's key, required with HOST:PORT
  --allow ID         listen: accept only this client (repeatable; default: any client)
  --keep-open        listen: serve connections one after another until killed. Only the
                     first connection gets stdin; later ones get a goodbye at once (as if
                     stdin were empty). Every peer's data goes to stdout. A failed
                     connection is reported and the next one is served.
  --out FILE         keygen: the file to create
  -h, --help         show this help

ID is @<base64>.ed25519, plain base64 or 64 hex digits.

The end of stdin sends the goodbye; a session ends once stdin has ended and the peer has
said goodbye. Messages go to stderr. Exit status: 0 after a clean end, 1 on any failure
(one line naming what failed, e.g. the handshake phase), 2 on bad arguments.
";

/// What to do.
pub enum Command {
    Help,
    Keygen { out: Option<PathBuf> },
    Listen(Listen),
    Connect(Connect),
}

/// Where the long-term identity comes from.
pub enum IdentityChoice {
    /// `~/.ssb/secret` if it exists, else a fresh identity.
    Default,
    File(PathBuf),
    /// The seed of an invite's multiserver address.
    InviteSeed([u8; 32]),
}

pub struct Listen {
    pub addr: String,
    pub identity: IdentityChoice,
    pub network: NetworkKey,
    pub allow: Vec<PublicKey>,
    pub keep_open: bool,
}

pub struct Connect {
    pub addr: String,
    pub server: PublicKey,
    pub identity: IdentityChoice,
    pub network: NetworkKey,
}

/// Parses the arguments after the program name. `Err` is a one-line message for the user.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, String> {
    let args = args
        .into_iter()
        .map(|arg| {
            arg.into_string()
                .map_err(|arg| format!("argument {arg:?} is not valid UTF-8"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let Some((command, rest)) = args.split_first() else {
        return Err("missing command: keygen, listen or connect".into());
    };
    let options = match command.as_str() {
        "-h" | "--help" | "help" => return Ok(Command::Help),
        "keygen" => Options::parse(command, rest, &["--out"], &[])?,
        "listen" => Options::parse(
            command,
            rest,
            &["--secret", "--network-key", "--allow"],
            &["--keep-open"],
        )?,
        "connect" => Options::parse(
            command,
            rest,
            &["--server-key", "--secret", "--network-key"],
            &[],
        )?,
        other => return Err(format!("unknown command {other:?}")),
    };
    if options.help {
        return Ok(Command::Help);
    }
    match command.as_str() {
        "keygen" => {
            if let Some(extra) = options.positionals.first() {
                return Err(format!("keygen: unexpected argument {extra:?}"));
            }
            let out = options.once("--out")?.map(PathBuf::from);
            Ok(Command::Keygen { out })
        }
        "listen" => listen(&options).map(Command::Listen),
        _ => connect(&options).map(Command::Connect),
    }
}

fn listen(options: &Options) -> Result<Listen, String> {
    let addr = options.address()?;
    Ok(Listen {
        addr: host_port(addr)?,
        identity: secret_file(options)?,
        network: network_key(options)?,
        allow: options
            .all("--allow")
            .map(|id| public_key("--allow", id))
            .collect::<Result<_, _>>()?,
        keep_open: options.flag("--keep-open"),
    })
}

fn connect(options: &Options) -> Result<Connect, String> {
    let addr = options.address()?;
    let network = network_key(options)?;
    let server_key = options.once("--server-key")?;
    if addr.starts_with("net:") {
        let ms: MultiserverAddress = addr.parse().map_err(|e| {
            format!("{e}: expected net:HOST:PORT~shs:KEY or net:HOST:PORT~shs:KEY:SEED")
        })?;
        if server_key.is_some() {
            return Err("--server-key: the multiserver address already names the server".into());
        }
        let identity = match (ms.seed, secret_file(options)?) {
            (Some(_), IdentityChoice::File(_)) => {
                return Err("--secret: the invite address already sets the identity".into())
            }
            (Some(seed), _) => IdentityChoice::InviteSeed(seed),
            (None, identity) => identity,
        };
        return Ok(Connect {
            addr: ms.socket_address(),
            server: ms.key,
            identity,
            network,
        });
    }
    let server = server_key.ok_or("--server-key ID is required with a HOST:PORT address")?;
    Ok(Connect {
        addr: host_port(addr)?,
        server: public_key("--server-key", server)?,
        identity: secret_file(options)?,
        network,
    })
}

fn secret_file(options: &Options) -> Result<IdentityChoice, String> {
    Ok(match options.once("--secret")? {
        Some(path) => IdentityChoice::File(path.into()),
        None => IdentityChoice::Default,
    })
}

fn network_key(options: &Options) -> Result<NetworkKey, String> {
    match options.once("--network-key")? {
        Some(key) => key
            .parse()
            .map_err(|_| "--network-key: expected 64 hex digits or base64 of 32 bytes".into()),
        None => Ok(NetworkKey::ssb_main_net()),
    }
}

fn public_key(option: &str, id: &str) -> Result<PublicKey, String> {
    id.parse()
        .map_err(|e| format!("{option}: {e}: expected @<base64>.ed25519, base64 or hex"))
}

/// Checks the `HOST:PORT` shape (IPv6 hosts in brackets); names are resolved when used.
fn host_port(addr: &str) -> Result<String, String> {
    let invalid = || format!("invalid address {addr:?}: expected HOST:PORT");
    let (host, port) = addr.rsplit_once(':').ok_or_else(invalid)?;
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err(invalid());
    }
    Ok(addr.to_owned())
}

/// A subcommand's arguments: options (`--name VALUE` or `--name=VALUE`), flags and positionals.
struct Options {
    command: String,
    positionals: Vec<String>,
    values: Vec<(&'static str, String)>,
    flags: Vec<&'static str>,
    help: bool,
}

impl Options {
    fn parse(
        command: &str,
        args: &[String],
        valued: &[&'static str],
        flags: &[&'static str],
    ) -> Result<Self, String> {
        let mut options = Options {
            command: command.to_owned(),
            positionals: Vec::new(),
            values: Vec::new(),
            flags: Vec::new(),
            help: false,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            if arg == "-h" || arg == "--help" {
                options.help = true;
                continue;
            }
            if !arg.starts_with('-') || arg == "-" {
                options.positionals.push(arg.clone());
                continue;
            }
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (arg.as_str(), None),
            };
            if let Some(&flag) = flags.iter().find(|f| **f == name) {
                if inline.is_some() {
                    return Err(format!("{flag} takes no value"));
                }
                options.flags.push(flag);
            } else if let Some(&option) = valued.iter().find(|o| **o == name) {
                let value = match inline {
                    Some(value) => value,
                    None => args
                        .next()
                        .cloned()
                        .ok_or_else(|| format!("{option} needs a value"))?,
                };
                options.values.push((option, value));
            } else {
                return Err(format!("unknown option {name:?} for {command}"));
            }
        }
        Ok(options)
    }

    /// The one positional argument, the address.
    fn address(&self) -> Result<&str, String> {
        match self.positionals.as_slice() {
            [addr] => Ok(addr),
            [] => Err(format!("{}: missing address", self.command)),
            [_, extra, ..] => Err(format!("{}: unexpected argument {extra:?}", self.command)),
        }
    }

    /// The value of an option that may be given at most once.
    fn once(&self, name: &'static str) -> Result<Option<&str>, String> {
        let mut values = self.all(name);
        let first = values.next();
        if values.next().is_some() {
            return Err(format!("{name} given more than once"));
        }
        Ok(first)
    }

    fn all(&self, name: &'static str) -> impl Iterator<Item = &str> {
        self.values
            .iter()
            .filter(move |(n, _)| *n == name)
            .map(|(_, value)| value.as_str())
    }

    fn flag(&self, name: &str) -> bool {
        self.flags.contains(&name)
    }
}
