//! `hush helper`: the reference DAP-09 helper. It prepares the reports the
//! leader sends in aggregation jobs, keeps only their sum per batch, and
//! releases its aggregate share of a batch once, sealed to the collector,
//! when the leader asks for a batch both of them aggregated alike.
//!
//! | resource | method | answer |
//! |---|---|---|
//! | `hpke_config` | GET | 200 `application/dap-hpke-config-list` |
//! | `tasks/{id}/aggregation_jobs/{job}` | PUT `application/dap-aggregation-job-init-req` | 200 `application/dap-aggregation-job-resp` |
//! | `tasks/{id}/aggregation_jobs/{job}` | POST `application/dap-aggregation-job-continue-req` | 200 `application/dap-aggregation-job-resp` |
//! | `tasks/{id}/aggregate_shares` | POST `application/dap-aggregate-share-req` | 200 `application/dap-aggregate-share` |
//!
//! Only the leader's token is accepted (403 `unauthorizedRequest` else).
//! Per report, the answer says why it was refused: a replayed report id
//! (`reportReplayed`), a batch already collected (`batchCollected`), a
//! share it cannot decrypt (`hpkeUnknownConfigId`, `hpkeDecryptError`), a
//! time too far ahead (`reportTooEarly`) or too old (`reportDropped`), a
//! proof that does not verify (`vdafPrepError`). An aggregate-share request
//! is refused for a batch below the task's minimum (`invalidBatchSize`),
//! whatever the leader claims, or one the two did not aggregate alike
//! (`batchMismatch`).

pub mod store;

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use hyper::{Method, StatusCode};
use janus_messages::codec::{Decode as _, Encode as _};
use janus_messages::problem_type::DapProblemType;
use janus_messages::query_type::TimeInterval;
use janus_messages::{
    AggregateShare, AggregateShareAad, AggregateShareReq, AggregationJobContinueReq,
    AggregationJobId, AggregationJobInitializeReq, AggregationJobResp, AggregationJobStep,
    BatchSelector, InputShareAad, PlaintextInputShare, PrepareError, PrepareResp,
    PrepareStepResult, Role, TaskId,
};
use prio::topology::ping_pong::PingPongMessage;
use ring::digest::{digest, SHA256};

use super::aggregator::{self, Aggregator, TimeRefusal};
use super::deployment::Role as AggregatorRole;
use super::hpke::{self, application_info, Label};
use super::http::{
    self, decode, no_aggregation_parameter, require_media_type, Request, Resource, Response,
};
use super::prep::{self, Input};
use super::problem::Problem;
use store::{HelperStore, InitEntry, InitOutcome, ShareRefused, Verdict};

/// An aggregation-init request may be this large (a leader's job of a few
/// thousand reports).
const MAX_INIT: usize = 32 * 1024 * 1024;
const MAX_OTHER: usize = 1024 * 1024;
/// How often old report ids are forgotten, in aggregation jobs.
const GC_EVERY_JOBS: u64 = 1000;

/// `hush helper` takes only what every aggregator process takes.
pub type Args = aggregator::ProcessArgs;

#[derive(Default)]
struct Stats {
    jobs: AtomicU64,
    prepared: AtomicU64,
    refused: AtomicU64,
    shares: AtomicU64,
}

pub struct Helper {
    agg: Aggregator,
    store: HelperStore,
    stats: Stats,
}

impl http::Service for Helper {
    fn body_limit(&self, method: &Method, path: &str, headers: &hyper::HeaderMap) -> usize {
        // Only the leader may send a large job: anyone else is read no
        // further than the limit of any other request, then refused.
        let leader = self
            .agg
            .leader_token_hash
            .as_ref()
            .is_some_and(|h| h.admits(headers));
        if leader && method == Method::PUT && path.contains("/aggregation_jobs/") {
            MAX_INIT
        } else {
            MAX_OTHER
        }
    }

