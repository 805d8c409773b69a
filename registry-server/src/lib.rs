//! `eproxy-registry`: the accredited operator's registry of powers of attorney, as a library
//! whose binary only parses the command line. The modules read as a story: `server` (the
//! listener) and `connections` (accepting them, within bounds), `service` (each gRPC call),
//! `submission` (the checks before a write), `sequencer` and `command` (the one writer and its
//! state changes), `log` and `tree` (the transparency log), `status` (what a PoA's status is),
//! `store` (storage behind a narrow trait), `operator` (the signing key), `audit` (the trail of
//! writes and releases), `authority` (who may act on a company's PoAs), `card_link` (a
//! representative linking their card, or ending a card's enrollment) and `enrollment` (the
//! operator's own enrollments of cards), `signals` (stop and reload). [`admin`] is what the
//! operator's commands call.
#![forbid(unsafe_code)]

pub mod admin;
mod audit;
mod authority;
mod backup;
mod card_link;
mod checks;
mod clock;
mod command;
mod config;
mod connections;
mod crls;
mod enrollment;
mod evidence;
mod lanes;
mod listing;
mod log;
mod metrics;
mod mirror;
mod operator;
mod peer_rates;
mod poa_keys;
mod records;
mod refusal;
mod repeats;
mod sequencer;
mod server;
mod service;
mod signals;
mod signed_request;
mod signing_acts;
mod status;
mod store;
mod submission;
mod tree;
