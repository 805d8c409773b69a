//! The operator's acts on a shared database: an enrollment made or ended by operator staff
//! (`ops/enrollment.rs`) while the registry serves. On a registry whose records are in a
//! shared database only the writer of the moment may write them, fenced by its epoch, so the
//! command signs the act with the log's operator key and leaves it pending in the database;
//! whichever node writes takes it up (`ops/operator_inbox.rs`) and applies it here, in one
//! batch with its answer. The writer applies only an act that is
//!
//! - signed by this log's operator key, over
//!   [`OPERATOR_ACT_CONTEXT`](crate::log::operator::OPERATOR_ACT_CONTEXT) and the act's bytes: a
//!   row written with the database's credentials alone enrolls no one;
//! - of this log (its origin), stated within [`MAX_SKEW_SECONDS`] of the batch's time, and
//!   carrying a nonce no earlier request spent: the nonce is spent with the answer, whatever
//!   it says, so the same act posted again is refused;
//! - filed under its own nonce key.
//!
//! Whatever the outcome, the act leaves the pending ones and its answer is written: an act
//! that fails these checks is answered with why, and is not tried again.

use std::sync::Arc;

use eproxy_policy::{CorporateNumber, UnixTime};
use prost::Message;

use super::nonces::{MAX_SKEW_SECONDS, check_nonce, spend_nonce};
use super::{Basis, Command, Enrolment, Outcome, Unenrolment};
use crate::log::operator::Operator;
use crate::store::Family;
use crate::store::records::{PENDING_ACTS, act_answer_key, nonce_key, pending_act_key};
use crate::write::WriteError;
use crate::write::batch::Batch;

/// The longest staff identifier.
pub const MAX_STAFF: usize = 128;
/// The longest check reference or reason.
pub const MAX_REFERENCE: usize = 256;
/// The largest signed act taken up: two certificates' worth of text leaves room to spare.
const MAX_SIGNED_ACT_BYTES: usize = 2 * 1024;
/// The shortest and longest nonce, in bytes.
const NONCE_BYTES: std::ops::RangeInclusive<usize> = 16..=64;

/// What operator staff do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, prost::Enumeration)]
#[repr(i32)]
pub enum ActKind {
    /// Not set: refused.
    Unspecified = 0,
    /// Enroll a JPKI signing certificate for a company, on a check of the commercial register.
    Enroll = 1,
    /// End its enrollment.
    Unenroll = 2,
}

/// An act of operator staff, as signed.
#[derive(Clone, PartialEq, Message)]
pub struct OperatorAct {
    /// 1.
    #[prost(uint32, tag = "1")]
    pub format_version: u32,
    /// The log the act is for.
    #[prost(string, tag = "2")]
    pub log_origin: String,
    /// When staff made it, Unix seconds.
    #[prost(int64, tag = "3")]
    pub requested_at: i64,
    /// Random, 16 to 64 bytes: with the time, the act's identity.
    #[prost(bytes = "vec", tag = "4")]
    pub nonce: Vec<u8>,
    /// What is done.
    #[prost(enumeration = "ActKind", tag = "5")]
    pub kind: i32,
    /// The company's corporate number.
    #[prost(string, tag = "6")]
    pub corporate_number: String,
    /// SHA-256 of the JPKI signing certificate.
    #[prost(bytes = "vec", tag = "7")]
    pub certificate_sha256: Vec<u8>,
    /// Who checked (enroll) or ended the enrollment (unenroll).
    #[prost(string, tag = "8")]
    pub staff: String,
    /// The check's reference (enroll) or why the enrollment ends (unenroll).
    #[prost(string, tag = "9")]
    pub reference: String,
}

/// An act's bytes and the operator key's signature over
/// [`OPERATOR_ACT_CONTEXT`](crate::log::operator::OPERATOR_ACT_CONTEXT) and them.
#[derive(Clone, PartialEq, Message)]
pub struct SignedAct {
    /// The encoded [`OperatorAct`].
    #[prost(bytes = "vec", tag = "1")]
    pub act: Vec<u8>,
    /// The Ed25519 signature.
    #[prost(bytes = "vec", tag = "2")]
    pub signature: Vec<u8>,
}

/// The writer's answer to an act.
#[derive(Clone, PartialEq, Message)]
pub struct ActAnswer {
    /// The log index of the act's event; 0 when refused.
    #[prost(uint64, tag = "1")]
    pub log_index: u64,
    /// The enrollment's id; empty when refused.
    #[prost(bytes = "vec", tag = "2")]
    pub enrollment_id: Vec<u8>,
    /// Why the act was refused; empty when done.
    #[prost(string, tag = "3")]
    pub refusal: String,
}

