//! A registry on several machines, failing as it will. On this one machine: 3 etcd members and
//! 3 PostgreSQL nodes under Patroni in synchronous_mode_strict (`tests/ha/cluster`), 2 registry
//! nodes on them, clients that submit, revoke and read throughout, and faults at random
//! moments, cycled:
//!
//! - the PostgreSQL primary's machine dies (Patroni and PostgreSQL SIGKILLed);
//! - the writer registry node dies (SIGKILL), and is started again;
//! - the writer registry node stalls (SIGSTOP) past its lease, then wakes;
//! - the PostgreSQL primary's machine stops answering (every process SIGSTOPped, its
//!   connections left open: what a partition looks like from here, where the nodes share
//!   loopback), and its watchdog resets it before the leader key's TTL runs out, as Patroni's
//!   watchdog does in production;
//! - the same without a watchdog: the machine comes back as it was, a primary still until
//!   its Patroni learns that a standby was promoted, holding commits that no standby has;
//! - the PostgreSQL primary's machine cut off the network (its link down, every process
//!   running), then joined again: where the cluster's members are hosts of their own (network
//!   namespaces, as root), not on loopback.
//!
//! Each node reads public statuses from its own nearest database server, whatever its role
//! (`database_read_url`), and a reader asks the nodes for revoked PoAs' statuses throughout.
//!
//! After each fault: every acknowledged registration and revocation is at its place with its
//! status (a revocation shown within 15 s, and until then only under a log size that does not
//! cover it), every checkpoint any node ever returned is consistent with the latest, and no two
//! checkpoints of one size differ; at the end the audit trail has every acknowledged write, and
//! no status statement ever showed a revocation undone.
//! The time from each fault to the next acknowledged submission is reported. Before each fault
//! the cluster is whole again; a database member that still does not stream from the primary
//! 20 s after the last fault is reinitialised, as the README tells the operator to, and counted.
//!
//! `EPROXY_HA_FAULTS` sets how many faults (default one of each kind), taken in turn from the
//! kinds numbered in `EPROXY_HA_KINDS` (1 to 6 in the order above, comma-separated; default all
//! the cluster can have), and `EPROXY_HA_SEED` the seed of the moments.

use std::collections::{BTreeMap, HashMap};
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use eproxy_testkit::registry::process::{self, free_port};
use eproxy_testkit::registry::*;

/// The registry nodes' writer lease, milliseconds.
const LEASE_MS: u64 = 2_000;

/// The database cluster, stopped when dropped.
struct Cluster {
    dir: tempfile::TempDir,
    url: String,
}

