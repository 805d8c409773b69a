//! What the registry stores, and under which keys. Records are protobuf messages (prost),
//! private to the registry: the signed formats in `proto/` are never re-encoded from them; the
//! PoA's CMS and each log leaf are kept as received or as signed.

use eproxy_policy::{CorporateNumber, UnixTime};
use eproxy_proto::DelegationId;
use eproxy_proto::v1::DelegationStatus;
use prost::Message;

use super::{Family, Store, StoreError};

/// Everything the registry knows of one PoA beyond its CMS: its registration, its current
/// status, and the fields its checks and indexes need.
#[derive(Clone, PartialEq, Message)]
pub struct StatusRecord {
    /// Registration time, the registry's clock.
    #[prost(int64, tag = "1")]
    pub registered_at: i64,
    /// The registration event's log index.
    #[prost(uint64, tag = "2")]
    pub log_index: u64,
    /// ACTIVE, REVOKED or SUPERSEDED (EXPIRED and PARENT_INACTIVE are computed when asked);
    /// prost's `status()` reads it.
    #[prost(enumeration = "DelegationStatus", tag = "3")]
    pub status: i32,
    /// When the status last changed; 0 while ACTIVE.
    #[prost(int64, tag = "4")]
    pub changed_at: i64,
    /// The revoker's reason, for REVOKED.
    #[prost(string, tag = "5")]
    pub revocation_reason: String,
    /// The revoker's reason code (`eproxy.v1.RevocationReason`), for REVOKED; 0 for a
    /// revocation recorded before codes existed.
    #[prost(int32, tag = "13")]
    pub revocation_reason_code: i32,
    /// The replacing PoA, for SUPERSEDED.
    #[prost(bytes = "vec", tag = "6")]
    pub superseded_by: Vec<u8>,
    /// The parent PoA of a sub-delegation; empty for a root PoA.
    #[prost(bytes = "vec", tag = "7")]
    pub parent: Vec<u8>,
    /// The delegating company's corporate number.
    #[prost(string, tag = "8")]
    pub corporate_number: String,
    /// SHA-256 of the delegatee's certificate.
    #[prost(bytes = "vec", tag = "9")]
    pub delegatee_sha256: Vec<u8>,
    /// The end of the PoA's validity, Unix seconds: when its status becomes EXPIRED. (What
    /// else the content says is read from the stored PoA when a check needs it.)
    #[prost(int64, tag = "11")]
    pub not_after: i64,
    /// For a root PoA whose signer's authority is an enrollment: that enrollment's id;
    /// empty otherwise.
    #[prost(bytes = "vec", tag = "12")]
    pub authority_enrollment: Vec<u8>,
}

/// A JPKI certificate enrolled for a company: the enrollment as signed, where it was logged,
/// and whether it was ended.
#[derive(Clone, PartialEq, Message)]
pub struct EnrollmentRecord {
    /// The canonical `eproxy.v1.Enrollment` bytes.
    #[prost(bytes = "vec", tag = "1")]
    pub enrollment: Vec<u8>,
    /// The operator's signature over them (`eproxy.v1.SignedEnrollment`).
    #[prost(bytes = "vec", tag = "2")]
    pub signature: Vec<u8>,
    /// The ENROLLMENT event's log index.
    #[prost(uint64, tag = "3")]
    pub log_index: u64,
    /// When it was ended, Unix seconds; 0 while in force.
    #[prost(int64, tag = "4")]
    pub ended_at: i64,
    /// Why it was ended (display text), and who recorded it.
    #[prost(string, tag = "5")]
    pub ended_because: String,
}

impl EnrollmentRecord {
    /// Decodes a stored record; a record that does not decode is storage corruption.
    pub fn decode_stored(bytes: &[u8]) -> Result<Self, StoreError> {
        Self::decode(bytes).map_err(|e| StoreError(format!("corrupt enrollment record: {e}")))
    }
}

/// The enrollment family holds three kinds of key, told apart by their first byte:
/// - `e` and the enrollment's id: the [`EnrollmentRecord`], never overwritten, so that the
///   evidence of a PoA granted under an enrollment carries that one, whatever came later;
/// - `c`, the company's corporate number and the certificate's SHA-256: the id of the latest
///   enrollment of that certificate for that company (in force or ended);
/// - `h`, the same, then the ENROLLMENT event's log index: every enrollment of that
///   certificate for that company, in the order made, for finding the one in force at a time.
pub fn enrollment_key(id: &[u8; 32]) -> Vec<u8> {
    [b"e".as_slice(), id].concat()
}

/// The key of the latest enrollment's id of `certificate_sha256` for `company`.
pub fn current_enrollment_key(company: &CorporateNumber, certificate_sha256: &[u8; 32]) -> Vec<u8> {
    [
        b"c".as_slice(),
        company.to_string().as_bytes(),
        certificate_sha256,
    ]
    .concat()
}

