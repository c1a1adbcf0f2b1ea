//! Counters for the operator, in the Prometheus text format (`/metrics` on
//! the admin listener only). Totals and a latency histogram: nothing per
//! request, no address, no time of a single request. They are not served on
//! the public listener, because a relay that could read them right after
//! forwarding one request would learn that request's outcome, which the
//! padded answers hide from it (P9).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How a request to the public listener ended. One counter each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A report stored.
    Stored,
    /// A report the store already had (a retry after a lost answer).
    Duplicate,
    /// A report the target refused as invalid.
    Invalid,
    /// The store failed; the client was told to retry.
    StoreFailed,
    /// Forwarded to the plain-HTTP target, which answered.
    Forwarded,
    /// The plain-HTTP target could not be reached or failed.
    TargetFailed,
    /// The RFC 9458 key problem: unknown key id, or does not decrypt.
    KeyProblem,
    /// Not an encapsulated request (malformed header, truncated, bad padding).
    Malformed,
    /// Outer 413: over the size limit.
    TooLarge,
    /// Outer 408: the body was too slow.
    Timeout,
    /// Outer 415: not `message/ohttp-req` (or, target-only, not JSON).
    UnsupportedMediaType,
    /// 404 or 405: a path or method this server does not serve.
    NotFound,
    /// A GET of the key configuration.
    Keys,
    /// `/healthz`.
    Health,
}

impl Outcome {
    const ALL: [Self; 14] = [
        Self::Stored,
        Self::Duplicate,
        Self::Invalid,
        Self::StoreFailed,
        Self::Forwarded,
        Self::TargetFailed,
        Self::KeyProblem,
        Self::Malformed,
        Self::TooLarge,
        Self::Timeout,
        Self::UnsupportedMediaType,
        Self::NotFound,
        Self::Keys,
        Self::Health,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::Stored => "stored",
            Self::Duplicate => "duplicate",
            Self::Invalid => "invalid",
            Self::StoreFailed => "store_failed",
            Self::Forwarded => "forwarded",
            Self::TargetFailed => "target_failed",
            Self::KeyProblem => "key_problem",
            Self::Malformed => "malformed",
            Self::TooLarge => "too_large",
            Self::Timeout => "timeout",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::NotFound => "not_found",
            Self::Keys => "keys",
            Self::Health => "health",
        }
    }
}

/// Upper bounds of the store latency histogram, in seconds.
const LATENCY_BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default)]
pub struct Metrics {
    outcomes: [AtomicU64; Outcome::ALL.len()],
    /// Cumulative per bucket is computed when rendering; these are per bucket
    /// (the last one is +Inf).
    latency: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    latency_sum_us: AtomicU64,
    pub connections_open: AtomicU64,
    pub connections_evicted: AtomicU64,
    pub connections_refused: AtomicU64,
}

impl Metrics {
    pub fn count(&self, outcome: Outcome) {
        self.outcomes[outcome as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(&self, outcome: Outcome) -> u64 {
        self.outcomes[outcome as usize].load(Ordering::Relaxed)
    }

    /// One store write (a report's insert, waited for by its request).
    pub fn store_latency(&self, took: Duration) {
        let secs = took.as_secs_f64();
        let bucket = LATENCY_BUCKETS
            .iter()
            .position(|&b| secs <= b)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.latency[bucket].fetch_add(1, Ordering::Relaxed);
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.latency_sum_us.fetch_add(us, Ordering::Relaxed);
    }

    /// The Prometheus text exposition format, version 0.0.4.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        out.push_str("# HELP hush_requests_total Requests to the public listener, by outcome.\n");
        out.push_str("# TYPE hush_requests_total counter\n");
        for o in Outcome::ALL {
            let _ = writeln!(
                out,
                "hush_requests_total{{outcome=\"{}\"}} {}",
                o.name(),
                self.get(o)
            );
        }
        for (name, help, value) in [
            (
                "hush_reports_stored_total",
                "Reports stored.",
                self.get(Outcome::Stored),
            ),
            (
                "hush_reports_duplicate_total",
                "Reports received again after they were stored (not stored twice).",
                self.get(Outcome::Duplicate),
            ),
            (
                "hush_connections_evicted_total",
                "Connections closed to make room because they had sent nothing.",
                load(&self.connections_evicted),
            ),
            (
                "hush_connections_refused_total",
                "Connections closed at once: the cap was reached and none was idle.",
                load(&self.connections_refused),
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP hush_connections_open Open connections.\n# TYPE hush_connections_open gauge\nhush_connections_open {}",
            load(&self.connections_open)
        );
        out.push_str("# HELP hush_store_latency_seconds Time from a report's validation to its durable commit.\n");
        out.push_str("# TYPE hush_store_latency_seconds histogram\n");
        let mut cumulative = 0;
        for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
            cumulative += load(&self.latency[i]);
            let _ = writeln!(
                out,
                "hush_store_latency_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
            );
        }
        cumulative += load(&self.latency[LATENCY_BUCKETS.len()]);
        let _ = writeln!(
            out,
            "hush_store_latency_seconds_bucket{{le=\"+Inf\"}} {cumulative}"
        );
        let sum = load(&self.latency_sum_us) as f64 / 1e6;
        let _ = writeln!(out, "hush_store_latency_seconds_sum {sum}");
        let _ = writeln!(out, "hush_store_latency_seconds_count {cumulative}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_format_has_every_series_once() {
        let m = Metrics::default();
        m.count(Outcome::Stored);
        m.count(Outcome::Stored);
        m.count(Outcome::Duplicate);
        m.store_latency(Duration::from_micros(1500));
        m.store_latency(Duration::from_secs(9));
        let text = m.render();
        for line in [
            "hush_requests_total{outcome=\"stored\"} 2",
            "hush_requests_total{outcome=\"duplicate\"} 1",
            "hush_requests_total{outcome=\"key_problem\"} 0",
            "hush_reports_stored_total 2",
            "hush_reports_duplicate_total 1",
            "hush_store_latency_seconds_bucket{le=\"0.001\"} 0",
            "hush_store_latency_seconds_bucket{le=\"0.0025\"} 1",
            "hush_store_latency_seconds_bucket{le=\"5\"} 1",
            "hush_store_latency_seconds_bucket{le=\"+Inf\"} 2",
            "hush_store_latency_seconds_count 2",
            "hush_store_latency_seconds_sum 9.0015",
            "hush_connections_open 0",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
        // Every sample line is `name{labels} value` or `name value`, and
        // every metric has HELP and TYPE.
        for l in text.lines().filter(|l| !l.starts_with('#')) {
            let (name, value) = l.rsplit_once(' ').unwrap();
            assert!(value.parse::<f64>().is_ok(), "{l}");
            let base = name.split('{').next().unwrap();
            let family = base
                .strip_suffix("_bucket")
                .or_else(|| base.strip_suffix("_sum"))
                .or_else(|| base.strip_suffix("_count"))
                .unwrap_or(base);
            assert!(text.contains(&format!("# TYPE {family} ")), "{l}");
        }
    }
}
