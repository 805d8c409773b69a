//! The checkpoint mirror: every checkpoint the registry publishes is also written to a
//! directory outside the data directory (another disk, another machine's mount), where
//! restoring an older backup of the data cannot roll it back. At start-up the registry finds
//! its latest published checkpoint there and refuses to serve a log that is shorter than it or
//! inconsistent with it: after a restore from an older backup it would otherwise reuse log
//! indexes that published checkpoints already cover, signing a second history with the same
//! key. The only way on from a lost tail is a new log identity (`restore --new-origin`).
//!
//! One file per log identity, named after the verifier key, so that a new identity's mirror
//! never meets the old one's.

use std::fs;
use std::path::{Path, PathBuf};

use eproxy_verifier::crypto::AWS_LC;
use eproxy_verifier::note::{Checkpoint, verify_checkpoint};
use sha2::{Digest, Sha256};

use crate::log::Log;
use crate::operator::Operator;
use crate::store::Store;

/// Where one log identity's latest checkpoint is mirrored.
#[derive(Clone, Debug)]
pub struct Mirror {
    file: PathBuf,
}

impl Mirror {
    /// The mirror file of `operator`'s log in `directory`.
    pub fn new(directory: &Path, operator: &Operator) -> Self {
        let key = operator.verifier_key().to_string();
        let name = format!("{}.checkpoint", hex::encode(Sha256::digest(key.as_bytes())));
        Self {
            file: directory.join(name),
        }
    }

    /// The file.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Refuses `log` (rebuilt from the store) if the mirror holds a checkpoint of this log that
    /// the store does not reach or contradicts; accepts it when there is none yet.
    pub fn check(&self, log: &Log, store: &dyn Store, operator: &Operator) -> Result<(), String> {
        let note = match fs::read_to_string(&self.file) {
            Ok(note) => note,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(error) => {
                return Err(format!(
                    "cannot read the checkpoint mirror {}: {error}",
                    self.file.display()
                ));
            }
        };
        let published: Checkpoint = verify_checkpoint(&AWS_LC, &note, operator.verifier_key())
            .map_err(|e| {
                format!(
                    "the checkpoint mirror {} does not verify under this registry's key: {e}",
                    self.file.display()
                )
            })?;
        let size = log.size();
        if published.size > size {
            return Err(format!(
                "this registry published a checkpoint of {} leaves (mirror {}), and its data holds \
                 only {size}: it was restored from an older backup, and serving it would sign a \
                 second history under the same key. Restore the newest backup, or start a new log \
                 identity (eproxy-registry restore --new-origin ...)",
                published.size,
                self.file.display()
            ));
        }
        let root = log
            .root_at(store, published.size)
            .map_err(|e| e.to_string())?;
        if root != Some(published.root) {
            return Err(format!(
                "the log's first {} leaves do not match the checkpoint this registry published \
                 (mirror {}): refusing to serve a history that differs from what was published",
                published.size,
                self.file.display()
            ));
        }
        Ok(())
    }

    /// Writes `note` (a checkpoint just signed) as the mirror, whole or not at all.
    pub fn write(&self, note: &str) -> std::io::Result<()> {
        use std::io::Write as _;
        if let Some(directory) = self.file.parent() {
            fs::create_dir_all(directory)?;
        }
        let partial = self.file.with_extension("partial");
        let mut file = fs::File::create(&partial)?;
        file.write_all(note.as_bytes())?;
        file.sync_all()?;
        fs::rename(&partial, &self.file)?;
        if let Some(directory) = self.file.parent() {
            fs::File::open(directory)?.sync_all()?;
        }
        Ok(())
    }
}
