//! `hush serve`: an Oblivious HTTP gateway ([`http`], [`listener`]) in front
//! of a plain-HTTP target ([`forward`]): the reference DAP leader, `hush
//! leader`, whose upload endpoint devices reach through it. Gateway and
//! leader are separate processes, as in a real deployment: any standard
//! OHTTP gateway (`ohttp-gateway`, a cloud's privacy gateway) can take this
//! one's place, and this one can front any DAP leader (Janus).
//!
//! Clients are configured with the gateway URL
//! `http://HOST:PORT/.well-known/ohttp-gateway` (or `/gateway`) and the key
//! configuration from `GET` on either (or the key directory's `ohttp-keys`).
//! Once listening, the bound address is printed on stdout as one line,
//! `listening on 127.0.0.1:PORT` (then `admin on ...` with `--admin-listen`),
//! so `--listen 127.0.0.1:0` can be used by scripts. SIGTERM or SIGINT stops
//! accepting, lets requests in progress finish (up to [`SHUTDOWN_GRACE`])
//! and exits 0.
//!
//! Nothing about a request is logged: not the peer address, not a header,
//! not a byte of a report. The only output is the listening lines and, at
//! exit, counters on stderr. `--admin-listen` adds `/metrics` (Prometheus)
//! and `/healthz` on a second address for the operator; the public listener
//! has `/healthz` too.
//!
//! Every flag has a key of the same name in `--config FILE` (TOML); a flag
//! given on the command line wins ([`config`]).

pub mod config;
pub mod forward;
pub mod http;
pub mod listener;
pub mod metrics;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::server::graceful::GracefulShutdown;
use tokio::signal::unix::{signal, SignalKind};

use crate::dap::http::bind;
use crate::gateway::Gateway;
use config::ServeConfig;
use forward::Target;
use http::App;
use listener::{Open, Service};
use metrics::{Metrics, Outcome};

pub use config::Args;

/// How long shutdown waits for requests in progress.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

pub fn run(args: Args) -> Result<ExitCode, String> {
    let config = ServeConfig::from_args(args)?;
    let metrics = Arc::new(Metrics::default());
    let gateway = load_gateway(&config)?;
    let target = Target::new(
        &config.target_url,
        config.target_timeout,
        Arc::clone(&metrics),
    )?;
    let public = bind(config.listen)?;
    let admin = config.admin_listen.map(bind).transpose()?;

    let app = Arc::new(App {
        gateway,
        target,
        metrics: Arc::clone(&metrics),
    });
    // Two workers: decapsulation is short CPU work, the target does the rest.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let served = runtime.block_on(serve(Arc::clone(&app), public, admin, config.limits));
    // Dropping the runtime cancels whatever outlived the grace period.
    drop(runtime);
    drop(app);
    let m = &metrics;
    eprintln!(
        "hush serve: stopped; {} accepted, {} refused, {} target errors, {} target unreachable, {} key problems, {} malformed",
        m.get(Outcome::Accepted),
        m.get(Outcome::Refused),
        m.get(Outcome::TargetError),
        m.get(Outcome::TargetFailed),
        m.get(Outcome::KeyProblem),
        m.get(Outcome::Malformed),
    );
    served.map(|()| ExitCode::SUCCESS)
}

fn load_gateway(config: &ServeConfig) -> Result<Gateway, String> {
    Gateway::load_keys(&config.keys, &config.retired_keys).map_err(|e| e.to_string())
}

type Bound = (std::net::TcpListener, SocketAddr);

async fn serve(
    app: Arc<App>,
    public: Bound,
    admin: Option<Bound>,
    limits: listener::Limits,
) -> Result<(), String> {
    let to_tokio = |(l, local): Bound| {
        tokio::net::TcpListener::from_std(l)
            .map(|l| (l, local))
            .map_err(|e| format!("cannot listen on {local}: {e}"))
    };
    let (public, public_addr) = to_tokio(public)?;
    let admin = admin.map(to_tokio).transpose()?;
    let mut term = signal(SignalKind::terminate()).map_err(|e| format!("signals: {e}"))?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| format!("signals: {e}"))?;
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        // Scripts wait for these lines; if stdout is gone there is no one to tell.
        let _ = writeln!(out, "listening on {public_addr}");
        if let Some((_, addr)) = &admin {
            let _ = writeln!(out, "admin on {addr}");
        }
        let _ = out.flush();
    }
    let graceful = GracefulShutdown::new();
    let (public_open, admin_open) = (Arc::new(Open::default()), Arc::new(Open::default()));
    // The admin listener is the operator's: a small cap of its own, so a
    // flood of the public one never locks the operator out.
    let admin_limits = listener::Limits {
        max_connections: 64,
        ..limits
    };
    loop {
        tokio::select! {
            () = listener::accept_one(&public, &app, Service::Public, &public_open, limits, &graceful) => {}
            () = async {
                match &admin {
                    Some((l, _)) => listener::accept_one(l, &app, Service::Admin, &admin_open, admin_limits, &graceful).await,
                    None => std::future::pending().await,
                }
            } => {}
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    drop(public);
    drop(admin);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {}
    }
    Ok(())
}
