//! The operator's side, which wires the layers together: the server (`server.rs`: the
//! listener, the layers built and started, the periodic work) and its connections and lanes,
//! the configuration, the metrics (observing the API and the writer through their observer
//! interfaces), the CRLs kept current, the log written as tiles (`tile_files.rs`) and sent to
//! witnesses (`witnessing.rs`), signals, backups, and the operator's own commands
//! (`admin.rs`, `enrollment.rs`).

pub mod admin;
mod backup;
mod config;
mod connections;
mod crl_reload;
mod election;
mod enrollment;
mod lanes;
mod metrics;
mod operator_inbox;
mod server;
mod signals;
mod tile_files;
mod witnessing;
