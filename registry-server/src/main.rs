//! `eproxy-registry`: the accredited operator's registry of powers of attorney. This file only
//! wires the command line to the modules, which read as a story: `server` (the listener) and
//! `connections` (accepting them, within bounds),
//! `service` (each gRPC call), `submission` (the checks before a write), `sequencer` and
//! `command` (the one writer and its state changes), `log` and `tree` (the transparency log),
//! `status` (what a PoA's status is), `store` (storage behind a narrow trait), `operator` (the
//! signing key), `audit` (the trail of writes and releases), `authority` (who may act on a
//! company's PoAs), `card_link` (a representative linking their card, or ending a card's
//! enrollment) and `enrollment` (the operator's own enrollments of cards), `signals` (stop and
//! reload).
#![forbid(unsafe_code)]

mod audit;
mod authority;
mod backup;
mod card_link;
mod checks;
mod command;
mod config;
mod connections;
mod crls;
mod enrollment;
mod evidence;
mod lanes;
mod listing;
mod log;
mod metrics;
mod mirror;
mod operator;
mod peer_rates;
mod poa_keys;
mod records;
mod refusal;
mod repeats;
mod sequencer;
mod server;
mod service;
mod signals;
mod signed_request;
mod signing_acts;
mod status;
mod store;
mod submission;
mod tree;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Config, FILE_NAME, KEY_FILE, VERIFIER_KEY_FILE, template};
use crate::operator::Operator;
use crate::store::RocksStore;

/// The accredited operator's registry of electronic powers of attorney (電子委任状).
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

