//! `eproxy-registry`: the accredited operator's registry of powers of attorney.
//!
//! Today it creates (or opens) the registry's RocksDB store in its data directory, with one
//! column family per concern, and reports what it found. The gRPC service, validation and the
//! transparency log come next.
#![forbid(unsafe_code)]

mod store;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: eproxy-registry [--data-dir DIR]   (default ./eproxy-data)";

fn main() -> ExitCode {
    let data_dir = match parse_args(std::env::args().skip(1)) {
        Ok(dir) => dir,
        Err(message) => {
            eprintln!("eproxy-registry: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match store::Store::open(&data_dir) {
        Ok(store) => {
            println!(
                "eproxy-registry: store ready at {} (column families: {})",
                data_dir.display(),
                store.column_families().join(", ")
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!(
                "eproxy-registry: cannot open the store at {}: {e}",
                data_dir.display()
            );
            ExitCode::FAILURE
        }
    }
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<PathBuf, String> {
    let mut data_dir = PathBuf::from("eproxy-data");
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--data-dir" => {
                data_dir = args.next().ok_or("--data-dir needs a directory")?.into();
            }
            "-h" | "--help" => return Err("help requested".into()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(data_dir)
}
