//! `hush serve`: the reference collector, an Oblivious HTTP gateway and the
//! report target in one process (see [`http`] for the resources and statuses,
//! [`validate`] for what a report must be, [`store`] for the database).
//!
//! Clients are configured with the gateway URL `http://HOST:PORT/gateway`
//! and the key configuration from `GET /ohttp-keys` (or the key directory's
//! `ohttp-keys` file). Once listening, the bound address is printed on stdout
//! as one line, `listening on 127.0.0.1:PORT`, so `--listen 127.0.0.1:0` can be
//! used by scripts. SIGTERM or SIGINT stops accepting, lets requests in
//! progress finish (up to [`SHUTDOWN_GRACE`]), flushes the store and exits 0.
//!
//! Nothing about a request is logged: not the peer address, not a header,
//! not a byte of a report. The only output is the listening line and, at
//! exit, counters on stderr.

pub mod http;
pub mod store;
pub mod validate;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hush_core::schema::Schema;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::Semaphore;

use crate::gateway::{self, Gateway};

/// Open connections beyond this are closed at once (bounded memory).
const MAX_CONNECTIONS: usize = 1024;
/// A client must send its request headers within this time.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long shutdown waits for requests in progress.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

#[derive(clap::Args)]
pub struct Args {
    /// Key directory: ohttp-keys and gateway.key, and gateway.seed if present
    /// (as `hush keygen` writes it).
    #[arg(long, value_name = "DIR")]
    key: PathBuf,
    /// SQLite database of received reports (created if missing).
    #[arg(long, value_name = "FILE")]
    db: PathBuf,
    /// Address to listen on; port 0 picks a free port (printed on stdout).
    #[arg(long, value_name = "ADDR:PORT")]
    listen: SocketAddr,
    /// Metric schema (TOML) reports are validated against; default: the shipped one.
    #[arg(long, value_name = "FILE")]
    schema: Option<PathBuf>,
}

/// What every request handler shares.
pub struct State {
    gateway: Gateway,
    /// The published `application/ohttp-keys` bytes.
    keys: Bytes,
    schema: Schema,
    store: store::StoreHandle,
    stats: Stats,
}

/// Counters only: printed at exit, never per request.
#[derive(Default)]
struct Stats {
    requests: AtomicU64,
    stored: AtomicU64,
    duplicates: AtomicU64,
    invalid: AtomicU64,
    undecryptable: AtomicU64,
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let gateway = Gateway::load(&args.key).map_err(|e| e.to_string())?;
    let keys_path = args.key.join(gateway::KEYS_FILE);
    let keys = std::fs::read(&keys_path).map_err(|e| format!("{}: {e}", keys_path.display()))?;
    let schema = match &args.schema {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            Schema::from_toml(&text).map_err(|e| format!("{}: {e}", p.display()))?
        }
        None => Schema::default_browser(),
    };
    let (store, writer) = store::start(&args.db)?;
    let listener = std::net::TcpListener::bind(args.listen)
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("cannot listen on {local}: {e}"))?;

    let state = Arc::new(State {
        gateway,
        keys: Bytes::from(keys),
        schema,
        store,
        stats: Stats::default(),
    });
    // Two workers: decapsulation is short CPU work, the store has its own thread.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let served = runtime.block_on(serve(Arc::clone(&state), listener, local));
    // Dropping the runtime cancels whatever outlived the grace period, which
    // drops the last store handles, so the writer drains its queue and ends.
    drop(runtime);
    let state = Arc::into_inner(state);
    if let Some(state) = &state {
        let s = &state.stats;
        eprintln!(
            "hush serve: stopped; {} requests, {} reports stored, {} duplicates, {} invalid, {} undecryptable",
            s.requests.load(Ordering::Relaxed),
            s.stored.load(Ordering::Relaxed),
            s.duplicates.load(Ordering::Relaxed),
            s.invalid.load(Ordering::Relaxed),
            s.undecryptable.load(Ordering::Relaxed),
        );
    }
    drop(state);
    writer.finish();
    served.map(|()| ExitCode::SUCCESS)
}

async fn serve(
    state: Arc<State>,
    listener: std::net::TcpListener,
    local: SocketAddr,
) -> Result<(), String> {
    let listener = tokio::net::TcpListener::from_std(listener)
        .map_err(|e| format!("cannot listen on {local}: {e}"))?;
    let mut term = signal(SignalKind::terminate()).map_err(|e| format!("signals: {e}"))?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| format!("signals: {e}"))?;
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        // Scripts wait for this line; if stdout is gone there is no one to tell.
        let _ = writeln!(out, "listening on {local}").and_then(|()| out.flush());
    }

    let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                // The peer address is dropped unread: the collector keeps no IPs.
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => {
                        // Out of file descriptors or a connection reset before
                        // accept: back off briefly instead of spinning.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
                    continue; // too many connections: close this one
                };
                let _ = stream.set_nodelay(true);
                let state = Arc::clone(&state);
                let conn = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .max_buf_size(http::MAX_BODY + 16 * 1024)
                    .serve_connection(
                        TokioIo::new(stream),
                        service_fn(move |req| http::handle(Arc::clone(&state), req)),
                    );
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    // A connection error (reset, bad request line) only ends that connection.
                    let _ = conn.await;
                    drop(permit);
                });
            }
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {}
    }
    Ok(())
}
