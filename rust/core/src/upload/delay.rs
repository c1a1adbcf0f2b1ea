//! When each sealed report may first be sent (P7).

use crate::random;

/// When a sealed report may first be sent (P7): each report draws its own
/// time, uniform in `[min_ms, max_ms]` after it was sealed (its day closed
/// at most `max_ms` before). A report sealed late (the app was not running
/// when its day closed) draws in `[min_ms, late_max_ms]` after it was sealed
/// instead, so its send time is spread over the following day rather than
/// tied to the app's next start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadDelay {
    pub min_ms: i64,
    pub max_ms: i64,
    pub late_max_ms: i64,
}

impl Default for UploadDelay {
    fn default() -> Self {
        Self {
            min_ms: 10 * 60_000,
            max_ms: 6 * 3_600_000,
            late_max_ms: 24 * 3_600_000,
        }
    }
}

impl UploadDelay {
    /// A send time for a report of a day that ended at `day_end_ms`, sealed
    /// at `now_ms`.
    pub fn draw(&self, day_end_ms: i64, now_ms: i64) -> i64 {
        let late = now_ms > day_end_ms.saturating_add(self.max_ms);
        let (from, max) = if late {
            (now_ms, self.late_max_ms)
        } else {
            (day_end_ms.max(now_ms), self.max_ms)
        };
        let span = (max - self.min_ms).max(0) as u64;
        from.saturating_add(self.min_ms.max(0) + random::below(span + 1) as i64)
    }
}
