//! What became of sealed reports, for the user (P13: the app can show what
//! has been sent). A closed day's contents exist on disk only sealed (P10),
//! so a record is a day, how its reports ended, how many of them did, the
//! attempts they took and how the last was answered. A day has one report
//! per task, so the record counts them rather than listing each: two months
//! of days fit the checkpoint. Reports still trying are the outbox's, with
//! their attempts and last answer (see `transparency`), so a relay answering
//! 404 shows as "still trying", never as a refusal (P16).

use serde::{Deserialize, Serialize};

use crate::upload::answer::Answer;

/// The newest records kept (one per day and outcome): two months of days.
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
    /// (or, undated, too many attempts failed), or it was dated after the
    /// clock's day once the clock was set back; deleted unsent.
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
    /// The reports' UTC day, `YYYY-MM-DD` (empty if unknown).
    pub day: String,
    /// How their lives ended (never [`SentOutcome::Retrying`]).
    pub outcome: SentOutcome,
    /// How many of the day's reports ended so.
    #[serde(default = "one")]
    pub reports: u32,
    /// Upload attempts they took, in all.
    #[serde(default)]
    pub attempts: u32,
    /// How the last attempt among them was answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_answer: Option<Answer>,
}

fn one() -> u32 {
    1
}

/// Records a report of `day` whose life ended with `outcome` after
/// `attempts` attempts, the last answered `answer` (if any).
pub fn ended(
    history: &mut Vec<SentRecord>,
    day: &str,
    outcome: SentOutcome,
    attempts: u32,
    answer: Option<Answer>,
) {
    debug_assert!(outcome.is_final());
    if let Some(r) = history
        .iter_mut()
        .rev()
        .find(|r| r.day == day && r.outcome == outcome)
    {
        r.reports = r.reports.saturating_add(1);
        r.attempts = r.attempts.saturating_add(attempts);
        if answer.is_some() {
            r.last_answer = answer;
        }
        return;
    }
    history.push(SentRecord {
        day: day.to_owned(),
        outcome,
        reports: 1,
        attempts,
        last_answer: answer,
    });
    if history.len() > MAX_RECORDS {
        let excess = history.len() - MAX_RECORDS;
        history.drain(..excess);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTER_404: Answer = Answer::Outer { status: 404 };
    const STORED: Answer = Answer::Sealed { status: 200 };

    #[test]
    fn reports_of_a_day_are_counted_per_outcome() {
        let mut h = Vec::new();
        ended(
            &mut h,
            "2026-11-20",
            SentOutcome::Delivered,
            1,
            Some(STORED),
        );
        ended(
            &mut h,
            "2026-11-20",
            SentOutcome::Delivered,
            3,
            Some(STORED),
        );
        ended(&mut h, "2026-11-20", SentOutcome::DroppedForSpace, 2, None);
        ended(
            &mut h,
            "2026-11-21",
            SentOutcome::Delivered,
            1,
            Some(STORED),
        );
        assert_eq!(h.len(), 3);
        assert_eq!(
            (h[0].reports, h[0].attempts, h[0].last_answer),
            (2, 4, Some(STORED))
        );
        assert_eq!(
            (h[1].outcome, h[1].reports),
            (SentOutcome::DroppedForSpace, 1)
        );
        assert_eq!(h[2].day, "2026-11-21");
    }

    #[test]
    fn the_newest_records_are_kept() {
        let mut h = Vec::new();
        for d in 0..MAX_RECORDS + 5 {
            ended(
                &mut h,
                &format!("d{d}"),
                SentOutcome::GaveUp,
                9,
                Some(OUTER_404),
            );
        }
        assert_eq!(h.len(), MAX_RECORDS);
        assert_eq!(h[0].day, "d5");
    }

    #[test]
    fn old_records_still_load() {
        let old: SentRecord =
            serde_json::from_str(r#"{"day":"2026-01-01","outcome":"refused"}"#).unwrap();
        assert_eq!(
            (old.outcome, old.reports, old.attempts, old.last_answer),
            (SentOutcome::Refused, 1, 0, None)
        );
        let json = serde_json::to_string(&SentRecord {
            last_answer: Some(OUTER_404),
            ..old
        })
        .unwrap();
        assert_eq!(
            json,
            r#"{"day":"2026-01-01","outcome":"refused","reports":1,"attempts":0,"last_answer":{"kind":"outer","status":404}}"#
        );
    }
}
