//! One module per subcommand.
pub mod explain_url;
pub mod keygen;
pub mod open;
pub mod replay;
pub mod schema;
pub mod seal;

use std::io::{self, Write};

/// Writes `bytes` to stdout: the whole output of `seal` and `open`, which a
/// reader that stops early did not get, so that is an error.
pub fn write_stdout(bytes: &[u8]) -> Result<(), String> {
    write_all(bytes).map_err(|e| format!("writing stdout: {e}"))
}

/// Writes one line of a report for people (`explain-url`, `replay`, ...). A
/// reader that has gone away (`hush explain-url URL | head`) no longer wants the rest:
/// that ends the command quietly, not in a panic.
pub fn print_line(line: &str) -> Result<(), String> {
    match write_all(format!("{line}\n").as_bytes()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(format!("writing stdout: {e}")),
        _ => Ok(()),
    }
}

fn write_all(bytes: &[u8]) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(bytes).and_then(|()| stdout.flush())
}
