//! The operator's commands, as the binary calls them: make a data directory, serve, back up
//! and restore, enroll and unenroll cards, export the audit trail. Each returns a message for a
//! person on failure.

use std::path::Path;

use super::config::{Config, FILE_NAME, KEY_FILE, VERIFIER_KEY_FILE, template};
use super::{backup, server};
use crate::log::operator::Operator;
use crate::store::{PgStore, RocksStore, Store};
use crate::write::audit;

pub use super::enrollment::{Attestation, enroll, unenroll};

/// Creates a data directory: the operator's key, its verifier key and a commented
/// configuration.
pub fn init(data_dir: &Path, origin: &str) -> Result<(), String> {
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

/// Serves the gRPC API until SIGTERM or SIGINT; `listen` overrides the configuration.
pub fn serve(data_dir: &Path, listen: Option<String>) -> Result<(), String> {
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

/// Copies `data_dir` to `to` while the registry may serve.
pub fn backup(data_dir: &Path, to: &Path) -> Result<(), String> {
    let config = Config::load(data_dir).map_err(|e| e.to_string())?;
    if !config.database_url.is_empty() {
        return Err(
            "this registry keeps its records in the shared database (database_url): back that \
             up with PostgreSQL's own tools, a base backup (pg_basebackup) with the write-ahead \
             log, and continuous archiving for a restore to the latest commit; a node's \
             checkpoint mirror refuses a database restored to before what it published"
                .into(),
        );
    }
    report("backed up", backup::backup(data_dir, to))
}

/// Makes `data_dir` from the backup `from`, under a new log identity if `new_origin` is given.
pub fn restore(from: &Path, data_dir: &Path, new_origin: Option<&str>) -> Result<(), String> {
    report("restored", backup::restore(from, data_dir, new_origin))
}

fn report(what: &str, copied: Result<backup::Copied, String>) -> Result<(), String> {
    let copied = copied?;
    println!(
        "eproxy-registry: {what} {} entries; {} log leaves, matching the signed checkpoint of size {}",
        copied.entries, copied.leaves, copied.checkpoint
    );
    Ok(())
}

/// Writes every audit record to standard output, one JSON object per line: from the embedded
/// database, or from the database a registry on several machines shares.
pub fn export_audit(data_dir: &Path) -> Result<(), String> {
    let config = Config::load(data_dir).map_err(|e| e.to_string())?;
    let store: Box<dyn Store> = match config.shared().map_err(|e| e.to_string())? {
        Some(shared) => Box::new(PgStore::open(&shared.url).map_err(|e| e.to_string())?),
        None => {
            Box::new(RocksStore::open(&data_dir.join(server::DB_DIR)).map_err(|e| e.to_string())?)
        }
    };
    let mut out = std::io::stdout().lock();
    let count = audit::export(store.as_ref(), &mut out).map_err(|e| e.to_string())?;
    eprintln!("eproxy-registry: exported {count} audit records");
    Ok(())
}
