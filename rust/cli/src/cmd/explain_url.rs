//! `hush explain-url URL`: what a page visit becomes, as one JSON object.
//!
//! For privacy auditors: `{"registrable_domain": …, "reported": …, "reason": …}`,
//! where `reported` null means the visit is dropped (nothing recorded).
use std::ffi::OsString;
use std::process::ExitCode;

use hush_core::anonymize::Anonymizer;

#[derive(clap::Args)]
pub struct Args {
    /// The URL, exactly as the browser would pass it (bytes that are not
    /// UTF-8 are explained as dropped, as over JNI).
    pub url: OsString,
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let explanation = Anonymizer::shipped().explain(&url_bytes(&args.url));
    let json = serde_json::to_string(&explanation).map_err(|e| e.to_string())?;
    super::print_line(&json)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(unix)]
fn url_bytes(url: &OsString) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    url.as_bytes().to_vec()
}

#[cfg(not(unix))]
fn url_bytes(url: &OsString) -> Vec<u8> {
    // Not UTF-8 cannot be represented exactly here; U+FFFD keeps it visible.
    url.to_string_lossy().into_owned().into_bytes()
}
