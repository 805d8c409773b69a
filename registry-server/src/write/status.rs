//! What a PoA's status is at a given moment, from its record and its ancestors' (a revoked or
//! superseded parent ends every sub-delegation under it), and the signed statement that says
//! so.

use eproxy_policy::UnixTime;
use eproxy_proto::DelegationId;
use eproxy_proto::v1::{DelegationStatus, SignedStatusStatement, StatusStatement};
use eproxy_verifier::verify::MAX_CHAIN_LINKS;

use crate::log::operator::Operator;
use crate::store::StoreError;
use crate::store::records::StatusRecord;

/// A PoA's status at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effective {
    /// In force (its validity aside, which verifiers check).
    Active,
    /// Revoked at `at`.
    Revoked {
        /// When.
        at: i64,
        /// The revoker's reason code (`eproxy.v1.RevocationReason`).
        code: i32,
        /// The revoker's reason.
        reason: String,
    },
    /// Replaced at `at` by `by`.
    Superseded {
        /// When.
        at: i64,
        /// The replacement.
        by: Vec<u8>,
    },
    /// An ancestor stopped being active at `at`.
    ParentInactive {
        /// When.
        at: i64,
    },
    /// Its validity has ended.
    Expired,
}

impl Effective {
    /// Whether it still confers authority.
    pub fn is_active(&self) -> bool {
        *self == Effective::Active
    }
}

/// A status for people.
pub fn describe(state: &Effective) -> String {
    match state {
        Effective::Active => "active".into(),
        Effective::Revoked { at, reason, .. } => format!("revoked at {at} ({reason})"),
        Effective::Superseded { at, .. } => format!("superseded at {at}"),
        Effective::ParentInactive { at } => format!("its parent stopped being active at {at}"),
        Effective::Expired => "expired".into(),
    }
}

/// The status of the PoA `record` describes at `now`; `lookup` finds its ancestors' records.
pub fn effective(
    record: &StatusRecord,
    now: UnixTime,
    mut lookup: impl FnMut(&DelegationId) -> Result<Option<StatusRecord>, StoreError>,
) -> Result<Effective, StoreError> {
    let own = match record.status() {
        DelegationStatus::Revoked => Some(Effective::Revoked {
            at: record.changed_at,
            code: record.revocation_reason_code,
            reason: record.revocation_reason.clone(),
        }),
        DelegationStatus::Superseded => Some(Effective::Superseded {
            at: record.changed_at,
            by: record.superseded_by.clone(),
        }),
        _ => None,
    };
    if let Some(own) = own {
        return Ok(own);
    }
    // The earliest moment an ancestor stopped being active ends this one too.
    let mut ended: Option<i64> = None;
    let mut parent = record.parent();
    for _ in 0..MAX_CHAIN_LINKS {
        let Some(id) = parent else { break };
        let ancestor = lookup(&id)?
            .ok_or_else(|| StoreError(format!("the parent {id} of a registered PoA is missing")))?;
        if matches!(
            ancestor.status(),
            DelegationStatus::Revoked | DelegationStatus::Superseded
        ) {
            ended = Some(ended.map_or(ancestor.changed_at, |e| e.min(ancestor.changed_at)));
        }
        parent = ancestor.parent();
    }
    Ok(match ended {
        Some(at) => Effective::ParentInactive { at },
        None if record.not_after < now.seconds() => Effective::Expired,
        None => Effective::Active,
    })
}

/// Who a statement is made for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Anyone (GetStatus): the status, its times and a revocation's code.
    Public,
    /// Someone entitled to the PoA (its company, a contract's counterparty, the revoker): also
    /// the revoker's own words.
    Entitled,
}

/// The signed statement of `effective` for `id`, produced at `now` over a log of `log_size`,
/// for `audience`.
pub fn statement(
    operator: &Operator,
    id: &DelegationId,
    record: Option<(&StatusRecord, &Effective)>,
    now: UnixTime,
    log_size: u64,
    audience: Audience,
) -> SignedStatusStatement {
    let mut statement = StatusStatement {
        format_version: 1,
        log_origin: operator.origin().to_owned(),
        delegation_id: id.as_bytes().to_vec(),
        status: DelegationStatus::Unknown as i32,
        produced_at_unix_seconds: now.seconds(),
        log_size,
        ..StatusStatement::default()
    };
    if let Some((record, effective)) = record {
        statement.registered_at_unix_seconds = record.registered_at;
        statement.registration_log_index = record.log_index;
        let (status, changed_at) = match effective {
            Effective::Active => (DelegationStatus::Active, 0),
            Effective::Expired => (DelegationStatus::Expired, 0),
            Effective::Revoked { at, code, reason } => {
                statement.revocation_reason_code = *code;
                if audience == Audience::Entitled {
                    statement.revocation_reason = reason.clone();
                }
                (DelegationStatus::Revoked, *at)
            }
            Effective::Superseded { at, by } => {
                statement.superseded_by = by.clone();
                (DelegationStatus::Superseded, *at)
            }
            Effective::ParentInactive { at } => (DelegationStatus::ParentInactive, *at),
        };
        statement.status = status as i32;
        statement.changed_at_unix_seconds = changed_at;
    }
    operator.sign_statement(&statement)
}
