//! Checkpoint writes that may run outside the core's lock, so a recording call
//! on the UI thread never waits for an fsync. A write prepared before the user
//! switched collection off must not bring the deleted data back: every write
//! carries the wipe epoch it was prepared in, and is dropped if a wipe came
//! between.

use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use super::envelope;
use super::fs::{write_atomic, Fs};
use super::state_file::{self, StateData};

pub struct StateWriter {
    fs: Arc<dyn Fs>,
    dir: PathBuf,
    /// Held while a checkpoint is written or the data is wiped.
    written: Mutex<Written>,
}

struct Written {
    /// Bumped by every wipe.
    epoch: u64,
    /// The change count of the newest checkpoint on disk.
    persisted: u64,
}

/// A serialized checkpoint, ready to be written.
#[must_use = "a prepared checkpoint does nothing until committed"]
pub struct StateWrite {
    writer: Arc<StateWriter>,
    epoch: u64,
    changes: u64,
    bytes: Vec<u8>,
}

impl StateWriter {
    pub fn new(fs: Arc<dyn Fs>, dir: PathBuf) -> Arc<Self> {
        Arc::new(Self {
            fs,
            dir,
            written: Mutex::new(Written {
                epoch: 0,
                persisted: 0,
            }),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Written> {
        // The guarded numbers stay consistent even if a holder panicked.
        self.written.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// True when the checkpoint on disk already holds `changes`.
    pub fn is_persisted(&self, changes: u64) -> bool {
        self.lock().persisted >= changes
    }

    pub fn prepare(self: &Arc<Self>, changes: u64, data: &StateData) -> io::Result<StateWrite> {
        let body = serde_json::to_vec(data).map_err(io::Error::other)?;
        Ok(StateWrite {
            writer: Arc::clone(self),
            epoch: self.lock().epoch,
            changes,
            bytes: envelope::wrap(state_file::MAGIC, &body),
        })
    }

    /// Runs `delete` with writes held off, and makes every write prepared
    /// before it a no-op. `changes` is the core's count after the wipe.
    pub fn wipe(&self, changes: u64, delete: impl FnOnce() -> io::Result<()>) -> io::Result<()> {
        let mut w = self.lock();
        w.epoch += 1;
        w.persisted = changes;
        delete()
    }
}

impl StateWrite {
    /// Writes the checkpoint (temp, fsync, rename, fsync dir) unless a wipe or
    /// a newer checkpoint came first.
    pub fn commit(self) -> io::Result<()> {
        let writer = &self.writer;
        let mut w = writer.lock();
        if w.epoch != self.epoch || w.persisted >= self.changes {
            return Ok(());
        }
        write_atomic(
            writer.fs.as_ref(),
            &state_file::state_path(&writer.dir),
            &self.bytes,
        )?;
        w.persisted = self.changes;
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}
