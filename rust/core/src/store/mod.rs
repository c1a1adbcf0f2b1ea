//! Crash-safe state in the app-private data directory.
//!
//! ```text
//! DIR/state                  checkpoint of the open window and the upload queue (checksummed)
//! DIR/pending/<id>.ohttp     one sealed report each: ciphertext only (P10)
//! ```
//! Every file is written by write-temp + fsync + rename + fsync(dir). Nothing
//! else stays: a temp file left by a crash is deleted at the next start, and
//! a checkpoint that cannot be read or trusted is deleted at once and counted
//! (it may hold a day's aggregates, so it is never kept in clear). A file
//! that cannot even be deleted is moved out of the way, so that no start can
//! fail on what an earlier one left behind.

pub mod envelope;
pub mod fs;
pub mod mem_fs;
pub mod outbox;
pub mod state_file;
pub mod state_writer;

pub use fs::{Fs, RealFs};
pub use mem_fs::MemFs;
