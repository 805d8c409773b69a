//! Two registry processes sharing one PostgreSQL database, as an operator runs a registry on
//! more than one machine: one node at a time writes; the other serves reads and names the
//! writer; when the writer dies or stalls, the other takes over within the lease, fencing it,
//! and nothing acknowledged is lost or signed twice.

use std::time::Instant;

use eproxy_testkit::registry::postgres::Postgres;
use eproxy_testkit::registry::process::{self, free_port};
use eproxy_testkit::registry::*;

/// The writer's lease in these tests, milliseconds: short, so that a takeover is quick.
const LEASE_MS: u64 = 1_000;

/// A registry node on `database`, named `name`, listening on a port chosen now; with `key_of`,
/// it signs with that node's operator key (every node of one registry does).
fn node(database: &Postgres, name: &str, key_of: Option<&Registry>, mirrors: &Path) -> Registry {
    node_with_lease(database, name, key_of, mirrors, LEASE_MS)
}

/// [`node`], with a writer's lease of `lease_ms`.
fn node_with_lease(
    database: &Postgres,
    name: &str,
    key_of: Option<&Registry>,
    mirrors: &Path,
    lease_ms: u64,
) -> Registry {
    let port = free_port();
    let url = database.url();
    let mirror = mirrors.join(name);
    Registry::start_on(
        &std::env::temp_dir(),
        &format!("127.0.0.1:{port}"),
        None,
        |data, config| {
            if let Some(other) = key_of {
                for file in ["operator-key.pem", "operator.vkey"] {
                    std::fs::copy(other.data_dir().join(file), data.join(file)).unwrap();
                }
            }
            process::shared_node_config(
                &config,
                &url,
                name,
                port,
                lease_ms,
                &mirror.display().to_string(),
            )
        },
    )
}