#[derive(Subcommand)]
enum Commands {
    /// Creates a data directory: the operator's Ed25519 key (mode 0600), its published
    /// verifier key, and a commented configuration file.
    ///
    /// Example: eproxy-registry init --data-dir ./eproxy-data --origin registry.example.jp/eproxy
    Init {
        /// The data directory.
        #[arg(long, env = "EPROXY_DATA_DIR", default_value = "eproxy-data")]
        data_dir: PathBuf,
        /// The log's origin: the first line of every checkpoint, and the key's name.
        #[arg(long, env = "EPROXY_ORIGIN")]
        origin: String,
    },
    /// Serves the gRPC API.
    ///
    /// Example: eproxy-registry serve --data-dir ./eproxy-data --listen 127.0.0.1:50051
    Serve {
        /// The data directory.
        #[arg(long, env = "EPROXY_DATA_DIR", default_value = "eproxy-data")]
        data_dir: PathBuf,
        /// Where to listen, overriding the configuration and EPROXY_LISTEN.
        #[arg(long)]
        listen: Option<String>,
    },
    /// Copies the data directory, consistently, while the registry serves. The copy holds the
    /// operator's private key: keep it as secret as the key.
    ///
    /// Example: eproxy-registry backup --data-dir ./eproxy-data --to /backups/eproxy-2026-11-25
    Backup {
        /// The data directory.
        #[arg(long, env = "EPROXY_DATA_DIR", default_value = "eproxy-data")]
        data_dir: PathBuf,
        /// The new directory to write the backup to.
        #[arg(long)]
        to: PathBuf,
    },
    /// Makes a new data directory from a backup, checking its log against its checkpoint.
    /// Only when the original is lost: never serve two copies of one history.
    ///
    /// Example: eproxy-registry restore --from /backups/eproxy-2026-11-25 --data-dir ./eproxy-data
    Restore {
        /// The backup.
        #[arg(long)]
        from: PathBuf,
        /// The new data directory.
        #[arg(long, env = "EPROXY_DATA_DIR", default_value = "eproxy-data")]
        data_dir: PathBuf,
        /// Start a new log identity with this origin and a new operator key: the way on when
        /// the backup is older than what the registry published (its tail is lost). The old
        /// verifier key is kept as operator.previous.vkey; evidence issued under it still
        /// verifies against it. Counterparties pin the new key.
        #[arg(long)]
        new_origin: Option<String>,
    },
    /// Enrolls a JPKI signing certificate (a My Number card) for a company, on operator
    /// staff's word after checking out of band that its holder represents the company (the
    /// register's 登記事項証明書 against the card, and the person's identity). Run with the
    /// registry stopped; signed, logged and audited.
    ///
    /// Example: eproxy-registry enroll --data-dir ./eproxy-data --company 6012345678901
    /// --certificate sato-card.pem --attested-by staff-0042 --reference '登記事項証明書 2026-12-01 No.1234'
    Enroll {
        /// Whose card, for which company, on whose word.
        #[command(flatten)]
        card: CardArgs,
        /// The check's reference (the certificate of registered matters' number and date).
        #[arg(long)]
        reference: String,
    },
    /// Ends an enrollment (the representative left office). PoAs granted while it was in
    /// force are not voided; it grants nothing more. Run with the registry stopped.
    ///
    /// Example: eproxy-registry unenroll --data-dir ./eproxy-data --company 6012345678901
    /// --certificate sato-card.pem --attested-by staff-0042 --reason '代表取締役退任'
    Unenroll {
        /// Whose card, for which company, on whose word.
        #[command(flatten)]
        card: CardArgs,
        /// Why it ends.
        #[arg(long)]
        reason: String,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

/// A card, the company it speaks for, and the staff member who says so.
#[derive(clap::Args)]
struct CardArgs {
    /// The data directory.
    #[arg(long, env = "EPROXY_DATA_DIR", default_value = "eproxy-data")]
    data_dir: PathBuf,
    /// The company's 13-digit corporate number.
    #[arg(long)]
    company: String,
    /// The JPKI signing certificate (PEM or DER).
    #[arg(long)]
    certificate: PathBuf,
    /// Who checked, as the operator identifies its staff.
    #[arg(long)]
    attested_by: String,
}

impl CardArgs {
    /// The attestation, with its reference (or reason).
    fn attestation<'a>(&'a self, reference: &'a str) -> enrollment::Attestation<'a> {
        enrollment::Attestation {
            company: &self.company,
            certificate: &self.certificate,
            attested_by: &self.attested_by,
            reference,
        }
    }
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Writes every audit record, one JSON object per line, to standard output (with the
    /// registry stopped).
    ///
    /// Example: eproxy-registry audit export --data-dir ./eproxy-data > audit.jsonl
    Export {
        /// The data directory.
        #[arg(long, env = "EPROXY_DATA_DIR", default_value = "eproxy-data")]
        data_dir: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("EPROXY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // Structured logs: EPROXY_LOG_FORMAT=json gives one JSON object per line.
    if std::env::var("EPROXY_LOG_FORMAT").is_ok_and(|format| format == "json") {
        logs.json().init();
    } else {
        logs.init();
    }
    let result = match cli.command {
        Commands::Init { data_dir, origin } => init(&data_dir, &origin),
        Commands::Serve { data_dir, listen } => serve(&data_dir, listen),
        Commands::Backup { data_dir, to } => report("backed up", backup::backup(&data_dir, &to)),
        Commands::Restore {
            from,
            data_dir,
            new_origin,
        } => report(
            "restored",
            backup::restore(&from, &data_dir, new_origin.as_deref()),
        ),
        Commands::Enroll { card, reference } => {
            enrollment::enroll(&card.data_dir, &card.attestation(&reference))
                .map(|line| println!("eproxy-registry: {line}"))
        }
        Commands::Unenroll { card, reason } => {
            enrollment::unenroll(&card.data_dir, &card.attestation(&reason))
                .map(|line| println!("eproxy-registry: {line}"))
        }
        Commands::Audit {
            command: AuditCommand::Export { data_dir },
        } => export_audit(&data_dir),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("eproxy-registry: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init(data_dir: &Path, origin: &str) -> Result<(), String> {
    std::fs::create_dir_all(data_dir)
        .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    let config_path = data_dir.join(FILE_NAME);
    if config_path.exists() {
        return Err(format!(
            "{} exists: this data directory is already initialised",
            config_path.display()
        ));
    }
    let operator = Operator::create(origin, &data_dir.join(KEY_FILE)).map_err(|e| e.to_string())?;
    let verifier_key = format!("{}\n", operator.verifier_key());
    write_durably(&data_dir.join(VERIFIER_KEY_FILE), verifier_key.as_bytes())
        .and_then(|()| write_durably(&config_path, template(origin).as_bytes()))
        // The directory's entries too: a crash must not lose the files just made.
        .and_then(|()| std::fs::File::open(data_dir)?.sync_all())
        .map_err(|e| format!("cannot write to {}: {e}", data_dir.display()))?;
    println!(
        "eproxy-registry: initialised {}\n  operator key: {} (keep it secret; mode 0600)\n  \
         verifier key (publish it; counterparties pin it): {}  configuration: {}",
        data_dir.display(),
        data_dir.join(KEY_FILE).display(),
        verifier_key,
        config_path.display()
    );
    Ok(())
}

/// Writes `bytes` to a new file at `path` and syncs it to disk.
fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn serve(data_dir: &Path, listen: Option<String>) -> Result<(), String> {
    let mut config = Config::load(data_dir).map_err(|e| e.to_string())?;
    if let Some(listen) = listen {
        config.listen = listen;
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?
        .block_on(server::serve(data_dir, config))
}

fn report(what: &str, copied: Result<backup::Copied, String>) -> Result<(), String> {
    let copied = copied?;
    println!(
        "eproxy-registry: {what} {} entries; {} log leaves, matching the signed checkpoint of size {}",
        copied.entries, copied.leaves, copied.checkpoint
    );
    Ok(())
}

fn export_audit(data_dir: &Path) -> Result<(), String> {
    let store = RocksStore::open(&data_dir.join(server::DB_DIR)).map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    let count = audit::export(&store, &mut out).map_err(|e| e.to_string())?;
    eprintln!("eproxy-registry: exported {count} audit records");
    Ok(())
}