impl Cluster {
    fn script() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/ha/cluster")
    }

    fn start() -> Self {
        // EPROXY_HA_KEEP=1 keeps the directory, with every process's log, for a post-mortem.
        let dir = tempfile::Builder::new()
            .prefix("eproxy-ha-")
            .disable_cleanup(std::env::var_os("EPROXY_HA_KEEP").is_some())
            .tempdir()
            .unwrap();
        eprintln!("the cluster is in {}", dir.path().display());
        let base = free_base();
        let output = Command::new(Self::script())
            .arg("start")
            .arg(dir.path())
            .arg(base.to_string())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "the cluster did not start: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let url = String::from_utf8(output.stdout).unwrap().trim().to_owned();
        Self { dir, url }
    }

    fn run(&self, args: &[&str]) -> Output {
        let output = Command::new(Self::script())
            .arg(args[0])
            .arg(self.dir.path())
            .args(&args[1..])
            .output()
            .unwrap();
        assert!(output.status.success(), "cluster {args:?} failed");
        output
    }

    /// Waits (up to 90 s) until the cluster may lose a machine: all three members running, a
    /// synchronous standby caught up (in synchronous_mode_strict, a primary lost without one
    /// is not replaced: no standby is known to hold every acknowledged commit).
    ///
    /// A member that still does not stream from the primary after 20 s is reinitialised (once
    /// per wait), as the README tells the operator to, and waited for 90 s more: Patroni 3.0.2
    /// may leave a primary cut off the network running, unknown to it, on a timeline the new
    /// primary forked off (seen here). Returns how many were.
    fn until_healthy(&self) -> usize {
        let mut since = Instant::now();
        let mut reinitialised = std::collections::HashSet::new();
        loop {
            let healthy = Command::new(Self::script())
                .arg("healthy")
                .arg(self.dir.path())
                .status()
                .unwrap()
                .success();
            if healthy {
                return reinitialised.len();
            }
            if since.elapsed() > Duration::from_secs(20) {
                let stranded = String::from_utf8(self.run(&["stranded"]).stdout).unwrap();
                for member in stranded.split_whitespace() {
                    if reinitialised.insert(member.to_owned()) {
                        eprintln!(
                            "member {member} does not stream from the primary: reinitialised"
                        );
                        self.run(&["reinit", member]);
                        since = Instant::now();
                    }
                }
            }
            assert!(
                since.elapsed() < Duration::from_secs(90),
                "the database cluster is not whole again within 90 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Whether each member is a host of its own (a network namespace), so that one can be cut
    /// off the network.
    fn namespaced(&self) -> bool {
        Command::new(Self::script())
            .arg("namespaced")
            .arg(self.dir.path())
            .status()
            .unwrap()
            .success()
    }

    /// The primary member, once there is one (up to 30 s).
    fn primary(&self) -> String {
        for _ in 0..300 {
            let output = Command::new(Self::script())
                .arg("primary")
                .arg(self.dir.path())
                .output()
                .unwrap();
            if output.status.success() {
                return String::from_utf8(output.stdout).unwrap().trim().to_owned();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("no primary within 30 s");
    }
}

/// A base port whose cluster ports (BASE+10 to BASE+33) are all free now, from 10,000 to
/// 19,999: below the range the kernel hands out to outgoing connections (from 32768), where a
/// port free now may be taken by a connection before the cluster binds it, and below the
/// registry nodes' ports (`process::free_port`).
fn free_base() -> u16 {
    let mut candidate = 10_000 + (std::process::id() % 100) as u16 * 100;
    loop {
        let free = (1..=3).all(|member| {
            (0..4).all(|offset| {
                std::net::TcpListener::bind(("127.0.0.1", candidate + 10 * member + offset)).is_ok()
            })
        });
        if free {
            return candidate;
        }
        candidate = if candidate >= 19_800 {
            10_000
        } else {
            candidate + 100
        };
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(Self::script())
            .arg("stop")
            .arg(self.dir.path())
            .status();
    }
}

/// What the clients were told, and saw.
#[derive(Default)]
struct Seen {
    /// Acknowledged registrations: delegation id → (log index, CMS).
    registered: BTreeMap<DelegationId, u64>,
    /// Acknowledged revocations, each with the log size the writer's answer named: the
    /// revocation is among that many leaves.
    revoked: Vec<(DelegationId, u64)>,
    /// Public status lookups answered (by a node reading a hot standby) and refused or unanswered.
    lookups: (u64, u64),
    /// The longest time no node answered a status lookup.
    lookups_gap: Duration,
    /// Statements that showed a revoked PoA active under a log size that covers its
    /// revocation, if ever seen.
    stale: Vec<String>,
    /// Every verified checkpoint any node returned: size → root.
    checkpoints: BTreeMap<u64, Hash>,
    /// The sizes of those not yet proven consistent with a latest checkpoint.
    unproven: std::collections::BTreeSet<u64>,
    /// The latest checkpoint the last check proved the others against: proven consistent with
    /// the next, it carries them along (consistency is transitive), so each checkpoint seen is
    /// proven once however many checks follow.
    proven_against: Option<(u64, Hash)>,
    /// Two checkpoints of one size with two roots, if ever seen.
    forks: Vec<String>,
}

/// A registry node on the cluster.
fn node(cluster: &Cluster, name: &str, key_of: Option<&Registry>) -> Registry {
    let port = free_port();
    Registry::start_on(
        &std::env::temp_dir(),
        &format!("127.0.0.1:{port}"),
        Some(cluster.dir.path().join(format!("registry-{name}.log"))),
        |data, config| {
            if let Some(other) = key_of {
                for file in ["operator-key.pem", "operator.vkey"] {
                    std::fs::copy(other.data_dir().join(file), data.join(file)).unwrap();
                }
            }
            let config =
                process::shared_node_config(&config, &cluster.url, name, port, LEASE_MS, "");
            let nearest_first = read_url(&cluster.url, usize::from(name.as_bytes()[0]));
            config.replace(
                "database_read_url = \"\"",
                &format!("database_read_url = {nearest_first:?}"),
            )
        },
    )
}

/// The URL a node reads public statuses from: the cluster's hosts from the `turn`th on (each
/// node has its own nearest), whichever role each has.
fn read_url(url: &str, turn: usize) -> String {
    let (scheme, rest) = url.split_once('@').unwrap();
    let (hosts, path) = rest.split_once('/').unwrap();
    let mut hosts: Vec<&str> = hosts.split(',').collect();
    let len = hosts.len();
    hosts.rotate_left(turn % len);
    let path = path.replace(
        "target_session_attrs=read-write",
        "target_session_attrs=any",
    );
    format!("{scheme}@{}/{path}", hosts.join(","))
}

/// The status of `id` from `address`, its statement verified: the log size it speaks for and
/// whether it shows the PoA revoked; `None` if the node did not answer in time or refused.
async fn status_at(address: &str, key: &VerifierKey, id: &DelegationId) -> Option<(u64, bool)> {
    let answer = tokio::time::timeout(CLIENT_PATIENCE, async {
        let mut client = RegistryClient::connect(address.to_owned()).await.ok()?;
        client
            .get_status(GetStatusRequest {
                delegation_id: id.to_string(),
            })
            .await
            .ok()?
            .into_inner()
            .status
    })
    .await
    .ok()??;
    let (statement, status) = verify_status_statement(&AWS_LC, &answer, key, ORIGIN)
        .expect("every status statement verifies under the operator's key");
    Some((
        statement.log_size,
        matches!(status.status, RegistryStatus::Revoked { .. }),
    ))
}

/// Whether a statement that `id` is in force (not revoked) under `log_size` leaves contradicts
/// its revocation, acknowledged under `acknowledged` leaves: it may be older, never newer.
fn stale(id: &DelegationId, acknowledged: u64, log_size: u64, revoked: bool) -> Option<String> {
    (!revoked && log_size >= acknowledged).then(|| {
        format!("{id} shown in force at log size {log_size}, revoked within {acknowledged}")
    })
}

/// Asks each node in turn for the status of a PoA revoked earlier, every 50 ms, until `stop`:
/// counts the answers and the longest time without one, and records any statement that shows
/// a revocation undone.
async fn status_reader(
    addresses: Arc<Vec<String>>,
    key: VerifierKey,
    seen: Arc<Mutex<Seen>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    use std::sync::atomic::Ordering;
    let mut last_answer = Instant::now();
    let mut turn = 0usize;
    while !stop.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let picked = {
            let seen = seen.lock().unwrap();
            let count = seen.revoked.len();
            (count > 0).then(|| seen.revoked[turn % count])
        };
        let Some((id, acknowledged)) = picked else {
            continue;
        };
        let address = &addresses[turn % addresses.len()];
        turn += 1;
        let answer = status_at(address, &key, &id).await;
        let mut seen = seen.lock().unwrap();
        match answer {
            Some((log_size, revoked)) => {
                seen.lookups.0 += 1;
                seen.lookups_gap = seen.lookups_gap.max(last_answer.elapsed());
                last_answer = Instant::now();
                if let Some(lie) = stale(&id, acknowledged, log_size, revoked) {
                    seen.stale.push(lie);
                }
            }
            None => seen.lookups.1 += 1,
        }
    }
}

/// A fresh PoA: `n` makes it unique.
fn fresh_poa(n: u64) -> Vec<u8> {
    distinct_poa(format!("HA PoA {n}"))
}

/// How long a client waits for a node's answer before it tries the next: a stalled node
/// accepts connections and answers nothing.
const CLIENT_PATIENCE: Duration = Duration::from_secs(2);

/// Sends `call` to each address in turn until one answers other than UNAVAILABLE (a follower
/// or a node without a database) within [`CLIENT_PATIENCE`]; `None` if none did.
async fn to_any<T, F, Fut>(addresses: &[String], call: F) -> Option<Result<T, tonic::Status>>
where
    F: Fn(RegistryClient<Channel>) -> Fut,
    Fut: std::future::Future<Output = Result<T, tonic::Status>>,
{
    for address in addresses {
        let Ok(Ok(client)) = tokio::time::timeout(
            Duration::from_secs(2),
            RegistryClient::connect(address.clone()),
        )
        .await
        else {
            continue;
        };
        match tokio::time::timeout(CLIENT_PATIENCE, call(client)).await {
            Ok(Err(status)) if status.code() == Code::Unavailable => continue,
            Ok(answer) => return Some(answer),
            Err(_) => continue, // no answer in time: a stalled node
        }
    }
    None
}

/// Submits fresh PoAs and revokes every fifth, through whichever node writes, recording what
/// was acknowledged, until `stop`.
async fn writer_client(
    addresses: Arc<Vec<String>>,
    key: VerifierKey,
    seen: Arc<Mutex<Seen>>,
    next: Arc<std::sync::atomic::AtomicU64>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    use std::sync::atomic::Ordering;
    while !stop.load(Ordering::SeqCst) {
        let n = next.fetch_add(1, Ordering::SeqCst);
        let cms = fresh_poa(n);
        let id = DelegationId::of_cms(&cms);
        let answer = to_any(&addresses, |mut client| {
            let cms = cms.clone();
            async move { try_submit(&mut client, cms).await }
        })
        .await;
        let Some(Ok(response)) = answer else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let signed = response.receipt.unwrap();
        let receipt = eproxy_verifier::evidence::verify_receipt(&AWS_LC, &signed, &key, ORIGIN)
            .expect("every receipt verifies under the operator's key");
        assert_eq!(receipt.delegation_id, id);
        seen.lock()
            .unwrap()
            .registered
            .insert(id, receipt.log_index);
        if n.is_multiple_of(5) {
            let request = revocation(&pki().representative, id, 0, |request| {
                request.nonce = format!("ha-revoke-{n:07}").into_bytes();
            });
            let answer = to_any(&addresses, |mut client| {
                let request = request.clone();
                async move {
                    client
                        .revoke_delegation(RevokeDelegationRequest {
                            request_cms: request,
                            crls: Vec::new(),
                        })
                        .await
                }
            })
            .await;
            if let Some(Ok(response)) = answer {
                let (statement, _) = verify_status_statement(
                    &AWS_LC,
                    response.get_ref().status.as_ref().unwrap(),
                    &key,
                    ORIGIN,
                )
                .expect("every status statement verifies under the operator's key");
                seen.lock().unwrap().revoked.push((id, statement.log_size));
            }
        }
    }
}

/// Reads every node's checkpoint, verified, every 100 ms, recording each (size, root) and any
/// two of one size with two roots, until `stop`.
async fn checkpoint_reader(
    addresses: Arc<Vec<String>>,
    key: VerifierKey,
    seen: Arc<Mutex<Seen>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    use std::sync::atomic::Ordering;
    while !stop.load(Ordering::SeqCst) {
        for address in addresses.iter() {
            let answer = tokio::time::timeout(Duration::from_secs(2), async {
                let mut client = TransparencyLogClient::connect(address.clone()).await.ok()?;
                client
                    .get_checkpoint(GetCheckpointRequest {})
                    .await
                    .ok()
                    .map(|r| r.into_inner().checkpoint)
            })
            .await;
            let Ok(Some(note)) = answer else { continue };
            let checkpoint = verify_checkpoint(&AWS_LC, &note, &key)
                .expect("every checkpoint verifies under the operator's key");
            let mut seen = seen.lock().unwrap();
            match seen.checkpoints.get(&checkpoint.size) {
                Some(root) if *root != checkpoint.root => {
                    let fork = format!("two checkpoints of size {}", checkpoint.size);
                    seen.forks.push(fork);
                }
                Some(_) => {}
                None => {
                    seen.checkpoints.insert(checkpoint.size, checkpoint.root);
                    seen.unproven.insert(checkpoint.size);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The time until a fresh PoA is acknowledged through any node (up to 60 s).
async fn time_to_write(addresses: &[String], n: u64) -> f64 {
    let start = Instant::now();
    let cms = fresh_poa(n);
    loop {
        let answer = to_any(addresses, |mut client| {
            let cms = cms.clone();
            async move { try_submit(&mut client, cms).await }
        })
        .await;
        match answer {
            Some(Ok(_)) => return start.elapsed().as_secs_f64(),
            Some(Err(status)) if status.code() != Code::DeadlineExceeded => {
                panic!("the write was refused: {status:?}")
            }
            _ => {}
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no write was acknowledged within 60 s of the fault"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The writer node among `nodes`, by its metrics (up to 30 s).
async fn writer_of(nodes: &[Registry]) -> usize {
    for _ in 0..300 {
        for (i, node) in nodes.iter().enumerate() {
            if node.process.is_some()
                && scrape(&node.metrics)
                    .lines()
                    .any(|line| line == "eproxy_writer 1")
            {
                return i;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no registry node writes within 30 s");
}

/// A node serving a checkpoint of at least `size` leaves, and that checkpoint, within 30 s
/// (the role may move meanwhile: a claim given up on by its node may still land); a write
/// acknowledged and then lost would leave none.
async fn covering(nodes: &[Registry], size: u64) -> (&Registry, Checkpoint) {
    for _ in 0..300 {
        for node in nodes.iter().filter(|node| node.process.is_some()) {
            let answer = tokio::time::timeout(CLIENT_PATIENCE, node.checkpoint()).await;
            if let Ok((checkpoint, _)) = answer
                && checkpoint.size >= size
            {
                return (node, checkpoint);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no node serves a checkpoint covering the {size} leaves acknowledged, within 30 s");
}

/// Every acknowledged registration at its index with its status, and every checkpoint seen
/// consistent with the latest, read through a node whose checkpoint covers them all; no fork
/// seen.
async fn check_promises(nodes: &[Registry], seen: &Mutex<Seen>) -> usize {
    let (registered, revoked, checkpoints, forks, unproven, proven_against) = {
        let mut seen = seen.lock().unwrap();
        (
            seen.registered.clone(),
            seen.revoked.clone(),
            seen.checkpoints.clone(),
            seen.forks.clone(),
            std::mem::take(&mut seen.unproven),
            seen.proven_against,
        )
    };
    assert!(forks.is_empty(), "{forks:?}");
    // At least as large as the latest of the last check, which must be consistent with it.
    let latest_size = registered
        .values()
        .max()
        .map_or(0, |index| index + 1)
        .max(proven_against.map_or(0, |(size, _)| size));
    let (node, latest) = covering(nodes, latest_size).await;
    let mut leaves = Vec::new();
    while (leaves.len() as u64) < latest.size {
        let start = leaves.len() as u64;
        let end = (start + 1_000).min(latest.size);
        leaves.extend(node.leaves(start, end).await);
    }
    for (id, index) in &registered {
        let event = LogEvent::decode(leaves[*index as usize].as_slice()).unwrap();
        assert_eq!(
            event.delegation_id,
            id.as_bytes(),
            "the registration acknowledged at index {index} is not there"
        );
    }
    // Statuses are read from the node's nearest database server, a standby perhaps still
    // replaying: each revocation is shown within 15 s, and until then only under a log size
    // that does not cover it.
    let key = node.verifier_key();
    for (id, acknowledged) in &revoked {
        let start = Instant::now();
        loop {
            if let Some((log_size, revoked)) = status_at(&node.address, &key, id).await {
                if let Some(lie) = stale(id, *acknowledged, log_size, revoked) {
                    panic!("{lie}");
                }
                if revoked {
                    break;
                }
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "an acknowledged revocation of {id} is not shown within 15 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let to_prove = unproven
        .iter()
        .filter(|size| (1..=latest.size).contains(*size))
        .map(|size| (*size, checkpoints[size]))
        .chain(proven_against.filter(|(size, _)| *size >= 1));
    for (size, root) in to_prove {
        assert!(
            node.proves_consistent(size, &root, &latest).await,
            "the checkpoint of {size} leaves is not consistent with the latest ({})",
            latest.size
        );
    }
    let mut seen = seen.lock().unwrap();
    // Checkpoints seen beyond the latest wait for the next check.
    seen.unproven
        .extend(unproven.into_iter().filter(|size| *size > latest.size));
    seen.proven_against = Some((latest.size, latest.root));
    registered.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_and_checkpoints_survive_every_fault() {
    use std::sync::atomic::{AtomicBool, AtomicU64};
    let mut seed: u64 = std::env::var("EPROXY_HA_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2026);
    let mut random = move |below: u64| {
        // xorshift: the moments, repeatable from the seed.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % below
    };

    let cluster = Arc::new(Cluster::start());
    let first = node(&cluster, "a", None);
    let second = node(&cluster, "b", Some(&first));
    let mut nodes = vec![first, second];
    let key = nodes[0].verifier_key();
    let addresses = Arc::new(nodes.iter().map(|n| n.address.clone()).collect::<Vec<_>>());
    let seen = Arc::new(Mutex::new(Seen::default()));
    let next = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    time_to_write(&addresses, 1 << 40).await;
    // Every node's metrics show the primary's standbys, the synchronous one among them, and
    // how far behind each is.
    for node in &nodes {
        let page = scrape(&node.metrics);
        assert_eq!(metric(&page, "eproxy_database_standbys"), Some(2), "{page}");
        let lags: Vec<_> = page
            .lines()
            .filter(|l| l.starts_with("eproxy_database_replication_lag_bytes{"))
            .collect();
        assert_eq!(lags.len(), 2, "{page}");
        assert!(
            lags.iter().any(|l| l.contains("sync_state=\"sync\"")),
            "{page}"
        );
    }
    let clients: Vec<_> = (0..2)
        .map(|_| {
            tokio::spawn(writer_client(
                Arc::clone(&addresses),
                key.clone(),
                Arc::clone(&seen),
                Arc::clone(&next),
                Arc::clone(&stop),
            ))
        })
        .chain(std::iter::once(tokio::spawn(checkpoint_reader(
            Arc::clone(&addresses),
            key.clone(),
            Arc::clone(&seen),
            Arc::clone(&stop),
        ))))
        .chain(std::iter::once(tokio::spawn(status_reader(
            Arc::clone(&addresses),
            key.clone(),
            Arc::clone(&seen),
            Arc::clone(&stop),
        ))))
        .collect();

    let kinds = [
        "kill the database primary",
        "kill the writer",
        "stall the writer",
        "stall the database primary until its watchdog resets it",
        "pause the database primary",
        "cut the database primary off the network",
    ];
    let namespaced = cluster.namespaced();
    let possible = if namespaced { 6 } else { 5 };
    let kinds: Vec<&str> = match std::env::var("EPROXY_HA_KINDS") {
        Ok(numbers) => numbers
            .split(',')
            .map(|n| {
                n.trim()
                    .parse::<usize>()
                    .ok()
                    .and_then(|n| n.checked_sub(1))
                    .filter(|i| *i < possible)
                    .map(|i| kinds[i])
                    .unwrap_or_else(|| {
                        panic!(
                            "EPROXY_HA_KINDS: {n:?} is not a kind this cluster can have (1 to \
                             {possible}; 6 needs network namespaces)"
                        )
                    })
            })
            .collect(),
        Err(_) => kinds[..possible].to_vec(),
    };
    if !namespaced {
        eprintln!("the cluster's members share loopback: no network partition");
    }
    let faults: usize = std::env::var("EPROXY_HA_FAULTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(kinds.len());
    let mut unavailable: HashMap<&str, Vec<f64>> = HashMap::new();
    let mut reinitialised = 0;
    for fault in 0..faults {
        // One machine fails at a time: the cluster is whole again before the next fault.
        let waiting = Arc::clone(&cluster);
        reinitialised += tokio::task::spawn_blocking(move || waiting.until_healthy())
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(1_000 + random(2_000))).await;
        let kind = kinds[fault % kinds.len()];
        let probe = (1u64 << 41) + fault as u64;
        let took = match kind {
            "kill the database primary" => {
                let primary = cluster.primary();
                cluster.run(&["kill", &primary]);
                let took = time_to_write(&addresses, probe).await;
                cluster.run(&["revive", &primary]);
                took
            }
            "kill the writer" => {
                let writer = writer_of(&nodes).await;
                let mut child = nodes[writer].process.take().unwrap();
                child.kill().unwrap();
                child.wait().unwrap();
                let took = time_to_write(&addresses, probe).await;
                nodes[writer].serve();
                took
            }
            "stall the writer" => {
                let writer = writer_of(&nodes).await;
                let pid = nodes[writer].process.as_ref().unwrap().id().to_string();
                let signal = |name: &str| {
                    assert!(
                        Command::new("kill")
                            .args([name, &pid])
                            .status()
                            .unwrap()
                            .success()
                    );
                };
                signal("-STOP");
                let took = time_to_write(&addresses, probe).await;
                tokio::time::sleep(Duration::from_millis(LEASE_MS)).await;
                signal("-CONT");
                took
            }
            "stall the database primary until its watchdog resets it" => {
                // Patroni's watchdog resets a machine whose Patroni stopped renewing the
                // leader key before the key's TTL runs out, so before a standby is promoted.
                let primary = cluster.primary();
                cluster.run(&["pause", &primary]);
                tokio::time::sleep(Duration::from_secs(3)).await;
                cluster.run(&["kill", &primary]);
                let took = time_to_write(&addresses, probe).await;
                cluster.run(&["resume", &primary]);
                cluster.run(&["revive", &primary]);
                took
            }
            "pause the database primary" => {
                let primary = cluster.primary();
                cluster.run(&["pause", &primary]);
                let took = time_to_write(&addresses, probe).await;
                cluster.run(&["resume", &primary]);
                took
            }
            _ => {
                // Its Patroni no longer reaches etcd's majority, so it demotes itself, and its
                // connections are left hanging: no reset, no refusal.
                let primary = cluster.primary();
                cluster.run(&["isolate", &primary]);
                let took = time_to_write(&addresses, probe).await;
                cluster.run(&["heal", &primary]);
                took
            }
        };
        eprintln!("fault {fault}: {kind}: writes unavailable for {took:.2} s");
        unavailable.entry(kind).or_default().push(took);
        // Each promise, after each fault.
        let count = check_promises(&nodes, &seen).await;
        eprintln!("fault {fault}: {count} acknowledged registrations all in place");
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for client in clients {
        client.await.unwrap();
    }
    let count = check_promises(&nodes, &seen).await;
    eprintln!("members reinitialised, not streaming from the primary 20 s on: {reinitialised}");

    // The audit trail has every acknowledged write.
    let export = Command::new(binary())
        .args(["audit", "export", "--data-dir"])
        .arg(nodes[0].data_dir())
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let audit = String::from_utf8(export.stdout).unwrap();
    // Each audit record's action and subject, read once (the long form has half a million).
    let field = |line: &str, name: &str| -> Option<String> {
        let start = line.find(&format!("\"{name}\":\""))? + name.len() + 4;
        let end = line[start..].find('"')? + start;
        Some(line[start..end].to_owned())
    };
    let recorded: std::collections::HashSet<(String, String)> = audit
        .lines()
        .filter_map(|l| Some((field(l, "action")?, field(l, "subject")?)))
        .collect();
    let seen = seen.lock().unwrap();
    for id in seen.registered.keys() {
        assert!(
            recorded.contains(&("register".to_owned(), id.to_string())),
            "the registration of {id} is not in the audit trail"
        );
    }
    for (id, _) in &seen.revoked {
        assert!(
            recorded.contains(&("revoke".to_owned(), id.to_string())),
            "the revocation of {id} is not in the audit trail"
        );
    }
    let mut kinds_seen: Vec<_> = unavailable.into_iter().collect();
    kinds_seen.sort_by(|a, b| a.0.cmp(b.0));
    for (kind, times) in kinds_seen {
        let worst = times.iter().copied().fold(0.0, f64::max);
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        eprintln!(
            "{kind}: {} faults, writes unavailable {mean:.2} s on average, {worst:.2} s at worst",
            times.len()
        );
    }
    assert!(seen.stale.is_empty(), "{:?}", seen.stale);
    assert!(seen.lookups.0 > 0, "no status lookup was answered");
    eprintln!(
        "{faults} faults: {count} registrations and {} revocations acknowledged, 0 lost; {} \
         checkpoints seen, 0 inconsistent, 0 forks; {} status lookups answered from the nodes' \
         nearest servers ({} unanswered, at most {:.2} s without an answer), 0 showing a \
         revocation undone",
        seen.revoked.len(),
        seen.checkpoints.len(),
        seen.lookups.0,
        seen.lookups.1,
        seen.lookups_gap.as_secs_f64()
    );
}
