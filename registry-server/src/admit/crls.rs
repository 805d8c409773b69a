//! The CRLs every check uses: the operator's, kept current without a restart, and those a
//! request brings. The operator's are parsed when read, never per request: a JPKI CRL lists
//! hundreds of thousands of certificates, and a request that made the registry parse it would
//! cost the registry far more than it cost the sender. Each request pays only for the CRLs it
//! brings itself.

use std::sync::{Arc, PoisonError, RwLock};

use eproxy_verifier::crl::Crl;

use super::AdmitError;

/// The operator's CRLs in force. Reading them from their files, at start and on every reload,
/// is the operator side's (`ops/crl_reload.rs`); admission only reads what is in force.
#[derive(Debug)]
pub struct OperatorCrls {
    current: RwLock<Arc<Vec<Crl>>>,
}

impl OperatorCrls {
    /// `crls` in force.
    pub fn new(crls: Vec<Crl>) -> Self {
        Self {
            current: RwLock::new(Arc::new(crls)),
        }
    }

    /// The CRLs in force, held by the caller for as long as one check lasts.
    pub fn current(&self) -> Arc<Vec<Crl>> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Puts `fresh` in force in place of the CRLs before; how many there are.
    pub fn replace(&self, fresh: Vec<Crl>) -> usize {
        let count = fresh.len();
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(fresh);
        count
    }
}

/// The CRLs a caller supplied with one request (DER), parsed for that request only.
pub fn parse_supplied(supplied: &[Vec<u8>]) -> Result<Vec<Crl>, AdmitError> {
    Crl::parse_all(supplied).map_err(|(i, error)| AdmitError::SuppliedCrl {
        position: i + 1,
        error,
    })
}

/// The operator's CRLs in force (`held`) and those a caller supplied, as one list.
pub fn crls_with<'a>(held: &'a [Crl], supplied: &'a [Crl]) -> Vec<&'a Crl> {
    held.iter().chain(supplied).collect()
}
