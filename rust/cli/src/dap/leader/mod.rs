//! `hush leader`: the reference DAP-09 leader. It takes uploads, drives
//! aggregation jobs with the helper, and answers the collector's collection
//! jobs. See [`upload`], [`collection`], [`driver`] and [`store`].
//!
//! Its DAP API is plain HTTP. Devices reach the upload endpoint only through
//! an OHTTP gateway in front of it, a process of its own (`hush serve
//! --target-url` pointing here, or any standard OHTTP gateway), which the
//! relay forwards to: the leader never sees a device's address (P10).
//!
//! Once listening it prints `listening on ADDR` on stdout (then `admin on
//! ADDR` with `--admin-listen`: `/metrics` and `/healthz` for the operator);
//! SIGTERM or SIGINT stops it after requests in progress, and it prints its
//! counters on stderr. Nothing about a request is ever logged.

pub mod collection;
pub mod driver;
pub mod store;
pub mod upload;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hyper::Method;

use super::aggregator::{Aggregator, ProcessArgs};
use super::deployment::Role;
use super::http::{self, Request, Resource, Response};
use super::peer::Peer;
use super::problem::Problem;
use crate::prometheus::{self, Histogram};
use store::LeaderStore;

/// An upload body may be this large: a day's largest report (the page
/// domains, about 50 KB) with room to spare.
pub const MAX_UPLOAD: usize = 256 * 1024;
/// Any other request to the leader.
const MAX_OTHER: usize = 64 * 1024;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    process: ProcessArgs,
    /// A second address for the operator: /metrics (Prometheus) and /healthz.
    #[arg(long, value_name = "ADDR:PORT")]
    admin_listen: Option<SocketAddr>,
    /// Where the helper is, if not at the configuration's peer_aggregator_endpoint.
    #[arg(long, value_name = "URL")]
    helper_url: Option<String>,
    /// How often the leader looks for reports to aggregate and jobs to finish.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    aggregation_interval_ms: u64,
    /// Timeout of one request to the helper.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    helper_timeout_secs: u64,
}

/// Counters only (printed at exit, and on the admin listener's `/metrics`),
/// never per request.
#[derive(Default)]
pub struct Stats {
    pub uploads: AtomicU64,
    pub duplicates: AtomicU64,
    pub uploads_refused: AtomicU64,
    pub reports_aggregated: AtomicU64,
    pub reports_failed: AtomicU64,
    pub jobs_dropped: AtomicU64,
    pub collections: AtomicU64,
    /// From an upload's checks passed to its durable commit.
    pub store_latency: Histogram,
}

