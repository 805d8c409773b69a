//! One module per command group. A command returns `Ok` when it did its job and a
//! [`CliError`] for people when it could not.

use clap::CommandFactory as _;

use crate::cli::{Cli, Command};
use crate::error::CliError;

mod testkit;

/// Runs `cli`'s command.
pub fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Testkit(command) => testkit::run(command),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "eproxy", &mut std::io::stdout());
            Ok(())
        }
    }
}
