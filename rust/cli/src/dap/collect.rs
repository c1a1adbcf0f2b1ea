//! `hush collect`: the collector. For each task (or the ones named), it
//! creates a collection job for the batch interval at the leader, polls it,
//! opens both aggregate shares with the collector's key, unshards them and
//! prints the totals, labelled with the plan's labels.
//!
//! Output: one JSON object per task and line, in the configuration's order
//! (keys sorted):
//!
//! ```json
//! {"days":1,"report_count":200,"start":"2026-11-29","task":"tabs.opened","task_id":"…","total":1234,"vdaf":"Prio3Sum"}
//! {"days":1,"report_count":200,"start":"2026-11-29","task":"page.domain","task_id":"…","totals":[{"label":"other","total":12},{"label":"google.com","total":150},…],"vdaf":"…"}
//! {"days":1,"refused":{"detail":"…","status":400,"title":"…","type":"urn:ietf:params:ppm:dap:error:invalidBatchSize"},"start":"2026-11-29","task":"hush.language","task_id":"…","vdaf":"Prio3Histogram"}
//! ```
//!
//! A plain sum or count has `total`; a vector or histogram has `totals`,
//! one per label. A batch the aggregators refuse (fewer reports than the
//! minimum batch size, an interval already collected, …) has `refused` and
//! no numbers at all; the exit status is then 2. Errors reaching the
//! leader exit 1.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use janus_messages::codec::{Decode as _, Encode as _};
use janus_messages::query_type::TimeInterval;
use janus_messages::{
    AggregateShareAad, BatchSelector, Collection, CollectionJobId, CollectionReq,
    Duration as DapDuration, Interval, Query, Role, Time,
};
use serde_json::{json, Value};

use super::deployment::{self, CollectorFile, CollectorTask, COLLECTOR_FORMAT};
use super::hpke::{application_info, Keypair, Label};
use super::peer::{Answer, Peer};
use super::prep;
use crate::cmd::print_line;

#[derive(clap::Args)]
pub struct Args {
    /// The collector's configuration (`collector/collector.json` of `hush dap-setup`).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// First UTC day of the batch interval (YYYY-MM-DD).
    #[arg(long, value_name = "DAY")]
    start: String,
    /// Days in the batch interval.
    #[arg(long, value_name = "N", default_value_t = 1)]
    days: u64,
    /// Collect only this task (repeatable); default: every task.
    #[arg(long, value_name = "NAME")]
    task: Vec<String>,
    /// Where the leader is, if not at the configuration's `leader`.
    #[arg(long, value_name = "URL")]
    leader_url: Option<String>,
    /// Give up on a collection job the leader has not finished by then.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    timeout_secs: u64,
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let file: CollectorFile = deployment::read_json(&args.config)?;
    if file.format != COLLECTOR_FORMAT {
        return Err(format!(
            "{}: format must be {COLLECTOR_FORMAT}",
            args.config.display()
        ));
    }
    let keys = file.hpke_keys.load()?;
    let start_day = hush_core::clock::UtcDay::parse_iso(&args.start)
        .ok_or_else(|| format!("--start {}: expected YYYY-MM-DD", args.start))?;
    let start = u64::try_from(start_day.start_ms() / 1000).map_err(|_| "--start is before 1970")?;
    let duration = args
        .days
        .checked_mul(86_400)
        .filter(|d| *d > 0)
        .ok_or("--days must be positive")?;
    let tp = file.time_precision;
    if start % tp != 0 || duration % tp != 0 {
        return Err(format!(
            "the batch interval must start and last a multiple of the time precision ({tp} s)"
        ));
    }
    let interval = Interval::new(
        Time::from_seconds_since_epoch(start),
        DapDuration::from_seconds(duration),
    )
    .map_err(|e| e.to_string())?;
    for name in &args.task {
        if !file.tasks.iter().any(|t| &t.name == name) {
            return Err(format!("no task '{name}' in {}", args.config.display()));
        }
    }
    let tasks: Vec<&CollectorTask> = file
        .tasks
        .iter()
        .filter(|t| args.task.is_empty() || args.task.contains(&t.name))
        .collect();
    let leader_url = args.leader_url.as_deref().unwrap_or(&file.leader);
    let leader = Peer::new(
        leader_url,
        file.collector_auth_token.clone(),
        Duration::from_secs(60),
    );
    let request =
        CollectionReq::<TimeInterval>::new(Query::new_time_interval(interval), Vec::new())
            .get_encoded()
            .map_err(|e| e.to_string())?;