    fn handle(&self, req: Request) -> Response {
        let resource = match http::resource(&self.agg.base_path, &req.path) {
            Ok(r) => r,
            Err(answer) => return answer,
        };
        let (task_id, media_type) = match (&resource, &req.method) {
            (Resource::HpkeConfig, _) => return self.agg.hpke_config(&req),
            (Resource::AggregationJob(t, _), &Method::PUT) => {
                (*t, AggregationJobInitializeReq::<TimeInterval>::MEDIA_TYPE)
            }
            (Resource::AggregationJob(t, _), &Method::POST) => {
                (*t, AggregationJobContinueReq::MEDIA_TYPE)
            }
            (Resource::AggregationJob(..), _) => return Response::method_not_allowed("PUT, POST"),
            (Resource::AggregateShares(t), &Method::POST) => {
                (*t, AggregateShareReq::<TimeInterval>::MEDIA_TYPE)
            }
            (Resource::AggregateShares(_), _) => return Response::method_not_allowed("POST"),
            // The leader's resources: the helper has no leader task by that id (Janus).
            (Resource::Reports(t) | Resource::CollectionJob(t, _), _) => {
                return Problem::unrecognized_task(t).into()
            }
        };
        let checked = require_media_type(&req, media_type)
            .and_then(|()| {
                self.agg
                    .task(&task_id)
                    .ok_or_else(|| Problem::unrecognized_task(&task_id))
            })
            .and_then(|task| {
                let admitted = self
                    .agg
                    .leader_token_hash
                    .as_ref()
                    .is_some_and(|h| h.admits(&req.headers));
                if admitted {
                    Ok(task)
                } else {
                    Err(Problem::unauthorized(&task_id))
                }
            });
        let task = match checked {
            Ok(task) => task.clone(),
            Err(p) => return p.into(),
        };
        let result = match resource {
            Resource::AggregationJob(_, job) if req.method == Method::PUT => {
                self.init(&task, job, &req)
            }
            Resource::AggregationJob(_, job) => self.continue_job(&task, job, &req),
            _ => self.aggregate_share(&task, &req),
        };
        result.unwrap_or_else(Response::from)
    }
}

fn job_response(resps: Vec<PrepareResp>) -> Result<Vec<u8>, Problem> {
    AggregationJobResp::new(resps)
        .get_encoded()
        .map_err(|_| Problem::internal())
}

