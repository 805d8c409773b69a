//! A counterparty's witness policy, in the C2SP tlog-policy text form: which logs it accepts
//! checkpoints from, which witnesses it trusts, and the quorum of their cosignatures a
//! checkpoint needs before anything proven against it is believed.
//!
//! ```text
//! log <vkey> [<url>]
//! witness <name> <vkey> [<url>]
//! group <name> all|any|<k> <member>...     members: witnesses or groups defined above
//! quorum <name>|none
//! ```
//!
//! Names are opaque bytes without whitespace; a name refers only to what lines above define, so
//! no group can contain itself. Each member appears in a group at most once, and no key twice.

use crate::Error;
use crate::cosignature::verify_cosignature;
use crate::crypto::SignatureVerifier;
use crate::note::{Checkpoint, KeyType, VerifierKey, verify_checkpoint};

/// The largest policy read, in bytes.
pub const MAX_POLICY_BYTES: usize = 64 * 1024;
/// The most logs, witnesses and groups a policy may define, each (the specification asks
/// implementations to support at least 32).
pub const MAX_ENTRIES: usize = 64;

/// A witness: its name in the policy and its cosigning key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness {
    /// The name the policy gives it.
    pub name: String,
    /// Its key, of type 0x04.
    pub key: VerifierKey,
    /// Where it is reached, if the policy says.
    pub url: Option<String>,
}

/// A group's member: a witness or an earlier group, by index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Member {
    Witness(usize),
    Group(usize),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Group {
    name: String,
    threshold: usize,
    members: Vec<Member>,
}

/// A parsed witness policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WitnessPolicy {
    logs: Vec<VerifierKey>,
    witnesses: Vec<Witness>,
    groups: Vec<Group>,
    /// `None` for `quorum none`.
    quorum: Option<Member>,
}

