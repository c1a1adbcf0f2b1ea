//! `hush seal --keys FILE [--raw]`: stdin → one encapsulated request on stdout.
//!
//! Without `--raw`, stdin is the content of a Binary HTTP `POST
//! https://collector.invalid/report` (see `gateway::COLLECTOR_AUTHORITY`); it
//! is sealed as given, unpadded (the core pads reports to their bucket before
//! sealing). With `--raw`, stdin already is a Binary HTTP message.
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use hush_core::ohttp::{bhttp, encapsulate, KeyConfigs};

use crate::gateway::{COLLECTOR_AUTHORITY, REPORT_PATH};

#[derive(clap::Args)]
pub struct Args {
    /// The collector's key configurations (`application/ohttp-keys`), e.g. DIR/ohttp-keys.
    #[arg(long, value_name = "FILE")]
    keys: PathBuf,
    /// Stdin is already a Binary HTTP message: seal it as is.
    #[arg(long)]
    raw: bool,
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let keys = std::fs::read(&args.keys).map_err(|e| format!("{}: {e}", args.keys.display()))?;
    let keys = KeyConfigs::parse(&keys).map_err(|e| format!("{}: {e}", args.keys.display()))?;
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .map_err(|e| format!("reading stdin: {e}"))?;
    let message = if args.raw {
        input
    } else {
        bhttp::encode_request(
            "POST",
            "https",
            COLLECTOR_AUTHORITY,
            REPORT_PATH,
            &[],
            &input,
            0,
        )
    };
    let sealed = encapsulate(&keys, &message).map_err(|e| e.to_string())?;
    super::write_stdout(&sealed.request)?;
    Ok(ExitCode::SUCCESS)
}
