//! Abuse of the gRPC endpoint: oversized messages, malformed HTTP/2 and gRPC framing, stalled
//! requests, client deadlines, and thousands of connections at once. After each, the registry
//! is still running and a well-behaved client is served.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Instant;

use bytes::Bytes;
use eproxy_testkit::registry::*;

/// The registry's request deadline in these tests, seconds.
const DEADLINE_SECONDS: u64 = 2;

fn registry() -> Registry {
    Registry::start_with(|_, config| {
        config.replace(
            "request_timeout_seconds = 10",
            &format!("request_timeout_seconds = {DEADLINE_SECONDS}"),
        )
    })
}

fn host(registry: &Registry) -> &str {
    registry.address.trim_start_matches("http://")
}

/// How long a well-behaved client may wait and still count as served. A starved registry never
/// answers; on a machine whose cores are busy elsewhere (a busy loop on each of two cores
/// beside the suite), a served call has taken just over a second.
const SERVED_WITHIN: Duration = Duration::from_secs(5);

/// The registry is running and answers a well-behaved client within [`SERVED_WITHIN`].
async fn still_serving(registry: &mut Registry) {
    let process = registry.process.as_mut().unwrap();
    assert!(process.try_wait().unwrap().is_none(), "the registry died");
    let (checkpoint, _) = tokio::time::timeout(SERVED_WITHIN, registry.checkpoint())
        .await
        .expect("a well-behaved client was not served");
    assert_eq!(checkpoint.origin, ORIGIN);
}

/// Writes `bytes` on a new connection and reads until the registry closes it (within 5 s);
/// what it answered.
fn raw_exchange(registry: &Registry, bytes: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(host(registry)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    // The registry may close before reading everything: a failed write is an answer too.
    let _ = stream.write_all(bytes);
    let mut answer = Vec::new();
    match stream.read_to_end(&mut answer) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("the registry kept a malformed connection open: {e}"),
    }
    answer
}

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// An HTTP/2 frame header: length, type, flags, stream.
fn frame(length: u32, kind: u8, flags: u8, stream: u32) -> Vec<u8> {
    let mut header = length.to_be_bytes()[1..].to_vec();
    header.extend([kind, flags]);
    header.extend(stream.to_be_bytes());
    header
}

/// The types of the HTTP/2 frames in `bytes`.
fn frame_types(mut bytes: &[u8]) -> Vec<u8> {
    let mut types = Vec::new();
    while bytes.len() >= 9 {
        let length =
            usize::from(bytes[0]) << 16 | usize::from(bytes[1]) << 8 | usize::from(bytes[2]);
        types.push(bytes[3]);
        bytes = &bytes[(9 + length).min(bytes.len())..];
    }
    types
}

