//! Operating a real registry process: command line, health and reflection, metrics, TLS, backup and restore, logs.

use eproxy_testkit::registry::*;

#[test]
fn the_command_line_refuses_misuse_clearly() {
    let out = Command::new(binary()).arg("--frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Usage: eproxy-registry"));

    // init never overwrites a data directory, its key above all.
    let dir = tempfile::tempdir().unwrap();
    let init = || {
        Command::new(binary())
            .args(["init", "--origin", ORIGIN, "--data-dir"])
            .arg(dir.path())
            .output()
            .unwrap()
    };
    assert!(init().status.success());
    let key = std::fs::read(dir.path().join("operator-key.pem")).unwrap();
    let again = init();
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already initialised"));
    assert_eq!(
        std::fs::read(dir.path().join("operator-key.pem")).unwrap(),
        key
    );

    // serve without init says what to do.
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(binary())
        .args(["serve", "--data-dir"])
        .arg(empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("eproxy-registry init"));
}

#[tokio::test]
async fn health_and_reflection_describe_the_services() {
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

    let registry = Registry::start();
    let channel = Channel::from_shared(registry.address.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = HealthClient::new(channel.clone());
    for service in [
        "eproxy.registry.v1.Registry",
        "eproxy.registry.v1.TransparencyLog",
    ] {
        let status = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "{service}");
    }

    let mut reflection = ServerReflectionClient::new(channel);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = reflection
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let answer = answers.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("not a service list: {answer:?}");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for expected in [
        "eproxy.registry.v1.Registry",
        "eproxy.registry.v1.TransparencyLog",
        "grpc.health.v1.Health",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} not in {names:?}"
        );
    }
}

#[tokio::test]
async fn metrics_count_calls_by_method_and_outcome() {
    let registry = Registry::start();
    registry
        .submit(&poa(&pki().employee, contracts_only()))
        .await
        .unwrap();
    registry.submit(b"junk").await.unwrap_err();
    registry.status(&DelegationId::of_cms(b"x")).await;
    registry.checkpoint_of(1).await;
    let page = scrape(&registry.metrics);
    assert!(
        page.starts_with("HTTP/1.0 200") || page.starts_with("HTTP/1.1 200"),
        "{page}"
    );
    for line in [
        "eproxy_requests_total{method=\"SubmitDelegation\",code=\"OK\"} 1",
        "eproxy_requests_total{method=\"SubmitDelegation\",code=\"INVALID_ARGUMENT\"} 1",
        "eproxy_requests_total{method=\"GetStatus\",code=\"OK\"} 1",
        "eproxy_request_seconds_count{method=\"SubmitDelegation\"} 2",
        "eproxy_log_size 1",
        "eproxy_checkpoint_size 1",
        "eproxy_writer 1",
        "eproxy_writer_epoch 0",
    ] {
        assert!(
            page.lines().any(|l| l == line),
            "{line:?} missing from\n{page}"
        );
    }
    assert!(metric(&page, "eproxy_checkpoint_age_seconds").unwrap() <= 2);

    // The storage engine: the registration sits in a memtable, nothing has been flushed yet
    // (a 64 MiB buffer), and writes flow.
    let gauge = |name: &str| -> u64 {
        metric(&page, &format!("eproxy_storage_{name}"))
            .unwrap_or_else(|| panic!("{name} missing from\n{page}"))
    };
    assert!(gauge("memtable_bytes") > 0);
    for (name, value) in [
        ("level0_files", 0),
        ("pending_compaction_bytes", 0),
        ("writes_delayed", 0),
        ("writes_stopped", 0),
    ] {
        assert_eq!(gauge(name), value, "{name}");
    }
    assert!(gauge("running_flushes") <= 1 && gauge("running_compactions") <= 1);
    assert!(gauge("block_cache_bytes") <= 256 << 20);
}

