//! `hush schema FILE.toml`: a schema file checked and converted to the JSON
//! the library takes (`HushConfig.schemaJson`), so the app's build does the
//! TOML parsing and the Android library carries no TOML parser.
use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;

use hush_core::anonymize::Anonymizer;
use hush_core::dap::Plan;
use hush_core::schema::Schema;

#[derive(clap::Args)]
pub struct Args {
    /// The schema file (TOML), e.g. rust/core/schema/browser.toml.
    pub file: PathBuf,
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let p = &args.file;
    let text = fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
    let json = Schema::toml_to_json(&text).map_err(|e| format!("{}: {e}", p.display()))?;
    // What the library will refuse at start is refused here, at build time:
    // a schema that has no DAP plan (a vector too long, say) as well.
    let schema = Schema::from_json(&json).map_err(|e| format!("{}: {e}", p.display()))?;
    Plan::new(&schema, Anonymizer::shipped()).map_err(|e| format!("{}: {e}", p.display()))?;
    super::print_line(&json)?;
    Ok(ExitCode::SUCCESS)
}
