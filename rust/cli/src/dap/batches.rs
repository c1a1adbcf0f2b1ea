//! What the leader and the helper keep alike, in one place: the report ids
//! each has seen per task (replay protection) and, per task and
//! time-precision batch, its aggregate share, the report count and the
//! report-id checksum. Tables are `WITHOUT ROWID`, keyed by random ids, so
//! not even an insertion order is recorded.

use rusqlite::{params, Connection, OptionalExtension as _};

use super::checksum::{self, Checksum};

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS report_ids (
    task_id   BLOB NOT NULL,
    report_id BLOB NOT NULL,
    time      INTEGER NOT NULL,
    PRIMARY KEY (task_id, report_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS batch_aggregations (
    task_id         BLOB NOT NULL,
    batch_start     INTEGER NOT NULL,
    aggregate_share BLOB NOT NULL,
    report_count    INTEGER NOT NULL,
    checksum        BLOB NOT NULL,
    PRIMARY KEY (task_id, batch_start)
) WITHOUT ROWID;
";

/// Records a report id of `task`; `false` if the task already had it.
pub fn record_report_id(
    conn: &Connection,
    task: &[u8],
    id: &[u8; 16],
    time: u64,
) -> rusqlite::Result<bool> {
    conn.execute(
        "INSERT INTO report_ids (task_id, report_id, time) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        params![task, &id[..], time],
    )
    .map(|n| n == 1)
}

/// Forgets report ids of reports older than `before` (none that old is
/// accepted any more).
pub fn forget_report_ids(conn: &Connection, before: u64) -> usize {
    conn.execute("DELETE FROM report_ids WHERE time < ?1", params![before])
        .unwrap_or(0)
}

/// Adds reports `ids` to a batch: `merge` turns the batch's aggregate share
/// so far (none for a new batch) into the new one. `None` if anything
/// failed; the caller's transaction then writes nothing.
pub fn add(
    conn: &Connection,
    task: &[u8],
    batch: u64,
    ids: &[[u8; 16]],
    merge: impl FnOnce(Option<&[u8]>) -> Option<Vec<u8>>,
) -> Option<()> {
    let prior: Option<(Vec<u8>, u64, Vec<u8>)> = conn
        .query_row(
            "SELECT aggregate_share, report_count, checksum FROM batch_aggregations
             WHERE task_id = ?1 AND batch_start = ?2",
            params![task, batch],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .ok()?;
    let share = merge(prior.as_ref().map(|p| p.0.as_slice()))?;
    let count = prior.as_ref().map_or(0, |p| p.1) + ids.len() as u64;
    let sum = checksum::combine(
        &prior
            .as_ref()
            .map_or([0; 32], |p| checksum::from_slice(&p.2)),
        &checksum::of_reports(ids),
    );
    conn.execute(
        "INSERT INTO batch_aggregations (task_id, batch_start, aggregate_share, report_count, checksum)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (task_id, batch_start) DO UPDATE SET aggregate_share = excluded.aggregate_share,
           report_count = excluded.report_count, checksum = excluded.checksum",
        params![task, batch, share, count, &sum[..]],
    )
    .ok()?;
    Some(())
}

/// The batches of a task in `[start, end)`, together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sum {
    pub report_count: u64,
    pub checksum: Checksum,
    /// Each batch's aggregate share, for the VDAF to merge.
    pub shares: Vec<Vec<u8>>,
    /// The starts of the first and the last batch with reports.
    pub span: Option<(u64, u64)>,
}

pub fn sum(conn: &Connection, task: &[u8], start: u64, end: u64) -> rusqlite::Result<Sum> {
    let mut s = conn.prepare(
        "SELECT batch_start, aggregate_share, report_count, checksum FROM batch_aggregations
         WHERE task_id = ?1 AND batch_start >= ?2 AND batch_start < ?3 ORDER BY batch_start",
    )?;
    let mut sum = Sum {
        report_count: 0,
        checksum: [0; 32],
        shares: Vec::new(),
        span: None,
    };
    let rows = s.query_map(params![task, start, end], |r| {
        Ok((
            r.get::<_, u64>(0)?,
            r.get::<_, Vec<u8>>(1)?,
            r.get::<_, u64>(2)?,
            r.get::<_, Vec<u8>>(3)?,
        ))
    })?;
    for row in rows {
        let (batch, share, count, cs) = row?;
        sum.report_count += count;
        sum.checksum = checksum::combine(&sum.checksum, &checksum::from_slice(&cs));
        sum.shares.push(share);
        sum.span = Some((sum.span.map_or(batch, |s| s.0), batch));
    }
    Ok(sum)
}
