//! Which DAP tasks a schema's day becomes, and what each one measures.
//!
//! Every metric of the schema is a task of its own, and so are four that Hush
//! itself keeps: the recording errors, what was dropped (URLs by reason,
//! reports for space or after too many failed uploads, refusals, corrupt
//! state), the Android API level and the UI language. Each task is a
//! separate report with its own id and upload time, so reports of one device
//! cannot be joined into a profile (P14), and the drop and upload-failure
//! counters are aggregated like any metric, never a per-device field (P15).
//!
//! A day always produces every task's report, zero-valued when idle (P9).
//! The plan is a pure function of the schema and the shipped anonymizer
//! data; the client shards with it and the collector labels totals with it.

use std::collections::BTreeMap;

use crate::anonymize::{Anonymizer, DropReason};
use crate::report::{MetricValue, Report};
use crate::schema::{MetricKind, Schema};

use super::vdaf::{Measurement, VdafSpec};

/// Names of Hush's own tasks. A schema cannot declare a metric under `hush.`.
pub const ERRORS_TASK: &str = "hush.errors";
pub const DROPPED_TASK: &str = "hush.dropped";
pub const API_LEVEL_TASK: &str = "hush.api_level";
pub const LANGUAGE_TASK: &str = "hush.language";
pub const RESERVED_PREFIX: &str = "hush.";

/// Recording errors per day and kind saturate here (4 bits): enough to see
/// that an app misuses a metric, small on the wire.
const MAX_ERRORS: u64 = 15;
/// Drops per day and reason saturate here (6 bits).
const MAX_DROPS: u64 = 63;

/// The error kinds counted per metric, in vector order. The first three are
/// the window's (`window::ErrorKind`); `clamped` is a value above the
/// metric's `max_per_day`, counted here when the day is measured.
pub const ERROR_KINDS: [&str; 4] = ["invalid_label", "wrong_type", "expired", "clamped"];

/// API levels with a bucket of their own; below and above share one each.
const API_LEVELS: std::ops::RangeInclusive<u32> = 21..=40;

/// UI languages with a bucket of their own (ISO 639, as the environment
/// keeps them): the most used ones in the browser's markets. Any other is
/// `other`, so a rare language cannot single a device out in a total.
pub const LANGUAGES: &[&str] = &[
    "ar", "bn", "cs", "de", "el", "en", "es", "fa", "fi", "fil", "fr", "gu", "he", "hi", "hu",
    "id", "it", "ja", "kn", "ko", "ml", "mr", "ms", "my", "nl", "pa", "pl", "pt", "ro", "ru", "sv",
    "ta", "te", "th", "tl", "tr", "uk", "ur", "vi", "zh",
];

/// One DAP task of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedTask {
    /// The metric's name (or one of Hush's own, `hush.*`).
    pub name: String,
    pub vdaf: VdafSpec,
    /// One name per vector entry or histogram bucket, in order; empty for a
    /// plain sum.
    pub labels: Vec<String>,
    /// In plain words, what one report of this task holds (P13).
    pub holds: String,
    source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    Counter { max: u64 },
    Labeled { max: u64 },
    Boolean,
    Histogram { max: u64 },
    Domain { max: u64 },
    Engine { max: u64 },
    Errors,
    Dropped,
    ApiLevel,
    Language,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error("metric '{0}' uses the reserved prefix 'hush.'")]
    Reserved(String),
}

/// The tasks of a schema's day, in a fixed order: the schema's metrics, then
/// Hush's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    tasks: Vec<PlannedTask>,
    /// Metric names in schema order (the errors vector's layout).
    metrics: Vec<String>,
}

