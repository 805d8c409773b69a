//! Signature checks on a pool of their own: one thread per core, fed from a queue.
//!
//! A submission's check (parse the CMS, verify its signatures and certificate paths) is pure
//! CPU and must not run on the async threads. Handed to tokio's blocking pool, which has no
//! useful bound, a burst of 256 submissions made 256 runnable threads beside the few async
//! threads that answer status lookups, and the lookups got a small share of the cores: their
//! p99 reached 2 s while no lookup waited for a place in its lane (BENCHMARKS.md, "An hour at
//! 5,000 a second"). Here at most one check per core runs; the rest wait in a queue.
//!
//! The threads take the next check themselves as soon as they finish one. A bound placed in
//! front of the blocking pool instead (a semaphore taken on the async side) left a freed core
//! idle until a busy async thread got round to waking the next check: it cost a third of the
//! submission throughput.
//!
//! The queue is bounded by its callers: every check comes from a call in the write lane, so
//! no more than `concurrency_limit` wait. A call abandoned at its deadline leaves its check in
//! the queue; the check is dropped unrun when its turn comes.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use tokio::sync::oneshot;

/// Why a check gave no outcome of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckFailed {
    /// The check panicked (a bug): refused, never accepted.
    #[error("internal error: a signature check failed")]
    Panicked,
    /// No pool thread could take the check.
    #[error("no signature check thread")]
    NoThread,
}

/// The pool (a handle: clones share it).
#[derive(Clone)]
pub struct Checks(Arc<Pool>);

/// A queued check: it runs the work and sends the outcome, or does nothing if no one waits.
/// It says whether it ran.
type Job = Box<dyn FnOnce() -> bool + Send>;

struct Pool {
    queue: Mutex<VecDeque<Job>>,
    queued: Condvar,
    running: AtomicUsize,
    /// Checks run to the end (or to a panic) since the pool started.
    finished: AtomicU64,
}

/// What the checks are doing now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChecksState {
    /// Checks running.
    pub running: usize,
    /// Checks queued.
    pub waiting: usize,
    /// Checks run since the pool started (not counting those dropped unrun).
    pub finished: u64,
}

impl Checks {
    /// One thread for each core this process may use.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(1, usize::from))
    }

    /// A pool of `threads` threads (at least one), which live as long as the process.
    pub fn new(threads: usize) -> Self {
        let pool = Arc::new(Pool {
            queue: Mutex::new(VecDeque::new()),
            queued: Condvar::new(),
            running: AtomicUsize::new(0),
            finished: AtomicU64::new(0),
        });
        for n in 0..threads.max(1) {
            let pool = Arc::clone(&pool);
            // A thread that cannot be started leaves the others; with none, checks wait until
            // their deadline and the call fails, never accepts.
            let _ = std::thread::Builder::new()
                .name(format!("eproxy-check-{n}"))
                .spawn(move || pool.work());
        }
        Self(pool)
    }

    /// Queues `check` and waits for its outcome. A check that panics is refused as
    /// unavailable, and its thread goes on with the next.
    pub async fn run<T, E>(
        &self,
        check: impl FnOnce() -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<CheckFailed> + Send + 'static,
    {
        let (reply, outcome) = oneshot::channel();
        let job: Job = Box::new(move || {
            if reply.is_closed() {
                return false;
            }
            let result = std::panic::catch_unwind(AssertUnwindSafe(check))
                .unwrap_or_else(|_| Err(CheckFailed::Panicked.into()));
            let _ = reply.send(result);
            true
        });
        self.0.lock().push_back(job);
        self.0.queued.notify_one();
        outcome
            .await
            .unwrap_or_else(|_| Err(CheckFailed::NoThread.into()))
    }

    /// What the checks are doing now.
    pub fn state(&self) -> ChecksState {
        ChecksState {
            running: self.0.running.load(Ordering::Relaxed),
            waiting: self.0.lock().len(),
            finished: self.0.finished.load(Ordering::Relaxed),
        }
    }
}

