//! `eproxy-registry`: the accredited operator's registry of powers of attorney, as a library
//! whose binary only parses the command line. It is built in layers, each using only those
//! below it (ARCHITECTURE.md draws them):
//!
//! - `api/`: the gRPC services, and the one place reasons become statuses;
//! - `admit/`: everything checked before a request is written;
//! - `write/`: the one writer, the commands it applies, who may act, what a status is;
//! - `log/`: the transparency log, its checkpoints and the operator's signing key;
//! - `store/`: storage behind a narrow trait, the records, start-up upgrades;
//! - `clock.rs`: the registry's time.
//!
//! `ops/` wires them: the server, configuration, metrics, signals, backups and the operator's
//! commands ([`admin`]).
#![forbid(unsafe_code)]

mod admit;
mod api;
mod clock;
mod log;
mod ops;
mod store;
mod write;

pub use ops::admin;
