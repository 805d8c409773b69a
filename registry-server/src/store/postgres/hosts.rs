//! Connections to the first suitable host among the database's hosts (the primary, for a URL
//! with `target_session_attrs=read-write`; any server, a standby included, for a reader's),
//! tried one after another, each within a time limit that covers its whole handshake. The
//! client library's own connect timeout covers only the socket, and a paused host (whose
//! kernel still completes connections) would then hold every new connection at its handshake,
//! never reaching the host behind it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use deadpool::managed::{Manager, Metrics, RecycleError, RecycleResult};
use tokio_postgres::config::{Host, TargetSessionAttrs};
use tokio_postgres::{Client, Config, NoTls, Statement};

use crate::store::StoreError;

/// How long a connection's sent data may go unacknowledged before the kernel ends it.
const UNACKNOWLEDGED: Duration = Duration::from_secs(10);

/// How long a host that failed to take a connection is tried after the others.
const PASSED_OVER: Duration = Duration::from_secs(5);

/// How long a reader's connection to a host other than the first it would try now is kept:
/// after a failover a reader's connections go back to its nearest host, so that a fault on
/// one server does not reach every node that once fell over to it.
const AWAY_FROM_NEAREST: Duration = Duration::from_secs(10);

/// The hosts of a database URL, each with the URL's other settings.
#[derive(Debug)]
pub struct Hosts {
    hosts: Vec<Config>,
    per_host: Duration,
    /// When each host (by its place) last failed to take a connection: for [`PASSED_OVER`]
    /// after, it is tried last, so that a dead or cut-off host does not cost every new
    /// connection its time limit.
    failed: std::sync::Mutex<HashMap<usize, Instant>>,
    /// Whether any host serves (`target_session_attrs=any`, a reader's URL), so that the
    /// nearest is the one to return to.
    any_serves: bool,
}

impl Hosts {
    /// The hosts `url` names, in its order, each tried for at most `per_host`.
    pub fn of(url: &Config, per_host: Duration) -> Result<Self, StoreError> {
        let ports = url.get_ports();
        let mut hosts = Vec::new();
        for (i, host) in url.get_hosts().iter().enumerate() {
            let mut one = Config::new();
            match host {
                Host::Tcp(name) => one.host(name),
                Host::Unix(path) => one.host_path(path),
            };
            one.port(ports.get(i).or(ports.first()).copied().unwrap_or(5432));
            if let Some(user) = url.get_user() {
                one.user(user);
            }
            if let Some(password) = url.get_password() {
                one.password(password);
            }
            if let Some(dbname) = url.get_dbname() {
                one.dbname(dbname);
            }
            if let Some(options) = url.get_options() {
                one.options(options);
            }
            if let Some(name) = url.get_application_name() {
                one.application_name(name);
            }
            one.target_session_attrs(url.get_target_session_attrs());
            one.connect_timeout(per_host);
            // A host cut off the network acknowledges nothing: the kernel then ends the
            // connection after this long (sent data or keepalive probes unacknowledged), so a
            // call given up on there frees its connection, and an idle one to that host is not
            // handed out for ever. A live host, however busy, acknowledges at once.
            one.tcp_user_timeout(UNACKNOWLEDGED)
                .keepalives_idle(UNACKNOWLEDGED)
                .keepalives_interval(Duration::from_secs(1));
            hosts.push(one);
        }
        if hosts.is_empty() {
            return Err(StoreError("the database URL names no host".into()));
        }
        Ok(Self {
            hosts,
            per_host,
            failed: std::sync::Mutex::default(),
            any_serves: url.get_target_session_attrs() == TargetSessionAttrs::Any,
        })
    }

    /// The hosts' places in the order to try them at `now`: the URL's, those that failed
    /// within [`PASSED_OVER`] last.
    fn order(&self, now: Instant) -> Vec<usize> {
        let failed = self.failed();
        let mut order: Vec<usize> = (0..self.hosts.len()).collect();
        order.sort_by_key(|place| failed_recently(&failed, *place, now));
        order
    }

    /// The place [`Hosts::order`] puts first at `now`, found without sorting: it is asked on
    /// every connection a reader's pool hands out.
    fn first(&self, now: Instant) -> usize {
        let failed = self.failed();
        (0..self.hosts.len())
            .find(|place| !failed_recently(&failed, *place, now))
            .unwrap_or(0)
    }

    fn failed(&self) -> std::sync::MutexGuard<'_, HashMap<usize, Instant>> {
        self.failed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a reader's connection to the host at `place`, made at `made`, has been kept
    /// long enough on a host other than the first it would go to at `now`.
    fn away_from_nearest(&self, place: usize, made: Instant, now: Instant) -> bool {
        self.any_serves
            && now.saturating_duration_since(made) >= AWAY_FROM_NEAREST
            && self.first(now) != place
    }

    /// Records whether the host at `place` took a connection.
    fn took(&self, place: usize, took: bool) {
        let mut failed = self.failed();
        if took {
            failed.remove(&place);
        } else {
            failed.insert(place, Instant::now());
        }
    }
}

/// Whether `failed` has the host at `place` failing within [`PASSED_OVER`] before `now`.
fn failed_recently(failed: &HashMap<usize, Instant>, place: usize, now: Instant) -> bool {
    failed
        .get(&place)
        .is_some_and(|at| now.saturating_duration_since(*at) < PASSED_OVER)
}

