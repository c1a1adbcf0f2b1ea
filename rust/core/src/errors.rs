//! The errors of the [`Hush`](crate::Hush) API: a recording call refused
//! (nothing recorded), and the data directory or the app's configuration
//! failing (nothing lost from memory).

use crate::dap::{PlanError, TaskConfigError};
use crate::seal::DaySealError;
use crate::tabs::TabError;

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(transparent)]
    Tab(#[from] TabError),
    #[error("unknown metric")]
    UnknownMetric,
    #[error("metric '{metric}' is a {actual}, not a {expected}")]
    WrongType {
        metric: String,
        expected: &'static str,
        actual: &'static str,
    },
    #[error("label is not declared for metric '{metric}'")]
    InvalidLabel { metric: String },
    #[error("metric '{metric}' has expired")]
    Expired { metric: String },
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("data directory I/O failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("sealing a report failed: {0}")]
    Day(#[from] DaySealError),
    /// The app's configuration is wrong (a build defect, not a disk fault).
    #[error(transparent)]
    Tasks(#[from] TaskConfigError),
    #[error(transparent)]
    Plan(#[from] PlanError),
}
