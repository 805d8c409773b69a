//! The API layer: the gRPC services (`service.rs`), which turn each call into an admission
//! check, a command for the one writer, or a read, and sign the answer where the API says so.
//! Evidence bundles and listing pages are read here (`evidence.rs`, `listing.rs`); each
//! address's allowance of releases (`peer_rates.rs`) and the counting of repeated releases
//! (`repeats.rs`) are the API's own. Only this layer turns the layers' reasons into gRPC
//! statuses (`refusal.rs`). The log is also served as C2SP tlog-tiles over HTTP (`tiles.rs`).

pub mod answers;
mod evidence;
mod listing;
pub mod peer_rates;
pub mod refusal;
pub mod repeats;
pub mod service;
pub mod standby_lag;
pub mod tiles;

use std::time::Instant;

/// What the API tells whoever counts its calls (the metrics), passed in by whoever serves it.
pub trait CallObserver: Send + Sync {
    /// A call to `method` that began at `start` ended with `code`.
    fn called(&self, method: &'static str, code: tonic::Code, start: Instant);
}
