//! Sealed reports waiting for upload, one file each under `pending/`, and the
//! bookkeeping the upload policy needs. Bounded in count and bytes (P12): when
//! a bound is hit the oldest report goes, and the caller counts the drop.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::envelope;
use super::fs::{write_atomic, Fs, TMP_SUFFIX};

const MAGIC: &[u8; 8] = b"HUSHPD01";
pub const PENDING_DIR: &str = "pending";
const EXT: &str = "ohttp";

/// Bookkeeping of one pending report, checkpointed with the state so retries
/// survive a restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingMeta {
    /// The report id (hex); also the file name.
    pub id: String,
    /// Bytes on disk.
    pub size: u64,
    /// Not to be uploaded before this time (jittered window close, then backoff).
    pub not_before_ms: i64,
    /// Failed attempts so far.
    pub attempts: u32,
    /// The report's UTC day, for the user's record of what was sent.
    #[serde(default)]
    pub day: String,
    /// The task the report belongs to (a metric, or `hush.*`), so the user
    /// can be told what it holds without opening it (P13).
    #[serde(default)]
    pub task: String,
    /// How the last failed attempt was answered, while it keeps trying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_answer: Option<crate::upload::answer::Answer>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxLimits {
    pub max_reports: usize,
    pub max_bytes: u64,
}

impl Default for OutboxLimits {
    fn default() -> Self {
        // About 16 days of the shipped schema's reports: 15 a day, ~64 KiB
        // in all (DAP, one report per task).
        Self {
            max_reports: 256,
            max_bytes: 1024 * 1024,
        }
    }
}

#[derive(Debug)]
pub struct Outbox {
    dir: PathBuf,
    /// Oldest first.
    entries: Vec<PendingMeta>,
    limits: OutboxLimits,
}

fn valid_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Outbox {
    pub fn pending_dir(data_dir: &Path) -> PathBuf {
        data_dir.join(PENDING_DIR)
    }

    fn file(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.{EXT}"))
    }

    /// Reconciles the checkpointed bookkeeping with the files on disk: temp
    /// files and corrupt files are deleted (and counted), files the checkpoint
    /// does not know get `fresh_not_before`. Returns the outbox and how many
    /// files were dropped as corrupt.
    pub fn load(
        fs: &dyn Fs,
        data_dir: &Path,
        metas: Vec<PendingMeta>,
        fresh_not_before: impl Fn() -> i64,
        limits: OutboxLimits,
    ) -> io::Result<(Self, u64)> {
        let dir = Self::pending_dir(data_dir);
        fs.create_dir_all(&dir)?;
        let mut on_disk = Vec::new();
        let mut corrupt = 0;
        for path in fs.list(&dir)? {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let id = name
                .strip_suffix(&format!(".{EXT}"))
                .filter(|id| valid_id(id));
            let intact_size = id.and_then(|_| fs.read(&path).ok()).and_then(|b| {
                let intact = envelope::unwrap(MAGIC, &b).is_ok();
                intact.then_some(b.len() as u64)
            });
            match (id, intact_size) {
                (Some(id), Some(size)) => on_disk.push((id.to_owned(), size)),
                _ => {
                    if !name.ends_with(TMP_SUFFIX) {
                        corrupt += 1;
                    }
                    fs.remove(&path)?;
                }
            }
        }
        let mut entries: Vec<PendingMeta> = metas
            .into_iter()
            .filter(|m| on_disk.iter().any(|(id, _)| *id == m.id))
            .collect();
        for (id, size) in on_disk {
            match entries.iter_mut().find(|m| m.id == id) {
                Some(m) => m.size = size,
                // A file the checkpoint never learnt of: its day is unknown
                // until it is sent (the history then shows it undated).
                None => entries.push(PendingMeta {
                    id,
                    size,
                    not_before_ms: fresh_not_before(),
                    attempts: 0,
                    day: String::new(),
                    task: String::new(),
                    last_answer: None,
                }),
            }
        }
        Ok((
            Self {
                dir,
                entries,
                limits,
            },
            corrupt,
        ))
    }

    /// Stores a sealed report of `task` for `day`. A report with the same id
    /// replaces the old one. Returns the older reports dropped to stay within
    /// bounds.
    pub fn push(
        &mut self,
        fs: &dyn Fs,
        id: &str,
        day: &str,
        task: &str,
        sealed: &[u8],
        not_before_ms: i64,
    ) -> io::Result<Vec<PendingMeta>> {
        if !valid_id(id) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "invalid report id",
            ));
        }
        let file = envelope::wrap(MAGIC, sealed);
        write_atomic(fs, &self.file(id), &file)?;
        self.entries.retain(|m| m.id != id);
        self.entries.push(PendingMeta {
            id: id.to_owned(),
            size: file.len() as u64,
            not_before_ms,
            attempts: 0,
            day: day.to_owned(),
            task: task.to_owned(),
            last_answer: None,
        });
        self.trim(fs)
    }

    /// Drops the oldest reports until the outbox is within its limits (P12),
    /// keeping at least the newest; returns what was dropped. [`Outbox::push`]
    /// calls it, and so does each checkpoint, since files from an older run
    /// (or tighter limits after an update) may exceed them. Files the
    /// checkpoint did not list (it was lost) have no known age: they count as
    /// the newest.
    pub fn trim(&mut self, fs: &dyn Fs) -> io::Result<Vec<PendingMeta>> {
        let mut dropped = Vec::new();
        while self.entries.len() > 1
            && (self.entries.len() > self.limits.max_reports
                || self.bytes() > self.limits.max_bytes)
        {
            let oldest = self.entries[0].clone();
            self.remove(fs, &oldest.id)?;
            dropped.push(oldest);
        }
        Ok(dropped)
    }

    /// The sealed bytes of a pending report.
    pub fn read(&self, fs: &dyn Fs, id: &str) -> io::Result<Vec<u8>> {
        let bytes = fs.read(&self.file(id))?;
        envelope::unwrap(MAGIC, &bytes)
            .map(<[u8]>::to_vec)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }

    pub fn remove(&mut self, fs: &dyn Fs, id: &str) -> io::Result<()> {
        fs.remove(&self.file(id))?;
        self.entries.retain(|m| m.id != id);
        Ok(())
    }

    /// Deletes every pending report (consent withdrawn).
    pub fn wipe(&mut self, fs: &dyn Fs) -> io::Result<()> {
        for path in fs.list(&self.dir)? {
            fs.remove(&path)?;
        }
        self.entries.clear();
        Ok(())
    }

    pub fn contains(&self, id: &str) -> bool {
        self.entries.iter().any(|m| m.id == id)
    }

    pub fn entries(&self) -> &[PendingMeta] {
        &self.entries
    }

    pub fn entry_mut(&mut self, id: &str) -> Option<&mut PendingMeta> {
        self.entries.iter_mut().find(|m| m.id == id)
    }

    pub fn bytes(&self) -> u64 {
        self.entries.iter().map(|m| m.size).sum()
    }
}
