//! `eproxy`: the command companies and counterparties use. `main` only wires: it parses the
//! command line, runs the command, and turns the outcome into an exit status (0 done, 2 usage,
//! input or network error) and any error into a message for people.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser as _;

mod cli;
mod commands;
mod error;
mod output;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("eproxy: {error}");
            ExitCode::from(error::USAGE_OR_INPUT)
        }
    }
}
