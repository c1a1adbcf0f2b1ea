//! The leader's SQLite store. What it holds, and nothing else:
//!
//! * `report_ids` ([`batches`]): per task, every report id it accepted and
//!   the report's time (a UTC day), for replay protection, until the report
//!   would be too old to be accepted anyway;
//! * `pending_reports`: a report waiting to be aggregated: its public share,
//!   the leader's input share (a secret share: alone it says nothing about
//!   the measurement) and the helper's input share still sealed to the
//!   helper. Deleted as soon as its aggregation job finishes;
//! * `aggregation_jobs`: the jobs in progress (a job's reports name it);
//! * `batch_aggregations` ([`batches`]): per task and time-precision batch,
//!   the leader's aggregate share, the report count and the report-id
//!   checksum;
//! * `collection_jobs`: the collector's requests and, once finished, the
//!   encoded `Collection` (both aggregate shares sealed to the collector).
//!
//! No device address, header, arrival time or value in clear. Tables are
//! `WITHOUT ROWID`, keyed by random ids, so not even an insertion order is
//! recorded.

use janus_messages::{AggregationJobId, CollectionJobId, TaskId};
use rusqlite::{params, OptionalExtension as _, Transaction};

use crate::dap::batches;
use crate::dap::sqlite::{Db, DbGone};

/// The leader's own tables, next to [`batches::SCHEMA`].
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS pending_reports (
    task_id      BLOB NOT NULL,
    report_id    BLOB NOT NULL,
    time         INTEGER NOT NULL,
    public_share BLOB NOT NULL,
    leader_share BLOB NOT NULL,  -- the leader's input share (a secret share)
    helper_share BLOB NOT NULL,  -- HpkeCiphertext sealed to the helper
    job_id       BLOB,           -- NULL until an aggregation job takes it
    ord          INTEGER,        -- its place in the job
    PRIMARY KEY (task_id, report_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS pending_by_job ON pending_reports (task_id, job_id, ord);
CREATE INDEX IF NOT EXISTS pending_by_time ON pending_reports (task_id, time);
CREATE TABLE IF NOT EXISTS aggregation_jobs (
    task_id     BLOB NOT NULL,
    job_id      BLOB NOT NULL,
    batch_start INTEGER NOT NULL,
    PRIMARY KEY (task_id, job_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS collection_jobs (
    task_id        BLOB NOT NULL,
    job_id         BLOB NOT NULL,
    batch_start    INTEGER NOT NULL,
    batch_duration INTEGER NOT NULL,
    state          TEXT NOT NULL,  -- start | finished | failed | deleted
    collection     BLOB,           -- the encoded Collection, once finished
    problem        TEXT,           -- the DAP problem type, when failed
    PRIMARY KEY (task_id, job_id)
) WITHOUT ROWID;
";

/// A report waiting for aggregation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingReport {
    pub report_id: [u8; 16],
    pub time: u64,
    pub public_share: Vec<u8>,
    pub leader_share: Vec<u8>,
    pub helper_share: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    New,
    /// This report id was accepted before: nothing changed.
    Duplicate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadRefused {
    /// The report's batch is being or was collected.
    IntervalCollected,
    Db,
}

/// An aggregation job in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobRef {
    pub task_id: TaskId,
    pub job_id: AggregationJobId,
    pub batch_start: u64,
}

/// The result of a finished aggregation job, to be added to its batch.
pub struct JobResult {
    pub job: JobRef,
    /// Reports both aggregators prepared: counted.
    pub accepted: Vec<[u8; 16]>,
    /// The sum of their output shares (encoded), if any.
    pub aggregate_share: Option<Vec<u8>>,
}

/// A collection job, as the collector sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CollectionState {
    Start,
    Finished(Vec<u8>),
    Failed(String),
    Deleted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateRefused {
    /// Same job id, another query.
    Conflict,
    /// Overlaps a batch interval already queried (not equal to it).
    Overlap,
    /// Fewer reports than the minimum batch size.
    TooFew(u64),
    Db,
}

/// A collection job waiting for the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionWork {
    pub task_id: TaskId,
    pub job_id: CollectionJobId,
    pub interval: (u64, u64),
}

/// What a batch interval holds once every report in it is aggregated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchReadiness {
    /// Reports in the interval still wait for (or are in) an aggregation job.
    Waiting,
    /// Another collection job over the same interval already finished.
    Finished(Vec<u8>),
    /// The interval's batches, every report in them aggregated.
    Ready(batches::Sum),
}

#[derive(Clone)]
pub struct LeaderStore {
    db: Db,
}

fn t(id: &TaskId) -> &[u8] {
    id.as_ref()
}

fn db_err<T>(r: rusqlite::Result<T>) -> Result<T, UploadRefused> {
    r.map_err(|_| UploadRefused::Db)
}

/// Whether `time` falls in an interval a live (not failed) collection job
/// names: such a batch is being or was collected.
fn collected(tx: &Transaction<'_>, task_id: &TaskId, time: u64) -> rusqlite::Result<bool> {
    tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM collection_jobs WHERE task_id = ?1 AND state != 'failed'
           AND batch_start <= ?2 AND ?2 < batch_start + batch_duration)",
        params![t(task_id), time],
        |r| r.get(0),
    )
}

