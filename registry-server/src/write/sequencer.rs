//! The one writer. Requests that change state queue here; the sequencer takes as many as are
//! waiting (group commit), applies each in arrival order against the store plus what the batch
//! has written so far, assigns log indexes, and commits the whole batch in one synced write.
//! Only then does it extend the tree and answer: nothing is acknowledged before it is durable,
//! and a failed commit answers every request of the batch UNAVAILABLE and changes nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use eproxy_verifier::merkle::leaf_hash;
use tokio::sync::{mpsc, oneshot};

use super::batch::Batch;
use super::command::{Command, Outcome};
use super::error::WriteError;
use crate::log::Log;
use crate::log::operator::Operator;
use crate::store::{Committed, Fence, HeadMove, Store, StoreError, reads_of};

/// The most requests one batch serves.
const MAX_BATCH: usize = 1_024;
/// Requests waiting beyond this are refused as UNAVAILABLE rather than queued without bound.
const QUEUE: usize = 16_384;

type Job = (Command, oneshot::Sender<Result<Outcome, WriteError>>);

/// What the writer thread receives.
enum Message {
    /// A command to apply.
    Job(Box<Job>),
    /// Sign and store a checkpoint of the log if it has grown, between batches.
    Publish(oneshot::Sender<Result<(), StoreError>>),
    /// Finish what is queued before this, then stop (releasing the store).
    Stop,
}

/// What the writer tells whoever counts its work (the metrics), passed in by whoever starts it.
pub trait CommitObserver: Send + Sync {
    /// A batch of `commands` commands was committed.
    fn committed(&self, commands: usize);
}

/// The parts the writer works on.
pub struct WriterParts {
    /// The store it alone writes.
    pub store: Arc<dyn Store>,
    /// The log whose leaves it appends.
    pub log: Arc<Log>,
    /// The key that signs checkpoints.
    pub operator: Arc<Operator>,
    /// Told of each commit.
    pub observer: Arc<dyn CommitObserver>,
    /// The epoch this node was elected writer in (0 for a store one process holds): every
    /// commit is fenced by it.
    pub epoch: u64,
}

/// The handle requests queue through.
#[derive(Debug)]
pub struct Sequencer {
    messages: mpsc::Sender<Message>,
    thread: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
    epoch: u64,
    /// Set by the writer once a commit was fenced.
    fenced: Arc<AtomicBool>,
}

impl Sequencer {
    /// Starts the writer thread.
    pub fn start(parts: WriterParts) -> std::io::Result<Self> {
        let (messages, receiver) = mpsc::channel(QUEUE);
        let epoch = parts.epoch;
        let writer = Writer::new(parts);
        let fenced = Arc::clone(&writer.fenced);
        let thread = std::thread::Builder::new()
            .name("eproxy-sequencer".into())
            .spawn(move || writer.run(receiver))?;
        Ok(Self {
            messages,
            thread: std::sync::Mutex::new(Some(thread)),
            epoch,
            fenced,
        })
    }

    /// The epoch it writes in.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Whether a commit was fenced: another node took the role, and this writer writes no
    /// more.
    pub fn is_fenced(&self) -> bool {
        self.fenced.load(Ordering::SeqCst)
    }

    /// Queues `command` and waits until it is durable or refused.
    pub async fn apply(&self, command: Command) -> Result<Outcome, WriteError> {
        let (reply, answer) = oneshot::channel();
        self.messages
            .try_send(Message::Job(Box::new((command, reply))))
            .map_err(|_| WriteError::Overloaded)?;
        answer.await.map_err(|_| WriteError::ShuttingDown)?
    }

    /// Has the writer sign and store a checkpoint of everything committed so far, if the log
    /// has grown since the latest: checkpoints are written by the one writer too, between
    /// its batches, so that each is over a committed head.
    pub async fn publish(&self) -> Result<(), WriteError> {
        let (reply, answer) = oneshot::channel();
        self.messages
            .send(Message::Publish(reply))
            .await
            .map_err(|_| WriteError::ShuttingDown)?;
        Ok(answer.await.map_err(|_| WriteError::ShuttingDown)??)
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
    operator: Arc<Operator>,
    observer: Arc<dyn CommitObserver>,
    epoch: u64,
    /// Set once a commit was fenced: this node is no longer the writer, and writes nothing.
    fenced: Arc<AtomicBool>,
    /// The last batch time, nanoseconds: batch times never go backwards.
    last_nanos: u64,
    /// The store's generation the log has caught up with.
    generation: u64,
}

impl Writer {
    fn new(parts: WriterParts) -> Self {
        // The log a writer starts from is durable: read at start-up from a store one process
        // holds, or checked against the committed head when this node took the role.
        parts.log.confirm(parts.log.size());
        Self {
            store: parts.store,
            log: parts.log,
            operator: parts.operator,
            observer: parts.observer,
            epoch: parts.epoch,
            fenced: Arc::default(),
            last_nanos: 0,
            generation: 0,
        }
    }

