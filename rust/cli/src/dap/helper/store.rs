//! The helper's SQLite store. What it holds, and nothing else:
//!
//! * `report_ids` ([`batches`]): per task, every report id it saw in an
//!   aggregation job and the report's time, for replay protection;
//! * `aggregation_jobs`: per job, the step it is at, the SHA-256 of the
//!   leader's last request and the helper's answer to it, so a request sent
//!   again gets the same answer and counts nothing twice;
//! * `batch_aggregations` ([`batches`]): per task and time-precision batch,
//!   the helper's aggregate share, the report count and the report-id
//!   checksum;
//! * `aggregate_share_jobs`: each batch interval it released an aggregate
//!   share for (sealed to the collector), so it is released once.
//!
//! It never stores an input share: shares are prepared in memory and only
//! their sum is kept. No address, header or arrival time.

use janus_messages::{AggregationJobId, PrepareError, TaskId};
use rusqlite::{params, Connection, OptionalExtension as _, Transaction};

use crate::dap::batches;
use crate::dap::checksum::{self, Checksum};
use crate::dap::prep::Prepared;
use crate::dap::sqlite::{Db, DbGone};

/// The helper's own tables, next to [`batches::SCHEMA`].
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS aggregation_jobs (
    task_id      BLOB NOT NULL,
    job_id       BLOB NOT NULL,
    step         INTEGER NOT NULL,
    request_hash BLOB NOT NULL,  -- SHA-256 of the leader's last request
    response     BLOB NOT NULL,  -- the encoded AggregationJobResp it got
    time         INTEGER NOT NULL,  -- the latest report time in the job
    PRIMARY KEY (task_id, job_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS aggregate_share_jobs (
    task_id         BLOB NOT NULL,
    batch_start     INTEGER NOT NULL,
    batch_duration  INTEGER NOT NULL,
    report_count    INTEGER NOT NULL,
    checksum        BLOB NOT NULL,
    encrypted_share BLOB NOT NULL,  -- HpkeCiphertext sealed to the collector
    PRIMARY KEY (task_id, batch_start, batch_duration)
) WITHOUT ROWID;
";

fn t(id: &TaskId) -> &[u8] {
    id.as_ref()
}

/// An aggregation job the helper has answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownJob {
    pub step: u16,
    pub request_hash: [u8; 32],
    pub response: Vec<u8>,
}

/// One report of an aggregation-init request, after decryption: its
/// prepared entry, or why it failed before preparation.
pub struct InitEntry {
    pub report_id: [u8; 16],
    pub time: u64,
    pub prepared: Result<usize, PrepareError>,
}

/// What the helper decided for each report of a new job.
pub enum Verdict {
    /// Prepared; the message to answer is in the `Prepared` at this index.
    Continue(usize),
    Reject(PrepareError),
}

pub enum InitOutcome {
    /// A job new to the helper: one verdict per report, in order, and the
    /// answer recorded for it.
    New(Vec<Verdict>, Vec<u8>),
    /// This exact request was answered before.
    Replayed(Vec<u8>),
    /// The job exists with another request.
    Conflict,
}

pub enum ShareRefused {
    Overlap,
    TooFew,
    Mismatch { own_count: u64, peer_count: u64 },
    Db,
}

#[derive(Clone)]
pub struct HelperStore {
    db: Db,
}

impl HelperStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn job(
        &self,
        task_id: TaskId,
        job_id: AggregationJobId,
    ) -> Result<Option<KnownJob>, DbGone> {
        self.db
            .call(move |conn| known_job(conn, t(&task_id), &job_id).flatten())
    }

    /// Records a new job in one transaction: every report id (a replayed one
    /// is refused), the verdicts, the prepared reports' output shares added
    /// to their batches, and the answer `respond` builds from the verdicts.
    #[allow(clippy::too_many_arguments)]
    pub fn record_init(
        &self,
        task_id: TaskId,
        job_id: AggregationJobId,
        request_hash: [u8; 32],
        entries: Vec<InitEntry>,
        prepared: Box<dyn Prepared>,
        time_precision: u64,
        respond: impl FnOnce(&[Verdict], &dyn Prepared) -> Option<Vec<u8>> + Send + 'static,
    ) -> Result<InitOutcome, DbGone> {
        self.db
            .call(move |conn| -> Option<InitOutcome> {
                let tx = conn.transaction().ok()?;
                let task = t(&task_id);
                if let Some(known) = known_job(&tx, task, &job_id)? {
                    return Some(if known.request_hash == request_hash {
                        InitOutcome::Replayed(known.response)
                    } else {
                        InitOutcome::Conflict
                    });
                }
                let mut verdicts = Vec::with_capacity(entries.len());
                // Prepared reports by batch: (batch, prepared indices, report ids).
                let mut by_batch: Vec<(u64, Vec<usize>, Vec<[u8; 16]>)> = Vec::new();
                for e in &entries {
                    let collected = batch_collected(&tx, task, e.time).ok()?;
                    let new = batches::record_report_id(&tx, task, &e.report_id, e.time).ok()?;
                    let verdict = match e.prepared {
                        _ if collected => Verdict::Reject(PrepareError::BatchCollected),
                        _ if !new => Verdict::Reject(PrepareError::ReportReplayed),
                        Err(err) => Verdict::Reject(err),
                        Ok(i) => match prepared.outcome(i) {
                            Err(err) => Verdict::Reject(err),
                            Ok(_) => {
                                let batch = e.time - e.time % time_precision;
                                match by_batch.iter_mut().find(|b| b.0 == batch) {
                                    Some(b) => {
                                        b.1.push(i);
                                        b.2.push(e.report_id);
                                    }
                                    None => by_batch.push((batch, vec![i], vec![e.report_id])),
                                }
                                Verdict::Continue(i)
                            }
                        },
                    };
                    verdicts.push(verdict);
                }
                for (batch, indices, ids) in &by_batch {
                    batches::add(&tx, task, *batch, ids, |prior| {
                        prepared.aggregate(indices, prior).ok()
                    })?;
                }
                let response = respond(&verdicts, prepared.as_ref())?;
                let latest = entries.iter().map(|e| e.time).max().unwrap_or(0);
                tx.execute(
                "INSERT INTO aggregation_jobs (task_id, job_id, step, request_hash, response, time)
                 VALUES (?1, ?2, 0, ?3, ?4, ?5)",
                params![task, job_id.as_ref(), &request_hash[..], &response, latest],
            )
            .ok()?;
                tx.commit().ok()?;
                Some(InitOutcome::New(verdicts, response))
            })?
            .ok_or(DbGone)
    }

    /// Moves a job to `step` with the answer it gave.
    pub fn record_step(
        &self,
        task_id: TaskId,
        job_id: AggregationJobId,
        step: u16,
        request_hash: [u8; 32],
        response: Vec<u8>,
    ) -> Result<bool, DbGone> {
        self.db.call(move |conn| {
            conn.execute(
                "UPDATE aggregation_jobs SET step = ?3, request_hash = ?4, response = ?5
                 WHERE task_id = ?1 AND job_id = ?2 AND step = ?3 - 1",
                params![
                    t(&task_id),
                    job_id.as_ref(),
                    step,
                    &request_hash[..],
                    response
                ],
            )
            .map(|n| n == 1)
            .unwrap_or(false)
        })
    }

    /// The helper's aggregate share of `(start, duration)`, released once:
    /// `seal` turns the merged share into what is sent (and kept, so a
    /// repeated request gets the same bytes).
    #[allow(clippy::too_many_arguments)]
    pub fn aggregate_share(
        &self,
        task_id: TaskId,
        interval: (u64, u64),
        peer_count: u64,
        peer_checksum: Checksum,
        min_batch_size: u64,
        seal: impl FnOnce(batches::Sum) -> Option<Vec<u8>> + Send + 'static,
    ) -> Result<Vec<u8>, ShareRefused> {
        self.db
            .call(move |conn| -> Result<Vec<u8>, ShareRefused> {
                let tx = conn.transaction().map_err(|_| ShareRefused::Db)?;
                let task = t(&task_id);
                let (start, duration) = interval;
                let end = start + duration;
                let db = |_| ShareRefused::Db;
                let done: Option<(u64, Vec<u8>, Vec<u8>)> = tx
                    .query_row(
                        "SELECT report_count, checksum, encrypted_share FROM aggregate_share_jobs
                         WHERE task_id = ?1 AND batch_start = ?2 AND batch_duration = ?3",
                        params![task, start, duration],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()
                    .map_err(db)?;
                if let Some((count, sum, share)) = done {
                    return if count == peer_count && checksum::from_slice(&sum) == peer_checksum {
                        Ok(share)
                    } else {
                        Err(ShareRefused::Mismatch {
                            own_count: count,
                            peer_count,
                        })
                    };
                }
                let overlap: bool = tx
                    .query_row(
                        "SELECT EXISTS (SELECT 1 FROM aggregate_share_jobs WHERE task_id = ?1
                           AND batch_start < ?3 AND ?2 < batch_start + batch_duration)",
                        params![task, start, end],
                        |r| r.get(0),
                    )
                    .map_err(db)?;
                if overlap {
                    return Err(ShareRefused::Overlap);
                }
                let sum = batches::sum(&tx, task, start, end).map_err(db)?;
                if sum.report_count < min_batch_size {
                    return Err(ShareRefused::TooFew);
                }
                if sum.report_count != peer_count || sum.checksum != peer_checksum {
                    return Err(ShareRefused::Mismatch {
                        own_count: sum.report_count,
                        peer_count,
                    });
                }
                let (count, cs) = (sum.report_count, sum.checksum);
                let sealed = seal(sum).ok_or(ShareRefused::Db)?;
                tx.execute(
                    "INSERT INTO aggregate_share_jobs (task_id, batch_start, batch_duration,
                       report_count, checksum, encrypted_share) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![task, start, duration, count, &cs[..], sealed],
                )
                .map_err(db)?;
                tx.commit().map_err(db)?;
                Ok(sealed)
            })
            .unwrap_or(Err(ShareRefused::Db))
    }

    /// Forgets report ids (and finished jobs) too old to matter.
    pub fn forget_before(&self, before: u64) -> Result<(), DbGone> {
        self.db.call(move |conn| {
            batches::forget_report_ids(conn, before);
            let _ = conn.execute(
                "DELETE FROM aggregation_jobs WHERE time < ?1",
                params![before],
            );
        })
    }
}

/// The job's record, if any (`None`: the query failed).
fn known_job(
    conn: &Connection,
    task: &[u8],
    job_id: &AggregationJobId,
) -> Option<Option<KnownJob>> {
    conn.query_row(
        "SELECT step, request_hash, response FROM aggregation_jobs WHERE task_id = ?1 AND job_id = ?2",
        params![task, job_id.as_ref()],
        |r| {
            let hash: Vec<u8> = r.get(1)?;
            Ok(KnownJob {
                step: r.get(0)?,
                request_hash: checksum::from_slice(&hash),
                response: r.get(2)?,
            })
        },
    )
    .optional()
    .ok()
}

/// Whether the helper released an aggregate share for an interval holding `time`.
fn batch_collected(tx: &Transaction<'_>, task: &[u8], time: u64) -> rusqlite::Result<bool> {
    tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM aggregate_share_jobs WHERE task_id = ?1
           AND batch_start <= ?2 AND ?2 < batch_start + batch_duration)",
        params![task, time],
        |r| r.get(0),
    )
}
