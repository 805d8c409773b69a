//! Where this node's writes go. A registry on one machine is always its own writer. In a
//! registry on several machines, one node at a time holds the writer's role (won and kept by
//! `ops/election.rs`, fenced by the store); the others take no write and name the writer.

use std::sync::{Arc, PoisonError, RwLock};

use super::command::{Command, Outcome};
use super::error::WriteError;
use super::sequencer::Sequencer;

/// The node's role now.
#[derive(Debug)]
pub struct Role {
    state: RwLock<State>,
}

#[derive(Debug, Clone)]
enum State {
    /// This node writes, through this sequencer.
    Writer(Arc<Sequencer>),
    /// Another node writes, reachable at this address (empty while no node holds the role).
    Follower(String),
}

impl Role {
    /// A node that does not write; `writer_url` is where writes go, if known.
    pub fn follower(writer_url: String) -> Self {
        Self {
            state: RwLock::new(State::Follower(writer_url)),
        }
    }

    /// The sequencer, while this node writes.
    pub fn sequencer(&self) -> Option<Arc<Sequencer>> {
        match &*self.read() {
            State::Writer(sequencer) => Some(Arc::clone(sequencer)),
            State::Follower(_) => None,
        }
    }

    /// Makes this node the writer, through `sequencer`.
    pub fn become_writer(&self, sequencer: Sequencer) {
        *self.write() = State::Writer(Arc::new(sequencer));
    }

    /// Makes this node a follower of the writer at `writer_url`; the sequencer it wrote
    /// through, if it did, for the caller to stop.
    pub fn become_follower(&self, writer_url: String) -> Option<Arc<Sequencer>> {
        match std::mem::replace(&mut *self.write(), State::Follower(writer_url)) {
            State::Writer(sequencer) => Some(sequencer),
            State::Follower(_) => None,
        }
    }

    /// Refuses, naming the writer, on a follower: a write call asks before it spends a
    /// signature check on a request this node will not take.
    pub fn takes_writes(&self) -> Result<(), WriteError> {
        self.writing().map(|_| ())
    }

    /// Applies `command` through this node's writer; refused, naming the writer, on a
    /// follower.
    pub async fn apply(&self, command: Command) -> Result<Outcome, WriteError> {
        self.writing()?.apply(command).await
    }

    /// Has the writer sign a checkpoint of everything committed; nothing on a follower, whose
    /// checkpoints come from the writer.
    pub async fn publish(&self) -> Result<(), WriteError> {
        match self.sequencer() {
            Some(sequencer) => sequencer.publish().await,
            None => Ok(()),
        }
    }

    /// Stops this node's writer, if it has one, after what is queued.
    pub async fn stop(&self) {
        if let Some(sequencer) = self.sequencer() {
            sequencer.stop().await;
        }
    }

    fn writing(&self) -> Result<Arc<Sequencer>, WriteError> {
        match &*self.read() {
            State::Writer(sequencer) => Ok(Arc::clone(sequencer)),
            State::Follower(url) => Err(WriteError::Elsewhere(url.clone())),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }
}
