//! `hush`: the command-line face of hush-core.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use hush_cli::{cmd, dap, serve};

#[derive(Parser)]
#[command(
    name = "hush",
    version,
    about = "Privacy-first browser analytics: tools for developers, auditors and collectors"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Drive the core from a JSON Lines trace, as a browser would.
    Replay(cmd::replay::Args),
    /// Create an OHTTP gateway key directory: ohttp-keys (public), gateway.key and gateway.seed (secret).
    Keygen(cmd::keygen::Args),
    /// Seal stdin into one Oblivious HTTP request.
    Seal(cmd::seal::Args),
    /// Open one Oblivious HTTP request with a gateway key directory.
    Open(cmd::open::Args),
    /// Check a schema file (TOML) and print it as the JSON the library takes.
    Schema(cmd::schema::Args),
    /// Show what a page visit to URL becomes (one JSON object on stdout).
    ExplainUrl(cmd::explain_url::Args),
    /// Run an OHTTP gateway in front of a plain-HTTP target: the DAP leader.
    Serve(serve::Args),
    /// Create a development DAP deployment: the app's task configuration and
    /// the leader's, helper's and collector's secrets.
    DapSetup(dap::setup::Args),
    /// Run the reference DAP leader (uploads, aggregation, collection jobs), behind `hush serve`.
    Leader(dap::leader::Args),
    /// Run the reference DAP helper.
    Helper(dap::helper::Args),
    /// Collect a batch: totals per metric from the leader and helper, as JSON lines.
    Collect(dap::collect::Args),
}

fn main() -> ExitCode {
    // Logs go to stderr, never include browsing data (P11), and default to warnings.
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    // Never trace, whatever RUST_LOG says: `ohttp` logs derived keys (HKDF
    // output) and other per-request secrets at trace level.
    log::set_max_level(log::max_level().min(log::LevelFilter::Debug));
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Replay(args) => cmd::replay::run(args),
        Command::Keygen(args) => cmd::keygen::run(args),
        Command::Seal(args) => cmd::seal::run(args),
        Command::Open(args) => cmd::open::run(args),
        Command::Schema(args) => cmd::schema::run(args),
        Command::ExplainUrl(args) => cmd::explain_url::run(args),
        Command::Serve(args) => serve::run(args),
        Command::DapSetup(args) => dap::setup::run(args),
        Command::Leader(args) => dap::leader::run(args),
        Command::Helper(args) => dap::helper::run(args),
        Command::Collect(args) => dap::collect::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("hush: {e}");
            ExitCode::FAILURE
        }
    }
}
