//! `hush serve`'s settings: flags, or the same keys in a TOML file
//! (`--config FILE`), a flag on the command line winning over the file.
//! Relative paths in the file are relative to the file's directory.
//!
//! ```toml
//! listen = "127.0.0.1:8080"
//! admin-listen = "127.0.0.1:9090"  # /metrics and /healthz, for the operator
//! key = ["keys-2027", "keys-2026"] # published and accepted, newest first
//! retired-key = ["keys-2025"]      # still accepted, no longer published
//! target-url = "http://127.0.0.1:8701/"  # the plain-HTTP target: `hush leader`
//! max-connections = 1024
//! header-timeout-ms = 5000
//! target-timeout-ms = 10000
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::listener::Limits;

#[derive(clap::Args, Debug, Default)]
pub struct Args {
    /// A TOML file with any of the settings below (same names); flags win.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Key directory (ohttp-keys, gateway.key, optional gateway.seed, as
    /// `hush keygen` or `hush dap-setup` (leader/ohttp/) writes it),
    /// published and accepted. Repeat for a key rotation, newest first:
    /// clients seal to the first one they support.
    #[arg(long = "key", value_name = "DIR")]
    key: Vec<PathBuf>,
    /// A retired key directory: its requests are still opened, but it is no
    /// longer published. Repeatable.
    #[arg(long = "retired-key", value_name = "DIR")]
    retired_key: Vec<PathBuf>,
    /// The plain-HTTP target opened requests are forwarded to,
    /// http://HOST:PORT[/PREFIX]: the DAP leader (`hush leader`, or Janus).
    #[arg(long, value_name = "URL")]
    target_url: Option<String>,
    /// Address to listen on; port 0 picks a free port (printed on stdout).
    #[arg(long, value_name = "ADDR:PORT")]
    listen: Option<SocketAddr>,
    /// A second address for the operator: /metrics (Prometheus) and /healthz.
    #[arg(long, value_name = "ADDR:PORT")]
    admin_listen: Option<SocketAddr>,
    /// Open connections at most; at the cap the oldest that has sent nothing
    /// is closed for a new one (default 1024).
    #[arg(long, value_name = "N")]
    max_connections: Option<usize>,
    /// A connection must send its request headers within this time (default 5000).
    #[arg(long, value_name = "MS")]
    header_timeout_ms: Option<u64>,
    /// How long the target may take to answer (default 10000).
    #[arg(long, value_name = "MS")]
    target_timeout_ms: Option<u64>,
}

/// The file's keys: the flags' names.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct File {
    #[serde(default)]
    key: Vec<PathBuf>,
    #[serde(default)]
    retired_key: Vec<PathBuf>,
    target_url: Option<String>,
    listen: Option<SocketAddr>,
    admin_listen: Option<SocketAddr>,
    max_connections: Option<usize>,
    header_timeout_ms: Option<u64>,
    target_timeout_ms: Option<u64>,
}

/// Everything `hush serve` runs with, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeConfig {
    pub keys: Vec<PathBuf>,
    pub retired_keys: Vec<PathBuf>,
    pub target_url: String,
    pub listen: SocketAddr,
    pub admin_listen: Option<SocketAddr>,
    pub limits: Limits,
    pub target_timeout: Duration,
}

impl ServeConfig {
    pub fn from_args(args: Args) -> Result<Self, String> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => File::default(),
        };
        Self::merge(args, file)
    }

    fn merge(args: Args, file: File) -> Result<Self, String> {
        let pick_list =
            |flag: Vec<PathBuf>, file: Vec<PathBuf>| if flag.is_empty() { file } else { flag };
        let config = Self {
            keys: pick_list(args.key, file.key),
            retired_keys: pick_list(args.retired_key, file.retired_key),
            target_url: args.target_url.or(file.target_url).ok_or(
                "--target-url http://HOST:PORT/ is required (or `target-url` in --config): \
                 the DAP leader opened requests go to",
            )?,
            listen: args
                .listen
                .or(file.listen)
                .ok_or("--listen ADDR:PORT is required (or `listen` in --config)")?,
            admin_listen: args.admin_listen.or(file.admin_listen),
            limits: Limits {
                max_connections: args
                    .max_connections
                    .or(file.max_connections)
                    .unwrap_or(Limits::default().max_connections),
                header_timeout: args
                    .header_timeout_ms
                    .or(file.header_timeout_ms)
                    .map_or(Limits::default().header_timeout, Duration::from_millis),
            },
            target_timeout: Duration::from_millis(
                args.target_timeout_ms
                    .or(file.target_timeout_ms)
                    .unwrap_or(10_000),
            ),
        };
        if config.keys.is_empty() {
            return Err(
                "--key DIR is required (a key directory from `hush keygen`, or leader/ohttp/ \
                 of `hush dap-setup`)"
                    .into(),
            );
        }
        if config.limits.max_connections == 0 {
            return Err("--max-connections must be at least 1".into());
        }
        Ok(config)
    }
}

