//! What to upload next and what an answer means: a pure function of the
//! pending bookkeeping, the time and a random draw, so every rule is tested
//! without a network (model: glean-core `upload/`, plus backoff with full
//! jitter, persisted retry state and quotas).

use crate::store::outbox::PendingMeta;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadPolicy {
    /// First retry waits up to this long; each failure doubles the ceiling.
    pub base_backoff_ms: u64,
    /// The ceiling never exceeds this.
    pub max_backoff_ms: u64,
    /// Never retry sooner than this, whatever the draw (no hot loop).
    pub min_backoff_ms: u64,
    /// After this many failed attempts a report is dropped and counted.
    pub max_attempts: u32,
    /// At most this many uploads start per rolling hour (battery, data).
    pub max_uploads_per_hour: u32,
}

impl Default for UploadPolicy {
    fn default() -> Self {
        Self {
            base_backoff_ms: 60_000,
            max_backoff_ms: 6 * 3_600_000,
            min_backoff_ms: 5_000,
            max_attempts: 16,
            max_uploads_per_hour: 24,
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

/// How an attempt ended, as far as the policy cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Stored by the collector (or a duplicate it already had).
    Delivered,
    /// Worth retrying: 5xx, 408, 429, a transport error, an unreadable answer.
    Retry { retry_after_ms: Option<u64> },
    /// The collector refused it for good (4xx other than 408 and 429).
    Rejected,
}

/// What to do with the report after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Delete,
    RetryAt(i64),
    /// Too many failures, or refused: delete and count.
    Drop,
}

/// Classifies an HTTP status (of the outer request or the sealed inner answer).
pub fn classify_status(status: u16) -> Outcome {
    match status {
        200..=299 => Outcome::Delivered,
        // 408: the request was too slow (a weak mobile link), not wrong.
        408 | 429 | 500..=599 => Outcome::Retry {
            retry_after_ms: None,
        },
        // 1xx/3xx should never reach us (redirects are refused); retry later.
        100..=199 | 300..=399 => Outcome::Retry {
            retry_after_ms: None,
        },
        _ => Outcome::Rejected,
    }
}

impl UploadPolicy {
    /// Picks the oldest due report not already in flight, or how long to wait.
    /// `recent_starts` are the start times of uploads in the last hour.
    pub fn next(
        &self,
        pending: &[PendingMeta],
        in_flight: &[String],
        recent_starts: &[i64],
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
        let at = due.not_before_ms.max(quota_free_at);
        if at <= now {
            Decision::Upload(due.id.clone())
        } else {
            Decision::Wait((at - now) as u64)
        }
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

    /// Updates `meta` for an attempt that ended with `outcome` at `now`.
    pub fn verdict(
        &self,
        meta: &mut PendingMeta,
        outcome: Outcome,
        now: i64,
        draw: f64,
    ) -> Verdict {
        match outcome {
            Outcome::Delivered => Verdict::Delete,
            Outcome::Rejected => Verdict::Drop,
            Outcome::Retry { retry_after_ms } => {
                meta.attempts = meta.attempts.saturating_add(1);
                if meta.attempts >= self.max_attempts {
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
        }
    }

    #[test]
    fn statuses_map_to_outcomes() {
        assert_eq!(classify_status(200), Outcome::Delivered);
        assert_eq!(classify_status(204), Outcome::Delivered);
        for s in [408, 429, 500, 502, 503, 599] {
            assert_eq!(
                classify_status(s),
                Outcome::Retry {
                    retry_after_ms: None
                },
                "{s}"
            );
        }
        for s in [400, 401, 403, 404, 409, 413, 415, 422] {
            assert_eq!(classify_status(s), Outcome::Rejected, "{s}");
        }
        assert_eq!(
            classify_status(302),
            Outcome::Retry {
                retry_after_ms: None
            }
        );
    }

    #[test]
    fn oldest_due_first_and_wait_until_the_next() {
        let p = UploadPolicy::default();
        let pending = [meta("b", 500), meta("a", 100), meta("c", 2_000)];
        assert_eq!(p.next(&pending, &[], &[], 50), Decision::Wait(50));
        assert_eq!(
            p.next(&pending, &[], &[], 600),
            Decision::Upload("a".into())
        );
        assert_eq!(
            p.next(&pending, &["a".into()], &[], 600),
            Decision::Upload("b".into())
        );
        assert_eq!(
            p.next(&pending, &["a".into(), "b".into()], &[], 600),
            Decision::Wait(1_400)
        );
        assert_eq!(p.next(&[], &[], &[], 600), Decision::Done);
        assert_eq!(
            p.next(&pending[..1], &["b".into()], &[], 600),
            Decision::Done
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
            p.next(&pending, &[], &[now - 10, now - 5], now),
            Decision::Wait(3_600_000 - 10)
        );
        // Starts older than an hour do not count.
        assert_eq!(
            p.next(&pending, &[], &[now - 3_600_001, now - 5], now),
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
        let mut m = meta("a", 0);
        assert_eq!(
            p.verdict(&mut m, Outcome::Delivered, 0, 0.5),
            Verdict::Delete
        );
        assert_eq!(p.verdict(&mut m, Outcome::Rejected, 0, 0.5), Verdict::Drop);
        let retry = Outcome::Retry {
            retry_after_ms: None,
        };
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
            Outcome::Retry {
                retry_after_ms: Some(600_000),
            },
            0,
            0.0,
        );
        assert_eq!(v, Verdict::RetryAt(600_000));
        let mut m = meta("a", 0);
        let v = p.verdict(
            &mut m,
            Outcome::Retry {
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
            Outcome::Retry {
                retry_after_ms: Some(u64::MAX),
            },
            0,
            0.0,
        );
        assert_eq!(v, Verdict::RetryAt(p.max_backoff_ms as i64));
    }
}