impl Plan {
    pub fn new(schema: &Schema, anonymizer: &Anonymizer) -> Result<Self, PlanError> {
        let mut tasks = Vec::with_capacity(schema.len() + 4);
        let mut metrics = Vec::with_capacity(schema.len());
        for (_, def) in schema.metrics() {
            if def.name.starts_with(RESERVED_PREFIX) {
                return Err(PlanError::Reserved(def.name.clone()));
            }
            metrics.push(def.name.clone());
            let max = def.max_per_day;
            let bits = bits_for(max);
            let (vdaf, labels, source, holds) = match &def.kind {
                MetricKind::Counter => (
                    VdafSpec::Prio3Sum { bits },
                    Vec::new(),
                    Source::Counter { max },
                    format!("a count from 0 to {max}"),
                ),
                MetricKind::LabeledCounter { labels } => (
                    VdafSpec::sum_vec_for(bits, labels.len()),
                    labels.clone(),
                    Source::Labeled { max },
                    format!(
                        "a count from 0 to {max} for each of {} labels",
                        labels.len()
                    ),
                ),
                MetricKind::Boolean => (
                    VdafSpec::histogram_for(3),
                    vec!["not_set".into(), "false".into(), "true".into()],
                    Source::Boolean,
                    "whether it was set, and to true or false".into(),
                ),
                MetricKind::Histogram { buckets } => (
                    VdafSpec::sum_vec_for(bits, buckets.len() + 1),
                    histogram_labels(buckets),
                    Source::Histogram { max },
                    format!(
                        "a count from 0 to {max} for each of {} buckets",
                        buckets.len() + 1
                    ),
                ),
                MetricKind::Domain { .. } => {
                    let mut labels = vec!["other".to_owned()];
                    labels.extend(anonymizer.allow_list().iter().map(|d| (*d).to_owned()));
                    let holds = if max == 1 {
                        format!(
                            "for each of {} popular domains, and for all others together, \
                             whether a page of it was loaded (yes or no)",
                            labels.len() - 1
                        )
                    } else {
                        format!(
                            "for each of {} popular domains, and for all others together, \
                             on how many loads up to {max} it was visited",
                            labels.len() - 1
                        )
                    };
                    (
                        VdafSpec::sum_vec_for(bits, labels.len()),
                        labels,
                        Source::Domain { max },
                        holds,
                    )
                }
                MetricKind::SearchEngine => {
                    let mut labels = vec!["other".to_owned()];
                    labels.extend(anonymizer.engines().map(|e| e.as_str().to_owned()));
                    let holds = format!(
                        "a count of searches from 0 to {max} for each of {} engines",
                        labels.len()
                    );
                    (
                        VdafSpec::sum_vec_for(bits, labels.len()),
                        labels,
                        Source::Engine { max },
                        holds,
                    )
                }
            };
            tasks.push(PlannedTask {
                name: def.name.clone(),
                vdaf,
                labels,
                holds,
                source,
            });
        }
        let mut error_labels = vec!["unknown_metric".to_owned()];
        for m in &metrics {
            error_labels.extend(ERROR_KINDS.iter().map(|k| format!("{m}/{k}")));
        }
        let mut dropped_labels: Vec<String> = DropReason::ALL
            .iter()
            .map(|r| format!("url/{}", r.as_str()))
            .collect();
        dropped_labels.extend(
            ["reports", "rejected_uploads", "corrupt_state"]
                .iter()
                .map(|s| (*s).to_owned()),
        );
        let mut api_labels = vec![format!("<{}", API_LEVELS.start())];
        api_labels.extend(API_LEVELS.map(|l| l.to_string()));
        api_labels.push(format!(">{}", API_LEVELS.end()));
        let mut language_labels = vec!["other".to_owned()];
        language_labels.extend(LANGUAGES.iter().map(|l| (*l).to_owned()));
        for (name, vdaf, labels, source, holds) in [
            (
                ERRORS_TASK,
                VdafSpec::sum_vec_for(bits_for(MAX_ERRORS), error_labels.len()),
                error_labels,
                Source::Errors,
                format!("how many calls failed, up to {MAX_ERRORS} per metric and kind"),
            ),
            (
                DROPPED_TASK,
                VdafSpec::sum_vec_for(bits_for(MAX_DROPS), dropped_labels.len()),
                dropped_labels,
                Source::Dropped,
                format!(
                    "how many page addresses were dropped, by reason, and how many reports \
                     were lost, up to {MAX_DROPS} each"
                ),
            ),
            (
                API_LEVEL_TASK,
                VdafSpec::histogram_for(api_labels.len()),
                api_labels,
                Source::ApiLevel,
                "the Android version (API level)".to_owned(),
            ),
            (
                LANGUAGE_TASK,
                VdafSpec::histogram_for(language_labels.len()),
                language_labels,
                Source::Language,
                "the language of the browser's interface".to_owned(),
            ),
        ] {
            tasks.push(PlannedTask {
                name: name.to_owned(),
                vdaf,
                labels,
                holds,
                source,
            });
        }
        Ok(Self { tasks, metrics })
    }

