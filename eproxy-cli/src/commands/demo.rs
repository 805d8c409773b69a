//! `eproxy demo`: the whole story in a minute, on embedded defaults, in a temporary directory.
//! Every step is a real command (this binary, `eproxy-registry` beside it), printed as a user
//! would type it and then run: a test PKI; a registry, where the operator enrolls the
//! representative's My Number card, and a time-stamping authority; the representative issues
//! and registers a PoA; the employee signs a contract; the counterparty verifies it (accepted);
//! the representative revokes with her card; a later contract is rejected with its
//! reason; the log is monitored throughout. Exit status 0 when every verdict is the expected
//! one, 1 when one is not.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use eproxy_testkit::TestPki;
use eproxy_testkit::export::registry_config_trusting;
use eproxy_testkit::scenario::COUNTERPARTY;

use crate::commands::Outcome;
use crate::error::CliError;

/// The registry's log origin in the demo.
const ORIGIN: &str = "demo.eproxy.test/log";

/// A child process that is stopped when the demo ends, however it ends.
struct Service(Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The demo's working state.
struct Demo {
    dir: PathBuf,
    eproxy: PathBuf,
    registry_binary: PathBuf,
}

/// Runs the demo in a new temporary directory (kept with `--keep`).
pub fn run(keep: bool) -> Result<Outcome, CliError> {
    let eproxy = std::env::current_exe()
        .map_err(|e| CliError::new(format!("cannot find this program's path: {e}")))?;
    let registry_binary = eproxy.with_file_name("eproxy-registry");
    if !registry_binary.exists() {
        return Err(CliError::new(format!(
            "the demo runs the registry, and {} is missing",
            registry_binary.display()
        ))
        .fix("build both programs: cargo build -p eproxy-registry -p eproxy-cli"));
    }
    let temporary = tempfile::Builder::new()
        .prefix("eproxy-demo-")
        .tempdir()
        .map_err(|e| CliError::new(format!("cannot make a temporary directory: {e}")))?;
    let dir = temporary.path().to_path_buf();
    let demo = Demo {
        dir: dir.clone(),
        eproxy,
        registry_binary,
    };
    println!("eproxy demo: working in {}\n", dir.display());
    let outcome = demo.story();
    if keep {
        let kept = temporary.keep();
        println!("\nthe files are kept in {}", kept.display());
    }
    outcome
}

impl Demo {
    fn story(&self) -> Result<Outcome, CliError> {
        chapter("A test PKI stands in for the cards (test material only)");
        let init = self.eproxy(&["testkit", "init", "--json", "--out", "pki"], 0)?;
        let password = json(&init)?["pkcs12_password"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        std::fs::write(self.dir.join("password"), &password)
            .map_err(|e| CliError::file(&self.dir.join("password"), "write", e))?;
        println!("    (a test PKI in pki/; its PKCS#12 password is in ./password)");

        chapter(
            "The operator starts a registry, enrolling the representative's card after checking \
             the register; a time-stamping authority is at hand",
        );
        let (_registry, registry_url) = self.start_registry()?;
        let (_tsa, tsa_url) = self.start_tsa()?;
        let operator_key = "registry/operator.vkey";
        // A watcher follows the log from its empty start, so that the last chapter shows every
        // entry the story adds (and the demo never depends on when a checkpoint is published).
        let monitor = || {
            self.eproxy(
                &[
                    "log",
                    "monitor",
                    "--registry",
                    &registry_url,
                    "--operator-key",
                    operator_key,
                    "--state",
                    "monitor.json",
                ],
                0,
            )
        };
        monitor()?;

        chapter("The representative issues a power of attorney to 山田　太郎 and registers it");
        let company = &TestPki::standard().company;
        let number = company
            .corporate_number()
            .map_err(|e| CliError::new(format!("the test company: {e}")))?
            .to_string();
        let today = crate::time_text::jst(crate::commands::now()?);
        let from = &today[..10];
        self.eproxy(
            &[
                "delegation",
                "new",
                "--company",
                &number,
                "--company-name",
                &company.corporate_name,
                "--company-address",
                &company.corporate_address,
                "--representative",
                &company.director_name,
                "--title",
                &company.director_title,
                "--delegatee-cert",
                "pki/employee/yamada.pem",
                "--delegatee-name",
                "山田　太郎",
                "--matter",
                "conclude-contracts",
                "--amount-cap",
                "5000000",
                "--counterparty",
                COUNTERPARTY,
                "--from",
                from,
                "--until",
                &next_year(from),
                "-o",
                "poa.toml",
            ],
            0,
        )?;
        let representative = [
            "--key",
            "pkcs12:pki/representative/sato.p12",
            "--password-file",
            "password",
        ];
        let signed = self.eproxy(
            &[
                &["delegation", "sign", "poa.toml", "--json", "-o", "poa.p7s"][..],
                &representative,
            ]
            .concat(),
            0,
        )?;
        let poa_id = json(&signed)?["delegation_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        println!("    signed PoA {poa_id} (poa.p7s)");
        self.eproxy(
            &[
                "delegation",
                "submit",
                "poa.p7s",
                "--registry",
                &registry_url,
            ],
            0,
        )?;

        chapter("The employee signs a contract under it, timestamped");
        self.write_terms(&poa_id)?;
        let employee = "pem:pki/employee/yamada.key.pem,pki/employee/yamada.pem";
        self.eproxy(
            &[
                "contract",
                "sign",
                "--terms",
                "terms.toml",
                "--document",
                "contract.pdf",
                "--key",
                employee,
                "--tsa",
                &tsa_url,
                "-o",
                "contract.p7s",
            ],
            0,
        )?;

        chapter("The counterparty verifies it with the registry's evidence");
        let verify = |contract: &'static str, expected: i32| {
            self.eproxy(
                &[
                    "verify",
                    contract,
                    "--trust",
                    "pki/trust",
                    "--document",
                    "contract.pdf",
                    "--counterparty",
                    COUNTERPARTY,
                    "--registry",
                    &registry_url,
                    "--operator-key",
                    operator_key,
                    "--crl",
                    "pki/crl/jpki-signing.crl.pem",
                    "--crl",
                    "pki/crl/commercial-registration.crl.pem",
                    "--crl",
                    "pki/crl/tsa.crl.pem",
                ],
                expected,
            )
        };
        verify("contract.p7s", 0)?;

        chapter("The representative revokes it, with her enrolled My Number card");
        // Times are whole seconds: the revocation goes at least a second after the contract.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        self.eproxy(
            &[&[
                "delegation",
                "revoke",
                &poa_id,
                "--reason-code",
                "left-company",
                "--reason",
                "退職 (left the company)",
                "--registry",
                &registry_url,
                "--operator-key",
                operator_key,
                "--company",
                &number,
                "--key",
                "pem:pki/representative/sato-card.key.pem,pki/representative/sato-card.pem",
            ][..]]
            .concat(),
            0,
        )?;

        chapter("A contract signed after the revocation is rejected; the earlier one still holds");
        // A second later at least, so that the timestamps differ from the revocation's time.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        self.eproxy(
            &[
                "contract",
                "sign",
                "--terms",
                "terms.toml",
                "--document",
                "contract.pdf",
                "--key",
                employee,
                "--tsa",
                &tsa_url,
                "-o",
                "late-contract.p7s",
            ],
            0,
        )?;
        verify("late-contract.p7s", 1)?;
        verify("contract.p7s", 0)?;

        chapter("Anyone watching the log sees it grow, consistently");
        // The enrollment, the registration and the revocation.
        self.wait_for_checkpoint(&registry_url, operator_key, 3)?;
        monitor()?;
        println!("\nEvery verdict was the expected one.");
        Ok(Outcome::Done)
    }

    /// Runs `eproxy ARGS`, printed first as typed, its output indented; the exit status must
    /// be `expected`. Returns standard output.
    fn eproxy(&self, args: &[&str], expected: i32) -> Result<String, CliError> {
        println!("$ eproxy {}", shell_words(args));
        let output = Command::new(&self.eproxy)
            .args(args)
            .current_dir(&self.dir)
            .env_remove("EPROXY_REGISTRY")
            .env_remove("EPROXY_TSA")
            .output()
            .map_err(|e| CliError::new(format!("cannot run {}: {e}", self.eproxy.display())))?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        if !args.contains(&"--json") {
            for line in stdout
                .lines()
                .chain(String::from_utf8_lossy(&output.stderr).lines())
            {
                println!("    {line}");
            }
        }
        let code = output.status.code().unwrap_or(-1);
        if code != expected {
            return Err(CliError::new(format!(
                "the demo expected exit status {expected} and got {code}: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        Ok(stdout)
    }

    /// `eproxy-registry init` and `serve` on a free port, trusting the test PKI.
    fn start_registry(&self) -> Result<(Service, String), CliError> {
        let data = self.dir.join("registry");
        println!("$ eproxy-registry init --data-dir registry --origin {ORIGIN}");
        let status = Command::new(&self.registry_binary)
            .args(["init", "--origin", ORIGIN, "--data-dir"])
            .arg(&data)
            .stdout(Stdio::null())
            .status()
            .map_err(|e| CliError::new(format!("cannot run eproxy-registry: {e}")))?;
        if !status.success() {
            return Err(CliError::new("eproxy-registry init failed"));
        }
        let config = data.join("eproxy-registry.toml");
        let text =
            std::fs::read_to_string(&config).map_err(|e| CliError::file(&config, "read", e))?;
        let edited = registry_config_trusting(&text, &self.dir.join("pki"));
        std::fs::write(&config, edited).map_err(|e| CliError::file(&config, "write", e))?;
        println!("    (registry/eproxy-registry.toml now trusts the test roots and CRLs)");
        self.enroll_representatives_card()?;
        println!("$ eproxy-registry serve --data-dir registry --listen 127.0.0.1:0");
        let mut command = Command::new(&self.registry_binary);
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&data)
            .env("EPROXY_LOG", "warn")
            .env("EPROXY_METRICS_LISTEN", "127.0.0.1:0");
        let (service, address) = listening(command, "eproxy-registry: listening on ")?;
        Ok((service, format!("http://{address}")))
    }

    /// The operator, having checked the commercial register against 佐藤サンプル's My Number
    /// card, enrolls the card for the company: from then on it speaks for the company too.
    fn enroll_representatives_card(&self) -> Result<(), CliError> {
        let number = TestPki::standard()
            .company
            .corporate_number()
            .map_err(|e| CliError::new(format!("the test company: {e}")))?
            .to_string();
        let args = [
            "enroll",
            "--data-dir",
            "registry",
            "--company",
            &number,
            "--certificate",
            "pki/representative/sato-card.pem",
            "--attested-by",
            "staff-0001",
            "--reference",
            "登記事項証明書 (test)",
        ];
        println!("$ eproxy-registry {}", shell_words(&args));
        let output = Command::new(&self.registry_binary)
            .args(args)
            .current_dir(&self.dir)
            .env("EPROXY_LOG", "warn")
            .output()
            .map_err(|e| CliError::new(format!("cannot run eproxy-registry: {e}")))?;
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            println!("    {line}");
        }
        if !output.status.success() {
            return Err(CliError::new(format!(
                "eproxy-registry enroll failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        Ok(())
    }

    /// The test TSA on a free port.
    fn start_tsa(&self) -> Result<(Service, String), CliError> {
        let args = [
            "testkit",
            "tsa",
            "--certificate",
            "pki/tsa/tsa.pem",
            "--key",
            "pki/tsa/tsa.key.pem",
            "--listen",
            "127.0.0.1:0",
        ];
        println!("$ eproxy {} &", shell_words(&args));
        let mut command = Command::new(&self.eproxy);
        command.args(args).current_dir(&self.dir);
        listening(command, "eproxy testkit tsa: listening on ")
    }

    fn write_terms(&self, poa_id: &str) -> Result<(), CliError> {
        let terms = format!(
            "delegation = \"{poa_id}\"\nmatter = \"conclude-contracts\"\n\
             counterparty = \"{COUNTERPARTY}\"\namount_yen = 1200000\n\
             title = \"業務委託契約書\"\nmedia_type = \"application/pdf\"\n"
        );
        for (name, bytes) in [
            ("terms.toml", terms.as_bytes()),
            ("contract.pdf", b"%PDF-1.7 demo contract".as_slice()),
        ] {
            let path = self.dir.join(name);
            std::fs::write(&path, bytes).map_err(|e| CliError::file(&path, "write", e))?;
        }
        println!("    (terms.toml names the PoA, the counterparty and 1,200,000 yen)");
        Ok(())
    }

    /// Waits (up to 5 s) for the registry to publish a checkpoint of `size` entries: it
    /// publishes within a second of new entries.
    fn wait_for_checkpoint(&self, url: &str, key: &str, size: u64) -> Result<(), CliError> {
        let probe = self.dir.join("probe.json");
        for _ in 0..50 {
            let _ = std::fs::remove_file(&probe);
            let output = Command::new(&self.eproxy)
                .args([
                    "log",
                    "monitor",
                    "--json",
                    "--registry",
                    url,
                    "--operator-key",
                    key,
                ])
                .arg("--state")
                .arg(&probe)
                .current_dir(&self.dir)
                .output()
                .map_err(|e| CliError::new(format!("cannot run the monitor: {e}")))?;
            if json(&String::from_utf8_lossy(&output.stdout))?["size"].as_u64() == Some(size) {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Err(CliError::new(format!(
            "no checkpoint of {size} entries within 5 s"
        )))
    }
}

fn chapter(title: &str) {
    println!("\n== {title}");
}

/// Starts a service and waits until its first line, `announcement` then where it listens,
/// says it is ready. Returns the service and where it listens.
fn listening(mut command: Command, announcement: &str) -> Result<(Service, String), CliError> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| CliError::new(format!("cannot start {command:?}: {e}")))?;
    let stdout = child.stdout.take();
    // Stopped on every path from here, the early returns included.
    let service = Service(child);
    let line = stdout
        .and_then(|out| BufReader::new(out).lines().next())
        .and_then(Result::ok)
        .ok_or_else(|| CliError::new("a service ended before it listened"))?;
    let address = line
        .strip_prefix(announcement)
        .ok_or_else(|| CliError::new(format!("a service said {line:?}")))?
        .to_owned();
    println!("    {line}");
    Ok((service, address))
}

fn json(text: &str) -> Result<serde_json::Value, CliError> {
    serde_json::from_str(text).map_err(|e| CliError::new(format!("unexpected output: {e}")))
}

/// The same day a year on (28 February for 29 February), `YYYY-MM-DD`.
fn next_year(date: &str) -> String {
    let year: i64 = date[..4].parse().unwrap_or(2026);
    format!(
        "{}-{}",
        year + 1,
        if &date[5..] == "02-29" {
            "02-28"
        } else {
            &date[5..]
        }
    )
}

/// The arguments as a shell would need them typed.
fn shell_words(args: &[&str]) -> String {
    args.iter()
        .map(|a| {
            if a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:=,+@".contains(c))
                && !a.is_empty()
            {
                (*a).to_owned()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
