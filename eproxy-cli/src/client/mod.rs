//! Talking to a registry: where it is (`--registry`, `EPROXY_REGISTRY`, or the config file)
//! and whose key it answers under, one gRPC call at a time on a small runtime, and its
//! refusals turned into errors for people. The calls themselves, each answer checked, are
//! [`registry`]; the signed requests they carry are [`request`].

use std::future::Future;
use std::path::{Path, PathBuf};

use eproxy_proto::registry::v1::registry_client::RegistryClient;
use eproxy_proto::registry::v1::transparency_log_client::TransparencyLogClient;
use serde::Deserialize;
use tonic::transport::Channel;

use eproxy_verifier::note::VerifierKey;

use crate::cli::RegistryArgs;
use crate::error::CliError;
use crate::input::read_limited;

pub mod http;
pub mod registry;
pub mod request;

/// The config file's largest size.
const MAX_CONFIG_BYTES: usize = 64 * 1024;
/// How long a call may take, connection included.
const CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// `$XDG_CONFIG_HOME/eproxy/config.toml` (else `~/.config/eproxy/config.toml`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The registry's URL, e.g. `https://registry.example.jp:443`.
    pub registry: Option<String>,
    /// The operator's published key file (operator.vkey).
    pub operator_key: Option<PathBuf>,
}

impl Config {
    /// The config file, if there is one.
    pub fn load() -> Result<Self, CliError> {
        let Some(path) = config_path() else {
            return Ok(Self::default());
        };
        if !path.exists() {
            return Ok(Self::default());
        }
        let bytes = read_limited(&path, MAX_CONFIG_BYTES, "config file")?;
        let text = String::from_utf8(bytes)
            .map_err(|_| CliError::new(format!("{} is not UTF-8 text", path.display())))?;
        toml::from_str(&text).map_err(|e| CliError::new(format!("{}: {e}", path.display())))
    }
}

fn config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(base.join("eproxy").join("config.toml"))
}

/// The registry's URL: the flag, else `EPROXY_REGISTRY`, else the config file.
pub fn registry_url(flag: Option<&str>) -> Result<String, CliError> {
    if let Some(url) = flag {
        return Ok(url.to_owned());
    }
    if let Some(url) = std::env::var("EPROXY_REGISTRY")
        .ok()
        .filter(|u| !u.is_empty())
    {
        return Ok(url);
    }
    Config::load()?.registry.ok_or_else(|| {
        CliError::new("no registry named")
            .fix("give --registry URL, set EPROXY_REGISTRY, or put registry = \"URL\" in ~/.config/eproxy/config.toml")
    })
}

/// The operator key file: the flag, else the config file.
pub fn operator_key_path(flag: Option<&PathBuf>) -> Result<Option<PathBuf>, CliError> {
    match flag {
        Some(path) => Ok(Some(path.clone())),
        None => Ok(Config::load()?.operator_key),
    }
}

/// Runs `call` against the registry on a single-threaded runtime. `urls` may name several
/// nodes of one registry, comma-separated: each is tried in turn while it cannot be reached or
/// answers UNAVAILABLE (it took nothing, and a node that does not write names the writer), so
/// that a registry on several machines is used through whichever node serves. The last
/// refusal is reported as failing to do `doing`.
pub fn with_registry<T, F>(
    urls: &str,
    doing: &str,
    call: impl Fn(RegistryClient<Channel>, TransparencyLogClient<Channel>) -> F,
) -> Result<T, CliError>
where
    F: Future<Output = Result<T, tonic::Status>>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(format!("cannot start the network runtime: {e}")))?;
    runtime.block_on(async {
        let mut last = None;
        for url in urls.split(',').map(str::trim).filter(|url| !url.is_empty()) {
            let channel = match connect(url).await? {
                Ok(channel) => channel,
                Err(unreachable) => {
                    last = Some(unreachable);
                    continue;
                }
            };
            let limit = 8 * 1024 * 1024;
            let answer = call(
                RegistryClient::new(channel.clone()).max_decoding_message_size(limit),
                TransparencyLogClient::new(channel).max_decoding_message_size(limit),
            )
            .await;
            match answer {
                Ok(answer) => return Ok(answer),
                Err(status) if status.code() == tonic::Code::Unavailable => {
                    last = Some(refused(doing, status));
                }
                Err(status) => return Err(refused(doing, status)),
            }
        }
        Err(last.unwrap_or_else(|| CliError::new("the registry URL is empty")))
    })
}

/// A channel to the registry node at `url`; an error for a URL that is no URL, and an inner
/// error for a node that cannot be reached (the next may be).
async fn connect(url: &str) -> Result<Result<Channel, CliError>, CliError> {
    let mut endpoint = tonic::transport::Endpoint::from_shared(url.to_owned())
        .map_err(|e| CliError::new(format!("{url} is not a registry URL: {e}")))?;
    if url.starts_with("https://") {
        // The system's roots: an operator's certificate is a public one.
        endpoint = endpoint
            .tls_config(tonic::transport::ClientTlsConfig::new().with_native_roots())
            .map_err(|e| CliError::new(format!("cannot set up TLS for {url}: {e}")))?;
    }
    Ok(endpoint
        .timeout(CALL_TIMEOUT)
        .connect_timeout(CALL_TIMEOUT)
        .connect()
        .await
        .map_err(|e| {
            CliError::new(format!("cannot reach the registry at {url}: {e}"))
                .fix("check the URL (http://HOST:PORT or https://HOST:PORT) and the network")
        }))
}

/// A refusal from the registry, for people.
pub fn refused(doing: &str, status: tonic::Status) -> CliError {
    let error = CliError::new(format!(
        "the registry refused to {doing}: {} ({:?})",
        status.message(),
        status.code()
    ));
    match status.code() {
        // The registry names the missing proof, except for evidence, whose refusals say
        // nothing: say who is entitled to it.
        tonic::Code::PermissionDenied if status.message() == "not entitled" => error.fix(
            "a PoA's evidence goes only to a counterparty holding a contract under it, or to an \
             authority over its company",
        ),
        tonic::Code::PermissionDenied => error.fix(
            "only an authority over the company acts for it: its representative's \
             commercial-registration certificate, or a My Number card enrolled for it (`eproxy \
             card link`, or the operator's enrollment)",
        ),
        tonic::Code::Unavailable | tonic::Code::DeadlineExceeded => {
            error.fix("the registry is unreachable or busy: try again")
        }
        _ => error,
    }
}

/// The operator's key, required: registry answers are only believed under it.
pub fn operator_key(registry: &RegistryArgs) -> Result<VerifierKey, CliError> {
    let path = operator_key_path(registry.operator_key.as_ref())?.ok_or_else(|| {
        CliError::new("the registry operator's key is needed to check its answers")
            .fix("give --operator-key FILE (the operator publishes it as operator.vkey), or put operator_key = \"FILE\" in ~/.config/eproxy/config.toml")
    })?;
    read_operator_key(&path)
}

/// A note verifier key (`name+hash+base64`) from a file.
pub fn read_operator_key(path: &Path) -> Result<VerifierKey, CliError> {
    let bytes = read_limited(path, 4096, "operator key")?;
    let text = String::from_utf8(bytes)
        .map_err(|_| CliError::new(format!("{} is not a verifier key", path.display())))?;
    VerifierKey::parse(text.trim())
        .map_err(|e| CliError::new(format!("{}: not a verifier key: {e}", path.display())))
}
