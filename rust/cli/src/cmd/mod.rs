//! One module per subcommand.
pub mod explain_url;
pub mod keygen;
pub mod open;
pub mod query;
pub mod replay;
pub mod replay_plaintext;
pub mod seal;

use std::io::{self, Write};

/// Writes `bytes` to stdout. A reader that has gone away (`hush query | head`)
/// no longer wants the rest: that ends the command quietly, not in a panic.
pub fn write_stdout(bytes: &[u8]) -> Result<(), String> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(format!("writing stdout: {e}")),
        _ => Ok(()),
    }
}

/// [`write_stdout`] of one line.
pub fn print_line(line: &str) -> Result<(), String> {
    write_stdout(format!("{line}\n").as_bytes())
}
