//! `eproxy`: the command companies and counterparties use. Its commands (testkit, delegation,
//! contract, verify, cert, log) are not built yet; it prints what it will do and exits.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    eprintln!(
        "eproxy {}: no commands yet. The signed formats are specified in proto/ and the scope \
         rules live in the eproxy-policy crate.",
        env!("CARGO_PKG_VERSION")
    );
    std::process::ExitCode::from(2)
}