impl WitnessPolicy {
    /// Parses a policy, refusing every departure from the format with its line.
    pub fn parse(text: &str) -> Result<Self, Error> {
        if text.len() > MAX_POLICY_BYTES {
            return Err(malformed(0, "the policy is larger than 64 KiB"));
        }
        let mut policy = Self {
            logs: Vec::new(),
            witnesses: Vec::new(),
            groups: Vec::new(),
            quorum: None,
        };
        let mut quorum_seen = false;
        for (number, line) in text.split('\n').enumerate() {
            let number = number + 1;
            if line.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
                return Err(malformed(number, "a control character"));
            }
            let words: Vec<&str> = line
                .split([' ', '\t'])
                .filter(|word| !word.is_empty())
                .collect();
            match words.as_slice() {
                [] => {}
                [first, ..] if first.starts_with('#') => {}
                ["log", key, url @ ..] if url.len() <= 1 => {
                    let key = key_of(number, key, KeyType::Ed25519)?;
                    policy.add_log(number, key)?;
                }
                ["witness", name, key, url @ ..] if url.len() <= 1 => {
                    let key = key_of(number, key, KeyType::Cosignature)?;
                    policy.add_witness(number, name, key, url.first())?;
                }
                ["group", name, threshold, members @ ..] if !members.is_empty() => {
                    policy.add_group(number, name, threshold, members)?;
                }
                ["quorum", name] => {
                    if quorum_seen {
                        return Err(malformed(number, "a second quorum line"));
                    }
                    quorum_seen = true;
                    policy.quorum = match *name {
                        "none" => None,
                        name => Some(policy.member(number, name)?),
                    };
                }
                _ => {
                    return Err(malformed(
                        number,
                        "not a log, witness, group or quorum line",
                    ));
                }
            }
        }
        if !quorum_seen {
            return Err(malformed(0, "no quorum line"));
        }
        Ok(policy)
    }

    fn add_log(&mut self, line: usize, key: VerifierKey) -> Result<(), Error> {
        if self.logs.len() == MAX_ENTRIES {
            return Err(malformed(line, "more than 64 logs"));
        }
        if self
            .logs
            .iter()
            .any(|log| log.public_key() == key.public_key())
        {
            return Err(malformed(line, "a log's key listed twice"));
        }
        self.logs.push(key);
        Ok(())
    }

    fn add_witness(
        &mut self,
        line: usize,
        name: &str,
        key: VerifierKey,
        url: Option<&&str>,
    ) -> Result<(), Error> {
        self.check_new_name(line, name)?;
        if self.witnesses.len() == MAX_ENTRIES {
            return Err(malformed(line, "more than 64 witnesses"));
        }
        if self
            .witnesses
            .iter()
            .any(|w| w.key.public_key() == key.public_key())
        {
            return Err(malformed(line, "a witness's key listed twice"));
        }
        self.witnesses.push(Witness {
            name: name.to_owned(),
            key,
            url: url.map(|url| (*url).to_owned()),
        });
        Ok(())
    }

    fn add_group(
        &mut self,
        line: usize,
        name: &str,
        threshold: &str,
        members: &[&str],
    ) -> Result<(), Error> {
        self.check_new_name(line, name)?;
        if self.groups.len() == MAX_ENTRIES {
            return Err(malformed(line, "more than 64 groups"));
        }
        let mut resolved = Vec::with_capacity(members.len());
        for member in members {
            let member = self.member(line, member)?;
            if resolved.contains(&member) {
                return Err(malformed(line, "a member listed twice"));
            }
            resolved.push(member);
        }
        let threshold = match threshold {
            "all" => resolved.len(),
            "any" => 1,
            k => k
                .parse::<usize>()
                .ok()
                .filter(|k| (1..=resolved.len()).contains(k) && k.to_string() == threshold)
                .ok_or_else(|| malformed(line, "the threshold is not all, any, or 1 to n"))?,
        };
        self.groups.push(Group {
            name: name.to_owned(),
            threshold,
            members: resolved,
        });
        Ok(())
    }

    /// Refuses a name already defined, or the reserved `none`.
    fn check_new_name(&self, line: usize, name: &str) -> Result<(), Error> {
        if name == "none" || self.lookup(name).is_some() {
            return Err(malformed(line, &format!("the name {name:?} is taken")));
        }
        Ok(())
    }

    fn lookup(&self, name: &str) -> Option<Member> {
        if let Some(i) = self.witnesses.iter().position(|w| w.name == name) {
            return Some(Member::Witness(i));
        }
        self.groups
            .iter()
            .position(|g| g.name == name)
            .map(Member::Group)
    }

    /// A name defined on an earlier line.
    fn member(&self, line: usize, name: &str) -> Result<Member, Error> {
        self.lookup(name)
            .ok_or_else(|| malformed(line, &format!("{name:?} is not defined above")))
    }

    /// The witnesses the policy names.
    pub fn witnesses(&self) -> &[Witness] {
        &self.witnesses
    }

    /// Checks a signed checkpoint against the policy: signed by one of its logs (by `log`
    /// when the policy lists none), and cosigned by a quorum of its witnesses. Returns the
    /// checkpoint and the names of the witnesses whose cosignatures are on it and valid. A
    /// checkpoint short of the quorum is refused naming every witness that did not cosign.
    pub fn check(
        &self,
        provider: &dyn SignatureVerifier,
        note: &str,
        log: &VerifierKey,
    ) -> Result<(Checkpoint, Vec<String>), Error> {
        let checkpoint = match self.logs.as_slice() {
            [] => verify_checkpoint(provider, note, log)?,
            logs => logs
                .iter()
                .find_map(|key| verify_checkpoint(provider, note, key).ok())
                .ok_or(Error::CheckpointLogNotInPolicy)?,
        };
        Ok((checkpoint, self.quorum(provider, note)?))
    }

    /// Checks the cosignatures alone on a checkpoint whose log signature the caller verified:
    /// the names of the witnesses whose valid cosignatures are on it if they make the quorum,
    /// otherwise [`Error::QuorumNotMet`] naming every witness that did not cosign.
    pub fn quorum(
        &self,
        provider: &dyn SignatureVerifier,
        note: &str,
    ) -> Result<Vec<String>, Error> {
        let cosigned: Vec<bool> = self
            .witnesses
            .iter()
            .map(|w| verify_cosignature(provider, note, &w.key).is_ok())
            .collect();
        let mut groups: Vec<bool> = Vec::with_capacity(self.groups.len());
        for group in &self.groups {
            let witnessed = group
                .members
                .iter()
                .filter(|member| match member {
                    Member::Witness(i) => cosigned[*i],
                    Member::Group(i) => groups[*i],
                })
                .count();
            groups.push(witnessed >= group.threshold);
        }
        let met = match self.quorum {
            None => true,
            Some(Member::Witness(i)) => cosigned[i],
            Some(Member::Group(i)) => groups[i],
        };
        let names = |want: bool| -> Vec<String> {
            self.witnesses
                .iter()
                .zip(&cosigned)
                .filter(|(_, c)| **c == want)
                .map(|(w, _)| w.name.clone())
                .collect()
        };
        match met {
            true => Ok(names(true)),
            false => Err(Error::QuorumNotMet {
                missing: names(false),
            }),
        }
    }
}

