//! Counters for the operator, in the Prometheus text format (`/metrics` on
//! the admin listener only). Totals and a latency histogram: nothing per
//! request, no address, no time of a single request. They are not served on
//! the public listener, because a relay that could read them right after
//! forwarding one request would learn that request's outcome, which the
//! padded answers hide from it (P9).
//!
//! The gateway sees the target's answer, not what the target did with the
//! request: the leader's own `/metrics` (`hush leader --admin-listen`)
//! counts reports stored, duplicates and refusals.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::prometheus::{self, Histogram};

/// How a request to the public listener ended. One counter each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Forwarded; the target answered 2xx (for an upload: the report is stored).
    Accepted,
    /// Forwarded; the target answered 4xx (for an upload: a DAP problem).
    Refused,
    /// Forwarded; the target answered something else (5xx).
    TargetError,
    /// The target could not be reached, was too slow, or did not answer HTTP.
    TargetFailed,
    /// The RFC 9458 key problem: unknown key id, or does not decrypt.
    KeyProblem,
    /// Not an encapsulated request (malformed header, truncated, bad
    /// padding), or not Binary HTTP inside.
    Malformed,
    /// Outer 413: over the size limit.
    TooLarge,
    /// Outer 408: the body was too slow.
    Timeout,
    /// Outer 415: not `message/ohttp-req`.
    UnsupportedMediaType,
    /// 404 or 405: a path or method this server does not serve.
    NotFound,
    /// A GET of the key configuration.
    Keys,
    /// `/healthz`.
    Health,
}

impl Outcome {
    const ALL: [Self; 12] = [
        Self::Accepted,
        Self::Refused,
        Self::TargetError,
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
            Self::Accepted => "accepted",
            Self::Refused => "refused",
            Self::TargetError => "target_error",
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

    /// What a forwarded request's answer counts as.
    pub fn of_target_status(status: u16) -> Self {
        match status {
            200..=299 => Self::Accepted,
            400..=499 => Self::Refused,
            _ => Self::TargetError,
        }
    }
}

#[derive(Default)]
pub struct Metrics {
    outcomes: [AtomicU64; Outcome::ALL.len()],
    target_latency: Histogram,
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

    /// One forwarded request, from sending it until the target's whole
    /// answer (for an upload this includes the leader's durable commit).
    pub fn target_latency(&self, took: Duration) {
        self.target_latency.observe(took);
    }

    /// The Prometheus text exposition format, version 0.0.4.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        prometheus::labelled_counter(
            &mut out,
            "hush_requests_total",
            "Requests to the public listener, by outcome.",
            "outcome",
            Outcome::ALL.map(|o| (o.name(), self.get(o))),
        );
        prometheus::counter(
            &mut out,
            "hush_connections_evicted_total",
            "Connections closed to make room because they had sent nothing.",
            load(&self.connections_evicted),
        );
        prometheus::counter(
            &mut out,
            "hush_connections_refused_total",
            "Connections closed at once: the cap was reached and none was idle.",
            load(&self.connections_refused),
        );
        prometheus::gauge(
            &mut out,
            "hush_connections_open",
            "Open connections.",
            load(&self.connections_open),
        );
        self.target_latency.render(
            &mut out,
            "hush_target_latency_seconds",
            "Time from forwarding an opened request to the target's whole answer.",
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_format_has_every_series_once() {
        let m = Metrics::default();
        m.count(Outcome::Accepted);
        m.count(Outcome::Accepted);
        m.count(Outcome::of_target_status(400));
        m.target_latency(Duration::from_micros(1500));
        let text = m.render();
        for line in [
            "hush_requests_total{outcome=\"accepted\"} 2",
            "hush_requests_total{outcome=\"refused\"} 1",
            "hush_requests_total{outcome=\"key_problem\"} 0",
            "hush_target_latency_seconds_bucket{le=\"0.0025\"} 1",
            "hush_target_latency_seconds_count 1",
            "hush_connections_open 0",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
        for o in Outcome::ALL {
            let series = format!("hush_requests_total{{outcome=\"{}\"}} ", o.name());
            assert_eq!(text.matches(&series).count(), 1, "{series}");
        }
        assert_eq!(Outcome::of_target_status(503), Outcome::TargetError);
        assert_eq!(Outcome::of_target_status(201), Outcome::Accepted);
        crate::prometheus::assert_well_formed(&text);
    }
}
