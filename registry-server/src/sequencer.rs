//! The one writer. Requests that change state queue here; the sequencer takes as many as are
//! waiting (group commit), applies each in arrival order against the store plus what the batch
//! has written so far, assigns log indexes, and commits the whole batch in one synced write.
//! Only then does it extend the tree and answer: nothing is acknowledged before it is durable,
//! and a failed commit answers every request of the batch UNAVAILABLE and changes nothing.

use std::collections::HashMap;
use std::sync::Arc;

use eproxy_policy::UnixTime;
use eproxy_proto::v1::LogEvent;
use eproxy_verifier::merkle::leaf_hash;
use prost::Message as _;
use tokio::sync::{mpsc, oneshot};

use crate::audit::AuditRecord;
use crate::command::{Command, Outcome};
use crate::log::Log;
use crate::metrics::Metrics;
use crate::records::{Reads, index_key};
use crate::refusal::Refusal;
use crate::store::{Entry, Family, Store, StoreError, Write};

/// The most requests one batch serves.
const MAX_BATCH: usize = 1_024;
/// Requests waiting beyond this are refused as UNAVAILABLE rather than queued without bound.
const QUEUE: usize = 16_384;

type Job = (Command, oneshot::Sender<Result<Outcome, Refusal>>);

/// What the writer thread receives.
enum Message {
    /// A command to apply.
    Job(Box<Job>),
    /// Finish what is queued before this, then stop (releasing the store).
    Stop,
}

