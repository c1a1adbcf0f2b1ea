//! What became of each sealed report, for the user (P13: the app can show
//! what has been sent). A closed day's contents exist on disk only sealed
//! (P10), so the record is the day and the outcome; what the day held is what
//! `pending_report` showed until it closed.

use serde::{Deserialize, Serialize};

/// The newest outcomes kept: two months of daily reports.
pub const MAX_RECORDS: usize = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SentOutcome {
    /// The collector stored it (or already had it).
    Delivered,
    /// The collector refused it for good (a 4xx other than 408 and 429).
    Refused,
    /// Too many failed attempts; deleted unsent.
    GaveUp,
    /// Deleted unsent to stay within the storage bound (P12).
    DroppedForSpace,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SentRecord {
    /// The report's UTC day, `YYYY-MM-DD`.
    pub day: String,
    pub outcome: SentOutcome,
}

/// Appends a record, keeping the newest [`MAX_RECORDS`].
pub fn record(history: &mut Vec<SentRecord>, day: &str, outcome: SentOutcome) {
    history.push(SentRecord {
        day: day.to_owned(),
        outcome,
    });
    if history.len() > MAX_RECORDS {
        let excess = history.len() - MAX_RECORDS;
        history.drain(..excess);
    }
}
