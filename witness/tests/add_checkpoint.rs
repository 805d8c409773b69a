//! The witness against the specification's rules: each answer of `add-checkpoint`, its state
//! kept across restarts, and the race the specification warns of.

use std::path::Path;
use std::sync::Arc;

use base64ct::{Base64, Encoding};
use ed25519_dalek::{Signer as _, SigningKey};
use eproxy_verifier::add_checkpoint::{AddCheckpoint, SIZE_CONTENT_TYPE};
use eproxy_verifier::cosignature::verify_cosignature;
use eproxy_verifier::crypto::AWS_LC;
use eproxy_verifier::merkle::{Hash, consistency_proof, leaf_hash, root};
use eproxy_verifier::note::{Checkpoint, VerifierKey};
use eproxy_witness::config::{Config, Start, WitnessedLog};
use eproxy_witness::witness::Witness;

const ORIGIN: &str = "registry.example/log";
const NOW: u64 = 1_800_000_000;

/// A log: its key and its leaves.
struct Log {
    signing: SigningKey,
    key: VerifierKey,
    leaves: Vec<Hash>,
}

impl Log {
    fn new(seed: u8, leaves: impl Iterator<Item = u64>) -> Self {
        let signing = SigningKey::from_bytes(&[seed; 32]);
        let key = VerifierKey::new(ORIGIN, signing.verifying_key().to_bytes()).unwrap();
        let leaves = leaves.map(|i| leaf_hash(&i.to_be_bytes())).collect();
        Self {
            signing,
            key,
            leaves,
        }
    }

    fn root(&self, size: u64) -> Hash {
        root(&self.leaves[..size as usize])
    }

    /// The signed checkpoint of the first `size` leaves.
    fn note(&self, size: u64) -> String {
        let body = Checkpoint {
            origin: ORIGIN.into(),
            size,
            root: self.root(size),
        }
        .body();
        let signature = self.signing.sign(body.as_bytes()).to_bytes();
        format!("{body}\n{}", self.key.signature_line(&signature))
    }

    /// The request adding the checkpoint of `size` leaves, with the proof from `old`.
    fn request(&self, old: u64, size: u64) -> Vec<u8> {
        let proof = match old {
            0 => Vec::new(),
            _ => consistency_proof(&self.leaves[..size as usize], old as usize).unwrap(),
        };
        let note = self.note(size);
        AddCheckpoint {
            old_size: old,
            proof,
            checkpoint: &note,
        }
        .encode()
        .into_bytes()
    }
}

fn witness(state: &Path, log: &Log, start: Start) -> Witness {
    let config = Config {
        name: "witness.example/w1".into(),
        signing: SigningKey::from_bytes(&[31; 32]),
        listen: String::new(),
        state: state.to_owned(),
        logs: vec![WitnessedLog {
            key: log.key.clone(),
            start,
        }],
    };
    Witness::new(config).unwrap()
}

fn text(body: &[u8]) -> &str {
    std::str::from_utf8(body).unwrap()
}

fn refused_files(state: &Path) -> usize {
    std::fs::read_dir(state.join("refused")).unwrap().count()
}

#[test]
fn a_consistent_checkpoint_is_cosigned_and_recorded() {
    let state = tempfile::tempdir().unwrap();
    let log = Log::new(1, 0..40);
    let witness = witness(state.path(), &log, Start::FirstCheckpoint);

    let answer = witness.add_checkpoint(&log.request(0, 5), NOW);
    assert_eq!(answer.status, 200, "{}", text(&answer.body));
    let cosigned = format!("{}{}", log.note(5), text(&answer.body));
    let timestamp = verify_cosignature(&AWS_LC, &cosigned, witness.key()).unwrap();
    assert_eq!(timestamp, NOW);
    assert_eq!(witness.recorded(ORIGIN).unwrap(), Some((5, log.root(5))));

    for (old, new) in [(5, 9), (9, 9), (9, 32), (32, 40)] {
        let answer = witness.add_checkpoint(&log.request(old, new), NOW + new);
        assert_eq!(answer.status, 200, "{old}→{new}: {}", text(&answer.body));
        let cosigned = format!("{}{}", log.note(new), text(&answer.body));
        assert_eq!(
            verify_cosignature(&AWS_LC, &cosigned, witness.key()).unwrap(),
            NOW + new
        );
        assert_eq!(
            witness.recorded(ORIGIN).unwrap(),
            Some((new, log.root(new)))
        );
    }
    assert_eq!(refused_files(state.path()), 0);
}