fn key_of(line: usize, text: &str, key_type: KeyType) -> Result<VerifierKey, Error> {
    let key = VerifierKey::parse(text).map_err(|e| malformed(line, &e.to_string()))?;
    if key.key_type() != key_type {
        return Err(malformed(
            line,
            match key_type {
                KeyType::Ed25519 => "a log's key must be of type 0x01",
                KeyType::Cosignature => "a witness's key must be of type 0x04 (cosignature/v1)",
            },
        ));
    }
    Ok(key)
}

fn malformed(line: usize, detail: &str) -> Error {
    Error::WitnessPolicyMalformed {
        line,
        detail: detail.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::{Signer as _, SigningKey};

    use super::*;
    use crate::cosignature::tests::witness;
    use crate::cosignature::{cosignature_line, message};
    use crate::crypto::AWS_LC;

    /// The log, six witnesses X1..X3 (seeds 11..13) and Y1..Y3 (21..23), and the
    /// specification's example policy over them: 2 of X and any of Y.
    struct World {
        log: (SigningKey, VerifierKey),
        witnesses: Vec<(SigningKey, VerifierKey)>,
        policy: String,
    }

    fn world() -> World {
        let log_signing = SigningKey::from_bytes(&[1; 32]);
        let log = VerifierKey::new(
            "registry.example/log",
            log_signing.verifying_key().to_bytes(),
        )
        .unwrap();
        let names = ["X1", "X2", "X3", "Y1", "Y2", "Y3"];
        let seeds = [11, 12, 13, 21, 22, 23];
        let witnesses: Vec<_> = names
            .iter()
            .zip(seeds)
            .map(|(name, seed)| witness(&format!("witness.example/{name}"), seed))
            .collect();
        let mut policy = format!("# the example of c2sp.org/tlog-policy\nlog {log}\n\n");
        for (name, (_, key)) in names.iter().zip(&witnesses) {
            policy.push_str(&format!("witness {name} {key}\n"));
        }
        policy.push_str("group X-witnesses 2 X1 X2 X3\n");
        policy.push_str("  group\tY-witnesses any Y1 Y2 Y3  \n");
        policy.push_str("group X-and-Y all X-witnesses Y-witnesses\nquorum X-and-Y\n");
        World {
            log: (log_signing, log),
            witnesses,
            policy,
        }
    }

    /// The checkpoint of 42 leaves signed by the log and cosigned by the witnesses numbered
    /// in `by`.
    fn cosigned(world: &World, by: &[usize]) -> String {
        cosigned_at(world, by, 42)
    }

    fn cosigned_at(world: &World, by: &[usize], size: u64) -> String {
        let body = Checkpoint {
            origin: "registry.example/log".into(),
            size,
            root: [9; 32],
        }
        .body();
        let (log_signing, log) = &world.log;
        let signature = log_signing.sign(body.as_bytes()).to_bytes();
        let mut note = format!("{body}\n{}", log.signature_line(&signature));
        for &i in by {
            let (signing, key) = &world.witnesses[i];
            let signature = signing.sign(message(&body, 1_765_000_000).as_bytes());
            note.push_str(&cosignature_line(key, 1_765_000_000, &signature.to_bytes()));
        }
        note
    }

    #[test]
    fn a_quorum_of_two_x_and_any_y_is_met_and_named() {
        let world = world();
        let policy = WitnessPolicy::parse(&world.policy).unwrap();
        assert_eq!(policy.witnesses().len(), 6);
        let (checkpoint, by) = policy
            .check(&AWS_LC, &cosigned(&world, &[0, 2, 4]), &world.log.1)
            .unwrap();
        assert_eq!(checkpoint.size, 42);
        assert_eq!(by, ["X1", "X3", "Y2"]);
    }

    /// Short of the quorum, the refusal names every witness that did not cosign; a witness's
    /// cosignature over another checkpoint counts for nothing.
    #[test]
    fn short_of_the_quorum_the_missing_witnesses_are_named() {
        let world = world();
        let policy = WitnessPolicy::parse(&world.policy).unwrap();
        for (by, missing) in [
            (&[0, 1][..], vec!["X3", "Y1", "Y2", "Y3"]),
            (&[0, 3, 4, 5][..], vec!["X2", "X3"]),
            (&[][..], vec!["X1", "X2", "X3", "Y1", "Y2", "Y3"]),
        ] {
            assert_eq!(
                policy.check(&AWS_LC, &cosigned(&world, by), &world.log.1),
                Err(Error::QuorumNotMet {
                    missing: missing.iter().map(ToString::to_string).collect()
                }),
                "cosigned by {by:?}"
            );
        }
        // X2's cosignature of 42 leaves moved onto the log's checkpoint of 43: invalid there,
        // so X2 is missing and the quorum is not met.
        let of_42 = cosigned(&world, &[0, 1, 3]);
        let x2_line = of_42
            .lines()
            .find(|l| l.contains("witness.example/X2"))
            .unwrap();
        let forged = format!("{}{x2_line}\n", cosigned_at(&world, &[0, 3], 43));
        assert_eq!(
            policy.check(&AWS_LC, &forged, &world.log.1),
            Err(Error::QuorumNotMet {
                missing: ["X2", "X3", "Y2", "Y3"].map(String::from).to_vec()
            })
        );
    }

    /// The policy's logs decide whose checkpoint it is; `quorum none` needs no witness.
    #[test]
    fn the_policys_logs_and_a_quorum_of_none() {
        let world = world();
        let (_, stranger) = witness("registry.example/log", 99);
        let stranger = VerifierKey::new("registry.example/log", *stranger.public_key()).unwrap();
        let policy = WitnessPolicy::parse(&world.policy).unwrap();
        // The caller's key is not asked when the policy lists logs: the listed log signed it.
        assert!(
            policy
                .check(&AWS_LC, &cosigned(&world, &[0, 1, 3]), &stranger)
                .is_ok()
        );
        let unlisted = world
            .policy
            .replace(&format!("log {}", world.log.1), &format!("log {stranger}"));
        assert_eq!(
            WitnessPolicy::parse(&unlisted).unwrap().check(
                &AWS_LC,
                &cosigned(&world, &[0, 1, 3]),
                &world.log.1
            ),
            Err(Error::CheckpointLogNotInPolicy)
        );
        let none = WitnessPolicy::parse("quorum none\n").unwrap();
        assert!(
            none.check(&AWS_LC, &cosigned(&world, &[]), &world.log.1)
                .is_ok()
        );
        assert!(
            none.check(&AWS_LC, &cosigned(&world, &[]), &stranger)
                .is_err()
        );
    }

    #[test]
    fn every_departure_from_the_format_is_refused_with_its_line() {
        let world = world();
        let (_, x1) = &world.witnesses[0];
        let (_, y1) = &world.witnesses[3];
        let log = &world.log.1;
        let cases = [
            (format!("witness A {x1}\nquorum B\n"), 2),
            (format!("witness A {x1}\ngroup G 2 A\nquorum G\n"), 2),
            (format!("witness A {x1}\ngroup G 0 A\nquorum G\n"), 2),
            (format!("witness A {x1}\ngroup G 01 A\nquorum G\n"), 2),
            (format!("witness A {x1}\ngroup G any A A\nquorum G\n"), 2),
            (format!("witness A {x1}\ngroup G any\nquorum G\n"), 2),
            (format!("group G any A\nwitness A {x1}\nquorum G\n"), 1),
            (format!("witness A {x1}\nwitness A {y1}\nquorum A\n"), 2),
            (format!("witness A {x1}\nwitness B {x1}\nquorum A\n"), 2),
            (format!("witness none {x1}\nquorum none\n"), 1),
            (format!("witness A {log}\nquorum A\n"), 1),
            (format!("log {x1}\nquorum none\n"), 1),
            (format!("log {log}\nlog {log}\nquorum none\n"), 2),
            (format!("witness A {x1}\nquorum A\nquorum A\n"), 3),
            (format!("witness A {x1}\n"), 0),
            (format!("witness A {x1} http://a http://b\nquorum A\n"), 1),
            (format!("witness A {x1}\nquorum A\r\n"), 2),
            ("witnes A key\nquorum none\n".to_owned(), 1),
            ("witness A not-a-key\nquorum none\n".to_owned(), 1),
            (
                "quorum none\n#".to_owned() + &"#".repeat(MAX_POLICY_BYTES),
                0,
            ),
        ];
        for (text, line) in cases {
            match WitnessPolicy::parse(&text) {
                Err(Error::WitnessPolicyMalformed { line: at, .. }) => {
                    assert_eq!(at, line, "{text}")
                }
                other => panic!("{text}: {other:?}"),
            }
        }
        // Groups of groups, names of any bytes but whitespace, a URL, comments: accepted.
        let fine = format!(
            "# c\nwitness 証人 {x1} https://w.example/\nwitness B {y1}\ngroup G any 証人\n\
             group H all G B\nquorum H\n"
        );
        assert!(WitnessPolicy::parse(&fine).is_ok());
    }
}
