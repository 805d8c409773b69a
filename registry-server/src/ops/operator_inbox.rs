//! Where the operator's acts meet the writer on a shared database: `eproxy-registry enroll` and
//! `unenroll` post a signed act (`write/command/operator_act.rs`) and wait for its answer;
//! whichever node holds the writer's role looks for pending acts every [`TICK`] (apart from
//! its election, so that a slow database call here never holds up the lease's renewal) and
//! applies them through its sequencer, which writes the answer in the same commit. So an
//! enrollment is made while the registry serves, by the one writer, fenced like any other
//! write, and lost by no failover: an act the old writer did not answer stays pending for the
//! new one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use prost::Message;

use crate::api::service::RegistryService;
use crate::log::operator::Operator;
use crate::store::records::{PENDING_ACTS, act_answer_key, pending_act_key};
use crate::store::{Family, Store, StoreError, Write};
use crate::write::Sequencer;
use crate::write::command::operator_act::{ActAnswer, PendingAct};
use crate::write::command::{Command, Outcome};

/// How often the writer looks for pending acts.
const TICK: Duration = Duration::from_millis(250);

/// The most pending acts the writer takes up at one tick.
const ACTS_PER_TICK: usize = 8;
/// How often the poster looks for the answer.
const ANSWER_POLL: Duration = Duration::from_millis(100);

/// Leaves the signed act `signed` pending under `nonce_key`, for the writer.
pub fn post(store: &dyn Store, nonce_key: &[u8], signed: Vec<u8>) -> Result<(), StoreError> {
    store.commit(&[Write::put(
        Family::OperatorActs,
        pending_act_key(nonce_key),
        signed,
    )])
}

/// The writer's answer to the act posted under `nonce_key`, waiting up to `within` for it.
/// Unanswered by then, the act is withdrawn, so that no writer applies it later. An answer read
/// is removed: it is the poster's alone, and the act's nonce, spent in the log's records, is what
/// refuses a replay.
pub fn await_answer(
    store: &dyn Store,
    nonce_key: &[u8],
    within: Duration,
) -> Result<ActAnswer, String> {
    let answer_key = act_answer_key(nonce_key);
    let answered = || -> Result<Option<ActAnswer>, String> {
        let Some(bytes) = store
            .get(Family::OperatorActs, &answer_key)
            .map_err(|e| e.to_string())?
        else {
            return Ok(None);
        };
        let answer = ActAnswer::decode(bytes.as_slice())
            .map_err(|e| format!("the writer's answer does not decode: {e}"))?;
        // The act is done whether or not its answer is removed: one left behind is only a
        // few bytes, and the warning says so.
        if let Err(error) = store.commit(&[Write::delete(Family::OperatorActs, answer_key.clone())])
        {
            tracing::warn!(%error, "an operator act's answer read, but not removed");
        }
        Ok(Some(answer))
    };
    let start = Instant::now();
    while start.elapsed() < within {
        if let Some(answer) = answered()? {
            return Ok(answer);
        }
        std::thread::sleep(ANSWER_POLL);
    }
    store
        .commit(&[Write::delete(
            Family::OperatorActs,
            pending_act_key(nonce_key),
        )])
        .map_err(|e| format!("no answer, and the act could not be withdrawn: {e}"))?;
    // A writer may have answered in the meantime.
    answered()?.ok_or_else(|| {
        format!(
            "no registry node answered within {} s (is one serving as the writer?): the act was \
             withdrawn and nothing was done",
            within.as_secs()
        )
    })
}

/// Takes up pending acts in `store` every [`TICK`] while this node writes (the operator key
/// is `operator`'s), until the task is dropped. Each look that the database answers also
/// tells the status lookups that the primary answers (`api/standby_lag.rs`).
pub async fn serve(store: Arc<dyn Store>, service: Arc<RegistryService>, operator: Arc<Operator>) {
    let mut ticks = tokio::time::interval(TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(sequencer) = service.writer.sequencer() else {
            continue;
        };
        match take_up(Arc::clone(&store), &sequencer, &operator).await {
            Ok(_) => service.answers.standby_lag.primary_answered(Instant::now()),
            Err(error) => tracing::warn!(%error, "the operator's pending acts were not taken up"),
        }
    }
}

/// Applies up to [`ACTS_PER_TICK`] pending acts through `sequencer`, the writer's; how many were
/// answered. An act left unanswered (the store failed, the writer stopped) is taken up again at
/// a later tick, by this writer or the next.
pub async fn take_up(
    store: Arc<dyn Store>,
    sequencer: &Sequencer,
    operator: &Arc<Operator>,
) -> Result<usize, String> {
    let pending = tokio::task::spawn_blocking(move || {
        store.scan(Family::OperatorActs, PENDING_ACTS, None, ACTS_PER_TICK)
    })
    .await
    .map_err(|e| format!("a database task failed: {e}"))?
    .map_err(|e| e.to_string())?;
    let mut answered = 0;
    for (key, signed) in pending {
        let act = PendingAct {
            key,
            signed,
            operator: Arc::clone(operator),
        };
        match sequencer.apply(Command::Act(Box::new(act))).await {
            Ok(Outcome::ActAnswered(answer)) if answer.refusal.is_empty() => {
                tracing::info!(log_index = answer.log_index, "an operator's act applied");
            }
            Ok(Outcome::ActAnswered(answer)) => {
                tracing::warn!(refusal = answer.refusal, "an operator's act refused");
            }
            Ok(other) => return Err(format!("an operator's act came to {other:?}")),
            Err(error) => return Err(error.to_string()),
        }
        answered += 1;
    }
    Ok(answered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::RocksStore;

    /// An act no writer answers in time is withdrawn, so that none applies it after the
    /// poster was told nothing was done; one answered is read back.
    #[test]
    fn an_unanswered_act_is_withdrawn_and_an_answered_one_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = RocksStore::open(dir.path()).unwrap();
        post(&store, b"act-1", vec![1, 2, 3]).unwrap();
        let refused = await_answer(&store, b"act-1", Duration::from_millis(300)).unwrap_err();
        assert!(refused.contains("withdrawn"), "{refused}");
        let pending = store
            .scan(Family::OperatorActs, PENDING_ACTS, None, 10)
            .unwrap();
        assert!(pending.is_empty(), "{pending:?}");

        let answer = ActAnswer {
            log_index: 7,
            enrollment_id: vec![9; 32],
            refusal: String::new(),
        };
        post(&store, b"act-2", vec![1]).unwrap();
        store
            .commit(&[Write::put(
                Family::OperatorActs,
                act_answer_key(b"act-2"),
                answer.encode_to_vec(),
            )])
            .unwrap();
        assert_eq!(
            await_answer(&store, b"act-2", Duration::from_secs(5)),
            Ok(answer)
        );
        assert_eq!(
            store
                .get(Family::OperatorActs, &act_answer_key(b"act-2"))
                .unwrap(),
            None,
            "an answer read is removed"
        );
    }
}
