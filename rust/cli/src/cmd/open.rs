//! `hush open --key DIR [--raw]`: one encapsulated request on stdin → the
//! inner request's content (or, with `--raw`, the whole decrypted Binary HTTP
//! message) on stdout. On any failure nothing is written to stdout.
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::gateway::{self, Gateway};

#[derive(clap::Args)]
pub struct Args {
    /// Key directory: ohttp-keys and gateway.key, and gateway.seed if present
    /// (as `hush keygen` writes it).
    #[arg(long, value_name = "DIR")]
    key: PathBuf,
    /// Write the whole decrypted Binary HTTP message instead of its content.
    #[arg(long)]
    raw: bool,
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let gateway = Gateway::load(&args.key).map_err(|e| e.to_string())?;
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .map_err(|e| format!("reading stdin: {e}"))?;
    let (message, _response) = gateway.open_request(&input).map_err(|e| e.to_string())?;
    let output = if args.raw {
        message
    } else {
        gateway::decode_request(&message)
            .map_err(|e| e.to_string())?
            .content()
            .to_vec()
    };
    super::write_stdout(&output)?;
    Ok(ExitCode::SUCCESS)
}
