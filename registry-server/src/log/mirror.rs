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

use super::operator::Operator;

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

    /// The checkpoint last mirrored, verified under `operator`'s key; `None` when there is
    /// none yet.
    pub fn published(&self, operator: &Operator) -> Result<Option<Checkpoint>, String> {
        let note = match fs::read_to_string(&self.file) {
            Ok(note) => note,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => {
                return Err(format!(
                    "cannot read the checkpoint mirror {}: {error}",
                    self.file.display()
                ));
            }
        };
        verify_checkpoint(&AWS_LC, &note, operator.verifier_key())
            .map(Some)
            .map_err(|e| {
                format!(
                    "the checkpoint mirror {} does not verify under this registry's key: {e}",
                    self.file.display()
                )
            })
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