#[tokio::test]
async fn over_tls_clients_that_trust_the_certificate_are_served() {
    use tonic::transport::{Certificate, ClientTlsConfig};
    let tls = eproxy_testkit::tls::tls_server(pki()).unwrap();
    let registry = Registry::start_with(|data, config| {
        std::fs::write(data.join("tls.pem"), tls.server.certificate_pem().unwrap()).unwrap();
        std::fs::write(data.join("tls.key"), tls.server.private_key_pem().unwrap()).unwrap();
        config
            .replace("tls_certificate = \"\"", "tls_certificate = \"tls.pem\"")
            .replace("tls_key = \"\"", "tls_key = \"tls.key\"")
    });
    let address = registry.address.replacen("http://", "https://", 1);
    let channel = Channel::from_shared(address)
        .unwrap()
        .tls_config(
            ClientTlsConfig::new()
                .ca_certificate(Certificate::from_pem(tls.root.certificate_pem().unwrap()))
                .domain_name("localhost"),
        )
        .unwrap()
        .connect()
        .await
        .unwrap();
    let checkpoint = TransparencyLogClient::new(channel)
        .get_checkpoint(GetCheckpointRequest {})
        .await
        .unwrap()
        .into_inner()
        .checkpoint;
    assert!(verify_checkpoint(&AWS_LC, &checkpoint, &registry.verifier_key()).is_ok());

    // A plaintext client gets nothing.
    let plaintext = TransparencyLogClient::connect(registry.address.clone()).await;
    let refused = match plaintext {
        Err(_) => true,
        Ok(mut client) => client
            .get_checkpoint(GetCheckpointRequest {})
            .await
            .is_err(),
    };
    assert!(refused);
}

/// `eproxy-registry ARGS`, its output.
fn registry_command(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(binary())
        .args(args)
        .env("EPROXY_LOG", "warn")
        .output()
        .unwrap()
}

