//! The helper's SQLite store. What it holds, and nothing else:
//!
//! * `report_ids`: per task, every report id it saw in an aggregation job
//!   and the report's time, for replay protection;
//! * `aggregation_jobs`: per job, the step it is at, the SHA-256 of the
//!   leader's last request and the helper's answer to it, so a request sent
//!   again gets the same answer and counts nothing twice;
//! * `batch_aggregations`: per task and time-precision batch, the helper's
//!   aggregate share, the report count and the report-id checksum;
//! * `aggregate_share_jobs`: each batch interval it released an aggregate
//!   share for (sealed to the collector), so it is released once.
//!
//! It never stores an input share: shares are prepared in memory and only
//! their sum is kept. No address, header or arrival time.

use janus_messages::{AggregationJobId, PrepareError, TaskId};
use rusqlite::{params, OptionalExtension as _, Transaction};

use crate::dap::checksum::{self, Checksum};
use crate::dap::prep::Prepared;
use crate::dap::sqlite::{Db, DbGone};

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS report_ids (
    task_id   BLOB NOT NULL,
    report_id BLOB NOT NULL,
    time      INTEGER NOT NULL,
    PRIMARY KEY (task_id, report_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS aggregation_jobs (
    task_id      BLOB NOT NULL,
    job_id       BLOB NOT NULL,
    step         INTEGER NOT NULL,
    request_hash BLOB NOT NULL,  -- SHA-256 of the leader's last request
    response     BLOB NOT NULL,  -- the encoded AggregationJobResp it got
    time         INTEGER NOT NULL,  -- the latest report time in the job
    PRIMARY KEY (task_id, job_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS batch_aggregations (
    task_id         BLOB NOT NULL,
    batch_start     INTEGER NOT NULL,
    aggregate_share BLOB NOT NULL,
    report_count    INTEGER NOT NULL,
    checksum        BLOB NOT NULL,
    PRIMARY KEY (task_id, batch_start)
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

/// A batch interval's aggregation, as the helper holds it.
pub struct BatchSum {
    pub report_count: u64,
    pub checksum: Checksum,
    pub shares: Vec<Vec<u8>>,
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
        self.db.call(move |conn| {
            conn.query_row(
                "SELECT step, request_hash, response FROM aggregation_jobs
                 WHERE task_id = ?1 AND job_id = ?2",
                params![t(&task_id), job_id.as_ref()],
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
            .flatten()
        })
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
                let mut batches: Vec<(u64, Vec<usize>, Vec<[u8; 16]>)> = Vec::new();
                for e in &entries {
                    let collected = batch_collected(&tx, task, e.time).ok()?;
                    let new = tx
                        .execute(
                            "INSERT INTO report_ids (task_id, report_id, time) VALUES (?1, ?2, ?3)
                         ON CONFLICT DO NOTHING",
                            params![task, &e.report_id[..], e.time],
                        )
                        .ok()?
                        == 1;
                    let verdict = match e.prepared {
                        _ if collected => Verdict::Reject(PrepareError::BatchCollected),
                        _ if !new => Verdict::Reject(PrepareError::ReportReplayed),
                        Err(err) => Verdict::Reject(err),
                        Ok(i) => match prepared.outcome(i) {
                            Err(err) => Verdict::Reject(err),
                            Ok(_) => {
                                let batch = e.time - e.time % time_precision;
                                match batches.iter_mut().find(|b| b.0 == batch) {
                                    Some(b) => {
                                        b.1.push(i);
                                        b.2.push(e.report_id);
                                    }
                                    None => batches.push((batch, vec![i], vec![e.report_id])),
                                }
                                Verdict::Continue(i)
                            }
                        },
                    };
                    verdicts.push(verdict);
                }
                for (batch, indices, ids) in &batches {
                    add_to_batch(&tx, task, *batch, prepared.as_ref(), indices, ids)?;
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
        seal: impl FnOnce(BatchSum) -> Option<Vec<u8>> + Send + 'static,
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
                let sum = batch_sum(&tx, task, start, end).map_err(db)?;
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
            let _ = conn.execute("DELETE FROM report_ids WHERE time < ?1", params![before]);
            let _ = conn.execute(
                "DELETE FROM aggregation_jobs WHERE time < ?1",
                params![before],
            );
        })
    }
}

fn known_job(
    tx: &Transaction<'_>,
    task: &[u8],
    job_id: &AggregationJobId,
) -> Option<Option<KnownJob>> {
    tx.query_row(
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

fn add_to_batch(
    tx: &Transaction<'_>,
    task: &[u8],
    batch: u64,
    prepared: &dyn Prepared,
    indices: &[usize],
    ids: &[[u8; 16]],
) -> Option<()> {
    let prior: Option<(Vec<u8>, u64, Vec<u8>)> = tx
        .query_row(
            "SELECT aggregate_share, report_count, checksum FROM batch_aggregations
             WHERE task_id = ?1 AND batch_start = ?2",
            params![task, batch],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .ok()?;
    let share = prepared
        .aggregate(indices, prior.as_ref().map(|p| p.0.as_slice()))
        .ok()?;
    let count = prior.as_ref().map_or(0, |p| p.1) + indices.len() as u64;
    let sum = checksum::combine(
        &prior
            .as_ref()
            .map_or([0; 32], |p| checksum::from_slice(&p.2)),
        &checksum::of_reports(ids),
    );
    tx.execute(
        "INSERT INTO batch_aggregations (task_id, batch_start, aggregate_share, report_count, checksum)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (task_id, batch_start) DO UPDATE SET aggregate_share = excluded.aggregate_share,
           report_count = excluded.report_count, checksum = excluded.checksum",
        params![task, batch, share, count, &sum[..]],
    )
    .ok()?;
    Some(())
}

fn batch_sum(
    tx: &Transaction<'_>,
    task: &[u8],
    start: u64,
    end: u64,
) -> rusqlite::Result<BatchSum> {
    let mut s = tx.prepare(
        "SELECT aggregate_share, report_count, checksum FROM batch_aggregations
         WHERE task_id = ?1 AND batch_start >= ?2 AND batch_start < ?3",
    )?;
    let mut sum = BatchSum {
        report_count: 0,
        checksum: [0; 32],
        shares: Vec::new(),
    };
    let rows = s.query_map(params![task, start, end], |r| {
        Ok((
            r.get::<_, Vec<u8>>(0)?,
            r.get::<_, u64>(1)?,
            r.get::<_, Vec<u8>>(2)?,
        ))
    })?;
    for row in rows {
        let (share, count, cs) = row?;
        sum.report_count += count;
        sum.checksum = checksum::combine(&sum.checksum, &checksum::from_slice(&cs));
        sum.shares.push(share);
    }
    Ok(sum)
}
