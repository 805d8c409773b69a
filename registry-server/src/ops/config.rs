//! The operator's configuration: a TOML file in the data directory (written, commented, by
//! `init`), overridden by `EPROXY_` environment variables, overridden by flags.

use std::path::{Path, PathBuf};
use std::time::Duration;

use eproxy_verifier::authority::{DEFAULT_REPRESENTATIVE_TITLES, RepresentativeTitles};
use eproxy_verifier::crl::Crl;
use eproxy_verifier::note::{KeyType, VerifierKey};
use eproxy_verifier::trust_anchor::{AnchorRole, TrustAnchor, TrustAnchors, jpki_roots};
use eproxy_verifier::verify_cert::RevocationPolicy;
use eproxy_verifier::{InputKind, pem};
use serde::Deserialize;

/// The configuration file's name in the data directory.
pub const FILE_NAME: &str = "eproxy-registry.toml";
/// The operator key's file name in the data directory.
pub const KEY_FILE: &str = "operator-key.pem";
/// The published verifier key's file name in the data directory.
pub const VERIFIER_KEY_FILE: &str = "operator.vkey";

/// The configuration `init` writes, every setting explained.
pub fn template(origin: &str) -> String {
    let titles = DEFAULT_REPRESENTATIVE_TITLES
        .iter()
        .map(|title| format!("{title:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"# eproxy-registry configuration. Environment variables EPROXY_<NAME> override these
# settings, and command-line flags override both.

# The log's origin: the first line of every checkpoint and the name of the operator's key.
# Counterparties pin "<origin>+<key id>+<key>" (operator.vkey). Never change it.
origin = "{origin}"

# Where the gRPC API listens.
listen = "127.0.0.1:50051"

# TLS for the gRPC API (recommended): a PEM certificate chain and its PEM private key,
# relative to the data directory or absolute. Both empty: plaintext (behind a TLS proxy only).
tls_certificate = ""
tls_key = ""

# Where Prometheus metrics are served over HTTP; "" for none.
metrics_listen = "127.0.0.1:9464"

# Where the log is served over HTTP as C2SP tlog-tiles (/checkpoint, /tile/...), for monitors
# and counterparties that check it without the gRPC API, and for any cache in front; "" for
# none. Only what the latest checkpoint covers is served.
tiles_listen = ""

# A directory where the published log is also written as C2SP tlog-tiles files, relative to the
# data directory or absolute, for nginx or a CDN to serve as they are (each file written whole,
# the checkpoint after its tiles); "" for none.
tiles_directory = ""

# Witnesses (C2SP tlog-witness) the published checkpoint is sent to, each by its add-checkpoint
# URL (http://) and its verifier key (type 0x04, as witness policies name it), for example
# witnesses = [{{ url = "http://witness.example/add-checkpoint", key = "witness.example/w1+..." }}]
# Every witness_interval_seconds the latest checkpoint goes to each with a consistency proof;
# the cosignatures that come back are published with it (the tiles' checkpoint, GetCheckpoint,
# evidence bundles). A witness that is down or refuses never holds up a registration.
witnesses = []
witness_interval_seconds = 10

# The longest validity period a PoA may have, in days (5 years).
max_validity_days = 1826

# What missing revocation data for a signer's certificate means: "strict" refuses the
# submission, "lenient" accepts it.
revocation = "strict"

# The largest request accepted, in bytes.
max_message_bytes = 1048576

# Memory for writes not yet in the database's tables, in MiB, per column family (RocksDB's
# write buffer). The write-ahead log reserves about this much disk at a time, so a full disk
# refuses writes only once that reserve is used up.
write_buffer_mib = 64

# Each request's deadline, in seconds, and how many are served at once in each of two lanes:
# calls that write (submissions, revocations, evidence releases, listings) and calls that only
# read (statuses, checkpoints, proofs), so that writes held up by the disk never keep a lookup
# waiting. A call waits for a place within its deadline. Up to twice this many are served in
# all, each holding at most max_message_bytes of request. Their signature checks run one per
# core at a time.
request_timeout_seconds = 10
concurrency_limit = 256

# Evidence releases and listings asked for from one network address (an IPv4 address, an
# IPv6 /64): a burst of release_burst_per_peer, refilled at releases_per_peer_per_second;
# beyond that, RESOURCE_EXHAUSTED until the allowance refills. Each release is checked and
# audited with a durable write. Behind a proxy every client shares the proxy's address: raise
# these there. The rate may be a fraction (0.5: one every two seconds). 0 for either: no bound.
releases_per_peer_per_second = 10.0
release_burst_per_peer = 100

# How many client connections may be open at once; one more is closed as soon as it is
# accepted. Keep it below the process's file-descriptor limit (ulimit -n).
max_connections = 10000

# Trust anchors by role, as certificate files (PEM or DER), relative to the data directory or
# absolute. The real JPKI roots are built in; set use_builtin_jpki = false to use only the
# files listed.
use_builtin_jpki = true
jpki_signing = []
commercial_registration = []

# CRLs (PEM or DER) used for every certificate path. They are read again on SIGHUP and every
# crl_reload_seconds: replace the files as the CAs reissue them. A reload that fails keeps
# the previous lists in force (eproxy_crl_reloads_total{{outcome="failed"}} counts them).
crls = []
crl_reload_seconds = 300

# A directory outside the data directory where every published checkpoint is also written,
# relative to the data directory or absolute. At start-up the registry refuses a log shorter
# than, or inconsistent with, the checkpoint it finds there: a restore from an older backup
# would otherwise sign a second history under the same key. Beside the data directory by
# default; put it on another disk (or a mount of another machine) so that losing one does not
# lose both. "" for none (not recommended).
checkpoint_mirror = "../eproxy-checkpoints"

# The titles (資格) that make a commercial-registration certificate a representative's, as the
# commercial register records them. Only their holders (or a JPKI certificate enrolled for the
# company) may grant, replace, revoke and list a company's PoAs; a manager (支配人) never may.
# A company with no representative director is represented by each director: add "取締役"
# where such companies are served.
representative_titles = [{titles}]

# Where the records are kept. "" (the default): the embedded database in the data directory,
# for a registry on one machine. A PostgreSQL URL: the database that several registry nodes
# share (see "Running more than one machine" in the README), for example
# "postgresql://eproxy@db1:5432,db2:5432,db3:5432/eproxy?target_session_attrs=read-write".
# Every node then needs the same origin and operator key, and one node at a time is elected
# writer: the others serve reads and name the writer to clients that send them writes.
database_url = ""
# With a database_url, optionally: a URL that public status lookups read from, hot standbys
# included, nearest host first, for example
# "postgresql://eproxy@db2:5432,db1:5432,db3:5432/eproxy?target_session_attrs=any". Each
# status statement then names the log size its snapshot reflects. "" reads from database_url.
database_read_url = ""
# With a database_url: this node's name (unique among the nodes), and the address clients
# reach its gRPC API at, which the other nodes give out while this one is the writer.
node_name = ""
advertise_url = ""
# How long the writer's role lasts without renewal, in milliseconds (renewed every third of
# it): a dead writer is replaced after about this long. Its commits are fenced by the database
# whatever the clocks say.
writer_lease_ms = 3000
"#
    )
}

/// The settings, as the file states them.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The log's origin.
    pub origin: String,
    /// The gRPC listen address.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// The TLS certificate chain (PEM); empty for plaintext.
    #[serde(default)]
    pub tls_certificate: PathBuf,
    /// The TLS private key (PEM); empty for plaintext.
    #[serde(default)]
    pub tls_key: PathBuf,
    /// The metrics listen address; empty for none.
    #[serde(default)]
    pub metrics_listen: String,
    /// The tiles listen address; empty for none.
    #[serde(default)]
    pub tiles_listen: String,
    /// Where the log is written as tiles; empty for nowhere.
    #[serde(default)]
    pub tiles_directory: PathBuf,
    /// The witnesses the published checkpoint is sent to.
    #[serde(default)]
    pub witnesses: Vec<WitnessSetting>,
    /// How often the witnesses are sent the latest checkpoint, seconds.
    #[serde(default = "default_witness_interval_seconds")]
    pub witness_interval_seconds: u64,
    /// The longest PoA validity, days.
    #[serde(default = "default_max_validity_days")]
    pub max_validity_days: u32,
    /// "strict" or "lenient".
    #[serde(default = "default_revocation")]
    pub revocation: String,
    /// The largest request, bytes.
    #[serde(default = "default_max_message_bytes")]
    pub max_message_bytes: usize,
    /// The write buffer per column family, MiB.
    #[serde(default = "default_write_buffer_mib")]
    pub write_buffer_mib: u32,
    /// Each request's deadline.
    #[serde(default = "default_timeout")]
    pub request_timeout_seconds: u64,
    /// Requests served at once, in each lane (see `lanes.rs`).
    #[serde(default = "default_concurrency")]
    pub concurrency_limit: usize,
    /// Connections open at once.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Releases a second from one address, once its burst is used (a fraction allowed).
    #[serde(default = "default_releases_per_peer_per_second")]
    pub releases_per_peer_per_second: f64,
    /// Releases at once from one address.
    #[serde(default = "default_release_burst_per_peer")]
    pub release_burst_per_peer: u32,
    /// Whether the built-in JPKI roots are trusted.
    #[serde(default = "default_true")]
    pub use_builtin_jpki: bool,
    /// Extra JPKI signing roots.
    #[serde(default)]
    pub jpki_signing: Vec<PathBuf>,
    /// Commercial-registration roots.
    #[serde(default)]
    pub commercial_registration: Vec<PathBuf>,
    /// CRL files.
    #[serde(default)]
    pub crls: Vec<PathBuf>,
    /// How often the CRL files are read again, seconds.
    #[serde(default = "default_crl_reload_seconds")]
    pub crl_reload_seconds: u64,
    /// The titles of a representative's commercial-registration certificate.
    #[serde(default = "default_representative_titles")]
    pub representative_titles: Vec<String>,
    /// The checkpoint mirror's directory; empty for none.
    #[serde(default)]
    pub checkpoint_mirror: PathBuf,
    /// The shared database's URL; empty for the embedded database.
    #[serde(default)]
    pub database_url: String,
    /// Where public status lookups read from, a hot standby included; empty for
    /// `database_url`.
    #[serde(default)]
    pub database_read_url: String,
    /// This node's name among those sharing the database.
    #[serde(default)]
    pub node_name: String,
    /// Where clients reach this node's gRPC API.
    #[serde(default)]
    pub advertise_url: String,
    /// The writer's lease, milliseconds.
    #[serde(default = "default_writer_lease_ms")]
    pub writer_lease_ms: u64,
}