    fn run(mut self, mut receiver: mpsc::Receiver<Message>) {
        let mut next = receiver.blocking_recv();
        loop {
            let first = match next.take() {
                Some(Message::Job(first)) => first,
                Some(Message::Publish(reply)) => {
                    let published = if self.fenced.load(Ordering::SeqCst) {
                        Err(StoreError("this node is no longer the writer".into()))
                    } else {
                        self.log
                            .publish(self.store.as_ref(), &self.operator, self.epoch)
                    };
                    let _ = reply.send(published);
                    next = receiver.blocking_recv();
                    continue;
                }
                Some(Message::Stop) | None => break,
            };
            let mut jobs = vec![*first];
            while jobs.len() < MAX_BATCH {
                match receiver.try_recv() {
                    Ok(Message::Job(job)) => jobs.push(*job),
                    // Answered after the batch, in its turn.
                    Ok(other) => {
                        next = Some(other);
                        break;
                    }
                    Err(_) => break,
                }
            }
            self.process(jobs);
            if next.is_none() {
                next = receiver.blocking_recv();
            }
        }
    }

    /// The batch's time: the clock, but never at or before the previous batch's.
    fn now_nanos(&mut self) -> u64 {
        self.last_nanos = crate::clock::now_nanos().max(self.last_nanos + 1);
        self.last_nanos
    }

