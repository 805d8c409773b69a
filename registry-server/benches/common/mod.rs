//! What the registry's benchmarks share: distinct PoAs signed on every core, and a client that
//! submits them over a few connections.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use eproxy_testkit::cms::CmsSigner;
use eproxy_testkit::registry::*;

/// Connections the client spreads its calls over.
pub const CONNECTIONS: usize = 4;
/// The content of PoA number `i` labelled `label`.
pub fn poa_content(label: &str, i: usize) -> Vec<u8> {
    let mut d = delegation_in(pki(), &pki().employee, contracts_only(), None);
    d.remarks = format!("{label} {i}");
    d.encode()
}

/// `make(i)` for each `i` of `0..count`, in order, computed on every core.
pub fn on_every_core<T: Send>(count: usize, make: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let per_thread = count.div_ceil(threads);
    let make = &make;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    (t * per_thread..((t + 1) * per_thread).min(count))
                        .map(make)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

/// `count` distinct PoAs, numbered from `first`, signed on every core.
pub fn sign_poas(count: usize, label: &str, first: usize) -> Vec<Vec<u8>> {
    on_every_core(count, |i| {
        CmsSigner::new(&pki().representative, &poa_content(label, first + i))
            .sign()
            .unwrap()
    })
}

/// [`CONNECTIONS`] connections to `registry`.
pub async fn channels(registry: &Registry) -> Vec<Channel> {
    let mut channels = Vec::new();
    for _ in 0..CONNECTIONS {
        channels.push(
            Channel::from_shared(registry.address.clone())
                .unwrap()
                .connect()
                .await
                .unwrap(),
        );
    }
    channels
}

/// Submits every one of `poas`, `concurrency` at a time: the latencies and the seconds taken.
pub async fn submit_all(
    channels: &[Channel],
    poas: &Arc<Vec<Vec<u8>>>,
    concurrency: usize,
) -> (Vec<Duration>, f64) {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for task in 0..concurrency {
        let (poas, next) = (Arc::clone(poas), Arc::clone(&next));
        let mut client = RegistryClient::new(channels[task % CONNECTIONS].clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(cms) = poas.get(i) else {
                    return latencies;
                };
                let start = Instant::now();
                let response = submit(&mut client, cms).await;
                assert!(!response.already_registered);
                latencies.push(start.elapsed());
            }
        }));
    }
    let latencies = gather(tasks).await;
    (latencies, started.elapsed().as_secs_f64())
}

/// One submission, which must succeed.
pub async fn submit(client: &mut RegistryClient<Channel>, cms: &[u8]) -> SubmitDelegationResponse {
    try_submit(client, cms.to_vec()).await.unwrap()
}

/// Every client task's latencies.
pub async fn gather(tasks: Vec<tokio::task::JoinHandle<Vec<Duration>>>) -> Vec<Duration> {
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    latencies
}
