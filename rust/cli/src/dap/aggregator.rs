//! An aggregator's configuration once loaded and checked: what the leader
//! and the helper share (keys, tasks, batch rules, the clock).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use hush_core::dap::VdafSpec;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::{Method, StatusCode};
use janus_messages::codec::Encode as _;
use janus_messages::{HpkeConfig, HpkeConfigList, Interval, TaskId};

use super::auth::{AuthToken, AuthTokenHash};
use super::deployment::{self, AggregatorFile, Role, AGGREGATOR_FORMAT};
use super::hpke::Keypair;
use super::http::{base_path, Request, Response};
use super::problem::Problem;
use super::sqlite::{Db, Writer};

#[derive(Debug, Clone)]
pub struct Task {
    pub id: TaskId,
    pub vdaf: VdafSpec,
    pub verify_key: Vec<u8>,
}

/// The rules every batch of every task follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchRules {
    pub time_precision: u64,
    pub min_batch_size: u64,
    pub tolerable_clock_skew: u64,
    pub report_expiry_age: u64,
}

impl BatchRules {
    /// DAP-09 §4.6.1.1 (and Janus): a batch interval starts and lasts a
    /// positive multiple of the time precision.
    pub fn valid_interval(&self, interval: &Interval) -> bool {
        let tp = self.time_precision;
        let start = interval.start().as_seconds_since_epoch();
        let duration = interval.duration().as_seconds();
        duration >= tp
            && start % tp == 0
            && duration % tp == 0
            && start.checked_add(duration).is_some()
    }

    /// Why a report time is refused now, if it is.
    pub fn check_time(&self, time: u64, now: u64) -> Result<(), TimeRefusal> {
        if time > now.saturating_add(self.tolerable_clock_skew) {
            Err(TimeRefusal::TooEarly)
        } else if time.saturating_add(self.report_expiry_age) < now {
            Err(TimeRefusal::Expired)
        } else {
            Ok(())
        }
    }

