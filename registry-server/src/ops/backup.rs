//! Backup and restore of a data directory. A backup is taken while the registry serves: the
//! database is read through a RocksDB follower (a secondary instance caught up with every
//! durable write) as of one moment, copied into a new database, and checked: its leaves must
//! match its signed checkpoint. The configuration, both keys and every file the configuration
//! names by a relative path are copied too; a backup holds the operator's private key and must
//! be kept as secret as the key itself.

use std::fs;
use std::path::Path;

use super::config::{Config, FILE_NAME, KEY_FILE, VERIFIER_KEY_FILE};
use super::server::DB_DIR;
use crate::log::check_stored;
use crate::log::operator::Operator;
use crate::store::records::LATEST_CHECKPOINT;
use crate::store::{Family, RocksStore, Store, Write};

/// What a backup or restore copied.
#[derive(Debug)]
pub struct Copied {
    /// Database entries.
    pub entries: u64,
    /// Log leaves.
    pub leaves: u64,
    /// The size of the latest signed checkpoint.
    pub checkpoint: u64,
}

/// Copies the data directory `from` into the new directory `to` (which must not exist).
fn copy(from: &Path, to: &Path, follow: bool) -> Result<Copied, String> {
    if to.exists() {
        return Err(format!(
            "{} exists: a backup or restore goes into a new directory",
            to.display()
        ));
    }
    fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let config = Config::load(from).map_err(|e| e.to_string())?;
    let named = config.relative_files();
    for file in [FILE_NAME, VERIFIER_KEY_FILE, KEY_FILE]
        .iter()
        .map(Path::new)
        .chain(named)
    {
        if let Some(parent) = to.join(file).parent() {
            fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        copy_file(&from.join(file), &to.join(file))?;
    }
    let source = if follow {
        let scratch = tempfile_dir(to)?;
        let source = RocksStore::open_follower(&from.join(DB_DIR), &scratch);
        source.map_err(|e| format!("cannot read {}: {e}", from.display()))?
    } else {
        RocksStore::open(&from.join(DB_DIR)).map_err(|e| e.to_string())?
    };
    let target = RocksStore::open(&to.join(DB_DIR)).map_err(|e| e.to_string())?;
    let entries = source.copy_to(&target).map_err(|e| e.to_string())?;
    drop(source);
    let (tree, checkpoint) = check_stored(&target)
        .map_err(|e| format!("the copy in {} is not consistent: {e}", to.display()))?;
    let _ = fs::remove_dir_all(to.join(".follower"));
    Ok(Copied {
        entries,
        leaves: tree.size(),
        checkpoint: checkpoint.map_or(0, |c| c.size),
    })
}

/// The follower's scratch directory inside the backup being written.
fn tempfile_dir(to: &Path) -> Result<std::path::PathBuf, String> {
    let scratch = to.join(".follower");
    fs::create_dir_all(&scratch)
        .map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
    Ok(scratch)
}

/// Copies one file, keeping it private (mode 0600) as the key must be.
fn copy_file(from: &Path, to: &Path) -> Result<(), String> {
    let bytes = fs::read(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(to)
        .map_err(|e| format!("cannot write {}: {e}", to.display()))?;
    std::io::Write::write_all(&mut file, &bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", to.display()))
}

/// Backs up the data directory `data_dir` into `to`, while the registry serves or not.
pub fn backup(data_dir: &Path, to: &Path) -> Result<Copied, String> {
    copy(data_dir, to, true)
}

/// Restores the backup `from` as the new data directory `data_dir`. Restore only when the
/// original is lost: two registries serving from one history would sign diverging logs. With
/// `new_origin`, the restored history becomes a new log under a new operator key (see
/// [`new_identity`]).
pub fn restore(from: &Path, data_dir: &Path, new_origin: Option<&str>) -> Result<Copied, String> {
    let copied = copy(from, data_dir, false)?;
    if let Some(origin) = new_origin {
        let verifier_key = new_identity(data_dir, origin)?;
        println!(
            "eproxy-registry: a new log identity, {origin}: publish its verifier key (counterparties \
             pin it)\n  {verifier_key}"
        );
    }
    Ok(copied)
}

/// The name the old verifier key keeps after [`new_identity`].
pub const PREVIOUS_VERIFIER_KEY_FILE: &str = "operator.previous.vkey";

/// Makes the restored data directory a new log: a new operator key and origin (the old
/// private key is removed from it; the backup still holds it), the old verifier key kept as
/// [`PREVIOUS_VERIFIER_KEY_FILE`], and the old identity's checkpoint dropped, so that the first
/// start signs the restored leaves under the new key. Enrollments, signed under the old
/// identity, are made again. Returns the new verifier key.
fn new_identity(data_dir: &Path, origin: &str) -> Result<String, String> {
    let io =
        |what: &str, e: std::io::Error| format!("cannot {what} in {}: {e}", data_dir.display());
    fs::rename(
        data_dir.join(VERIFIER_KEY_FILE),
        data_dir.join(PREVIOUS_VERIFIER_KEY_FILE),
    )
    .map_err(|e| io("keep the previous verifier key", e))?;
    fs::remove_file(data_dir.join(KEY_FILE)).map_err(|e| io("remove the previous key", e))?;
    let operator = Operator::create(origin, &data_dir.join(KEY_FILE)).map_err(|e| e.to_string())?;
    let verifier_key = operator.verifier_key().to_string();
    fs::write(
        data_dir.join(VERIFIER_KEY_FILE),
        format!("{verifier_key}\n"),
    )
    .map_err(|e| io("write the verifier key", e))?;
    let config_path = data_dir.join(FILE_NAME);
    let config = fs::read_to_string(&config_path).map_err(|e| io("read the configuration", e))?;
    let mut replaced = false;
    let config: String = config
        .lines()
        .map(|line| {
            if !replaced && line.trim_start().starts_with("origin") && line.contains('=') {
                replaced = true;
                format!("origin = {origin:?}")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    if !replaced {
        return Err(format!("{} names no origin", config_path.display()));
    }
    fs::write(&config_path, config + "\n").map_err(|e| io("write the configuration", e))?;
    let store = RocksStore::open(&data_dir.join(DB_DIR)).map_err(|e| e.to_string())?;
    store
        .commit(&[Write::delete(
            Family::Checkpoint,
            LATEST_CHECKPOINT.to_vec(),
        )])
        .map_err(|e| e.to_string())?;
    Ok(verifier_key)
}
