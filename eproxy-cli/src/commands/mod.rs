//! One module per command group. A command returns its [`Outcome`] when it did its job and a
//! [`CliError`] for people when it could not.

use std::time::{SystemTime, UNIX_EPOCH};

use clap::CommandFactory as _;
use eproxy_policy::UnixTime;

use crate::cli::{CardCommand, CertCommand, Cli, Command, ContractCommand, KeyArgs, LogCommand};
use crate::error::CliError;
use crate::key::{Secrets, SigningKey};
use crate::secret::SecretSource;

mod card;
mod cert;
mod contract;
mod delegation;
#[cfg(feature = "testkit")]
mod demo;
mod log;
mod log_proof;
mod registry;
#[cfg(feature = "testkit")]
mod testkit;
mod verify;

/// How a command that did its job ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Done (for `verify`: accepted). Exit status 0.
    Done,
    /// Verified and rejected. Exit status 1.
    Rejected,
}

/// Runs `cli`'s command.
pub fn run(cli: Cli) -> Result<Outcome, CliError> {
    match cli.command {
        #[cfg(feature = "testkit")]
        Command::Testkit(command) => testkit::run(command),
        Command::Delegation(command) => delegation::run(command),
        Command::Contract(ContractCommand::Sign {
            terms,
            document,
            key,
            tsa,
            out,
            json,
        }) => contract::sign(&terms, &document, &key, tsa.as_deref(), &out, json),
        Command::Card(CardCommand::Link { request, card }) => card::link(&request, &card.into()),
        Command::Card(CardCommand::Unlink {
            card,
            reason,
            request,
        }) => card::unlink(&card, &reason, &request),
        Command::Verify(args) => verify::run(&args),
        Command::Cert(CertCommand::Check(args)) => cert::check(&args),
        #[cfg(feature = "testkit")]
        Command::Demo { keep } => demo::run(keep),
        Command::Log(LogCommand::Monitor {
            registry,
            state,
            tiles,
            json,
        }) => log::monitor(&registry, &state, tiles.as_deref(), json),
        Command::Log(LogCommand::Prove {
            poa,
            evidence,
            tiles,
            index,
            operator_key,
            output,
        }) => {
            let key = key_from(operator_key.as_ref())?;
            let source = match (&evidence, &tiles, index) {
                (Some(bundle), None, None) => log_proof::ProofSource::Evidence(bundle),
                (None, Some(prefix), Some(index)) => {
                    log_proof::ProofSource::Tiles { prefix, index }
                }
                _ => {
                    return Err(CliError::new(
                        "give --evidence FILE, or --tiles URL --index N",
                    ));
                }
            };
            log_proof::prove(&poa, source, &key, &output)
        }
        Command::Log(LogCommand::CheckProof {
            proof,
            poa,
            operator_key,
            witness_policy,
            json,
        }) => {
            let key = key_from(operator_key.as_ref())?;
            log_proof::check(&proof, &poa, &key, witness_policy.as_deref(), json)
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "eproxy", &mut std::io::stdout());
            Ok(Outcome::Done)
        }
    }
}

/// The current time.
pub fn now() -> Result<UnixTime, CliError> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .map(UnixTime::from_seconds)
        .ok_or_else(|| CliError::new("the system clock is before 1970"))
}

/// Opens the key named by `args`.
pub fn open_key(args: &KeyArgs) -> Result<Box<dyn SigningKey>, CliError> {
    args.key.open(&Secrets {
        password: SecretSource::password(args.password_file.clone()),
        pin: SecretSource::pin(args.pin_file.clone()),
    })
}

/// The operator's verifier key from `path`, else from the configuration file.
fn key_from(
    path: Option<&std::path::PathBuf>,
) -> Result<eproxy_verifier::note::VerifierKey, CliError> {
    crate::client::operator_key(&crate::cli::RegistryArgs {
        registry: None,
        operator_key: path.cloned(),
    })
}
