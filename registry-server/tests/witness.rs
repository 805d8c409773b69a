//! The registry with real witnesses (`eproxy-witness` processes): its checkpoints cosigned and
//! published with their cosignatures, registration going on while a witness is down, and the
//! split view (the operator's key signing a second history) refused by the witnesses and by a
//! counterparty that requires their quorum.

use eproxy_http::client::{Request, exchange};
use eproxy_testkit::registry::*;
use eproxy_verifier::Error;
use eproxy_verifier::add_checkpoint::AddCheckpoint;

/// The registry's witnesses are W1 and W2; a counterparty's policy may also name W3, whom the
/// registry never asks.
const W1: (&str, u8) = ("witness.eproxy.test/w1", 41);
const W2: (&str, u8) = ("witness.eproxy.test/w2", 42);
const W3: (&str, u8) = ("witness.eproxy.test/w3", 43);

/// `config` with `witnesses` asked every second.
fn asking(config: String, witnesses: &[WitnessServer]) -> String {
    let listed: Vec<String> = witnesses
        .iter()
        .map(|w| format!("{{ url = \"{}\", key = \"{}\" }}", w.url, w.key))
        .collect();
    config
        .replace(
            "witnesses = []",
            &format!("witnesses = [{}]", listed.join(", ")),
        )
        .replace(
            "witness_interval_seconds = 10",
            "witness_interval_seconds = 1",
        )
}

/// A registry, and W1 and W2 witnessing its log from its first checkpoint.
fn witnessed_registry() -> (Registry, Vec<WitnessServer>) {
    let mut witnesses = Vec::new();
    let registry = Registry::start_with(|data, config| {
        let text = std::fs::read_to_string(data.join("operator.vkey")).unwrap();
        let log = VerifierKey::parse(text.trim()).unwrap();
        witnesses = [W1, W2]
            .into_iter()
            .map(|(name, seed)| WitnessServer::start(name, seed, &log))
            .collect();
        asking(config, &witnesses)
    });
    (registry, witnesses)
}

/// The tlog-policy text requiring `k` of the witnesses `names` (W1..W3).
fn policy(registry: &Registry, k: usize) -> WitnessPolicy {
    let mut text = format!("log {}\n", registry.verifier_key());
    for (i, (name, seed)) in [W1, W2, W3].into_iter().enumerate() {
        let key = eproxy_testkit::witness::TestWitness::new(name, seed);
        text.push_str(&format!("witness W{} {}\n", i + 1, key.key()));
    }
    text.push_str(&format!("group G {k} W1 W2 W3\nquorum G\n"));
    WitnessPolicy::parse(&text).unwrap()
}

