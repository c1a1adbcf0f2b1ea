//! `hush keygen --out DIR`: create a collector key directory (see `gateway`).
use std::path::PathBuf;
use std::process::ExitCode;

use crate::gateway;

#[derive(clap::Args)]
pub struct Args {
    /// Directory to write `ohttp-keys` (public), `gateway.key` (the X25519
    /// secret) and `gateway.seed` (its DeriveKeyPair seed) into; secrets are 0600.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The key id (0-255), which must differ from every other key the
    /// gateway holds during a rotation; default: random.
    #[arg(long, value_name = "ID")]
    key_id: Option<u8>,
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let key_id = gateway::generate(&args.out, args.key_id).map_err(|e| e.to_string())?;
    super::print_line(&format!(
        "key id {key_id}: wrote {}, {} and {}",
        args.out.join(gateway::KEYS_FILE).display(),
        args.out.join(gateway::SECRET_FILE).display(),
        args.out.join(gateway::SEED_FILE).display()
    ))?;
    Ok(ExitCode::SUCCESS)
}
