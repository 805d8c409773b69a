//! `eproxy testkit init`: a complete test PKI in a fresh directory, minted at the current time
//! so that everything in it is valid now, and a summary saying loudly that it is test material.

use std::path::Path;

use eproxy_testkit::export::{TEST_MATERIAL_BANNER, write_to};
use eproxy_testkit::tsa_server::{Clock, serve};
use eproxy_testkit::{Credential, TestPki};
use serde::Serialize;

use crate::cli::TestkitCommand;
use crate::commands::{Outcome, now};
use crate::error::CliError;
use crate::input::{read_certificate, read_limited};
use crate::key::KeySpec;
use crate::output::print_json;
use crate::secret::SecretSource;
use crate::time_text::parse_time;

/// Runs `eproxy testkit …`.
pub fn run(command: TestkitCommand) -> Result<Outcome, CliError> {
    match command {
        TestkitCommand::Init { out, seed, json } => init(&out, &seed, json).map(|()| Outcome::Done),
        TestkitCommand::Tsa {
            certificate,
            key,
            listen,
            time,
        } => serve_tsa(&certificate, &key, &listen, time.as_deref()),
        TestkitCommand::TokenCertificate {
            key,
            certificate,
            pin_file,
        } => {
            let KeySpec::Pkcs11(token) = key else {
                return Err(CliError::new(
                    "--key must name a PKCS#11 token: pkcs11:MODULE;token=LABEL;id=HEX",
                ));
            };
            token.store_certificate(
                &SecretSource::pin(pin_file),
                &read_certificate(&certificate)?,
            )?;
            eprintln!("stored {} on the token", certificate.display());
            Ok(Outcome::Done)
        }
    }
}

/// The `--json` report.
#[derive(Serialize)]
struct Report<'a> {
    test_material_only: &'a str,
    directory: String,
    seed: &'a str,
    reference_time: i64,
    pkcs12_password: &'a str,
    files: Vec<File>,
}

#[derive(Serialize)]
struct File {
    path: String,
    description: String,
}

fn init(out: &Path, seed: &str, json: bool) -> Result<(), CliError> {
    refuse_to_mix_in(out)?;
    let now = now()?;
    let pki = TestPki::new(seed, now)
        .map_err(|e| CliError::new(format!("cannot mint the test PKI: {e}")))?;
    let manifest = write_to(&pki, out).map_err(|e| {
        CliError::new(format!("cannot write the test PKI: {e}"))
            .fix(format!("remove {} and try again", out.display()))
    })?;
    if json {
        return print_json(&Report {
            test_material_only: TEST_MATERIAL_BANNER,
            directory: out.display().to_string(),
            seed,
            reference_time: now.seconds(),
            pkcs12_password: &pki.password,
            files: manifest
                .into_iter()
                .map(|(path, description)| File {
                    path: path.display().to_string(),
                    description,
                })
                .collect(),
        });
    }
    println!("{TEST_MATERIAL_BANNER}\n");
    println!("Wrote a test PKI to {}:", out.display());
    for (path, description) in &manifest {
        println!("  {}  {description}", path.display());
    }
    println!("\nThe PKCS#12 files' password: {}", pki.password);
    println!(
        "Trust anchors by role are under {}; README.txt there repeats this summary.",
        out.join("trust").display()
    );
    Ok(())
}

/// Serves the test TSA until the process is stopped.
fn serve_tsa(
    certificate: &Path,
    key: &Path,
    listen: &str,
    time: Option<&str>,
) -> Result<Outcome, CliError> {
    let read = |path: &Path| {
        let bytes = read_limited(path, 64 * 1024, "PEM file")?;
        String::from_utf8(bytes)
            .map_err(|_| CliError::new(format!("{} is not PEM text", path.display())))
    };
    let credential = Credential::from_pem(&read(certificate)?, &read(key)?)
        .map_err(|e| CliError::new(format!("cannot load the TSA credential: {e}")))?;
    let clock = match time {
        Some(text) => {
            Clock::Fixed(parse_time(text).map_err(|e| CliError::new(format!("--time: {e}")))?)
        }
        None => Clock::Now,
    };
    let listener = std::net::TcpListener::bind(listen)
        .map_err(|e| CliError::new(format!("cannot listen on {listen}: {e}")))?;
    let address = listener
        .local_addr()
        .map_err(|e| CliError::new(format!("cannot listen on {listen}: {e}")))?;
    println!("eproxy testkit tsa: listening on http://{address}");
    std::io::Write::flush(&mut std::io::stdout())
        .map_err(|e| CliError::new(format!("cannot write to standard output: {e}")))?;
    eprintln!("{TEST_MATERIAL_BANNER}");
    serve(listener, &credential, clock)
}

/// A test PKI goes into a directory of its own: writing into one that holds other files could
/// overwrite them, or leave test roots beside real ones.
fn refuse_to_mix_in(out: &Path) -> Result<(), CliError> {
    match std::fs::read_dir(out) {
        Ok(mut entries) => match entries.next() {
            None => Ok(()),
            Some(_) => Err(CliError::new(format!("{} is not empty", out.display()))
                .fix("name a new directory: a test PKI is never written among other files")),
        },
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(CliError::file(out, "read", error)),
    }
}
