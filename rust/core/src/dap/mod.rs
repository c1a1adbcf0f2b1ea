//! Private aggregation (DESIGN.md P14): every measurement leaves the device as
//! a DAP-09 report (draft-ietf-ppm-dap-09, VDAF-08 Prio3), secret-shared
//! between the leader and the helper, so neither alone learns anything about
//! one device, and the collector only ever sees totals over a batch.
//!
//! * [`plan`]: which tasks a schema's day becomes and what each measures.
//! * [`vdaf`]: the Prio3 instances (`prio` 0.16), shared with the reference
//!   aggregators.
//! * [`task`]: the task configuration the app ships, pinned (P15).
//! * [`report`]: sharding, HPKE-sealing the input shares, encoding
//!   (`janus_messages` 0.7).
//! * [`upload`]: a report as the leader's upload request, sealed with OHTTP.

pub mod plan;
pub mod report;
pub mod task;
pub mod upload;
pub mod vdaf;

pub use plan::{Plan, PlanError, PlannedTask};
pub use report::{DapError, DapReport};
pub use task::{TaskBinding, TaskConfig, TaskConfigError};
pub use vdaf::{Measurement, VdafSpec};

use crate::anonymize::Anonymizer;
use crate::clock::UtcDay;
use crate::report::Report;
use crate::window::ReportId;

/// A closed day's reports: one per task of the plan.
pub struct DapClient {
    plan: Plan,
    config: TaskConfig,
}

/// One report of a day, with the task it measures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayReport {
    /// Index into [`Plan::tasks`].
    pub task: usize,
    pub report: DapReport,
}

impl DapClient {
    /// `config` must have been parsed against `plan` ([`TaskConfig::parse`]).
    pub fn new(plan: Plan, config: TaskConfig) -> Self {
        Self { plan, config }
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    pub fn config(&self) -> &TaskConfig {
        &self.config
    }

    /// Every task's report for `day` (a closed window's aggregates). Report
    /// ids derive from the window's secret key (`day.report_id`, which is
    /// never sent; see [`report::report_id`]); shares are fresh each time.
    pub fn day_reports(
        &self,
        day: &Report,
        anonymizer: &Anonymizer,
    ) -> Result<Vec<DayReport>, DapError> {
        let date = UtcDay::parse_iso(&day.day).ok_or(DapError::Window)?;
        let window_key = ReportId::parse_hex(&day.report_id)
            .ok_or(DapError::Window)?
            .0;
        let measurements = self.plan.measure(day, anonymizer);
        self.config
            .tasks
            .iter()
            .zip(&measurements)
            .enumerate()
            .map(|(task, (binding, m))| {
                let id = report::report_id(&window_key, &binding.task_id);
                let report =
                    report::prepare(&self.config, &binding.task_id, &binding.vdaf, m, date, id)?;
                Ok(DayReport { task, report })
            })
            .collect()
    }
}
