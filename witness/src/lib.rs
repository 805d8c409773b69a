//! A transparency-log witness (C2SP tlog-witness): it cosigns a log's checkpoint only when the
//! checkpoint is consistent with the last one it cosigned for that log, so that a log showing
//! two parties two different trees is caught by whoever requires its cosignature.
//!
//! - [`config`]: the witness's name, key, address, and the logs it witnesses, each with the
//!   checkpoint its view starts from (trust on first use only where configured);
//! - [`state`]: the last checkpoint cosigned per log, checked and replaced atomically;
//! - [`witness`]: the `add-checkpoint` call and its answers.
#![forbid(unsafe_code)]

pub mod config;
pub mod state;
pub mod witness;
