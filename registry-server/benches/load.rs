//! The registry under load, client included, on one machine: durable submissions per second
//! (each PoA fully verified), GetStatus per second, latency percentiles, and how soon a
//! submission is in a signed checkpoint. Results and the machine are recorded in BENCHMARKS.md.
//!
//! Run: `cargo bench -p eproxy-registry --bench load -- [--poas N] [--concurrency C]
//! [--status-seconds S] [--fill M] [--sustain SECONDS --rate R [--status-rate Q]]
//! [--write-buffer-mib W] [--database URL]` (defaults 20000, 64, 10, none, none, unpaced,
//! 64: W is the registry's `write_buffer_mib`; with `--database`, the registry is a node of a
//! registry on several machines, on the PostgreSQL at URL, instead of on its embedded
//! RocksDB). With
//! `--fill`, the registry is then filled to M PoAs (untimed) and GetStatus measured
//! again over all of them: lookup latency at scale, against the first measurement. With
//! `--sustain`, the registry then serves, for that long, submissions paced at R a second and
//! GetStatus as fast as the other clients go (or paced at Q a second in all, each call's
//! latency counted from when it was due), and the registry's resident memory is sampled
//! every second with the storage engine's state (level-0 files, compaction backlog, slowed or
//! stopped writes): the report gives each minute's rates, p99s, memory and engine state, and
//! each second's memory, engine state and p99s.

use std::sync::Arc;
use std::time::Instant;

use eproxy_testkit::cms::CmsSigner;
use eproxy_testkit::registry::process;
use eproxy_testkit::registry::*;

mod common;
use common::*;

/// PoAs signed at a time while filling.
const FILL_CHUNK: usize = 50_000;

struct Options {
    poas: usize,
    concurrency: usize,
    status_seconds: u64,
    fill: usize,
    sustain: u64,
    rate: usize,
    /// GetStatus calls a second while sustaining, spread over the clients; 0: unpaced.
    status_rate: usize,
    write_buffer_mib: usize,
    /// The shared database's URL, if the registry runs on one.
    database: Option<String>,
}

fn options() -> Options {
    let mut options = Options {
        poas: 20_000,
        concurrency: 64,
        status_seconds: 10,
        fill: 0,
        sustain: 0,
        rate: 500,
        status_rate: 0,
        write_buffer_mib: 64,
        database: None,
    };
    for (name, value) in arguments() {
        if name == "--database" {
            options.database = Some(value);
            continue;
        }
        let value: usize = value
            .parse()
            .unwrap_or_else(|_| panic!("{name} needs a number"));
        match name.as_str() {
            "--poas" => options.poas = value,
            "--concurrency" => options.concurrency = value,
            "--status-seconds" => options.status_seconds = value as u64,
            "--fill" => options.fill = value,
            "--sustain" => options.sustain = value as u64,
            "--rate" => options.rate = value,
            "--status-rate" => options.status_rate = value,
            "--write-buffer-mib" => options.write_buffer_mib = value,
            other => panic!("unknown argument {other}"),
        }
    }
    options
}

/// The content of PoA number `i` of those labelled `label`: distinct PoAs from the test kit's
/// representative to its employee.
/// The signatures of PoAs `0..count` labelled `label`, made ahead on every core; each CMS is
/// assembled around its signature when it is submitted. A signature is 256 bytes where a whole
/// PoA is some 3 KiB, so an hour at 5,000 a second (18 million PoAs) fits in memory; the
/// sustained phase measures and prints what assembling costs.
struct PresignedPoas {
    label: &'static str,
    signatures: Vec<Vec<u8>>,
}

impl PresignedPoas {
    fn sign(count: usize, label: &'static str) -> Self {
        let signatures = on_every_core(count, |i| {
            CmsSigner::new(&pki().representative, &poa_content(label, i))
                .signature_value()
                .unwrap()
        });
        Self { label, signatures }
    }

    fn len(&self) -> usize {
        self.signatures.len()
    }