impl Pool {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Job>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One thread's life: take the next check, run it, again.
    fn work(&self) {
        loop {
            let job = {
                let mut queue = self.lock();
                loop {
                    if let Some(job) = queue.pop_front() {
                        break job;
                    }
                    queue = self
                        .queued
                        .wait(queue)
                        .unwrap_or_else(PoisonError::into_inner);
                }
            };
            self.running.fetch_add(1, Ordering::Relaxed);
            if job() {
                self.finished.fetch_add(1, Ordering::Relaxed);
            }
            self.running.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::time::{Duration, Instant};

    /// Waits up to 10 s for `ready`.
    async fn until(ready: impl Fn() -> bool) {
        let start = Instant::now();
        while !ready() && start.elapsed() < Duration::from_secs(10) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_checks_run_at_once_than_there_are_threads() {
        let checks = Checks::new(2);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let released = Arc::new(AtomicBool::new(false));
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let checks = checks.clone();
                let (running, most, released) = (
                    Arc::clone(&running),
                    Arc::clone(&most),
                    Arc::clone(&released),
                );
                tokio::spawn(async move {
                    checks
                        .run(move || {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            while !released.load(Ordering::SeqCst) {
                                std::thread::sleep(Duration::from_millis(1));
                            }
                            running.fetch_sub(1, Ordering::SeqCst);
                            Ok::<_, CheckFailed>(i)
                        })
                        .await
                })
            })
            .collect();
        // Two run, six wait.
        until(|| checks.state().waiting == 6 && checks.state().running == 2).await;
        assert_eq!(
            checks.state(),
            ChecksState {
                running: 2,
                waiting: 6,
                finished: 0
            }
        );
        released.store(true, Ordering::SeqCst);
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.unwrap().unwrap());
        }
        assert_eq!(answers, (0..8).collect::<Vec<_>>());
        assert_eq!(most.load(Ordering::SeqCst), 2);
        until(|| checks.state().running == 0).await;
        assert_eq!(
            checks.state(),
            ChecksState {
                running: 0,
                waiting: 0,
                finished: 8
            }
        );
    }

    #[tokio::test]
    async fn an_abandoned_check_is_not_run_and_a_panicking_one_is_refused() {
        let checks = Checks::new(1);
        let released = Arc::new(AtomicBool::new(false));
        // The one thread is held by a check until released.
        let holder = {
            let (checks, released) = (checks.clone(), Arc::clone(&released));
            tokio::spawn(async move {
                checks
                    .run(move || {
                        while !released.load(Ordering::SeqCst) {
                            std::thread::sleep(Duration::from_millis(1));
                        }
                        Ok::<_, CheckFailed>(())
                    })
                    .await
            })
        };
        until(|| checks.state().running == 1).await;
        // A call that gives up while its check waits: the check never runs.
        let ran = Arc::new(AtomicBool::new(false));
        let abandoned = {
            let ran = Arc::clone(&ran);
            checks.run(move || {
                ran.store(true, Ordering::SeqCst);
                Ok::<_, CheckFailed>(())
            })
        };
        assert!(
            tokio::time::timeout(Duration::from_millis(20), abandoned)
                .await
                .is_err()
        );
        assert_eq!(checks.state().waiting, 1);
        released.store(true, Ordering::SeqCst);
        holder.await.unwrap().unwrap();
        // A panic is a refusal, and the thread serves the next check.
        let outcome: Result<(), CheckFailed> = checks.run(|| panic!("a bug")).await;
        assert!(
            matches!(&outcome, Err(e @ CheckFailed::Panicked) if e.to_string().contains("signature check failed")),
            "{outcome:?}"
        );
        assert_eq!(checks.run(|| Ok::<_, CheckFailed>(7)).await.unwrap(), 7);
        assert!(!ran.load(Ordering::SeqCst), "the abandoned check ran");
        // The holder, the panic and the 7 ran; the abandoned one did not. (A thread counts a
        // check just after sending its outcome.)
        until(|| checks.state().running == 0).await;
        assert_eq!((checks.state().waiting, checks.state().finished), (0, 3));
    }
}