impl Helper {
    /// `PUT tasks/{id}/aggregation_jobs/{job}` (DAP-09 §4.5.1).
    fn init(
        &self,
        task: &aggregator::Task,
        job: AggregationJobId,
        req: &Request,
    ) -> Result<Response, Problem> {
        let task_id = task.id;
        let request: AggregationJobInitializeReq<TimeInterval> =
            decode(&task_id, &req.body, "AggregationJobInitializeReq")?;
        no_aggregation_parameter(&task_id, request.aggregation_parameter())?;
        let inits = request.prepare_inits();
        if inits.is_empty() {
            return Err(Problem::invalid_message(
                &task_id,
                "the aggregation job is empty",
            ));
        }
        let mut seen = HashSet::with_capacity(inits.len());
        if !inits
            .iter()
            .all(|p| seen.insert(*p.report_share().metadata().id()))
        {
            return Err(Problem::invalid_message(
                &task_id,
                "aggregate request contains duplicate report IDs",
            ));
        }
        let hash = sha256(&req.body);
        if let Some(known) = self
            .store
            .job(task_id, job)
            .map_err(|_| Problem::internal())?
        {
            return replay(&task_id, &known, 0, hash);
        }
        let now = aggregator::now();
        let rules = self.agg.rules;
        // Decrypt and decode what can be; the rest is refused per report.
        let mut opened: Vec<(usize, Vec<u8>)> = Vec::new();
        let mut entries = Vec::with_capacity(inits.len());
        for (n, init) in inits.iter().enumerate() {
            let share = init.report_share();
            let metadata = share.metadata();
            let time = metadata.time().as_seconds_since_epoch();
            let decrypted = match rules.check_time(time, now) {
                Err(TimeRefusal::TooEarly) => Err(PrepareError::ReportTooEarly),
                Err(TimeRefusal::Expired) => Err(PrepareError::ReportDropped),
                Ok(()) => self.open_share(&task_id, share),
            };
            let prepared = decrypted.map(|payload| {
                opened.push((n, payload));
                opened.len() - 1
            });
            entries.push(InitEntry {
                report_id: *metadata.id().as_ref(),
                time,
                prepared,
            });
        }
        let ids: Vec<[u8; 16]> = inits
            .iter()
            .map(|p| *p.report_share().metadata().id().as_ref())
            .collect();
        let inputs: Vec<(Input<'_>, &PingPongMessage)> = opened
            .iter()
            .map(|(n, payload)| {
                let share = inits[*n].report_share();
                (
                    Input {
                        report_id: &ids[*n],
                        public_share: share.public_share(),
                        input_share: payload,
                    },
                    inits[*n].message(),
                )
            })
            .collect();
        let prepared = prep::helper_init(&task.vdaf, &task.verify_key, &inputs)
            .map_err(|_| Problem::internal())?;
        let report_ids: Vec<janus_messages::ReportId> = inits
            .iter()
            .map(|p| *p.report_share().metadata().id())
            .collect();
        let respond =
            move |verdicts: &[Verdict], prepared: &dyn prep::Prepared| -> Option<Vec<u8>> {
                let resps = verdicts
                    .iter()
                    .zip(report_ids)
                    .map(|(v, id)| {
                        let result = match v {
                            Verdict::Continue(i) => PrepareStepResult::Continue {
                                message: prepared.outcome(*i).ok()?.clone(),
                            },
                            Verdict::Reject(e) => PrepareStepResult::Reject(*e),
                        };
                        Some(PrepareResp::new(id, result))
                    })
                    .collect::<Option<Vec<_>>>()?;
                job_response(resps).ok()
            };
        let outcome = self
            .store
            .record_init(
                task_id,
                job,
                hash,
                entries,
                prepared,
                rules.time_precision,
                respond,
            )
            .map_err(|_| Problem::internal())?;
        let response = match outcome {
            InitOutcome::New(verdicts, response) => {
                self.stats.jobs.fetch_add(1, Ordering::Relaxed);
                let ok = verdicts
                    .iter()
                    .filter(|v| matches!(v, Verdict::Continue(_)))
                    .count();
                self.stats.prepared.fetch_add(ok as u64, Ordering::Relaxed);
                self.stats
                    .refused
                    .fetch_add((verdicts.len() - ok) as u64, Ordering::Relaxed);
                if self.stats.jobs.load(Ordering::Relaxed) % GC_EVERY_JOBS == 1 {
                    let _ = self.store.forget_before(rules.forget_before(now));
                }
                response
            }
            InitOutcome::Replayed(response) => response,
            InitOutcome::Conflict => return Err(conflict()),
        };
        Ok(Response::message(AggregationJobResp::MEDIA_TYPE, response))
    }

    /// Opens the helper's input share of one report.
    fn open_share(
        &self,
        task_id: &TaskId,
        share: &janus_messages::ReportShare,
    ) -> Result<Vec<u8>, PrepareError> {
        let sealed = share.encrypted_input_share();
        if sealed.config_id() != self.agg.keypair.config().id() {
            return Err(PrepareError::HpkeUnknownConfigId);
        }
        let aad = InputShareAad::new(
            *task_id,
            share.metadata().clone(),
            share.public_share().to_vec(),
        )
        .get_encoded()
        .map_err(|_| PrepareError::HpkeDecryptError)?;
        let info = application_info(Label::InputShare, Role::Client, Role::Helper);
        let plaintext = self
            .agg
            .keypair
            .open(&info, sealed, &aad)
            .map_err(|_| PrepareError::HpkeDecryptError)?;
        let plaintext = PlaintextInputShare::get_decoded(&plaintext)
            .map_err(|_| PrepareError::InvalidMessage)?;
        let mut types = HashSet::new();
        if !plaintext
            .extensions()
            .iter()
            .all(|e| types.insert(format!("{:?}", e.extension_type())))
        {
            return Err(PrepareError::InvalidMessage);
        }
        Ok(plaintext.payload().to_vec())
    }

    /// `POST tasks/{id}/aggregation_jobs/{job}` (DAP-09 §4.5.2). Every Prio3
    /// report finishes at init, so a continuation can only be a repeat, or
    /// an empty step; a prepare step for a finished report is refused.
    fn continue_job(
        &self,
        task: &aggregator::Task,
        job: AggregationJobId,
        req: &Request,
    ) -> Result<Response, Problem> {
        let task_id = task.id;
        let request: AggregationJobContinueReq =
            decode(&task_id, &req.body, "AggregationJobContinueReq")?;
        let step = request.step();
        if step == AggregationJobStep::from(0) {
            return Err(Problem::invalid_message(
                &task_id,
                "aggregation job cannot be advanced to step 0",
            ));
        }
        let hash = sha256(&req.body);
        let known = self
            .store
            .job(task_id, job)
            .map_err(|_| Problem::internal())?
            .ok_or_else(|| {
                Problem::dap(DapProblemType::UnrecognizedAggregationJob).with_task(&task_id)
            })?;
        let step = u16::from(step);
        if known.step == step {
            return replay(&task_id, &known, step, hash);
        }
        if known.step + 1 != step {
            return Err(Problem::dap(DapProblemType::StepMismatch)
                .with_task(&task_id)
                .with_detail(format!("expected step {}, got {step}", known.step + 1)));
        }
        if !request.prepare_steps().is_empty() {
            return Err(Problem::invalid_message(
                &task_id,
                "leader sent prepare step for non-WAITING report aggregation",
            ));
        }
        let response = job_response(Vec::new())?;
        if !self
            .store
            .record_step(task_id, job, step, hash, response.clone())
            .map_err(|_| Problem::internal())?
        {
            return Err(conflict());
        }
        Ok(Response::message(AggregationJobResp::MEDIA_TYPE, response))
    }

    /// `POST tasks/{id}/aggregate_shares` (DAP-09 §4.6.3).
    fn aggregate_share(&self, task: &aggregator::Task, req: &Request) -> Result<Response, Problem> {
        let task_id = task.id;
        let request: AggregateShareReq<TimeInterval> =
            decode(&task_id, &req.body, "AggregateShareReq")?;
        no_aggregation_parameter(&task_id, request.aggregation_parameter())?;
        let interval = *request.batch_selector().batch_interval();
        let rules = self.agg.rules;
        if !rules.valid_interval(&interval) {
            return Err(Problem::dap(DapProblemType::BatchInvalid).with_task(&task_id));
        }
        let collector = self.agg.collector_hpke_config.clone();
        let spec = task.vdaf.clone();
        let seal = move |sum: super::batches::Sum| -> Option<Vec<u8>> {
            let refs: Vec<&[u8]> = sum.shares.iter().map(Vec::as_slice).collect();
            let share = prep::merge(&spec, &refs).ok()?;
            let aad = AggregateShareAad::new(
                task_id,
                Vec::new(),
                BatchSelector::new_time_interval(interval),
            )
            .get_encoded()
            .ok()?;
            let info = application_info(Label::AggregateShare, Role::Helper, Role::Collector);
            let sealed = hpke::seal(&collector, &info, &share, &aad).ok()?;
            AggregateShare::new(sealed).get_encoded().ok()
        };
        let checksum: [u8; 32] = request
            .checksum()
            .as_ref()
            .try_into()
            .map_err(|_| Problem::internal())?;
        match self.store.aggregate_share(
            task_id,
            aggregator::interval_bounds(&interval),
            request.report_count(),
            checksum,
            rules.min_batch_size,
            seal,
        ) {
            Ok(body) => {
                self.stats.shares.fetch_add(1, Ordering::Relaxed);
                Ok(Response::message(AggregateShare::MEDIA_TYPE, body))
            }
            Err(ShareRefused::TooFew) => Err(Problem::too_few(&task_id, rules.min_batch_size)),
            Err(ShareRefused::Overlap) => Err(Problem::dap(DapProblemType::BatchOverlap).with_task(&task_id)),
            Err(ShareRefused::Mismatch { own_count, peer_count }) => Err(Problem::dap(DapProblemType::BatchMismatch)
                .with_task(&task_id)
                .with_detail(format!(
                    "the helper aggregated {own_count} reports, the leader {peer_count}, or other ones"
                ))),
            Err(ShareRefused::Db) => Err(Problem::internal()),
        }
    }
}

/// A request for the step a job is at: the same request gets the same
/// answer; another one is a conflict (Janus: 409).
fn replay(
    task_id: &TaskId,
    known: &store::KnownJob,
    step: u16,
    hash: [u8; 32],
) -> Result<Response, Problem> {
    if known.step == step && known.request_hash == hash {
        Ok(Response::message(
            AggregationJobResp::MEDIA_TYPE,
            known.response.clone(),
        ))
    } else if known.step == step {
        Err(conflict())
    } else {
        Err(Problem::dap(DapProblemType::StepMismatch).with_task(task_id))
    }
}

fn conflict() -> Problem {
    Problem::plain(
        StatusCode::CONFLICT,
        "This aggregation job exists with another request.",
    )
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0; 32];
    out.copy_from_slice(digest(&SHA256, bytes).as_ref());
    out
}

pub fn run(args: Args) -> Result<std::process::ExitCode, String> {
    let (agg, db, writer) = args.open(AggregatorRole::Helper, store::SCHEMA)?;
    let helper = Arc::new(Helper {
        agg,
        store: HelperStore::new(db),
        stats: Stats::default(),
    });
    let served = http::run(Arc::clone(&helper), args.listen, None);
    let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
    eprintln!(
        "hush helper: stopped; {} aggregation jobs, {} reports prepared, {} refused; {} aggregate shares",
        g(&helper.stats.jobs),
        g(&helper.stats.prepared),
        g(&helper.stats.refused),
        g(&helper.stats.shares),
    );
    drop(helper);
    writer.finish();
    served.map(|()| std::process::ExitCode::SUCCESS)
}
