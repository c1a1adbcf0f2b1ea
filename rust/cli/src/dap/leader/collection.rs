//! `{leader}tasks/{task-id}/collection_jobs/{job-id}` (DAP-09 §4.6):
//! the collector's side, authenticated by its token.
//!
//! * `PUT` (`application/dap-collect-req`): creates the job, 201. Refused
//!   with `batchInvalid` for an interval not aligned to the time precision,
//!   `batchOverlap` for one that overlaps an interval already queried (the
//!   same interval again is the same query and gets the same answer),
//!   `invalidBatchSize` when the interval holds fewer reports than the
//!   task's minimum: the leader itself refuses, whatever the collector asks.
//! * `POST`: 202 while the leader still aggregates, 200 with the
//!   `application/dap-collection` once done, the problem document if the
//!   job failed (the helper's refusal, or too few valid reports), 204 once
//!   deleted, 404 for an unknown job.
//! * `DELETE`: 204; the batch stays collected.

use hyper::header::{HeaderName, HeaderValue};
use hyper::{Method, StatusCode};
use janus_messages::problem_type::DapProblemType;
use janus_messages::query_type::TimeInterval;
use janus_messages::{Collection, CollectionJobId, CollectionReq, TaskId};

use super::store::{CollectionState, CreateRefused};
use super::Leader;
use crate::dap::aggregator::interval_bounds;
use crate::dap::http::{decode, no_aggregation_parameter, require_media_type, Request, Response};
use crate::dap::problem::Problem;

pub fn handle(
    leader: &Leader,
    task_id: TaskId,
    job_id: CollectionJobId,
    req: &Request,
) -> Response {
    let allowed = matches!(req.method, Method::PUT | Method::POST | Method::DELETE);
    if !allowed {
        return Response::method_not_allowed("PUT, POST, DELETE");
    }
    if req.method == Method::PUT {
        if let Err(p) = require_media_type(req, CollectionReq::<TimeInterval>::MEDIA_TYPE) {
            return p.into();
        }
    }
    if leader.agg.task(&task_id).is_none() {
        return Problem::unrecognized_task(&task_id).into();
    }
    let authorized = leader
        .agg
        .collector_token_hash
        .as_ref()
        .is_some_and(|h| h.admits(&req.headers));
    if !authorized {
        return Problem::unauthorized(&task_id).into();
    }
    let result = match req.method {
        Method::PUT => create(leader, task_id, job_id, req),
        Method::POST => poll(leader, task_id, job_id),
        _ => delete(leader, task_id, job_id),
    };
    result.unwrap_or_else(Response::from)
}

fn create(
    leader: &Leader,
    task_id: TaskId,
    job_id: CollectionJobId,
    req: &Request,
) -> Result<Response, Problem> {
    let request: CollectionReq<TimeInterval> = decode(&task_id, &req.body, "CollectionReq")?;
    no_aggregation_parameter(&task_id, request.aggregation_parameter())?;
    let interval = request.query().batch_interval();
    let rules = leader.agg.rules;
    if !rules.valid_interval(interval) {
        return Err(Problem::dap(DapProblemType::BatchInvalid)
            .with_task(&task_id)
            .with_detail(format!(
                "the batch interval must start and last a multiple of {} seconds",
                rules.time_precision
            )));
    }
    match leader.store.create_collection_job(
        task_id,
        job_id,
        interval_bounds(interval),
        rules.min_batch_size,
    ) {
        Ok(()) => Ok(Response::empty(StatusCode::CREATED)),
        Err(CreateRefused::Conflict) => Err(Problem::plain(
            StatusCode::CONFLICT,
            "This collection job exists with another query.",
        )),
        Err(CreateRefused::Overlap) => {
            Err(Problem::dap(DapProblemType::BatchOverlap).with_task(&task_id))
        }
        Err(CreateRefused::TooFew(_)) => Err(Problem::too_few(&task_id, rules.min_batch_size)),
        Err(CreateRefused::Db) => Err(Problem::internal()),
    }
}

fn poll(leader: &Leader, task_id: TaskId, job_id: CollectionJobId) -> Result<Response, Problem> {
    let state = leader
        .store
        .collection_state(task_id, job_id)
        .map_err(|_| Problem::internal())?;
    Ok(match state {
        None => Response::not_found(),
        Some(CollectionState::Start) => Response::empty(StatusCode::ACCEPTED).with_header(
            HeaderName::from_static("retry-after"),
            HeaderValue::from_static("1"),
        ),
        Some(CollectionState::Finished(collection)) => {
            Response::message(Collection::<TimeInterval>::MEDIA_TYPE, collection)
        }
        Some(CollectionState::Failed(problem)) => match problem.parse::<DapProblemType>() {
            Ok(DapProblemType::InvalidBatchSize) => {
                Problem::too_few(&task_id, leader.agg.rules.min_batch_size).into()
            }
            Ok(kind) => Problem::dap(kind)
                .with_task(&task_id)
                .with_detail("the aggregators refused the batch")
                .into(),
            Err(_) => Problem::plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The collection job failed.",
            )
            .with_task(&task_id)
            .with_detail(problem)
            .into(),
        },
        Some(CollectionState::Deleted) => Response::empty(StatusCode::NO_CONTENT),
    })
}

fn delete(leader: &Leader, task_id: TaskId, job_id: CollectionJobId) -> Result<Response, Problem> {
    match leader.store.delete_collection_job(task_id, job_id) {
        Ok(true) => Ok(Response::empty(StatusCode::NO_CONTENT)),
        Ok(false) => Ok(Response::not_found()),
        Err(_) => Err(Problem::internal()),
    }
}