    /// PoA number `i`, whole.
    fn poa(&self, i: usize) -> Vec<u8> {
        let content = poa_content(self.label, i);
        let mut signer = CmsSigner::new(&pki().representative, &content);
        signer.signature = Some(self.signatures[i].clone());
        signer.sign().unwrap()
    }
}

/// p50, p99 and p99.9 of `samples`, in milliseconds.
fn percentiles(samples: &mut [Duration]) -> String {
    samples.sort();
    let at = |q: f64| {
        let index = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
        samples[index].as_secs_f64() * 1e3
    };
    format!(
        "p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms ({} samples)",
        at(0.50),
        at(0.99),
        at(0.999),
        samples.len()
    )
}

fn main() {
    let options = options();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(run(options));
}

async fn run(options: Options) {
    let machine = std::thread::available_parallelism().map_or(0, usize::from);
    println!("cores: {machine}");
    let started = Instant::now();
    let poas = Arc::new(sign_poas(options.poas, "load", 0));
    let probes = sign_poas(100, "probe", 0);
    println!(
        "signed {} PoAs in {:.1} s (not timed below)",
        poas.len() + probes.len(),
        started.elapsed().as_secs_f64()
    );
    let port = process::free_port();
    let mirror = tempfile::tempdir().unwrap();
    let registry = Registry::start_on(
        &std::env::temp_dir(),
        &format!("127.0.0.1:{port}"),
        Some(mirror.path().join("registry.log")),
        |_, config| {
            let config = config.replace(
                "write_buffer_mib = 64",
                &format!("write_buffer_mib = {}", options.write_buffer_mib),
            );
            match &options.database {
                Some(url) => process::shared_node_config(
                    &config,
                    url,
                    "bench",
                    port,
                    3_000,
                    &mirror.path().join("bench").display().to_string(),
                ),
                None => config,
            }
        },
    );
    match &options.database {
        Some(_) => {
            // The node takes writes once it has claimed the writer's role.
            let deadline = Instant::now() + Duration::from_secs(30);
            while !scrape(&registry.metrics)
                .lines()
                .any(|l| l == "eproxy_writer 1")
            {
                assert!(
                    Instant::now() < deadline,
                    "the node did not become the writer: {}",
                    std::fs::read_to_string(mirror.path().join("registry.log")).unwrap_or_default()
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            println!("store: PostgreSQL, shared (this node the writer)");
        }
        None => println!("store: RocksDB, embedded"),
    }
    let channels = channels(&registry).await;

    // Durable submissions, each fully verified.
    let (mut latencies, elapsed) = submit_all(&channels, &poas, options.concurrency).await;
    println!(
        "SubmitDelegation: {} in {:.2} s = {:.0}/s durable, concurrency {}; {}",
        poas.len(),
        elapsed,
        poas.len() as f64 / elapsed,
        options.concurrency,
        percentiles(&mut latencies)
    );

    // How soon a receipt's registration is in a signed checkpoint.
    let mut client = RegistryClient::new(channels[0].clone());
    let mut log = TransparencyLogClient::new(channels[0].clone());
    let mut delays = Vec::new();
    for cms in &probes {
        let response = submit(&mut client, cms).await;
        let received = Instant::now();
        let index = receipt_of(&response, &registry).log_index;
        loop {
            let note = log
                .get_checkpoint(GetCheckpointRequest {})
                .await
                .unwrap()
                .into_inner()
                .checkpoint;
            let size: u64 = note.lines().nth(1).unwrap().parse().unwrap();
            if size > index {
                delays.push(received.elapsed());
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    println!("receipt to signed checkpoint: {}", percentiles(&mut delays));

    // GetStatus on registered ids.
    let mut ids: Vec<String> = poas
        .iter()
        .chain(&probes)
        .map(|cms| DelegationId::of_cms(cms).to_string())
        .collect();
    drop(poas);
    let first_p99 = status_load(&channels, &ids, &options).await;

    // Scale: fill up to --fill PoAs (untimed, signed in chunks so that memory stays bounded),
    // then look up again across all of them.
    if options.fill > ids.len() {
        let started = Instant::now();
        while ids.len() < options.fill {
            let chunk = Arc::new(sign_poas(
                FILL_CHUNK.min(options.fill - ids.len()),
                "fill",
                ids.len(),
            ));
            submit_all(&channels, &chunk, options.concurrency).await;
            ids.extend(
                chunk
                    .iter()
                    .map(|cms| DelegationId::of_cms(cms).to_string()),
            );
            println!(
                "filled {} PoAs, {:.0} s",
                ids.len(),
                started.elapsed().as_secs_f64()
            );
        }
        let last_p99 = status_load(&channels, &ids, &options).await;
        println!(
            "GetStatus p99 at {} PoAs / p99 at {} PoAs: {:.2}",
            ids.len(),
            options.poas + probes.len(),
            last_p99.as_secs_f64() / first_p99.as_secs_f64()
        );
    }
    let mut stored = ids.len();
    if options.sustain > 0 {
        stored += sustain(&registry, &channels, &ids, &options).await;
    }
    let data = registry.data_dir().join("db");
    let bytes = directory_size(&data);
    println!(
        "disk: {bytes} bytes for {stored} PoAs = {} bytes/PoA",
        bytes / stored as u64
    );
    if let Some(rss) = registry
        .process
        .as_ref()
        .and_then(|p| proc_status_kib(p.id(), "VmRSS"))
    {
        println!("registry resident memory: {} MiB", rss / 1024);
    }
}

/// One call of the sustained load: the second it ended in, and its latency or, when it failed,
/// its gRPC code. A failed call is counted and reported; it does not end the run, so a long
/// run reports what happened after its first failure too.
type Sample = (u64, Result<Duration, Code>);

/// The sustained load: submissions paced at `--rate` a second and GetStatus over the registered
/// ids as fast as `--concurrency` clients go, for `--sustain` seconds, with the registry's
/// resident memory sampled each second. Prints a line a minute and every memory sample;
/// returns how many PoAs it registered.
async fn sustain(
    registry: &Registry,
    channels: &[Channel],
    ids: &[String],
    options: &Options,
) -> usize {
    let total = options.rate * options.sustain as usize;
    let started = Instant::now();
    let poas = Arc::new(PresignedPoas::sign(total, "sustain"));
    println!(
        "sustain: signed {total} PoAs in {:.0} s (not timed; each CMS is assembled when sent)",
        started.elapsed().as_secs_f64()
    );
    // What assembling costs the client, which shares the cores with the registry.
    let assembling = Instant::now();
    let assembled = poas.len().min(10_000);
    for i in 0..assembled {
        std::hint::black_box(poas.poa(i));
    }
    let each = assembling.elapsed() / u32::try_from(assembled.max(1)).unwrap_or(u32::MAX);
    println!(
        "sustain: assembling a PoA's CMS takes {:.1} µs, {:.0} % of a core at {}/s",
        each.as_secs_f64() * 1e6,
        each.as_secs_f64() * options.rate as f64 * 100.0,
        options.rate
    );
    let ids = Arc::new(ids.to_vec());
    let pid = registry.process.as_ref().map(std::process::Child::id);
    let started = Instant::now();
    let seconds = options.sustain;
    let second = move || started.elapsed().as_secs();

    // Submissions: each tick of 10 ms releases its share of the rate.
    let submitter = {
        // Spread over every connection: one carries at most 200 calls at once.
        let (poas, channels) = (Arc::clone(&poas), channels.to_vec());
        let per_tick = options.rate.div_ceil(100);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(Duration::from_millis(10));
            let mut calls = tokio::task::JoinSet::new();
            let mut samples = Vec::new();
            let mut next = 0;
            while second() < seconds && next < poas.len() {
                ticks.tick().await;
                // Collect finished calls as they come: a finished task's memory is held until
                // it is joined, and an hour is 18 million of them.
                while let Some(sample) = calls.try_join_next() {
                    samples.push(sample.unwrap());
                }
                for _ in 0..per_tick.min(poas.len() - next) {
                    let channel = channels[next % channels.len()].clone();
                    let (cms, mut client) = (poas.poa(next), RegistryClient::new(channel));
                    calls.spawn(async move {
                        let start = Instant::now();
                        let submitted = try_submit(&mut client, cms).await;
                        (
                            second(),
                            submitted.map(|_| start.elapsed()).map_err(|e| e.code()),
                        )
                    });
                    next += 1;
                }
            }
            samples.extend(calls.join_all().await);
            samples
        })
    };
    // GetStatus from the other clients: unpaced, each as fast as it goes, or paced at
    // --status-rate in all. A paced call's latency counts from when it was due, so a stall
    // counts against every call it delays (no coordinated omission).
    // They have connections of their own, as the counterparties checking statuses would: a
    // connection carries at most 200 calls, and with the submissions' connections full their
    // lookups would wait in the client, never reaching the registry.
    let reader_channels = self::channels(registry).await;
    let mut readers = Vec::new();
    for task in 0..options.concurrency {
        let ids = Arc::clone(&ids);
        let mut client = RegistryClient::new(reader_channels[task % CONNECTIONS].clone());
        let mut pace = (options.status_rate > 0).then(|| {
            tokio::time::interval(Duration::from_secs_f64(
                options.concurrency as f64 / options.status_rate as f64,
            ))
        });
        readers.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut i = task * 7919;
            while second() < seconds {
                i = (i + 104_729) % ids.len();
                let due = match &mut pace {
                    Some(pace) => pace.tick().await.into_std(),
                    None => Instant::now(),
                };
                let answered = client
                    .get_status(GetStatusRequest {
                        delegation_id: ids[i].clone(),
                    })
                    .await;
                samples.push((
                    second(),
                    answered.map(|_| due.elapsed()).map_err(|e| e.code()),
                ));
            }
            samples
        }));
    }
    // Resident memory and the storage engine's state, each second.
    let mut machine = Vec::new();
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    while second() < seconds {
        ticks.tick().await;
        let metrics = registry.metrics.clone();
        let page = tokio::task::spawn_blocking(move || scrape(&metrics))
            .await
            .unwrap();
        machine.push(Machine::sample(pid, &page));
    }
    let submitted = submitter.await.unwrap();
    let mut statuses = Vec::new();
    for reader in readers {
        statuses.extend(reader.await.unwrap());
    }
    report_sustained(&submitted, &statuses, &machine, options);
    submitted
        .iter()
        .filter(|(_, outcome)| outcome.is_ok())
        .count()
}

