//! `hush serve`'s settings: flags, or the same keys in a TOML file
//! (`--config FILE`), a flag on the command line winning over the file.
//! Relative paths in the file are relative to the file's directory.
//!
//! ```toml
//! mode = "all"                     # all | gateway | target
//! listen = "127.0.0.1:8080"
//! admin-listen = "127.0.0.1:9090"  # /metrics and /healthz, for the operator
//! key = ["keys-2027", "keys-2026"] # published and accepted, newest first
//! retired-key = ["keys-2025"]      # still accepted, no longer published
//! db = "collector.db"
//! schema = "browser.toml"          # default: the shipped schema
//! target-url = "http://127.0.0.1:9000"  # mode = "gateway" only
//! max-connections = 1024
//! header-timeout-ms = 5000
//! target-timeout-ms = 10000
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::listener::Limits;

/// What the public listener is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The OHTTP gateway with the report target in process.
    All,
    /// The OHTTP gateway alone, forwarding to `--target-url`.
    Gateway,
    /// The report target alone, plain HTTP, behind any standard OHTTP gateway.
    Target,
}

#[derive(clap::Args, Debug, Default)]
pub struct Args {
    /// A TOML file with any of the settings below (same names); flags win.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// all (default): gateway and report target; gateway: forward opened
    /// requests to --target-url; target: the report target alone, plain HTTP.
    #[arg(long, value_enum)]
    mode: Option<Mode>,
    /// Key directory (ohttp-keys, gateway.key, optional gateway.seed, as
    /// `hush keygen` writes it), published and accepted. Repeat for a key
    /// rotation, newest first: clients seal to the first one they support.
    #[arg(long = "key", value_name = "DIR")]
    key: Vec<PathBuf>,
    /// A retired key directory: its requests are still opened, but it is no
    /// longer published. Repeatable.
    #[arg(long = "retired-key", value_name = "DIR")]
    retired_key: Vec<PathBuf>,
    /// SQLite database of received reports (created 0600 if missing).
    #[arg(long, value_name = "FILE")]
    db: Option<PathBuf>,
    /// Address to listen on; port 0 picks a free port (printed on stdout).
    #[arg(long, value_name = "ADDR:PORT")]
    listen: Option<SocketAddr>,
    /// A second address for the operator: /metrics (Prometheus) and /healthz.
    #[arg(long, value_name = "ADDR:PORT")]
    admin_listen: Option<SocketAddr>,
    /// Metric schema (TOML) reports are validated against; default: the shipped one.
    #[arg(long, value_name = "FILE")]
    schema: Option<PathBuf>,
    /// mode gateway: the plain-HTTP report target, http://HOST:PORT[/PREFIX].
    #[arg(long, value_name = "URL")]
    target_url: Option<String>,
    /// Open connections at most; at the cap the oldest that has sent nothing
    /// is closed for a new one (default 1024).
    #[arg(long, value_name = "N")]
    max_connections: Option<usize>,
    /// A connection must send its request headers within this time (default 5000).
    #[arg(long, value_name = "MS")]
    header_timeout_ms: Option<u64>,
    /// mode gateway: how long the target may take to answer (default 10000).
    #[arg(long, value_name = "MS")]
    target_timeout_ms: Option<u64>,
}

/// The file's keys: the flags' names.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct File {
    mode: Option<Mode>,
    #[serde(default)]
    key: Vec<PathBuf>,
    #[serde(default)]
    retired_key: Vec<PathBuf>,
    db: Option<PathBuf>,
    listen: Option<SocketAddr>,
    admin_listen: Option<SocketAddr>,
    schema: Option<PathBuf>,
    target_url: Option<String>,
    max_connections: Option<usize>,
    header_timeout_ms: Option<u64>,
    target_timeout_ms: Option<u64>,
}

