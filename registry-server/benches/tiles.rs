//! The log at internet scale: tiles served by the registry's own listener and by nginx over
//! the written directory (wrk, Debian's), what a monitor pays to read a log of a million leaves
//! from tiles against the gRPC API, and a witness's round trip. Results and the machine are
//! recorded in BENCHMARKS.md.
//!
//! Run: `cargo build --release -p eproxy-witness && cargo bench -p eproxy-registry --bench tiles
//! -- [--leaves N] [--seconds S] [--rounds R]` (defaults 1000000, 10, 1000): the witness is
//! asked R times, the registry is filled with N PoAs (untimed), and wrk runs S seconds for each
//! source and kind of tile. Needs wrk and nginx (`scripts/ensure-system-deps`).

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use ed25519_dalek::{Signer as _, SigningKey};
use eproxy_http::client::{Request, exchange};
use eproxy_testkit::registry::*;
use eproxy_verifier::add_checkpoint::AddCheckpoint;
use eproxy_verifier::merkle::{consistency_proof, consistency_proof_in, root};
use eproxy_verifier::tile::{
    MAX_BUNDLE_BYTES, MAX_TILE_BYTES, TILE_WIDTH, TileHashes, TilePath, parse_entry_bundle,
};

mod common;
use common::*;

/// PoAs signed and submitted at a time while filling.
const FILL_CHUNK: usize = 50_000;

struct Options {
    leaves: usize,
    seconds: u64,
    rounds: usize,
}

