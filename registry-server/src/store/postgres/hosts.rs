//! Connections to the first suitable host among the database's hosts (the primary, for a URL
//! with `target_session_attrs=read-write`; any server, a standby included, for a reader's),
//! tried one after another, each within a time limit that covers its whole handshake. The
//! client library's own connect timeout covers only the socket, and a paused host (whose
//! kernel still completes connections) would then hold every new connection at its handshake,
//! never reaching the host behind it.

use std::collections::HashMap;
use std::time::Duration;

use deadpool::managed::{Manager, Metrics, RecycleError, RecycleResult};
use tokio_postgres::config::Host;
use tokio_postgres::{Client, Config, NoTls, Statement};

use crate::store::StoreError;

/// The hosts of a database URL, each with the URL's other settings.
#[derive(Debug)]
pub struct Hosts {
    hosts: Vec<Config>,
    per_host: Duration,
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
            hosts.push(one);
        }
        if hosts.is_empty() {
            return Err(StoreError("the database URL names no host".into()));
        }
        Ok(Self { hosts, per_host })
    }
}

/// A connection to the primary, with the statements prepared on it so far: each of the store's
/// statements is parsed and planned once per connection rather than once per call, which makes
/// a call one round trip instead of two (a prepare, then the execution).
pub struct Link {
    /// The connection.
    pub client: Client,
    /// Statements by their text.
    prepared: HashMap<&'static str, Statement>,
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
        for config in &self.hosts {
            let host = describe(config);
            match tokio::time::timeout(self.per_host, config.connect(NoTls)).await {
                Ok(Ok((client, connection))) => {
                    tokio::spawn(async move {
                        if let Err(error) = connection.await {
                            tracing::debug!(%error, "a database connection ended");
                        }
                    });
                    return Ok(Link {
                        client,
                        prepared: HashMap::new(),
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
