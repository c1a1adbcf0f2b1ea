//! `hush seal --keys FILE (--url URL | --raw)`: stdin → one encapsulated
//! request on stdout.
//!
//! With `--url`, stdin is the content of a Binary HTTP request to that URL
//! (`--method`, default POST; `--content-type` if given), sealed as given,
//! unpadded: for a DAP upload, `--method PUT --content-type
//! application/dap-report --url {leader}tasks/{task-id}/reports`. With
//! `--raw`, stdin already is a Binary HTTP message.
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use hush_core::ohttp::{bhttp, encapsulate, KeyConfigs};

#[derive(clap::Args)]
pub struct Args {
    /// The gateway's key configurations (`application/ohttp-keys`), e.g. DIR/ohttp-keys.
    #[arg(long, value_name = "FILE")]
    keys: PathBuf,
    /// The inner request's URL, `scheme://authority/path`: what the target
    /// behind the gateway is asked for.
    #[arg(long, value_name = "URL", required_unless_present = "raw")]
    url: Option<String>,
    /// The inner request's method.
    #[arg(long, default_value = "POST", conflicts_with = "raw")]
    method: String,
    /// The inner request's content type.
    #[arg(long, value_name = "TYPE", conflicts_with = "raw")]
    content_type: Option<String>,
    /// Stdin is already a Binary HTTP message: seal it as is.
    #[arg(long, conflicts_with = "url")]
    raw: bool,
}

/// `scheme://authority/path` as its three parts (the path `/` if none).
fn split_url(url: &str) -> Result<(&str, &str, &str), String> {
    let bad = || format!("--url {url}: expected scheme://authority/path");
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if scheme.is_empty() || authority.is_empty() {
        return Err(bad());
    }
    Ok((scheme, authority, if path.is_empty() { "/" } else { path }))
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let keys = std::fs::read(&args.keys).map_err(|e| format!("{}: {e}", args.keys.display()))?;
    let keys = KeyConfigs::parse(&keys).map_err(|e| format!("{}: {e}", args.keys.display()))?;
    let target = args.url.as_deref().map(split_url).transpose()?;
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .map_err(|e| format!("reading stdin: {e}"))?;
    let message = match target {
        None => input,
        Some((scheme, authority, path)) => {
            let headers: Vec<(&str, &str)> = args
                .content_type
                .as_deref()
                .map(|ct| ("content-type", ct))
                .into_iter()
                .collect();
            bhttp::encode_request(&args.method, scheme, authority, path, &headers, &input, 0)
        }
    };
    let sealed = encapsulate(&keys, &message).map_err(|e| e.to_string())?;
    super::write_stdout(&sealed.request)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::split_url;

    #[test]
    fn urls_split_into_scheme_authority_and_path() {
        assert_eq!(
            split_url("https://leader.example/dap/tasks/x/reports"),
            Ok(("https", "leader.example", "/dap/tasks/x/reports"))
        );
        assert_eq!(split_url("http://h:1"), Ok(("http", "h:1", "/")));
        for bad in ["leader.example/x", "https:///x", "://h/x"] {
            assert!(split_url(bad).is_err(), "{bad}");
        }
    }
}
