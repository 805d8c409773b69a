//! `eproxy-registry`: the command line of the operator's registry, and nothing else; what each
//! command does is the library's ([`eproxy_registry::admin`]).
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use eproxy_registry::admin;

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
    fn attestation<'a>(&'a self, reference: &'a str) -> admin::Attestation<'a> {
        admin::Attestation {
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
        Commands::Init { data_dir, origin } => admin::init(&data_dir, &origin),
        Commands::Serve { data_dir, listen } => admin::serve(&data_dir, listen),
        Commands::Backup { data_dir, to } => admin::backup(&data_dir, &to),
        Commands::Restore {
            from,
            data_dir,
            new_origin,
        } => admin::restore(&from, &data_dir, new_origin.as_deref()),
        Commands::Enroll { card, reference } => {
            admin::enroll(&card.data_dir, &card.attestation(&reference))
                .map(|line| println!("eproxy-registry: {line}"))
        }
        Commands::Unenroll { card, reason } => {
            admin::unenroll(&card.data_dir, &card.attestation(&reason))
                .map(|line| println!("eproxy-registry: {line}"))
        }
        Commands::Audit {
            command: AuditCommand::Export { data_dir },
        } => admin::export_audit(&data_dir),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("eproxy-registry: {message}");
            ExitCode::FAILURE
        }
    }
}
