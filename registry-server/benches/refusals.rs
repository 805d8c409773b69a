//! What a refused request costs the registry when its operator CRLs are as large as JPKI's: a
//! real `eproxy-registry` process configured with a JPKI signing CRL of 500,000 entries (the
//! test PKI's own CA, each entry with a reason code, as JPKI's carry), sent RevokeDelegation
//! requests that it must refuse:
//! - `random bytes`: 4 KiB that are not a CMS SignedData;
//! - `untrusted signer`: a well-formed, signed request whose signer chains to no trusted root
//!   (a look-alike JPKI root of another test PKI);
//! - `card, no authority`: a request signed with a genuine, unrevoked JPKI card that holds no
//!   authority over the company.
//!
//! For each, the requests a second, their latency, and the registry's CPU time per request
//! (from /proc: the cost an attacker imposes) and its peak resident memory.
//!
//! Run: `cargo bench -p eproxy-registry --bench refusals -- [--entries N] [--requests R]
//! [--concurrency C]` (defaults 500000, 400, 8). Results are recorded in BENCHMARKS.md.

use std::time::Instant;

use eproxy_testkit::registry::*;

struct Options {
    entries: usize,
    requests: usize,
    concurrency: usize,
}

fn options() -> Options {
    let mut options = Options {
        entries: 500_000,
        requests: 400,
        concurrency: 8,
    };
    for (name, value) in numeric_arguments() {
        match name.as_str() {
            "--entries" => options.entries = value,
            "--requests" => options.requests = value,
            "--concurrency" => options.concurrency = value,
            other => panic!("unknown argument {other}"),
        }
    }
    options
}

/// Pseudo-random bytes (xorshift), different for each `n`.
fn random_bytes(n: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64 ^ (n as u64).wrapping_mul(0xff51_afd7_ed55_8ccd);
    (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

fn main() {
    let options = options();
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(run(options));
}

async fn run(options: Options) {
    let started = Instant::now();
    let der = large_jpki_signing_crl(options.entries);
    println!(
        "CRL of {} entries: {:.1} MiB DER, made in {:.1} s",
        options.entries,
        der.len() as f64 / (1024.0 * 1024.0),
        started.elapsed().as_secs_f64()
    );
    let starting = Instant::now();
    let registry = Registry::start_with(|data, config| {
        // DER in the file named .pem: the registry reads either.
        std::fs::write(data.join("pki/crl/jpki-signing.crl.pem"), &der).unwrap();
        config
    });
    let pid = registry.process.as_ref().unwrap().id();
    println!(
        "registry serving {:.1} s after init began (the CRL parsed and indexed); peak resident \
         memory after start {} MiB",
        starting.elapsed().as_secs_f64(),
        proc_status_kib(pid, "VmHWM").unwrap() / 1024
    );
    // A signer under a look-alike root: another test PKI, the same names, other keys.
    let outsider =
        TestPki::new("refusal-bench-outsider", UnixTime::from_seconds(unix_now())).unwrap();
    let signed_by = |signer: &Credential| -> Vec<Vec<u8>> {
        (0..options.requests)
            .map(|n| unauthorised_revocation(signer, n))
            .collect()
    };
    let kinds = [
        (
            "random bytes",
            (0..options.requests).map(random_bytes).collect(),
            Code::InvalidArgument,
        ),
        (
            "untrusted signer",
            signed_by(&outsider.employee),
            Code::InvalidArgument,
        ),
        (
            "card, no authority",
            signed_by(&pki().employee),
            Code::PermissionDenied,
        ),
    ];
    println!(
        "{} requests of each kind, {} at a time",
        options.requests, options.concurrency
    );
    for (name, requests, expected) in kinds {
        let channel = Channel::from_shared(registry.address.clone())
            .unwrap()
            .connect()
            .await
            .unwrap();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(requests));
        let ticks_before = cpu_ticks(pid);
        let began = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..options.concurrency {
            let queue = std::sync::Arc::clone(&queue);
            let mut client = RegistryClient::new(channel.clone());
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let Some(cms) = queue.lock().unwrap().pop() else {
                        return latencies;
                    };
                    let sent = Instant::now();
                    let refused = client
                        .revoke_delegation(RevokeDelegationRequest {
                            request_cms: cms,
                            crls: Vec::new(),
                        })
                        .await
                        .expect_err("a request that must be refused was accepted");
                    latencies.push(sent.elapsed());
                    assert_eq!(refused.code(), expected, "{}", refused.message());
                }
            }));
        }
        let mut latencies = Vec::new();
        for task in tasks {
            latencies.extend(task.await.unwrap());
        }
        let wall = began.elapsed();
        let ticks = cpu_ticks(pid) - ticks_before;
        let ticks_per_second = 100.0; // USER_HZ on Linux
        latencies.sort();
        let at = |q: f64| {
            let index = ((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len());
            latencies[index - 1].as_secs_f64() * 1e3
        };
        println!(
            "{name:<20} {:>9.0} requests/s, p50 {:>8.2} ms, p99 {:>8.2} ms, registry CPU {:>8.2} ms \
             a request, peak resident {} MiB",
            latencies.len() as f64 / wall.as_secs_f64(),
            at(0.5),
            at(0.99),
            ticks as f64 * 1e3 / ticks_per_second / latencies.len() as f64,
            proc_status_kib(pid, "VmHWM").unwrap() / 1024
        );
    }
}
