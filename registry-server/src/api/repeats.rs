//! Repeated releases of one PoA's evidence to one contract. Anyone holding a contract may ask
//! for its PoA's evidence, and each release is audited with a durable write: looped, that would
//! fill the disk until revocations were refused. So a release that repeats one audited within
//! [`WINDOW`] is answered without a write and counted here; the count goes into the audit trail
//! with the next release of the same kind written after the window, or when the registry stops.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::write::command::Release;

/// How long after an audited release its repeats are only counted.
pub const WINDOW: Duration = Duration::from_secs(600);

/// The most releases remembered at once; beyond it, releases are audited one by one again.
const MAX_REMEMBERED: usize = 100_000;

/// The releases audited within the window, and their repeats since.
#[derive(Debug, Default)]
pub struct Repeats {
    seen: Mutex<HashMap<[u8; 32], Seen>>,
}

#[derive(Debug)]
struct Seen {
    audited_at: Instant,
    repeats: u64,
    /// The release as audited, for the record of its repeats.
    release: Release,
}

impl Repeats {
    /// Whether the release `key` repeats one audited within the window: then it is counted and
    /// needs no write.
    pub fn absorb(&self, key: &[u8; 32]) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        match seen.get_mut(key) {
            Some(entry) if entry.audited_at.elapsed() < WINDOW => {
                entry.repeats += 1;
                true
            }
            _ => false,
        }
    }

    /// `release` (under `key`), about to be audited, with the repeats of the previous one
    /// under that key counted into its outcome; remembered from now on.
    pub fn audit(&self, key: [u8; 32], mut release: Release) -> Release {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.len() >= MAX_REMEMBERED {
            seen.retain(|_, entry| entry.audited_at.elapsed() < WINDOW || entry.repeats > 0);
        }
        let earlier = seen.remove(&key).map_or(0, |entry| entry.repeats);
        if earlier > 0 {
            release.outcome = format!(
                "released, and {earlier} more time(s) before this within {} s of the last record",
                WINDOW.as_secs()
            );
        }
        if seen.len() < MAX_REMEMBERED {
            seen.insert(
                key,
                Seen {
                    audited_at: Instant::now(),
                    repeats: 0,
                    release: release.clone(),
                },
            );
        }
        release
    }

    /// Forgets `key`'s release: its audit was not written.
    pub fn forget(&self, key: &[u8; 32]) {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
    }

    /// The records of repeats not yet audited, to write before the registry stops.
    pub fn drain(&self) -> Vec<Release> {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.drain()
            .filter(|(_, entry)| entry.repeats > 0)
            .map(|(_, entry)| Release {
                nonce_key: None,
                acting: None,
                outcome: format!(
                    "released {} more time(s) after the last record",
                    entry.repeats
                ),
                ..entry.release
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release() -> Release {
        Release {
            subject: "poa".into(),
            action: "release-evidence",
            nonce_key: None,
            actor: "counterparty".into(),
            acting: None,
            outcome: "released".into(),
        }
    }

    #[test]
    fn repeats_within_the_window_are_counted_and_audited_once() {
        let repeats = Repeats::default();
        let key = [1; 32];
        assert!(!repeats.absorb(&key), "nothing audited yet");
        let first = repeats.audit(key, release());
        assert_eq!(first.outcome, "released");
        for _ in 0..9_999 {
            assert!(repeats.absorb(&key));
        }
        assert!(!repeats.absorb(&[2; 32]), "another contract is audited");
        let pending = repeats.drain();
        assert_eq!(pending.len(), 1);
        assert_eq!(
            pending[0].outcome,
            "released 9999 more time(s) after the last record"
        );
        assert!(repeats.drain().is_empty());
        assert!(!repeats.absorb(&key), "forgotten once recorded");
    }
}
