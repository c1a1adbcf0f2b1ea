//! The leader's background work (DAP-09 §4.5, §4.6): it puts uploaded
//! reports into aggregation jobs (one batch per job), drives each with the
//! helper, adds what both prepared to the batch, and finishes collection
//! jobs by asking the helper for its aggregate share.
//!
//! Everything a step decides is written in one transaction, and every
//! request to the helper is a pure function of the store: a job sent again
//! (the helper was down, the answer was lost, the leader was killed) is the
//! same bytes, which the helper answers from its record without counting
//! anything twice. A job the helper refuses (4xx) is dropped, counted by
//! neither side.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use janus_messages::codec::{Decode as _, Encode as _};
use janus_messages::query_type::TimeInterval;
use janus_messages::{
    AggregateShare, AggregateShareAad, AggregateShareReq, AggregationJobInitializeReq,
    AggregationJobResp, BatchSelector, Collection, Duration as DapDuration, HpkeCiphertext,
    Interval, PartialBatchSelector, PrepareInit, PrepareStepResult, ReportId, ReportIdChecksum,
    ReportMetadata, ReportShare, Role, Time,
};

use super::store::{BatchReadiness, CollectionWork, JobRef, JobResult, LeaderStore};
use super::Leader;
use crate::dap::hpke::{self, application_info, Label};
use crate::dap::peer::{Answer, Peer};
use crate::dap::prep::{self, Input};
use crate::dap::{aggregator, batches};

/// Most reports in one aggregation job.
pub const MAX_JOB_SIZE: usize = 500;
const GC_EVERY: Duration = Duration::from_secs(3600);

pub struct Driver {
    pub leader: Arc<Leader>,
    pub helper: Peer,
    pub interval: Duration,
    pub stop: Arc<AtomicBool>,
}

/// What became of one step with the helper.
enum Step {
    Done,
    /// The helper answered 5xx or 429, or the store failed: this job again
    /// next round (the others go on; nothing is ever dropped for this).
    Later,
    /// The helper could not be reached: the round waits for it.
    Unreachable,
}