/// The registry's state in one second of the sustained load.
struct Machine {
    /// Resident memory, KiB.
    rss_kib: u64,
    /// What the storage engine holds in memtables and in its block cache, bytes: memory that
    /// grows up to configured bounds, against which the rest of resident memory is read.
    memtable_bytes: u64,
    block_cache_bytes: u64,
    /// The storage engine's gauges (see the metrics page): level-0 files, bytes pending
    /// compaction, whether writes were slowed or stopped.
    level0_files: u64,
    pending_compaction_bytes: u64,
    writes_delayed: bool,
    writes_stopped: bool,
    /// Calls being served, and waiting for a place, in the write and the read lane.
    in_flight: [u64; 2],
    waiting: [u64; 2],
    /// Signature checks queued for a thread.
    checks_waiting: u64,
}

impl Machine {
    /// Resident memory besides the storage engine's memtables and block cache, MiB.
    fn rest_mib(&self) -> u64 {
        (self.rss_kib / 1024).saturating_sub((self.memtable_bytes + self.block_cache_bytes) >> 20)
    }

    fn sample(pid: Option<u32>, page: &str) -> Self {
        let value = |name: &str| -> u64 { metric(page, name).unwrap_or(0) };
        let gauge = |name: &str| value(&format!("eproxy_storage_{name}"));
        let lanes =
            |name: &str| ["write", "read"].map(|lane| value(&format!("{name}{{lane=\"{lane}\"}}")));
        Self {
            rss_kib: pid
                .and_then(|pid| proc_status_kib(pid, "VmRSS"))
                .unwrap_or(0),
            memtable_bytes: gauge("memtable_bytes"),
            block_cache_bytes: gauge("block_cache_bytes"),
            level0_files: gauge("level0_files"),
            pending_compaction_bytes: gauge("pending_compaction_bytes"),
            writes_delayed: gauge("writes_delayed") == 1,
            writes_stopped: gauge("writes_stopped") == 1,
            in_flight: lanes("eproxy_requests_in_flight"),
            waiting: lanes("eproxy_requests_waiting"),
            checks_waiting: value("eproxy_checks_waiting"),
        }
    }
}