    pub fn tasks(&self) -> &[PlannedTask] {
        &self.tasks
    }

    pub fn task(&self, name: &str) -> Option<&PlannedTask> {
        self.tasks.iter().find(|t| t.name == name)
    }

    /// One measurement per task, in [`Plan::tasks`] order, for a closed day.
    /// A metric the day did not record measures zero; a value above its
    /// bound is clamped, and the clamp counted in the errors task.
    pub fn measure(&self, day: &Report, anonymizer: &Anonymizer) -> Vec<Measurement> {
        let mut clamped: BTreeMap<&str, u64> = BTreeMap::new();
        let mut clamp = |name: &str, n: u64, max: u64| -> u64 {
            if n > max {
                if let Some(m) = self.metrics.iter().find(|m| *m == name) {
                    *clamped.entry(m.as_str()).or_insert(0) += 1;
                }
            }
            n.min(max)
        };
        let mut out = Vec::with_capacity(self.tasks.len());
        for task in &self.tasks {
            let value = day.metrics.get(&task.name);
            let m = match &task.source {
                Source::Counter { max } => {
                    let n = match value {
                        Some(MetricValue::Counter(n)) => *n,
                        _ => 0,
                    };
                    Measurement::Sum(clamp(&task.name, n, *max))
                }
                Source::Labeled { max } => {
                    let mut v = vec![0; task.labels.len()];
                    if let Some(MetricValue::LabeledCounter(map)) = value {
                        for (label, n) in map {
                            if let Some(i) = task.labels.iter().position(|l| l == label) {
                                v[i] = clamp(&task.name, *n, *max);
                            }
                        }
                    }
                    Measurement::SumVec(v)
                }
                Source::Boolean => Measurement::Histogram(match value {
                    Some(MetricValue::Boolean(false)) => 1,
                    Some(MetricValue::Boolean(true)) => 2,
                    _ => 0,
                }),
                Source::Histogram { max } => {
                    let mut v = vec![0; task.labels.len()];
                    if let Some(MetricValue::Histogram { counts, .. }) = value {
                        for (slot, n) in v.iter_mut().zip(counts) {
                            *slot = clamp(&task.name, *n, *max);
                        }
                    }
                    Measurement::SumVec(v)
                }
                Source::Domain { max } => {
                    let mut v = vec![0; task.labels.len()];
                    if let Some(MetricValue::Domain(map)) = value {
                        for (label, n) in map {
                            if let Some(i) = domain_index(anonymizer, label) {
                                v[i] = clamp(&task.name, *n, *max);
                            }
                        }
                    }
                    Measurement::SumVec(v)
                }
                Source::Engine { max } => {
                    let mut v = vec![0; task.labels.len()];
                    if let Some(MetricValue::SearchEngine(map)) = value {
                        for (label, n) in map {
                            if let Some(i) = task.labels.iter().position(|l| l == label) {
                                v[i] = clamp(&task.name, *n, *max);
                            }
                        }
                    }
                    Measurement::SumVec(v)
                }
                // Filled in below, once every clamp is known.
                Source::Errors => Measurement::SumVec(Vec::new()),
                Source::Dropped => {
                    let d = &day.dropped;
                    let mut v: Vec<u64> = DropReason::ALL
                        .iter()
                        .map(|r| d.urls.get(r.as_str()).copied().unwrap_or(0))
                        .collect();
                    v.extend([d.reports, d.rejected_uploads, d.corrupt_state]);
                    Measurement::SumVec(v.into_iter().map(|n| n.min(MAX_DROPS)).collect())
                }
                Source::ApiLevel => {
                    let api = day.environment.android_api;
                    Measurement::Histogram(if api < *API_LEVELS.start() {
                        0
                    } else if api > *API_LEVELS.end() {
                        task.labels.len() - 1
                    } else {
                        (api - API_LEVELS.start()) as usize + 1
                    })
                }
                Source::Language => Measurement::Histogram(
                    LANGUAGES
                        .iter()
                        .position(|l| *l == day.environment.language)
                        .map_or(0, |i| i + 1),
                ),
            };
            out.push(m);
        }
        if let Some(i) = self.tasks.iter().position(|t| t.source == Source::Errors) {
            let mut v = vec![day.errors.unknown_metric];
            for m in &self.metrics {
                let kinds = day.errors.metrics.get(m);
                for kind in ERROR_KINDS {
                    let n = match kind {
                        "clamped" => clamped.get(m.as_str()).copied().unwrap_or(0),
                        _ => kinds.and_then(|k| k.get(kind)).copied().unwrap_or(0),
                    };
                    v.push(n);
                }
            }
            out[i] = Measurement::SumVec(v.into_iter().map(|n| n.min(MAX_ERRORS)).collect());
        }
        out
    }
}