    /// Lets a failed store try to recover, and catches the log up with what a reopened store
    /// holds (read through `reads`, the batch's session), before a batch reads or writes
    /// anything. A store still refusing writes still serves the batch's reads (only its commit
    /// fails); a log that could not catch up serves nothing, since the batch's new leaves would
    /// take the places of stored ones.
    fn recover(&mut self, reads: &dyn Store) -> Result<(), StoreError> {
        if let Err(error) = self.store.recover() {
            tracing::debug!(%error, "storage still refuses writes");
        }
        let generation = self.store.generation();
        if generation != self.generation {
            let added = self.log.catch_up(reads)?;
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
        if self.fenced.load(Ordering::SeqCst) {
            for (_, reply) in jobs {
                let _ = reply.send(Err(WriteError::NotWriter));
            }
            return;
        }
        // On a store several nodes share, the batch reads and commits through one session, so
        // that its commit vouches for what it read (see `Store::pinned`): an answer given from
        // a read ("already registered") is given only once the commit is durable.
        let main = Arc::clone(&self.store);
        let session = main.pinned().and_then(|session| {
            self.recover(reads_of(main.as_ref(), &session))
                .map(|()| session)
        });
        let session = match session {
            Ok(session) => session,
            Err(error) => {
                tracing::error!(%error, "the log could not be read; the batch is refused");
                for (_, reply) in jobs {
                    let _ = reply.send(Err(WriteError::from(error.clone())));
                }
                return;
            }
        };
        let store = reads_of(main.as_ref(), &session);
        let nanos = self.now_nanos();
        let mut batch = Batch::new(store, nanos, self.log.size());
        let reads = jobs
            .iter()
            .flat_map(|(command, _)| command.reads())
            .collect();
        if let Err(error) = batch.prefetch(reads) {
            tracing::error!(%error, "the batch's records could not be read; the batch is refused");
            for (_, reply) in jobs {
                let _ = reply.send(Err(WriteError::from(error.clone())));
            }
            return;
        }
        let mut answers = Vec::with_capacity(jobs.len());
        for (command, reply) in jobs {
            answers.push((reply, command.apply(&mut batch)));
        }
        let leaf_hashes: Vec<_> = batch.leaves.iter().map(|leaf| leaf_hash(leaf)).collect();
        let committed = if batch.writes.is_empty() && session.is_none() {
            Ok(Committed::Done)
        } else {
            let from_size = self.log.size();
            let fence = Fence {
                epoch: self.epoch,
                head: Some(HeadMove {
                    from_size,
                    from_root: self.log.root_with(&[]),
                    to_size: from_size + leaf_hashes.len() as u64,
                    root: self.log.root_with(&leaf_hashes),
                }),
            };
            let committed = store.commit_fenced(&batch.writes, &fence);
            if committed == Ok(Committed::Done) && !batch.writes.is_empty() {
                self.observer.committed(answers.len());
            }
            committed
        };
        match committed {
            Ok(Committed::Fenced) => {
                tracing::error!(
                    epoch = self.epoch,
                    "another node holds a newer epoch, or the committed head is not this \
                     writer's: this node writes nothing more"
                );
                self.fenced.store(true, Ordering::SeqCst);
                for (reply, _) in answers {
                    let _ = reply.send(Err(WriteError::NotWriter));
                }
            }
            Ok(Committed::Done) => {
                self.log.extend(&leaf_hashes);
                self.log.confirm(self.log.size());
                for (reply, answer) in answers {
                    // A caller that gave up does not undo a durable write.
                    let _ = reply.send(answer);
                }
            }
            Err(error) => {
                tracing::error!(%error, "commit failed; the batch is refused");
                for (reply, answer) in answers {
                    let _ = reply.send(answer.and(Err(WriteError::from(error.clone()))));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;
    use eproxy_proto::DelegationId;
    use eproxy_testkit::TestPki;
    use eproxy_testkit::scenario::{contracts_only, delegation};

    use std::sync::atomic::AtomicUsize;

    use eproxy_policy::UnixTime;

    use super::*;
    use crate::store::testing::{Hooked, Hooks};
    use crate::store::{Family, PgStore, RocksStore, Write};
    use crate::write::command::Registration;
    use eproxy_testkit::registry::postgres::Postgres;

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

    /// Counts commits and the commands they carried.
    #[derive(Default)]
    struct Commits(AtomicUsize, AtomicUsize);

    impl CommitObserver for Commits {
        fn committed(&self, commands: usize) {
            self.0.fetch_add(1, Ordering::Relaxed);
            self.1.fetch_add(commands, Ordering::Relaxed);
        }
    }

    impl Commits {
        fn seen(&self) -> (usize, usize) {
            (
                self.0.load(Ordering::Relaxed),
                self.1.load(Ordering::Relaxed),
            )
        }
    }

    /// What a writer runs on: a store on disk (in the directory returned, kept while it is
    /// used), an operator, the log and a commit counter.
    struct Setup {
        _dir: tempfile::TempDir,
        store: Arc<dyn Store>,
        operator: Arc<Operator>,
        log: Arc<Log>,
        commits: Arc<Commits>,
    }

    impl Setup {
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            let store: Arc<dyn Store> = Arc::new(RocksStore::open(dir.path()).unwrap());
            let operator =
                Arc::new(Operator::new("test/log", SigningKey::from_bytes(&[1; 32])).unwrap());
            let log = Arc::new(Log::open(store.as_ref(), &operator).unwrap());
            Self {
                _dir: dir,
                store,
                operator,
                log,
                commits: Arc::default(),
            }
        }

        fn writer(&self) -> Writer {
            Writer::new(WriterParts {
                store: Arc::clone(&self.store),
                log: Arc::clone(&self.log),
                operator: Arc::clone(&self.operator),
                observer: Arc::clone(&self.commits) as Arc<dyn CommitObserver>,
                epoch: 0,
            })
        }
    }

    /// Requests waiting together are served by one synced commit, in arrival order.
    #[test]
    fn waiting_requests_share_one_commit_in_order() {
        let setup = Setup::new();
        let log = &setup.log;
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
        setup.writer().run(receiver);

        assert_eq!(setup.commits.seen(), (1, 11));
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
        use crate::store::records::nonce_key;
        use crate::write::command::MAX_SKEW_SECONDS;

        let setup = Setup::new();
        let store = &setup.store;
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
        setup.writer().run(receiver);

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
        use crate::write::authority::ActingEnrollment;
        use crate::write::command::{Basis, Enrolment, Revocation, Unenrolment};

        let setup = Setup::new();
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
            setup.writer().run(receiver);
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
                operator: Arc::clone(&setup.operator),
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
            matches!(&answers[1], Err(WriteError::EnrollmentEnded(_))),
            "{answers:?}"
        );
        // Without the card's enrollment to rest on (a commercial-registration certificate),
        // the same revocation goes through.
        assert!(matches!(
            run(vec![revocation(None)])[0],
            Ok(Outcome::Revoked { already: false, .. })
        ));
    }

    /// A database shared with another node that took the writer's role: every fenced
    /// commit is refused, and the fences asked for are kept.
    #[derive(Default)]
    struct Taken {
        fences: std::sync::Mutex<Vec<Fence>>,
    }

    impl Hooks for Taken {
        fn commit_fenced(
            &self,
            _: &RocksStore,
            _: &[Write],
            fence: &Fence,
        ) -> Result<Committed, StoreError> {
            self.fences.lock().unwrap().push(*fence);
            Ok(Committed::Fenced)
        }
    }

    /// A writer whose commit is fenced (another node holds a newer epoch) acknowledges
    /// nothing, writes nothing, does not extend its log, signs no checkpoint, and refuses
    /// every later command; the fence it asked for names its epoch and the head it read.
    #[test]
    fn a_fenced_writer_acknowledges_nothing_and_writes_nothing_more() {
        let dir = tempfile::tempdir().unwrap();
        let taken = Arc::new(Hooked::open(dir.path(), Taken::default()));
        let store: Arc<dyn Store> = Arc::clone(&taken) as Arc<dyn Store>;
        let operator =
            Arc::new(Operator::new("test/log", SigningKey::from_bytes(&[1; 32])).unwrap());
        let log = Arc::new(Log::open(store.as_ref(), &operator).unwrap());
        let commits = Arc::new(Commits::default());
        let writer = Writer::new(WriterParts {
            store: Arc::clone(&store),
            log: Arc::clone(&log),
            operator,
            observer: Arc::clone(&commits) as Arc<dyn CommitObserver>,
            epoch: 7,
        });
        let (messages, receiver) = mpsc::channel(QUEUE);
        let mut answers = Vec::new();
        for i in 0..3 {
            let (reply, answer) = oneshot::channel();
            messages
                .try_send(Message::Job(Box::new((registration(i), reply))))
                .unwrap();
            answers.push(answer);
        }
        let (published, publish_answer) = oneshot::channel();
        messages.try_send(Message::Publish(published)).unwrap();
        let (reply, later) = oneshot::channel();
        messages
            .try_send(Message::Job(Box::new((registration(9), reply))))
            .unwrap();
        drop(messages);
        writer.run(receiver);

        for answer in answers {
            assert_eq!(answer.blocking_recv().unwrap(), Err(WriteError::NotWriter));
        }
        assert!(publish_answer.blocking_recv().unwrap().is_err());
        assert_eq!(later.blocking_recv().unwrap(), Err(WriteError::NotWriter));
        assert_eq!(log.size(), 0);
        assert_eq!(commits.seen(), (0, 0));
        assert!(
            store
                .scan(Family::LogLeaves, &[], None, 10)
                .unwrap()
                .is_empty()
        );
        let fences = taken.hooks.fences.lock().unwrap();
        assert_eq!(fences.len(), 1, "{fences:?}");
        let head = fences[0].head.unwrap();
        assert_eq!((fences[0].epoch, head.from_size, head.to_size), (7, 0, 3));
    }

    /// On a shared database whose primary shows a commit that no standby holds (its wait for
    /// the standby was let go, as a primary cut off and resumed lets it go), the writer neither
    /// answers "already registered" from that commit nor signs a checkpoint over it, though it
    /// reads both; once a standby holds them, it does both.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_commit_no_standby_holds_earns_no_answer_and_no_checkpoint() {
        let server = Postgres::start();
        let database = Arc::new(PgStore::open(&server.url()).unwrap());
        let lease = std::time::Duration::from_secs(600);
        let epoch = database.claim("a", "http://a", lease).unwrap().unwrap();
        let store: Arc<dyn Store> = Arc::clone(&database) as Arc<dyn Store>;
        let operator =
            Arc::new(Operator::new("test/log", SigningKey::from_bytes(&[1; 32])).unwrap());
        let log = Arc::new(Log::open(store.as_ref(), &operator).unwrap());
        let sequencer = Sequencer::start(WriterParts {
            store: Arc::clone(&store),
            log: Arc::clone(&log),
            operator: Arc::clone(&operator),
            observer: Arc::new(Commits::default()),
            epoch,
        })
        .unwrap();
        let registered = |outcome: Result<Outcome, WriteError>| match outcome {
            Ok(Outcome::Registered { record, already }) => Some((record.log_index, already)),
            _ => None,
        };
        assert_eq!(
            registered(sequencer.apply(registration(1)).await),
            Some((0, false))
        );
        sequencer.publish().await.unwrap();
        assert_eq!(log.latest().size, 1);

        // The standby goes: the next batch's commit waits for it, and the writer gives up.
        server.require_standby(true);
        let waited = sequencer.apply(registration(2)).await;
        assert!(registered(waited.clone()).is_none(), "{waited:?}");
        // The primary lets the commit go: it shows it, though no standby holds it.
        assert_eq!(server.release_waiting_commits(), 1);
        assert_eq!(server.sql("SELECT size FROM eproxy_head"), "2");

        // Asked again, the writer reads the registration and its leaf, but does not answer
        // from them, and signs nothing over them.
        let again = sequencer.apply(registration(2)).await;
        assert!(registered(again.clone()).is_none(), "{again:?}");
        sequencer.publish().await.unwrap();
        assert_eq!(log.latest().size, 1);
        server.release_waiting_commits();
        let stored = Log::open(store.as_ref(), &operator).unwrap().latest();
        assert_eq!(
            stored.size, 1,
            "a checkpoint was stored over a commit no standby holds"
        );

        // A standby holds everything again: the answer and the checkpoint follow.
        server.require_standby(false);
        assert_eq!(
            registered(sequencer.apply(registration(2)).await),
            Some((1, true))
        );
        sequencer.publish().await.unwrap();
        assert_eq!(log.latest().size, 2);
        sequencer.stop().await;
    }
}
