//! The Prometheus text exposition format (version 0.0.4) for the operator's
//! `/metrics` of `hush serve` and `hush leader`: counters, gauges and a
//! latency histogram. Totals only: nothing per request.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The content type of a rendered page.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds of a latency histogram's buckets, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

/// A latency histogram. The counts are kept per bucket (the last one is
/// +Inf) and made cumulative when rendered.
#[derive(Default)]
pub struct Histogram {
    counts: [AtomicU64; BUCKETS.len() + 1],
    sum_us: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, took: Duration) {
        let secs = took.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|&b| secs <= b)
            .unwrap_or(BUCKETS.len());
        self.counts[bucket].fetch_add(1, Ordering::Relaxed);
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.sum_us.fetch_add(us, Ordering::Relaxed);
    }

    pub fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, bound) in BUCKETS.iter().enumerate() {
            cumulative += self.counts[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        cumulative += self.counts[BUCKETS.len()].load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let sum = self.sum_us.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {cumulative}");
    }
}

/// A counter of one series.
pub fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    one(out, "counter", name, help, value);
}

pub fn gauge(out: &mut String, name: &str, help: &str, value: u64) {
    one(out, "gauge", name, help, value);
}

/// A counter with one series per value of `label`.
pub fn labelled_counter<'a>(
    out: &mut String,
    name: &str,
    help: &str,
    label: &str,
    series: impl IntoIterator<Item = (&'a str, u64)>,
) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
    for (value, n) in series {
        let _ = writeln!(out, "{name}{{{label}=\"{value}\"}} {n}");
    }
}

fn one(out: &mut String, kind: &str, name: &str, help: &str, value: u64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
    );
}

/// Every sample line of `text` is `name{labels} value` or `name value`, and
/// every family has a `# TYPE` line (for the tests of each `/metrics`).
#[cfg(test)]
pub fn assert_well_formed(text: &str) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_is_cumulative_with_its_sum_and_count() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(1500));
        h.observe(Duration::from_secs(9));
        let mut text = String::new();
        h.render(&mut text, "x_seconds", "X.");
        counter(&mut text, "y_total", "Y.", 3);
        labelled_counter(&mut text, "z_total", "Z.", "k", [("a", 1), ("b", 2)]);
        for line in [
            "x_seconds_bucket{le=\"0.001\"} 0",
            "x_seconds_bucket{le=\"0.0025\"} 1",
            "x_seconds_bucket{le=\"5\"} 1",
            "x_seconds_bucket{le=\"+Inf\"} 2",
            "x_seconds_count 2",
            "x_seconds_sum 9.0015",
            "y_total 3",
            "z_total{k=\"b\"} 2",
        ] {
            assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
        }
        assert_well_formed(&text);
    }
}
