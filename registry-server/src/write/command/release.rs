//! Recording a release of personal data (a PoA's evidence, a company's listing) in the audit
//! trail before it is answered, and spending the single-use request that asked for it.

use super::nonces::{check_nonce, spend_nonce};
use super::{Outcome, check_acting};
use crate::write::WriteError;
use crate::write::audit::AuditRecord;
use crate::write::authority::ActingEnrollment;
use crate::write::batch::Batch;

/// A release of a PoA's evidence, audited (and its request's nonce spent) before it is
/// answered.
#[derive(Clone, Debug)]
pub struct Release {
    /// What is released: a PoA's delegation id, or a company's listing.
    pub subject: String,
    /// What kind of release: "release-evidence" or "list".
    pub action: &'static str,
    /// The signed request's [`nonce_key`](crate::store::records::nonce_key), when a single-use
    /// request entitled the caller.
    pub nonce_key: Option<Vec<u8>>,
    /// Who receives it.
    pub actor: String,
    /// The enrollment the signer acted on, if a card.
    pub acting: Option<ActingEnrollment>,
    /// What the audit record says of it ("released", or with the repeats it stands for).
    pub outcome: String,
}

impl Release {
    pub(super) fn apply(self, batch: &mut Batch<'_>) -> Result<Outcome, WriteError> {
        if let Some(nonce_key) = &self.nonce_key {
            check_nonce(batch, nonce_key)?;
        }
        if let Some(acting) = &self.acting {
            check_acting(batch, acting)?;
        }
        let now = batch.now;
        if let Some(nonce_key) = self.nonce_key {
            spend_nonce(batch, nonce_key);
        }
        batch.audit(&AuditRecord {
            at: now.seconds(),
            actor: self.actor,
            action: self.action.into(),
            subject: self.subject,
            outcome: self.outcome,
        });
        Ok(Outcome::Released)
    }
}
