//! `PUT {leader}tasks/{task-id}/reports` (DAP-09 §4.4.2): what a report must
//! be before the leader keeps it, with Janus's answers.
//!
//! A report is refused (`reportRejected`, `reportTooEarly`,
//! `outdatedConfig`, `invalidMessage`) if its time is too far in the future
//! or older than the task accepts, if its batch is being or was collected,
//! or if the leader's input share is not sealed to the leader's key or does
//! not decode. A report id the leader already accepted is answered 200 and
//! changes nothing, as Janus does: the device's first answer was lost, and
//! it may delete its copy; the report counts once.
//!
//! Every answer to an upload path, success or refusal (and a body refused
//! for its size or speed), has the same headers and a body of
//! [`ANSWER_LEN`] bytes ([`one_size`]), so that any OHTTP gateway in front,
//! one that pads or not, seals answers of one size (P9).

use janus_messages::codec::{Decode as _, Encode as _};
use janus_messages::problem_type::DapProblemType;
use janus_messages::{InputShareAad, PlaintextInputShare, Report, Role, TaskId};

use hyper::header::{HeaderValue, CONTENT_TYPE};

use super::store::{PendingReport, Stored, UploadRefused};
use super::Leader;
use crate::dap::aggregator::{self, TimeRefusal};
use crate::dap::hpke::{application_info, Label};
use crate::dap::http::{decode, require_media_type, Request, Response};
use crate::dap::prep;
use crate::dap::problem::{Problem, PROBLEM_MEDIA_TYPE};

/// The body length of every answer to an upload: above the longest problem
/// document an upload can get (checked by the tests).
pub const ANSWER_LEN: usize = 512;
/// A success's content type: as long as `application/problem+json`, so a
/// success and a refusal have header sections of one size.
const SUCCESS_TYPE: &str = "text/plain;charset=utf-8";
const _: () = assert!(SUCCESS_TYPE.len() == PROBLEM_MEDIA_TYPE.len());

/// Whether `path` is `{base}tasks/{anything}/reports`: an upload resource,
/// or what a device meant as one (a malformed task id is answered alike).
pub fn is_upload_path(base: &str, path: &str) -> bool {
    path.strip_prefix(base)
        .and_then(|rest| rest.strip_prefix("tasks/"))
        .and_then(|rest| rest.strip_suffix("/reports"))
        .is_some_and(|task| !task.contains('/'))
}