    // Every job first, so the leader finishes them side by side.
    let mut jobs = Vec::with_capacity(tasks.len());
    for task in &tasks {
        let mut id = [0u8; CollectionJobId::LEN];
        hush_core::random::fill(&mut id);
        let job = CollectionJobId::try_from(&id[..]).map_err(|e| e.to_string())?;
        let path = format!("tasks/{}/collection_jobs/{job}", task.task_id);
        let created = leader
            .request(
                "PUT",
                &path,
                Some((CollectionReq::<TimeInterval>::MEDIA_TYPE, &request)),
            )
            .map_err(|e| e.to_string())?;
        jobs.push((path, created));
    }
    let deadline = Instant::now() + Duration::from_secs(args.timeout_secs);
    let mut refused = false;
    for (task, (path, created)) in tasks.iter().zip(jobs) {
        let head = json!({
            "task": task.name,
            "task_id": task.task_id.to_string(),
            "vdaf": task.vdaf.name(),
            "start": args.start,
            "days": args.days,
        });
        let line = if created.status != 201 {
            refused = true;
            with(head, "refused", refusal(&created))
        } else {
            match poll(&leader, &path, deadline)? {
                Err(answer) => {
                    refused = true;
                    with(head, "refused", refusal(&answer))
                }
                Ok(body) => totals(head, task, &keys, &interval, &body)?,
            }
        };
        print_line(&line.to_string())?;
    }
    Ok(if refused {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn with(mut head: Value, key: &str, value: Value) -> Value {
    head[key] = value;
    head
}

/// The aggregators' problem document, as it came (no numbers in it).
fn refusal(answer: &Answer) -> Value {
    match answer.problem() {
        Some(p) => {
            json!({"type": p.type_uri, "status": answer.status, "title": p.title, "detail": p.detail})
        }
        None => json!({"status": answer.status}),
    }
}

/// Polls a collection job until the leader answers with the collection
/// (`Ok`) or with anything but "not yet" (`Err`).
fn poll(leader: &Peer, path: &str, deadline: Instant) -> Result<Result<Vec<u8>, Answer>, String> {
    let mut wait = Duration::from_millis(100);
    loop {
        let answer = leader
            .request("POST", path, None)
            .map_err(|e| e.to_string())?;
        match answer.status {
            200 => return Ok(Ok(answer.body)),
            202 if Instant::now() < deadline => {
                std::thread::sleep(wait);
                wait = (wait * 2).min(Duration::from_secs(2));
            }
            202 => {
                return Err(format!(
                    "the leader has not finished {path} in time; it keeps working on it"
                ))
            }
            _ => return Ok(Err(answer)),
        }
    }
}

fn totals(
    head: Value,
    task: &CollectorTask,
    keys: &Keypair,
    interval: &Interval,
    body: &[u8],
) -> Result<Value, String> {
    let fail = |why: &str| format!("task '{}': {why}", task.name);
    let collection = Collection::<TimeInterval>::get_decoded(body)
        .map_err(|_| fail("the leader's answer is not a Collection"))?;
    // Both shares are bound to the interval asked for.
    let aad = AggregateShareAad::new(
        task.task_id,
        Vec::new(),
        BatchSelector::new_time_interval(*interval),
    )
    .get_encoded()
    .map_err(|e| e.to_string())?;
    let open = |role, sealed| {
        keys.open(
            &application_info(Label::AggregateShare, role, Role::Collector),
            sealed,
            &aad,
        )
        .map_err(|e| fail(&format!("the {role} aggregate share does not open: {e}")))
    };
    let leader = open(Role::Leader, collection.leader_encrypted_aggregate_share())?;
    let helper = open(Role::Helper, collection.helper_encrypted_aggregate_share())?;
    let n = collection.report_count();
    let sums = prep::unshard(&task.vdaf, &leader, &helper, n).map_err(|e| fail(&e.to_string()))?;
    let number =
        |v: u128| u64::try_from(v).map_or_else(|_| Value::from(v.to_string()), Value::from);
    let head = with(head, "report_count", n.into());
    if task.labels.is_empty() {
        let [sum] = sums[..] else {
            return Err(fail("a sum has one total"));
        };
        Ok(with(head, "total", number(sum)))
    } else if sums.len() != task.labels.len() {
        Err(fail("the totals do not match the task's labels"))
    } else {
        let entries: Vec<Value> = task
            .labels
            .iter()
            .zip(sums)
            .map(|(label, v)| json!({"label": label, "total": number(v)}))
            .collect();
        Ok(with(head, "totals", entries.into()))
    }
}
