//! Crash-safe state in the app-private data directory.
//!
//! ```text
//! DIR/state                  checkpoint of the open window and the upload queue (checksummed)
//! DIR/state.corrupt          the last checkpoint that failed to load, moved aside
//! DIR/pending/<id>.ohttp     one sealed report each: ciphertext only (P10)
//! ```
//! Every file is written by write-temp + fsync + rename + fsync(dir).

pub mod envelope;
pub mod fs;
pub mod outbox;
pub mod state_file;
pub mod state_writer;

pub use fs::{Fs, RealFs};
