//! Load generator for `hush serve`: seals N distinct reports in the 4 KiB
//! size bucket with hush-core (the client's own sealing code), then POSTs
//! them to the gateway over K concurrent keep-alive connections and checks
//! every sealed answer (inner status 200). Bounded in count (`-n`) and time
//! (`--max-seconds`); prints one JSON line of figures.
//!
//! ```text
//! cargo run --release -p hush-cli --example loadgen -- \
//!     --endpoint http://127.0.0.1:PORT/gateway --keys KEYDIR/ohttp-keys -n 20000 -c 8
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use hush_core::anonymize::Environment;
use hush_core::clock::{Clock, SystemClock, UtcDay};
use hush_core::ohttp::{self, KeyConfigs, ResponseOpener};
use hush_core::report::{MetricValue, Report, REPORT_FORMAT};

/// Every report is padded to this size bucket (what a busy day produces).
const REPORT_BUCKET: usize = 4096;

#[derive(Parser)]
struct Args {
    /// The gateway URL of `hush serve` (http://127.0.0.1:PORT/gateway).
    #[arg(long)]
    endpoint: String,
    /// The collector's `ohttp-keys` file.
    #[arg(long)]
    keys: PathBuf,
    /// Reports to send (each distinct).
    #[arg(short = 'n', long, default_value_t = 10_000)]
    count: usize,
    /// Concurrent connections.
    #[arg(short = 'c', long, default_value_t = 8)]
    connections: usize,
    /// Stop sending after this many seconds, whatever is left.
    #[arg(long, default_value_t = 60)]
    max_seconds: u64,
}

fn report(run: &str, i: usize) -> Report {
    let labels = |names: &[&str]| -> BTreeMap<String, u64> {
        names
            .iter()
            .enumerate()
            .map(|(k, n)| (n.to_string(), (i + k) as u64 % 7 + 1))
            .collect()
    };
    let metrics = BTreeMap::from([
        (
            "tabs.opened".into(),
            MetricValue::Counter(i as u64 % 50 + 1),
        ),
        ("bookmarks.added".into(), MetricValue::Counter(2)),
        ("downloads.started".into(), MetricValue::Counter(1)),
        ("reader_mode.used".into(), MetricValue::Counter(3)),
        (
            "settings.search_suggestions_enabled".into(),
            MetricValue::Boolean(i % 2 == 0),
        ),
        (
            "settings.switched".into(),
            MetricValue::LabeledCounter(labels(&[
                "dark_mode_on",
                "dark_mode_off",
                "ad_blocker_on",
                "data_saver_on",
                "javascript_off",
                "search_suggestions_on",
            ])),
        ),
        (
            "news.items_viewed".into(),
            MetricValue::LabeledCounter(labels(&[
                "headlines",
                "world",
                "business",
                "technology",
                "science",
                "sports",
                "entertainment",
                "health",
            ])),
        ),
        (
            "page.load_time_ms".into(),
            MetricValue::Histogram {
                bounds: vec![100, 250, 500, 1000, 2500, 5000, 10000, 30000],
                counts: vec![3, 9, 14, 20, 8, 2, 1, 0, 0],
            },
        ),
        (
            "page.domain".into(),
            // Once per domain and day: the shipped schema's cap.
            MetricValue::Domain(
                ["wikipedia.org", "google.com", "other"]
                    .iter()
                    .map(|d| (d.to_string(), 1))
                    .collect(),
            ),
        ),
        (
            "search.engine".into(),
            MetricValue::SearchEngine(labels(&["google", "bing"])),
        ),
    ]);
    Report {
        format: REPORT_FORMAT.into(),
        schema_version: 1,
        // 16 random bytes per run + the index: distinct within and across runs.
        report_id: format!("{run}{i:016x}"),
        // Yesterday: the collector accepts only recent days.
        day: UtcDay(UtcDay::of_ms(Clock::now_ms(&SystemClock)).0 - 1).iso(),
        environment: Environment::coarse("14.2.7", 34, "en-US").expect("valid"),
        metrics,
        errors: Default::default(),
        dropped: Default::default(),
    }
}

