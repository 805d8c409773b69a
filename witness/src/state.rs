//! What the witness remembers of each log: the size and root of the last checkpoint it
//! cosigned, one small file per origin, replaced whole and synced before any cosignature on it
//! leaves the witness. Checking a request against that record and storing the new one happen
//! under one lock, so two requests racing can never roll a log back (the specification's race).

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use base64ct::{Base64, Encoding};
use eproxy_verifier::merkle::Hash;
use sha2::{Digest, Sha256};

/// A log's size and root as the witness last cosigned them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// The size.
    pub size: u64,
    /// The root.
    pub root: Hash,
}

/// The state directory.
#[derive(Debug)]
pub struct States {
    directory: PathBuf,
    lock: Mutex<()>,
}

impl States {
    /// The state kept in `directory`, created if missing.
    pub fn open(directory: &Path) -> std::io::Result<Self> {
        fs::create_dir_all(directory)?;
        Ok(Self {
            directory: directory.to_owned(),
            lock: Mutex::new(()),
        })
    }

    /// Reads `origin`'s record, lets `decide` judge it (`None`: nothing recorded yet), and
    /// stores what `decide` returns before returning it; nothing is stored when `decide`
    /// refuses. No other call sees the record in between.
    pub fn check_and_store<T, E>(
        &self,
        origin: &str,
        decide: impl FnOnce(Option<Recorded>) -> Result<(Recorded, T), E>,
        failed: impl Fn(String) -> E,
    ) -> Result<T, E> {
        let _held = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let path = self.path(origin);
        let recorded = read(&path).map_err(|e| failed(format!("{}: {e}", path.display())))?;
        let (next, answer) = decide(recorded)?;
        if recorded != Some(next) {
            self.write(&path, origin, next)
                .map_err(|e| failed(format!("{}: {e}", path.display())))?;
        }
        Ok(answer)
    }

    /// The record of `origin`, if any.
    pub fn get(&self, origin: &str) -> std::io::Result<Option<Recorded>> {
        let _held = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        read(&self.path(origin))
    }

    /// Origins may hold any character: files are named by their hash.
    fn path(&self, origin: &str) -> PathBuf {
        let name = hex::encode(Sha256::digest(origin.as_bytes()));
        self.directory.join(format!("{name}.log"))
    }

    /// Writes under a temporary name, syncs, renames over the old record and syncs the
    /// directory: a crash leaves the old record or the new, never a torn one.
    fn write(&self, path: &Path, origin: &str, record: Recorded) -> std::io::Result<()> {
        let temporary = path.with_extension("tmp");
        let text = format!(
            "{origin}\n{}\n{}\n",
            record.size,
            Base64::encode_string(&record.root)
        );
        let mut file = fs::File::create(&temporary)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        fs::rename(&temporary, path)?;
        fs::File::open(&self.directory)?.sync_all()
    }
}

fn read(path: &Path) -> std::io::Result<Option<Recorded>> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    let damaged = || std::io::Error::other("the record is damaged");
    let mut lines = text.lines().skip(1);
    let size = lines
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(damaged)?;
    let root = lines
        .next()
        .and_then(|r| Base64::decode_vec(r).ok())
        .and_then(|r| Hash::try_from(r).ok())
        .ok_or_else(damaged)?;
    Ok(Some(Recorded { size, root }))
}
