//! `shs-cat`: netcat for Scuttlebutt's secret-handshake + box-stream. See `shs-cat --help`.

mod allow_file;
mod args;
mod connect;
mod exit;
mod identity;
mod listen;
mod pipe;
mod reach;
mod stdio;
mod tls_roots;
mod unix_socket;
mod values;

use std::future::Future;
use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

fn main() -> ExitCode {
    // Usage errors, --help and --version end here, with clap's messages and exit codes (2, 0).
    let cli = Cli::parse();
    if cli.command.verbose() {
        log_to_stderr();
    }
    let result = match cli.command {
        Command::Keygen(args) => identity::keygen(args.out.as_deref()),
        Command::Listen(args) => block_on(listen::run(args.into_listen())),
        Command::Connect(args) => match args.into_connect() {
            Ok(opts) => block_on(connect::run(opts)),
            Err(usage) => usage.exit(),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => match exit::quiet_status() {
            // The session broke off because stdout's reader went away, or a signal came.
            Some(status) => ExitCode::from(status),
            None => {
                eprintln!("shs-cat: {message}");
                ExitCode::FAILURE
            }
        },
    }
}

/// The library's spans and events (its `tracing` feature) as text on stderr: each handshake's
/// peer, duration and outcome, rejections, deadlines, the listener's evictions. Never a secret.
fn log_to_stderr() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing_subscriber::filter::LevelFilter::DEBUG)
        .init();
}

fn block_on(session: impl Future<Output = Result<(), String>>) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the async runtime: {e}"))?;
    let result = runtime.block_on(session);
    // The stdin thread may still be blocked in a read that cannot be cancelled; the process
    // exits without waiting for it.
    runtime.shutdown_background();
    result
}
