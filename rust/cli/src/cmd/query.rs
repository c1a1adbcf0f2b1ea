//! `hush query --db FILE [--min-reports K]`: totals per day and metric from a
//! `hush serve` database, as one JSON document on stdout:
//!
//! ```json
//! {
//!   "min_reports": 5,
//!   "days": [
//!     {
//!       "day": "2024-03-01",
//!       "reports": 12,
//!       "metrics": {
//!         "tabs.opened":       {"type": "counter", "reports": 10, "sum": 31},
//!         "settings.search_suggestions_enabled":
//!                              {"type": "boolean", "reports": 4, "true": 3, "false": 1},
//!         "page.load_time_ms": {"type": "histogram", "reports": 9,
//!                               "bounds": [100, 250], "counts": [4, 9, 2]},
//!         "search.engine":     {"type": "search_engine", "reports": 8, "labels": {"google": 20}},
//!         "page.domain":       {"type": "domain", "reports": 9, "labels": {"wikipedia.org": 7}},
//!         "settings.switched": {"type": "labeled_counter", "reports": 6, "labels": {"dark_mode_on": 6}}
//!       },
//!       "errors":  {"unknown_metric": 0, "metrics": {"tabs.opened": {"wrong_type": 1}}},
//!       "dropped": {"reports": 0, "rejected_uploads": 1, "corrupt_state": 0, "urls": {"not_http": 2}}
//!     }
//!   ]
//! }
//! ```
//!
//! Days are in ascending order; `reports` counts the reports of that day and,
//! per metric, those that carry it. Counts are sums over reports. A label of a
//! labeled metric (`labeled_counter`, `domain`, `search_engine`) is shown only
//! when at least `min_reports` reports of that day carry it; rarer labels are
//! left out entirely (not summed into another entry, so they cannot be
//! recovered by subtraction). A histogram whose bounds differ from the first
//! one seen that day (a schema change) is not merged; it is counted in
//! `"mismatched"` instead.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use hush_core::report::{Dropped, Errors, MetricValue};
use serde::Serialize;

use crate::serve::store;

#[derive(clap::Args)]
pub struct Args {
    /// The database `hush serve --db` writes.
    #[arg(long, value_name = "FILE")]
    db: PathBuf,
    /// Hide any label carried by fewer than K reports of its day.
    #[arg(long, value_name = "K", default_value_t = 5)]
    min_reports: u64,
}

#[derive(Serialize)]
struct Output {
    min_reports: u64,
    days: Vec<Day>,
}

#[derive(Serialize, Default)]
struct Day {
    day: String,
    reports: u64,
    metrics: BTreeMap<String, Total>,
    errors: ErrorTotals,
    dropped: DropTotals,
}

#[derive(Serialize, Default)]
struct ErrorTotals {
    unknown_metric: u64,
    metrics: BTreeMap<String, BTreeMap<String, u64>>,
}

