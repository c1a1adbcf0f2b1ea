//! `hush replay`: filled in with the core.
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> Result<ExitCode, String> {
    Err("replay is not implemented yet".into())
}
