//! `hush replay`: drives the core from a JSON Lines trace exactly as a browser
//! would, on a clock the trace moves. See the README for the trace format.
//!
//! With `--endpoint`, the `flush` op also uploads, through the core's own
//! upload flow (`next_upload` / `upload_finished`) and a plain HTTP client
//! ([`crate::upload_client`]). A flush seals what is due, moves the clock
//! past the upload jitter (and any backoff) of what is pending, and attempts
//! each pending report at most once: a report that fails waits for a later
//! flush or replay instead of burning its retry budget against a dead
//! collector in fast-forwarded time. So a replay ending with `flush` against
//! a working collector has delivered everything, and a later replay on the
//! same data directory re-sends only what was not acknowledged.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use hush_core::anonymize::Environment;
use hush_core::clock::{ManualClock, UtcDay};
use hush_core::ohttp::KeyConfigs;
use hush_core::schema::Schema;
use hush_core::seal::{EndpointRules, Endpoints, Route};
use hush_core::tabs::TabId;
use hush_core::upload::{UploadTask, Verdict};
use hush_core::{Config, Hush, RecordError};
use serde::{Deserialize, Serialize};

use crate::upload_client::UploadClient;

#[derive(clap::Args)]
pub struct Args {
    /// The trace (JSON Lines); `-` reads stdin.
    pub trace: PathBuf,
    /// Hush's data directory (created if missing; reused across replays).
    #[arg(long)]
    pub data_dir: PathBuf,
    /// Metric schema (TOML); default: the shipped browser schema.
    #[arg(long)]
    pub schema: Option<PathBuf>,
    /// The leader gateway's `application/ohttp-keys` file.
    #[arg(long)]
    pub keys: PathBuf,
    /// The app's DAP task configuration (JSON, as `hush dap-setup` writes
    /// it): the leader's upload resource, which the sealed inner request
    /// names, the aggregators' keys and one task per metric.
    #[arg(long)]
    pub tasks: PathBuf,
    /// The leader gateway's URL sealed reports are POSTed to, e.g.
    /// `http://127.0.0.1:PORT/.well-known/ohttp-gateway` of `hush serve` (in
    /// front of `hush leader`). Without it, `flush` seals reports but
    /// uploads nothing.
    #[arg(long)]
    pub endpoint: Option<String>,
    /// An OHTTP relay to POST through (it forwards to the gateway, e.g.
    /// `ohttp-relay`), as the app does; without it, uploads go straight to
    /// `--endpoint`. Needs `--endpoint`.
    #[arg(long, value_name = "URL", requires = "endpoint")]
    pub relay: Option<String>,
    /// Give up on one upload attempt after this many milliseconds (it is
    /// retried by a later flush).
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub timeout_ms: u64,
    /// UTC day the replay clock starts on (at 08:00); default: today.
    #[arg(long)]
    pub start: Option<String>,
    #[arg(long, default_value = "14.2.7")]
    pub app_version: String,
    #[arg(long, default_value_t = 34)]
    pub android_api: u32,
    #[arg(long, default_value = "en-US")]
    pub locale: String,
}

/// One line of a trace.
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Op {
    Consent {
        enabled: bool,
    },
    EnhancedIncognito {
        enabled: bool,
    },
    OpenTab {
        tab: String,
        #[serde(default)]
        private: bool,
    },
    CloseTab {
        tab: String,
    },
    PageLoad {
        tab: String,
        url: String,
        #[serde(default)]
        load_ms: u64,
    },
    Search {
        tab: String,
        url: String,
    },
    /// A counter (`n`, default 1), or a labeled counter when `label` is set.
    Count {
        tab: String,
        metric: String,
        label: Option<String>,
        #[serde(default = "one")]
        n: u64,
    },
    /// A boolean metric.
    Set {
        tab: String,
        metric: String,
        value: bool,
    },
    /// A histogram sample.
    Sample {
        tab: String,
        metric: String,
        value: u64,
    },
    Advance {
        #[serde(default)]
        days: i64,
        #[serde(default)]
        hours: i64,
        #[serde(default)]
        minutes: i64,
    },
    Checkpoint {},
    Flush {},
}

fn one() -> u64 {
    1
}

const HOUR_MS: i64 = 3_600_000;

