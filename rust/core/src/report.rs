//! The report a window becomes: aggregates only, the UTC day, the coarse
//! environment and error/drop counters. No identifier exists in it beyond a
//! fresh random report id used by the collector to drop duplicates (P4).
//!
//! The same shape is the checkpoint of the open window, so what is on disk
//! between checkpoints is exactly what `pending_report` shows the user (P13).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::anonymize::Environment;

/// Version of this JSON shape (not of the app's metric schema).
pub const REPORT_FORMAT: &str = "hush-report/1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    pub format: String,
    /// The app's metric schema version; the collector validates against it.
    pub schema_version: u32,
    /// 128 random bits, hex. Fresh for every window, never reused.
    pub report_id: String,
    /// `YYYY-MM-DD`, UTC: the only time a report carries (P7).
    pub day: String,
    pub environment: Environment,
    /// Metrics that recorded something, by name.
    pub metrics: BTreeMap<String, MetricValue>,
    #[serde(default, skip_serializing_if = "Errors::is_empty")]
    pub errors: Errors,
    #[serde(default, skip_serializing_if = "Dropped::is_empty")]
    pub dropped: Dropped,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum MetricValue {
    Counter(u64),
    LabeledCounter(BTreeMap<String, u64>),
    Boolean(bool),
    /// `counts[i]` holds values `<= bounds[i]` (and above the previous bound);
    /// the last count is the overflow bucket.
    Histogram {
        bounds: Vec<u64>,
        counts: Vec<u64>,
    },
    Domain(BTreeMap<String, u64>),
    SearchEngine(BTreeMap<String, u64>),
}

/// Recording errors, counted like Glean's `invalid_label` so a broken call in
/// the app shows up in the data instead of vanishing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Errors {
    /// Calls naming a metric the schema does not declare (names are not kept).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unknown_metric: u64,
    /// Per declared metric: error kind -> count.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metrics: BTreeMap<String, BTreeMap<String, u64>>,
}

impl Errors {
    pub fn is_empty(&self) -> bool {
        self.unknown_metric == 0 && self.metrics.is_empty()
    }
}

/// What was dropped on purpose, by reason. Never what it was.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dropped {
    /// URLs dropped by the anonymizer, by reason (P5).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub urls: BTreeMap<String, u64>,
    /// Reports lost on the device: deleted at a memory or disk bound (P12),
    /// damaged, given up after failed attempts, or recorded under a clock
    /// that was then set back (README, "When the device clock is wrong").
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reports: u64,
    /// Reports the collector refused for good (4xx other than 408 and 429).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rejected_uploads: u64,
    /// Checkpoints found corrupt or unreadable at start (and deleted).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub corrupt_state: u64,
}

impl Dropped {
    pub fn is_empty(&self) -> bool {
        self.urls.is_empty()
            && self.reports == 0
            && self.rejected_uploads == 0
            && self.corrupt_state == 0
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Report {
    pub fn to_json(&self) -> Vec<u8> {
        // A Report holds only strings, integers and maps with string keys.
        serde_json::to_vec(self).expect("a report always serializes")
    }

    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// True when nothing was recorded, errored or dropped.
    pub fn is_empty(&self) -> bool {
        self.metrics.is_empty() && self.errors.is_empty() && self.dropped.is_empty()
    }
}
