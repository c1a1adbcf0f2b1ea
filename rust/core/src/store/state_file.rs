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
pub const CORRUPT_FILE: &str = "state.corrupt";

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
    /// A checkpoint existed but could not be trusted; it was moved aside.
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

pub fn load(fs: &dyn Fs, dir: &Path) -> io::Result<Loaded> {
    let path = state_path(dir);
    // A temp file left by a crash mid-write never became the checkpoint.
    fs.remove(&tmp_path(&path))?;
    let bytes = match fs.read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Loaded::Fresh),
        Err(e) => return Err(e),
    };
    let parsed = envelope::unwrap(MAGIC, &bytes)
        .ok()
        .and_then(|body| serde_json::from_slice::<StateData>(body).ok());
    match parsed {
        Some(data) => Ok(Loaded::Loaded(Box::new(data))),
        None => {
            log::warn!("checkpoint failed its integrity check; moved aside, starting clean");
            fs.rename(&path, &dir.join(CORRUPT_FILE))?;
            Ok(Loaded::Corrupt)
        }
    }
}

/// Deletes the checkpoint and anything left around it.
pub fn remove_all(fs: &dyn Fs, dir: &Path) -> io::Result<()> {
    let path = state_path(dir);
    fs.remove(&path)?;
    fs.remove(&tmp_path(&path))?;
    fs.remove(&dir.join(CORRUPT_FILE))
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
