//! The checkpoint: the open window's aggregates (in the report shape) and the
//! upload queue's bookkeeping, in one checksummed file replaced atomically.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::envelope;
use super::fs::{tmp_path, Fs};
use super::outbox::PendingMeta;
use crate::history::SentRecord;
use crate::report::Report;

pub(crate) const MAGIC: &[u8; 8] = b"HUSHST01";
pub const STATE_FILE: &str = "state";
/// Where a checkpoint that fails to load is put when it cannot be deleted
/// (a directory tree Hush may not empty): out of the way of the next one.
pub const UNREADABLE_FILE: &str = "state.unreadable";
/// Where earlier builds kept a checkpoint that failed to load, in clear.
const LEGACY_CORRUPT_FILE: &str = "state.corrupt";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateData {
    pub window: Report,
    pub uploads: Vec<PendingMeta>,
    /// What became of sealed reports, newest last (P13).
    #[serde(default)]
    pub sent: Vec<SentRecord>,
    /// When uploads started in the last hour, so the hourly quota (P12)
    /// holds across restarts.
    #[serde(default)]
    pub upload_starts: Vec<i64>,
    /// The random gap after the last upload start ends here (P7), so a
    /// restart does not let due reports leave back to back.
    #[serde(default)]
    pub upload_spacing_until: i64,
}

#[derive(Debug)]
pub enum Loaded {
    /// No checkpoint yet.
    Fresh,
    Loaded(Box<StateData>),
    /// A checkpoint existed but could not be read or trusted; it was deleted.
    Corrupt,
}

pub fn state_path(dir: &Path) -> PathBuf {
    dir.join(STATE_FILE)
}

/// Encoded size of a checkpoint, for the size budget.
pub fn encoded_len(data: &StateData) -> usize {
    serde_json::to_vec(data)
        .map(|b| envelope::wrapped_len(b.len()))
        .unwrap_or(0)
}

/// Loads the checkpoint. Never fails, so no start can be stuck on what is
/// on disk: a checkpoint that cannot be read (an I/O or permission error, a
/// directory in its place) is treated like one that fails its checks. Either
/// way it is deleted at once, since it may hold a day's aggregates in clear,
/// and reported as [`Loaded::Corrupt`] for the caller to count.
pub fn load(fs: &dyn Fs, dir: &Path) -> Loaded {
    let path = state_path(dir);
    // A temp file left by a crash mid-write never became the checkpoint.
    discard(fs, dir, &tmp_path(&path));
    discard(fs, dir, &dir.join(LEGACY_CORRUPT_FILE));
    let _ = fs.remove_tree(&dir.join(UNREADABLE_FILE));
    let parsed = match fs.read(&path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Loaded::Fresh,
        Err(_) => None,
        Ok(bytes) => envelope::unwrap(MAGIC, &bytes)
            .ok()
            .and_then(|body| serde_json::from_slice::<StateData>(body).ok()),
    };
    match parsed {
        Some(data) => Loaded::Loaded(Box::new(data)),
        None => {
            log::warn!(
                "checkpoint unreadable or failed its integrity check; deleted, starting clean"
            );
            discard(fs, dir, &path);
            Loaded::Corrupt
        }
    }
}

/// The day of the open window in the checkpoint, if there is a readable
/// one; changes nothing on disk (unlike [`load`]). For tools that resume a
/// data directory, such as `hush replay`.
pub fn checkpoint_day(fs: &dyn Fs, dir: &Path) -> Option<crate::clock::UtcDay> {
    let bytes = fs.read(&state_path(dir)).ok()?;
    let body = envelope::unwrap(MAGIC, &bytes).ok()?;
    let data: StateData = serde_json::from_slice(body).ok()?;
    crate::clock::UtcDay::parse_iso(&data.window.day)
}

/// Deletes `path`, or if that fails moves it to [`UNREADABLE_FILE`], so the
/// next checkpoint can take its place. Best effort: a directory that refuses
/// both still opens, and the next checkpoint reports the I/O error.
fn discard(fs: &dyn Fs, dir: &Path, path: &Path) {
    if fs.remove_tree(path).is_ok() {
        return;
    }
    let aside = dir.join(UNREADABLE_FILE);
    let _ = fs.remove_tree(&aside);
    if fs.rename(path, &aside).is_err() {
        log::warn!("a file in the data directory can be neither deleted nor moved aside");
    }
}

/// Deletes the checkpoint and anything left around it.
pub fn remove_all(fs: &dyn Fs, dir: &Path) -> io::Result<()> {
    let path = state_path(dir);
    for p in [
        path.clone(),
        tmp_path(&path),
        dir.join(UNREADABLE_FILE),
        dir.join(LEGACY_CORRUPT_FILE),
    ] {
        fs.remove_tree(&p)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anonymize::Environment;
    use crate::clock::UtcDay;
    use crate::schema::Schema;
    use crate::window::Window;

    /// A checkpoint written before a field existed still loads (fields are
    /// only ever added with a default); an unknown field is refused.
    #[test]
    fn checkpoints_of_an_older_version_load() {
        let schema = Schema::default_browser();
        let env = Environment::coarse("14.2.7", 34, "en-US").unwrap();
        let data = StateData {
            window: Window::new(&schema, UtcDay::of_ms(0)).to_report(&schema, &env),
            uploads: Vec::new(),
            sent: Vec::new(),
            upload_starts: vec![42],
            upload_spacing_until: 7,
        };
        let mut json: serde_json::Value = serde_json::to_value(&data).unwrap();
        let fields = json.as_object_mut().unwrap();
        assert!(fields.remove("upload_starts").is_some());
        assert!(fields.remove("sent").is_some());
        assert!(fields.remove("upload_spacing_until").is_some());
        let old: StateData = serde_json::from_value(json.clone()).unwrap();
        assert!(old.upload_starts.is_empty() && old.sent.is_empty());
        assert_eq!(old.upload_spacing_until, 0);
        assert_eq!(old.window, data.window);

        json.as_object_mut()
            .unwrap()
            .insert("from_the_future".into(), serde_json::json!(1));
        assert!(serde_json::from_value::<StateData>(json).is_err());
    }
}