/// The handle requests queue through.
#[derive(Debug)]
pub struct Sequencer {
    messages: mpsc::Sender<Message>,
    thread: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Sequencer {
    /// Starts the writer thread.
    pub fn start(
        store: Arc<dyn Store>,
        log: Arc<Log>,
        metrics: Arc<Metrics>,
    ) -> std::io::Result<Self> {
        let (messages, receiver) = mpsc::channel(QUEUE);
        let thread = std::thread::Builder::new()
            .name("eproxy-sequencer".into())
            .spawn(move || Writer::new(store, log, metrics).run(receiver))?;
        Ok(Self {
            messages,
            thread: std::sync::Mutex::new(Some(thread)),
        })
    }

    /// Queues `command` and waits until it is durable or refused.
    pub async fn apply(&self, command: Command) -> Result<Outcome, Refusal> {
        let (reply, answer) = oneshot::channel();
        self.messages
            .try_send(Message::Job(Box::new((command, reply))))
            .map_err(|_| Refusal::Unavailable("the registry is overloaded; retry".into()))?;
        answer
            .await
            .map_err(|_| Refusal::Unavailable("the registry is shutting down".into()))?
    }

    /// Lets the writer finish what is queued, then waits for it to stop. Commands queued later
    /// are answered UNAVAILABLE.
    pub async fn stop(&self) {
        let _ = self.messages.send(Message::Stop).await;
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(thread) = thread {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

/// The writer thread's state.
struct Writer {
    store: Arc<dyn Store>,
    log: Arc<Log>,
    metrics: Arc<Metrics>,
    /// The last batch time, nanoseconds: batch times never go backwards.
    last_nanos: u64,
    /// The store's generation the log has caught up with.
    generation: u64,
}

impl Writer {
    fn new(store: Arc<dyn Store>, log: Arc<Log>, metrics: Arc<Metrics>) -> Self {
        Self {
            store,
            log,
            metrics,
            last_nanos: 0,
            generation: 0,
        }
    }

    fn run(mut self, mut receiver: mpsc::Receiver<Message>) {
        while let Some(Message::Job(first)) = receiver.blocking_recv() {
            let mut jobs = vec![*first];
            let mut stop = false;
            while jobs.len() < MAX_BATCH {
                match receiver.try_recv() {
                    Ok(Message::Job(job)) => jobs.push(*job),
                    Ok(Message::Stop) => {
                        stop = true;
                        break;
                    }
                    Err(_) => break,
                }
            }
            self.process(jobs);
            if stop {
                break;
            }
        }
    }

    /// The batch's time: the clock, but never at or before the previous batch's.
    fn now_nanos(&mut self) -> u64 {
        self.last_nanos = crate::clock::now_nanos().max(self.last_nanos + 1);
        self.last_nanos
    }

    /// Lets a failed store try to recover, and catches the log up with what a reopened store
    /// holds, before a batch reads or writes anything. A store still refusing writes still
    /// serves the batch's reads (only its commit fails); a log that could not catch up serves
    /// nothing, since the batch's new leaves would take the places of stored ones.
    fn recover(&mut self) -> Result<(), StoreError> {
        if let Err(error) = self.store.recover() {
            tracing::debug!(%error, "storage still refuses writes");
        }
        let generation = self.store.generation();
        if generation != self.generation {
            let added = self.log.catch_up(self.store.as_ref())?;
            if added > 0 {
                tracing::warn!(
                    added,
                    "leaves whose commit had reported failure were found durable on reopening"
                );
            }
            self.generation = generation;
        }
        Ok(())
    }

    fn process(&mut self, jobs: Vec<Job>) {
        if let Err(error) = self.recover() {
            tracing::error!(%error, "the reopened log could not be read; the batch is refused");
            for (_, reply) in jobs {
                let _ = reply.send(Err(Refusal::from(error.clone())));
            }
            return;
        }
        let nanos = self.now_nanos();
        let mut batch = Batch::new(self.store.as_ref(), nanos, self.log.size());
        let mut answers = Vec::with_capacity(jobs.len());
        for (command, reply) in jobs {
            answers.push((reply, command.apply(&mut batch)));
        }
        let leaf_hashes: Vec<_> = batch.leaves.iter().map(|leaf| leaf_hash(leaf)).collect();
        let committed = if batch.writes.is_empty() {
            Ok(())
        } else {
            let committed = self.store.commit(&batch.writes);
            if committed.is_ok() {
                self.metrics.observe_commit(answers.len());
            }
            committed
        };
        match committed {
            Ok(()) => {
                self.log.extend(&leaf_hashes);
                for (reply, answer) in answers {
                    // A caller that gave up does not undo a durable write.
                    let _ = reply.send(answer);
                }
            }
            Err(error) => {
                tracing::error!(%error, "commit failed; the batch is refused");
                for (reply, answer) in answers {
                    let _ = reply.send(answer.and(Err(Refusal::from(error.clone()))));
                }
            }
        }
    }
}

impl Reads for Batch<'_> {
    /// The value of `key` as the batch sees it.
    fn read(&self, family: Family, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        match self.overlay.get(&(family, key.to_vec())) {
            Some(value) => Ok(value.clone()),
            None => self.store.get(family, key),
        }
    }
}

/// One batch: reads see the store plus the batch's own writes; writes and leaves accumulate
/// for one commit. Commands check everything before writing anything, so a refused command
/// leaves nothing in the batch.
pub struct Batch<'s> {
    store: &'s dyn Store,
    /// The batch's time: every registration and revocation in it takes effect at this moment.
    pub now: UnixTime,
    nanos: u64,
    next_index: u64,
    /// What the batch has written so far; `None` for a deleted key.
    overlay: HashMap<(Family, Vec<u8>), Option<Vec<u8>>>,
    writes: Vec<Write>,
    leaves: Vec<Vec<u8>>,
    audits: u32,
}

impl<'s> Batch<'s> {
    fn new(store: &'s dyn Store, nanos: u64, log_size: u64) -> Self {
        Self {
            store,
            now: UnixTime::from_seconds(i64::try_from(nanos / 1_000_000_000).unwrap_or(i64::MAX)),
            nanos,
            next_index: log_size,
            overlay: HashMap::new(),
            writes: Vec::new(),
            leaves: Vec::new(),
            audits: 0,
        }
    }

    /// Sets `key` to `value` in this batch.
    pub fn put(&mut self, family: Family, key: Vec<u8>, value: Vec<u8>) {
        self.overlay
            .insert((family, key.clone()), Some(value.clone()));
        self.writes.push(Write::put(family, key, value));
    }

    /// Deletes `key` in this batch.
    pub fn delete(&mut self, family: Family, key: Vec<u8>) {
        self.overlay.insert((family, key.clone()), None);
        self.writes.push(Write::delete(family, key));
    }

    /// Up to `limit` stored entries of `family`, from its first key. (The batch's own writes
    /// are not seen: only housekeeping over old entries scans.)
    pub fn scan_stored(&self, family: Family, limit: usize) -> Result<Vec<Entry>, StoreError> {
        self.store.scan(family, &[], None, limit)
    }

    /// Appends `event` to the log; its index.
    pub fn append(&mut self, event: &LogEvent) -> u64 {
        let index = self.next_index;
        let leaf = event.encode_to_vec();
        self.put(Family::LogLeaves, index_key(index).to_vec(), leaf.clone());
        self.leaves.push(leaf);
        self.next_index += 1;
        index
    }

    /// Records `record` in the audit trail, keyed by the batch's time and its place in the
    /// batch so that the trail reads in order.
    pub fn audit(&mut self, record: &AuditRecord) {
        let mut key = self.nanos.to_be_bytes().to_vec();
        key.extend_from_slice(&self.audits.to_be_bytes());
        self.audits += 1;
        self.put(Family::Audit, key, record.encode_to_vec());
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;
    use eproxy_proto::DelegationId;
    use eproxy_testkit::TestPki;
    use eproxy_testkit::scenario::{contracts_only, delegation};

    use super::*;
    use crate::command::Registration;
    use crate::operator::Operator;
    use crate::store::RocksStore;

    fn registration(i: u8) -> Command {
        let cms = vec![i; 40];
        Command::Register(Box::new(Registration {
            id: DelegationId::of_cms(&cms),
            cms,
            delegation: delegation(&TestPki::standard().employee, contracts_only(), None),
            signer_sha256: [0; 32],
            signing_act: DelegationId::of_cms(&[i]).as_bytes().to_owned(),
            authority_enrollment: None,
        }))
    }

    /// What a writer runs on: a store on disk (in the directory returned, kept while it is
    /// used), an operator, the log and metrics.
    type WriterParts = (
        tempfile::TempDir,
        Arc<dyn Store>,
        Arc<Operator>,
        Arc<Log>,
        Arc<Metrics>,
    );

    fn writer_parts() -> WriterParts {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(RocksStore::open(dir.path()).unwrap());
        let operator =
            Arc::new(Operator::new("test/log", SigningKey::from_bytes(&[1; 32])).unwrap());
        let log = Arc::new(Log::open(store.as_ref(), &operator).unwrap());
        let metrics = Arc::new(Metrics::new(
            Arc::clone(&log),
            Arc::clone(&store),
            crate::lanes::Lanes::new(1),
            crate::checks::Checks::new(1),
        ));
        (dir, store, operator, log, metrics)
    }

    /// Requests waiting together are served by one synced commit, in arrival order.
    #[test]
    fn waiting_requests_share_one_commit_in_order() {
        let (_dir, store, _operator, log, metrics) = writer_parts();
        let (messages, receiver) = mpsc::channel(QUEUE);
        let mut answers = Vec::new();
        for i in 0..10 {
            let (reply, answer) = oneshot::channel();
            messages
                .try_send(Message::Job(Box::new((registration(i), reply))))
                .unwrap();
            answers.push(answer);
        }
        // The same bytes again, in the same batch: registered once.
        let (reply, again) = oneshot::channel();
        messages
            .try_send(Message::Job(Box::new((registration(0), reply))))
            .unwrap();
        drop(messages);
        Writer::new(Arc::clone(&store), Arc::clone(&log), Arc::clone(&metrics)).run(receiver);

        assert_eq!(metrics.commits(), (1, 11));
        for (i, answer) in answers.into_iter().enumerate() {
            let Ok(Ok(Outcome::Registered { record, already })) = answer.blocking_recv() else {
                panic!("registration {i} failed");
            };
            assert!(!already);
            assert_eq!(record.log_index, i as u64, "arrival order is log order");
        }
        let Ok(Ok(Outcome::Registered { record, already })) = again.blocking_recv() else {
            panic!("the repeat failed");
        };
        assert!(already);
        assert_eq!(record.log_index, 0);
        assert_eq!(log.size(), 10);
    }

    /// Pruning forgets exactly the nonces of requests stated more than twice the skew window
    /// ago, and nothing else; a nonce written in the same batch stays.
    #[test]
    fn pruning_forgets_only_nonces_past_the_window() {
        use crate::records::nonce_key;
        use crate::signed_request::MAX_SKEW_SECONDS;

        let (_dir, store, _operator, log, metrics) = writer_parts();
        let now = crate::clock::now().seconds();
        let key =
            |offset: i64, tag: u8| nonce_key(UnixTime::from_seconds(now + offset), &[tag; 16]);
        // Old enough to go (a margin of 60 s over the cutoff so the test cannot race the
        // clock), and young enough to stay.
        let gone = [key(-86_400, 1), key(-2 * MAX_SKEW_SECONDS - 60, 2)];
        let kept = [
            key(-2 * MAX_SKEW_SECONDS + 60, 3),
            key(0, 4),
            key(MAX_SKEW_SECONDS, 5),
        ];
        let writes: Vec<_> = gone
            .iter()
            .chain(&kept)
            .map(|k| Write::put(Family::Nonces, k.clone(), vec![0]))
            .collect();
        store.commit(&writes).unwrap();

        let (messages, receiver) = mpsc::channel(QUEUE);
        let (reply, answer) = oneshot::channel();
        messages
            .try_send(Message::Job(Box::new((Command::PruneNonces, reply))))
            .unwrap();
        drop(messages);
        Writer::new(Arc::clone(&store), log, metrics).run(receiver);

        assert_eq!(answer.blocking_recv().unwrap(), Ok(Outcome::Pruned(2)));
        let remaining: Vec<_> = store
            .scan(Family::Nonces, &[], None, 100)
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(remaining, kept);
    }

    /// A card's act checked before its enrollment ended and applied after, in one batch, is
    /// refused: the one writer checks the enrollment again.
    #[test]
    fn an_act_on_an_enrollment_ended_in_the_same_batch_is_refused() {
        use crate::command::{ActingEnrollment, Basis, Enrolment, Revocation, Unenrolment};

        let (_dir, store, operator, log, metrics) = writer_parts();
        let run = |commands: Vec<Command>| {
            let (messages, receiver) = mpsc::channel(QUEUE);
            let answers: Vec<_> = commands
                .into_iter()
                .map(|command| {
                    let (reply, answer) = oneshot::channel();
                    messages
                        .try_send(Message::Job(Box::new((command, reply))))
                        .unwrap();
                    answer
                })
                .collect();
            drop(messages);
            Writer::new(Arc::clone(&store), Arc::clone(&log), Arc::clone(&metrics)).run(receiver);
            answers
                .into_iter()
                .map(|answer| answer.blocking_recv().unwrap())
                .collect::<Vec<_>>()
        };
        let company = TestPki::standard().company.corporate_number().unwrap();
        let card = [5; 32];
        let enrolled = run(vec![
            registration(0),
            Command::Enroll(Box::new(Enrolment {
                company,
                certificate_sha256: card,
                basis: Basis::Attested {
                    attested_by: "staff".into(),
                    check_reference: "check".into(),
                },
                operator: Arc::clone(&operator),
            })),
        ]);
        let Ok(Outcome::Enrolled { id, .. }) = enrolled[1] else {
            panic!("not enrolled: {enrolled:?}");
        };
        let revocation = |acting| {
            Command::Revoke(Revocation {
                id: DelegationId::of_cms(&[0; 40]),
                reason: "test".into(),
                reason_code: eproxy_proto::v1::RevocationReason::Other,
                nonce_key: vec![9; 24],
                actor: "card".into(),
                acting,
            })
        };
        let acting = ActingEnrollment {
            id,
            company,
            certificate_sha256: card,
        };
        let answers = run(vec![
            Command::Unenroll(Unenrolment {
                company,
                certificate_sha256: card,
                ended_by: "staff".into(),
                reason: "left office".into(),
                nonce_key: None,
                acting: None,
            }),
            revocation(Some(acting)),
        ]);
        assert!(
            matches!(answers[0], Ok(Outcome::Unenrolled { .. })),
            "{answers:?}"
        );
        assert!(
            matches!(&answers[1], Err(Refusal::Unauthorised(why)) if why.contains("ended")),
            "{answers:?}"
        );
        // Without the card's enrollment to rest on (a commercial-registration certificate),
        // the same revocation goes through.
        assert!(matches!(
            run(vec![revocation(None)])[0],
            Ok(Outcome::Revoked { already: false, .. })
        ));
    }
}
