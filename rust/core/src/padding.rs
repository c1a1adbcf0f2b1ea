//! Size (P9): every sealed report of a schema has the same length, so its
//! size says nothing about how much someone browsed. The length is that of
//! the largest report the schema can produce (every counter at its maximum,
//! every label present, the domain map full), rounded up to a power of two.

use std::collections::BTreeMap;

use crate::anonymize::{Anonymizer, DropReason, Environment};
use crate::report::{Dropped, Errors, MetricValue, Report, REPORT_FORMAT};
use crate::schema::{MetricKind, Schema};
use crate::window::{ErrorKind, MAX_DOMAIN_LABELS};

/// The smallest bucket.
pub const MIN_BUCKET: usize = 1024;

/// A power of two, at least 1 KiB, that holds `len` bytes.
pub fn bucket(len: usize) -> usize {
    len.max(MIN_BUCKET).next_power_of_two()
}

/// The largest report `schema` can produce: what the padded size must hold.
pub fn largest_report(schema: &Schema, anonymizer: &Anonymizer) -> Report {
    let max = u64::MAX;
    let mut longest_domains: Vec<&str> = anonymizer.allow_list().to_vec();
    longest_domains.sort_by_key(|d| std::cmp::Reverse(d.len()));
    let mut metrics = BTreeMap::new();
    let mut errors = BTreeMap::new();
    for (_, def) in schema.metrics() {
        let value = match &def.kind {
            MetricKind::Counter => MetricValue::Counter(max),
            MetricKind::Boolean => MetricValue::Boolean(false),
            MetricKind::LabeledCounter { labels } => {
                MetricValue::LabeledCounter(labels.iter().map(|l| (l.clone(), max)).collect())
            }
            MetricKind::Histogram { buckets } => MetricValue::Histogram {
                bounds: buckets.clone(),
                counts: vec![max; buckets.len() + 1],
            },
            MetricKind::Domain { cap_per_day } => MetricValue::Domain(
                longest_domains
                    .iter()
                    .take(MAX_DOMAIN_LABELS)
                    .map(|d| d.to_string())
                    .chain(["other".to_owned()])
                    .map(|d| (d, u64::from(*cap_per_day)))
                    .collect(),
            ),
            MetricKind::SearchEngine => MetricValue::SearchEngine(
                anonymizer
                    .engines()
                    .map(|e| e.as_str())
                    .chain(["other"])
                    .map(|e| (e.to_owned(), max))
                    .collect(),
            ),
        };
        metrics.insert(def.name.clone(), value);
        let kinds = [
            ErrorKind::InvalidLabel,
            ErrorKind::WrongType,
            ErrorKind::Expired,
        ];
        errors.insert(
            def.name.clone(),
            kinds.iter().map(|k| (k.as_str().to_owned(), max)).collect(),
        );
    }
    Report {
        format: REPORT_FORMAT.to_owned(),
        schema_version: schema.version(),
        report_id: "f".repeat(32),
        day: "9999-12-31".to_owned(),
        // The longest values `Environment::coarse` can produce.
        environment: Environment {
            app_version: "99999.99999".to_owned(),
            android_api: 99,
            language: "xxx".to_owned(),
        },
        metrics,
        errors: Errors {
            unknown_metric: max,
            metrics: errors,
        },
        dropped: Dropped {
            urls: DropReason::ALL
                .iter()
                .map(|r| (r.as_str().to_owned(), max))
                .collect(),
            reports: max,
            rejected_uploads: max,
            corrupt_state: max,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_powers_of_two_from_1k() {
        assert_eq!(bucket(0), 1024);
        assert_eq!(bucket(1), 1024);
        assert_eq!(bucket(1024), 1024);
        assert_eq!(bucket(1025), 2048);
        assert_eq!(bucket(5000), 8192);
        for len in 0..20_000 {
            let b = bucket(len);
            assert!(b >= len && b.is_power_of_two() && b >= MIN_BUCKET);
            assert!(
                b == MIN_BUCKET || b / 2 < len,
                "not the smallest bucket for {len}"
            );
        }
    }

    #[test]
    fn the_largest_report_is_a_valid_report_of_the_schema() {
        let schema = Schema::default_browser();
        let anonymizer = Anonymizer::shipped();
        let r = largest_report(&schema, anonymizer);
        assert_eq!(r.metrics.len(), schema.len());
        // It restores as a window, so every label in it is one a real window can hold.
        let mut checkpoint = r.clone();
        checkpoint.day = "2026-11-21".to_owned();
        crate::window::Window::from_report(&checkpoint, &schema, anonymizer).unwrap();
    }
}
