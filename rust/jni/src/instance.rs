//! One open core and what the edge keeps beside it.

use std::path::PathBuf;

use hush_core::schema::{MetricId, MetricKind};
use hush_core::{Hush, RecordError};

use crate::error::{BridgeError, Result};

pub struct Instance {
    pub hush: Hush,
    /// The schema's metric ids by index: Java holds the index (an `int`).
    /// The core has no public `MetricId` constructor, so they are collected
    /// once at open.
    metrics: Vec<MetricId>,
    pub data_dir: PathBuf,
}

/// Kind codes handed to Kotlin with a resolved metric; mirrored there.
pub fn kind_code(kind: &MetricKind) -> u8 {
    match kind {
        MetricKind::Counter => 1,
        MetricKind::LabeledCounter { .. } => 2,
        MetricKind::Boolean => 3,
        MetricKind::Histogram { .. } => 4,
        MetricKind::Domain { .. } => 5,
        MetricKind::SearchEngine => 6,
    }
}

impl Instance {
    pub fn new(hush: Hush, data_dir: PathBuf) -> Self {
        let metrics = hush.schema().metrics().map(|(id, _)| id).collect();
        Self {
            hush,
            metrics,
            data_dir,
        }
    }

    #[inline]
    pub fn metric(&self, index: usize) -> Result<MetricId> {
        self.metrics
            .get(index)
            .copied()
            .ok_or_else(|| BridgeError::bad_argument("unknown metric"))
    }
}

/// A recording result for Java. An expired metric is not the caller's
/// mistake on the day it expires: the core counts it in the report's errors
/// and the app keeps running, as with Glean.
#[inline]
pub fn recorded(result: std::result::Result<(), RecordError>) -> Result<()> {
    match result {
        Err(RecordError::Expired { .. }) => Ok(()),
        other => other.map_err(Into::into),
    }
}