/// The cosigned checkpoint once it covers `size` leaves (within 15 s).
async fn cosigned_at_least(registry: &Registry, size: u64) -> String {
    let key = registry.verifier_key();
    for _ in 0..150 {
        let answer = registry
            .log()
            .await
            .get_checkpoint(GetCheckpointRequest {})
            .await
            .unwrap()
            .into_inner();
        if !answer.cosigned_checkpoint.is_empty() {
            let checkpoint = verify_checkpoint(&AWS_LC, &answer.cosigned_checkpoint, &key).unwrap();
            if checkpoint.size >= size {
                return answer.cosigned_checkpoint;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no checkpoint of {size} leaves was cosigned within 15 s");
}

#[tokio::test]
async fn witnesses_cosign_what_the_registry_publishes_and_the_quorum_is_checked() {
    let (mut registry, mut witnesses) = witnessed_registry();
    let root = poa(&pki().employee, sub_agents());
    let root_id = DelegationId::of_cms(&root);
    registry.submit(&root).await.unwrap();

    let cosigned = cosigned_at_least(&registry, 1).await;
    let (checkpoint, cosigners) = policy(&registry, 2)
        .check(&AWS_LC, &cosigned, &registry.verifier_key())
        .unwrap();
    assert_eq!(checkpoint.size, 1);
    assert_eq!(cosigners, ["W1", "W2"]);
    // The tiles publish the cosigned checkpoint; the metrics count its size.
    let served = http_get(registry.tiles.trim_start_matches("http://"), "/checkpoint");
    assert_eq!(ok_body(&served).unwrap(), cosigned.as_bytes());
    assert_eq!(
        metric(
            &scrape(&registry.metrics),
            "eproxy_cosigned_checkpoint_size"
        ),
        Some(1)
    );
    // Each witness recorded what it cosigned.
    for witness in &witnesses {
        let state = std::fs::read_dir(witness.dir.path().join("state"))
            .unwrap()
            .count();
        assert_eq!(state, 2, "its record and its directory of refused requests");
    }

    // The evidence carries the cosigned checkpoint: 2 of 3 is met, 3 of 3 is not, naming W3.
    let mut terms = scenario::terms(&root);
    let signed_at = UnixTime::from_seconds(unix_now());
    terms.signing_time_claimed = signed_at;
    let contract = scenario::contract(&pki().employee, &terms, None).unwrap();
    let bundle = registry
        .evidence(&root_id, Some(Entitlement::ContractCms(contract.clone())))
        .await
        .unwrap();
    let key = registry.verifier_key();
    let verdict =
        verify_offline_witnessed(policy(&registry, 2), &contract, &bundle, &key, signed_at);
    assert!(verdict.accepted(), "{verdict:#?}");
    let verdict =
        verify_offline_witnessed(policy(&registry, 3), &contract, &bundle, &key, signed_at);
    assert_eq!(
        verdict.reasons,
        [Reason::Evidence(Error::QuorumNotMet {
            missing: vec!["W3".into()]
        })]
    );

    // W2 goes down: registration goes on, and W1 alone cosigns the next checkpoints.
    drop(witnesses.remove(1));
    for i in 0..3 {
        registry
            .submit(&distinct_poa(format!("while W2 is down {i}")))
            .await
            .unwrap();
    }
    let cosigned = cosigned_at_least(&registry, 4).await;
    let error = policy(&registry, 2)
        .check(&AWS_LC, &cosigned, &registry.verifier_key())
        .unwrap_err();
    assert_eq!(
        error,
        Error::QuorumNotMet {
            missing: vec!["W2".into(), "W3".into()]
        }
    );
    let (_, cosigners) = policy(&registry, 1)
        .check(&AWS_LC, &cosigned, &registry.verifier_key())
        .unwrap();
    assert_eq!(cosigners, ["W1"]);

    // Restarted, the registry no longer knows what W1 cosigned: W1 answers with its size (409)
    // and the registry asks again from there.
    registry.stop().await;
    registry.serve();
    registry
        .submit(&distinct_poa("after a restart".into()))
        .await
        .unwrap();
    let cosigned = cosigned_at_least(&registry, 5).await;
    let (_, cosigners) = policy(&registry, 1)
        .check(&AWS_LC, &cosigned, &registry.verifier_key())
        .unwrap();
    assert_eq!(cosigners, ["W1"]);
}

/// The split view: a second registry holding the first's key signs another history. The
/// witnesses, who cosigned the first, refuse it (the same size with another root: 409; grown
/// from it: 422, the consistency proof failing), keep the refused requests, and a counterparty
/// requiring 2 of 3 rejects evidence built on the second history.
#[tokio::test]
async fn a_second_history_under_the_same_key_is_refused() {
    let (honest, witnesses) = witnessed_registry();
    honest
        .submit(&distinct_poa("the honest history".into()))
        .await
        .unwrap();
    cosigned_at_least(&honest, 1).await;

    let forked = Registry::start_with(|data, config| {
        for file in ["operator-key.pem", "operator.vkey"] {
            std::fs::copy(honest.data_dir().join(file), data.join(file)).unwrap();
        }
        // An operator forking its log on purpose first disables the checkpoint mirror, which
        // refuses exactly that.
        asking(config, &witnesses).replace(
            "checkpoint_mirror = \"../eproxy-checkpoints\"",
            "checkpoint_mirror = \"\"",
        )
    });
    let root = poa(&pki().employee, sub_agents());
    let root_id = DelegationId::of_cms(&root);
    forked.submit(&root).await.unwrap();
    forked
        .submit(&distinct_poa("the forked history".into()))
        .await
        .unwrap();
    let mut log = forked.log().await;
    let checkpoint = loop {
        let note = log
            .get_checkpoint(GetCheckpointRequest {})
            .await
            .unwrap()
            .into_inner()
            .checkpoint;
        if verify_checkpoint(&AWS_LC, &note, &forked.verifier_key())
            .unwrap()
            .size
            == 2
        {
            break note;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    // Asked directly, as the forked registry asks them: from size 1, which they cosigned in the
    // honest history, to the forked size 2.
    let proof = log
        .get_consistency_proof(GetConsistencyProofRequest {
            old_size: 1,
            new_size: 2,
        })
        .await
        .unwrap()
        .into_inner()
        .hashes;
    let body = AddCheckpoint {
        old_size: 1,
        proof: to_hashes(&proof),
        checkpoint: &checkpoint,
    }
    .encode();
    for witness in &witnesses {
        let request = Request::Post {
            content_type: "text/plain",
            body: body.clone().into_bytes(),
        };
        let answer = exchange(&witness.url, request, 4096, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(
            answer.status,
            422,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
        let refused = std::fs::read_dir(witness.dir.path().join("state/refused")).unwrap();
        assert!(refused.count() >= 1, "the refused request is kept");
    }

    // The forked registry's own rounds get no cosignature, and its evidence fails the quorum.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(
        metric(&scrape(&forked.metrics), "eproxy_cosigned_checkpoint_size"),
        Some(0)
    );
    let mut terms = scenario::terms(&root);
    let signed_at = UnixTime::from_seconds(unix_now());
    terms.signing_time_claimed = signed_at;
    let contract = scenario::contract(&pki().employee, &terms, None).unwrap();
    let bundle = forked
        .evidence(&root_id, Some(Entitlement::ContractCms(contract.clone())))
        .await
        .unwrap();
    let key = forked.verifier_key();
    let verdict = verify_offline(&contract, &bundle, &key, signed_at);
    assert!(
        verdict.accepted(),
        "without witnesses the fork passes: {verdict:#?}"
    );
    let verdict = verify_offline_witnessed(policy(&forked, 2), &contract, &bundle, &key, signed_at);
    assert_eq!(
        verdict.reasons,
        [Reason::Evidence(Error::QuorumNotMet {
            missing: vec!["W1".into(), "W2".into(), "W3".into()]
        })]
    );
    // The honest log goes on being cosigned.
    honest
        .submit(&distinct_poa("the honest history, later".into()))
        .await
        .unwrap();
    cosigned_at_least(&honest, 2).await;
}
