//! The collector's SQLite store, owned by one writer thread.
//!
//! Table `reports` (one row per report id, see [`SCHEMA_SQL`]) holds exactly
//! what a validated report carries and nothing about its delivery: no arrival
//! time, address or header. It is a `WITHOUT ROWID` table keyed by the random
//! report id, so not even an insertion-order rowid records which report came
//! first.
//!
//! An acknowledged report is deleted by the client, so a row must be durable
//! before the answer leaves: commits run with `synchronous = FULL`. To keep
//! that fast under load, the writer commits whatever is queued in one
//! transaction (group commit) and then answers every request in it.

use std::path::Path;
use std::thread::JoinHandle;

use rusqlite::{params, Connection, OpenFlags};
use tokio::sync::{mpsc, oneshot};

/// Version of the table layout below (`PRAGMA user_version`).
pub const DB_VERSION: i64 = 1;

pub const SCHEMA_SQL: &str = "
CREATE TABLE IF NOT EXISTS reports (
    report_id      TEXT PRIMARY KEY NOT NULL, -- 32 hex chars, random per report: de-duplication only
    day            TEXT NOT NULL,             -- YYYY-MM-DD (UTC), the only time a report carries
    schema_version INTEGER NOT NULL,          -- the app's metric schema version
    metrics        TEXT NOT NULL,             -- JSON: the report's `metrics` object
    errors         TEXT NOT NULL,             -- JSON: the report's `errors` object (recording errors)
    dropped        TEXT NOT NULL              -- JSON: the report's `dropped` object (drop counters)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS reports_by_day ON reports (day);
";

/// Most reports committed in one transaction.
const MAX_BATCH: usize = 512;
/// Requests waiting for the writer; beyond this, handlers wait (backpressure).
const QUEUE: usize = 4096;

/// A validated report, reduced to what is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub report_id: String,
    pub day: String,
    pub schema_version: u32,
    pub metrics: String,
    pub errors: String,
    pub dropped: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    New,
    /// The report id was already stored; nothing changed.
    Duplicate,
}

/// The write failed (disk full, I/O error) or the writer is gone; the client
/// should try again later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreFailed;

struct Job {
    row: Row,
    reply: oneshot::Sender<Result<Stored, StoreFailed>>,
}

/// Cloneable handle the request handlers use.
#[derive(Clone)]
pub struct StoreHandle(mpsc::Sender<Job>);

impl StoreHandle {
    pub async fn insert(&self, row: Row) -> Result<Stored, StoreFailed> {
        let (reply, answer) = oneshot::channel();
        self.0
            .send(Job { row, reply })
            .await
            .map_err(|_| StoreFailed)?;
        answer.await.map_err(|_| StoreFailed)?
    }
}

/// The writer thread; [`Writer::finish`] waits for it once every handle is dropped.
pub struct Writer(JoinHandle<()>);

impl Writer {
    pub fn finish(self) {
        // The thread only ends by its queue closing; a panic there was already reported.
        let _ = self.0.join();
    }
}

/// Creates the database file 0600 if it is missing, and narrows an existing
/// one (and its `-wal` and `-shm` files) to 0600: reports are no one else's
/// to read. SQLite gives the `-wal` and `-shm` files it creates later the
/// database file's mode.
fn private_files(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::set_permissions(&name, std::fs::Permissions::from_mode(0o600)) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            other => other?,
        }
    }
    Ok(())
}

pub fn open_for_writing(path: &Path) -> Result<Connection, String> {
    private_files(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let conn = Connection::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let setup = || -> rusqlite::Result<()> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // WAL lets `hush query` read while the server writes.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version != 0 && version != DB_VERSION {
            return Err(rusqlite::Error::InvalidQuery);
        }
        conn.execute_batch(SCHEMA_SQL)?;
        conn.pragma_update(None, "user_version", DB_VERSION)?;
        Ok(())
    };
    setup().map_err(|e| match e {
        rusqlite::Error::InvalidQuery => format!(
            "{}: not a hush collector database of version {DB_VERSION}",
            path.display()
        ),
        e => format!("{}: {e}", path.display()),
    })?;
    Ok(conn)
}

