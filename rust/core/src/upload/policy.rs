//! What to upload next and what to do after an answer: a pure function of
//! the pending bookkeeping, the answer's [`Meaning`], the time and a random
//! draw, so every rule is tested without a network (model: glean-core
//! `upload/`, plus backoff with full jitter, persisted retry state, quotas
//! and an expiry).

use super::answer::Meaning;
use crate::clock::UtcDay;
use crate::store::outbox::PendingMeta;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadPolicy {
    /// First retry waits up to this long; each failure doubles the ceiling.
    pub base_backoff_ms: u64,
    /// The ceiling never exceeds this.
    pub max_backoff_ms: u64,
    /// Never retry sooner than this, whatever the draw (no hot loop).
    pub min_backoff_ms: u64,
    /// After this many failed attempts a report whose day is unknown (a
    /// file the checkpoint never learnt of) is given up and counted. A
    /// dated report is bounded by `max_age_days` instead: a relay that is
    /// down for a week must not use up its retries (P16).
    pub max_attempts: u32,
    /// A report whose day is older than this is given up instead of retried:
    /// the collector refuses days older than 40 (`hush serve`).
    pub max_age_days: i64,
    /// At most this many uploads start per rolling hour (battery, data).
    pub max_uploads_per_hour: u32,
    /// After an upload starts, the next waits a random gap, uniform in
    /// `[min_gap_ms, max_gap_ms]`, however many are due: reports that are due
    /// together (after days offline, or a day's several reports) never leave
    /// back to back, so their arrival times do not group them by device (P7).
    pub min_gap_ms: u64,
    pub max_gap_ms: u64,
}

impl Default for UploadPolicy {
    fn default() -> Self {
        Self {
            base_backoff_ms: 60_000,
            max_backoff_ms: 6 * 3_600_000,
            min_backoff_ms: 5_000,
            max_attempts: 200,
            max_age_days: 40,
            max_uploads_per_hour: 24,
            min_gap_ms: 60_000,
            max_gap_ms: 15 * 60_000,
        }
    }
}

/// What the platform should do now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Upload this pending report.
    Upload(String),
    /// Nothing is due: ask again after this many milliseconds.
    Wait(u64),
    /// Nothing is pending.
    Done,
}

/// What to do with the report after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Delete,
    RetryAt(i64),
    /// Refused, sealed to an unknown key, expired or out of attempts:
    /// delete and count.
    Drop,
}

impl UploadPolicy {
    /// Picks the oldest due report not already in flight, or how long to wait.
    /// `recent_starts` are the start times of uploads in the last hour;
    /// `spacing_until` is when the gap after the last start ends.
    pub fn next(
        &self,
        pending: &[PendingMeta],
        in_flight: &[String],
        recent_starts: &[i64],
        spacing_until: i64,
        now: i64,
    ) -> Decision {
        let waiting: Vec<&PendingMeta> = pending
            .iter()
            .filter(|m| !in_flight.contains(&m.id))
            .collect();
        if waiting.is_empty() {
            return Decision::Done;
        }
        let hour_ago = now - 3_600_000;
        let started: Vec<i64> = recent_starts
            .iter()
            .copied()
            .filter(|t| *t > hour_ago)
            .collect();
        let quota_free_at = if started.len() >= self.max_uploads_per_hour as usize {
            started
                .iter()
                .min()
                .map_or(now, |oldest| oldest + 3_600_000)
        } else {
            now
        };
        let due = waiting
            .iter()
            .min_by_key(|m| m.not_before_ms)
            .expect("non-empty");
        let at = due.not_before_ms.max(quota_free_at).max(spacing_until);
        if at <= now {
            Decision::Upload(due.id.clone())
        } else {
            Decision::Wait((at - now) as u64)
        }
    }

    /// The gap after an upload starts: uniform in [min_gap, max_gap]. `draw`
    /// is uniform in [0, 1).
    pub fn gap_ms(&self, draw: f64) -> u64 {
        let span = self.max_gap_ms.saturating_sub(self.min_gap_ms);
        self.min_gap_ms + (span as f64 * draw.clamp(0.0, 1.0)) as u64
    }

    /// Backoff with full jitter: uniform in [min, min(cap, base * 2^(attempts-1))].
    /// `draw` is uniform in [0, 1).
    pub fn backoff_ms(&self, attempts: u32, draw: f64) -> u64 {
        let exp = attempts.saturating_sub(1).min(40);
        let ceiling = self
            .base_backoff_ms
            .saturating_mul(1u64 << exp)
            .min(self.max_backoff_ms);
        let ceiling = ceiling.max(self.min_backoff_ms);
        let span = ceiling - self.min_backoff_ms;
        self.min_backoff_ms + (span as f64 * draw.clamp(0.0, 1.0)) as u64
    }