fn options() -> Options {
    let mut options = Options {
        leaves: 1_000_000,
        seconds: 10,
        rounds: 1_000,
    };
    for (name, value) in numeric_arguments() {
        match name.as_str() {
            "--leaves" => options.leaves = value,
            "--seconds" => options.seconds = value as u64,
            "--rounds" => options.rounds = value,
            other => panic!("unknown argument {other}"),
        }
    }
    options
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
    println!(
        "cores: {}",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    witness_round_trip(options.rounds).await;

    let registry = Registry::start_with(|_, config| {
        config.replace("tiles_directory = \"\"", "tiles_directory = \"tiles\"")
    });
    let channels = channels(&registry).await;
    let started = Instant::now();
    let mut filled = 0;
    while filled < options.leaves {
        let chunk = Arc::new(sign_poas(
            FILL_CHUNK.min(options.leaves - filled),
            "tiles",
            filled,
        ));
        submit_all(&channels, &chunk, 64).await;
        filled += chunk.len();
        println!(
            "filled {filled} leaves, {:.0} s",
            started.elapsed().as_secs_f64()
        );
    }
    let size = options.leaves as u64;
    let files = registry.data_dir().join("tiles");
    let note = wait_for_files(&files, size).await;
    let key = registry.verifier_key();
    let checkpoint = verify_checkpoint(&AWS_LC, &note, &key).unwrap();
    let nginx = Nginx::serve(&files);

    // Full tiles at random, from each server.
    let full = size / TILE_WIDTH;
    for (source, prefix) in [
        ("registry listener", registry.tiles.clone()),
        ("nginx over the files", format!("http://{}", nginx.address)),
    ] {
        for (kind, path) in [
            ("level-0 hash tile", "tile/0/"),
            ("entry bundle", "tile/entries/"),
        ] {
            let (rate, latency) = wrk(&prefix, path, full, options.seconds);
            println!("{source}: random full {kind}s: {rate} requests/s, {latency}");
        }
    }

    // A monitor reading every leaf and checking the root, from tiles and from gRPC.
    let prefix = format!("http://{}", nginx.address);
    let started = Instant::now();
    let mut bytes = 0;
    let mut hashes = Vec::with_capacity(options.leaves);
    for first in (0..size).step_by(TILE_WIDTH as usize) {
        let path = TilePath::entries_holding(first, size).unwrap();
        let url = format!("{prefix}/{path}");
        let answer = exchange(
            &url,
            Request::Get,
            MAX_BUNDLE_BYTES,
            Duration::from_secs(10),
        )
        .await
        .unwrap();
        bytes += answer.body.len();
        for leaf in parse_entry_bundle(&answer.body, path.width).unwrap() {
            hashes.push(leaf_hash(leaf));
        }
    }
    assert_eq!(root(&hashes), checkpoint.root);
    println!(
        "monitor from tiles (nginx): {} leaves read and the root checked in {:.2} s, {:.1} MB",
        hashes.len(),
        started.elapsed().as_secs_f64(),
        bytes as f64 / 1e6
    );
    let started = Instant::now();
    let mut log = registry.log().await;
    let mut hashes = Vec::with_capacity(options.leaves);
    let mut bytes = 0;
    while (hashes.len() as u64) < size {
        let start = hashes.len() as u64;
        let leaves = log
            .get_leaves(GetLeavesRequest {
                start,
                end: (start + 1_000).min(size),
            })
            .await
            .unwrap()
            .into_inner()
            .leaves;
        for leaf in &leaves {
            bytes += leaf.len();
            hashes.push(leaf_hash(leaf));
        }
    }
    assert_eq!(root(&hashes), checkpoint.root);
    println!(
        "monitor from gRPC GetLeaves: {} leaves read and the root checked in {:.2} s, {:.1} MB of leaves",
        hashes.len(),
        started.elapsed().as_secs_f64(),
        bytes as f64 / 1e6
    );

    // A monitor's consistency proof from half the log to all of it.
    let old = size / 2;
    let started = Instant::now();
    let fetched = std::sync::atomic::AtomicUsize::new(0);
    let fetch = |path: &TilePath| {
        fetched.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        eproxy_http::client::fetch(
            &format!("{prefix}/{path}"),
            Request::Get,
            MAX_TILE_BYTES,
            Duration::from_secs(10),
        )
    };
    let from_tiles = tokio::task::block_in_place(|| {
        consistency_proof_in(&TileHashes::new(size, fetch), old, size).unwrap()
    });
    println!(
        "consistency proof {old} -> {size} from tiles: {:.1} ms, {} tiles fetched",
        started.elapsed().as_secs_f64() * 1e3,
        fetched.into_inner()
    );
    let started = Instant::now();
    let from_grpc = log
        .get_consistency_proof(GetConsistencyProofRequest {
            old_size: old,
            new_size: size,
        })
        .await
        .unwrap()
        .into_inner()
        .hashes;
    println!(
        "consistency proof {old} -> {size} from gRPC: {:.1} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    assert_eq!(from_tiles, Some(to_hashes(&from_grpc)));
}

/// Waits (up to 10 minutes) until the directory's checkpoint covers `size` leaves.
async fn wait_for_files(dir: &Path, size: u64) -> String {
    for _ in 0..6_000 {
        let note = std::fs::read_to_string(dir.join("checkpoint")).unwrap_or_default();
        if note.lines().nth(1) == Some(size.to_string().as_str()) {
            return note;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the written tiles did not reach {size} leaves");
}

/// wrk for `seconds` on random full tiles `path<N>` (N below `full`): requests/s and the
/// latency percentiles wrk reports.
fn wrk(prefix: &str, path: &str, full: u64, seconds: u64) -> (String, String) {
    let script = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        script.path(),
        format!(
            "math.randomseed(7)\n\
             local function group(n) return string.format('%03d', n % 1000) end\n\
             local function index(n)\n\
               local s = group(n) n = math.floor(n / 1000)\n\
               while n > 0 do s = 'x' .. group(n) .. '/' .. s n = math.floor(n / 1000) end\n\
               return s\n\
             end\n\
             request = function()\n\
               return wrk.format(nil, '/{path}' .. index(math.random(0, {last})))\n\
             end\n",
            last = full - 1
        ),
    )
    .unwrap();
    let output = Command::new("wrk")
        .args(["-t2", "-c64", "--latency", "-d"])
        .arg(format!("{seconds}s"))
        .arg("-s")
        .arg(script.path())
        .arg(prefix)
        .output()
        .expect("wrk runs (scripts/ensure-system-deps installs Debian's wrk)");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(!text.contains("Non-2xx"), "{text}");
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(name).map(|v| v.trim().to_owned()))
            .unwrap_or_else(|| panic!("no {name} in {text}"))
    };
    let rate = field("Requests/sec:");
    let latency = format!("p50 {}, p99 {}", field("50%"), field("99%"));
    (rate, latency)
}

/// `rounds` add-checkpoint requests to an `eproxy-witness`, each growing a log by one leaf with
/// its consistency proof: the round trip a published checkpoint waits for its cosignature.
async fn witness_round_trip(rounds: usize) {
    let signing = SigningKey::from_bytes(&[77; 32]);
    let key = VerifierKey::new("bench.example/log", signing.verifying_key().to_bytes()).unwrap();
    let witness = WitnessServer::start("bench.example/w1", 78, &key);
    let leaves: Vec<Hash> = (0..=rounds as u64 + 1000)
        .map(|i| leaf_hash(&i.to_be_bytes()))
        .collect();
    let mut samples = Vec::with_capacity(rounds);
    for round in 0..=rounds {
        let (old, size) = match round {
            0 => (0, 1000),
            _ => (999 + round as u64, 1000 + round as u64),
        };
        let body = Checkpoint {
            origin: key.name().to_owned(),
            size,
            root: root(&leaves[..size as usize]),
        }
        .body();
        let signature = signing.sign(body.as_bytes()).to_bytes();
        let note = format!("{body}\n{}", key.signature_line(&signature));
        let proof = match old {
            0 => Vec::new(),
            _ => consistency_proof(&leaves[..size as usize], old as usize).unwrap(),
        };
        let request = AddCheckpoint {
            old_size: old,
            proof,
            checkpoint: &note,
        }
        .encode()
        .into_bytes();
        let start = Instant::now();
        let answer = exchange(
            &witness.url,
            Request::Post {
                content_type: "text/plain",
                body: request,
            },
            4096,
            Duration::from_secs(10),
        )
        .await
        .unwrap();
        if round > 0 {
            samples.push(start.elapsed());
        }
        assert_eq!(
            answer.status,
            200,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
    }
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    println!(
        "witness round trip (add-checkpoint, growing by one leaf, state synced): p50 {:.2} ms, \
         p99 {:.2} ms over {rounds}",
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3
    );
}
