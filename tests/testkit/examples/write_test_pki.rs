//! Writes the standard test PKI (test material only) to a directory:
//! `cargo run -p eproxy-testkit --example write_test_pki -- DIR`.

use std::path::Path;
use std::process::ExitCode;

use eproxy_testkit::TestPki;
use eproxy_testkit::export::write_to;

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: write_test_pki DIR");
        return ExitCode::from(2);
    };
    match write_to(TestPki::standard(), Path::new(&dir)) {
        Ok(manifest) => {
            for (path, what) in manifest {
                println!("{}  {what}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
