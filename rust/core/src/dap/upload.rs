//! A DAP report on its way to the leader: the body of a Binary HTTP
//! `PUT {leader}tasks/{task-id}/reports` (`application/dap-report`), sealed
//! with OHTTP to the leader gateway's pinned key configuration before it
//! touches disk (P10). The relay sees ciphertext and the device's address;
//! the gateway and the leader see the report and no address; each
//! aggregator can open only its own input share inside it (P14).
//!
//! Sizes: a task's reports all have one length, whatever they hold, because
//! every Prio3 share of a task has a fixed length (P9); the test checks it.

use super::report::DapReport;
use super::task::TaskConfig;
use crate::ohttp::{self, KeyConfigs, SealError};

/// DAP-09's media type of an uploaded report.
pub const REPORT_MEDIA_TYPE: &str = "application/dap-report";

/// The body of a pending file for `report`: the response opener, then the
/// encapsulated request (see [`crate::seal::split_pending`]).
pub fn seal(
    config: &TaskConfig,
    keys: &KeyConfigs,
    report: &DapReport,
) -> Result<Vec<u8>, SealError> {
    let (scheme, authority, path) = config.upload_target(&report.task_id);
    let message = ohttp::bhttp::encode_request(
        "PUT",
        scheme,
        authority,
        &path,
        &[("content-type", REPORT_MEDIA_TYPE)],
        &report.body,
        0,
    );
    let sealed = ohttp::encapsulate(keys, &message)?;
    let mut body = sealed.opener.to_bytes();
    debug_assert_eq!(body.len(), ohttp::OPENER_LEN);
    body.extend_from_slice(&sealed.request);
    Ok(body)
}