/// A raw HTTP/2 gRPC call: the unary request body `body` (already framed, or not) sent to
/// `method`, with `headers` added; the grpc-status and grpc-message, from the headers or the
/// trailers. With `end` false the request is never finished.
async fn h2_call(
    registry: &Registry,
    method: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
    end: bool,
) -> (String, String) {
    let tcp = tokio::net::TcpStream::connect(host(registry))
        .await
        .unwrap();
    let (client, connection) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(connection);
    let mut request = http::Request::builder()
        .method("POST")
        .uri(format!("{}{method}", registry.address))
        .header("content-type", "application/grpc")
        .header("te", "trailers");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut client = client.ready().await.unwrap();
    let (response, mut stream) = client
        .send_request(request.body(()).unwrap(), false)
        .unwrap();
    // The registry may answer from the headers alone (an unknown method) and close the stream
    // before the body goes out: the body is then refused here, and the answer still comes.
    let _ = stream.send_data(Bytes::from(body), end);
    let response = response.await.unwrap();
    let (parts, mut body) = response.into_parts();
    let status = |map: &http::HeaderMap, name: &str| {
        map.get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    if parts.headers.contains_key("grpc-status") {
        return (
            status(&parts.headers, "grpc-status"),
            status(&parts.headers, "grpc-message"),
        );
    }
    while body.data().await.is_some() {}
    let trailers = body.trailers().await.unwrap().unwrap_or_default();
    (
        status(&trailers, "grpc-status"),
        status(&trailers, "grpc-message"),
    )
}

/// A gRPC message frame around `message`: uncompressed, its length, the bytes.
fn grpc_frame(message: &[u8]) -> Vec<u8> {
    let mut framed = vec![0];
    framed.extend(u32::try_from(message.len()).unwrap().to_be_bytes());
    framed.extend(message);
    framed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_malformed_requests_are_refused_and_the_registry_keeps_serving() {
    let mut registry = registry();

    // A message over the 1 MiB limit: OUT_OF_RANGE, as the API states.
    let refused = registry
        .registry()
        .await
        .max_encoding_message_size(8 << 20)
        .submit_delegation(SubmitDelegationRequest {
            delegation_cms: vec![0x30; 2 << 20],
            crls: Vec::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::OutOfRange, "{refused:?}");

    // A gRPC frame announcing 4 GiB (and sending 5 bytes): refused before anything is
    // allocated for it.
    let mut huge = vec![0, 0xff, 0xff, 0xff, 0xff];
    huge.extend([1, 2, 3, 4, 5]);
    let (code, message) = h2_call(
        &registry,
        "/eproxy.registry.v1.Registry/SubmitDelegation",
        &[],
        huge,
        true,
    )
    .await;
    assert_eq!(code, (Code::OutOfRange as i32).to_string(), "{message}");

    // Bytes that are not protobuf: INTERNAL, gRPC's code for a request that does not decode,
    // as the API states.
    let (code, message) = h2_call(
        &registry,
        "/eproxy.registry.v1.Registry/GetStatus",
        &[],
        grpc_frame(&[0xff; 40]),
        true,
    )
    .await;
    assert_eq!(code, (Code::Internal as i32).to_string(), "{message}");
    // Those bytes, a frame flagged compressed when no compression was agreed, and a frame cut
    // short: refused, with a reason.
    for body in [
        grpc_frame(&[0xff; 40]),
        vec![1, 0, 0, 0, 3, 1, 2, 3],
        vec![0, 0, 0, 0, 9, 1],
    ] {
        let (code, message) = h2_call(
            &registry,
            "/eproxy.registry.v1.Registry/GetStatus",
            &[],
            body,
            true,
        )
        .await;
        assert_ne!(code, "0", "a malformed body was answered OK");
        assert!(!code.is_empty() && !message.is_empty(), "no reason given");
    }
    // An unknown method: UNIMPLEMENTED.
    let (code, _) = h2_call(
        &registry,
        "/eproxy.registry.v1.Registry/Nothing",
        &[],
        grpc_frame(&[]),
        true,
    )
    .await;
    assert_eq!(code, (Code::Unimplemented as i32).to_string());

    // Malformed connections: each is closed, none takes the registry down.
    let mut garbage = vec![0u8; 64 << 10];
    getrandom::fill(&mut garbage).unwrap();
    raw_exchange(&registry, &garbage);
    raw_exchange(&registry, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    raw_exchange(&registry, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    // The preface, then a SETTINGS frame of an impossible length; then a frame claiming 16 MiB.
    for bad in [frame(5, 4, 0, 0), frame(0xff_ffff, 0, 0, 1)] {
        let mut bytes = PREFACE.to_vec();
        bytes.extend(bad);
        bytes.extend([0; 64]);
        let answer = raw_exchange(&registry, &bytes);
        assert!(
            frame_types(&answer).contains(&7),
            "no GOAWAY: {answer:02x?}"
        );
    }
    // Headers on stream 0, a protocol error.
    let mut bytes = PREFACE.to_vec();
    bytes.extend(frame(0, 4, 0, 0));
    bytes.extend(frame(3, 1, 4, 0));
    bytes.extend([0x82, 0x84, 0x86]);
    raw_exchange(&registry, &bytes);

    still_serving(&mut registry).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_requests_end_at_their_deadline_while_others_are_served() {
    let mut registry = registry();
    // A request body that never arrives: cut off at the registry's deadline.
    let started = Instant::now();
    let stalled = async {
        let answer = h2_call(
            &registry,
            "/eproxy.registry.v1.Registry/GetStatus",
            &[],
            vec![0, 0, 0, 0, 100, 1, 2, 3],
            false,
        )
        .await;
        (answer, Instant::now())
    };
    // Meanwhile another client is served, while the stalled request still waits.
    let other = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        registry.checkpoint().await;
        Instant::now()
    };
    let (((code, message), stalled_ended), served_at) = tokio::join!(stalled, other);
    let waited = stalled_ended - started;
    assert_ne!(code, "0", "{message}");
    assert!(
        waited >= Duration::from_secs(DEADLINE_SECONDS)
            && waited < Duration::from_secs(DEADLINE_SECONDS + 2),
        "the stalled request ended after {waited:?}"
    );
    assert!(
        served_at < stalled_ended,
        "the other client was served only {:?} after the stalled request ended",
        served_at - stalled_ended
    );

    // The client's own, shorter deadline (grpc-timeout 300 ms) is honoured.
    let started = Instant::now();
    let (code, _) = h2_call(
        &registry,
        "/eproxy.registry.v1.Registry/GetStatus",
        &[("grpc-timeout", "300m")],
        vec![0, 0, 0, 0, 100, 1, 2, 3],
        false,
    )
    .await;
    assert_ne!(code, "0");
    // Ended before the registry's own deadline would have ended it.
    assert!(
        started.elapsed() < Duration::from_secs(DEADLINE_SECONDS),
        "the client's deadline was ignored: {:?}",
        started.elapsed()
    );

    still_serving(&mut registry).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_connections_at_once_do_not_starve_other_clients() {
    const IDLE: usize = 1_000;
    const BUSY: usize = 1_500;
    let mut registry = registry();
    let id = DelegationId::of_cms(b"nothing").to_string();

    // Connections that say nothing at all, and connections that sent only the preface.
    let mut idle = Vec::new();
    for i in 0..IDLE {
        let mut stream = TcpStream::connect(host(&registry)).unwrap();
        if i % 2 == 0 {
            stream.write_all(PREFACE).unwrap();
        }
        idle.push(stream);
    }
    // Busy connections, each with a call in flight at once.
    let mut calls = Vec::new();
    for _ in 0..BUSY {
        let channel = Channel::from_shared(registry.address.clone()).unwrap();
        let id = id.clone();
        calls.push(tokio::spawn(async move {
            // A storm of connections can overflow the kernel's queue of connections not yet
            // accepted, and a client then sees its connection reset. It retries once, as gRPC
            // clients do; what must not happen is a registry that stops answering.
            let mut last = String::new();
            for _ in 0..2 {
                let Ok(channel) = channel.connect().await.map_err(|e| last = e.to_string()) else {
                    continue;
                };
                match RegistryClient::new(channel)
                    .get_status(GetStatusRequest {
                        delegation_id: id.clone(),
                    })
                    .await
                {
                    Ok(_) => return Ok(()),
                    Err(status) => last = status.to_string(),
                }
            }
            Err(last)
        }));
    }
    // A well-behaved client meanwhile.
    still_serving(&mut registry).await;
    for call in calls {
        if let Err(error) = call.await.unwrap() {
            panic!("a busy connection's call failed: {error}");
        }
    }
    drop(idle);
    still_serving(&mut registry).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_limit_are_closed_and_the_open_ones_served() {
    const LIMIT: usize = 100;
    let mut registry = Registry::start_with(|_, config| {
        config.replace(
            "max_connections = 10000",
            &format!("max_connections = {LIMIT}"),
        )
    });
    // A client connected first, then connections that hold every other place.
    let mut early = registry.registry().await;
    let mut holders = Vec::new();
    for _ in 0..LIMIT - 1 {
        holders.push(TcpStream::connect(host(&registry)).unwrap());
    }
    // Wait until the registry has accepted them all (each gets its SETTINGS frame).
    for holder in &mut holders {
        holder
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut settings = [0; 9];
        holder.read_exact(&mut settings).unwrap();
    }
    // One more is closed at once, without an answer.
    let mut extra = TcpStream::connect(host(&registry)).unwrap();
    extra
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut answer = Vec::new();
    let _ = extra.read_to_end(&mut answer);
    assert!(answer.is_empty(), "a connection over the limit was served");
    // The early client is still served.
    early
        .get_status(GetStatusRequest {
            delegation_id: DelegationId::of_cms(b"x").to_string(),
        })
        .await
        .unwrap();
    // Places freed are taken again.
    drop(holders);
    tokio::time::sleep(Duration::from_millis(200)).await;
    still_serving(&mut registry).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_holding_every_place_do_not_hold_up_reads() {
    // As many stalled submissions as the four joined below.
    const LIMIT: usize = 4;
    let mut registry = Registry::start_with(|_, config| {
        config
            .replace(
                "request_timeout_seconds = 10",
                &format!("request_timeout_seconds = {DEADLINE_SECONDS}"),
            )
            .replace(
                "concurrency_limit = 256",
                &format!("concurrency_limit = {LIMIT}"),
            )
    });
    // Submissions whose bodies never finish take every place in the write lane until their
    // deadline.
    let started = Instant::now();
    let stall = || {
        h2_call(
            &registry,
            "/eproxy.registry.v1.Registry/SubmitDelegation",
            &[],
            vec![0, 0, 0, 4, 0, 1, 2, 3],
            false,
        )
    };
    let meanwhile = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let page = scrape(&registry.metrics);
        assert!(
            page.contains(&format!(
                "eproxy_requests_in_flight{{lane=\"write\"}} {LIMIT}"
            )),
            "{page}"
        );
        // A read is served at once.
        let read = Instant::now();
        registry.status(&DelegationId::of_cms(b"x")).await;
        let read = read.elapsed();
        // A submission waits for a place: the lane was full.
        let write = registry
            .submit(&poa(&pki().employee, contracts_only()))
            .await;
        (read, write, started.elapsed())
    };
    let (a, b, c, d, (read, write, written_after)) =
        tokio::join!(stall(), stall(), stall(), stall(), meanwhile);
    for (code, message) in [a, b, c, d] {
        assert_ne!(code, "0", "{message}");
    }
    assert!(read < Duration::from_secs(1), "the read waited {read:?}");
    write.unwrap();
    assert!(
        written_after >= Duration::from_millis(DEADLINE_SECONDS * 1000 - 200),
        "the submission did not wait for a place: {written_after:?}"
    );
    still_serving(&mut registry).await;
}

/// The registry's HTTP/2 settings, from the first frame it sends on a new connection.
fn server_settings(registry: &Registry) -> Vec<(u16, u32)> {
    let mut stream = TcpStream::connect(host(registry)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(PREFACE).unwrap();
    stream.write_all(&frame(0, 4, 0, 0)).unwrap();
    let mut header = [0; 9];
    stream.read_exact(&mut header).unwrap();
    assert_eq!(
        header[3], 4,
        "the first frame is not SETTINGS: {header:02x?}"
    );
    let length =
        usize::from(header[0]) << 16 | usize::from(header[1]) << 8 | usize::from(header[2]);
    let mut payload = vec![0; length];
    stream.read_exact(&mut payload).unwrap();
    payload
        .chunks_exact(6)
        .map(|s| {
            (
                u16::from_be_bytes([s[0], s[1]]),
                u32::from_be_bytes([s[2], s[3], s[4], s[5]]),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_carries_at_most_200_calls_at_once() {
    let mut registry = registry();
    // SETTINGS_MAX_CONCURRENT_STREAMS (0x3): without it a client may open streams without
    // bound, each holding its unread request while it waits for a place.
    let settings = server_settings(&registry);
    assert!(settings.contains(&(0x3, 200)), "{settings:?}");
    still_serving(&mut registry).await;
}

/// The registry's threads whose name starts with `prefix`, read from /proc.
fn threads_named(registry: &Registry, prefix: &str) -> usize {
    let pid = registry.process.as_ref().unwrap().id();
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .filter(|task| {
            let comm = std::fs::read_to_string(task.as_ref().unwrap().path().join("comm"));
            comm.unwrap().starts_with(prefix)
        })
        .count()
}

/// Every check runs on the pool's threads, and there is one per core: so no more checks run
/// at once than there are cores, however many submissions arrive. (Sampling the running
/// gauge instead depends on timing: a burst can end between two samples.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_submissions_checks_at_most_one_signature_per_core() {
    const BURST: usize = 48;
    let mut registry = registry();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let checked = |registry: &Registry| metric(&scrape(&registry.metrics), "eproxy_checks_total");
    let before = checked(&registry).expect("eproxy_checks_total missing");
    // As many distinct PoAs sent at once: each is checked in full. (Bytes already registered
    // are answered with their receipt unchecked, so copies of one would not all be.)
    let poas: Vec<Vec<u8>> = (0..BURST)
        .map(|i| {
            let mut delegation = delegation_in(pki(), &pki().employee, contracts_only(), None);
            delegation.remarks = format!("burst {i}");
            signed(&pki().representative, delegation)
        })
        .collect();
    let client = registry.registry().await;
    let calls: Vec<_> = poas
        .into_iter()
        .map(|cms| {
            let mut client = client.clone();
            tokio::spawn(async move { try_submit(&mut client, cms).await })
        })
        .collect();
    let mut answers = Vec::new();
    for call in calls {
        answers.push(call.await.unwrap());
    }
    let registered = answers
        .iter()
        .filter(|a| matches!(a, Ok(r) if !r.already_registered))
        .count();
    assert_eq!(registered, BURST, "{answers:?}");
    // A thread counts its check just after sending the outcome: allow it a moment.
    let deadline = Instant::now() + Duration::from_secs(5);
    while checked(&registry).unwrap() - before < BURST as u64 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        checked(&registry).unwrap() - before,
        BURST as u64,
        "not every copy was checked on the pool"
    );
    assert_eq!(threads_named(&registry, "eproxy-check-"), cores);
    still_serving(&mut registry).await;
}

/// The registry's CPU time, in clock ticks, to refuse one request of each kind `rounds` times:
/// signed by a card's authentication key (no signing anchor vouches for it) and by a genuine
/// signing card without authority over the company.
async fn cpu_ticks_to_refuse(registry: &Registry, rounds: usize) -> u64 {
    let pid = registry.process.as_ref().unwrap().id();
    let requests: Vec<(Vec<u8>, Code)> = (0..rounds)
        .flat_map(|n| {
            [
                (
                    unauthorised_revocation(&pki().employee_authentication, n),
                    Code::InvalidArgument,
                ),
                (
                    unauthorised_revocation(&pki().employee, n),
                    Code::PermissionDenied,
                ),
            ]
        })
        .collect();
    let before = cpu_ticks(pid);
    for (cms, expected) in requests {
        let refused = registry.revoke(&cms).await.unwrap_err();
        assert_eq!(refused.code(), expected, "{}", refused.message());
    }
    cpu_ticks(pid) - before
}

/// A JPKI CRL lists hundreds of thousands of certificates: a request that made the registry
/// parse it would cost the registry a thousand times what it cost the sender. The CRLs are
/// parsed when loaded, and a refused request costs the same whatever their size.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_request_costs_the_same_with_a_crl_of_200000_entries() {
    let der = large_jpki_signing_crl(200_000);
    let large = Registry::start_with(|data, config| {
        std::fs::write(data.join("pki/crl/jpki-signing.crl.pem"), &der).unwrap();
        config
    });
    let small = Registry::start();
    // The large list is in force: a certificate it lists among 200,000 is found.
    let listed = large
        .revoke(&unauthorised_revocation(&pki().moved_employee, 0))
        .await
        .unwrap_err();
    assert_eq!(listed.code(), Code::InvalidArgument);
    assert!(listed.message().contains("revoked"), "{}", listed.message());

    let rounds = 100;
    let with_large = cpu_ticks_to_refuse(&large, rounds).await;
    let with_small = cpu_ticks_to_refuse(&small, rounds).await;
    // Parsing 200,000 entries once a request would cost tens of seconds; half a second of
    // slack absorbs the clock's granularity and a busy machine.
    assert!(
        with_large <= 2 * with_small + 50,
        "refusing {} requests took {with_large} ticks of CPU with a 200,000-entry CRL and \
         {with_small} with the standard one",
        2 * rounds
    );
}
