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

use janus_messages::codec::{Decode as _, Encode as _};
use janus_messages::problem_type::DapProblemType;
use janus_messages::{InputShareAad, PlaintextInputShare, Report, Role, TaskId};

use super::store::{PendingReport, Stored, UploadRefused};
use super::Leader;
use crate::dap::aggregator::{self, TimeRefusal};
use crate::dap::hpke::{application_info, Label};
use crate::dap::http::{decode, require_media_type, Request, Response};
use crate::dap::prep;
use crate::dap::problem::Problem;

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
    match leader.store.insert(task_id, pending) {
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