fn seal(keys: &KeyConfigs, authority: &str, report: &Report) -> (Vec<u8>, ResponseOpener) {
    let json = report.to_json();
    let mut message = ohttp::bhttp::encode_request(
        "POST",
        "https",
        authority,
        "/report",
        &[("content-type", "application/json")],
        &json,
        0,
    );
    assert!(message.len() <= REPORT_BUCKET, "report outgrew its bucket");
    message.resize(REPORT_BUCKET, 0);
    let sealed = ohttp::encapsulate(keys, &message).expect("seal");
    (sealed.request, sealed.opener)
}

fn main() {
    let args = Args::parse();
    let keys = std::fs::read(&args.keys).expect("read --keys");
    let keys = KeyConfigs::parse(&keys).expect("parse --keys");
    let authority = args
        .endpoint
        .split("://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .expect("--endpoint http://host:port/path")
        .to_owned();
    let mut run = [0u8; 8];
    hush_core::random::fill(&mut run);
    let run: String = run.iter().map(|b| format!("{b:02x}")).collect();

    let sealing = Instant::now();
    let work: Vec<(Vec<u8>, ResponseOpener)> = (0..args.count)
        .map(|i| seal(&keys, &authority, &report(&run, i)))
        .collect();
    let seal_secs = sealing.elapsed().as_secs_f64();
    let request_bytes = work.first().map_or(0, |w| w.0.len());

    let work = Arc::new(work);
    let next = Arc::new(AtomicUsize::new(0));
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(args.count)));
    let deadline = Instant::now() + Duration::from_secs(args.max_seconds);
    let started = Instant::now();
    let threads: Vec<_> = (0..args.connections)
        .map(|_| {
            let (work, next, ok, failed, latencies) = (
                work.clone(),
                next.clone(),
                ok.clone(),
                failed.clone(),
                latencies.clone(),
            );
            let endpoint = args.endpoint.clone();
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .timeout_global(Some(Duration::from_secs(10)))
                    .http_status_as_error(false)
                    .proxy(None)
                    .build()
                    .into();
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= work.len() || Instant::now() > deadline {
                        break;
                    }
                    let (body, opener) = &work[i];
                    let t = Instant::now();
                    let answered = agent
                        .post(&endpoint)
                        .header("content-type", "message/ohttp-req")
                        .send(&body[..])
                        .ok()
                        .filter(|r| r.status() == 200)
                        .and_then(|mut r| r.body_mut().read_to_vec().ok())
                        .and_then(|b| opener.open(&b).ok())
                        .and_then(|b| ohttp::bhttp::decode_response(&b).ok())
                        .is_some_and(|r| r.status == 200);
                    mine.push(t.elapsed().as_secs_f64() * 1000.0);
                    if answered {
                        ok.fetch_add(1, Ordering::Relaxed);
                    } else {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
                latencies.lock().unwrap().extend(mine);
            })
        })
        .collect();
    for t in threads {
        t.join().expect("sender thread");
    }
    let secs = started.elapsed().as_secs_f64();
    let mut lat = latencies.lock().unwrap().clone();
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    let ok = ok.load(Ordering::Relaxed);
    let failed = failed.load(Ordering::Relaxed);
    let summary = serde_json::json!({
        "reports": args.count,
        "connections": args.connections,
        "request_bytes": request_bytes,
        "plaintext_bucket": REPORT_BUCKET,
        "sealed_in_s": (seal_secs * 1000.0).round() / 1000.0,
        "ok": ok,
        "failed": failed,
        "seconds": (secs * 1000.0).round() / 1000.0,
        "reports_per_s": (ok as f64 / secs).round(),
        "latency_ms": {"p50": pct(0.50), "p99": pct(0.99), "max": pct(1.0)},
    });
    println!("{summary}");
    if failed > 0 || ok as usize != args.count {
        std::process::exit(1);
    }
}