#[test]
fn a_stale_old_size_gets_the_witness_size_and_changes_nothing() {
    let state = tempfile::tempdir().unwrap();
    let log = Log::new(1, 0..40);
    let witness = witness(state.path(), &log, Start::FirstCheckpoint);
    assert_eq!(witness.add_checkpoint(&log.request(0, 9), NOW).status, 200);

    for old in [0, 5, 8] {
        let answer = witness.add_checkpoint(&log.request(old, 20), NOW);
        assert_eq!(answer.status, 409);
        assert_eq!(answer.content_type, SIZE_CONTENT_TYPE);
        assert_eq!(text(&answer.body), "9\n");
    }
    // Rolling back: a smaller checkpoint than the recorded one is never cosigned.
    let answer = witness.add_checkpoint(&log.request(0, 5), NOW);
    assert_eq!((answer.status, text(&answer.body)), (409, "9\n"));
    assert_eq!(witness.recorded(ORIGIN).unwrap(), Some((9, log.root(9))));
}

/// The split view: the log signs a second history that forks from the first after 6 leaves.
#[test]
fn a_forked_checkpoint_is_refused_and_kept_as_evidence() {
    let state = tempfile::tempdir().unwrap();
    let log = Log::new(1, 0..40);
    let fork = Log::new(1, (0..6).chain(100..134));
    let witness = witness(state.path(), &log, Start::FirstCheckpoint);
    assert_eq!(witness.add_checkpoint(&log.request(0, 9), NOW).status, 200);

    // Grown from 9 in the forked tree: its proof cannot reach the recorded root.
    let answer = witness.add_checkpoint(&fork.request(9, 20), NOW);
    assert_eq!(answer.status, 422, "{}", text(&answer.body));
    assert!(
        text(&answer.body).contains("prefix"),
        "{}",
        text(&answer.body)
    );
    // The same size with the forked root.
    let answer = witness.add_checkpoint(&fork.request(9, 9), NOW);
    assert_eq!(answer.status, 409);
    assert!(
        text(&answer.body).contains("another root"),
        "{}",
        text(&answer.body)
    );

    assert_eq!(witness.recorded(ORIGIN).unwrap(), Some((9, log.root(9))));
    assert_eq!(refused_files(state.path()), 2);
    // Anyone may send a signed checkpoint again with made-up proofs: each is refused, and the
    // checkpoint is kept once.
    for garbage in 0..5u8 {
        let note = fork.note(20);
        let body = AddCheckpoint {
            old_size: 9,
            proof: vec![[garbage; 32]; 3],
            checkpoint: &note,
        }
        .encode();
        assert_eq!(witness.add_checkpoint(body.as_bytes(), NOW).status, 422);
    }
    assert_eq!(refused_files(state.path()), 2);
    // The honest history goes on being cosigned.
    assert_eq!(witness.add_checkpoint(&log.request(9, 20), NOW).status, 200);
}

#[test]
fn requests_the_witness_cannot_trust_are_refused_by_status() {
    let state = tempfile::tempdir().unwrap();
    let log = Log::new(1, 0..40);
    let witness = witness(state.path(), &log, Start::FirstCheckpoint);

    // Signed by another key under the same origin: 403.
    let impostor = Log::new(2, 0..40);
    let answer = witness.add_checkpoint(&impostor.request(0, 9), NOW);
    assert_eq!(answer.status, 403, "{}", text(&answer.body));
    // A log the witness does not witness: 404.
    let other = log.note(9).replace(ORIGIN, "other.example/log");
    let body = format!("old 0\n\n{other}");
    assert_eq!(witness.add_checkpoint(body.as_bytes(), NOW).status, 404);
    // An old size above the checkpoint's: 400.
    let body = format!("old 10\n\n{}", log.note(9));
    assert_eq!(witness.add_checkpoint(body.as_bytes(), NOW).status, 400);
    // A tampered root under the log's signature: 403.
    let tampered = log
        .note(9)
        .replacen(&b64(&log.root(9)), &b64(&log.root(8)), 1);
    let body = format!("old 0\n\n{tampered}");
    assert_eq!(witness.add_checkpoint(body.as_bytes(), NOW).status, 403);
    // Malformed: 400.
    for body in [&b"old x\n\n"[..], b"\xff\xfe", b""] {
        assert_eq!(witness.add_checkpoint(body, NOW).status, 400);
    }
    assert_eq!(witness.recorded(ORIGIN).unwrap(), None);
}

fn b64(hash: &Hash) -> String {
    Base64::encode_string(hash)
}