/// The most witnesses the registry asks.
const MAX_WITNESSES: usize = 32;

/// A witness, as the file names it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessSetting {
    /// Its add-checkpoint URL.
    pub url: String,
    /// Its verifier key (type 0x04).
    pub key: String,
}

/// A witness, checked: where it is asked, and the key its cosignatures must verify under.
#[derive(Clone, Debug)]
pub struct WitnessEndpoint {
    /// Its add-checkpoint URL (http://).
    pub url: String,
    /// Its cosignature key.
    pub key: VerifierKey,
}

fn default_witness_interval_seconds() -> u64 {
    10
}

fn default_writer_lease_ms() -> u64 {
    3_000
}

fn default_representative_titles() -> Vec<String> {
    DEFAULT_REPRESENTATIVE_TITLES
        .iter()
        .map(|&title| title.to_owned())
        .collect()
}

fn default_releases_per_peer_per_second() -> f64 {
    10.0
}
fn default_release_burst_per_peer() -> u32 {
    100
}
fn default_crl_reload_seconds() -> u64 {
    300
}
fn default_listen() -> String {
    "127.0.0.1:50051".into()
}
fn default_max_validity_days() -> u32 {
    1826
}
fn default_revocation() -> String {
    "strict".into()
}
fn default_max_message_bytes() -> usize {
    1024 * 1024
}
fn default_write_buffer_mib() -> u32 {
    64
}
fn default_timeout() -> u64 {
    10
}
fn default_concurrency() -> usize {
    256
}
fn default_max_connections() -> usize {
    10_000
}
fn default_true() -> bool {
    true
}

