//! Load generator for the reference DAP aggregators (`scripts/bench dap`):
//! makes `--devices` day reports with hush-core's `DapClient` (every task of
//! the plan, one report each, as a device does), seals each with OHTTP as a
//! device seals it, then uploads them through the leader's OHTTP gateway
//! (`hush serve` in front of `hush leader`) over
//! `--connections` keep-alive connections, checking every sealed answer
//! (inner status 200). Then, given `--leader-db`, it waits until the leader
//! has aggregated every report with the helper (its store holds no pending
//! report), bounded by `--max-seconds`. Prints one JSON line of figures, and
//! the expected total of `tabs.opened` so the caller can check what `hush
//! collect` returns. `--direct URL` uploads straight to a leader's DAP API
//! instead (any DAP-09 leader, such as Janus), without OHTTP.
//!
//! ```text
//! cargo run --release -p hush-cli --example dap_loadgen -- \
//!     --deployment DIR --gateway 127.0.0.1:PORT --leader-db leader.db --devices 500 -c 8
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use hush_core::anonymize::{Anonymizer, Environment};
use hush_core::clock::{Clock, SystemClock, UtcDay};
use hush_core::dap::{DapClient, Plan, TaskConfig};
use hush_core::ohttp::{self, KeyConfigs};
use hush_core::report::{MetricValue, Report, REPORT_FORMAT};
use hush_core::schema::Schema;

#[derive(Parser)]
struct Args {
    /// A deployment made by `hush dap-setup` (its `client/` files are used).
    #[arg(long)]
    deployment: PathBuf,
    /// The address (ADDR:PORT) of the leader's OHTTP gateway (`hush serve`).
    #[arg(long, required_unless_present = "direct")]
    gateway: Option<String>,
    /// The leader's SQLite database, watched (read-only) for the end of aggregation.
    #[arg(long)]
    leader_db: Option<PathBuf>,
    /// Upload with `PUT {URL}tasks/{id}/reports` (a DAP API base URL) instead
    /// of through the gateway at `--gateway`.
    #[arg(long, value_name = "URL")]
    direct: Option<String>,
    /// Devices (each uploads one report per task of the plan).
    #[arg(long, default_value_t = 500)]
    devices: usize,
    /// Concurrent connections.
    #[arg(short = 'c', long, default_value_t = 8)]
    connections: usize,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 300)]
    max_seconds: u64,
    /// The UTC day the reports are for (default: yesterday).
    #[arg(long)]
    day: Option<String>,
}

fn day_report(day: &str, i: usize) -> Report {
    let allow = Anonymizer::shipped().allow_list();
    let metrics = BTreeMap::from([
        (
            "tabs.opened".to_owned(),
            MetricValue::Counter(i as u64 % 50 + 1),
        ),
        (
            "bookmarks.added".to_owned(),
            MetricValue::Counter(i as u64 % 3),
        ),
        (
            "page.domain".to_owned(),
            MetricValue::Domain(BTreeMap::from([
                (allow[i % allow.len()].to_owned(), 1),
                (allow[(i * 7 + 3) % allow.len()].to_owned(), 1),
                ("other".to_owned(), 1),
            ])),
        ),
        (
            "settings.switched".to_owned(),
            MetricValue::LabeledCounter(BTreeMap::from([("dark_mode_on".to_owned(), 1)])),
        ),
    ]);
    Report {
        format: REPORT_FORMAT.into(),
        schema_version: 1,
        report_id: window_key(),
        day: day.to_owned(),
        environment: Environment::coarse("14.2", 30 + (i % 5) as u32, "de").unwrap(),
        metrics,
        errors: Default::default(),
        dropped: Default::default(),
    }
}

/// A random window key (hex): each device's reports get ids of their own.
fn window_key() -> String {
    let mut key = [0u8; 16];
    hush_core::random::fill(&mut key);
    key.iter().map(|b| format!("{b:02x}")).collect()
}

/// One upload, as it goes on the wire.
enum Upload {
    /// Through the gateway: the encapsulated request and what opens its answer.
    Sealed(Vec<u8>, ohttp::ResponseOpener),
    /// Straight to a DAP API: the URL and the report.
    Direct(String, Vec<u8>),
}

/// The encapsulated upload of one report, sealed by the device's own code:
/// Binary HTTP `PUT {leader}tasks/{id}/reports`.
fn sealed_upload(
    config: &TaskConfig,
    keys: &KeyConfigs,
    report: &hush_core::dap::DapReport,
) -> Upload {
    let pending = hush_core::dap::upload::seal(config, keys, report).expect("sealing");
    let (opener, request) = hush_core::seal::split_pending(&pending).expect("opener + request");
    let opener = ohttp::ResponseOpener::from_bytes(opener).expect("an opener");
    Upload::Sealed(request.to_vec(), opener)
}