/// Trust on first use is refused: a witness configured with a checkpoint learnt out of band
/// takes only what is consistent with it, whatever the log shows first.
#[test]
fn a_configured_start_is_where_the_view_begins() {
    let state = tempfile::tempdir().unwrap();
    let log = Log::new(1, 0..40);
    let fork = Log::new(1, (0..6).chain(100..134));
    let start = Start::At {
        size: 9,
        root: log.root(9),
    };
    let witness = witness(state.path(), &log, start);

    let answer = witness.add_checkpoint(&fork.request(0, 20), NOW);
    assert_eq!((answer.status, text(&answer.body)), (409, "9\n"));
    assert_eq!(
        witness.add_checkpoint(&fork.request(9, 20), NOW).status,
        422
    );
    assert_eq!(witness.recorded(ORIGIN).unwrap(), None);
    assert_eq!(witness.add_checkpoint(&log.request(9, 20), NOW).status, 200);
    assert_eq!(witness.recorded(ORIGIN).unwrap(), Some((20, log.root(20))));
}

#[test]
fn the_record_survives_a_restart() {
    let state = tempfile::tempdir().unwrap();
    let log = Log::new(1, 0..40);
    {
        let witness = witness(state.path(), &log, Start::FirstCheckpoint);
        assert_eq!(witness.add_checkpoint(&log.request(0, 17), NOW).status, 200);
    }
    let witness = witness(state.path(), &log, Start::FirstCheckpoint);
    assert_eq!(witness.recorded(ORIGIN).unwrap(), Some((17, log.root(17))));
    let answer = witness.add_checkpoint(&log.request(0, 30), NOW);
    assert_eq!((answer.status, text(&answer.body)), (409, "17\n"));
}

/// The specification's race: requests from the same old size for several new sizes, at once.
/// Exactly one is cosigned and recorded; every other learns the recorded size.
#[test]
fn racing_requests_never_roll_the_log_back() {
    let state = tempfile::tempdir().unwrap();
    let log = Arc::new(Log::new(1, 0..40));
    let witness = Arc::new(witness(state.path(), &log, Start::FirstCheckpoint));
    assert_eq!(witness.add_checkpoint(&log.request(0, 4), NOW).status, 200);

    let answers: Vec<(u64, u16, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (5..=36)
            .map(|size| {
                let (log, witness) = (Arc::clone(&log), Arc::clone(&witness));
                scope.spawn(move || {
                    let answer = witness.add_checkpoint(&log.request(4, size), NOW);
                    (size, answer.status, text(&answer.body).to_owned())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let cosigned: Vec<u64> = answers
        .iter()
        .filter(|(_, status, _)| *status == 200)
        .map(|(size, _, _)| *size)
        .collect();
    assert_eq!(cosigned.len(), 1, "{answers:?}");
    let winner = cosigned[0];
    for (size, status, body) in &answers {
        if *size != winner {
            assert_eq!(
                (*status, body.as_str()),
                (409, format!("{winner}\n").as_str())
            );
        }
    }
    assert_eq!(
        witness.recorded(ORIGIN).unwrap(),
        Some((winner, log.root(winner)))
    );
}

#[test]
fn a_log_without_a_start_is_a_configuration_error() {
    let directory = tempfile::tempdir().unwrap();
    let log = Log::new(1, 0..1);
    std::fs::write(
        directory.path().join("witness.key"),
        include_str!("data/witness.key"),
    )
    .unwrap();
    let write = |extra: &str| {
        let path = directory.path().join("witness.toml");
        std::fs::write(
            &path,
            format!(
                "name = \"witness.example/w1\"\nkey = \"witness.key\"\nlisten = \"127.0.0.1:0\"\n\
                 state = \"state\"\n[[log]]\nkey = \"{}\"\n{extra}",
                log.key
            ),
        )
        .unwrap();
        Config::load(&path)
    };
    let error = write("").unwrap_err().to_string();
    assert!(
        error.contains(&format!("log {ORIGIN}: no start")),
        "{error}"
    );
    let error = write("start = \"9 x\"\n").unwrap_err().to_string();
    assert!(error.contains("start is"), "{error}");
    let both = format!(
        "start = \"9 {}\"\ntrust_first_checkpoint = true\n",
        b64(&log.root(1))
    );
    assert!(write(&both).unwrap_err().to_string().contains("not both"));
    let config = write(&format!("start = \"1 {}\"\n", b64(&log.root(1)))).unwrap();
    assert_eq!(
        config.logs[0].start,
        Start::At {
            size: 1,
            root: log.root(1)
        }
    );
    assert_eq!(config.state, directory.path().join("state"));
}