    /// Updates `meta` for an attempt whose answer meant `meaning` at `now`.
    pub fn verdict(
        &self,
        meta: &mut PendingMeta,
        meaning: Meaning,
        now: i64,
        draw: f64,
    ) -> Verdict {
        match meaning {
            Meaning::Delivered => Verdict::Delete,
            Meaning::Refused | Meaning::KeyUnknown => Verdict::Drop,
            Meaning::Retry { retry_after_ms } => {
                meta.attempts = meta.attempts.saturating_add(1);
                let undated = UtcDay::parse_iso(&meta.day).is_none();
                if self.expired(meta, now) || (undated && meta.attempts >= self.max_attempts) {
                    return Verdict::Drop;
                }
                let backoff = self.backoff_ms(meta.attempts, draw);
                // The server may ask for longer, never for a hot loop or beyond the cap.
                let wait = retry_after_ms.map_or(backoff, |ra| {
                    ra.clamp(backoff, self.max_backoff_ms.max(backoff))
                });
                meta.not_before_ms = now.saturating_add(wait as i64);
                Verdict::RetryAt(meta.not_before_ms)
            }
        }
    }

    /// Whether `meta`'s day is older than [`UploadPolicy::max_age_days`] at
    /// `now`. A report of unknown day never expires (attempts bound it).
    pub fn expired(&self, meta: &PendingMeta, now: i64) -> bool {
        UtcDay::parse_iso(&meta.day)
            .is_some_and(|day| UtcDay::of_ms(now).0 - day.0 > self.max_age_days)
    }