/// A connection to the primary, with the statements prepared on it so far: each of the store's
/// statements is parsed and planned once per connection rather than once per call, which makes
/// a call one round trip instead of two (a prepare, then the execution).
pub struct Link {
    /// The connection.
    pub client: Client,
    /// Statements by their text.
    prepared: HashMap<&'static str, Statement>,
    /// The host's place in the URL.
    place: usize,
    /// When it was made.
    made: Instant,
}

impl Link {
    /// `sql` prepared on this connection, prepared now if it was not before.
    pub async fn statement(&mut self, sql: &'static str) -> Result<Statement, StoreError> {
        if let Some(statement) = self.prepared.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self
            .client
            .prepare(sql)
            .await
            .map_err(|e| StoreError(format!("the database: {e}")))?;
        self.prepared.insert(sql, statement.clone());
        Ok(statement)
    }
}

impl Manager for Hosts {
    type Type = Link;
    type Error = StoreError;

    async fn create(&self) -> Result<Link, StoreError> {
        let mut failures = Vec::new();
        for place in self.order(Instant::now()) {
            let config = &self.hosts[place];
            let host = describe(config);
            let attempt = tokio::time::timeout(self.per_host, config.connect(NoTls)).await;
            self.took(place, matches!(attempt, Ok(Ok(_))));
            match attempt {
                Ok(Ok((client, connection))) => {
                    tokio::spawn(async move {
                        if let Err(error) = connection.await {
                            tracing::debug!(%error, "a database connection ended");
                        }
                    });
                    return Ok(Link {
                        client,
                        prepared: HashMap::new(),
                        place,
                        made: Instant::now(),
                    });
                }
                Ok(Err(error)) => failures.push(format!("{host}: {error}")),
                Err(_) => failures.push(format!(
                    "{host}: no answer within {} ms",
                    self.per_host.as_millis()
                )),
            }
        }
        Err(StoreError(format!(
            "no database host took the connection: {}",
            failures.join("; ")
        )))
    }

    async fn recycle(&self, link: &mut Link, _: &Metrics) -> RecycleResult<StoreError> {
        if link.client.is_closed() {
            Err(RecycleError::message("the connection is closed"))
        } else if self.away_from_nearest(link.place, link.made, Instant::now()) {
            Err(RecycleError::message("a nearer host serves again"))
        } else {
            Ok(())
        }
    }
}

/// `host:port` of a one-host configuration, for errors.
fn describe(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(name)) => name.clone(),
        Some(Host::Unix(path)) => path.display().to_string(),
        None => String::new(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!("{host}:{port}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A host that failed to take a connection is tried last for a while, then in its place
    /// again; one that took a connection is back in its place at once.
    #[test]
    fn a_host_that_failed_is_tried_last_for_a_while() {
        let url: Config = "postgresql://eproxy@db1:5432,db2:5432,db3:5432/eproxy"
            .parse()
            .unwrap();
        let hosts = Hosts::of(&url, Duration::from_secs(1)).unwrap();
        let now = Instant::now();
        assert_eq!(hosts.order(now), [0, 1, 2]);
        hosts.took(0, false);
        assert_eq!(hosts.order(Instant::now()), [1, 2, 0]);
        hosts.took(2, false);
        assert_eq!(hosts.order(Instant::now()), [1, 0, 2]);
        assert_eq!(hosts.order(Instant::now() + PASSED_OVER), [0, 1, 2]);
        hosts.took(0, true);
        assert_eq!(hosts.order(Instant::now()), [0, 1, 2]);
        assert_eq!(describe(&hosts.hosts[2]), "db3:5432");
    }

    /// A reader's connection away from its nearest host goes back to it once kept for a
    /// while; one on the nearest stays, and so does one to the primary (only the primary
    /// serves a writer).
    #[test]
    fn a_readers_connection_returns_to_the_nearest_host() {
        let reader: Config = "postgresql://eproxy@db1,db2,db3/eproxy?target_session_attrs=any"
            .parse()
            .unwrap();
        let hosts = Hosts::of(&reader, Duration::from_secs(1)).unwrap();
        let made = Instant::now();
        let later = made + AWAY_FROM_NEAREST;
        assert!(!hosts.away_from_nearest(1, made, made));
        assert!(hosts.away_from_nearest(1, made, later));
        assert!(!hosts.away_from_nearest(0, made, later));
        // While the nearest is passed over, the next one is where a reader belongs.
        hosts.took(0, false);
        let now = Instant::now();
        let long_ago = now.checked_sub(AWAY_FROM_NEAREST).unwrap();
        assert!(!hosts.away_from_nearest(1, long_ago, now));
        assert!(hosts.away_from_nearest(2, long_ago, now));
        assert!(hosts.away_from_nearest(0, long_ago, now));

        let writer: Config =
            "postgresql://eproxy@db1,db2,db3/eproxy?target_session_attrs=read-write"
                .parse()
                .unwrap();
        let hosts = Hosts::of(&writer, Duration::from_secs(1)).unwrap();
        assert!(!hosts.away_from_nearest(2, made, later));
    }
}