fn read_file(path: &Path) -> Result<File, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut file: File = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let resolve = |p: &mut PathBuf| {
        if p.is_relative() {
            *p = base.join(&*p);
        }
    };
    file.key.iter_mut().for_each(resolve);
    file.retired_key.iter_mut().for_each(resolve);
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(flags: &[&str]) -> Result<ServeConfig, String> {
        use clap::{FromArgMatches, Parser};
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            args: Args,
        }
        let matches = <Cli as clap::CommandFactory>::command()
            .try_get_matches_from(std::iter::once("serve").chain(flags.iter().copied()))
            .map_err(|e| e.to_string())?;
        let cli = Cli::from_arg_matches(&matches).map_err(|e| e.to_string())?;
        ServeConfig::from_args(cli.args)
    }

    #[test]
    fn the_file_and_the_flags_say_the_same_things() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("serve.toml");
        std::fs::write(
            &file,
            r#"
listen = "127.0.0.1:8080"
admin-listen = "127.0.0.1:9090"
key = ["next", "/abs/current"]
retired-key = ["old"]
target-url = "http://127.0.0.1:8701/"
max-connections = 100
header-timeout-ms = 2000
target-timeout-ms = 3000
"#,
        )
        .unwrap();
        let d = dir.path().display().to_string();
        let from_file = parse(&["--config", file.to_str().unwrap()]).unwrap();
        let from_flags = parse(&[
            "--listen",
            "127.0.0.1:8080",
            "--admin-listen",
            "127.0.0.1:9090",
            "--key",
            &format!("{d}/next"),
            "--key",
            "/abs/current",
            "--retired-key",
            &format!("{d}/old"),
            "--target-url",
            "http://127.0.0.1:8701/",
            "--max-connections",
            "100",
            "--header-timeout-ms",
            "2000",
            "--target-timeout-ms",
            "3000",
        ])
        .unwrap();
        assert_eq!(from_file, from_flags);
        assert_eq!(
            from_file.keys[0],
            dir.path().join("next"),
            "relative to the file"
        );
        // A flag wins over the file.
        let both = parse(&[
            "--config",
            file.to_str().unwrap(),
            "--listen",
            "127.0.0.1:1",
            "--key",
            "k",
        ])
        .unwrap();
        assert_eq!(both.listen.port(), 1);
        assert_eq!(both.keys, [PathBuf::from("k")]);
        assert_eq!(both.target_url, from_file.target_url);
    }

    #[test]
    fn unknown_keys_and_missing_settings_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("serve.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:1\"\nkeys = [\"k\"]\n").unwrap();
        let e = parse(&["--config", file.to_str().unwrap()]).unwrap_err();
        assert!(e.contains("unknown field `keys`"), "{e}");
        // The JSON report target's settings are gone, in the file and as flags.
        std::fs::write(&file, "listen = \"127.0.0.1:1\"\ndb = \"c.db\"\n").unwrap();
        let e = parse(&["--config", file.to_str().unwrap()]).unwrap_err();
        assert!(e.contains("unknown field `db`"), "{e}");
        for gone in ["--db", "--mode", "--schema"] {
            assert!(parse(&[gone, "x"]).is_err(), "{gone}");
        }
        let l = ["--listen", "127.0.0.1:0"];
        let t = ["--target-url", "http://t:1/"];
        let cases: &[(&[&str], &str)] = &[
            (&t, "--key DIR is required"),
            (
                &["--key", "k"],
                "--target-url http://HOST:PORT/ is required",
            ),
            (
                &[
                    "--key",
                    "k",
                    "--target-url",
                    "http://t:1/",
                    "--max-connections",
                    "0",
                ],
                "at least 1",
            ),
        ];
        for (flags, error) in cases {
            let all: Vec<&str> = l.iter().chain(flags.iter()).copied().collect();
            let e = parse(&all).unwrap_err();
            assert!(e.contains(error), "{flags:?}: {e}");
        }
        let e = parse(&["--key", "k", "--target-url", "http://t:1/"]).unwrap_err();
        assert!(e.contains("--listen"), "{e}");
        let ok = parse(&[
            "--listen",
            "127.0.0.1:0",
            "--key",
            "k",
            "--target-url",
            "http://t:1/",
        ])
        .unwrap();
        assert_eq!(
            (ok.limits, ok.target_timeout),
            (Limits::default(), Duration::from_secs(10))
        );
    }
}