impl Driver {
    pub fn run(self) {
        let mut helper_was_down = false;
        let mut last_gc: Option<Instant> = None;
        while !self.stop.load(Ordering::Relaxed) {
            let started = Instant::now();
            let down = self.round();
            if down != helper_was_down {
                if down {
                    log::warn!("the helper is unreachable; aggregation resumes when it answers");
                } else {
                    log::warn!("the helper answers again");
                }
                helper_was_down = down;
            }
            if last_gc.is_none_or(|t| t.elapsed() >= GC_EVERY) {
                let rules = self.leader.agg.rules;
                let _ = self
                    .store()
                    .forget_report_ids(rules.forget_before(aggregator::now()));
                last_gc = Some(Instant::now());
            }
            // Sleep out the interval in short steps, so stopping is prompt.
            while started.elapsed() < self.interval && !self.stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(20).min(self.interval));
            }
        }
    }

    fn store(&self) -> &LeaderStore {
        &self.leader.store
    }

    /// One round of aggregation and collection; `true` if the helper was down.
    fn round(&self) -> bool {
        let rules = self.leader.agg.rules;
        let Ok(jobs) = self.store().create_jobs(rules.time_precision, MAX_JOB_SIZE) else {
            return false;
        };
        for job in jobs {
            if self.stop.load(Ordering::Relaxed) {
                return false;
            }
            if let Step::Unreachable = self.drive_job(job) {
                return true;
            }
        }
        for work in self.store().started_collections().unwrap_or_default() {
            if let Step::Unreachable = self.drive_collection(work) {
                return true;
            }
        }
        false
    }

    fn drive_job(&self, job: JobRef) -> Step {
        let stats = &self.leader.stats;
        let Some(task) = self.leader.agg.task(&job.task_id) else {
            // A task removed from the configuration: its reports cannot be prepared.
            return self.drop_job(job);
        };
        let Ok(reports) = self.store().job_reports(job) else {
            return Step::Later;
        };
        let inputs: Vec<Input<'_>> = reports
            .iter()
            .map(|r| Input {
                report_id: &r.report_id,
                public_share: &r.public_share,
                input_share: &r.leader_share,
            })
            .collect();
        let Ok(mut prepared) = prep::leader_init(&task.vdaf, &task.verify_key, &inputs) else {
            return self.drop_job(job);
        };
        let mut sent = Vec::new();
        let mut inits = Vec::new();
        for (i, r) in reports.iter().enumerate() {
            let (Ok(message), Ok(helper_share)) = (
                prepared.outcome(i),
                HpkeCiphertext::get_decoded(&r.helper_share),
            ) else {
                continue;
            };
            let metadata = ReportMetadata::new(
                ReportId::from(r.report_id),
                Time::from_seconds_since_epoch(r.time),
            );
            inits.push(PrepareInit::new(
                ReportShare::new(metadata, r.public_share.clone(), helper_share),
                message.clone(),
            ));
            sent.push(i);
        }
        if inits.is_empty() {
            stats.add(&stats.reports_failed, reports.len());
            return self.record(JobResult {
                job,
                accepted: Vec::new(),
                aggregate_share: None,
            });
        }
        let request = AggregationJobInitializeReq::<TimeInterval>::new(
            Vec::new(),
            PartialBatchSelector::new_time_interval(),
            inits,
        );
        let Ok(body) = request.get_encoded() else {
            return self.drop_job(job);
        };
        let path = format!("tasks/{}/aggregation_jobs/{}", job.task_id, job.job_id);
        let answer = match self.helper.request(
            "PUT",
            &path,
            Some((
                AggregationJobInitializeReq::<TimeInterval>::MEDIA_TYPE,
                &body,
            )),
        ) {
            Ok(a) => a,
            Err(_) => return Step::Unreachable,
        };
        let Some(response) = self.job_response(&answer) else {
            return if answer.status >= 500 || answer.status == 429 {
                Step::Later
            } else {
                log::warn!(
                    "the helper refused an aggregation job ({}); its reports are not counted",
                    answer.describe()
                );
                self.drop_job(job)
            };
        };
        let resps = response.prepare_resps();
        // DAP-09 §4.5.1.3: one answer per report sent, in the order sent.
        let in_order = resps.len() == sent.len()
            && resps
                .iter()
                .zip(&sent)
                .all(|(resp, &i)| resp.report_id().as_ref() == &reports[i].report_id);
        if !in_order {
            log::warn!("the helper answered an aggregation job with other reports; dropped");
            return self.drop_job(job);
        }
        let mut accepted = Vec::new();
        for (resp, &i) in resps.iter().zip(&sent) {
            if let PrepareStepResult::Continue { message } = resp.result() {
                prepared.finish(i, message);
                if prepared.is_finished(i) {
                    accepted.push(i);
                }
            }
        }
        stats.add(&stats.reports_failed, reports.len() - accepted.len());
        let aggregate_share = if accepted.is_empty() {
            None
        } else {
            match prepared.aggregate(&accepted, None) {
                Ok(share) => Some(share),
                Err(_) => return self.drop_job(job),
            }
        };
        stats.add(&stats.reports_aggregated, accepted.len());
        self.record(JobResult {
            job,
            accepted: accepted.iter().map(|&i| reports[i].report_id).collect(),
            aggregate_share,
        })
    }

    fn job_response(&self, answer: &Answer) -> Option<AggregationJobResp> {
        let media_ok = answer
            .content_type
            .as_deref()
            .is_some_and(|ct| ct.starts_with(AggregationJobResp::MEDIA_TYPE));
        (answer.status == 200 && media_ok)
            .then(|| AggregationJobResp::get_decoded(&answer.body).ok())
            .flatten()
    }

    /// Drops a job: its reports are counted by neither aggregator.
    fn drop_job(&self, job: JobRef) -> Step {
        self.leader.stats.count(&self.leader.stats.jobs_dropped);
        self.record(JobResult {
            job,
            accepted: Vec::new(),
            aggregate_share: None,
        })
    }

    fn record(&self, result: JobResult) -> Step {
        let Some(task) = self.leader.agg.task(&result.job.task_id) else {
            return match self.store().finish_job(result, |_, _| None) {
                Ok(_) => Step::Done,
                Err(_) => Step::Later,
            };
        };
        let spec = task.vdaf.clone();
        let merge = move |prior: Option<&[u8]>, delta: &[u8]| match prior {
            None => Some(delta.to_vec()),
            Some(prior) => prep::merge(&spec, &[prior, delta]).ok(),
        };
        match self.store().finish_job(result, merge) {
            Ok(true) => Step::Done,
            // Not written (the store failed): the job runs again, the same.
            Ok(false) | Err(_) => Step::Later,
        }
    }

    fn drive_collection(&self, work: CollectionWork) -> Step {
        let rules = self.leader.agg.rules;
        let Some(task) = self.leader.agg.task(&work.task_id) else {
            let _ = self.store().finish_collection(
                work,
                Err(
                    janus_messages::problem_type::DapProblemType::UnrecognizedTask
                        .type_uri()
                        .into(),
                ),
            );
            return Step::Done;
        };
        let readiness = match self.store().batch_readiness(work.clone()) {
            Ok(r) => r,
            Err(_) => return Step::Later,
        };
        let batches::Sum {
            report_count,
            checksum,
            shares,
            span,
        } = match readiness {
            BatchReadiness::Waiting => return Step::Done,
            BatchReadiness::Finished(collection) => {
                let _ = self.store().finish_collection(work, Ok(collection));
                return Step::Done;
            }
            BatchReadiness::Ready(sum) => sum,
        };
        let fail = |problem: &str| {
            let _ = self
                .store()
                .finish_collection(work.clone(), Err(problem.to_owned()));
            Step::Done
        };
        // Some reports may have failed preparation since the job was created.
        if report_count < rules.min_batch_size {
            return fail(janus_messages::problem_type::DapProblemType::InvalidBatchSize.type_uri());
        }
        let refs: Vec<&[u8]> = shares.iter().map(Vec::as_slice).collect();
        let Ok(leader_share) = prep::merge(&task.vdaf, &refs) else {
            return fail("the leader's aggregate share does not decode");
        };
        let (start, duration) = work.interval;
        let Ok(interval) = Interval::new(
            Time::from_seconds_since_epoch(start),
            DapDuration::from_seconds(duration),
        ) else {
            return fail("invalid interval");
        };
        let selector = BatchSelector::new_time_interval(interval);
        let request = AggregateShareReq::<TimeInterval>::new(
            selector.clone(),
            Vec::new(),
            report_count,
            ReportIdChecksum::from(checksum),
        );
        let Ok(body) = request.get_encoded() else {
            return fail("encoding failed");
        };
        let answer = match self.helper.request(
            "POST",
            &format!("tasks/{}/aggregate_shares", work.task_id),
            Some((AggregateShareReq::<TimeInterval>::MEDIA_TYPE, &body)),
        ) {
            Ok(a) => a,
            Err(_) => return Step::Unreachable,
        };
        if answer.status >= 500 || answer.status == 429 {
            return Step::Later;
        }
        let helper_share = (answer.status == 200)
            .then(|| AggregateShare::get_decoded(&answer.body).ok())
            .flatten();
        let Some(helper_share) = helper_share else {
            let problem = answer
                .problem()
                .map(|p| p.type_uri)
                .unwrap_or_else(|| answer.describe());
            return fail(&problem);
        };
        let aad = AggregateShareAad::new(work.task_id, Vec::new(), selector).get_encoded();
        let sealed = aad.ok().and_then(|aad| {
            hpke::seal(
                &self.leader.agg.collector_hpke_config,
                &application_info(Label::AggregateShare, Role::Leader, Role::Collector),
                &leader_share,
                &aad,
            )
            .ok()
        });
        let Some(sealed) = sealed else {
            return fail("sealing the leader's aggregate share failed");
        };
        let (first, last) = span.unwrap_or((start, start));
        let end = last + rules.time_precision;
        let Ok(span) = Interval::new(
            Time::from_seconds_since_epoch(first),
            DapDuration::from_seconds(end - first),
        ) else {
            return fail("invalid interval");
        };
        let collection = Collection::<TimeInterval>::new(
            PartialBatchSelector::new_time_interval(),
            report_count,
            span,
            sealed,
            helper_share.encrypted_aggregate_share().clone(),
        )
        .get_encoded();
        match collection {
            Ok(c) => {
                self.leader.stats.count(&self.leader.stats.collections);
                let _ = self.store().finish_collection(work, Ok(c));
                Step::Done
            }
            Err(_) => fail("encoding failed"),
        }
    }
}
