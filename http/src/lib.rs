//! Plain HTTP/1 for the services beside gRPC, and for what is checked after it is fetched:
//! - [`listener`]: the registry's metrics and tiles, a witness's `add-checkpoint`;
//! - [`client`]: a log's tiles, a time-stamping authority's tokens, a witness's cosignatures.
//!
//! Every body is read up to a stated limit, every exchange within a deadline.
#![forbid(unsafe_code)]

pub mod client;
pub mod listener;

pub use listener::{HttpAnswer, HttpRequest};