/// Each minute's rates, p99s and resident memory, and every memory sample.
fn report_sustained(
    submitted: &[Sample],
    statuses: &[Sample],
    machine: &[Machine],
    options: &Options,
) {
    let in_minute = |samples: &[Sample], minute: u64| -> Vec<Duration> {
        samples
            .iter()
            .filter(|(s, _)| s / 60 == minute)
            .filter_map(|(_, d)| d.ok())
            .collect()
    };
    let failed_in_minute = |samples: &[Sample], minute: u64| -> usize {
        samples
            .iter()
            .filter(|(s, d)| s / 60 == minute && d.is_err())
            .count()
    };
    let p99 = |mut v: Vec<Duration>| -> f64 {
        if v.is_empty() {
            return 0.0;
        }
        v.sort();
        v[(v.len() * 99).div_ceil(100) - 1].as_secs_f64() * 1e3
    };
    println!(
        "sustain: {} s, submissions paced at {}/s, GetStatus from {} clients {}",
        options.sustain,
        options.rate,
        options.concurrency,
        match options.status_rate {
            0 => "unpaced".to_owned(),
            rate => format!("paced at {rate}/s in all"),
        }
    );
    for minute in 0..options.sustain.div_ceil(60) {
        let (subs, stats) = (in_minute(submitted, minute), in_minute(statuses, minute));
        let window = 60.0_f64.min(options.sustain as f64 - minute as f64 * 60.0);
        let seconds: Vec<&Machine> = machine.iter().skip(minute as usize * 60).take(60).collect();
        let span = |value: &dyn Fn(&Machine) -> u64| -> String {
            let values = seconds.iter().map(|m| value(m));
            let (least, most) = (values.clone().min(), values.max());
            format!("{}-{}", least.unwrap_or(0), most.unwrap_or(0))
        };
        println!(
            "  minute {minute}: SubmitDelegation {:.0}/s p99 {:.2} ms; GetStatus {:.0}/s p99 \
             {:.2} ms; RSS {} MiB (memtables {} MiB, block cache {} MiB, the rest {} MiB); \
             level-0 files up to {}, pending compaction up to {} MiB, writes slowed {} s, \
             stopped {} s; write lane up to {} in flight, {} waiting; read lane up to {} \
             waiting; checks up to {} waiting; failed calls {} submissions, {} lookups",
            subs.len() as f64 / window,
            p99(subs),
            stats.len() as f64 / window,
            p99(stats),
            span(&|m| m.rss_kib / 1024),
            span(&|m| m.memtable_bytes >> 20),
            span(&|m| m.block_cache_bytes >> 20),
            span(&Machine::rest_mib),
            seconds.iter().map(|m| m.level0_files).max().unwrap_or(0),
            seconds
                .iter()
                .map(|m| m.pending_compaction_bytes)
                .max()
                .unwrap_or(0)
                >> 20,
            seconds.iter().filter(|m| m.writes_delayed).count(),
            seconds.iter().filter(|m| m.writes_stopped).count(),
            seconds.iter().map(|m| m.in_flight[0]).max().unwrap_or(0),
            seconds.iter().map(|m| m.waiting[0]).max().unwrap_or(0),
            seconds.iter().map(|m| m.waiting[1]).max().unwrap_or(0),
            seconds.iter().map(|m| m.checks_waiting).max().unwrap_or(0),
            failed_in_minute(submitted, minute),
            failed_in_minute(statuses, minute),
        );
    }
    let each_second = |value: &dyn Fn(&Machine) -> String| -> String {
        machine.iter().map(value).collect::<Vec<_>>().join(" ")
    };
    println!(
        "  RSS each second, MiB: {}",
        each_second(&|m| (m.rss_kib / 1024).to_string())
    );
    println!(
        "  memtables each second, MiB: {}",
        each_second(&|m| (m.memtable_bytes >> 20).to_string())
    );
    println!(
        "  block cache each second, MiB: {}",
        each_second(&|m| (m.block_cache_bytes >> 20).to_string())
    );
    println!(
        "  level-0 files each second: {}",
        each_second(&|m| m.level0_files.to_string())
    );
    println!(
        "  writes each second (. flowing, s slowed, X stopped): {}",
        each_second(&|m| match (m.writes_stopped, m.writes_delayed) {
            (true, _) => "X".into(),
            (false, true) => "s".into(),
            (false, false) => ".".into(),
        })
    );
    for (lane, name) in ["write", "read"].iter().enumerate() {
        println!(
            "  {name} lane each second, in flight/waiting: {}",
            each_second(&|m| format!("{}/{}", m.in_flight[lane], m.waiting[lane]))
        );
    }
    for (name, samples) in [("SubmitDelegation", submitted), ("GetStatus", statuses)] {
        let p99s: Vec<String> = (0..options.sustain)
            .map(|second| {
                let in_second = samples.iter().filter(|(s, _)| *s == second);
                format!(
                    "{:.0}",
                    p99(in_second.filter_map(|(_, d)| d.ok()).collect())
                )
            })
            .collect();
        println!("  {name} p99 each second, ms: {}", p99s.join(" "));
        let mut failures: Vec<(String, usize)> = Vec::new();
        for (second, outcome) in samples {
            if let Err(code) = outcome {
                let code = format!("{code:?}");
                match failures.iter_mut().find(|(c, _)| *c == code) {
                    Some((_, count)) => *count += 1,
                    None => {
                        println!("  {name}: first {code} in second {second}");
                        failures.push((code, 1));
                    }
                }
            }
        }
        println!("  {name} failures by code: {failures:?}");
    }
}