/// The bits a value up to `max` needs (`max` is `2^k - 1`, checked by the
/// schema; anything else rounds up).
fn bits_for(max: u64) -> usize {
    (u64::BITS - max.leading_zeros()).max(1) as usize
}

fn histogram_labels(bounds: &[u64]) -> Vec<String> {
    let mut labels: Vec<String> = bounds.iter().map(|b| format!("<={b}")).collect();
    if let Some(last) = bounds.last() {
        labels.push(format!(">{last}"));
    }
    labels
}

/// Entry of a domain label in the page-domain vector: 0 is `other`, entry
/// `i + 1` is allow-list entry `i` (the anonymizer's own numbering).
fn domain_index(anonymizer: &Anonymizer, label: &str) -> Option<usize> {
    if label == "other" {
        return Some(0);
    }
    anonymizer
        .allow_list()
        .binary_search(&label)
        .ok()
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anonymize::Environment;
    use crate::report::{Dropped, Errors, REPORT_FORMAT};

    fn day(metrics: BTreeMap<String, MetricValue>) -> Report {
        Report {
            format: REPORT_FORMAT.into(),
            schema_version: 1,
            report_id: "00".repeat(16),
            day: "2026-11-30".into(),
            environment: Environment::coarse("14.2", 34, "de-AT").unwrap(),
            metrics,
            errors: Errors::default(),
            dropped: Dropped::default(),
        }
    }

    #[test]
    fn every_metric_and_hush_task_is_planned_once() {
        let schema = Schema::default_browser();
        let plan = Plan::new(&schema, Anonymizer::shipped()).unwrap();
        assert_eq!(plan.tasks().len(), schema.len() + 4);
        for (_, def) in schema.metrics() {
            assert!(plan.task(&def.name).is_some(), "{}", def.name);
        }
        for t in plan.tasks() {
            t.vdaf.check().unwrap();
            assert!(!t.holds.is_empty());
        }
        let domains = plan.task("page.domain").unwrap();
        assert_eq!(
            domains.labels.len(),
            Anonymizer::shipped().allow_list().len() + 1
        );
        assert_eq!(
            domains.vdaf.name(),
            "Prio3SumVecField64MultiproofHmacSha256Aes128"
        );
        assert_eq!(
            plan.task("tabs.opened").unwrap().vdaf,
            VdafSpec::Prio3Sum { bits: 8 }
        );
    }

    #[test]
    fn reserved_names_are_refused() {
        let schema = Schema::from_toml(
            "schema_version = 1\n[metrics.\"hush.errors\"]\ntype=\"counter\"\ndescription=\"\"\nexpires=\"never\"",
        )
        .unwrap();
        assert_eq!(
            Plan::new(&schema, Anonymizer::shipped()),
            Err(PlanError::Reserved("hush.errors".into()))
        );
    }

    #[test]
    fn an_idle_day_measures_zero_everywhere_but_the_environment() {
        let plan = Plan::new(&Schema::default_browser(), Anonymizer::shipped()).unwrap();
        let ms = plan.measure(&day(BTreeMap::new()), Anonymizer::shipped());
        assert_eq!(ms.len(), plan.tasks().len());
        for (t, m) in plan.tasks().iter().zip(&ms) {
            match (t.name.as_str(), m) {
                (API_LEVEL_TASK, Measurement::Histogram(i)) => {
                    assert_eq!(t.labels[*i], "34")
                }
                (LANGUAGE_TASK, Measurement::Histogram(i)) => assert_eq!(t.labels[*i], "de"),
                (_, Measurement::Sum(n)) => assert_eq!(*n, 0, "{}", t.name),
                (_, Measurement::SumVec(v)) => {
                    assert_eq!(v.len(), t.labels.len(), "{}", t.name);
                    assert!(v.iter().all(|n| *n == 0), "{}", t.name)
                }
                (_, Measurement::Histogram(i)) => assert_eq!(*i, 0, "{}", t.name),
                (_, Measurement::Count(_)) => panic!("no count tasks"),
            }
            t.vdaf.shard(m, &[1; 16]).unwrap();
        }
    }

    #[test]
    fn values_land_in_their_entries_and_clamps_are_counted() {
        let plan = Plan::new(&Schema::default_browser(), Anonymizer::shipped()).unwrap();
        let a = Anonymizer::shipped();
        let domain = a.allow_list()[10];
        let mut m = BTreeMap::new();
        m.insert("tabs.opened".into(), MetricValue::Counter(1_000));
        m.insert(
            "page.domain".into(),
            MetricValue::Domain([(domain.to_owned(), 1), ("other".to_owned(), 1)].into()),
        );
        m.insert(
            "settings.switched".into(),
            MetricValue::LabeledCounter([("dark_mode_on".to_owned(), 3)].into()),
        );
        m.insert(
            "search.engine".into(),
            MetricValue::SearchEngine([("bing".to_owned(), 2)].into()),
        );
        m.insert(
            "settings.search_suggestions_enabled".into(),
            MetricValue::Boolean(true),
        );
        let ms = plan.measure(&day(m), a);
        let get = |name: &str| {
            let i = plan.tasks().iter().position(|t| t.name == name).unwrap();
            (&plan.tasks()[i], &ms[i])
        };
        assert_eq!(get("tabs.opened").1, &Measurement::Sum(255));
        let (t, Measurement::SumVec(v)) = get("page.domain") else {
            panic!()
        };
        assert_eq!(v.iter().sum::<u64>(), 2);
        assert_eq!(v[0], 1);
        assert_eq!(t.labels[v.iter().rposition(|n| *n == 1).unwrap()], domain);
        let (t, Measurement::SumVec(v)) = get("settings.switched") else {
            panic!()
        };
        assert_eq!(
            v[t.labels.iter().position(|l| l == "dark_mode_on").unwrap()],
            3
        );
        let (t, Measurement::SumVec(v)) = get("search.engine") else {
            panic!()
        };
        assert_eq!(v[t.labels.iter().position(|l| l == "bing").unwrap()], 2);
        assert_eq!(
            get("settings.search_suggestions_enabled").1,
            &Measurement::Histogram(2)
        );
        let (t, Measurement::SumVec(v)) = get(ERRORS_TASK) else {
            panic!()
        };
        let clamped = t
            .labels
            .iter()
            .position(|l| l == "tabs.opened/clamped")
            .unwrap();
        assert_eq!(v[clamped], 1);
        assert_eq!(v.iter().sum::<u64>(), 1);
    }
}
