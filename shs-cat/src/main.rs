//! `shs-cat`: netcat for Scuttlebutt's secret-handshake + box-stream. See `shs-cat --help`.

mod args;
mod connect;
mod identity;
mod listen;
mod pipe;

use std::future::Future;
use std::io::Write;
use std::process::ExitCode;

use args::Command;

fn main() -> ExitCode {
    let command = match args::parse(std::env::args_os().skip(1)) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("shs-cat: {message}\nTry 'shs-cat --help' for more information.");
            return ExitCode::from(2);
        }
    };
    let result = match command {
        Command::Help => std::io::stdout()
            .write_all(args::HELP.as_bytes())
            .map_err(|e| format!("writing stdout: {e}")),
        Command::Keygen { out } => identity::keygen(out.as_deref()),
        Command::Listen(opts) => block_on(listen::run(opts)),
        Command::Connect(opts) => block_on(connect::run(opts)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("shs-cat: {message}");
            ExitCode::FAILURE
        }
    }
}

fn block_on(session: impl Future<Output = Result<(), String>>) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the async runtime: {e}"))?;
    let result = runtime.block_on(session);
    // After a failure a read of stdin may still be blocked in a thread; it cannot be
    // cancelled, so do not wait for it.
    runtime.shutdown_background();
    result
}