/// `answer` with one content type per outcome class, no other header, and
/// a body of [`ANSWER_LEN`] bytes: a success says `ok`, a problem document
/// is followed by spaces (whitespace after a JSON value).
pub fn one_size(answer: Response) -> Response {
    let (content_type, mut body) = if answer.status.is_success() {
        (SUCCESS_TYPE, b"ok".to_vec())
    } else {
        (PROBLEM_MEDIA_TYPE, answer.body)
    };
    body.resize(body.len().max(ANSWER_LEN), b' ');
    Response {
        status: answer.status,
        headers: vec![(CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    }
}

fn rejected(task_id: &TaskId, detail: &'static str) -> Problem {
    Problem::dap(DapProblemType::ReportRejected)
        .with_task(task_id)
        .with_detail(detail)
}

pub fn upload(leader: &Leader, task_id: TaskId, req: &Request) -> Response {
    match accept(leader, task_id, req) {
        Ok(()) => Response::empty(hyper::StatusCode::OK),
        Err(problem) => {
            leader.stats.count(&leader.stats.uploads_refused);
            problem.into()
        }
    }
}

fn accept(leader: &Leader, task_id: TaskId, req: &Request) -> Result<(), Problem> {
    require_media_type(req, Report::MEDIA_TYPE)?;
    let task = leader
        .agg
        .task(&task_id)
        .ok_or_else(|| Problem::unrecognized_task(&task_id))?;
    let report: Report = decode(&task_id, &req.body, "Report")?;
    let metadata = report.metadata();
    let time = metadata.time().as_seconds_since_epoch();
    match leader.agg.rules.check_time(time, aggregator::now()) {
        Err(TimeRefusal::TooEarly) => {
            return Err(Problem::dap(DapProblemType::ReportTooEarly).with_task(&task_id))
        }
        Err(TimeRefusal::Expired) => {
            return Err(rejected(&task_id, "Report timestamp is too old."))
        }
        Ok(()) => {}
    }
    let sealed = report.leader_encrypted_input_share();
    if sealed.config_id() != leader.agg.keypair.config().id() {
        return Err(Problem::dap(DapProblemType::OutdatedConfig).with_task(&task_id));
    }
    let aad = InputShareAad::new(task_id, metadata.clone(), report.public_share().to_vec())
        .get_encoded()
        .map_err(|_| Problem::internal())?;
    let info = application_info(Label::InputShare, Role::Client, Role::Leader);
    let plaintext = leader
        .agg
        .keypair
        .open(&info, sealed, &aad)
        .map_err(|_| rejected(&task_id, "Report share could not be decrypted."))?;
    let decode_failure = || rejected(&task_id, "Report could not be decoded.");
    let plaintext = PlaintextInputShare::get_decoded(&plaintext).map_err(|_| decode_failure())?;
    if !prep::shares_decode(&task.vdaf, 0, report.public_share(), plaintext.payload()) {
        return Err(decode_failure());
    }
    let helper_share = report
        .helper_encrypted_input_share()
        .get_encoded()
        .map_err(|_| Problem::internal())?;
    let pending = PendingReport {
        report_id: *metadata.id().as_ref(),
        time,
        public_share: report.public_share().to_vec(),
        leader_share: plaintext.payload().to_vec(),
        helper_share,
    };
    let started = std::time::Instant::now();
    let stored = leader.store.insert(task_id, pending);
    leader.stats.store_latency.observe(started.elapsed());
    match stored {
        Ok(Stored::New) => {
            leader.stats.count(&leader.stats.uploads);
            Ok(())
        }
        Ok(Stored::Duplicate) => {
            leader.stats.count(&leader.stats.duplicates);
            Ok(())
        }
        Err(UploadRefused::IntervalCollected) => Err(rejected(
            &task_id,
            "Report falls into a time interval that has already been collected.",
        )),
        Err(UploadRefused::Db) => Err(Problem::internal()),
    }
}

#[cfg(test)]
pub mod tests {
    use hyper::StatusCode;
    use janus_messages::problem_type::DapProblemType;
    use janus_messages::TaskId;

    use super::*;

    /// Every answer the upload endpoint can give, before [`one_size`]: each
    /// problem of [`accept`] and of the resource and body checks, and a success.
    pub fn every_answer() -> Vec<Response> {
        let t = TaskId::from([0xfe; 32]);
        let problems = [
            Problem::plain(StatusCode::BAD_REQUEST, "Wrong or missing Content-Type.")
                .with_detail(format!("expected {}", Report::MEDIA_TYPE)),
            Problem::unrecognized_task(&t),
            Problem::invalid_message(&t, "the body is not a DAP-09 Report"),
            Problem::dap(DapProblemType::ReportTooEarly).with_task(&t),
            Problem::dap(DapProblemType::OutdatedConfig).with_task(&t),
            rejected(&t, "Report timestamp is too old."),
            rejected(&t, "Report share could not be decrypted."),
            rejected(&t, "Report could not be decoded."),
            rejected(
                &t,
                "Report falls into a time interval that has already been collected.",
            ),
            Problem::internal(),
            Problem::plain(StatusCode::BAD_REQUEST, "Malformed ID in the path.")
                .with_detail("invalid task ID"),
            Problem::plain(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large.")
                .with_detail(format!("at most {} bytes", super::super::MAX_UPLOAD)),
            Problem::plain(StatusCode::REQUEST_TIMEOUT, "Request body too slow."),
            Problem::plain(StatusCode::BAD_REQUEST, "Incomplete request body."),
        ];
        let mut answers: Vec<Response> = problems.iter().map(Response::problem).collect();
        answers.push(Response::method_not_allowed("PUT"));
        answers.push(Response::empty(StatusCode::OK));
        answers
    }

    #[test]
    fn every_answer_to_an_upload_has_one_size() {
        let shapes: Vec<(Vec<(String, usize)>, usize)> = every_answer()
            .into_iter()
            .map(|a| {
                assert!(
                    a.body.len() <= ANSWER_LEN,
                    "{}",
                    String::from_utf8_lossy(&a.body)
                );
                let status = a.status;
                let out = one_size(a);
                assert_eq!(out.status, status);
                if !status.is_success() {
                    // Still the problem document, for any DAP client.
                    let doc: serde_json::Value = serde_json::from_slice(&out.body).unwrap();
                    assert_eq!(doc["status"], status.as_u16());
                    assert_eq!(out.content_type(), Some(PROBLEM_MEDIA_TYPE));
                }
                let headers = out
                    .headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.len()))
                    .collect();
                (headers, out.body.len())
            })
            .collect();
        assert!(shapes.iter().all(|s| *s == shapes[0]), "{shapes:?}");
        assert_eq!(shapes[0].1, ANSWER_LEN);
    }

    #[test]
    fn upload_paths_are_recognised_under_the_base_only() {
        let t = TaskId::from([1; 32]);
        assert!(is_upload_path("/dap/", &format!("/dap/tasks/{t}/reports")));
        assert!(is_upload_path("/", "/tasks/nope/reports"));
        for other in [
            format!("/tasks/{t}/reports"),
            format!("/dap/tasks/{t}/reports/x"),
            format!("/dap/tasks/{t}/collection_jobs/x"),
            "/dap/tasks/a/b/reports".to_owned(),
            "/dap/hpke_config".to_owned(),
        ] {
            assert!(!is_upload_path("/dap/", &other), "{other}");
        }
    }
}
