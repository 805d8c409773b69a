//! A grant of authority: a scope and the period it holds.

use crate::{Scope, Validity};

/// What a power of attorney grants: a [`Scope`] during a [`Validity`] period. The two travel
/// together because both rules judge both: a contract is covered only inside the period, and a
/// sub-delegation must stay inside its parent's scope and period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// What the delegatee may do.
    pub scope: Scope,
    /// When.
    pub validity: Validity,
}
