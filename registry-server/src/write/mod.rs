//! The write layer: the one writer (the sequencer) and everything it applies. Commands queue
//! here from the admission checks above; the sequencer applies each against the store plus
//! its batch (`batch.rs`), commits the batch in one synced write, and only then extends the
//! log and answers. Checkpoints are signed here too, between batches, so every checkpoint is
//! over a committed head. Who may act (`authority.rs`) and what a PoA's status is
//! (`status.rs`) live here because the writer asks them again at the moment of writing.

pub mod audit;
pub mod authority;
mod batch;
pub mod command;
mod error;
mod role;
mod sequencer;
pub mod status;

pub use error::WriteError;
pub use role::Role;
pub use sequencer::{CommitObserver, Sequencer, WriterParts};
