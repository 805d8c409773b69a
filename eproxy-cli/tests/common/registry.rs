//! A registry process for the CLI's end-to-end tests, and the desk's steps against it: a PoA
//! issued and signed by the representative, a contract signed by the employee.

use std::path::{Path, PathBuf};
use std::process::Child;

use eproxy_testkit::TestPki;
use eproxy_testkit::registry::process;

use super::{Desk, Tsa, date, eproxy, json};

/// A registry process serving a data directory that trusts the desk's test PKI.
pub struct Registry {
    pub data: tempfile::TempDir,
    pub process: Child,
    pub url: String,
    /// Its log as C2SP tlog-tiles, `http://127.0.0.1:PORT`.
    pub tiles: String,
}

impl Registry {
    /// A new registry; with `key_from`, it signs with that registry's operator key (and keeps
    /// no checkpoint mirror, which would refuse the second history).
    pub fn start(pki: &Path, key_from: Option<&Registry>) -> Self {
        Self::start_with(pki, key_from, "127.0.0.1:0", |text| text)
    }

    /// Node `name` of a registry whose records are in the database at `database_url`; with
    /// `key_from`, it signs with that node's key (every node of one registry does).
    pub fn start_node(
        pki: &Path,
        key_from: Option<&Registry>,
        database_url: &str,
        name: &str,
    ) -> Self {
        let port = process::free_port();
        Self::start_with(pki, key_from, &format!("127.0.0.1:{port}"), |text| {
            process::shared_node_config(&text, database_url, name, port, 1_000, "")
        })
    }

    /// [`Registry::start`] listening on `listen`, its configuration changed by `edit`.
    pub fn start_with(
        pki: &Path,
        key_from: Option<&Registry>,
        listen: &str,
        edit: impl FnOnce(String) -> String,
    ) -> Self {
        let data = tempfile::tempdir().unwrap();
        process::init(data.path());
        if let Some(other) = key_from {
            for file in ["operator-key.pem", "operator.vkey"] {
                std::fs::copy(other.data.path().join(file), data.path().join(file)).unwrap();
            }
        }
        let config = data.path().join("eproxy-registry.toml");
        let mut text = edit(eproxy_testkit::export::registry_config_trusting(
            &std::fs::read_to_string(&config).unwrap(),
            pki,
        ));
        if key_from.is_some() {
            // An operator forking its own log on purpose (what the monitor must catch) would
            // first disable the checkpoint mirror, which refuses exactly that.
            text = text.replace(
                "checkpoint_mirror = \"../eproxy-checkpoints\"",
                "checkpoint_mirror = \"\"",
            );
        }
        std::fs::write(&config, text).unwrap();
        let serving = process::serve_on(data.path(), None, listen);
        Self {
            data,
            process: serving.child,
            url: serving.url,
            tiles: serving.tiles,
        }
    }

    pub fn operator_key(&self) -> PathBuf {
        self.data.path().join("operator.vkey")
    }

    /// `eproxy ARGS… --registry URL --operator-key KEY --json`, with no configuration file.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        eproxy()
            .args(args)
            .args(["--registry", &self.url, "--json", "--operator-key"])
            .arg(self.operator_key())
            .env("XDG_CONFIG_HOME", "/nonexistent")
            .output()
            .unwrap()
    }

    pub fn stop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The desk's steps towards a registry.
impl Desk {
    pub fn representative(&self) -> Vec<String> {
        vec![
            "--key".into(),
            format!("pkcs12:{}", self.pki("representative/sato.p12").display()),
            "--password-file".into(),
            self.path("password").display().to_string(),
        ]
    }

    /// A PoA with `cap` yen, signed by the representative, written to `out`; returns its id.
    pub fn poa(&self, cap: u64, out: &str) -> String {
        let company = &TestPki::standard().company;
        eproxy()
            .args(["delegation", "new", "--company"])
            .arg(company.corporate_number().unwrap().to_string())
            .args(["--company-name", &company.corporate_name])
            .args(["--company-address", &company.corporate_address])
            .args(["--representative", &company.director_name])
            .arg("--delegatee-cert")
            .arg(self.pki("employee/yamada.pem"))
            .args([
                "--delegatee-name",
                "山田　太郎",
                "--matter",
                "conclude-contracts",
            ])
            .args(["--amount-cap", &cap.to_string(), "--counterparty", "any"])
            .args([
                "--from",
                &date("-1 day", "+%Y-%m-%d"),
                "--until",
                &date("+365 days", "+%Y-%m-%d"),
                "-o",
            ])
            .arg(self.path("poa.toml"))
            .assert()
            .success();
        let output = eproxy()
            .args(["delegation", "sign", "--json"])
            .arg(self.path("poa.toml"))
            .args(self.representative())
            .arg("-o")
            .arg(self.path(out))
            .output()
            .unwrap();
        json(&output)["delegation_id"].as_str().unwrap().to_owned()
    }

    /// The employee signs a contract under `poa_id`, timestamped by `tsa`; returns the report.
    pub fn contract(&self, poa_id: &str, out: &str, tsa: &Tsa) -> serde_json::Value {
        std::fs::write(
            self.path("terms.toml"),
            format!(
                "delegation = \"{poa_id}\"\nmatter = \"conclude-contracts\"\n\
                 counterparty = \"{}\"\namount_yen = 800000\ntitle = \"売買契約書\"\n\
                 media_type = \"application/pdf\"\n",
                eproxy_testkit::scenario::COUNTERPARTY
            ),
        )
        .unwrap();
        std::fs::write(self.path("contract.pdf"), b"%PDF-1.7 sale").unwrap();
        let key = format!(
            "pem:{},{}",
            self.pki("employee/yamada.key.pem").display(),
            self.pki("employee/yamada.pem").display()
        );
        let output = eproxy()
            .args(["contract", "sign", "--json", "--terms"])
            .arg(self.path("terms.toml"))
            .arg("--document")
            .arg(self.path("contract.pdf"))
            .args(["--key", &key, "--tsa", &tsa.url, "-o"])
            .arg(self.path(out))
            .output()
            .unwrap();
        json(&output)
    }
}