/// Submits every PoA of `poas` from `concurrency` client tasks; their latencies and the time it
/// took, seconds.
/// GetStatus on ids spread over all of `ids` for `--status-seconds`; prints the rate and
/// percentiles and returns the p99.
async fn status_load(channels: &[Channel], ids: &[String], options: &Options) -> Duration {
    let ids = Arc::new(ids.to_vec());
    let deadline = Instant::now() + Duration::from_secs(options.status_seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for task in 0..options.concurrency {
        let ids = Arc::clone(&ids);
        let mut client = RegistryClient::new(channels[task % CONNECTIONS].clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = task * 7919;
            while Instant::now() < deadline {
                i = (i + 104_729) % ids.len();
                let start = Instant::now();
                client
                    .get_status(GetStatusRequest {
                        delegation_id: ids[i].clone(),
                    })
                    .await
                    .unwrap();
                latencies.push(start.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = gather(tasks).await;
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "GetStatus over {} PoAs: {:.0}/s, concurrency {}; {}",
        ids.len(),
        latencies.len() as f64 / elapsed,
        options.concurrency,
        percentiles(&mut latencies)
    );
    latencies[(latencies.len() * 99).div_ceil(100).max(1) - 1]
}

fn directory_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| {
                    let path = e.path();
                    if path.is_dir() {
                        directory_size(&path)
                    } else {
                        e.metadata().map_or(0, |m| m.len())
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}