/// The start of the history keys of `certificate_sha256` for `company`.
pub fn enrollment_history_prefix(
    company: &CorporateNumber,
    certificate_sha256: &[u8; 32],
) -> Vec<u8> {
    [
        b"h".as_slice(),
        company.to_string().as_bytes(),
        certificate_sha256,
    ]
    .concat()
}

/// The history key of the enrollment whose event is at `log_index`.
pub fn enrollment_history_key(
    company: &CorporateNumber,
    certificate_sha256: &[u8; 32],
    log_index: u64,
) -> Vec<u8> {
    let mut key = enrollment_history_prefix(company, certificate_sha256);
    key.extend_from_slice(&index_key(log_index));
    key
}

/// The enrollment record `id`, if any.
pub fn enrollment_record(
    from: &(impl Reads + ?Sized),
    id: &[u8; 32],
) -> Result<Option<EnrollmentRecord>, StoreError> {
    from.read(Family::Enrollments, &enrollment_key(id))?
        .map(|bytes| EnrollmentRecord::decode_stored(&bytes))
        .transpose()
}

/// The latest enrollment of `certificate_sha256` for `company`, with its id, if any.
pub fn current_enrollment(
    from: &(impl Reads + ?Sized),
    company: &CorporateNumber,
    certificate_sha256: &[u8; 32],
) -> Result<Option<([u8; 32], EnrollmentRecord)>, StoreError> {
    let Some(id) = from.read(
        Family::Enrollments,
        &current_enrollment_key(company, certificate_sha256),
    )?
    else {
        return Ok(None);
    };
    let id: [u8; 32] = id
        .as_slice()
        .try_into()
        .map_err(|_| StoreError("a corrupt enrollment index entry".into()))?;
    let record = enrollment_record(from, &id)?
        .ok_or_else(|| StoreError("an indexed enrollment is missing".into()))?;
    Ok(Some((id, record)))
}

impl StatusRecord {
    /// The parent, if this is a sub-delegation.
    pub fn parent(&self) -> Option<DelegationId> {
        <[u8; 32]>::try_from(self.parent.as_slice())
            .ok()
            .map(DelegationId::from_bytes)
    }

    /// Decodes a stored record; a record that does not decode is storage corruption.
    pub fn decode_stored(bytes: &[u8]) -> Result<Self, StoreError> {
        Self::decode(bytes).map_err(|e| StoreError(format!("corrupt status record: {e}")))
    }
}

/// A PoA's status record and its ancestors', read from one snapshot of the store, with the log
/// size that snapshot reflects: a statement made from them is true of the log at that size.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StatusChain {
    /// The committed log's size in the snapshot; `None` for a store one process holds, whose
    /// log is this node's own.
    pub log_size: Option<u64>,
    /// The records read: the PoA's, then its parent's, and so on, up to a root, a record not
    /// found, or the longest chain a PoA may have.
    pub records: Vec<(DelegationId, StatusRecord)>,
}

impl StatusChain {
    /// The id to read next for the chain of `first`: `first`, then the parent of the last
    /// record read, while the chain is shorter than the longest a PoA may have.
    pub fn next(&self, first: &DelegationId) -> Option<DelegationId> {
        match self.records.last() {
            None => Some(*first),
            Some(_) if self.records.len() > eproxy_verifier::verify::MAX_CHAIN_LINKS => None,
            Some((_, last)) => last.parent(),
        }
    }

    /// The record of `id`, if the chain holds it.
    pub fn record(&self, id: &DelegationId) -> Option<&StatusRecord> {
        self.records
            .iter()
            .find(|(held, _)| held == id)
            .map(|(_, record)| record)
    }
}

/// The delegation id an index entry holds; anything else is storage corruption.
pub fn id_of(bytes: &[u8]) -> Result<DelegationId, StoreError> {
    <[u8; 32]>::try_from(bytes)
        .map(DelegationId::from_bytes)
        .map_err(|_| StoreError("a corrupt index entry".into()))
}

/// The latest signed checkpoint and what it commits to.
#[derive(Clone, PartialEq, Message)]
pub struct CheckpointRecord {
    /// The tree size.
    #[prost(uint64, tag = "1")]
    pub size: u64,
    /// The root hash.
    #[prost(bytes = "vec", tag = "2")]
    pub root: Vec<u8>,
    /// The signed note, as published.
    #[prost(string, tag = "3")]
    pub note: String,
    /// When it was signed, Unix seconds.
    #[prost(int64, tag = "4")]
    pub signed_at: i64,
}

/// The key of the one checkpoint record.
pub const LATEST_CHECKPOINT: &[u8] = b"latest";

/// A log index as a key: big-endian, so keys sort as numbers.
pub fn index_key(index: u64) -> [u8; 8] {
    index.to_be_bytes()
}