pub fn run(args: Args) -> Result<ExitCode, String> {
    let schema = match &args.schema {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            Schema::from_toml(&text).map_err(|e| format!("{}: {e}", p.display()))?
        }
        None => Schema::default_browser(),
    };
    let start_day = match &args.start {
        Some(s) => {
            UtcDay::parse_iso(s).ok_or_else(|| format!("--start {s}: expected YYYY-MM-DD"))?
        }
        None => UtcDay::of_ms(hush_core::clock::Clock::now_ms(
            &hush_core::clock::SystemClock,
        )),
    };
    let clock = ManualClock::new(start_day.start_ms() + 8 * HOUR_MS);
    let keys_bytes =
        std::fs::read(&args.keys).map_err(|e| format!("{}: {e}", args.keys.display()))?;
    let tasks = std::fs::read(&args.tasks).map_err(|e| format!("{}: {e}", args.tasks.display()))?;
    let keys = KeyConfigs::parse(&keys_bytes).map_err(|e| format!("--keys: {e}"))?;
    for (flag, url) in [("--endpoint", &args.endpoint), ("--relay", &args.relay)] {
        if url.as_ref().is_some_and(|u| u.starts_with("https://")) && !cfg!(feature = "tls") {
            return Err(format!(
                "{flag}: this hush was built without TLS (build with `--features tls`), \
                 or use a plain http:// collector such as `hush serve`"
            ));
        }
    }
    let uploader = args
        .endpoint
        .as_ref()
        .map(|_| UploadClient::new(std::time::Duration::from_millis(args.timeout_ms)));
    let endpoint = args
        .endpoint
        .clone()
        .unwrap_or_else(|| "https://collector.invalid/gateway".into());
    let route = match &args.relay {
        Some(relay) => Route::Relay(relay.clone()),
        None => Route::DirectToCollector,
    };
    // A developer's tool: a plain-http collector on this machine is the usual case.
    let endpoints = Endpoints::new(&endpoint, route, EndpointRules::LoopbackForTests)
        .map_err(|e| e.to_string())?;
    let environment = Environment::coarse(&args.app_version, args.android_api, &args.locale)
        .map_err(|e| format!("environment: {e}"))?;
    let mut config = Config::new(args.data_dir.clone(), keys, endpoints, tasks, environment);
    config.schema = schema;
    config.clock = Arc::new(clock.clone());
    // A browser passes the saved choice at start; a trace passes it with a
    // `consent` op, so the core starts with the choice not yet given.
    config.collection_enabled = None;
    let mut hush = Hush::open(config).map_err(|e| e.to_string())?;

    let reader: Box<dyn BufRead> = if args.trace.as_os_str() == "-" {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        Box::new(BufReader::new(
            std::fs::File::open(&args.trace)
                .map_err(|e| format!("{}: {e}", args.trace.display()))?,
        ))
    };
    let mut tabs: HashMap<String, TabId> = HashMap::new();
    let mut uploads = Uploads::default();
    let mut warnings = 0u64;
    for (i, line) in reader.lines().enumerate() {
        let n = i + 1;
        let line = line.map_err(|e| format!("line {n}: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        // The parse error names the op and field, never echoes the line: it may hold a URL.
        let op: Op = serde_json::from_str(&line)
            .map_err(|e| format!("line {n}: not a trace op ({})", e.classify_str()))?;
        let result = match op {
            Op::Flush {} => flush(&mut hush, &clock, uploader.as_ref(), &mut uploads),
            op => apply(&mut hush, &clock, &mut tabs, op),
        };
        if let Err(e) = result {
            warnings += 1;
            eprintln!("hush replay: line {n}: {e}");
        }
    }
    hush.checkpoint().map_err(|e| e.to_string())?;
    let summary = serde_json::json!({
        "open_window": hush.pending_report(),
        "pending_uploads": hush.outbox().entries().len(),
        "uploads": uploads,
        "warnings": warnings,
    });
    super::print_line(&summary.to_string())?;
    Ok(ExitCode::SUCCESS)
}

trait Classify {
    fn classify_str(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    fn classify_str(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "invalid JSON",
            serde_json::error::Category::Data => "unknown op or wrong fields",
            serde_json::error::Category::Eof => "truncated JSON",
        }
    }
}

fn tab(tabs: &HashMap<String, TabId>, name: &str) -> Result<TabId, String> {
    // An unknown name maps to a handle that was never issued: the core rejects it.
    Ok(tabs.get(name).copied().unwrap_or(TabId::from_raw(0)))
}

fn apply(
    hush: &mut Hush,
    clock: &ManualClock,
    tabs: &mut HashMap<String, TabId>,
    op: Op,
) -> Result<(), String> {
    let rec = |e: RecordError| e.to_string();
    match op {
        Op::Consent { enabled } => hush
            .set_collection_enabled(enabled)
            .map_err(|e| e.to_string()),
        Op::EnhancedIncognito { enabled } => {
            hush.set_enhanced_incognito(enabled);
            Ok(())
        }
        Op::OpenTab { tab, private } => {
            let id = hush.open_tab(private).map_err(|e| e.to_string())?;
            tabs.insert(tab, id);
            Ok(())
        }
        Op::CloseTab { tab: name } => {
            let id = tab(tabs, &name)?;
            tabs.remove(&name);
            hush.close_tab(id).map_err(|e| e.to_string())
        }
        Op::PageLoad {
            tab: t,
            url,
            load_ms,
        } => hush
            .page_loaded(tab(tabs, &t)?, url.as_bytes(), load_ms)
            .map_err(rec),
        Op::Search { tab: t, url } => hush.searched(tab(tabs, &t)?, url.as_bytes()).map_err(rec),
        Op::Count {
            tab: t,
            metric,
            label,
            n,
        } => {
            let t = tab(tabs, &t)?;
            let m = hush.metric(&metric).map_err(rec)?;
            match label {
                Some(l) => hush.add_label(t, m, &l, n).map_err(rec),
                None => hush.add(t, m, n).map_err(rec),
            }
        }
        Op::Set {
            tab: t,
            metric,
            value,
        } => {
            let t = tab(tabs, &t)?;
            let m = hush.metric(&metric).map_err(rec)?;
            hush.set_boolean(t, m, value).map_err(rec)
        }
        Op::Sample {
            tab: t,
            metric,
            value,
        } => {
            let t = tab(tabs, &t)?;
            let m = hush.metric(&metric).map_err(rec)?;
            hush.accumulate(t, m, value).map_err(rec)
        }
        Op::Advance {
            days,
            hours,
            minutes,
        } => {
            clock.advance_ms(days * 24 * HOUR_MS + hours * HOUR_MS + minutes * 60_000);
            Ok(())
        }
        Op::Checkpoint {} | Op::Flush {} => hush.checkpoint().map_err(|e| e.to_string()),
    }
}

/// What the flushes of one replay did, for its summary line.
#[derive(Debug, Default, Serialize)]
struct Uploads {
    /// HTTP attempts made.
    attempted: u64,
    /// Acknowledged by the collector (stored now or before) and deleted.
    delivered: u64,
    /// Failed and kept for a later flush.
    retrying: u64,
    /// Refused by the collector, or out of attempts: deleted and counted.
    dropped: u64,
}

/// Upper bound on upload-loop steps in one flush, against a policy bug
/// turning into an endless loop.
const MAX_FLUSH_STEPS: usize = 100_000;

/// The `flush` op: seal what is due, then (with an endpoint) deliver it.
fn flush(
    hush: &mut Hush,
    clock: &ManualClock,
    uploader: Option<&UploadClient>,
    uploads: &mut Uploads,
) -> Result<(), String> {
    hush.checkpoint().map_err(|e| e.to_string())?;
    let Some(uploader) = uploader else {
        return Ok(());
    };
    // Move the clock to when everything pending is due: past the random
    // upload delay after its window closed (P7) and past any backoff.
    let now = hush_core::clock::Clock::now_ms(clock);
    if let Some(due) = hush
        .outbox()
        .entries()
        .iter()
        .map(|m| m.not_before_ms)
        .max()
    {
        if due > now {
            clock.advance_ms(due - now);
        }
    }
    let mut attempted: HashSet<String> = HashSet::new();
    for _ in 0..MAX_FLUSH_STEPS {
        match hush.next_upload().map_err(|e| e.to_string())? {
            UploadTask::Done => return Ok(()),
            UploadTask::Upload(request) => {
                // Cannot repeat: a failed report's retry time lies beyond
                // anything the clock is moved to below.
                attempted.insert(request.id.clone());
                uploads.attempted += 1;
                let result = uploader.send(&request);
                match hush
                    .upload_finished(&request.id, result)
                    .map_err(|e| e.to_string())?
                {
                    Verdict::Delete => uploads.delivered += 1,
                    Verdict::RetryAt(_) => uploads.retrying += 1,
                    Verdict::Drop => uploads.dropped += 1,
                }
                // Persist the retry bookkeeping before the next attempt.
                hush.checkpoint().map_err(|e| e.to_string())?;
            }
            UploadTask::Wait(ms) => {
                // The hourly quota, or a window the clock jump closed. Wait it
                // out, unless that would make a report that already failed in
                // this flush due again: it waits for the next flush.
                let now = hush_core::clock::Clock::now_ms(clock);
                let target = now.saturating_add(i64::try_from(ms).unwrap_or(i64::MAX));
                let failed_due = hush
                    .outbox()
                    .entries()
                    .iter()
                    .filter(|m| attempted.contains(&m.id))
                    .map(|m| m.not_before_ms)
                    .min();
                if failed_due.is_some_and(|t| t <= target) {
                    return Ok(());
                }
                clock.advance_ms(target - now);
            }
        }
    }
    Err("flush: the upload loop did not settle".into())
}
