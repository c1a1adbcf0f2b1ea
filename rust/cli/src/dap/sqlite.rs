//! An aggregator's SQLite database, owned by one writer thread: every read
//! and write is a closure sent to it, so the store has a single writer and
//! no lock to get wrong.
//!
//! What an aggregator acknowledges must survive a crash (the phone deletes
//! an uploaded report; the helper's answer is final), so commits use
//! `synchronous = FULL` in WAL mode. To keep that fast under load, queued
//! [`Db::grouped`] operations (uploads) share one transaction, each inside
//! its own savepoint, and learn the outcome only after the commit.

use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;

use rusqlite::{Connection, OpenFlags, Transaction};

/// Most grouped operations in one commit.
const MAX_GROUP: usize = 256;

type Call = Box<dyn FnOnce(&mut Connection) + Send>;
/// Runs inside a savepoint of the shared transaction; returns what to do
/// once the commit's outcome (`true`: durable) is known.
type GroupedOp = Box<dyn FnOnce(&Transaction<'_>) -> Box<dyn FnOnce(bool) + Send> + Send>;

enum Op {
    Call(Call),
    Grouped(GroupedOp),
}

/// Creates the database file 0600 if it is missing, and narrows an existing
/// one (and its `-wal`, `-shm` and `-journal` files) to 0600: shares, keys
/// of replay protection and aggregates are no one else's to read. SQLite
/// gives the `-wal` and `-shm` files it creates later the database file's
/// mode.
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

/// The writer thread is gone (it panicked or the database failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the database is unavailable")]
pub struct DbGone;

#[derive(Clone)]
pub struct Db {
    ops: mpsc::SyncSender<Op>,
}

pub struct Writer(Option<JoinHandle<()>>);

impl Writer {
    /// Waits for the writer to finish what is queued (after every [`Db`]
    /// handle is dropped).
    pub fn finish(mut self) {
        if let Some(h) = self.0.take() {
            let _ = h.join();
        }
    }
}

impl Db {
    /// Opens (or creates) the database at `path` and applies `schema`
    /// (idempotent `CREATE ... IF NOT EXISTS` statements, in parts).
    pub fn open(path: &Path, schema: &[&str]) -> Result<(Self, Writer), String> {
        private_files(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| format!("{}: {e}", path.display()))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
        )
        .and_then(|()| schema.iter().try_for_each(|part| conn.execute_batch(part)))
        .map_err(|e| format!("{}: {e}", path.display()))?;
        let (ops, rx) = mpsc::sync_channel::<Op>(4096);
        let handle = std::thread::Builder::new()
            .name("dap-db".into())
            .spawn(move || writer(conn, rx))
            .map_err(|e| format!("cannot start the database thread: {e}"))?;
        Ok((Self { ops }, Writer(Some(handle))))
    }

    /// Runs `f` on the writer thread, alone, and returns its result.
    pub fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> R + Send + 'static,
    ) -> Result<R, DbGone> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.ops
            .send(Op::Call(Box::new(move |conn| {
                let _ = tx.send(f(conn));
            })))
            .map_err(|_| DbGone)?;
        rx.recv().map_err(|_| DbGone)
    }

    /// Runs `f` in a savepoint of a transaction it may share with other
    /// grouped operations; returns `f`'s result once the transaction is
    /// durable, or `Err` if the commit failed. `f` returning `Err` rolls
    /// back only its own savepoint.
    pub fn grouped<R: Send + 'static, E: Send + 'static>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<R, E> + Send + 'static,
    ) -> Result<Result<R, E>, DbGone> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.ops
            .send(Op::Grouped(Box::new(move |t| {
                let result = in_savepoint(t, f);
                Box::new(move |committed| {
                    let _ = tx.send(committed.then_some(result));
                })
            })))
            .map_err(|_| DbGone)?;
        rx.recv().map_err(|_| DbGone)?.ok_or(DbGone)
    }
}

/// `f` in a savepoint, rolled back if `f` fails or the savepoint cannot be
/// released.
fn in_savepoint<R, E>(
    t: &Transaction<'_>,
    f: impl FnOnce(&Transaction<'_>) -> Result<R, E>,
) -> Result<R, E> {
    // Savepoint names are fixed: grouped operations run one after another.
    let _ = t.execute_batch("SAVEPOINT op");
    match f(t) {
        Ok(r) => {
            let _ = t.execute_batch("RELEASE op");
            Ok(r)
        }
        Err(e) => {
            let _ = t.execute_batch("ROLLBACK TO op; RELEASE op");
            Err(e)
        }
    }
}

fn writer(mut conn: Connection, rx: mpsc::Receiver<Op>) {
    let mut next: Option<Op> = None;
    loop {
        let op = match next.take() {
            Some(op) => op,
            None => match rx.recv() {
                Ok(op) => op,
                Err(_) => return,
            },
        };
        match op {
            Op::Call(f) => f(&mut conn),
            Op::Grouped(first) => {
                let mut ops = vec![first];
                while ops.len() < MAX_GROUP {
                    match rx.try_recv() {
                        Ok(Op::Grouped(op)) => ops.push(op),
                        Ok(other) => {
                            next = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                run_group(&mut conn, ops);
            }
        }
    }
}

fn run_group(conn: &mut Connection, ops: Vec<GroupedOp>) {
    let Ok(t) = conn.transaction() else {
        // Cannot even begin: every operation fails, nothing was applied.
        for op in ops {
            drop(op);
        }
        return;
    };
    let replies: Vec<_> = ops.into_iter().map(|op| op(&t)).collect();
    let committed = t.commit().is_ok();
    for reply in replies {
        reply(committed);
    }
}
