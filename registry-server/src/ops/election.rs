//! The writer's role among registry nodes sharing one database. Each node, every
//! [`TICK`]:
//!
//! - as the writer, renews its lease (every third of it); once the lease cannot be renewed
//!   (another node took the role), or its writer was fenced, it steps down;
//! - as a follower, adds the leaves and takes the checkpoint the writer committed (so that it
//!   serves reads, proofs and statements up to them), learns where the writer is, and takes
//!   the role when the writer's lease has run out.
//!
//! Taking the role raises the epoch in the database, which fences every later commit of the
//! writer before. The new writer then reads every committed leaf, checks that its tree has the
//! head's root (and the stored checkpoint's: `Log::follow` refuses one it contradicts), and
//! only then starts its sequencer and signs. No decision rests on this node's clock alone: a
//! writer whose lease ran out without its knowing is stopped by the database at its next
//! commit.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::config::Shared;
use crate::api::service::RegistryService;
use crate::log::Log;
use crate::log::operator::Operator;
use crate::store::{PgStore, Store, StoreError};
use crate::write::{CommitObserver, Sequencer, WriterParts};

/// How often a node looks at the role and follows the log.
const TICK: Duration = Duration::from_millis(250);

/// What a node needs to take part.
pub struct Election {
    /// The shared database.
    pub database: Arc<PgStore>,
    /// This node's name, address and the lease.
    pub shared: Shared,
    /// The log this node serves.
    pub log: Arc<Log>,
    /// The signing key (every node holds the log's).
    pub operator: Arc<Operator>,
    /// Told of each commit while this node writes.
    pub observer: Arc<dyn CommitObserver>,
}

impl Election {
    /// Takes part until the task is dropped.
    pub async fn run(self, service: Arc<RegistryService>) {
        let election = Arc::new(self);
        let mut ticks = tokio::time::interval(TICK);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut renewed = Instant::now();
        // After a takeover that could not write, the node leaves the role to the others for a
        // while instead of taking (and so fencing) it again at each tick.
        let mut quiet_until = Instant::now();
        loop {
            ticks.tick().await;
            match service.writer.sequencer() {
                Some(sequencer) => {
                    if renewed.elapsed() < election.shared.lease / 3 && !sequencer.is_fenced() {
                        continue;
                    }
                    let epoch = sequencer.epoch();
                    let held = {
                        let election = Arc::clone(&election);
                        blocking(move || election.database.renew(epoch, election.shared.lease))
                            .await
                    };
                    match held {
                        Ok(true) if !sequencer.is_fenced() => {
                            renewed = Instant::now();
                            primary_answered(&service);
                        }
                        Ok(_) => {
                            election
                                .step_down(&service, "another node took the role")
                                .await
                        }
                        Err(error) if renewed.elapsed() >= election.shared.lease => {
                            election
                                .step_down(&service, &format!("the lease ran out: {error}"))
                                .await;
                        }
                        Err(error) => tracing::warn!(%error, epoch, "the lease was not renewed"),
                    }
                }
                None => {
                    let may_claim = Instant::now() >= quiet_until;
                    match Arc::clone(&election).follow(&service, may_claim).await {
                        Ok(Some(epoch)) => {
                            renewed = Instant::now();
                            primary_answered(&service);
                            tracing::info!(epoch, node = election.shared.node, "writer");
                        }
                        Ok(None) => primary_answered(&service),
                        Err(Failure::Following(error)) => {
                            tracing::error!(%error, "following the writer failed");
                        }
                        Err(Failure::TakingOver(error)) => {
                            tracing::error!(%error, "taking the writer's role failed");
                            quiet_until = Instant::now() + 2 * election.shared.lease;
                        }
                    }
                }
            }
        }
    }

    /// Stops this node's writer; the node follows from now on.
    async fn step_down(&self, service: &RegistryService, why: &str) {
        tracing::warn!(why, node = self.shared.node, "no longer the writer");
        if let Some(sequencer) = service.writer.become_follower(String::new()) {
            sequencer.stop().await;
        }
    }