impl ActAnswer {
    fn refused(why: impl Into<String>) -> Self {
        Self {
            refusal: why.into(),
            ..Self::default()
        }
    }
}

/// Refuses a text that is blank or longer than `max` bytes; `name` names it.
pub fn bounded(name: &str, text: &str, max: usize) -> Result<(), String> {
    if text.trim().is_empty() || text.len() > max {
        Err(format!("{name}: 1 to {max} bytes, not blank"))
    } else {
        Ok(())
    }
}

impl OperatorAct {
    /// `self`, signed with `operator`'s key; and its nonce key, under which it is filed and
    /// answered.
    pub fn sign(&self, operator: &Operator) -> (Vec<u8>, Vec<u8>) {
        let act = self.encode_to_vec();
        let signed = SignedAct {
            signature: operator.sign_act(&act),
            act,
        };
        (self.nonce_key(), signed.encode_to_vec())
    }

    fn nonce_key(&self) -> Vec<u8> {
        nonce_key(UnixTime::from_seconds(self.requested_at), &self.nonce)
    }
}

/// An act the writer found pending.
pub struct PendingAct {
    /// Its key in [`Family::OperatorActs`].
    pub key: Vec<u8>,
    /// The bytes stored there: a [`SignedAct`], if genuine.
    pub signed: Vec<u8>,
    /// The log's operator, whose key must have signed it and which signs an enrollment.
    pub operator: Arc<Operator>,
}

impl std::fmt::Debug for PendingAct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingAct")
            .field("key", &hex::encode(&self.key))
            .field("bytes", &self.signed.len())
            .finish_non_exhaustive()
    }
}

impl PendingAct {
    pub(super) fn apply(self, batch: &mut Batch<'_>) -> Result<Outcome, WriteError> {
        let answer = match self.checked(batch.now) {
            Err(why) => ActAnswer::refused(why),
            Ok((nonce_key, command)) => match check_nonce(batch, &nonce_key) {
                Err(WriteError::NonceSpent) => {
                    ActAnswer::refused(WriteError::NonceSpent.to_string())
                }
                Err(other) => return Err(other),
                Ok(()) => {
                    let answer = match command.apply(batch) {
                        Ok(
                            Outcome::Enrolled { id, log_index, .. }
                            | Outcome::Unenrolled { id, log_index },
                        ) => ActAnswer {
                            log_index,
                            enrollment_id: id.to_vec(),
                            refusal: String::new(),
                        },
                        Ok(other) => ActAnswer::refused(format!("unexpected outcome {other:?}")),
                        // Nothing is written: the act stays pending for the next batch.
                        Err(WriteError::Store(error)) => return Err(WriteError::Store(error)),
                        Err(refused) => ActAnswer::refused(refused.to_string()),
                    };
                    spend_nonce(batch, nonce_key);
                    answer
                }
            },
        };
        let answer_key = act_answer_key(self.key.get(PENDING_ACTS.len()..).unwrap_or_default());
        batch.delete(Family::OperatorActs, self.key);
        batch.put(Family::OperatorActs, answer_key, answer.encode_to_vec());
        Ok(Outcome::ActAnswered(answer))
    }

