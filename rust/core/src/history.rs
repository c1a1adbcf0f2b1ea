//! What became of each sealed report, for the user (P13: the app can show
//! what has been sent). A closed day's contents exist on disk only sealed
//! (P10), so a record is the day, where the report stands, how many attempts
//! it took and what the last one was answered: every attempt updates its
//! report's record, so a relay answering 404 shows as "still trying, the
//! relay or gateway answered 404", never as a refusal (P16).

use serde::{Deserialize, Serialize};

use crate::upload::answer::Answer;

/// The newest records kept: two months of daily reports.
pub const MAX_RECORDS: usize = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SentOutcome {
    /// Still pending: the last attempt failed, another will follow.
    Retrying,
    /// The collector stored it (or already had it).
    Delivered,
    /// The collector's own sealed answer refused it for good.
    Refused,
    /// The gateway does not hold the key it was sealed to (RFC 9458 §5.3),
    /// so it can never be opened; deleted.
    KeyUnknown,
    /// Its day grew too old for the collector while attempts kept failing
    /// (or, undated, too many attempts failed); deleted unsent.
    GaveUp,
    /// Deleted unsent to stay within the storage bound (P12).
    DroppedForSpace,
    /// Its file was damaged on disk; deleted unsent.
    Damaged,
}

impl SentOutcome {
    /// Whether the report's life has ended.
    pub fn is_final(self) -> bool {
        self != Self::Retrying
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SentRecord {
    /// The report's UTC day, `YYYY-MM-DD` (empty if unknown).
    pub day: String,
    pub outcome: SentOutcome,
    /// Upload attempts made.
    #[serde(default)]
    pub attempts: u32,
    /// How the last attempt was answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_answer: Option<Answer>,
    /// The pending report this record follows while it is retrying, so that
    /// the next attempt updates it; cleared once the report's life ends.
    /// (The same random id as its pending file, which is kept beside it.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_id: Option<String>,
}

/// Records one attempt of pending report `id` (of `day`) and where the
/// report stands after it.
pub fn attempted(
    history: &mut Vec<SentRecord>,
    id: &str,
    day: &str,
    answer: Answer,
    outcome: SentOutcome,
) {
    let mut record = take(history, id).unwrap_or_else(|| fresh(day, outcome));
    record.attempts = record.attempts.saturating_add(1);
    record.last_answer = Some(answer);
    record.outcome = outcome;
    push(history, id, record);
}

/// Records that pending report `id` ended without an attempt of its own
/// deciding it (dropped for space, damaged).
pub fn ended(history: &mut Vec<SentRecord>, id: &str, day: &str, outcome: SentOutcome) {
    debug_assert!(outcome.is_final());
    let mut record = take(history, id).unwrap_or_else(|| fresh(day, outcome));
    record.outcome = outcome;
    push(history, id, record);
}

/// A record of a report no attempt has touched yet.
fn fresh(day: &str, outcome: SentOutcome) -> SentRecord {
    SentRecord {
        day: day.to_owned(),
        outcome,
        attempts: 0,
        last_answer: None,
        pending_id: None,
    }
}

/// Removes and returns the record following pending report `id`.
fn take(history: &mut Vec<SentRecord>, id: &str) -> Option<SentRecord> {
    let i = history
        .iter()
        .position(|r| r.pending_id.as_deref() == Some(id))?;
    Some(history.remove(i))
}

/// Appends `record` as the newest, following `id` while it is retrying, and
/// keeps the newest [`MAX_RECORDS`]: ended reports' records go first, so a
/// report still retrying keeps its count.
fn push(history: &mut Vec<SentRecord>, id: &str, mut record: SentRecord) {
    record.pending_id = (!record.outcome.is_final()).then(|| id.to_owned());
    history.push(record);
    while history.len() > MAX_RECORDS {
        let oldest = history
            .iter()
            .position(|r| r.outcome.is_final())
            .unwrap_or(0);
        history.remove(oldest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTER_404: Answer = Answer::Outer { status: 404 };

    #[test]
    fn each_attempt_updates_its_reports_record() {
        let mut h = Vec::new();
        attempted(&mut h, "a", "2026-11-20", OUTER_404, SentOutcome::Retrying);
        attempted(
            &mut h,
            "b",
            "2026-11-21",
            Answer::Network,
            SentOutcome::Retrying,
        );
        attempted(
            &mut h,
            "a",
            "2026-11-20",
            Answer::Unreadable,
            SentOutcome::Retrying,
        );
        assert_eq!(h.len(), 2);
        assert_eq!(h[1].attempts, 2);
        assert_eq!(h[1].last_answer, Some(Answer::Unreadable));
        assert_eq!(h[1].pending_id.as_deref(), Some("a"));
        attempted(
            &mut h,
            "a",
            "2026-11-20",
            Answer::Sealed { status: 200 },
            SentOutcome::Delivered,
        );
        let a = h.last().unwrap();
        assert_eq!(
            (
                a.day.as_str(),
                a.outcome,
                a.attempts,
                a.pending_id.as_deref()
            ),
            ("2026-11-20", SentOutcome::Delivered, 3, None)
        );
        // A later report with a recycled id starts a record of its own.
        attempted(
            &mut h,
            "a",
            "2026-11-22",
            Answer::Network,
            SentOutcome::Retrying,
        );
        assert_eq!(h.len(), 3);
        ended(&mut h, "b", "2026-11-21", SentOutcome::DroppedForSpace);
        let b = h.last().unwrap();
        assert_eq!((b.outcome, b.attempts), (SentOutcome::DroppedForSpace, 1));
        ended(&mut h, "c", "2026-11-23", SentOutcome::Damaged);
        assert_eq!(h.last().unwrap().attempts, 0);
    }

    #[test]
    fn the_bound_drops_ended_records_first() {
        let mut h = Vec::new();
        attempted(&mut h, "p", "2026-01-01", OUTER_404, SentOutcome::Retrying);
        for i in 0..MAX_RECORDS + 5 {
            let id = format!("d{i}");
            attempted(
                &mut h,
                &id,
                "2026-01-02",
                Answer::Sealed { status: 200 },
                SentOutcome::Delivered,
            );
        }
        assert_eq!(h.len(), MAX_RECORDS);
        assert_eq!(
            h[0].pending_id.as_deref(),
            Some("p"),
            "the retrying one stays"
        );
        attempted(&mut h, "p", "2026-01-01", OUTER_404, SentOutcome::Retrying);
        assert_eq!(h.last().unwrap().attempts, 2);
    }

    #[test]
    fn old_records_still_load() {
        let old: SentRecord =
            serde_json::from_str(r#"{"day":"2026-01-01","outcome":"refused"}"#).unwrap();
        assert_eq!(
            (old.outcome, old.attempts, old.last_answer),
            (SentOutcome::Refused, 0, None)
        );
        let json = serde_json::to_string(&SentRecord {
            last_answer: Some(OUTER_404),
            ..old
        })
        .unwrap();
        assert_eq!(
            json,
            r#"{"day":"2026-01-01","outcome":"refused","attempts":0,"last_answer":{"kind":"outer","status":404}}"#
        );
    }
}
