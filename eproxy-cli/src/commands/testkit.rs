//! `eproxy testkit init`: a complete test PKI in a fresh directory, minted at the current time
//! so that everything in it is valid now, and a summary saying loudly that it is test material.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use eproxy_policy::UnixTime;
use eproxy_testkit::TestPki;
use eproxy_testkit::export::{TEST_MATERIAL_BANNER, write_to};
use serde::Serialize;

use crate::cli::TestkitCommand;
use crate::error::CliError;
use crate::output::print_json;

/// Runs `eproxy testkit …`.
pub fn run(command: TestkitCommand) -> Result<(), CliError> {
    match command {
        TestkitCommand::Init { out, seed, json } => init(&out, &seed, json),
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
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .ok_or_else(|| CliError::new("the system clock is before 1970"))?;
    let pki = TestPki::new(seed, UnixTime::from_seconds(now))
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
            reference_time: now,
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
