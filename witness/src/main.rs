//! `eproxy-witness`: serves a witness on its configured address, or prints its verifier key.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use eproxy_http::{HttpAnswer, HttpRequest};
use eproxy_verifier::add_checkpoint::MAX_REQUEST_BYTES;
use eproxy_witness::config::Config;
use eproxy_witness::witness::Witness;

/// A transparency-log witness (C2SP tlog-witness).
#[derive(Parser)]
#[command(name = "eproxy-witness", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serves `POST /add-checkpoint` on the configured address.
    Serve {
        /// The configuration file (TOML).
        #[arg(long)]
        config: PathBuf,
    },
    /// Prints the witness's verifier key, as witness policies name it.
    Key {
        /// The configuration file (TOML).
        #[arg(long)]
        config: PathBuf,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("eproxy-witness: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Key { config } => {
            let config = Config::load(&config).map_err(|e| e.to_string())?;
            println!("{}", config.verifier_key());
            Ok(())
        }
        Command::Serve { config } => {
            let config = Config::load(&config).map_err(|e| e.to_string())?;
            let listen = config.listen.clone();
            let witness = Witness::new(config).map_err(|e| format!("state: {e}"))?;
            let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
            runtime.block_on(serve(listen, witness))
        }
    }
}

async fn serve(listen: String, witness: Witness) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    println!(
        "witness {} on http://{address}/add-checkpoint",
        witness.key()
    );
    let answer = move |request: HttpRequest| match (request.method.as_str(), request.path.as_str())
    {
        ("POST", "/add-checkpoint") => witness.add_checkpoint(&request.body, now()),
        (_, "/add-checkpoint") => HttpAnswer::refused(405, "only POST".into()),
        (_, path) => HttpAnswer::refused(404, format!("{path}: no such resource")),
    };
    tokio::select! {
        () = eproxy_http::listener::serve(listener, MAX_REQUEST_BYTES, Arc::new(answer)) => Ok(()),
        _ = tokio::signal::ctrl_c() => Ok(()),
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