impl Stats {
    pub fn count(&self, c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub fn add(&self, c: &AtomicU64, n: usize) {
        c.fetch_add(n as u64, Ordering::Relaxed);
    }

    fn render(&self) -> String {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut out = String::new();
        prometheus::labelled_counter(
            &mut out,
            "hush_leader_uploads_total",
            "Uploads, by outcome: stored, duplicate (a report id already stored: counts once), refused (a DAP problem).",
            "outcome",
            [
                ("stored", g(&self.uploads)),
                ("duplicate", g(&self.duplicates)),
                ("refused", g(&self.uploads_refused)),
            ],
        );
        for (name, help, value) in [
            (
                "hush_leader_reports_aggregated_total",
                "Reports prepared by both aggregators and added to their batch.",
                g(&self.reports_aggregated),
            ),
            (
                "hush_leader_reports_failed_total",
                "Reports refused in preparation (an invalid proof, a replayed id).",
                g(&self.reports_failed),
            ),
            (
                "hush_leader_jobs_dropped_total",
                "Aggregation jobs given up.",
                g(&self.jobs_dropped),
            ),
            (
                "hush_leader_collections_total",
                "Collection jobs finished.",
                g(&self.collections),
            ),
        ] {
            prometheus::counter(&mut out, name, help, value);
        }
        self.store_latency.render(
            &mut out,
            "hush_leader_store_latency_seconds",
            "Time from an upload's checks to its durable commit.",
        );
        out
    }

    fn summary(&self) -> String {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        format!(
            "{} reports stored, {} duplicates, {} refused; {} aggregated, {} failed preparation, {} jobs dropped; {} collections",
            g(&self.uploads),
            g(&self.duplicates),
            g(&self.uploads_refused),
            g(&self.reports_aggregated),
            g(&self.reports_failed),
            g(&self.jobs_dropped),
            g(&self.collections),
        )
    }
}

pub struct Leader {
    pub agg: Aggregator,
    pub store: LeaderStore,
    pub stats: Stats,
}

impl Leader {
    /// The DAP router: every request to the DAP API.
    pub fn dap(&self, req: Request) -> Response {
        let resource = match http::resource(&self.agg.base_path, &req.path) {
            Ok(r) => r,
            Err(answer) => return answer,
        };
        match resource {
            Resource::HpkeConfig => self.agg.hpke_config(&req),
            Resource::Reports(task_id) => {
                if req.method == Method::PUT {
                    upload::upload(self, task_id, &req)
                } else {
                    Response::method_not_allowed("PUT")
                }
            }
            Resource::CollectionJob(task_id, job_id) => {
                collection::handle(self, task_id, job_id, &req)
            }
            // The helper's resources: the leader has no helper task by that id (Janus).
            Resource::AggregationJob(task_id, _) | Resource::AggregateShares(task_id) => {
                Problem::unrecognized_task(&task_id).into()
            }
        }
    }
}

impl http::Service for Leader {
    fn body_limit(&self, method: &Method, path: &str, _: &hyper::HeaderMap) -> usize {
        if method == Method::PUT && upload::is_upload_path(&self.agg.base_path, path) {
            MAX_UPLOAD
        } else {
            MAX_OTHER
        }
    }

    fn handle(&self, req: Request) -> Response {
        self.dap(req)
    }

    fn finish(&self, path: &str, answer: Response) -> Response {
        if upload::is_upload_path(&self.agg.base_path, path) {
            upload::one_size(answer)
        } else {
            answer
        }
    }

    fn metrics(&self) -> String {
        self.stats.render()
    }
}

pub fn run(args: Args) -> Result<std::process::ExitCode, String> {
    let (agg, db, writer) = args.process.open(Role::Leader, store::SCHEMA)?;
    let token = agg
        .peer_token
        .clone()
        .ok_or("the leader needs aggregator_auth_token")?;
    let helper_url = args
        .helper_url
        .clone()
        .unwrap_or_else(|| agg.peer_url.clone());
    if http::base_path(&helper_url).is_none() {
        return Err("--helper-url must be an http(s) URL ending in '/'".into());
    }
    let leader = Arc::new(Leader {
        agg,
        store: LeaderStore::new(db),
        stats: Stats::default(),
    });
    let stop = Arc::new(AtomicBool::new(false));
    let driver = driver::Driver {
        leader: Arc::clone(&leader),
        helper: Peer::new(
            &helper_url,
            token,
            Duration::from_secs(args.helper_timeout_secs),
        ),
        interval: Duration::from_millis(args.aggregation_interval_ms.max(10)),
        stop: Arc::clone(&stop),
    };
    let driver = std::thread::Builder::new()
        .name("dap-driver".into())
        .spawn(move || driver.run())
        .map_err(|e| format!("cannot start the aggregation driver: {e}"))?;
    let served = http::run(Arc::clone(&leader), args.process.listen, args.admin_listen);
    stop.store(true, Ordering::Relaxed);
    // A request to the helper in flight may take its timeout; the store is
    // transactional, so leaving it behind loses nothing.
    let waited = std::time::Instant::now();
    while !driver.is_finished() && waited.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!("hush leader: stopped; {}", leader.stats.summary());
    if driver.is_finished() {
        let _ = driver.join();
        drop(leader);
        writer.finish();
    }
    served.map(|()| std::process::ExitCode::SUCCESS)
}