    /// Report ids of reports older than this may be forgotten: no report
    /// that old is accepted any more.
    pub fn forget_before(&self, now: u64) -> u64 {
        now.saturating_sub(
            self.report_expiry_age
                .saturating_add(self.tolerable_clock_skew),
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeRefusal {
    TooEarly,
    Expired,
}

/// What both aggregator processes take.
#[derive(clap::Args)]
pub struct ProcessArgs {
    /// The aggregator's configuration (`leader/aggregator.json` or
    /// `helper/aggregator.json` of `hush dap-setup`).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// SQLite database (created if missing).
    #[arg(long, value_name = "FILE")]
    pub db: PathBuf,
    /// Address to listen on; port 0 picks a free port (printed on stdout).
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: SocketAddr,
}

impl ProcessArgs {
    /// The configuration of `role`, and its store with `schema` (the role's
    /// own tables, next to what both keep).
    pub fn open(&self, role: Role, schema: &str) -> Result<(Aggregator, Db, Writer), String> {
        let agg = Aggregator::load(&self.config, role)?;
        let (db, writer) = Db::open(&self.db, &[super::batches::SCHEMA, schema])?;
        Ok((agg, db, writer))
    }
}

pub struct Aggregator {
    /// The path of this aggregator's URL: where the DAP API is served.
    pub base_path: String,
    pub peer_url: String,
    pub keypair: Keypair,
    pub collector_hpke_config: HpkeConfig,
    /// Leader: what it presents to the helper.
    pub peer_token: Option<AuthToken>,
    /// Helper: what it accepts from the leader.
    pub leader_token_hash: Option<AuthTokenHash>,
    /// Leader: what it accepts from the collector.
    pub collector_token_hash: Option<AuthTokenHash>,
    pub rules: BatchRules,
    tasks: HashMap<TaskId, Task>,
}

impl Aggregator {
    pub fn load(path: &Path, role: Role) -> Result<Self, String> {
        let file: AggregatorFile = deployment::read_json(path)?;
        Self::from_file(file, role).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn from_file(file: AggregatorFile, role: Role) -> Result<Self, String> {
        if file.format != AGGREGATOR_FORMAT {
            return Err(format!("format must be {AGGREGATOR_FORMAT}"));
        }
        if file.role != role {
            return Err(format!("this is the {:?}'s configuration", file.role));
        }
        let base = base_path(&file.url)
            .ok_or("url must be an http(s) URL ending in '/'")?
            .to_owned();
        if base_path(&file.peer_aggregator_endpoint).is_none() {
            return Err("peer_aggregator_endpoint must be an http(s) URL ending in '/'".into());
        }
        if file.max_batch_query_count != 1 {
            return Err(
                "max_batch_query_count must be 1: a batch is collected at most once".into(),
            );
        }
        if file.time_precision == 0 || file.min_batch_size == 0 {
            return Err("time_precision and min_batch_size must be positive".into());
        }
        let keypair = file.hpke_keys.load()?;
        let collector_hpke_config =
            deployment::decode_hpke_config("collector_hpke_config", &file.collector_hpke_config)?;
        let (peer_token, leader_token_hash, collector_token_hash) = match role {
            Role::Leader => (
                Some(
                    file.aggregator_auth_token
                        .ok_or("aggregator_auth_token is missing")?,
                ),
                None,
                Some(
                    file.collector_auth_token_hash
                        .ok_or("collector_auth_token_hash is missing")?,
                ),
            ),
            Role::Helper => (
                None,
                Some(
                    file.aggregator_auth_token_hash
                        .ok_or("aggregator_auth_token_hash is missing")?,
                ),
                None,
            ),
        };
        let mut tasks = HashMap::new();
        for t in file.tasks {
            t.vdaf
                .check()
                .map_err(|e| format!("task '{}': {e}", t.name))?;
            let verify_key = t.verify_key()?;
            let task = Task {
                id: t.task_id,
                vdaf: t.vdaf,
                verify_key,
            };
            if tasks.insert(task.id, task).is_some() {
                return Err("two tasks share a task_id".into());
            }
        }
        Ok(Self {
            base_path: base,
            peer_url: file.peer_aggregator_endpoint,
            keypair,
            collector_hpke_config,
            peer_token,
            leader_token_hash,
            collector_token_hash,
            rules: BatchRules {
                time_precision: file.time_precision,
                min_batch_size: file.min_batch_size,
                tolerable_clock_skew: file.tolerable_clock_skew,
                report_expiry_age: file.report_expiry_age,
            },
            tasks,
        })
    }

    pub fn task(&self, id: &TaskId) -> Option<&Task> {
        self.tasks.get(id)
    }

    /// `GET {aggregator}hpke_config`: the one key this aggregator has, for every
    /// task; a `task_id` query must name one of its tasks.
    pub fn hpke_config(&self, req: &Request) -> Response {
        if req.method != Method::GET {
            return Response::method_not_allowed("GET");
        }
        let task = req
            .query
            .as_deref()
            .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("task_id=")));
        if let Some(task) = task {
            match task.parse() {
                Ok(id) if self.task(&id).is_some() => {}
                Ok(id) => return Problem::unrecognized_task(&id).into(),
                Err(_) => {
                    return Problem::dap(
                        janus_messages::problem_type::DapProblemType::InvalidMessage,
                    )
                    .with_detail("task_id is not a task ID")
                    .into()
                }
            }
        }
        Response {
            status: StatusCode::OK,
            headers: vec![
                (
                    CONTENT_TYPE,
                    HeaderValue::from_static(HpkeConfigList::MEDIA_TYPE),
                ),
                (CACHE_CONTROL, HeaderValue::from_static("max-age=86400")),
            ],
            body: self.hpke_config_list(),
        }
    }

    /// The `application/dap-hpke-config-list` body: this aggregator's one key,
    /// for every task.
    pub fn hpke_config_list(&self) -> Vec<u8> {
        HpkeConfigList::new(vec![self.keypair.config().clone()])
            .get_encoded()
            .expect("an HpkeConfigList always encodes")
    }
}

/// `(start, duration)` of a DAP interval, in seconds.
pub fn interval_bounds(interval: &Interval) -> (u64, u64) {
    (
        interval.start().as_seconds_since_epoch(),
        interval.duration().as_seconds(),
    )
}

/// Seconds since the Unix epoch, by this machine's clock.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use janus_messages::{Duration, Time};

    #[test]
    fn batch_intervals_and_report_times() {
        let r = BatchRules {
            time_precision: 86_400,
            min_batch_size: 10,
            tolerable_clock_skew: 3600,
            report_expiry_age: 40 * 86_400,
        };
        let interval = |s, d| {
            Interval::new(Time::from_seconds_since_epoch(s), Duration::from_seconds(d)).unwrap()
        };
        assert!(r.valid_interval(&interval(86_400 * 5, 86_400)));
        assert!(r.valid_interval(&interval(86_400 * 5, 86_400 * 3)));
        assert!(!r.valid_interval(&interval(86_400 * 5 + 1, 86_400)));
        assert!(!r.valid_interval(&interval(86_400 * 5, 86_400 - 1)));
        assert!(!r.valid_interval(&interval(86_400 * 5, 86_400 + 3600)));
        let now = 86_400 * 100;
        assert_eq!(r.check_time(now + 3600, now), Ok(()));
        assert_eq!(r.check_time(now + 3601, now), Err(TimeRefusal::TooEarly));
        assert_eq!(r.check_time(now - 40 * 86_400, now), Ok(()));
        assert_eq!(
            r.check_time(now - 40 * 86_400 - 1, now),
            Err(TimeRefusal::Expired)
        );
    }
}