impl LeaderStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Stores an uploaded report (group-committed, durable on `Ok`).
    pub fn insert(&self, task_id: TaskId, r: PendingReport) -> Result<Stored, UploadRefused> {
        self.db
            .grouped(move |tx| {
                if db_err(collected(tx, &task_id, r.time))? {
                    return Err(UploadRefused::IntervalCollected);
                }
                let new = db_err(batches::record_report_id(
                    tx,
                    t(&task_id),
                    &r.report_id,
                    r.time,
                ))?;
                if !new {
                    return Ok(Stored::Duplicate);
                }
                db_err(tx.execute(
                    "INSERT INTO pending_reports (task_id, report_id, time, public_share,
                       leader_share, helper_share) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        t(&task_id),
                        &r.report_id[..],
                        r.time,
                        r.public_share,
                        r.leader_share,
                        r.helper_share
                    ],
                ))?;
                Ok(Stored::New)
            })
            .unwrap_or(Err(UploadRefused::Db))
    }

    /// Puts every report no job has taken into new jobs: one batch per job,
    /// at most `max_size` reports each. Returns the jobs in progress
    /// (including older ones a crash or the helper left unfinished).
    pub fn create_jobs(&self, time_precision: u64, max_size: usize) -> Result<Vec<JobRef>, DbGone> {
        self.db.call(move |conn| -> Vec<JobRef> {
            let Ok(tx) = conn.transaction() else {
                return Vec::new();
            };
            let created = (|| -> rusqlite::Result<()> {
                let mut free = tx.prepare(
                    "SELECT task_id, report_id, time FROM pending_reports WHERE job_id IS NULL
                     ORDER BY task_id, time, report_id",
                )?;
                let rows: Vec<(Vec<u8>, Vec<u8>, u64)> = free
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect::<rusqlite::Result<_>>()?;
                drop(free);
                let mut i = 0;
                while i < rows.len() {
                    let (task, _, time) = &rows[i];
                    let batch = time - time % time_precision;
                    let mut job = [0u8; 16];
                    hush_core::random::fill(&mut job);
                    tx.execute(
                        "INSERT INTO aggregation_jobs (task_id, job_id, batch_start) VALUES (?1, ?2, ?3)",
                        params![task, &job[..], batch],
                    )?;
                    let mut ord = 0i64;
                    while i < rows.len()
                        && rows[i].0 == *task
                        && rows[i].2 - rows[i].2 % time_precision == batch
                        && (ord as usize) < max_size
                    {
                        tx.execute(
                            "UPDATE pending_reports SET job_id = ?3, ord = ?4
                             WHERE task_id = ?1 AND report_id = ?2",
                            params![task, rows[i].1, &job[..], ord],
                        )?;
                        ord += 1;
                        i += 1;
                    }
                }
                Ok(())
            })();
            // On failure nothing changed; the reports wait for the next round.
            if created.is_ok() {
                let _ = tx.commit();
            } else {
                drop(tx);
            }
            in_progress(conn).unwrap_or_default()
        })
    }

    /// A job's reports, in the order the job sends them.
    pub fn job_reports(&self, job: JobRef) -> Result<Vec<PendingReport>, DbGone> {
        self.db
            .call(move |conn| {
                let mut s = conn
                    .prepare(
                        "SELECT report_id, time, public_share, leader_share, helper_share
                     FROM pending_reports WHERE task_id = ?1 AND job_id = ?2 ORDER BY ord",
                    )
                    .ok()?;
                let rows = s
                    .query_map(params![t(&job.task_id), job.job_id.as_ref()], |r| {
                        let id: Vec<u8> = r.get(0)?;
                        Ok(PendingReport {
                            report_id: id.try_into().unwrap_or([0; 16]),
                            time: r.get(1)?,
                            public_share: r.get(2)?,
                            leader_share: r.get(3)?,
                            helper_share: r.get(4)?,
                        })
                    })
                    .ok()?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .ok();
                rows
            })
            .map(Option::unwrap_or_default)
    }

    /// Adds a finished job to its batch and forgets its reports' shares, in
    /// one transaction: a job counts once or not at all.
    pub fn finish_job(
        &self,
        result: JobResult,
        merge: impl FnOnce(Option<&[u8]>, &[u8]) -> Option<Vec<u8>> + Send + 'static,
    ) -> Result<bool, DbGone> {
        self.db.call(move |conn| {
            let job = result.job;
            let Ok(tx) = conn.transaction() else {
                return false;
            };
            let done = (|| -> Option<()> {
                let task = t(&job.task_id);
                let exists: bool = tx
                    .query_row(
                        "SELECT EXISTS (SELECT 1 FROM aggregation_jobs WHERE task_id = ?1 AND job_id = ?2)",
                        params![task, job.job_id.as_ref()],
                        |r| r.get(0),
                    )
                    .ok()?;
                if !exists {
                    return None;
                }
                if let Some(delta) = &result.aggregate_share {
                    batches::add(&tx, task, job.batch_start, &result.accepted, |prior| {
                        merge(prior, delta)
                    })?;
                }
                tx.execute(
                    "DELETE FROM pending_reports WHERE task_id = ?1 AND job_id = ?2",
                    params![task, job.job_id.as_ref()],
                )
                .ok()?;
                tx.execute(
                    "DELETE FROM aggregation_jobs WHERE task_id = ?1 AND job_id = ?2",
                    params![task, job.job_id.as_ref()],
                )
                .ok()?;
                Some(())
            })();
            done.is_some() && tx.commit().is_ok()
        })
    }

    /// Forgets report ids no report old enough to match could still be
    /// accepted for.
    pub fn forget_report_ids(&self, before: u64) -> Result<usize, DbGone> {
        self.db
            .call(move |conn| batches::forget_report_ids(conn, before))
    }

    /// Creates collection job `job_id` over `interval` (`(start, duration)`,
    /// already checked against the time precision), unless the leader
    /// refuses it. Re-sending the same request is harmless.
    pub fn create_collection_job(
        &self,
        task_id: TaskId,
        job_id: CollectionJobId,
        interval: (u64, u64),
        min_batch_size: u64,
    ) -> Result<(), CreateRefused> {
        self.db
            .call(move |conn| {
                let tx = conn.transaction().map_err(|_| CreateRefused::Db)?;
                let task = t(&task_id);
                let existing: Option<(u64, u64, String)> = tx
                    .query_row(
                        "SELECT batch_start, batch_duration, state FROM collection_jobs
                         WHERE task_id = ?1 AND job_id = ?2",
                        params![task, job_id.as_ref()],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()
                    .map_err(|_| CreateRefused::Db)?;
                if let Some((start, duration, _)) = existing {
                    return if (start, duration) == interval {
                        Ok(())
                    } else {
                        Err(CreateRefused::Conflict)
                    };
                }
                let (start, duration) = interval;
                let end = start + duration;
                // An earlier query of exactly this interval is the same query
                // (Janus: the query count is per aggregation parameter); any
                // other overlap could difference two batches.
                let overlap: bool = tx
                    .query_row(
                        "SELECT EXISTS (SELECT 1 FROM collection_jobs WHERE task_id = ?1
                           AND state != 'failed' AND batch_start < ?3
                           AND ?2 < batch_start + batch_duration
                           AND NOT (batch_start = ?2 AND batch_duration = ?4))",
                        params![task, start, end, duration],
                        |r| r.get(0),
                    )
                    .map_err(|_| CreateRefused::Db)?;
                if overlap {
                    return Err(CreateRefused::Overlap);
                }
                let reports = count_reports(&tx, &task_id, start, end).map_err(|_| CreateRefused::Db)?;
                if reports < min_batch_size {
                    return Err(CreateRefused::TooFew(reports));
                }
                tx.execute(
                    "INSERT INTO collection_jobs (task_id, job_id, batch_start, batch_duration, state)
                     VALUES (?1, ?2, ?3, ?4, 'start')",
                    params![task, job_id.as_ref(), start, duration],
                )
                .map_err(|_| CreateRefused::Db)?;
                tx.commit().map_err(|_| CreateRefused::Db)
            })
            .unwrap_or(Err(CreateRefused::Db))
    }

    pub fn collection_state(
        &self,
        task_id: TaskId,
        job_id: CollectionJobId,
    ) -> Result<Option<CollectionState>, DbGone> {
        self.db.call(move |conn| {
            let row: Option<(String, Option<Vec<u8>>, Option<String>)> = conn
                .query_row(
                    "SELECT state, collection, problem FROM collection_jobs
                     WHERE task_id = ?1 AND job_id = ?2",
                    params![t(&task_id), job_id.as_ref()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .ok()
                .flatten();
            row.map(|(state, collection, problem)| match state.as_str() {
                "finished" => CollectionState::Finished(collection.unwrap_or_default()),
                "failed" => CollectionState::Failed(problem.unwrap_or_default()),
                "deleted" => CollectionState::Deleted,
                _ => CollectionState::Start,
            })
        })
    }

    /// Marks a job deleted (its batch stays collected). `false`: no such job.
    pub fn delete_collection_job(
        &self,
        task_id: TaskId,
        job_id: CollectionJobId,
    ) -> Result<bool, DbGone> {
        self.db.call(move |conn| {
            // A failed job never collected anything; deleting it keeps it failed.
            conn.execute(
                "UPDATE collection_jobs SET state = CASE state WHEN 'failed' THEN 'failed'
                   ELSE 'deleted' END, collection = NULL
                 WHERE task_id = ?1 AND job_id = ?2",
                params![t(&task_id), job_id.as_ref()],
            )
            .map(|n| n > 0)
            .unwrap_or(false)
        })
    }

    /// Collection jobs the driver has to finish.
    pub fn started_collections(&self) -> Result<Vec<CollectionWork>, DbGone> {
        self.db.call(|conn| {
            let rows = (|| -> rusqlite::Result<Vec<CollectionWork>> {
                let mut s = conn.prepare(
                    "SELECT task_id, job_id, batch_start, batch_duration FROM collection_jobs
                     WHERE state = 'start'",
                )?;
                let rows = s
                    .query_map([], |r| {
                        let task: Vec<u8> = r.get(0)?;
                        let job: Vec<u8> = r.get(1)?;
                        Ok((task, job, r.get::<_, u64>(2)?, r.get::<_, u64>(3)?))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows
                    .into_iter()
                    .filter_map(|(task, job, start, duration)| {
                        Some(CollectionWork {
                            task_id: TaskId::try_from(task.as_slice()).ok()?,
                            job_id: CollectionJobId::try_from(job.as_slice()).ok()?,
                            interval: (start, duration),
                        })
                    })
                    .collect())
            })();
            rows.unwrap_or_default()
        })
    }

    /// Whether the interval of `work` can be collected now, and with what.
    pub fn batch_readiness(&self, work: CollectionWork) -> Result<BatchReadiness, DbGone> {
        self.db.call(move |conn| {
            let task = t(&work.task_id);
            let (start, duration) = work.interval;
            let end = start + duration;
            let read = || -> rusqlite::Result<BatchReadiness> {
                let done: Option<Vec<u8>> = conn
                    .query_row(
                        "SELECT collection FROM collection_jobs WHERE task_id = ?1
                           AND state = 'finished' AND batch_start = ?2 AND batch_duration = ?3
                         LIMIT 1",
                        params![task, start, duration],
                        |r| r.get(0),
                    )
                    .optional()?;
                if let Some(collection) = done {
                    return Ok(BatchReadiness::Finished(collection));
                }
                let waiting: bool = conn.query_row(
                    "SELECT EXISTS (SELECT 1 FROM pending_reports WHERE task_id = ?1
                       AND time >= ?2 AND time < ?3)",
                    params![task, start, end],
                    |r| r.get(0),
                )?;
                if waiting {
                    return Ok(BatchReadiness::Waiting);
                }
                Ok(BatchReadiness::Ready(batches::sum(conn, task, start, end)?))
            };
            read().unwrap_or(BatchReadiness::Waiting)
        })
    }

    pub fn finish_collection(
        &self,
        work: CollectionWork,
        outcome: Result<Vec<u8>, String>,
    ) -> Result<(), DbGone> {
        self.db.call(move |conn| {
            let (state, collection, problem) = match outcome {
                Ok(c) => ("finished", Some(c), None),
                Err(p) => ("failed", None, Some(p)),
            };
            let _ = conn.execute(
                "UPDATE collection_jobs SET state = ?3, collection = ?4, problem = ?5
                 WHERE task_id = ?1 AND job_id = ?2 AND state = 'start'",
                params![
                    t(&work.task_id),
                    work.job_id.as_ref(),
                    state,
                    collection,
                    problem
                ],
            );
        })
    }
}

/// Reports of a task in `[start, end)`: aggregated or still pending.
fn count_reports(
    tx: &Transaction<'_>,
    task_id: &TaskId,
    start: u64,
    end: u64,
) -> rusqlite::Result<u64> {
    let aggregated = batches::sum(tx, t(task_id), start, end)?.report_count;
    let pending: u64 = tx.query_row(
        "SELECT COUNT(*) FROM pending_reports WHERE task_id = ?1 AND time >= ?2 AND time < ?3",
        params![t(task_id), start, end],
        |r| r.get(0),
    )?;
    Ok(aggregated + pending)
}

fn in_progress(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<JobRef>> {
    let mut s = conn.prepare("SELECT task_id, job_id, batch_start FROM aggregation_jobs")?;
    let rows = s
        .query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, u64>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(task, job, batch_start)| {
            Some(JobRef {
                task_id: TaskId::try_from(task.as_slice()).ok()?,
                job_id: AggregationJobId::try_from(job.as_slice()).ok()?,
                batch_start,
            })
        })
        .collect())
}
