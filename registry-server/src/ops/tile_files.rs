//! The published log written as C2SP tlog-tiles files (`tiles_directory`), for nginx or a CDN
//! to serve as they are, so that the registry's own listener need not face the internet.
//!
//! After each new checkpoint, the tiles and entry bundles it brings (`tiles_between`) are
//! written, then the checkpoint itself: a server of the directory never offers a checkpoint
//! whose tiles are not there yet. Each file is written whole under a temporary name and then
//! renamed, so that nothing half-written is ever served. A full tile never changes, so one
//! already there (from before a restart) is left as it is.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use eproxy_verifier::tile::tiles_between;

use crate::api::answers::Answers;

/// The directory and how far it is written.
pub struct TileFiles {
    dir: PathBuf,
    /// The size of the last checkpoint whose tiles are all written, if any is.
    written: Option<u64>,
    /// The checkpoint note last written.
    checkpoint: Option<String>,
}

impl TileFiles {
    /// Files in `dir`, nothing written yet by this process.
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            written: None,
            checkpoint: None,
        }
    }

    /// Writes the tiles the latest checkpoint brings beyond the last one written, then the
    /// published checkpoint (the cosigned one, once witnesses cosign) if it changed. On an
    /// error the checkpoint is not written, and the next call tries again.
    pub fn catch_up(&mut self, answers: &Answers) -> Result<(), String> {
        let latest = answers.log.latest();
        let written = self.written.unwrap_or(0);
        if self.written.is_none() || latest.size > written {
            for path in tiles_between(written, latest.size) {
                let file = self.dir.join(path.to_string());
                if path.is_full() && file.exists() {
                    continue;
                }
                let bytes = answers.tile(&path).map_err(|e| format!("{path}: {e}"))?;
                write_whole(&file, &bytes)?;
            }
            self.written = Some(latest.size);
        }
        // Written after its tiles: a checkpoint cosigned since `latest` was read waits for
        // the next call.
        let published = answers.log.published();
        if published.size <= latest.size && self.checkpoint.as_ref() != Some(&published.note) {
            write_whole(&self.dir.join("checkpoint"), published.note.as_bytes())?;
            self.checkpoint = Some(published.note);
        }
        Ok(())
    }
}

/// How often the directory is brought up to the latest checkpoint.
const INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Keeps `dir` written up to the latest checkpoint, every [`INTERVAL`], until the task is
/// dropped. The writing runs off the async threads: it reads the store.
pub async fn keep_written(dir: PathBuf, answers: Answers) {
    let mut files = TileFiles::new(dir);
    let mut ticks = tokio::time::interval(INTERVAL);
    loop {
        ticks.tick().await;
        let answers = answers.clone();
        let written = tokio::task::spawn_blocking(move || {
            let result = files.catch_up(&answers);
            (files, result)
        })
        .await;
        let Ok((back, result)) = written else {
            return;
        };
        files = back;
        if let Err(error) = result {
            tracing::warn!(%error, "the log's tile files are behind");
        }
    }
}

/// `bytes` at `file` (its directories made), written under a temporary name in the same
/// directory and renamed into place.
fn write_whole(file: &Path, bytes: &[u8]) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("cannot write {}: {e}", file.display());
    let parent = file
        .parent()
        .ok_or_else(|| format!("{} has no directory", file.display()))?;
    std::fs::create_dir_all(parent).map_err(fail)?;
    let mut temporary = tempfile::NamedTempFile::new_in(parent).map_err(fail)?;
    temporary.write_all(bytes).map_err(fail)?;
    temporary.persist(file).map_err(|e| fail(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use eproxy_verifier::tile::TileKind;

    use super::*;
    use crate::log::Log;
    use crate::log::operator::Operator;
    use crate::store::records::index_key;
    use crate::store::{Family, RocksStore, Store, Write};

    /// A directory written as the log grows holds, after each checkpoint, that checkpoint and
    /// exactly the tiles the log serves for it, byte for byte.
    #[test]
    fn the_directory_holds_what_the_log_serves_after_each_checkpoint() {
        let data = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        let store = RocksStore::open(data.path()).unwrap();
        let operator =
            Operator::new("test/log", ed25519_dalek::SigningKey::from_bytes(&[1; 32])).unwrap();
        let log = Log::open(&store, &operator).unwrap();
        let store: Arc<dyn Store> = Arc::new(store);
        let answers = Answers {
            store: Arc::clone(&store),
            nearest: Arc::clone(&store),
            standby_lag: Arc::default(),
            log: Arc::new(log),
            operator: Arc::new(operator),
        };
        let mut files = TileFiles::new(out.path().to_path_buf());
        let mut size = 0;
        for step in [3, 253, 1, 600] {
            // The store is the answers'; the log grows through it.
            let writes: Vec<Write> = (size..size + step)
                .map(|i| {
                    Write::put(
                        Family::LogLeaves,
                        index_key(i).to_vec(),
                        i.to_be_bytes().to_vec(),
                    )
                })
                .collect();
            store.commit(&writes).unwrap();
            size += step;
            answers.log.catch_up(store.as_ref()).unwrap();
            answers.log.confirm(size);
            answers
                .log
                .publish(store.as_ref(), &answers.operator, 0)
                .unwrap();
            files.catch_up(&answers).unwrap();
            let checkpoint = std::fs::read(out.path().join("checkpoint")).unwrap();
            assert_eq!(
                checkpoint,
                answers.log.latest().note.as_bytes(),
                "at {size}"
            );
            for path in tiles_between(0, size) {
                let written = std::fs::read(out.path().join(path.to_string()))
                    .unwrap_or_else(|e| panic!("{path} at {size}: {e}"));
                assert_eq!(written, answers.tile(&path).unwrap(), "{path} at {size}");
            }
        }
        let level_zero = out.path().join("tile/0");
        assert_eq!(size, 857);
        assert!(level_zero.join("002").exists(), "the third full tile");
        assert!(
            level_zero.join("003.p/89").exists(),
            "the last partial tile"
        );
        assert!(
            level_zero.join("000.p/3").exists(),
            "an earlier partial tile is kept"
        );
        assert_eq!(
            tiles_between(0, size)
                .iter()
                .filter(|p| p.kind == TileKind::Entries)
                .count(),
            4
        );
        // Nothing but tiles and the checkpoint: no temporary file left behind.
        let mut names: Vec<String> = std::fs::read_dir(out.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["checkpoint", "tile"]);
    }
}