#[derive(Serialize, Default)]
struct DropTotals {
    reports: u64,
    rejected_uploads: u64,
    corrupt_state: u64,
    urls: BTreeMap<String, u64>,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Total {
    Counter {
        reports: u64,
        sum: u64,
    },
    Boolean {
        reports: u64,
        #[serde(rename = "true")]
        yes: u64,
        #[serde(rename = "false")]
        no: u64,
    },
    Histogram {
        reports: u64,
        bounds: Vec<u64>,
        counts: Vec<u64>,
        #[serde(skip_serializing_if = "is_zero")]
        mismatched: u64,
    },
    LabeledCounter(Labeled),
    Domain(Labeled),
    SearchEngine(Labeled),
}

#[derive(Serialize, Default)]
struct Labeled {
    reports: u64,
    labels: BTreeMap<String, u64>,
    /// Per label: how many reports carry it (for suppression; not printed).
    #[serde(skip)]
    carriers: BTreeMap<String, u64>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let conn = store::open_for_reading(&args.db)?;
    let db_error = |e: rusqlite::Error| format!("{}: {e}", args.db.display());
    let mut stmt = conn
        .prepare("SELECT day, metrics, errors, dropped FROM reports ORDER BY day")
        .map_err(db_error)?;
    let mut rows = stmt.query([]).map_err(db_error)?;
    let mut days: Vec<Day> = Vec::new();
    while let Some(row) = rows.next().map_err(db_error)? {
        let day: String = row.get(0).map_err(db_error)?;
        let parse_error = || format!("{}: a stored report is not valid", args.db.display());
        let metrics: BTreeMap<String, MetricValue> =
            serde_json::from_str(&row.get::<_, String>(1).map_err(db_error)?)
                .map_err(|_| parse_error())?;
        let errors: Errors = serde_json::from_str(&row.get::<_, String>(2).map_err(db_error)?)
            .map_err(|_| parse_error())?;
        let dropped: Dropped = serde_json::from_str(&row.get::<_, String>(3).map_err(db_error)?)
            .map_err(|_| parse_error())?;
        if days.last().is_none_or(|d| d.day != day) {
            days.push(Day {
                day,
                ..Day::default()
            });
        }
        let current = days.last_mut().expect("just pushed");
        add_report(current, metrics, errors, dropped);
    }
    for day in &mut days {
        suppress(day, args.min_reports);
    }
    let output = Output {
        min_reports: args.min_reports,
        days,
    };
    let json = serde_json::to_string_pretty(&output).map_err(|e| e.to_string())?;
    super::print_line(&json)?;
    Ok(ExitCode::SUCCESS)
}

fn add_report(
    day: &mut Day,
    metrics: BTreeMap<String, MetricValue>,
    errors: Errors,
    dropped: Dropped,
) {
    day.reports += 1;
    for (name, value) in metrics {
        add_metric(&mut day.metrics, name, value);
    }
    day.errors.unknown_metric = day
        .errors
        .unknown_metric
        .saturating_add(errors.unknown_metric);
    for (metric, kinds) in errors.metrics {
        let totals = day.errors.metrics.entry(metric).or_default();
        for (kind, n) in kinds {
            let t = totals.entry(kind).or_default();
            *t = t.saturating_add(n);
        }
    }
    let d = &mut day.dropped;
    d.reports = d.reports.saturating_add(dropped.reports);
    d.rejected_uploads = d.rejected_uploads.saturating_add(dropped.rejected_uploads);
    d.corrupt_state = d.corrupt_state.saturating_add(dropped.corrupt_state);
    for (reason, n) in dropped.urls {
        let t = d.urls.entry(reason).or_default();
        *t = t.saturating_add(n);
    }
}

fn add_metric(totals: &mut BTreeMap<String, Total>, name: String, value: MetricValue) {
    let labeled = |map: BTreeMap<String, u64>, total: &mut Labeled| {
        total.reports += 1;
        for (label, n) in map {
            let t = total.labels.entry(label.clone()).or_default();
            *t = t.saturating_add(n);
            *total.carriers.entry(label).or_default() += 1;
        }
    };
    match value {
        MetricValue::Counter(n) => {
            let t = totals
                .entry(name)
                .or_insert(Total::Counter { reports: 0, sum: 0 });
            if let Total::Counter { reports, sum } = t {
                *reports += 1;
                *sum = sum.saturating_add(n);
            }
        }
        MetricValue::Boolean(b) => {
            let t = totals.entry(name).or_insert(Total::Boolean {
                reports: 0,
                yes: 0,
                no: 0,
            });
            if let Total::Boolean { reports, yes, no } = t {
                *reports += 1;
                *(if b { yes } else { no }) += 1;
            }
        }
        MetricValue::Histogram {
            bounds: b,
            counts: c,
        } => {
            let t = totals.entry(name).or_insert_with(|| Total::Histogram {
                reports: 0,
                counts: vec![0; c.len()],
                bounds: b.clone(),
                mismatched: 0,
            });
            if let Total::Histogram {
                reports,
                bounds,
                counts,
                mismatched,
            } = t
            {
                if *bounds == b && counts.len() == c.len() {
                    *reports += 1;
                    for (t, n) in counts.iter_mut().zip(c) {
                        *t = t.saturating_add(n);
                    }
                } else {
                    *mismatched += 1;
                }
            }
        }
        MetricValue::LabeledCounter(m) => {
            let t = totals
                .entry(name)
                .or_insert_with(|| Total::LabeledCounter(Labeled::default()));
            if let Total::LabeledCounter(total) = t {
                labeled(m, total);
            }
        }
        MetricValue::Domain(m) => {
            let t = totals
                .entry(name)
                .or_insert_with(|| Total::Domain(Labeled::default()));
            if let Total::Domain(total) = t {
                labeled(m, total);
            }
        }
        MetricValue::SearchEngine(m) => {
            let t = totals
                .entry(name)
                .or_insert_with(|| Total::SearchEngine(Labeled::default()));
            if let Total::SearchEngine(total) = t {
                labeled(m, total);
            }
        }
    }
}

/// Drops every label carried by fewer than `k` reports of the day.
fn suppress(day: &mut Day, k: u64) {
    for total in day.metrics.values_mut() {
        if let Total::LabeledCounter(l) | Total::Domain(l) | Total::SearchEngine(l) = total {
            let carriers = std::mem::take(&mut l.carriers);
            l.labels
                .retain(|label, _| carriers.get(label).copied().unwrap_or(0) >= k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engines(pairs: &[(&str, u64)]) -> MetricValue {
        MetricValue::SearchEngine(pairs.iter().map(|(l, n)| (l.to_string(), *n)).collect())
    }

    #[test]
    fn labels_below_k_reports_are_hidden_whatever_their_sum() {
        let mut day = Day::default();
        for _ in 0..4 {
            add_report(
                &mut day,
                BTreeMap::from([("e".into(), engines(&[("google", 1), ("bing", 1)]))]),
                Errors::default(),
                Dropped::default(),
            );
        }
        // One report with a large count does not make a label common.
        add_report(
            &mut day,
            BTreeMap::from([("e".into(), engines(&[("google", 1), ("duckduckgo", 100)]))]),
            Errors::default(),
            Dropped::default(),
        );
        suppress(&mut day, 5);
        let Total::SearchEngine(l) = &day.metrics["e"] else {
            panic!()
        };
        assert_eq!(l.reports, 5);
        assert_eq!(l.labels, BTreeMap::from([("google".to_string(), 5)]));
        let json = serde_json::to_value(&day.metrics["e"]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "search_engine", "reports": 5, "labels": {"google": 5}})
        );
    }

    #[test]
    fn counters_booleans_and_histograms_sum() {
        let mut day = Day::default();
        let hist = |c: Vec<u64>| MetricValue::Histogram {
            bounds: vec![10],
            counts: c,
        };
        add_metric(&mut day.metrics, "c".into(), MetricValue::Counter(2));
        add_metric(&mut day.metrics, "c".into(), MetricValue::Counter(3));
        add_metric(&mut day.metrics, "b".into(), MetricValue::Boolean(true));
        add_metric(&mut day.metrics, "b".into(), MetricValue::Boolean(false));
        add_metric(&mut day.metrics, "b".into(), MetricValue::Boolean(true));
        add_metric(&mut day.metrics, "h".into(), hist(vec![1, 2]));
        add_metric(&mut day.metrics, "h".into(), hist(vec![3, 0]));
        add_metric(
            &mut day.metrics,
            "h".into(),
            MetricValue::Histogram {
                bounds: vec![20],
                counts: vec![9, 9],
            },
        );
        let json = serde_json::to_value(&day.metrics).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "c": {"type": "counter", "reports": 2, "sum": 5},
                "b": {"type": "boolean", "reports": 3, "true": 2, "false": 1},
                "h": {"type": "histogram", "reports": 2, "bounds": [10], "counts": [4, 2], "mismatched": 1},
            })
        );
    }
}