    /// One follower's turn: follows the log and the writer's address, and takes the role if
    /// it is free. The new epoch, if it did.
    async fn follow(
        self: Arc<Self>,
        service: &RegistryService,
        may_claim: bool,
    ) -> Result<Option<u64>, Failure> {
        let this = Arc::clone(&self);
        // The claim's outcome, or where the writer is when the role is not this node's.
        let claimed = blocking(move || -> Result<Result<u64, String>, StoreError> {
            this.log.follow(this.database.as_ref())?;
            let head = this.database.head()?;
            if !may_claim || (!head.lease_expired && head.writer != this.shared.node) {
                return Ok(Err(head.writer_url));
            }
            let claimed = this.database.claim(
                &this.shared.node,
                &this.shared.advertise_url,
                this.shared.lease,
            )?;
            Ok(claimed.ok_or(head.writer_url))
        })
        .await
        .map_err(|e| Failure::Following(e.to_string()))?;
        let epoch = match claimed {
            Ok(epoch) => epoch,
            Err(writer_url) => {
                // Only the address changes: this node does not write.
                service.writer.become_follower(writer_url);
                return Ok(None);
            }
        };
        match Arc::clone(&self).take_over(epoch, service).await {
            Ok(()) => Ok(Some(epoch)),
            Err(error) => {
                // It holds the role but will not write: another node may take it at once.
                let this = Arc::clone(&self);
                if let Err(released) = blocking(move || this.database.release(epoch)).await {
                    tracing::warn!(%released, epoch, "the role was not released; its lease runs out");
                }
                Err(Failure::TakingOver(format!(
                    "took the role in epoch {epoch} but cannot write: {error}"
                )))
            }
        }
    }

    /// Becomes the writer of `epoch`: every committed leaf in the tree, the tree's root the
    /// head's, then the sequencer started and a checkpoint signed over the committed head.
    async fn take_over(
        self: Arc<Self>,
        epoch: u64,
        service: &RegistryService,
    ) -> Result<(), String> {
        let this = Arc::clone(&self);
        blocking(move || -> Result<(), StoreError> {
            this.log.follow(this.database.as_ref())?;
            let head = this.database.head()?;
            if head.epoch != epoch {
                return Err(StoreError(format!(
                    "epoch {} was taken before this node started writing",
                    head.epoch
                )));
            }
            let matches = |log: &Log| -> Result<bool, StoreError> {
                let root = log.root_at(this.database.as_ref(), head.size)?;
                Ok(log.size() == head.size && root == Some(head.root))
            };
            this.log.check_not_behind(head.size)?;
            if !matches(&this.log)? {
                // Leaves read before from a database that has lost them since (a primary
                // that was replaced): read the log again from what is committed.
                tracing::warn!(
                    tree = this.log.size(),
                    head = head.size,
                    "the tree is unlike the committed head: rebuilding it"
                );
                this.log.rebuild(this.database.as_ref())?;
                if !matches(&this.log)? {
                    return Err(StoreError(format!(
                        "the committed leaves ({}) do not hash to the head's root at size {}",
                        this.log.size(),
                        head.size
                    )));
                }
            }
            Ok(())
        })
        .await
        .map_err(|e| e.to_string())?;
        let store: Arc<dyn Store> = Arc::clone(&self.database) as Arc<dyn Store>;
        let sequencer = Sequencer::start(WriterParts {
            store,
            log: Arc::clone(&self.log),
            operator: Arc::clone(&self.operator),
            observer: Arc::clone(&self.observer),
            epoch,
        })
        .map_err(|e| format!("cannot start the sequencer: {e}"))?;
        service.writer.become_writer(sequencer);
        if let Err(error) = service.writer.publish().await {
            if let Some(sequencer) = service.writer.become_follower(String::new()) {
                sequencer.stop().await;
            }
            return Err(format!("the first checkpoint of epoch {epoch}: {error}"));
        }
        Ok(())
    }
}

/// Tells the status lookups that the primary answered this node just now: while it answers,
/// lookups a lagging standby may not answer go to it (`api/standby_lag.rs`).
fn primary_answered(service: &RegistryService) {
    service.answers.standby_lag.primary_answered(Instant::now());
}

/// Why a follower's turn failed.
enum Failure {
    /// Following the log or the writer failed; it is tried again at the next tick.
    Following(String),
    /// The node took the role but cannot write, and gave it up.
    TakingOver(String),
}

/// Runs a database call off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StoreError(format!("a database task failed: {e}")))?
}
