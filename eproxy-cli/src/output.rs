//! What commands print for `--json`: one JSON document on standard output.

use serde::Serialize;

use crate::error::CliError;

/// Prints `value` as one JSON document on standard output.
pub fn print_json(value: &impl Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::new(format!("cannot render the JSON output: {e}")))?;
    println!("{text}");
    Ok(())
}
