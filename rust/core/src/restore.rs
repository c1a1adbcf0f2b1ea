//! What [`crate::Hush::open`] finds in the data directory, reconciled into
//! the state the core starts from. Nothing on disk can make a start fail or
//! loop: a checkpoint that cannot be read or trusted is deleted and counted,
//! a pending file with bad content too, and one that cannot be read is kept
//! for the next start (`store`).

use std::path::Path;

use crate::anonymize::Anonymizer;
use crate::clock::UtcDay;
use crate::history::SentRecord;
use crate::schema::Schema;
use crate::store::outbox::{Outbox, OutboxLimits};
use crate::store::state_file::{self, Loaded};
use crate::store::Fs;
use crate::window::Window;

pub(crate) struct Restored {
    pub window: Window,
    pub outbox: Outbox,
    pub sent: Vec<SentRecord>,
    pub upload_starts: Vec<i64>,
    pub upload_spacing_until: i64,
    /// The checkpoint could not be used (deleted, or made for another schema).
    pub corrupt_state: bool,
    /// Pending files deleted for bad content.
    pub corrupt_pending: u64,
}

pub(crate) fn restore(
    fs: &dyn Fs,
    data_dir: &Path,
    schema: &Schema,
    today: UtcDay,
    limits: OutboxLimits,
    fresh_not_before: impl Fn() -> i64,
) -> Restored {
    let (data, mut corrupt_state) = match state_file::load(fs, data_dir) {
        Loaded::Fresh => (None, false),
        Loaded::Corrupt => (None, true),
        Loaded::Loaded(data) => (Some(*data), false),
    };
    let spacing_until = data.as_ref().map_or(0, |d| d.upload_spacing_until);
    let (window, metas, sent, upload_starts) = match data {
        None => (
            Window::new(schema, today),
            Vec::new(),
            Vec::new(),
            Vec::new(),
        ),
        Some(d) => {
            let window = Window::from_report(&d.window, schema, Anonymizer::shipped())
                .unwrap_or_else(|_| {
                    // Valid file, but not for this schema (e.g. an app update
                    // changed it): the old day cannot be reported faithfully.
                    corrupt_state = true;
                    Window::new(schema, today)
                });
            (window, d.uploads, d.sent, d.upload_starts)
        }
    };
    let (outbox, corrupt_pending) = Outbox::load(fs, data_dir, metas, fresh_not_before, limits);
    // A window sealed before a crash made the checkpoint forget it stays
    // open here: sealing it again skips the reports already pending (same
    // ids), see `Hush::prepare_checkpoint`.
    Restored {
        window,
        outbox,
        sent,
        upload_starts,
        upload_spacing_until: spacing_until,
        corrupt_state,
        corrupt_pending,
    }
}
