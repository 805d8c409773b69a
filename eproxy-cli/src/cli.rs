//! The command line: every command, its arguments, and an example in its help.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// eproxy: electronic powers of attorney (電子委任状) for Japanese companies. A company's
/// representative grants an employee authority to sign for the company; counterparties check
/// that a contract is covered by it.
#[derive(Debug, Parser)]
#[command(name = "eproxy", version, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Test material for trying eproxy without real cards.
    #[command(subcommand)]
    Testkit(TestkitCommand),
    /// Print a completion script for a shell.
    #[command(
        after_help = "Example:\n  eproxy completions bash > ~/.local/share/bash-completion/completions/eproxy"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// `eproxy testkit …`
#[derive(Debug, Subcommand)]
pub enum TestkitCommand {
    /// Write a complete test PKI: JPKI-profiled employees, a commercial-registration-profiled
    /// representative, roots by role under DIR/trust/, CRLs and a time-stamping authority,
    /// keys as PKCS#12 (password printed) and PEM. Test material only: never trust it.
    #[command(after_help = "Example:\n  eproxy testkit init --out ./pki")]
    Init {
        /// The directory to create (it must not exist, or be empty).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Keys and serial numbers derive from this text: the same seed gives the same keys.
        #[arg(long, default_value = eproxy_testkit::STANDARD_SEED)]
        seed: String,
        /// Report as JSON.
        #[arg(long)]
        json: bool,
    },
}
