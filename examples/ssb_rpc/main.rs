//! Calls a method on a Scuttlebutt node over muxrpc, or answers such calls.
//!
//! ```text
//! cargo run --example ssb_rpc -- [--secret FILE] ADDRESS METHOD [JSON_ARGS]
//! cargo run --example ssb_rpc -- [--secret FILE] --serve [HOST:]PORT [--ws [HOST:]PORT]
//! ```
//!
//! The first dials ADDRESS (a multiserver address: `net:HOST:PORT~shs:KEY`, `ws://…~shs:KEY`
//! or a `;` list) on the Scuttlebutt main network with a fresh identity (or the ssb-keys secret
//! FILE), calls the `async` method METHOD (`whoami`, `greet.hello`: dots separate the parts of
//! its name) with JSON_ARGS (a JSON array, default `[]`), prints the answer as one line of JSON,
//! ends the connection cleanly and exits 0. An error answer exits 1, printing it on stderr;
//! a bad command line exits 2.
//!
//! The second listens (default host 127.0.0.1) for TCP and, with `--ws`, WebSocket clients,
//! prints its own multiserver address on stdout, and answers `whoami` and `greet.hello` until
//! killed.
//!
//! Under muxrpc is packet-stream ([`codec`]), under that the box-stream: each has its own
//! goodbye, and a clean end sends both, packet-stream's first.

pub mod codec;
pub mod muxrpc;
pub mod serve;

use std::error::Error;
use std::fmt;
use std::io::Write;
use std::process::ExitCode;

use secret_handshake::{dial, Client, Keypair, NetworkKey};
use serde_json::Value;
use tokio_util::codec::Framed;

const USAGE: &str = "usage: ssb_rpc [--secret FILE] ADDRESS METHOD [JSON_ARGS]\n       \
                     ssb_rpc [--secret FILE] --serve [HOST:]PORT [--ws [HOST:]PORT]";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args, std::io::stdout()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("ssb_rpc: {failure}");
            ExitCode::from(failure.exit_code())
        }
    }
}

/// Why `run` failed.
#[derive(Debug)]
pub enum Failure {
    /// A bad command line (exit 2).
    Usage(String),
    /// The peer answered METHOD with an error (exit 1).
    Answer(String, muxrpc::RemoteError),
    /// Anything else: reading the secret, dialling, the connection (exit 1).
    Failed(Box<dyn Error + Send + Sync>),
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => 2,
            Failure::Answer(..) | Failure::Failed(_) => 1,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Usage(problem) => write!(f, "{problem}\n{USAGE}"),
            Failure::Answer(method, error) => write!(f, "{method} answered with an error: {error}"),
            Failure::Failed(error) => write!(f, "{error}"),
        }
    }
}

impl<E: Error + Send + Sync + 'static> From<E> for Failure {
    fn from(error: E) -> Self {
        Failure::Failed(Box::new(error))
    }
}

/// The whole program but printing the failure: `args` without the program's name; the answer
/// (or the server's address) goes to `out`.
pub async fn run(args: &[String], mut out: impl Write + Send) -> Result<(), Failure> {
    let mut words = args.iter();
    let (mut secret, mut serve_at, mut ws_at, mut positional) = (None, None, None, vec![]);
    while let Some(word) = words.next() {
        let slot = match word.as_str() {
            "--secret" => &mut secret,
            "--serve" => &mut serve_at,
            "--ws" => &mut ws_at,
            _ => {
                positional.push(word.as_str());
                continue;
            }
        };
        let value = words
            .next()
            .ok_or_else(|| Failure::Usage(format!("{word} needs a value")))?;
        *slot = Some(value.as_str());
    }
    let keypair = match secret {
        Some(path) => Keypair::from_ssb_secret_file(path)?,
        None => Keypair::generate(),
    };

    if let Some(net_at) = serve_at {
        if !positional.is_empty() {
            return Err(Failure::Usage("--serve takes no ADDRESS or METHOD".into()));
        }
        let ws_at = ws_at.map(listen_address);
        return Ok(serve::serve(keypair, &listen_address(net_at), ws_at.as_deref(), out).await?);
    }
    if ws_at.is_some() {
        return Err(Failure::Usage("--ws goes with --serve".into()));
    }
    let (address, method, json_args) = match positional[..] {
        [address, method] => (address, method, "[]"),
        [address, method, json_args] => (address, method, json_args),
        _ => return Err(Failure::Usage("expected ADDRESS METHOD [JSON_ARGS]".into())),
    };
    let name: Vec<&str> = method.split('.').collect();
    if name.iter().any(|part| part.is_empty()) {
        return Err(Failure::Usage(format!("not a method name: {method:?}")));
    }
    let args = match serde_json::from_str(json_args) {
        Ok(args @ Value::Array(_)) => args,
        _ => {
            return Err(Failure::Usage(format!(
                "JSON_ARGS is not a JSON array: {json_args}"
            )))
        }
    };

    let client = Client::new(keypair, NetworkKey::ssb_main_net());
    let stream = dial::connect(&client, address).await?;
    let mut rpc = Framed::new(stream, codec::PacketCodec);
    let answer = muxrpc::call(&mut rpc, &name, args).await?;
    if let Ok(value) = &answer {
        writeln!(out, "{value}")?;
    }
    muxrpc::say_goodbye(&mut rpc).await?;
    muxrpc::read_to_end(&mut rpc).await?; // the peer's goodbyes
    rpc.into_inner().close().await?; // the transport's end: a WebSocket's Close, TCP's FIN
    answer
        .map_err(|error| Failure::Answer(method.into(), error))
        .map(drop)
}

/// `PORT` means `127.0.0.1:PORT`.
fn listen_address(at: &str) -> String {
    match at.parse::<u16>() {
        Ok(port) => format!("127.0.0.1:{port}"),
        Err(_) => at.into(),
    }
}