/// Everything `hush serve` runs with, checked for its mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeConfig {
    pub mode: Mode,
    pub keys: Vec<PathBuf>,
    pub retired_keys: Vec<PathBuf>,
    pub db: Option<PathBuf>,
    pub listen: SocketAddr,
    pub admin_listen: Option<SocketAddr>,
    pub schema: Option<PathBuf>,
    pub target_url: Option<String>,
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
        let mode = args.mode.or(file.mode).unwrap_or(Mode::All);
        let config = Self {
            mode,
            keys: pick_list(args.key, file.key),
            retired_keys: pick_list(args.retired_key, file.retired_key),
            db: args.db.or(file.db),
            listen: args
                .listen
                .or(file.listen)
                .ok_or("--listen ADDR:PORT is required (or `listen` in --config)")?,
            admin_listen: args.admin_listen.or(file.admin_listen),
            schema: args.schema.or(file.schema),
            target_url: args.target_url.or(file.target_url),
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
        config.check()?;
        Ok(config)
    }

    /// Each mode needs its settings, and takes no setting of another.
    fn check(&self) -> Result<(), String> {
        let needs_keys = matches!(self.mode, Mode::All | Mode::Gateway);
        let needs_db = matches!(self.mode, Mode::All | Mode::Target);
        let name = match self.mode {
            Mode::All => "all",
            Mode::Gateway => "gateway",
            Mode::Target => "target",
        };
        if needs_keys && self.keys.is_empty() {
            return Err(format!(
                "mode {name} needs --key DIR (a key directory from `hush keygen`)"
            ));
        }
        let has_keys = !self.keys.is_empty() || !self.retired_keys.is_empty();
        if !needs_keys && has_keys {
            return Err("mode target holds no keys: the gateway in front opens requests".into());
        }
        if needs_db && self.db.is_none() {
            return Err(format!("mode {name} needs --db FILE"));
        }
        if !needs_db && self.db.is_some() {
            return Err("mode gateway stores nothing: --db belongs to the target".into());
        }
        match (self.mode, &self.target_url) {
            (Mode::Gateway, None) => Err("mode gateway needs --target-url http://HOST:PORT".into()),
            (Mode::All | Mode::Target, Some(_)) => {
                Err("--target-url is for mode gateway only".into())
            }
            _ if self.limits.max_connections == 0 => {
                Err("--max-connections must be at least 1".into())
            }
            _ => Ok(()),
        }
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
    for p in [&mut file.db, &mut file.schema].into_iter().flatten() {
        resolve(p);
    }
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
mode = "all"
listen = "127.0.0.1:8080"
admin-listen = "127.0.0.1:9090"
key = ["next", "/abs/current"]
retired-key = ["old"]
db = "c.db"
schema = "s.toml"
max-connections = 100
header-timeout-ms = 2000
target-timeout-ms = 3000
"#,
        )
        .unwrap();
        let d = dir.path().display().to_string();
        let from_file = parse(&["--config", file.to_str().unwrap()]).unwrap();
        let from_flags = parse(&[
            "--mode",
            "all",
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
            "--db",
            &format!("{d}/c.db"),
            "--schema",
            &format!("{d}/s.toml"),
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
        assert_eq!(both.db, from_file.db);
    }

    #[test]
    fn unknown_keys_and_wrong_modes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("serve.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:1\"\nkeys = [\"k\"]\n").unwrap();
        let e = parse(&["--config", file.to_str().unwrap()]).unwrap_err();
        assert!(e.contains("unknown field `keys`"), "{e}");
        let l = ["--listen", "127.0.0.1:0"];
        let cases: &[(&[&str], &str)] = &[
            (&[], "needs --key"),
            (&["--key", "k"], "needs --db"),
            (&["--mode", "gateway", "--key", "k"], "needs --target-url"),
            (
                &[
                    "--mode",
                    "gateway",
                    "--key",
                    "k",
                    "--target-url",
                    "http://t:1",
                    "--db",
                    "d",
                ],
                "stores nothing",
            ),
            (
                &["--mode", "target", "--db", "d", "--key", "k"],
                "holds no keys",
            ),
            (
                &[
                    "--mode",
                    "target",
                    "--db",
                    "d",
                    "--target-url",
                    "http://t:1",
                ],
                "mode gateway only",
            ),
            (
                &["--key", "k", "--db", "d", "--max-connections", "0"],
                "at least 1",
            ),
        ];
        for (flags, error) in cases {
            let all: Vec<&str> = l.iter().chain(flags.iter()).copied().collect();
            let e = parse(&all).unwrap_err();
            assert!(e.contains(error), "{flags:?}: {e}");
        }
        assert!(parse(&["--key", "k", "--db", "d"])
            .unwrap_err()
            .contains("--listen"));
        let ok = parse(&["--listen", "127.0.0.1:0", "--mode", "target", "--db", "d"]).unwrap();
        assert_eq!((ok.mode, ok.limits), (Mode::Target, Limits::default()));
    }
}