/// The key of a PoA's CMS: its registration's log index. PoAs are the bulk of the store, and
/// keyed in the order they arrive, the storage engine moves their tables down its levels
/// without rewriting them. Keyed by id, a SHA-256, every new table overlapped every old one,
/// and each compaction rewrote PoAs of all ages: its cost grew with the store until the
/// registry fell behind (BENCHMARKS.md, "Thirty minutes at 5,000 a second").
pub fn poa_key(record: &StatusRecord) -> [u8; 8] {
    index_key(record.log_index)
}

/// The CMS of the PoA whose status record is `record`, as received.
pub fn stored_poa(
    from: &(impl Reads + ?Sized),
    record: &StatusRecord,
) -> Result<Option<Vec<u8>>, StoreError> {
    from.read(Family::Poa, &poa_key(record))
}

/// The company index key: corporate number, then the registration's log index.
pub fn company_key(company: &CorporateNumber, log_index: u64) -> Vec<u8> {
    let mut key = company.to_string().into_bytes();
    key.extend_from_slice(&index_key(log_index));
    key
}

/// The delegatee index key: the delegatee certificate's SHA-256, the delegating company's
/// corporate number, then the registration's log index. The hash comes first so that every
/// PoA bound to one certificate can be found, whichever company granted it.
pub fn delegatee_key(
    certificate_sha256: &[u8; 32],
    company: &CorporateNumber,
    log_index: u64,
) -> Vec<u8> {
    let mut key = delegatee_prefix(certificate_sha256, company);
    key.extend_from_slice(&index_key(log_index));
    key
}

/// The start of the [`delegatee_key`]s of `company`'s PoAs bound to one certificate.
pub fn delegatee_prefix(certificate_sha256: &[u8; 32], company: &CorporateNumber) -> Vec<u8> {
    let mut key = certificate_sha256.to_vec();
    key.extend_from_slice(company.to_string().as_bytes());
    key
}

/// The spent-nonce key of a signed request: its stated time (seconds, sign bit flipped and
/// big-endian, so keys sort by time and the oldest can be pruned first), then its nonce. A
/// replay carries the same signed time and nonce, so it finds the key; a request whose stated
/// time has left the freshness window is refused before its nonce is looked up, so its key
/// can be pruned.
pub fn nonce_key(requested_at: UnixTime, nonce: &[u8]) -> Vec<u8> {
    let mut key = sortable_seconds(requested_at).to_vec();
    key.extend_from_slice(nonce);
    key
}

/// The prefix of the operator's acts the writer has yet to answer.
pub const PENDING_ACTS: &[u8] = b"p";

/// Where an operator's act whose nonce key is `nonce_key` waits for the writer.
pub fn pending_act_key(nonce_key: &[u8]) -> Vec<u8> {
    [PENDING_ACTS, nonce_key].concat()
}

/// Where the writer answers the operator's act whose nonce key is `nonce_key`.
pub fn act_answer_key(nonce_key: &[u8]) -> Vec<u8> {
    [b"a".as_slice(), nonce_key].concat()
}

/// The stated time a [`nonce_key`] starts with.
pub fn nonce_key_time(key: &[u8]) -> Option<UnixTime> {
    let bytes: [u8; 8] = key.get(..8)?.try_into().ok()?;
    let seconds = (u64::from_be_bytes(bytes) ^ (1 << 63)).cast_signed();
    Some(UnixTime::from_seconds(seconds))
}

fn sortable_seconds(at: UnixTime) -> [u8; 8] {
    (at.seconds().cast_unsigned() ^ (1 << 63)).to_be_bytes()
}

/// Where records are read from: the store, or a batch (the store plus the batch's own writes).
pub trait Reads {
    /// The value of `key` in `family`.
    fn read(&self, family: Family, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
}

impl Reads for dyn Store {
    fn read(&self, family: Family, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(family, key)
    }
}

/// The status record of `id`, if registered.
pub fn status_record(
    from: &(impl Reads + ?Sized),
    id: &DelegationId,
) -> Result<Option<StatusRecord>, StoreError> {
    from.read(Family::Status, id.as_bytes())?
        .map(|bytes| StatusRecord::decode_stored(&bytes))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nonce keys sort by stated time, negative times included, and give the time back.
    #[test]
    fn nonce_keys_sort_by_time() {
        let times = [i64::MIN, -1, 0, 1, 1_700_000_000, i64::MAX].map(UnixTime::from_seconds);
        let keys: Vec<_> = times.iter().map(|&t| nonce_key(t, &[0xff; 16])).collect();
        assert!(keys.windows(2).all(|pair| pair[0] < pair[1]));
        for (time, key) in times.iter().zip(&keys) {
            assert_eq!(nonce_key_time(key), Some(*time));
            assert_eq!(&key[8..], &[0xff; 16]);
        }
        assert_eq!(nonce_key_time(&[0; 7]), None);
    }
}