/// The server's TLS identity, as PEM.
#[derive(Clone, Debug)]
pub struct TlsIdentity {
    /// The certificate chain.
    pub certificate: Vec<u8>,
    /// The private key.
    pub key: Vec<u8>,
}

/// A registry node on a shared database.
#[derive(Clone, Debug)]
pub struct Shared {
    /// The database.
    pub url: String,
    /// Where public status lookups read from, if not `url`.
    pub read_url: Option<String>,
    /// This node's name.
    pub node: String,
    /// Where clients reach this node.
    pub advertise_url: String,
    /// The writer's lease.
    pub lease: Duration,
}

/// Why the configuration is unusable.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Reads `data_dir/eproxy-registry.toml`, then applies `EPROXY_` variables.
    pub fn load(data_dir: &Path) -> Result<Self, ConfigError> {
        let path = data_dir.join(FILE_NAME);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            ConfigError(format!(
                "cannot read {}: {e} (run `eproxy-registry init --data-dir {}` first)",
                path.display(),
                data_dir.display()
            ))
        })?;
        let mut config: Config =
            toml::from_str(&text).map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
        if let Ok(listen) = std::env::var("EPROXY_LISTEN") {
            config.listen = listen;
        }
        if let Ok(metrics) = std::env::var("EPROXY_METRICS_LISTEN") {
            config.metrics_listen = metrics;
        }
        if let Ok(tiles) = std::env::var("EPROXY_TILES_LISTEN") {
            config.tiles_listen = tiles;
        }
        if let Ok(revocation) = std::env::var("EPROXY_REVOCATION") {
            config.revocation = revocation;
        }
        if let Ok(url) = std::env::var("EPROXY_DATABASE_URL") {
            config.database_url = url;
        }
        if let Ok(url) = std::env::var("EPROXY_DATABASE_READ_URL") {
            config.database_read_url = url;
        }
        if let Ok(name) = std::env::var("EPROXY_NODE_NAME") {
            config.node_name = name;
        }
        if let Ok(url) = std::env::var("EPROXY_ADVERTISE_URL") {
            config.advertise_url = url;
        }
        Ok(config)
    }

    /// The shared database a registry on several machines runs on, with this node's name, its
    /// address and the writer's lease; `None` for the embedded database.
    pub fn shared(&self) -> Result<Option<Shared>, ConfigError> {
        if self.database_url.is_empty() {
            if !self.database_read_url.is_empty() {
                return Err(ConfigError(
                    "database_read_url is set without database_url: the embedded database has \
                     no standbys to read from"
                        .into(),
                ));
            }
            return Ok(None);
        }
        if self.node_name.is_empty() || self.advertise_url.is_empty() {
            return Err(ConfigError(
                "database_url is set: node_name and advertise_url must be too (each node's \
                 name, and where clients reach it)"
                    .into(),
            ));
        }
        if !(300..=60_000).contains(&self.writer_lease_ms) {
            return Err(ConfigError(format!(
                "writer_lease_ms = {}: expected 300 to 60000",
                self.writer_lease_ms
            )));
        }
        Ok(Some(Shared {
            url: self.database_url.clone(),
            read_url: Some(self.database_read_url.clone()).filter(|url| !url.is_empty()),
            node: self.node_name.clone(),
            advertise_url: self.advertise_url.clone(),
            lease: Duration::from_millis(self.writer_lease_ms),
        }))
    }

    /// The witnesses, checked, and how often they are asked: none for an empty list.
    pub fn witnesses(&self) -> Result<(Vec<WitnessEndpoint>, Duration), ConfigError> {
        let mut endpoints: Vec<WitnessEndpoint> = Vec::new();
        for setting in &self.witnesses {
            let key = VerifierKey::parse(&setting.key)
                .map_err(|e| ConfigError(format!("witness {}: key: {e}", setting.url)))?;
            if key.key_type() != KeyType::Cosignature {
                return Err(ConfigError(format!(
                    "witness {}: a witness's key is of type 0x04 (cosignature/v1)",
                    setting.url
                )));
            }
            if !setting.url.starts_with("http://") {
                return Err(ConfigError(format!(
                    "witness {}: only http:// URLs are supported (a cosignature is checked, \
                     not trusted for how it came)",
                    setting.url
                )));
            }
            if endpoints.iter().any(|e| e.key.name() == key.name()) {
                return Err(ConfigError(format!(
                    "witness {} is listed twice",
                    key.name()
                )));
            }
            endpoints.push(WitnessEndpoint {
                url: setting.url.clone(),
                key,
            });
        }
        // A verifier reads at most 64 signature lines of a note: the operator's and these.
        if endpoints.len() > MAX_WITNESSES {
            return Err(ConfigError(format!(
                "{} witnesses: at most {MAX_WITNESSES}",
                endpoints.len()
            )));
        }
        if !(1..=3600).contains(&self.witness_interval_seconds) {
            return Err(ConfigError(format!(
                "witness_interval_seconds = {}: expected 1 to 3600",
                self.witness_interval_seconds
            )));
        }
        Ok((
            endpoints,
            Duration::from_secs(self.witness_interval_seconds),
        ))
    }

    /// The representatives' titles, checked.
    pub fn representative_titles(&self) -> Result<RepresentativeTitles, ConfigError> {
        RepresentativeTitles::new(self.representative_titles.iter().cloned())
            .map_err(|e| ConfigError(format!("representative_titles: {e}")))
    }

    /// The revocation policy.
    pub fn revocation_policy(&self) -> Result<RevocationPolicy, ConfigError> {
        match self.revocation.as_str() {
            "strict" => Ok(RevocationPolicy::Strict),
            "lenient" => Ok(RevocationPolicy::Lenient),
            other => Err(ConfigError(format!(
                "revocation = {other:?}: expected \"strict\" or \"lenient\""
            ))),
        }
    }

    /// The trust anchors: built-in JPKI roots (unless disabled) and the files listed.
    pub fn anchors(&self, data_dir: &Path) -> Result<TrustAnchors, ConfigError> {
        let mut anchors = TrustAnchors::new();
        if self.use_builtin_jpki {
            for root in jpki_roots() {
                anchors.add(root);
            }
        }
        for (role, files) in [
            (AnchorRole::JpkiSigning, &self.jpki_signing),
            (
                AnchorRole::CommercialRegistration,
                &self.commercial_registration,
            ),
        ] {
            for file in files {
                for der in read_all(data_dir, file, "CERTIFICATE", InputKind::Certificate)? {
                    let anchor = TrustAnchor::new(role, der).map_err(|e| {
                        ConfigError(format!("{role} anchor {}: {e}", file.display()))
                    })?;
                    anchors.add(anchor);
                }
            }
        }
        Ok(anchors)
    }

    /// The TLS identity, if configured: certificate chain and key, both PEM.
    pub fn tls(&self, data_dir: &Path) -> Result<Option<TlsIdentity>, ConfigError> {
        let read = |file: &Path| {
            let path = data_dir.join(file);
            std::fs::read(&path)
                .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))
        };
        match (
            self.tls_certificate.as_os_str().is_empty(),
            self.tls_key.as_os_str().is_empty(),
        ) {
            (true, true) => Ok(None),
            (false, false) => Ok(Some(TlsIdentity {
                certificate: read(&self.tls_certificate)?,
                key: read(&self.tls_key)?,
            })),
            _ => Err(ConfigError(
                "tls_certificate and tls_key go together: set both, or neither".into(),
            )),
        }
    }

    /// How often the CRLs are read again; never zero.
    pub fn crl_reload_interval(&self) -> Result<Duration, ConfigError> {
        match self.crl_reload_seconds {
            0 => Err(ConfigError(
                "crl_reload_seconds must be at least 1 (CRLs go stale; SIGHUP reloads at once)"
                    .into(),
            )),
            seconds => Ok(Duration::from_secs(seconds)),
        }
    }

    /// Each address's allowance of releases: a rate a second and a burst, checked to be sound
    /// (a negative or non-numeric rate is a mistake, not "no bound").
    pub fn release_allowance(&self) -> Result<(f64, u32), ConfigError> {
        let rate = self.releases_per_peer_per_second;
        if !rate.is_finite() || rate < 0.0 {
            return Err(ConfigError(format!(
                "releases_per_peer_per_second must be a number, 0 or more (0: no bound), not {rate}"
            )));
        }
        Ok((rate, self.release_burst_per_peer))
    }

    /// Every file the configuration names by a path relative to the data directory (anchors,
    /// CRLs, TLS files): what a backup must carry along.
    pub fn relative_files(&self) -> Vec<&Path> {
        self.jpki_signing
            .iter()
            .chain(&self.commercial_registration)
            .chain(&self.crls)
            .chain([&self.tls_certificate, &self.tls_key])
            .map(PathBuf::as_path)
            .filter(|path| !path.as_os_str().is_empty() && path.is_relative())
            .collect()
    }
}

