//! The registry's answers read from its records and signed: receipts and status statements
//! here, evidence bundles (`evidence.rs`) and listing pages (`listing.rs`) beside them.

use std::sync::Arc;
use std::time::Instant;

use eproxy_policy::UnixTime;
use eproxy_proto::DelegationId;
use eproxy_proto::v1::{RegistrationReceipt, SignedReceipt, SignedStatusStatement};
use eproxy_verifier::merkle::Hash;
use eproxy_verifier::tile::TilePath;

use super::refusal::Refusal;
use super::standby_lag::StandbyLag;
use crate::clock::now;
use crate::log::operator::Operator;
use crate::log::{Log, LogReadError};
use crate::store::records::{StatusRecord, status_record};
use crate::store::{Store, StoreError, reads_of};
use crate::write::status::{Audience, effective, statement};

/// What answers are read from and signed with.
#[derive(Clone)]
pub struct Answers {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// Where public status lookups, the log's leaves and proofs read from: `store`, or a
    /// shared database's nearest server, a hot standby included.
    pub nearest: Arc<dyn Store>,
    /// Since when `nearest` has lacked leaves this node knows of.
    pub standby_lag: Arc<StandbyLag>,
    /// The transparency log.
    pub log: Arc<Log>,
    /// The signing identity.
    pub operator: Arc<Operator>,
}

impl Answers {
    /// The record of `id` if it is registered, for answering a resubmission with its receipt.
    /// On a store several nodes share, the record is read through a session whose commit
    /// then vouches that it is durable (see [`Store::pinned`]): a receipt is an acknowledgment,
    /// and a record that only a replaced primary shows must not earn one.
    pub fn registered(&self, id: &DelegationId) -> Result<Option<StatusRecord>, StoreError> {
        // Most submissions are new, and an answer that the PoA is not registered acknowledges
        // nothing (the writer reads again before it registers): only a record found is read
        // again through a session.
        if status_record(self.store.as_ref(), id)?.is_none() {
            return Ok(None);
        }
        let session = self.store.pinned()?;
        let record = status_record(reads_of(self.store.as_ref(), &session), id)?;
        if let (Some(_), Some(session)) = (&record, &session) {
            session.commit(&[])?;
        }
        Ok(record)
    }

    /// The signed receipt of `id`'s registration, recorded as `record`.
    pub fn receipt(&self, id: &DelegationId, record: &StatusRecord) -> SignedReceipt {
        self.operator.sign_receipt(&RegistrationReceipt {
            format_version: 1,
            log_origin: self.operator.origin().to_owned(),
            delegation_id: id.as_bytes().to_vec(),
            log_index: record.log_index,
            registered_at_unix_seconds: record.registered_at,
        })
    }

    /// The leaves `start..end` of the published log.
    pub fn leaves(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, LogReadError> {
        self.read_nearest_first(|store| self.log.leaves(store, start, end))
    }

    /// The inclusion proof of leaf `index` in the published tree of `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LogReadError> {
        self.read_nearest_first(|store| self.log.inclusion_proof(store, index, size))
    }

    /// The consistency proof from the published tree of `old_size` leaves to `new_size`.
    pub fn consistency_proof(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<Vec<Hash>, LogReadError> {
        self.read_nearest_first(|store| self.log.consistency_proof(store, old_size, new_size))
    }

    /// The tile or entry bundle at `path` of the published log.
    pub fn tile(&self, path: &TilePath) -> Result<Vec<u8>, LogReadError> {
        self.read_nearest_first(|store| self.log.tile(store, path))
    }

    /// What `read` makes of the log's leaves in `nearest`, or in `store` when `nearest` fails or
    /// lacks them (a standby behind this node's log). A committed leaf never changes, so both
    /// give the same answer; the node's tree says which leaves are published.
    fn read_nearest_first<T>(
        &self,
        read: impl Fn(&dyn Store) -> Result<T, LogReadError>,
    ) -> Result<T, LogReadError> {
        match read(self.nearest.as_ref()) {
            Err(LogReadError::Store(error)) if !Arc::ptr_eq(&self.nearest, &self.store) => {
                tracing::debug!(%error, "the nearest server lacks leaves: reading the primary");
                read(self.store.as_ref())
            }
            answered => answered,
        }
    }

    /// The signed public statement of `id`'s status now, read from `nearest` with its
    /// ancestors in one snapshot, and naming the log size that snapshot reflects (on a store one
    /// process holds, this node's log size): a standby that lags gives an older size, never a
    /// newer size over older records. A standby that has lacked leaves this node knows of for
    /// longer than [`MAX_STANDBY_LAG`](super::standby_lag::MAX_STANDBY_LAG) is passed over for
    /// `store` while the primary answers, so the lag is bounded too; through a failover, when
    /// no primary answers, the standby's snapshot is answered.
    pub async fn public_status(&self, id: &DelegationId) -> Result<SignedStatusStatement, Refusal> {
        let at = now();
        let known = self.log.size();
        let mut chain = self.nearest.status_chain_async(id).await?;
        if let Some(snapshot) = chain.log_size
            && !self.standby_lag.within(snapshot, known, Instant::now())
            && self.standby_lag.primary_answers(Instant::now())
        {
            chain = self.store.status_chain_async(id).await?;
        }
        let log_size = chain.log_size.unwrap_or_else(|| self.log.size());
        self.sign(
            id,
            chain.record(id),
            |ancestor| Ok(chain.record(ancestor).cloned()),
            (at, log_size),
            Audience::Public,
        )
    }

    /// The signed statement of `id`'s status now (`record` is its record, if registered), for
    /// `audience`.
    pub fn signed_status(
        &self,
        id: &DelegationId,
        record: Option<&StatusRecord>,
        audience: Audience,
    ) -> Result<SignedStatusStatement, Refusal> {
        let store = self.store.as_ref();
        self.sign(
            id,
            record,
            |ancestor| status_record(store, ancestor),
            (now(), self.log.size()),
            audience,
        )
    }

    /// The statement of `id`'s status at `when` (a time, and the log size the records
    /// reflect), its state computed from `record` and the ancestors `ancestor` reads, signed
    /// for `audience`.
    fn sign(
        &self,
        id: &DelegationId,
        record: Option<&StatusRecord>,
        ancestor: impl FnMut(&DelegationId) -> Result<Option<StatusRecord>, StoreError>,
        (at, log_size): (UnixTime, u64),
        audience: Audience,
    ) -> Result<SignedStatusStatement, Refusal> {
        let state = record
            .map(|record| effective(record, at, ancestor))
            .transpose()?;
        Ok(statement(
            &self.operator,
            id,
            record.zip(state.as_ref()),
            at,
            log_size,
            audience,
        ))
    }
}