pub fn open_for_reading(path: &Path) -> Result<Connection, String> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if version != DB_VERSION {
        return Err(format!(
            "{}: not a hush collector database of version {DB_VERSION}",
            path.display()
        ));
    }
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(conn)
}

/// Opens (or creates) the database and starts its writer thread.
pub fn start(path: &Path) -> Result<(StoreHandle, Writer), String> {
    let mut conn = open_for_writing(path)?;
    let (tx, mut rx) = mpsc::channel::<Job>(QUEUE);
    let thread = std::thread::Builder::new()
        .name("hush-store".into())
        .spawn(move || {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while let Some(first) = rx.blocking_recv() {
                batch.push(first);
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                let result = write_batch(&mut conn, &batch);
                if result.is_err() {
                    // No detail: a SQLite error can quote values.
                    eprintln!("hush serve: storing a batch of reports failed; clients will retry");
                }
                for (i, job) in batch.drain(..).enumerate() {
                    let answer = match &result {
                        Ok(outcomes) => Ok(outcomes[i]),
                        Err(_) => Err(StoreFailed),
                    };
                    // The handler may be gone (client hung up); nothing to do then.
                    let _ = job.reply.send(answer);
                }
            }
        })
        .map_err(|e| format!("cannot start the store thread: {e}"))?;
    Ok((StoreHandle(tx), Writer(thread)))
}

/// One transaction for the whole batch: all rows are durable or none is.
fn write_batch(conn: &mut Connection, batch: &[Job]) -> rusqlite::Result<Vec<Stored>> {
    let tx = conn.transaction()?;
    let mut outcomes = Vec::with_capacity(batch.len());
    {
        let mut insert = tx.prepare(
            "INSERT INTO reports (report_id, day, schema_version, metrics, errors, dropped)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (report_id) DO NOTHING",
        )?;
        for job in batch {
            let r = &job.row;
            let changed = insert.execute(params![
                r.report_id,
                r.day,
                r.schema_version,
                r.metrics,
                r.errors,
                r.dropped
            ])?;
            outcomes.push(if changed == 1 {
                Stored::New
            } else {
                Stored::Duplicate
            });
        }
    }
    tx.commit()?;
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str) -> Row {
        Row {
            report_id: id.into(),
            day: "2024-03-01".into(),
            schema_version: 1,
            metrics: "{}".into(),
            errors: "{}".into(),
            dropped: "{}".into(),
        }
    }

    #[test]
    fn duplicates_are_stored_once_and_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (handle, writer) = start(&path).unwrap();
        rt.block_on(async {
            assert_eq!(handle.insert(row("a")).await, Ok(Stored::New));
            assert_eq!(handle.insert(row("a")).await, Ok(Stored::Duplicate));
            assert_eq!(handle.insert(row("b")).await, Ok(Stored::New));
        });
        drop(handle);
        writer.finish();
        let conn = open_for_reading(&path).unwrap();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM reports", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);
        // Reopening for writing keeps the data and the layout version.
        let (handle, writer) = start(&path).unwrap();
        rt.block_on(async {
            assert_eq!(handle.insert(row("b")).await, Ok(Stored::Duplicate));
        });
        drop(handle);
        writer.finish();
    }

    #[test]
    fn a_foreign_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 42).unwrap();
        drop(conn);
        assert!(start(&path).err().unwrap().contains("not a hush collector"));
        assert!(open_for_reading(&path)
            .err()
            .unwrap()
            .contains("not a hush collector"));
    }

    #[test]
    fn the_database_and_its_wal_are_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let mode = |suffix: &str| {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            std::fs::metadata(&name).unwrap().permissions().mode() & 0o777
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (handle, writer) = start(&path).unwrap();
        rt.block_on(async { handle.insert(row("a")).await.unwrap() });
        for suffix in ["", "-wal", "-shm"] {
            assert_eq!(mode(suffix), 0o600, "c.db{suffix}");
        }
        drop(handle);
        writer.finish();
        // A database another tool left readable is narrowed at start.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let (handle, writer) = start(&path).unwrap();
        assert_eq!(mode(""), 0o600);
        drop(handle);
        writer.finish();
    }
}