    /// The act's nonce key and the command it asks for, once every check passed; else why not.
    fn checked(&self, now: UnixTime) -> Result<(Vec<u8>, Command), String> {
        if self.signed.len() > MAX_SIGNED_ACT_BYTES {
            return Err(format!(
                "the act is {} bytes, more than the {MAX_SIGNED_ACT_BYTES} taken",
                self.signed.len()
            ));
        }
        let signed = SignedAct::decode(self.signed.as_slice())
            .map_err(|e| format!("not a signed operator act: {e}"))?;
        if !self.operator.signed_act(&signed.act, &signed.signature) {
            return Err("the act is not signed by this log's operator key".into());
        }
        let act = OperatorAct::decode(signed.act.as_slice())
            .map_err(|e| format!("the signed act does not decode: {e}"))?;
        if act.format_version != 1 {
            return Err(format!("format_version {} is not 1", act.format_version));
        }
        if act.log_origin != self.operator.origin() {
            return Err(format!("the act is for the log {:?}", act.log_origin));
        }
        if act.requested_at.abs_diff(now.seconds()) > MAX_SKEW_SECONDS.unsigned_abs() {
            return Err(format!(
                "the act was made at {}, more than {MAX_SKEW_SECONDS} s from the registry's time \
                 {}: make it again",
                act.requested_at,
                now.seconds()
            ));
        }
        if !NONCE_BYTES.contains(&act.nonce.len()) {
            return Err(format!("the nonce is {} bytes", act.nonce.len()));
        }
        let nonce_key = act.nonce_key();
        if self.key != pending_act_key(&nonce_key) {
            return Err("the act is filed under another key than its own".into());
        }
        let company = CorporateNumber::parse(&act.corporate_number)
            .map_err(|e| format!("corporate number {:?}: {e}", act.corporate_number))?;
        let certificate_sha256: [u8; 32] = act
            .certificate_sha256
            .as_slice()
            .try_into()
            .map_err(|_| "the certificate's SHA-256 is not 32 bytes".to_owned())?;
        bounded("staff", &act.staff, MAX_STAFF)?;
        bounded("reference", &act.reference, MAX_REFERENCE)?;
        let command = match ActKind::try_from(act.kind) {
            Ok(ActKind::Enroll) => Command::Enroll(Box::new(Enrolment {
                company,
                certificate_sha256,
                basis: Basis::Attested {
                    attested_by: act.staff,
                    check_reference: act.reference,
                },
                operator: Arc::clone(&self.operator),
            })),
            Ok(ActKind::Unenroll) => Command::Unenroll(Unenrolment {
                company,
                certificate_sha256,
                ended_by: format!("operator staff {}", act.staff),
                reason: act.reference,
                nonce_key: None,
                acting: None,
            }),
            _ => {
                return Err(format!(
                    "the act's kind {} is neither enroll nor unenroll",
                    act.kind
                ));
            }
        };
        Ok((nonce_key, command))
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;
    use eproxy_testkit::TestPki;

    use super::*;
    use crate::clock::now_nanos;
    use crate::store::records::current_enrollment;
    use crate::store::{RocksStore, Store};

    /// A registry's store and operator, and the acts applied to it one batch each.
    struct Registry {
        _dir: tempfile::TempDir,
        store: RocksStore,
        operator: Arc<Operator>,
        size: u64,
    }

    impl Registry {
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            Self {
                store: RocksStore::open(dir.path()).unwrap(),
                _dir: dir,
                operator: Arc::new(operator(1, "test/log")),
                size: 0,
            }
        }

        /// Files `signed` as pending under `key`, applies it in one batch and commits; the
        /// answer the writer stored.
        fn apply(&mut self, key: &[u8], signed: &[u8]) -> ActAnswer {
            self.store
                .commit(&[crate::store::Write::put(
                    Family::OperatorActs,
                    key.to_vec(),
                    signed.to_vec(),
                )])
                .unwrap();
            let mut batch = Batch::new(&self.store, now_nanos(), self.size);
            let act = PendingAct {
                key: key.to_vec(),
                signed: signed.to_vec(),
                operator: Arc::clone(&self.operator),
            };
            let Outcome::ActAnswered(answer) = act.apply(&mut batch).unwrap() else {
                panic!("not answered");
            };
            self.store.commit(&batch.writes).unwrap();
            self.size += batch.leaves.len() as u64;
            // The act left the pending ones; its answer is where the poster looks.
            let answer_key = act_answer_key(&key[PENDING_ACTS.len()..]);
            assert_eq!(self.store.get(Family::OperatorActs, key).unwrap(), None);
            let stored = self.store.get(Family::OperatorActs, &answer_key).unwrap();
            assert_eq!(stored, Some(answer.encode_to_vec()));
            answer
        }

        fn enrolled(&self) -> Option<i64> {
            let company = TestPki::standard().company.corporate_number().unwrap();
            current_enrollment(&self.store as &dyn Store, &company, &[7; 32])
                .unwrap()
                .map(|(_, record)| record.ended_at)
        }
    }

    fn operator(seed: u8, origin: &str) -> Operator {
        Operator::new(origin, SigningKey::from_bytes(&[seed; 32])).unwrap()
    }

    /// An act of `kind` on certificate `[7; 32]`, stated `offset` seconds from now, with a
    /// nonce of `tag`s.
    fn act(kind: ActKind, offset: i64, tag: u8) -> OperatorAct {
        OperatorAct {
            format_version: 1,
            log_origin: "test/log".into(),
            requested_at: crate::clock::now().seconds() + offset,
            nonce: vec![tag; 16],
            kind: kind as i32,
            corporate_number: TestPki::standard()
                .company
                .corporate_number()
                .unwrap()
                .to_string(),
            certificate_sha256: vec![7; 32],
            staff: "staff-0042".into(),
            reference: "登記事項証明書 No.1".into(),
        }
    }

