//! `eproxy`: the command companies and counterparties use. `main` only wires: it parses the
//! command line, runs the command, and turns the outcome into an exit status (0 done or
//! accepted, 1 rejected, 2 usage, input or network error) and any error into a message for people.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser as _;

mod cli;
mod client;
mod commands;
mod draft;
mod error;
mod input;
mod key;
mod output;
mod render;
mod secret;
mod signing;
mod time_text;
mod tsa;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(commands::Outcome::Done) => ExitCode::SUCCESS,
        Ok(commands::Outcome::Rejected) => ExitCode::from(1),
        Err(error) => {
            eprintln!("eproxy: {error}");
            ExitCode::from(error::USAGE_OR_INPUT)
        }
    }
}
