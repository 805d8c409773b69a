//! The listener: opens the store, rebuilds the log, starts the sequencer and the background
//! tasks (checkpoint publisher, nonce pruner, CRL reloader), and serves gRPC until SIGTERM or
//! SIGINT, then finishes in-flight requests, publishes a last checkpoint and returns.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use eproxy_proto::registry::v1::registry_server::RegistryServer;
use eproxy_proto::registry::v1::transparency_log_server::TransparencyLogServer;
use eproxy_verifier::verify::Verifier;
use tokio::net::TcpListener;
use tonic::transport::{Identity, ServerTlsConfig};

use super::config::{Config, KEY_FILE, Shared};
use super::connections;
use super::crl_reload::{self, CrlFiles};
use super::election::Election;
use super::lanes::Lanes;
use super::metrics::{self, Metrics};
use super::operator_inbox;
use super::signals::Signals;
use super::{tile_files, witnessing};
use crate::admit::Admission;
use crate::admit::checks::Checks;
use crate::api::CallObserver;
use crate::api::answers::Answers;
use crate::api::peer_rates::PeerRates;
use crate::api::repeats::Repeats;
use crate::api::service::{Api, RegistryService};
use crate::api::tiles;
use crate::log::Log;
use crate::log::mirror::Mirror;
use crate::log::operator::Operator;
use crate::store::{PgStore, RocksStore, Store, upgrade};
use crate::write::command::{Command, Outcome};
use crate::write::{CommitObserver, Role, Sequencer, WriterParts};
use eproxy_http::{HttpAnswer, HttpRequest};

/// Calls open at once on one connection (SETTINGS_MAX_CONCURRENT_STREAMS); a client wanting
/// more opens more connections (up to `max_connections`). The HTTP/2 stack's default, which
/// the gRPC server would otherwise replace with no limit at all: calls accepted but still
/// waiting for a place in their lane each hold a stream and their request's unread data, and a
/// connection whose unread data fills its flow-control window starves into tiny DATA frames
/// until the stack's budget for them closes it (the suspected cause of a load client's broken
/// pipe, BENCHMARKS.md).
const MAX_STREAMS_PER_CONNECTION: u32 = 200;

/// Streams the registry may reset for a client's protocol errors before it closes the
/// connection (the "MadeYouReset" defence): the HTTP/2 stack's default, which the gRPC server
/// would otherwise turn off.
const MAX_LOCAL_ERROR_RESETS: usize = 1024;

/// How often a grown log gets a new signed checkpoint.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(250);

/// How often spent nonces that no fresh request can carry are forgotten.
const PRUNE_INTERVAL: Duration = Duration::from_secs(60);

/// The database's directory inside the data directory.
pub const DB_DIR: &str = "db";