/// Waits (up to 15 s) until `node` refuses a write naming `writer`; the refusal.
async fn naming(node: &Registry, writer: &Registry, cms: &[u8]) -> tonic::Status {
    let start = Instant::now();
    loop {
        match node.submit(cms).await {
            Err(status) if status.message().contains(&writer.address) => return status,
            Err(status) if status.code() == Code::Unavailable => {}
            other => panic!(
                "{} should name {} as the writer: {other:?}",
                node.address, writer.address
            ),
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the writer is not named within 15 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A distinct PoA for each `i`.
fn poa_number(i: u32) -> Vec<u8> {
    distinct_poa(format!("PoA {i} on a shared database"))
}

/// Submits `cms` to `node` until it is registered, for up to 15 s; how long that took.
async fn submit_until_registered(node: &Registry, cms: &[u8]) -> (SubmitDelegationResponse, f64) {
    let start = Instant::now();
    loop {
        match node.submit(cms).await {
            Ok(response) => return (response, start.elapsed().as_secs_f64()),
            Err(status) if status.code() == Code::Unavailable => {}
            Err(status) => panic!("refused: {status:?}"),
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "no node took writes within 15 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_writer_at_a_time_and_the_other_takes_over() {
    let database = Postgres::start();
    let mirrors = tempfile::tempdir().unwrap();
    let mut a = node(&database, "a", None, mirrors.path());
    let (first, _) = submit_until_registered(&a, &poa_number(0)).await;
    let first = receipt_of(&first, &a);
    let b = node(&database, "b", Some(&a), mirrors.path());

    // B takes no write, and says where to send it.
    let refused = naming(&b, &a, &poa_number(1)).await;
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    // The metrics say which node writes, in which epoch.
    let (writer_page, follower_page) = (scrape(&a.metrics), scrape(&b.metrics));
    assert!(
        writer_page.lines().any(|l| l == "eproxy_writer 1"),
        "{writer_page}"
    );
    assert!(metric(&writer_page, "eproxy_writer_epoch").unwrap() >= 1);
    assert!(
        follower_page.lines().any(|l| l == "eproxy_writer 0"),
        "{follower_page}"
    );
    assert!(follower_page.lines().any(|l| l == "eproxy_writer_epoch 0"));
    // A database with no standby says so.
    assert_eq!(metric(&writer_page, "eproxy_database_standbys"), Some(0));
    // B serves what A committed: the status, and a checkpoint covering it.
    let size = first.log_index + 1;
    let seen_by_b = b.checkpoint_of(size).await;
    let seen_by_a = a.checkpoint_of(size).await;
    let status = b.status(&DelegationId::of_cms(&poa_number(0))).await;
    assert_eq!(status.status, RegistryStatus::Active);

    // A dies: B takes over within the lease, and has every leaf A committed.
    let mut registered = vec![(poa_number(0), first.clone())];
    for i in 1..4 {
        let (response, _) = submit_until_registered(&a, &poa_number(i)).await;
        registered.push((poa_number(i), receipt_of(&response, &a)));
    }
    let (before_death, _) = a.checkpoint().await;
    if let Some(mut child) = a.process.take() {
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let (response, took) = submit_until_registered(&b, &poa_number(4)).await;
    eprintln!("writes unavailable for {took:.2} s after the writer died");
    assert!(
        took < 10.0,
        "writes were unavailable for {took:.1} s after the writer died"
    );
    registered.push((poa_number(4), receipt_of(&response, &b)));

    // A comes back: it follows B, and names it.
    a.serve();
    let refused = naming(&a, &b, &poa_number(5)).await;
    assert_eq!(refused.code(), Code::Unavailable);

    // B stalls (SIGSTOP) past its lease: A takes the role; B, woken, writes nothing more.
    let b_pid = b.process.as_ref().unwrap().id().to_string();
    let signal = |name: &str| {
        assert!(
            Command::new("kill")
                .args([name, &b_pid])
                .status()
                .unwrap()
                .success()
        );
    };
    signal("-STOP");
    let (response, took) = submit_until_registered(&a, &poa_number(5)).await;
    eprintln!("writes unavailable for {took:.2} s after the writer stalled");
    assert!(
        took < 10.0,
        "writes were unavailable for {took:.1} s after the writer stalled"
    );
    registered.push((poa_number(5), receipt_of(&response, &a)));
    signal("-CONT");
    let refused = naming(&b, &a, &poa_number(6)).await;
    assert_eq!(refused.code(), Code::Unavailable);

    // Every acknowledged registration is at its index with its status, on both nodes; every
    // checkpoint seen is consistent with the latest.
    let total = registered.last().unwrap().1.log_index + 1;
    let latest = a.checkpoint_of(total).await;
    for checkpoint in [seen_by_a, seen_by_b, before_death] {
        assert!(
            a.proves_consistent(checkpoint.size, &checkpoint.root, &latest)
                .await,
            "the checkpoint of {} leaves is not consistent with the latest",
            checkpoint.size
        );
    }
    let leaves = a.leaves(0, latest.size).await;
    for (cms, receipt) in &registered {
        let event = LogEvent::decode(leaves[receipt.log_index as usize].as_slice()).unwrap();
        assert_eq!(event.delegation_id, DelegationId::of_cms(cms).as_bytes());
        for node in [&a, &b] {
            let again = node.submit(cms).await;
            if let Ok(again) = again {
                assert_eq!(&receipt_of(&again, node), receipt);
            }
            let status = node.status(&DelegationId::of_cms(cms)).await;
            assert_eq!(status.status, RegistryStatus::Active);
        }
    }
}

/// A registration that the database shows but no standby holds (a primary cut off from its
/// standby lets its waiting commits go, and shows them until it learns it was replaced) earns
/// no receipt when submitted again: a receipt is an acknowledgment, and a failover would drop
/// that registration. Once a standby holds it, the receipt follows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_no_standby_holds_earns_no_receipt() {
    let database = Postgres::start();
    let mirrors = tempfile::tempdir().unwrap();
    // A lease long enough that no renewal (which would wait for the standby too, holding the
    // head's lock) comes during the test.
    let a = node_with_lease(&database, "a", None, mirrors.path(), 60_000);
    let (first, _) = submit_until_registered(&a, &poa_number(0)).await;
    let first = receipt_of(&first, &a);
    a.checkpoint_of(first.log_index + 1).await;

    database.require_standby(true);
    let refused = a.submit(&poa_number(1)).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    assert!(database.release_waiting_commits() >= 1);
    let shown = first.log_index + 2;
    assert_eq!(
        database.sql("SELECT size FROM eproxy_head"),
        shown.to_string()
    );
    let again = a.submit(&poa_number(1)).await;
    assert!(
        again.is_err(),
        "a receipt for a registration no standby holds: {again:?}"
    );

    database.require_standby(false);
    let (response, _) = submit_until_registered(&a, &poa_number(1)).await;
    assert!(response.already_registered);
    assert_eq!(receipt_of(&response, &a).log_index, first.log_index + 1);
}

/// Points `node`'s configuration at the database at `url`, in place of `was`.
fn repoint(node: &Registry, was: &str, url: &str) {
    let config = node.data_dir().join("eproxy-registry.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains(was));
    std::fs::write(&config, text.replace(was, url)).unwrap();
}

/// The shared database is backed up with PostgreSQL's own base backup (`pg_basebackup`, the
/// write-ahead log streamed in); the registry's `backup` says so. Restored, the database
/// serves every registration it held, under the checkpoints already published. Restored from
/// a backup older than what a node published, that node refuses to serve it rather than sign
/// a second history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_base_backup_restores_and_an_older_one_is_refused() {
    let database = Postgres::start();
    let mirrors = tempfile::tempdir().unwrap();
    let mut a = node(&database, "a", None, mirrors.path());
    let mut registered = Vec::new();
    for i in 0..3 {
        let (response, _) = submit_until_registered(&a, &poa_number(i)).await;
        registered.push((poa_number(i), receipt_of(&response, &a)));
    }
    a.checkpoint_of(3).await;
    let older = database.base_backup();
    for i in 3..5 {
        let (response, _) = submit_until_registered(&a, &poa_number(i)).await;
        registered.push((poa_number(i), receipt_of(&response, &a)));
    }
    let published = a.checkpoint_of(5).await;
    let newest = database.base_backup();
    let refused = Command::new(binary())
        .args(["backup", "--to"])
        .arg(mirrors.path().join("copy"))
        .arg("--data-dir")
        .arg(a.data_dir())
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("pg_basebackup"));
    a.stop().await;
    let was = database.url();
    drop(database);

    // The newest backup restored: every registration at its index, active, and the log the
    // one published.
    let restored = Postgres::restore(newest);
    repoint(&a, &was, &restored.url());
    a.serve();
    let (response, _) = submit_until_registered(&a, &poa_number(5)).await;
    assert_eq!(receipt_of(&response, &a).log_index, 5);
    let latest = a.checkpoint_of(6).await;
    assert!(
        a.proves_consistent(published.size, &published.root, &latest)
            .await
    );
    let leaves = a.leaves(0, 5).await;
    for (cms, receipt) in &registered {
        let event = LogEvent::decode(leaves[receipt.log_index as usize].as_slice()).unwrap();
        assert_eq!(event.delegation_id, DelegationId::of_cms(cms).as_bytes());
        let again = a.submit(cms).await.unwrap();
        assert_eq!(&receipt_of(&again, &a), receipt);
        let status = a.status(&DelegationId::of_cms(cms)).await;
        assert_eq!(status.status, RegistryStatus::Active);
    }
    a.stop().await;
    let was = restored.url();
    drop(restored);

    // The older backup restored: node a published six leaves and refuses a log of three.
    let restored = Postgres::restore(older);
    repoint(&a, &was, &restored.url());
    let refused = Command::new(binary())
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(a.data_dir())
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("published a checkpoint of 6 leaves") && message.contains("only 3"),
        "{message}"
    );
}

/// A node that reads statuses from a hot standby (`database_read_url`) answers from it, each
/// statement naming the log size the standby's snapshot reflects. While the standby's replay
/// is paused, a revocation the writer acknowledged is not yet shown, and the statement names a
/// size before the revocation's leaf, never one past it; once the standby has lacked the leaf
/// for longer than the bound (5 s), the node reads from the primary and shows it; once replay
/// resumes, the standby shows it too, under a size that covers it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_read_from_a_hot_standby_name_the_size_they_reflect() {
    let mut database = Postgres::start();
    let standby = database.standby();
    let mirrors = tempfile::tempdir().unwrap();
    let mut a = node(&database, "a", None, mirrors.path());
    let cms = poa_number(0);
    let id = DelegationId::of_cms(&cms);
    let (response, _) = submit_until_registered(&a, &cms).await;
    let registered = receipt_of(&response, &a).log_index;
    a.stop().await;
    repoint(
        &a,
        "database_read_url = \"\"",
        &format!("database_read_url = {:?}", standby.url()),
    );
    a.serve();
    let start = Instant::now();
    loop {
        let (statement, status) = a.status_statement(&id).await;
        if statement.log_size > registered {
            assert_eq!(status.status, RegistryStatus::Active);
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(15), "{statement:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    standby.sql("SELECT pg_wal_replay_pause()");
    while standby.sql("SELECT pg_get_wal_replay_pause_state()") != "paused" {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let revoked = a
        .revoke(&revocation(&pki().representative, id, 1, |_| {}))
        .await
        .unwrap();
    assert!(!revoked.already_revoked);
    // The writer's own answer, from the primary, shows the revocation.
    let (own_statement, own) = verify_status_statement(
        &AWS_LC,
        revoked.status.as_ref().unwrap(),
        &a.verifier_key(),
        ORIGIN,
    )
    .unwrap();
    assert!(matches!(own.status, RegistryStatus::Revoked { .. }));
    // Nothing else is written: the revocation is the last leaf of the log it speaks for.
    let revocation_leaf = own_statement.log_size - 1;
    assert!(revocation_leaf > registered);
    let (behind, status) = a.status_statement(&id).await;
    assert_eq!(status.status, RegistryStatus::Active);
    assert!(
        behind.log_size <= revocation_leaf,
        "a statement of the older record names size {} although the revocation is leaf {revocation_leaf}",
        behind.log_size
    );

    // Past the bound on a standby's lag, the node reads from the primary instead: the
    // revocation is shown, the standby still paused.
    tokio::time::sleep(Duration::from_millis(5_500)).await;
    let (bounded, status) = a.status_statement(&id).await;
    assert!(
        matches!(status.status, RegistryStatus::Revoked { .. }),
        "{status:?}"
    );
    assert!(bounded.log_size > revocation_leaf, "{bounded:?}");
    assert_eq!(
        standby.sql("SELECT pg_get_wal_replay_pause_state()"),
        "paused"
    );

    standby.sql("SELECT pg_wal_replay_resume()");
    let start = Instant::now();
    loop {
        let (statement, status) = a.status_statement(&id).await;
        if matches!(status.status, RegistryStatus::Revoked { .. }) {
            assert!(statement.log_size > revocation_leaf, "{statement:?}");
            break;
        }
        assert!(statement.log_size <= revocation_leaf, "{statement:?}");
        assert!(start.elapsed() < Duration::from_secs(15), "{statement:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The log's leaves and proofs are read from the nearest server too: with the primary
    // gone, the node serves them from the standby, which holds every published leaf.
    let (published, _) = a.checkpoint().await;
    assert_eq!(published.size, revocation_leaf + 1);
    let leaves = a.leaves(0, published.size).await;
    let first_root = leaf_hash(&leaves[0]);
    database.kill();
    assert_eq!(a.leaves(0, published.size).await, leaves);
    assert!(a.proves_consistent(1, &first_root, &published).await);
}

/// Operator staff enroll a representative's card, and end the enrollment, while the nodes
/// serve, from any node's configuration: the signed act waits in the database until the writer
/// applies it. Someone holding the configuration and the database's credentials but not the
/// operator key enrolls no one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_staff_enroll_and_unenroll_while_the_nodes_serve() {
    let database = Postgres::start();
    let mirrors = tempfile::tempdir().unwrap();
    let a = node(&database, "a", None, mirrors.path());
    submit_until_registered(&a, &poa_number(0)).await;
    let b = node(&database, "b", Some(&a), mirrors.path());
    naming(&b, &a, &poa_number(1)).await;
    let card = scenario::card_holder_in(pki(), "shared sato card", "佐藤サンプル").unwrap();
    let denied = a.list(&card, 1).await.unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied, "{denied:?}");

    // From the follower's configuration: the writer applies it.
    let enrolled = attest(b.data_dir(), &card, false);
    let line = String::from_utf8_lossy(&enrolled.stdout);
    assert!(enrolled.status.success(), "{enrolled:?}");
    assert!(
        line.contains("enrolled certificate") && line.contains("log index 1"),
        "{line}"
    );
    assert_eq!(a.list(&card, 2).await.unwrap().delegations.len(), 1);
    let again = attest(a.data_dir(), &card, false);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already enrolled"));

    // A forger: the registry's configuration (so the database's credentials), another key.
    let forger = tempfile::tempdir().unwrap();
    process::init(forger.path());
    let config = "eproxy-registry.toml";
    std::fs::copy(b.data_dir().join(config), forger.path().join(config)).unwrap();
    let copied = Command::new("cp")
        .arg("-r")
        .arg(b.data_dir().join("pki"))
        .arg(forger.path())
        .status()
        .unwrap();
    assert!(copied.success());
    let other = scenario::card_holder_in(pki(), "shared forged card", "佐藤サンプル").unwrap();
    let forged = attest(forger.path(), &other, false);
    assert_eq!(forged.status.code(), Some(1), "{forged:?}");
    assert!(
        String::from_utf8_lossy(&forged.stderr).contains("not signed by this log's operator key"),
        "{forged:?}"
    );
    assert_eq!(
        a.list(&other, 3).await.unwrap_err().code(),
        Code::PermissionDenied
    );

    // Ended from the writer's configuration; the card no longer lists.
    let ended = attest(a.data_dir(), &card, true);
    assert!(ended.status.success(), "{ended:?}");
    assert!(String::from_utf8_lossy(&ended.stdout).contains("at log index 2"));
    let denied = a.list(&card, 4).await.unwrap_err();
    assert!(denied.message().contains("was in force from"), "{denied:?}");

    // Both acts are in the log, as every node serves it.
    let start = Instant::now();
    while b.checkpoint().await.0.size < 3 {
        assert!(start.elapsed() < Duration::from_secs(15), "b lags");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        b.event_kinds(0, 3).await,
        [
            LogEventKind::Registration,
            LogEventKind::Enrollment,
            LogEventKind::Unenrollment
        ]
    );
}