#[tokio::test]
async fn a_backup_restores_the_same_history_and_an_older_one_cannot_fork_the_log() {
    let mut registry = Registry::start();
    let first = poa(&pki().employee, contracts_only());
    let second = poa(&pki().employee, sub_agents());
    registry.submit(&first).await.unwrap();
    registry.submit(&second).await.unwrap();
    let published = registry.checkpoint_of(2).await;
    // Evidence a counterparty keeps, under the operator's key as it is now.
    let mut terms = scenario::terms(&first);
    let signed_at = UnixTime::from_seconds(unix_now());
    terms.signing_time_claimed = signed_at;
    let contract = scenario::contract(&pki().employee, &terms, None).unwrap();
    let kept = registry
        .evidence(
            &DelegationId::of_cms(&first),
            Some(Entitlement::ContractCms(contract.clone())),
        )
        .await
        .unwrap();
    let old_key = registry.verifier_key();

    let backups = tempfile::tempdir().unwrap();
    let path = |name: &str| backups.path().join(name);
    let os = |p: &Path| p.as_os_str().to_owned();
    let data = registry.data_dir().to_owned();
    let backup = |to: &Path| {
        registry_command(&[
            "backup".as_ref(),
            "--data-dir".as_ref(),
            &os(&data),
            "--to".as_ref(),
            &os(to),
        ])
    };
    let out = backup(&path("backup"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 log leaves"));
    // Into an existing directory: refused.
    assert_eq!(backup(&path("backup")).status.code(), Some(1));

    // The registry goes on: a third PoA, published in a checkpoint of three leaves.
    let later = poa(&pki().moved_employee, contracts_only());
    registry.submit(&later).await.unwrap();
    let grown = registry.checkpoint_of(3).await;
    registry.stop().await;

    // Its data is lost and the older backup restored in its place: the copy is consistent
    // with itself, but the registry published more, and refuses to serve it.
    let restore = |to: &Path, more: &[&str]| {
        let mut args: Vec<std::ffi::OsString> = vec![
            "restore".into(),
            "--from".into(),
            os(&path("backup")),
            "--data-dir".into(),
            os(to),
        ];
        args.extend(more.iter().map(std::ffi::OsString::from));
        let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
        registry_command(&args)
    };
    std::fs::remove_dir_all(&data).unwrap();
    let out = restore(&data, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let refused = registry_command(&[
        "serve".as_ref(),
        "--listen".as_ref(),
        "127.0.0.1:0".as_ref(),
        "--data-dir".as_ref(),
        &os(&data),
    ]);
    assert_eq!(refused.status.code(), Some(1));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("published a checkpoint of 3 leaves")
            && message.contains("holds only 2")
            && message.contains("--new-origin"),
        "{message}"
    );

    // The way on: the restored history as a new log, under a new key and origin.
    std::fs::remove_dir_all(&data).unwrap();
    let out = restore(&data, &["--new-origin", "registry.eproxy.test/log-2"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("registry.eproxy.test/log-2+"));
    registry.serve();
    // Verified under the key now in the data directory: the new one.
    let (renewed, note) = registry.checkpoint().await;
    assert_eq!(
        (renewed.origin.as_str(), renewed.size, renewed.root),
        ("registry.eproxy.test/log-2", 2, published.root)
    );
    assert!(verify_checkpoint(&AWS_LC, &note, &old_key).is_err());
    assert_ne!(renewed.root, grown.root);
    // The evidence issued under the old key still verifies against it.
    let verdict = verify_offline(&contract, &kept, &old_key, signed_at);
    assert!(verdict.accepted(), "{verdict:#?}");
    assert_eq!(
        std::fs::read_to_string(data.join("operator.previous.vkey"))
            .unwrap()
            .trim(),
        old_key.to_string()
    );
}

#[tokio::test]
async fn logs_are_json_lines_with_request_ids_and_no_personal_data() {
    let mut registry = Registry::start();
    registry.stop().await;
    let log_file = registry.data_dir().join("server.log");
    registry.log_file = Some(log_file.clone());
    registry.serve();
    let cms = poa(&pki().employee, contracts_only());
    registry.submit(&cms).await.unwrap();
    registry.status(&DelegationId::of_cms(&cms)).await;
    registry.stop().await;

    let logs = std::fs::read_to_string(&log_file).unwrap();
    assert!(!logs.is_empty());
    for line in logs.lines() {
        assert!(
            line.starts_with('{') && line.ends_with('}'),
            "not a JSON line: {line}"
        );
    }
    let done: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("\"message\":\"done\""))
        .collect();
    assert_eq!(done.len(), 2, "{logs}");
    assert!(
        done[0].contains("\"method\":\"SubmitDelegation\""),
        "{}",
        done[0]
    );
    assert!(done[1].contains("\"method\":\"GetStatus\""), "{}", done[1]);
    assert!(done.iter().all(|l| l.contains("\"request_id\":")));
    // Names, addresses and the company's name never reach the logs.
    for personal in ["佐藤", "山田", "サンプル", "東京都"] {
        assert!(!logs.contains(personal), "{personal} logged");
    }
}

#[tokio::test]
async fn an_oversized_request_is_refused_and_the_server_goes_on() {
    let registry = Registry::start();
    let refusal = registry
        .submit(&vec![0x30; 2 * 1024 * 1024])
        .await
        .unwrap_err();
    assert_eq!(refusal.code(), Code::OutOfRange, "{}", refusal.message());
    assert!(
        refusal.message().contains("too large"),
        "{}",
        refusal.message()
    );
    let (checkpoint, _) = registry.checkpoint().await;
    assert_eq!(checkpoint.size, 0);
    registry
        .submit(&poa(&pki().employee, contracts_only()))
        .await
        .unwrap();
}

/// A reissued CRL takes effect on SIGHUP, without a restart; a reload that fails (a malformed
/// file) keeps the last good lists in force and is counted.
#[tokio::test]
async fn crls_are_reloaded_on_sighup_and_a_failed_reload_keeps_the_last_good_ones() {
    use eproxy_testkit::crl::{CrlContents, Revocation, issue_crl};

    let registry = Registry::start();
    let numbered_poa = |n: u32| {
        let mut delegation = delegation_in(pki(), &pki().employee, contracts_only(), None);
        delegation.remarks = format!("PoA {n}");
        signed(&pki().representative, delegation)
    };
    registry.submit(&numbered_poa(1)).await.unwrap();

    // The commercial-registration CA revokes the representative's certificate.
    let now = unix_now();
    let reissued = issue_crl(
        &pki().commercial_registration_root,
        &CrlContents {
            number: 2,
            this_update: UnixTime::from_seconds(now - 60),
            next_update: UnixTime::from_seconds(now + 86_400),
            revoked: vec![Revocation {
                serial_number: pki().representative.serial_number().clone(),
                revoked_at: UnixTime::from_seconds(now - 600),
                reason: None,
            }],
        },
    )
    .unwrap();
    let crl_file = registry
        .data_dir()
        .join("pki/crl/commercial-registration.crl.pem");
    std::fs::write(&crl_file, reissued.pem().unwrap()).unwrap();
    let reloads = |outcome: &str, count: u32| {
        format!("eproxy_crl_reloads_total{{outcome=\"{outcome}\"}} {count}")
    };
    registry.hang_up(&reloads("ok", 1)).await;
    let refused = registry.submit(&numbered_poa(2)).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(
        refused.message().contains("revoked"),
        "{}",
        refused.message()
    );

    // A file caught half-written: the reload fails and the revocation stays in force.
    std::fs::write(&crl_file, "-----BEGIN X509 CRL-----\nAAAA\n").unwrap();
    registry.hang_up(&reloads("failed", 1)).await;
    let refused = registry.submit(&numbered_poa(3)).await.unwrap_err();
    assert!(
        refused.message().contains("revoked"),
        "{}",
        refused.message()
    );
    // Only the PoA registered before the revocation was known is in the log.
    let page = scrape(&registry.metrics);
    assert!(page.lines().any(|l| l == "eproxy_log_size 1"), "{page}");
}

/// Starts `serve` on the data directory of `registry` (stopped), sends `signals` the moment
/// the first readiness line appears, and returns how the process ended.
fn signalled_at_readiness(
    registry: &Registry,
    signals: &[rustix::process::Signal],
) -> std::process::ExitStatus {
    let mut child = Command::new(binary())
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(registry.data_dir())
        .env("EPROXY_LOG", "warn")
        .env("EPROXY_METRICS_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(
        first.starts_with("eproxy-registry: listening on "),
        "{first:?}"
    );
    let pid = rustix::process::Pid::from_child(&child);
    for &signal in signals {
        rustix::process::kill_process(pid, signal).unwrap();
    }
    child.wait().unwrap()
}

#[tokio::test]
async fn a_sigterm_or_sighup_the_moment_the_registry_is_ready_is_handled_not_fatal() {
    use rustix::process::Signal;
    let mut registry = Registry::start();
    registry.stop().await;
    // A stop at once after start is graceful, every time: the handlers exist before the
    // readiness line is written. Before, the process died by SIGTERM in some of these runs.
    for attempt in 0..20 {
        let exit = signalled_at_readiness(&registry, &[Signal::TERM]);
        assert!(exit.success(), "attempt {attempt}: exited with {exit}");
    }
    // SIGHUP (reload the CRLs) at the same moment does not kill it either: the stop that
    // follows is the one that ends it, cleanly.
    for attempt in 0..20 {
        let exit = signalled_at_readiness(&registry, &[Signal::HUP, Signal::TERM]);
        assert!(exit.success(), "attempt {attempt}: exited with {exit}");
    }
}