/// Serves the registry in `data_dir` with `config`. Errors are for people.
pub async fn serve(data_dir: &Path, config: Config) -> Result<(), String> {
    // First of all: a stop requested while the store opens is then graceful too.
    let signals = Signals::install().map_err(|e| format!("cannot handle signals: {e}"))?;
    let anchors = config.anchors(data_dir).map_err(|e| e.to_string())?;
    let revocation = config.revocation_policy().map_err(|e| e.to_string())?;
    let titles = config.representative_titles().map_err(|e| e.to_string())?;
    let crl_files = CrlFiles {
        data_dir: data_dir.to_path_buf(),
        files: config.crls.clone(),
    };
    let crls = Arc::new(crl_files.load().map_err(|e| e.to_string())?);
    let crl_reload = config.crl_reload_interval().map_err(|e| e.to_string())?;
    let (release_rate, release_burst) = config.release_allowance().map_err(|e| e.to_string())?;
    let operator = Arc::new(
        Operator::load(&config.origin, &data_dir.join(KEY_FILE)).map_err(|e| e.to_string())?,
    );
    let shared = config.shared().map_err(|e| e.to_string())?;
    let (store, database) = open_store(data_dir, &config, shared.as_ref())?;
    let log = open_log(data_dir, &config, store.as_ref(), &operator)?;
    let nearest: Arc<dyn Store> = match shared.as_ref().and_then(|s| s.read_url.as_deref()) {
        Some(url) => {
            Arc::new(PgStore::open_reader(url).map_err(|e| format!("database_read_url: {e}"))?)
        }
        None => Arc::clone(&store),
    };
    if database.is_none() {
        for done in upgrade::run(store.as_ref())? {
            tracing::info!("{done}");
        }
    }
    let lanes = Lanes::new(config.concurrency_limit);
    let checks = Checks::per_core();
    // A follower until it writes: at once on one machine, once elected on several.
    let writer = Arc::new(Role::follower(match &database {
        Some(database) => {
            let head = database.head().map_err(|e| e.to_string())?;
            if head.lease_expired {
                String::new()
            } else {
                head.writer_url
            }
        }
        None => String::new(),
    }));
    let metrics = Arc::new(Metrics::new(
        Arc::clone(&log),
        Arc::clone(&store),
        lanes.clone(),
        checks.clone(),
        Arc::clone(&writer),
    ));
    if database.is_none() {
        let sequencer = Sequencer::start(WriterParts {
            store: Arc::clone(&store),
            log: Arc::clone(&log),
            operator: Arc::clone(&operator),
            observer: Arc::clone(&metrics) as Arc<dyn CommitObserver>,
            epoch: 0,
        })
        .map_err(|e| format!("cannot start the sequencer: {e}"))?;
        // Leaves durable beyond the stored checkpoint (a crash before the last one was
        // signed) are covered before anything is served.
        sequencer
            .publish()
            .await
            .map_err(|e| format!("the checkpoint could not be published: {e}"))?;
        writer.become_writer(sequencer);
    }
    let service = Arc::new(RegistryService {
        observer: Arc::clone(&metrics) as Arc<dyn CallObserver>,
        answers: Answers {
            store: Arc::clone(&store),
            nearest,
            standby_lag: Arc::default(),
            log: Arc::clone(&log),
            operator: Arc::clone(&operator),
        },
        writer,
        checks,
        admission: Arc::new(Admission {
            verifier: Verifier::new(anchors)
                .with_revocation(revocation)
                .with_representative_titles(titles),
            max_validity_seconds: i64::from(config.max_validity_days) * 86_400,
            crls: Arc::clone(&crls),
            store: Arc::clone(&store),
            operator: Arc::clone(&operator),
        }),
        repeats: Repeats::default(),
        peer_rates: PeerRates::new(release_rate, release_burst),
    });

    let election = match (&database, shared) {
        (Some(database), Some(shared)) => Some(tokio::spawn(
            Election {
                database: Arc::clone(database),
                shared,
                log: Arc::clone(&log),
                operator: Arc::clone(&operator),
                observer: Arc::clone(&metrics) as Arc<dyn CommitObserver>,
            }
            .run(Arc::clone(&service)),
        )),
        _ => None,
    };
    let inbox = database.as_ref().map(|database| {
        tokio::spawn(operator_inbox::serve(
            Arc::clone(database) as Arc<dyn Store>,
            Arc::clone(&service),
            Arc::clone(&operator),
        ))
    });
    let publisher = tokio::spawn(publish_checkpoints(Arc::clone(&service)));
    let pruner = tokio::spawn(prune_nonces(Arc::clone(&service)));
    let crl_reloader = tokio::spawn(crl_reload::keep_current(
        crl_files,
        crls,
        crl_reload,
        signals.hangups,
        Arc::clone(&metrics),
    ));
    let listener = listen(&config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    // One line on standard output for each listener, for operators and for tests that listen
    // on port 0.
    announce(&format!("listening on {address}"));
    let metrics_server = serve_http(&config.metrics_listen, "metrics", "/metrics", {
        let metrics = Arc::clone(&metrics);
        move |_: &str, _: &str| metrics::answer(&metrics)
    })
    .await?;
    let tile_writer = (!config.tiles_directory.as_os_str().is_empty()).then(|| {
        tokio::spawn(tile_files::keep_written(
            data_dir.join(&config.tiles_directory),
            service.answers.clone(),
        ))
    });
    let (witnesses, witness_interval) = config.witnesses().map_err(|e| e.to_string())?;
    let witnessing = (!witnesses.is_empty()).then(|| {
        tokio::spawn(witnessing::keep_witnessed(
            service.answers.clone(),
            witnesses,
            witness_interval,
        ))
    });
    let tiles_server = serve_http(&config.tiles_listen, "the log's tiles", "/checkpoint", {
        let answers = service.answers.clone();
        move |method: &str, path: &str| tiles::answer(&answers, method, path)
    })
    .await?;
    tracing::info!(%address, origin = operator.origin(), size = log.size(), "serving");

    let limit = config.max_message_bytes;
    let grace = Duration::from_secs(config.request_timeout_seconds);
    let (stopping, stopped) = tokio::sync::oneshot::channel::<()>();
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<RegistryServer<Api>>().await;
    health.set_serving::<TransparencyLogServer<Api>>().await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(eproxy_proto::registry::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|e| format!("reflection: {e}"))?;
    let mut builder = tonic::transport::Server::builder();
    if let Some(tls) = config.tls(data_dir).map_err(|e| e.to_string())? {
        builder = builder
            .tls_config(
                ServerTlsConfig::new().identity(Identity::from_pem(tls.certificate, tls.key)),
            )
            .map_err(|e| format!("TLS: {e}"))?;
    }
    let server = builder
        .timeout(grace)
        .max_concurrent_streams(MAX_STREAMS_PER_CONNECTION)
        .http2_max_local_error_reset_streams(Some(MAX_LOCAL_ERROR_RESETS))
        // Limits for the whole server, however many connections share them: one for the
        // calls that write, one for those that read.
        .layer(lanes)
        .add_service(health_service)
        .add_service(reflection)
        .add_service(
            RegistryServer::new(Api(Arc::clone(&service)))
                .max_decoding_message_size(limit)
                .max_encoding_message_size(4 * limit),
        )
        .add_service(
            TransparencyLogServer::new(Api(Arc::clone(&service)))
                .max_decoding_message_size(limit)
                .max_encoding_message_size(4 * limit),
        )
        .serve_with_incoming_shutdown(
            connections::accept(listener, config.max_connections),
            async {
                signals.stop.received().await;
                let _ = stopping.send(());
            },
        );
    // Requests in flight get one request deadline to finish; idle clients do not hold the
    // registry open.
    tokio::select! {
        served = server => served.map_err(|e| format!("the server failed: {e}"))?,
        () = async {
            let _ = stopped.await;
            tokio::time::sleep(grace).await;
        } => tracing::warn!("requests still open after the grace period were dropped"),
    }

    for task in [election, inbox].into_iter().flatten() {
        task.abort();
    }
    publisher.abort();
    pruner.abort();
    crl_reloader.abort();
    for task in [metrics_server, tiles_server, tile_writer, witnessing]
        .into_iter()
        .flatten()
    {
        task.abort();
    }
    // Repeated evidence releases counted since their last record go into the audit trail.
    for release in service.repeats.drain() {
        if let Err(error) = service.writer.apply(Command::Release(release)).await {
            tracing::error!(%error, "repeated releases not recorded");
        }
    }
    // The last checkpoint, by the writer; then the writer finishes and releases the store
    // before the process ends: RocksDB must be closed, not torn down under a running thread.
    let published = service.writer.publish().await;
    let epoch = service
        .writer
        .sequencer()
        .map(|sequencer| sequencer.epoch());
    service.writer.stop().await;
    drop(service);
    published.map_err(|e| format!("the last checkpoint could not be published: {e}"))?;
    // A writer on a shared database gives its role up at once, for the next node to take.
    if let (Some(database), Some(epoch)) = (&database, epoch) {
        let database = Arc::clone(database);
        let released = tokio::task::spawn_blocking(move || database.release(epoch)).await;
        if let Ok(Err(error)) = released {
            tracing::warn!(%error, epoch, "the writer's lease was not released; it runs out");
        }
    }
    tracing::info!(size = log.size(), "stopped");
    Ok(())
}

/// A store, and the shared database it is when it is one.
type OpenedStore = (Arc<dyn Store>, Option<Arc<PgStore>>);

/// The store `config` names: the embedded database in the data directory, or the database
/// several nodes share (returned twice: as the store, and for the election).
fn open_store(
    data_dir: &Path,
    config: &Config,
    shared: Option<&Shared>,
) -> Result<OpenedStore, String> {
    if let Some(shared) = shared {
        let database = Arc::new(PgStore::open(&shared.url).map_err(|e| e.to_string())?);
        return Ok((Arc::clone(&database) as Arc<dyn Store>, Some(database)));
    }
    if !(1..=4096).contains(&config.write_buffer_mib) {
        return Err(format!(
            "write_buffer_mib = {}: expected 1 to 4096",
            config.write_buffer_mib
        ));
    }
    let write_buffer = config.write_buffer_mib as usize * (1 << 20);
    let store =
        RocksStore::open_with(&data_dir.join(DB_DIR), write_buffer).map_err(|e| e.to_string())?;
    Ok((Arc::new(store), None))
}

/// The log of `store`, rebuilt and checked against its own checkpoint and, when the
/// configuration names a checkpoint mirror, against the latest checkpoint published there; from
/// then on every checkpoint is mirrored.
pub fn open_log(
    data_dir: &Path,
    config: &Config,
    store: &dyn Store,
    operator: &Operator,
) -> Result<Arc<Log>, String> {
    let log = Arc::new(Log::open(store, operator).map_err(|e| e.to_string())?);
    if !config.checkpoint_mirror.as_os_str().is_empty() {
        let mirror = Mirror::new(&data_dir.join(&config.checkpoint_mirror), operator);
        log.check_mirror(&mirror, store, operator)?;
        log.mirror_to(mirror).map_err(|e| e.to_string())?;
    }
    Ok(log)
}

/// How many connections the kernel may queue before they are accepted (capped by
/// net.core.somaxconn): a burst of clients beyond it would see their connections dropped or
/// reset. Tokio's default is 1,024.
const LISTEN_BACKLOG: u32 = 4_096;

/// Listens on `address` (host:port; the first address it resolves to).
async fn listen(address: &str) -> std::io::Result<TcpListener> {
    let address = tokio::net::lookup_host(address)
        .await?
        .next()
        .ok_or_else(|| std::io::Error::other("the address resolves to nothing"))?;
    let socket = if address.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Serves `answer` over HTTP on `listen` (none if empty), announcing `what` at `path`.
async fn serve_http<F>(
    listen: &str,
    what: &str,
    path: &str,
    answer: F,
) -> Result<Option<tokio::task::JoinHandle<()>>, String>
where
    F: Fn(&str, &str) -> HttpAnswer + Send + Sync + 'static,
{
    if listen.is_empty() {
        return Ok(None);
    }
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot serve {what} on {listen}: {e}"))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    announce(&format!("{what} on http://{address}{path}"));
    // Both listeners answer GET only: a request with a body is refused before it is read.
    let answer = move |request: HttpRequest| answer(&request.method, &request.path);
    Ok(Some(tokio::spawn(eproxy_http::listener::serve(
        listener,
        0,
        Arc::new(answer),
    ))))
}

/// Tells standard output, if anyone still reads it.
fn announce(line: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "eproxy-registry: {line}").and_then(|()| out.flush());
}

/// Has the one writer sign a checkpoint whenever the log has grown, every
/// [`CHECKPOINT_INTERVAL`].
async fn publish_checkpoints(service: Arc<RegistryService>) {
    let mut ticks = tokio::time::interval(CHECKPOINT_INTERVAL);
    loop {
        ticks.tick().await;
        if let Err(error) = service.writer.publish().await {
            tracing::error!(%error, "checkpoint not published");
        }
    }
}

/// Forgets spent nonces no fresh request can carry any more, every [`PRUNE_INTERVAL`], through
/// the one writer.
async fn prune_nonces(service: Arc<RegistryService>) {
    let mut ticks = tokio::time::interval(PRUNE_INTERVAL);
    loop {
        ticks.tick().await;
        if service.writer.sequencer().is_none() {
            continue; // the writer prunes
        }
        match service.writer.apply(Command::PruneNonces).await {
            Ok(Outcome::Pruned(0)) => {}
            Ok(outcome) => tracing::info!(?outcome, "spent nonces forgotten"),
            Err(error) => tracing::warn!(%error, "spent nonces not pruned"),
        }
    }
}