fn pending(db: &std::path::Path) -> Option<u64> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .ok()?;
    conn.query_row("SELECT COUNT(*) FROM pending_reports", [], |r| r.get(0))
        .ok()
}

fn main() {
    let args = Args::parse();
    let plan = Plan::new(&Schema::default_browser(), Anonymizer::shipped()).expect("plan");
    let config_json = std::fs::read(args.deployment.join("client/dap-tasks.json"))
        .expect("client/dap-tasks.json");
    let config = TaskConfig::parse(
        &config_json,
        &plan,
        hush_core::seal::EndpointRules::LoopbackForTests,
    )
    .expect("task configuration");
    let keys = KeyConfigs::parse(
        &std::fs::read(args.deployment.join("client/ohttp-keys")).expect("client/ohttp-keys"),
    )
    .expect("ohttp-keys");
    let day = args
        .day
        .clone()
        .unwrap_or_else(|| UtcDay(UtcDay::of_ms(SystemClock.now_ms()).0 - 1).iso());
    let client = DapClient::new(plan.clone(), config.clone());

    // Devices shard and seal their days (not timed as the aggregators' work).
    let shard_start = Instant::now();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let direct = args.direct.as_deref();
    let uploads: Vec<Upload> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (client, config, keys, day) = (&client, &config, &keys, &day);
                s.spawn(move || {
                    (0..args.devices)
                        .filter(|i| i % threads == t)
                        .flat_map(|i| {
                            client
                                .day_reports(&day_report(day, i), Anonymizer::shipped())
                                .expect("day reports")
                        })
                        .map(|r| match direct {
                            Some(base) => Upload::Direct(
                                format!("{base}tasks/{}/reports", r.report.task_id),
                                r.report.body,
                            ),
                            None => sealed_upload(config, keys, &r.report),
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let shard_s = shard_start.elapsed().as_secs_f64();
    let count = uploads.len();
    let bytes: usize = uploads
        .iter()
        .map(|u| match u {
            Upload::Sealed(r, _) | Upload::Direct(_, r) => r.len(),
        })
        .sum();

    let uploads = Arc::new(uploads);
    let next = Arc::new(AtomicUsize::new(0));
    let url = format!(
        "http://{}/.well-known/ohttp-gateway",
        args.gateway.as_deref().unwrap_or_default()
    );
    let deadline = Instant::now() + Duration::from_secs(args.max_seconds);
    let start = Instant::now();
    let failures: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..args.connections)
            .map(|_| {
                let (uploads, next, url) = (Arc::clone(&uploads), Arc::clone(&next), &url);
                s.spawn(move || {
                    let agent: ureq::Agent = ureq::Agent::config_builder()
                        .timeout_global(Some(Duration::from_secs(60)))
                        .http_status_as_error(false)
                        .proxy(None)
                        .build()
                        .into();
                    let mut failures = 0;
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= uploads.len() || Instant::now() > deadline {
                            return failures;
                        }
                        let ok = match &uploads[i] {
                            Upload::Sealed(request, opener) => agent
                                .post(url)
                                .header("content-type", "message/ohttp-req")
                                .send(&request[..])
                                .ok()
                                .filter(|r| r.status() == 200)
                                .and_then(|mut r| r.body_mut().read_to_vec().ok())
                                .and_then(|body| opener.open(&body[..]).ok())
                                .and_then(|inner| ohttp::bhttp::decode_response(&inner).ok())
                                .is_some_and(|inner| inner.status == 200),
                            Upload::Direct(target, body) => agent
                                .put(target)
                                .header("content-type", "application/dap-report")
                                .send(&body[..])
                                .is_ok_and(|r| r.status().is_success()),
                        };
                        if !ok {
                            failures += 1;
                        }
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let upload_s = start.elapsed().as_secs_f64();
    let sent = next.load(Ordering::Relaxed).min(count);
    assert!(
        sent == count && failures == 0,
        "{failures} of {sent} uploads failed or timed out"
    );

    if let Some(db) = &args.leader_db {
        while pending(db) != Some(0) {
            assert!(
                Instant::now() < deadline,
                "the leader did not aggregate everything in time"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let aggregated_s = start.elapsed().as_secs_f64();
    let expected_tabs: u64 = (0..args.devices).map(|i| i as u64 % 50 + 1).sum();
    println!(
        "{{\"devices\":{},\"reports\":{count},\"tasks\":{},\"mean_upload_bytes\":{},\"shard_and_seal_s\":{shard_s:.2},\"upload_s\":{upload_s:.2},\"uploads_per_s\":{:.0},\"aggregated_s\":{aggregated_s:.2},\"aggregated_per_s\":{:.0},\"connections\":{},\"day\":\"{day}\",\"expected_tabs_opened\":{expected_tabs}}}",
        args.devices,
        plan.tasks().len(),
        bytes / count.max(1),
        count as f64 / upload_s,
        count as f64 / aggregated_s,
        args.connections,
    );
}
