//! One measurement becomes one DAP-09 report (§4.4.2 of
//! draft-ietf-ppm-dap-09): sharded by its VDAF, each input share sealed with
//! HPKE to its aggregator (Hush's own HPKE on ring; the aggregators open it
//! with an independent one), encoded with `janus_messages`.

use janus_messages::codec::Encode;
use janus_messages::{
    HpkeCiphertext, InputShareAad, PlaintextInputShare, Report, ReportId, ReportMetadata, Role,
    TaskId, Time,
};

use super::task::{HpkeTarget, TaskConfig};
use super::vdaf::{Measurement, ShardError, VdafSpec};
use crate::clock::UtcDay;
use crate::ohttp::hpke;
use crate::ohttp::Suite;

/// DAP-09's HPKE application info label for input shares.
const INPUT_SHARE_LABEL: &[u8] = b"dap-09 input share";

#[derive(Debug, thiserror::Error)]
pub enum DapError {
    #[error(transparent)]
    Shard(#[from] ShardError),
    #[error("sealing an input share failed: {0}")]
    Seal(&'static str),
    #[error("encoding the report failed")]
    Encode,
    #[error("the closed window has no valid day or key")]
    Window,
}

/// A report ready for upload: its id, the task it belongs to and the
/// `application/dap-report` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DapReport {
    pub task_id: TaskId,
    pub report_id: [u8; 16],
    pub body: Vec<u8>,
}

/// The report time of `day` under `time_precision`: the start of the day,
/// rounded down to the precision, so it says no more than the day (P7).
pub fn report_time(day: UtcDay, time_precision: u64) -> Time {
    let start = u64::try_from(day.start_ms() / 1000).unwrap_or(0);
    Time::from_seconds_since_epoch(start - start % time_precision.max(1))
}

/// The report id of `task_id`'s report of the window whose secret key is
/// `window_key`: HMAC-SHA256, truncated. Unlinkable without the key, which
/// never leaves the device, and the same if a crash makes the device seal
/// the window again, so the leader's replay check keeps it counted once.
pub fn report_id(window_key: &[u8; 16], task_id: &TaskId) -> [u8; 16] {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, window_key);
    let mut ctx = ring::hmac::Context::with_key(&key);
    ctx.update(REPORT_ID_LABEL);
    ctx.update(task_id.as_ref());
    let tag = ctx.sign();
    let mut id = [0u8; 16];
    id.copy_from_slice(&tag.as_ref()[..16]);
    id
}

const REPORT_ID_LABEL: &[u8] = b"hush dap report id";

/// Shards and seals `measurement` as report `report_id` of `task_id` for `day`.
pub fn prepare(
    config: &TaskConfig,
    task_id: &TaskId,
    vdaf: &VdafSpec,
    measurement: &Measurement,
    day: UtcDay,
    report_id: [u8; 16],
) -> Result<DapReport, DapError> {
    // The VDAF nonce is the report id (DAP-09 §4.4.2).
    let shards = vdaf.shard(measurement, &report_id)?;
    let metadata = ReportMetadata::new(
        ReportId::from(report_id),
        report_time(day, config.time_precision),
    );
    let aad = InputShareAad::new(*task_id, metadata.clone(), shards.public_share.clone())
        .get_encoded()
        .map_err(|_| DapError::Encode)?;
    let leader = seal_share(&config.leader_hpke, Role::Leader, &aad, shards.leader)?;
    let helper = seal_share(&config.helper_hpke, Role::Helper, &aad, shards.helper)?;
    let body = Report::new(metadata, shards.public_share, leader, helper)
        .get_encoded()
        .map_err(|_| DapError::Encode)?;
    Ok(DapReport {
        task_id: *task_id,
        report_id,
        body,
    })
}

/// HPKE-seals one input share to its aggregator:
/// info = "dap-09 input share" || Role::Client || role, aad = InputShareAad.
fn seal_share(
    target: &HpkeTarget,
    role: Role,
    aad: &[u8],
    input_share: Vec<u8>,
) -> Result<HpkeCiphertext, DapError> {
    let plaintext = PlaintextInputShare::new(Vec::new(), input_share)
        .get_encoded()
        .map_err(|_| DapError::Encode)?;
    let mut info = Vec::with_capacity(INPUT_SHARE_LABEL.len() + 2);
    info.extend_from_slice(INPUT_SHARE_LABEL);
    info.push(Role::Client as u8);
    info.push(role as u8);
    let suite = Suite {
        kem: target.kem,
        kdf: target.kdf,
        aead: target.aead,
    };
    let (enc, ct) = hpke::seal_base(suite, &target.public_key, &info, aad, &plaintext)
        .map_err(|e| DapError::Seal(hpke_reason(e)))?;
    Ok(HpkeCiphertext::new(*target.config.id(), enc.to_vec(), ct))
}

fn hpke_reason(e: hpke::HpkeError) -> &'static str {
    match e {
        hpke::HpkeError::Random => "the system random number generator failed",
        hpke::HpkeError::InvalidPublicKey => "the aggregator's public key is invalid",
        hpke::HpkeError::MessageLimit | hpke::HpkeError::ExportTooLong => "HPKE limit",
    }
}