    /// Puts off a report that could not be read this time (a transient I/O
    /// error): no attempt is counted, and the next one waits a backoff.
    pub fn defer(&self, meta: &mut PendingMeta, now: i64, draw: f64) {
        let wait = self.backoff_ms(meta.attempts.max(1), draw);
        meta.not_before_ms = now.saturating_add(wait as i64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(id: &str, not_before_ms: i64) -> PendingMeta {
        PendingMeta {
            id: id.into(),
            size: 1024,
            not_before_ms,
            attempts: 0,
            day: String::new(),
            task: String::new(),
            last_answer: None,
        }
    }

    const RETRY: Meaning = Meaning::Retry {
        retry_after_ms: None,
    };

    #[test]
    fn oldest_due_first_and_wait_until_the_next() {
        let p = UploadPolicy::default();
        let pending = [meta("b", 500), meta("a", 100), meta("c", 2_000)];
        assert_eq!(p.next(&pending, &[], &[], 0, 50), Decision::Wait(50));
        assert_eq!(
            p.next(&pending, &[], &[], 0, 600),
            Decision::Upload("a".into())
        );
        assert_eq!(
            p.next(&pending, &["a".into()], &[], 0, 600),
            Decision::Upload("b".into())
        );
        assert_eq!(
            p.next(&pending, &["a".into(), "b".into()], &[], 0, 600),
            Decision::Wait(1_400)
        );
        assert_eq!(p.next(&[], &[], &[], 0, 600), Decision::Done);
        assert_eq!(
            p.next(&pending[..1], &["b".into()], &[], 0, 600),
            Decision::Done
        );
    }

    #[test]
    fn uploads_keep_a_random_gap_between_them() {
        let p = UploadPolicy::default();
        let pending = [meta("a", 0), meta("b", 0)];
        // Both due, but the gap after the last start has not passed.
        assert_eq!(p.next(&pending, &[], &[], 700, 600), Decision::Wait(100));
        assert_eq!(
            p.next(&pending, &[], &[], 600, 600),
            Decision::Upload("a".into())
        );
        assert_eq!(p.gap_ms(0.0), p.min_gap_ms);
        assert_eq!(p.gap_ms(1.0), p.max_gap_ms);
        let mid = p.gap_ms(0.5);
        assert!(p.min_gap_ms < mid && mid < p.max_gap_ms);
        assert!(
            p.min_gap_ms >= 60_000,
            "a gap shorter than a minute groups reports"
        );
    }

    #[test]
    fn hourly_quota_defers_uploads() {
        let p = UploadPolicy {
            max_uploads_per_hour: 2,
            ..UploadPolicy::default()
        };
        let pending = [meta("a", 0)];
        let now = 10_000_000;
        assert_eq!(
            p.next(&pending, &[], &[now - 10, now - 5], 0, now),
            Decision::Wait(3_600_000 - 10)
        );
        // Starts older than an hour do not count.
        assert_eq!(
            p.next(&pending, &[], &[now - 3_600_001, now - 5], 0, now),
            Decision::Upload("a".into())
        );
    }

    #[test]
    fn backoff_is_bounded_and_full_jitter_spans_its_range() {
        let p = UploadPolicy::default();
        for attempts in 1..40 {
            let ceiling = (p.base_backoff_ms << (attempts - 1).min(40)).min(p.max_backoff_ms);
            assert_eq!(p.backoff_ms(attempts, 0.0), p.min_backoff_ms);
            let top = p.backoff_ms(attempts, 0.999_999_999);
            assert!(
                top <= ceiling.max(p.min_backoff_ms)
                    && top + 1 >= ceiling.max(p.min_backoff_ms) - ceiling / 1_000_000
            );
            for draw in [0.1, 0.5, 0.9] {
                let b = p.backoff_ms(attempts, draw);
                assert!(
                    (p.min_backoff_ms..=p.max_backoff_ms).contains(&b),
                    "attempt {attempts}: {b}"
                );
            }
        }
        assert_eq!(p.backoff_ms(1, 1.0), p.base_backoff_ms);
        assert_eq!(p.backoff_ms(3, 1.0), 4 * p.base_backoff_ms);
        assert_eq!(p.backoff_ms(u32::MAX, 1.0), p.max_backoff_ms);
    }

    #[test]
    fn verdicts_delete_retry_and_drop() {
        let p = UploadPolicy {
            max_attempts: 3,
            ..UploadPolicy::default()
        };
        let mut m = meta("a", 0); // undated: three attempts
        assert_eq!(
            p.verdict(&mut m, Meaning::Delivered, 0, 0.5),
            Verdict::Delete
        );
        assert_eq!(p.verdict(&mut m, Meaning::Refused, 0, 0.5), Verdict::Drop);
        assert_eq!(
            p.verdict(&mut m, Meaning::KeyUnknown, 0, 0.5),
            Verdict::Drop
        );
        assert_eq!(m.attempts, 0, "a final answer is not a failed attempt");
        let retry = RETRY;
        assert_eq!(
            p.verdict(&mut m, retry, 1_000, 1.0),
            Verdict::RetryAt(1_000 + 60_000)
        );
        assert_eq!(m.attempts, 1);
        assert_eq!(m.not_before_ms, 61_000);
        assert_eq!(
            p.verdict(&mut m, retry, 1_000, 1.0),
            Verdict::RetryAt(1_000 + 120_000)
        );
        assert_eq!(p.verdict(&mut m, retry, 1_000, 1.0), Verdict::Drop);
    }

    #[test]
    fn retry_after_is_honoured_within_bounds() {
        let p = UploadPolicy::default();
        let mut m = meta("a", 0);
        let v = p.verdict(
            &mut m,
            Meaning::Retry {
                retry_after_ms: Some(600_000),
            },
            0,
            0.0,
        );
        assert_eq!(v, Verdict::RetryAt(600_000));
        let mut m = meta("a", 0);
        let v = p.verdict(
            &mut m,
            Meaning::Retry {
                retry_after_ms: Some(1),
            },
            0,
            0.0,
        );
        assert_eq!(
            v,
            Verdict::RetryAt(p.min_backoff_ms as i64),
            "a tiny Retry-After must not cause a hot loop"
        );
        let mut m = meta("a", 0);
        let v = p.verdict(
            &mut m,
            Meaning::Retry {
                retry_after_ms: Some(u64::MAX),
            },
            0,
            0.0,
        );
        assert_eq!(v, Verdict::RetryAt(p.max_backoff_ms as i64));
    }

    #[test]
    fn a_report_is_retried_until_its_day_expires() {
        let p = UploadPolicy::default();
        let day = UtcDay::parse_iso("2026-03-01").unwrap();
        let mut m = PendingMeta {
            day: day.iso(),
            ..meta("a", 0)
        };
        // The day is 40 days old at the last moment it is retried.
        let last = UtcDay(day.0 + 40).start_ms() + 86_399_999;
        assert!(matches!(
            p.verdict(&mut m, RETRY, last, 0.5),
            Verdict::RetryAt(_)
        ));
        assert!(!p.expired(&m, last));
        let expired = UtcDay(day.0 + 41).start_ms();
        assert!(p.expired(&m, expired));
        assert_eq!(p.verdict(&mut m, RETRY, expired, 0.5), Verdict::Drop);
        // A delivery is taken whatever the age.
        assert_eq!(
            p.verdict(&mut m, Meaning::Delivered, expired, 0.5),
            Verdict::Delete
        );
        // Attempts do not bound a dated report: a relay down for weeks.
        let mut dated = PendingMeta {
            day: day.iso(),
            attempts: p.max_attempts + 5,
            ..meta("c", 0)
        };
        assert!(matches!(
            p.verdict(&mut dated, RETRY, last, 0.5),
            Verdict::RetryAt(_)
        ));
        // Undated (a file the checkpoint never learnt of): only attempts bound it.
        let mut undated = meta("b", 0);
        assert!(!p.expired(&undated, i64::MAX / 2));
        undated.attempts = p.max_attempts - 1;
        assert_eq!(p.verdict(&mut undated, RETRY, 0, 0.5), Verdict::Drop);
    }

    #[test]
    fn deferring_counts_no_attempt() {
        let p = UploadPolicy::default();
        let mut m = meta("a", 0);
        p.defer(&mut m, 1_000, 1.0);
        assert_eq!(m.attempts, 0);
        assert_eq!(m.not_before_ms, 1_000 + p.base_backoff_ms as i64);
        p.defer(&mut m, 1_000, 0.0);
        assert_eq!(m.not_before_ms, 1_000 + p.min_backoff_ms as i64);
    }
}