    fn refused(answer: &ActAnswer, words: &str) {
        assert!(answer.refusal.contains(words), "{answer:?} lacks {words:?}");
        assert_eq!((answer.log_index, answer.enrollment_id.len()), (0, 0));
    }

    /// Only an act the log's operator key signed, for this log, fresh, filed under its own
    /// key and never applied before enrolls or unenrolls; every other is answered with why and
    /// logs nothing.
    #[test]
    fn only_a_fresh_act_the_operator_signed_is_applied_and_only_once() {
        let mut registry = Registry::new();
        let genuine = registry.operator.clone();
        let file = |act: &OperatorAct, by: &Operator| {
            let (nonce_key, signed) = act.sign(by);
            (pending_act_key(&nonce_key), signed)
        };

        // Someone with the database's credentials but not the key: refused, nothing logged.
        let (key, forged) = file(&act(ActKind::Enroll, 0, 1), &operator(2, "test/log"));
        refused(
            &registry.apply(&key, &forged),
            "not signed by this log's operator key",
        );
        // The genuine act's bytes altered after signing.
        let (key, signed) = file(&act(ActKind::Enroll, 0, 2), &genuine);
        let mut tampered = SignedAct::decode(signed.as_slice()).unwrap();
        let at = tampered.act.len() - 3;
        tampered.act[at] ^= 1;
        refused(
            &registry.apply(&key, &tampered.encode_to_vec()),
            "not signed by this log's operator key",
        );
        // Signed by the key, but for another log (a key two logs share).
        let mut elsewhere = act(ActKind::Enroll, 0, 3);
        elsewhere.log_origin = "other/log".into();
        let (key, signed) = file(&elsewhere, &genuine);
        refused(&registry.apply(&key, &signed), "for the log \"other/log\"");
        // Stale, and from the future.
        for offset in [-MAX_SKEW_SECONDS - 60, MAX_SKEW_SECONDS + 60] {
            let (key, signed) = file(&act(ActKind::Enroll, offset, 4), &genuine);
            refused(&registry.apply(&key, &signed), "make it again");
        }
        // A genuine act filed under another act's key.
        let (_, signed) = file(&act(ActKind::Enroll, 0, 5), &genuine);
        let (other_key, _) = file(&act(ActKind::Enroll, 0, 6), &genuine);
        refused(
            &registry.apply(&other_key, &signed),
            "filed under another key",
        );
        // Not an act at all; and one too large to read.
        refused(
            &registry.apply(&other_key, b"\xff\xff"),
            "not a signed operator act",
        );
        refused(
            &registry.apply(&other_key, &vec![0; 4096]),
            "more than the 2048 taken",
        );
        assert_eq!((registry.size, registry.enrolled()), (0, None));

        // The genuine act enrolls, once.
        let (enrolling_key, enrolling) = file(&act(ActKind::Enroll, 0, 7), &genuine);
        let done = registry.apply(&enrolling_key, &enrolling);
        assert_eq!((done.refusal.as_str(), done.log_index), ("", 0));
        assert_eq!(registry.enrolled(), Some(0));
        // Posted again (a copy of the row): its nonce is spent.
        refused(&registry.apply(&enrolling_key, &enrolling), "already used");
        // A new act to enroll it again: refused on the record, and its nonce is spent too.
        let (key, signed) = file(&act(ActKind::Enroll, 0, 8), &genuine);
        refused(&registry.apply(&key, &signed), "already enrolled");
        refused(&registry.apply(&key, &signed), "already used");
        assert_eq!(registry.size, 1);

        // Ended by a genuine act: the same enrollment, a new leaf.
        let (key, signed) = file(&act(ActKind::Unenroll, 0, 9), &genuine);
        let ended = registry.apply(&key, &signed);
        assert_eq!((ended.refusal.as_str(), ended.log_index), ("", 1));
        assert_eq!(ended.enrollment_id, done.enrollment_id);
        assert!(registry.enrolled().is_some_and(|at| at > 0));
        // The enrolling act replayed after the end (the same signed bytes) does not enroll
        // the card again.
        refused(&registry.apply(&enrolling_key, &enrolling), "already used");
        assert_eq!(registry.size, 2);
    }
}
