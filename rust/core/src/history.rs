//! What became of sealed reports, for the user (P13: the app can show what
//! has been sent). A closed day's contents exist on disk only sealed (P10),
//! so the record is the day, the outcome and how many of the day's reports
//! (one per task) met it; what the day held is what `pending_report` showed
//! until it closed.

use serde::{Deserialize, Serialize};

/// The newest records kept (one per day and outcome): two months of days.
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
    /// The reports' UTC day, `YYYY-MM-DD`.
    pub day: String,
    pub outcome: SentOutcome,
    /// How many of that day's reports met this outcome.
    #[serde(default = "one")]
    pub reports: u32,
}

fn one() -> u32 {
    1
}

/// Counts one report of `day` with `outcome`, keeping the newest
/// [`MAX_RECORDS`] records.
pub fn record(history: &mut Vec<SentRecord>, day: &str, outcome: SentOutcome) {
    if let Some(r) = history
        .iter_mut()
        .rev()
        .find(|r| r.day == day && r.outcome == outcome)
    {
        r.reports = r.reports.saturating_add(1);
        return;
    }
    history.push(SentRecord {
        day: day.to_owned(),
        outcome,
        reports: 1,
    });
    if history.len() > MAX_RECORDS {
        let excess = history.len() - MAX_RECORDS;
        history.drain(..excess);
    }
}