/// The CRLs in `files` (each PEM or DER, relative to `data_dir` unless absolute), parsed.
pub fn read_crls(data_dir: &Path, files: &[PathBuf]) -> Result<Vec<Crl>, ConfigError> {
    let mut crls = Vec::new();
    for file in files {
        let ders = read_all(data_dir, file, "X509 CRL", InputKind::Crl)?;
        crls.extend(Crl::parse_all(&ders).map_err(|(i, e)| {
            ConfigError(format!(
                "{}: CRL {}: {e}",
                data_dir.join(file).display(),
                i + 1
            ))
        })?);
    }
    Ok(crls)
}

/// The one certificate (PEM or DER) in `file`.
pub fn read_certificate(file: &Path) -> Result<Vec<u8>, ConfigError> {
    let mut all = read_all(Path::new(""), file, "CERTIFICATE", InputKind::Certificate)?;
    match (all.pop(), all.is_empty()) {
        (Some(der), true) => Ok(der),
        _ => Err(ConfigError(format!(
            "{}: expected exactly one certificate",
            file.display()
        ))),
    }
}

/// The DER structures in `file` (relative to `data_dir` unless absolute).
fn read_all(
    data_dir: &Path,
    file: &Path,
    label: &str,
    kind: InputKind,
) -> Result<Vec<Vec<u8>>, ConfigError> {
    let path = data_dir.join(file);
    let bytes = std::fs::read(&path)
        .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
    pem::decode_all(&bytes, label, kind)
        .map_err(|e| ConfigError(format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_parses_to_the_documented_defaults() {
        let config: Config = toml::from_str(&template("registry.example/log")).unwrap();
        assert_eq!(config.origin, "registry.example/log");
        assert_eq!(config.max_validity_days, 1826);
        assert_eq!(
            config.revocation_policy().unwrap(),
            RevocationPolicy::Strict
        );
        assert!(config.use_builtin_jpki);
        assert_eq!(
            config.crl_reload_interval().unwrap(),
            Duration::from_secs(300)
        );
        assert_eq!(config.release_allowance().unwrap(), (10.0, 100));
        let anchors = config.anchors(Path::new("/nonexistent")).unwrap();
        assert_eq!(anchors.iter().count(), 4);
    }

    /// A read URL is used only beside a shared database, and refused without one (the
    /// embedded database has no standbys); left empty, statuses read from `database_url`.
    #[test]
    fn a_read_url_needs_a_shared_database() {
        let alone: Config =
            toml::from_str("origin = \"o\"\ndatabase_read_url = \"postgresql://s/e\"").unwrap();
        assert!(
            alone
                .shared()
                .unwrap_err()
                .0
                .contains("without database_url")
        );
        let shared = "origin = \"o\"\ndatabase_url = \"postgresql://p/e\"\nnode_name = \"a\"\n\
                      advertise_url = \"http://a\"";
        let primary_only: Config = toml::from_str(shared).unwrap();
        assert_eq!(primary_only.shared().unwrap().unwrap().read_url, None);
        let with_reads: Config = toml::from_str(&format!(
            "{shared}\ndatabase_read_url = \"postgresql://s/e\""
        ))
        .unwrap();
        assert_eq!(
            with_reads.shared().unwrap().unwrap().read_url.as_deref(),
            Some("postgresql://s/e")
        );
    }

    #[test]
    fn tls_needs_both_its_files() {
        let half: Config = toml::from_str("origin = \"o\"\ntls_certificate = \"c.pem\"").unwrap();
        assert!(
            half.tls(Path::new("/"))
                .unwrap_err()
                .0
                .contains("go together")
        );
        let none: Config = toml::from_str("origin = \"o\"").unwrap();
        assert!(none.tls(Path::new("/")).unwrap().is_none());
        let missing: Config =
            toml::from_str("origin = \"o\"\ntls_certificate = \"c\"\ntls_key = \"k\"").unwrap();
        assert!(
            missing
                .tls(Path::new("/nonexistent"))
                .unwrap_err()
                .0
                .contains("cannot read")
        );
    }

    #[test]
    fn unknown_settings_and_bad_values_are_refused() {
        assert!(toml::from_str::<Config>("origin = \"o\"\nlisten_on = \"x\"").is_err());
        let config: Config = toml::from_str("origin = \"o\"\nrevocation = \"maybe\"").unwrap();
        assert!(config.revocation_policy().is_err());
        let config: Config = toml::from_str("origin = \"o\"\ncrl_reload_seconds = 0").unwrap();
        assert!(config.crl_reload_interval().is_err());
        for rate in ["-1.0", "nan", "inf"] {
            let text = format!("origin = \"o\"\nreleases_per_peer_per_second = {rate}");
            let config: Config = toml::from_str(&text).unwrap();
            assert!(config.release_allowance().is_err(), "{rate}");
        }
        let whole: Config =
            toml::from_str("origin = \"o\"\nreleases_per_peer_per_second = 3").unwrap();
        assert_eq!(whole.release_allowance().unwrap(), (3.0, 100));
    }
}
