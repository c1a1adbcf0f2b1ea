//! Shared helpers for the DAP tests: a deployment from `hush dap-setup`, the
//! real `hush leader` (with its OHTTP gateway, `hush serve`, in front) and
//! `hush helper` binaries on 127.0.0.1, uploads as a device makes them
//! (hush-core's `DapClient`, OHTTP-sealed with hush-core), `hush collect`,
//! what the leader's store holds, and an HTTP proxy between leader and
//! helper that can be down, lose answers, and records every message. Every
//! wait is bounded. The gateway and client helpers of `tests/common` come
//! with it.
#![allow(dead_code, reason = "each test file uses a different subset")]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use hush_core::anonymize::{Anonymizer, Environment};
use hush_core::clock::{Clock, SystemClock, UtcDay};
use hush_core::dap::{DapClient, DapReport, DayReport, Plan, TaskConfig};
use hush_core::ohttp::KeyConfigs;
use hush_core::report::{Dropped, Errors, MetricValue, Report, REPORT_FORMAT};
use hush_core::schema::Schema;
use serde_json::Value;

#[path = "../common/mod.rs"]
pub mod common;
pub use common::*;
/// The leader's DAP API lives under a path, the helper's at the root: both
/// ways of mounting it are exercised.
pub const LEADER_URL: &str = "https://leader.example/dap/";
pub const LEADER_BASE: &str = "/dap/";
pub const HELPER_URL: &str = "https://helper.example/";
/// Generous for a loaded 2-core machine; only ever waited out on failure.
pub const WAIT: Duration = Duration::from_secs(300);

/// The UTC day `n` days before today (by this machine's clock).
pub fn days_ago(n: i64) -> String {
    UtcDay(UtcDay::of_ms(SystemClock.now_ms()).0 - n).iso()
}

/// A deployment made by `hush dap-setup` for the shipped schema.
pub struct Deployment {
    pub dir: PathBuf,
    pub plan: Plan,
    pub config: TaskConfig,
    pub ohttp_keys: KeyConfigs,
    pub min_batch_size: u64,
    /// The path of the leader's URL: where its DAP API is served.
    pub leader_base: String,
}

impl Deployment {
    pub fn create(dir: &Path, min_batch_size: u64) -> Self {
        Self::create_for(dir, min_batch_size, LEADER_URL)
    }

    /// A deployment whose app uploads to `leader_url` (the origin a
    /// third-party gateway routes the sealed request to).
    pub fn create_for(dir: &Path, min_batch_size: u64, leader_url: &str) -> Self {
        let out = run(Command::new(HUSH)
            .args(["dap-setup", "--out"])
            .arg(dir)
            .args(["--leader-url", leader_url, "--helper-url", HELPER_URL])
            .args(["--min-batch-size", &min_batch_size.to_string()]));
        assert!(out.0.success(), "dap-setup: {}", out.2);
        let plan = Plan::new(&Schema::default_browser(), Anonymizer::shipped()).unwrap();
        let json = std::fs::read(dir.join("client/dap-tasks.json")).unwrap();
        let config = TaskConfig::parse(
            &json,
            &plan,
            hush_core::seal::EndpointRules::LoopbackForTests,
        )
        .unwrap();
        let ohttp_keys =
            KeyConfigs::parse(&std::fs::read(dir.join("client/ohttp-keys")).unwrap()).unwrap();
        let (_, rest) = leader_url.split_once("://").unwrap();
        Self {
            dir: dir.to_owned(),
            plan,
            config,
            ohttp_keys,
            min_batch_size,
            leader_base: rest[rest.find('/').unwrap()..].to_owned(),
        }
    }

    /// The app's pinned files: the task configuration and the gateway keys.
    pub fn client_tasks(&self) -> PathBuf {
        self.path("client/dap-tasks.json")
    }

    pub fn client_keys(&self) -> PathBuf {
        self.path("client/ohttp-keys")
    }

    /// `hush replay` as this deployment's app, uploading to `endpoint`.
    pub fn replay_command(&self, data: &Path, endpoint: Option<&str>) -> Command {
        replay_command(data, &self.client_tasks(), &self.client_keys(), endpoint)
    }

    /// Runs a replay of `trace` to `endpoint`; its summary line.
    pub fn replay(&self, data: &Path, endpoint: &str, trace: &str) -> Value {
        run_replay(self.replay_command(data, Some(endpoint)), trace)
    }

    /// The name of the task with id `task_id` (raw bytes).
    pub fn task_name(&self, task_id: &[u8]) -> String {
        self.config
            .tasks
            .iter()
            .find(|t| t.task_id.as_ref() == task_id)
            .map_or_else(|| "(unknown task)".into(), |t| t.name.clone())
    }

    /// A closed day's reports of one device for `day`: `metrics`, a fresh
    /// window key (so report ids of their own).
    pub fn device_reports(&self, day: &str, metrics: &[(&str, MetricValue)]) -> Vec<DapReport> {
        let metrics = metrics
            .iter()
            .map(|(n, v)| ((*n).to_owned(), v.clone()))
            .collect();
        device_day(self, &day_report(day, 34, "en", metrics))
            .reports
            .into_iter()
            .map(|d| d.report)
            .collect()
    }

    /// The report of task `name` among a day's `reports`.
    pub fn report_of<'a>(&self, reports: &'a [DapReport], name: &str) -> &'a DapReport {
        let id = self.config.task(name).unwrap().task_id;
        reports.iter().find(|r| r.task_id == id).unwrap()
    }

    pub fn client(&self) -> DapClient {
        DapClient::new(self.plan.clone(), self.config.clone())
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    pub fn json(&self, rel: &str) -> Value {
        serde_json::from_slice(&std::fs::read(self.path(rel)).unwrap()).unwrap()
    }

    pub fn task_index(&self, name: &str) -> usize {
        self.plan
            .tasks()
            .iter()
            .position(|t| t.name == name)
            .unwrap()
    }
}

/// A deployment in a temporary directory, with a proxy in front of where
/// the helper will be: the leader reaches the helper through it.
pub struct Cluster {
    pub tmp: tempfile::TempDir,
    pub dep: Deployment,
    pub proxy: Proxy,
}

impl Cluster {
    pub fn new(min_batch_size: u64, mode: Mode) -> Self {
        Self::for_leader(min_batch_size, mode, LEADER_URL)
    }

    /// A deployment whose app uploads to `leader_url`.
    pub fn for_leader(min_batch_size: u64, mode: Mode, leader_url: &str) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dep = Deployment::create_for(&tmp.path().join("dep"), min_batch_size, leader_url);
        Self {
            tmp,
            dep,
            proxy: Proxy::start(mode),
        }
    }

    /// A file in the temporary directory (`leader.db`, `helper.log`, ...).
    pub fn file(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// Starts `hush helper` (`helper.db`, `helper.log`) behind the proxy.
    pub fn helper(&self) -> Aggregator {
        let h = Aggregator::helper(&self.dep, &self.file("helper.db"), &self.file("helper.log"));
        self.proxy.set_target(h.addr);
        h
    }

    /// Starts `hush leader` (`leader.db`, `leader.log`), reaching the helper
    /// through the proxy, behind its gateway (`leader.log.gateway`).
    pub fn leader(&self) -> Aggregator {
        self.leader_with(LeaderOptions::default())
    }

    pub fn leader_with(&self, options: LeaderOptions<'_>) -> Aggregator {
        Aggregator::leader_with(
            &self.dep,
            &self.file("leader.db"),
            &self.file("leader.log"),
            &self.proxy.url(),
            options,
        )
    }

    /// What the leader's store accepted (see [`accepted`]).
    pub fn accepted(&self) -> Accepted {
        accepted(&self.dep, &self.file("leader.db"))
    }
}

/// Report ids a leader's store holds (every report it accepted and has not
/// forgotten), per UTC day and task name.
pub type Accepted = BTreeMap<String, BTreeMap<String, u64>>;

pub fn accepted(dep: &Deployment, leader_db: &Path) -> Accepted {
    let conn = read_only(leader_db);
    let mut s = conn
        .prepare("SELECT task_id, time FROM report_ids")
        .unwrap();
    let rows: Vec<(Vec<u8>, i64)> = s
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = Accepted::new();
    for (task, time) in rows {
        let day = UtcDay(time.div_euclid(86_400)).iso();
        *out.entry(day)
            .or_default()
            .entry(dep.task_name(&task))
            .or_default() += 1;
    }
    out
}

pub fn accepted_total(accepted: &Accepted) -> u64 {
    accepted.values().flat_map(BTreeMap::values).sum()
}

/// What one device's closed days look like at the leader: every day holds
/// exactly one report of every task of the plan, and the days' reports are
/// `delivered` in all. The days.
pub fn assert_one_device(dep: &Deployment, accepted: &Accepted, delivered: u64) -> Vec<String> {
    let tasks = dep.plan.tasks().len() as u64;
    for (day, per_task) in accepted {
        assert_eq!(per_task.len() as u64, tasks, "{day}: {per_task:?}");
        assert!(per_task.values().all(|&n| n == 1), "{day}: {per_task:?}");
    }
    assert_eq!(accepted_total(accepted), delivered, "{accepted:?}");
    accepted.keys().cloned().collect()
}

/// A replay's uploads delivered whole days: `delivered` is a positive
/// multiple of the plan's task count (one report per task and day).
pub fn whole_days(dep: &Deployment, delivered: u64) -> u64 {
    let tasks = dep.plan.tasks().len() as u64;
    assert!(
        delivered > 0 && delivered % tasks == 0,
        "{delivered} reports is not whole days of {tasks} tasks"
    );
    delivered / tasks
}

/// The total of `label` (or the plain total, for `None`) in a collected task.
pub fn total_of(line: &Value, label: Option<&str>) -> u64 {
    match label {
        None => line["total"].as_u64().unwrap_or_else(|| panic!("{line}")),
        Some(l) => line["totals"]
            .as_array()
            .unwrap_or_else(|| panic!("no totals in {line}"))
            .iter()
            .find(|e| e["label"] == l)
            .unwrap_or_else(|| panic!("no label {l} in {line}"))["total"]
            .as_u64()
            .unwrap(),
    }
}

/// The collected line of task `name`.
pub fn line_of<'a>(lines: &'a [Value], name: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["task"] == name)
        .unwrap_or_else(|| panic!("no {name} in {lines:?}"))
}

/// One series of a Prometheus `/metrics` page (`name` with its labels).
pub fn metric(admin: SocketAddr, series: &str) -> u64 {
    let page = send("GET", &format!("http://{admin}/metrics"), None, b"");
    assert_eq!(page.status, 200);
    let text = String::from_utf8(page.body).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{series} ")))
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
        .parse()
        .unwrap()
}

/// Runs a command to completion: status, stdout, stderr.
pub fn run(cmd: &mut Command) -> (ExitStatus, String, String) {
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    (
        out.status,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A running `hush` server process (an aggregator or a gateway); SIGTERM
/// when dropped. Its stderr goes to a file, so its logs can be read after
/// it was killed.
pub struct Process {
    child: Option<Child>,
    pub addr: SocketAddr,
    /// The admin listener (`--admin-listen`).
    pub admin: Option<SocketAddr>,
    pub stderr: PathBuf,
}

impl Process {
    pub fn start(args: Vec<std::ffi::OsString>, stderr: PathBuf) -> Self {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&stderr)
            .unwrap();
        let admin = args.iter().any(|a| a == "--admin-listen");
        let mut child = Command::new(HUSH)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        match listening_lines(&mut child, admin, Duration::from_secs(60)) {
            Ok((addr, admin)) => Self {
                addr,
                admin,
                child: Some(child),
                stderr,
            },
            Err(e) => {
                let _ = child.kill();
                panic!("{e}; stderr: {}", read(&stderr));
            }
        }
    }

    /// SIGTERM, then wait (bounded): the exit status and the whole stderr.
    pub fn stop(mut self) -> (ExitStatus, String) {
        let status = self.terminate("TERM");
        (status, read(&self.stderr))
    }

    fn terminate(&mut self, signal: &str) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        common::signal(&child, signal);
        wait_bounded(&mut child, Duration::from_secs(30))
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// How a leader is started (see [`Aggregator::leader_with`]).
#[derive(Clone, Copy)]
pub struct LeaderOptions<'a> {
    /// Where the leader listens (`127.0.0.1:0`: any free port).
    pub listen: &'a str,
    /// With `--admin-listen` (its `/metrics`).
    pub admin: bool,
    /// With its OHTTP gateway, `hush serve`, in front.
    pub gateway: bool,
}

impl Default for LeaderOptions<'_> {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:0",
            admin: false,
            gateway: true,
        }
    }
}

/// A running aggregator; for a leader, with the OHTTP gateway in front of
/// it (`hush serve --key leader/ohttp --target-url` the leader), as devices
/// reach it. SIGTERM when dropped.
pub struct Aggregator {
    process: Process,
    /// The aggregator's DAP API.
    pub addr: SocketAddr,
    /// The leader's admin listener, if started with one.
    pub admin: Option<SocketAddr>,
    pub stderr: PathBuf,
    /// The leader's gateway (its stderr next to the leader's, `.gateway`).
    pub gateway: Option<Process>,
}

impl Aggregator {
    pub fn helper(dep: &Deployment, db: &Path, stderr: &Path) -> Self {
        Self::of(
            Process::start(
                vec![
                    "helper".into(),
                    "--config".into(),
                    dep.path("helper/aggregator.json").into(),
                    "--db".into(),
                    db.into(),
                    "--listen".into(),
                    "127.0.0.1:0".into(),
                ],
                stderr.to_owned(),
            ),
            None,
        )
    }

    /// A leader that reaches the helper at `helper_url` and looks for work
    /// every 100 ms, behind its gateway.
    pub fn leader(dep: &Deployment, db: &Path, stderr: &Path, helper_url: &str) -> Self {
        Self::leader_with(dep, db, stderr, helper_url, LeaderOptions::default())
    }

    pub fn leader_with(
        dep: &Deployment,
        db: &Path,
        stderr: &Path,
        helper_url: &str,
        options: LeaderOptions<'_>,
    ) -> Self {
        let mut args: Vec<std::ffi::OsString> = vec![
            "leader".into(),
            "--config".into(),
            dep.path("leader/aggregator.json").into(),
            "--db".into(),
            db.into(),
            "--listen".into(),
            options.listen.into(),
            "--helper-url".into(),
            helper_url.into(),
            "--aggregation-interval-ms".into(),
            "100".into(),
            "--helper-timeout-secs".into(),
            "60".into(),
        ];
        if options.admin {
            args.extend(["--admin-listen".into(), "127.0.0.1:0".into()]);
        }
        let leader = Process::start(args, stderr.to_owned());
        let gateway = options.gateway.then(|| {
            let mut log = stderr.as_os_str().to_owned();
            log.push(".gateway");
            Process::start(
                vec![
                    "serve".into(),
                    "--key".into(),
                    dep.path("leader/ohttp").into(),
                    "--target-url".into(),
                    format!("http://{}/", leader.addr).into(),
                    "--listen".into(),
                    "127.0.0.1:0".into(),
                ],
                log.into(),
            )
        });
        Self::of(leader, gateway)
    }

    fn of(process: Process, gateway: Option<Process>) -> Self {
        Self {
            addr: process.addr,
            admin: process.admin,
            stderr: process.stderr.clone(),
            process,
            gateway,
        }
    }

    pub fn url(&self, base: &str) -> String {
        format!("http://{}{base}", self.addr)
    }

    /// The leader's gateway resource (RFC 9540 path).
    pub fn gateway_url(&self) -> String {
        let gateway = self.gateway.as_ref().expect("a leader behind its gateway");
        format!("http://{}/.well-known/ohttp-gateway", gateway.addr)
    }

    /// SIGTERM to the gateway, then to the aggregator, waiting for each
    /// (bounded): the aggregator's exit status and its whole stderr. The
    /// gateway must exit 0 having logged one line, its counters: nothing
    /// per request, ever.
    pub fn stop(self) -> (ExitStatus, String) {
        if let Some(gateway) = self.gateway {
            let (status, log) = gateway.stop();
            assert!(status.success(), "the gateway exited {status}: {log}");
            assert_eq!(log.lines().count(), 1, "{log}");
            assert!(log.starts_with("hush serve: stopped;"), "{log}");
        }
        self.process.stop()
    }

    /// SIGKILL to the aggregator alone: its gateway stays up, in front of
    /// nothing.
    pub fn kill_leaving_gateway(mut self) -> Process {
        let gateway = self.gateway.take().expect("a leader behind its gateway");
        self.process.terminate("KILL");
        gateway
    }

    /// SIGKILL: no chance to finish anything (the gateway is stopped too).
    pub fn kill(mut self) -> ExitStatus {
        drop(self.gateway.take());
        self.process.terminate("KILL")
    }
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// A random window key, as a new window draws one (hex).
pub fn fresh_window_key() -> String {
    let mut key = [0u8; 16];
    hush_core::random::fill(&mut key);
    key.iter().map(|b| format!("{b:02x}")).collect()
}

/// A day's aggregates, as a closed window would hand them to the DAP client.
pub fn day_report(
    day: &str,
    api: u32,
    language: &str,
    metrics: BTreeMap<String, MetricValue>,
) -> Report {
    Report {
        format: REPORT_FORMAT.into(),
        schema_version: 1,
        // The window's own key: each device's reports get ids of their own.
        report_id: fresh_window_key(),
        day: day.into(),
        environment: Environment::coarse("14.2", api, language).unwrap(),
        metrics,
        errors: Errors::default(),
        dropped: Dropped::default(),
    }
}

/// One device's reports for a day, with the measurements the plan made of it.
pub struct DeviceDay {
    pub reports: Vec<DayReport>,
    pub measurements: Vec<hush_core::dap::Measurement>,
}

pub fn device_day(dep: &Deployment, report: &Report) -> DeviceDay {
    DeviceDay {
        reports: dep
            .client()
            .day_reports(report, Anonymizer::shipped())
            .unwrap(),
        measurements: dep.plan.measure(report, Anonymizer::shipped()),
    }
}

/// The sum per task of the measurements, as the collector prints totals.
pub fn expected_totals(dep: &Deployment, days: &[&DeviceDay]) -> Vec<Vec<u128>> {
    use hush_core::dap::Measurement;
    dep.plan
        .tasks()
        .iter()
        .enumerate()
        .map(|(t, task)| {
            let len = task.labels.len().max(1);
            let mut sum = vec![0u128; len];
            for d in days {
                match &d.measurements[t] {
                    Measurement::Count(b) => sum[0] += u128::from(*b),
                    Measurement::Sum(n) => sum[0] += u128::from(*n),
                    Measurement::SumVec(v) => {
                        for (s, n) in sum.iter_mut().zip(v) {
                            *s += u128::from(*n);
                        }
                    }
                    Measurement::Histogram(i) => sum[*i] += 1,
                }
            }
            sum
        })
        .collect()
}

/// A plain HTTP request: status, content type, body.
pub fn http(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> (u16, String, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(60)))
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into();
    let result = match (method, body) {
        ("PUT", Some(b)) => headers
            .iter()
            .fold(agent.put(url), |r, (k, v)| r.header(*k, *v))
            .send(b),
        ("POST", Some(b)) => headers
            .iter()
            .fold(agent.post(url), |r, (k, v)| r.header(*k, *v))
            .send(b),
        ("POST", None) => headers
            .iter()
            .fold(agent.post(url), |r, (k, v)| r.header(*k, *v))
            .send_empty(),
        ("DELETE", _) => headers
            .iter()
            .fold(agent.delete(url), |r, (k, v)| r.header(*k, *v))
            .call(),
        ("GET", _) => headers
            .iter()
            .fold(agent.get(url), |r, (k, v)| r.header(*k, *v))
            .call(),
        _ => panic!("unsupported {method}"),
    };
    let mut response = result.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_vec()
        .unwrap();
    (status, content_type, body)
}

/// A request that declares a `content-length` of `declared` bytes and sends
/// none of them: the answer to the headers alone (status and body).
pub fn declared_only(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    declared: usize,
) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: {declared}\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let (answer_head, body) = read_message(&mut stream).expect("an answer");
    let status = answer_head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, body)
}

/// A report uploaded straight to the leader's DAP endpoint.
pub fn upload_direct(leader: &Aggregator, report: &DapReport) -> (u16, String, Vec<u8>) {
    let url = format!(
        "{}tasks/{}/reports",
        leader.url(LEADER_BASE),
        report.task_id
    );
    http(
        "PUT",
        &url,
        &[("content-type", "application/dap-report")],
        Some(&report.body),
    )
}

/// The inner request a device seals: Binary HTTP `PUT {leader}tasks/{id}/reports`
/// (what `hush_core::dap::upload::seal` encapsulates).
pub fn inner_upload(config: &TaskConfig, report: &DapReport) -> Vec<u8> {
    let (scheme, authority, path) = config.upload_target(&report.task_id);
    hush_core::ohttp::bhttp::encode_request(
        "PUT",
        scheme,
        authority,
        &path,
        &[("content-type", hush_core::dap::upload::REPORT_MEDIA_TYPE)],
        &report.body,
        0,
    )
}

/// `report` sealed as a device seals it (`hush_core::dap::upload::seal`):
/// the encapsulated request, and what opens its answer.
pub fn sealed_upload(
    dep: &Deployment,
    keys: &KeyConfigs,
    report: &DapReport,
) -> (Vec<u8>, hush_core::ohttp::ResponseOpener) {
    let pending = hush_core::dap::upload::seal(&dep.config, keys, report).unwrap();
    let (opener, request) = hush_core::seal::split_pending(&pending).unwrap();
    (
        request.to_vec(),
        hush_core::ohttp::ResponseOpener::from_bytes(opener).unwrap(),
    )
}

/// Any Binary HTTP request `inner`, sealed with hush-core to `keys`.
pub fn sealed_inner(
    keys: &KeyConfigs,
    inner: &[u8],
) -> (Vec<u8>, hush_core::ohttp::ResponseOpener) {
    let sealed = hush_core::ohttp::encapsulate(keys, inner).unwrap();
    (sealed.request, sealed.opener)
}

/// What came back through the gateway: the inner status, content type and body.
pub struct Sealed {
    pub outer_status: u16,
    pub sealed_len: usize,
    pub inner: hush_core::ohttp::bhttp::Response,
}

impl Sealed {
    pub fn content_type(&self) -> &str {
        self.inner
            .headers
            .iter()
            .find(|(n, _)| n == "content-type")
            .map_or("", |(_, v)| v.as_str())
    }
}

/// `inner` sealed with hush-core's OHTTP client and posted to the leader's gateway.
pub fn post_sealed(leader: &Aggregator, keys: &KeyConfigs, inner: &[u8]) -> Sealed {
    let sealed = hush_core::ohttp::encapsulate(keys, inner).unwrap();
    post_encapsulated(leader, &sealed.request, &sealed.opener)
}

/// An encapsulated request posted to the leader's gateway; its answer opened.
pub fn post_encapsulated(
    leader: &Aggregator,
    request: &[u8],
    opener: &hush_core::ohttp::ResponseOpener,
) -> Sealed {
    let (status, content_type, body) = http(
        "POST",
        &leader.gateway_url(),
        &[("content-type", "message/ohttp-req")],
        Some(request),
    );
    assert_eq!(
        (status, content_type.as_str()),
        (200, "message/ohttp-res"),
        "{}",
        String::from_utf8_lossy(&body)
    );
    let opened = opener.open(&body).unwrap();
    Sealed {
        outer_status: status,
        sealed_len: body.len(),
        inner: hush_core::ohttp::bhttp::decode_response(&opened).unwrap(),
    }
}

/// A report uploaded as a device does, sealed by the device's own code
/// (`hush_core::dap::upload::seal`), through the leader's OHTTP gateway
/// (`hush serve`, a process of its own in front of the leader).
pub fn upload_ohttp(leader: &Aggregator, dep: &Deployment, report: &DapReport) -> Sealed {
    let pending = hush_core::dap::upload::seal(&dep.config, &dep.ohttp_keys, report).unwrap();
    let (opener, request) = hush_core::seal::split_pending(&pending).unwrap();
    post_encapsulated(
        leader,
        request,
        &hush_core::ohttp::ResponseOpener::from_bytes(opener).unwrap(),
    )
}

/// Uploads every report through the gateway on `threads` threads; each must
/// be answered 200.
pub fn upload_all(leader: &Aggregator, dep: &Deployment, reports: Vec<DapReport>, threads: usize) {
    let queue = Arc::new(Mutex::new(reports));
    thread::scope(|s| {
        for _ in 0..threads {
            let queue = Arc::clone(&queue);
            s.spawn(move || loop {
                let Some(r) = queue.lock().unwrap().pop() else {
                    return;
                };
                let answer = upload_ohttp(leader, dep, &r);
                assert_eq!(
                    answer.inner.status,
                    200,
                    "{}",
                    String::from_utf8_lossy(&answer.inner.content)
                );
            });
        }
    });
}

/// `hush collect`: exit code and one JSON object per task.
pub fn collect(
    dep: &Deployment,
    leader: &Aggregator,
    start: &str,
    days: u64,
    tasks: &[&str],
) -> (i32, Vec<Value>, String) {
    let mut cmd = Command::new(HUSH);
    cmd.args(["collect", "--config"])
        .arg(dep.path("collector/collector.json"))
        .args([
            "--leader-url",
            &leader.url(&dep.leader_base),
            "--start",
            start,
        ])
        .args([
            "--days",
            &days.to_string(),
            "--timeout-secs",
            &WAIT.as_secs().to_string(),
        ]);
    for t in tasks {
        cmd.args(["--task", t]);
    }
    let (status, stdout, stderr) = run(&mut cmd);
    let lines = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (
        status.code().unwrap_or(-1),
        lines,
        format!("{stdout}{stderr}"),
    )
}

/// The totals of one collected task, as numbers.
pub fn totals(line: &Value) -> Vec<u128> {
    if let Some(t) = line.get("total") {
        return vec![u128::from(t.as_u64().unwrap())];
    }
    line["totals"]
        .as_array()
        .unwrap_or_else(|| panic!("no totals in {line}"))
        .iter()
        .map(|e| u128::from(e["total"].as_u64().unwrap()))
        .collect()
}

/// Polls `f` until it returns `Some`, at most [`WAIT`].
pub fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(100));
    }
}

/// An aggregator's database, read-only (while it runs, too: WAL).
pub fn read_only(db: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

/// Rows of `table` in an aggregator's database.
pub fn count_rows(db: &Path, table: &str) -> u64 {
    let conn = read_only(db);
    conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

/// Every table of a database, every row, every column, as bytes (integers
/// as their decimal text), in the order SQLite returns them.
pub fn dump(db: &Path) -> BTreeMap<String, Vec<Vec<Vec<u8>>>> {
    let conn = read_only(db);
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = BTreeMap::new();
    for table in tables {
        let mut s = conn.prepare(&format!("SELECT * FROM {table}")).unwrap();
        let n = s.column_count();
        let rows = s
            .query_map([], |r| {
                (0..n)
                    .map(|i| {
                        Ok(match r.get_ref(i)? {
                            rusqlite::types::ValueRef::Null => Vec::new(),
                            rusqlite::types::ValueRef::Integer(v) => v.to_string().into_bytes(),
                            rusqlite::types::ValueRef::Real(v) => v.to_string().into_bytes(),
                            rusqlite::types::ValueRef::Text(t)
                            | rusqlite::types::ValueRef::Blob(t) => t.to_vec(),
                        })
                    })
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        out.insert(table, rows);
    }
    out
}

/// The column names of `table`, in order.
pub fn columns(db: &Path, table: &str) -> Vec<String> {
    let conn = read_only(db);
    let mut s = conn
        .prepare(&format!("PRAGMA table_info({table})"))
        .unwrap();
    s.query_map([], |r| r.get(1))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The bytes of a database and its WAL and shared-memory files.
pub fn raw_files(db: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        if let Ok(bytes) = std::fs::read(PathBuf::from(p)) {
            all.extend(bytes);
        }
    }
    all
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// How the proxy treats what it is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    /// Forward requests and answers.
    Pass = 0,
    /// Close every connection unanswered: the helper is down.
    Down = 1,
    /// Forward the request, let the helper answer, drop the answer.
    LoseAnswers = 2,
}

/// One exchange the proxy saw: the request and the helper's answer.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub method: String,
    pub path: String,
    pub content_type: String,
    pub body: Vec<u8>,
    pub status: u16,
    pub answer_type: String,
    pub answer: Vec<u8>,
}

/// An HTTP/1.1 proxy in front of the helper (one request per connection).
pub struct Proxy {
    pub addr: SocketAddr,
    mode: Arc<AtomicU8>,
    pub seen: Arc<Mutex<Vec<Exchange>>>,
    /// Tells the test each time an answer was dropped.
    pub lost: mpsc::Receiver<()>,
    target: Arc<Mutex<Option<SocketAddr>>>,
}

impl Proxy {
    pub fn start(mode: Mode) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mode = Arc::new(AtomicU8::new(mode as u8));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let target = Arc::new(Mutex::new(None));
        let (lost_tx, lost) = mpsc::channel();
        {
            let (mode, seen, target) = (Arc::clone(&mode), Arc::clone(&seen), Arc::clone(&target));
            thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { continue };
                    let (mode, seen, target, lost_tx) = (
                        Arc::clone(&mode),
                        Arc::clone(&seen),
                        Arc::clone(&target),
                        lost_tx.clone(),
                    );
                    thread::spawn(move || serve(stream, &mode, &seen, &target, &lost_tx));
                }
            });
        }
        Self {
            addr,
            mode,
            seen,
            lost,
            target,
        }
    }

    pub fn set_mode(&self, mode: Mode) {
        self.mode.store(mode as u8, Ordering::SeqCst);
    }

    pub fn set_target(&self, helper: SocketAddr) {
        *self.target.lock().unwrap() = Some(helper);
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub fn exchanges(&self) -> Vec<Exchange> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(
    mut client: TcpStream,
    mode: &AtomicU8,
    seen: &Mutex<Vec<Exchange>>,
    target: &Mutex<Option<SocketAddr>>,
    lost: &mpsc::Sender<()>,
) {
    let _ = client.set_read_timeout(Some(Duration::from_secs(60)));
    let Some((head, body)) = read_message(&mut client) else {
        return;
    };
    let mode = mode.load(Ordering::SeqCst);
    let helper = *target.lock().unwrap();
    let (Some(helper), false) = (helper, mode == Mode::Down as u8) else {
        return; // closed unanswered
    };
    let mut lines = head.lines();
    let request_line = lines.next().unwrap_or_default().to_owned();
    let mut parts = request_line.split(' ');
    let (method, path) = (
        parts.next().unwrap_or_default().to_owned(),
        parts.next().unwrap_or_default().to_owned(),
    );
    let header = |h: &str, name: &str| {
        h.lines()
            .skip(1)
            .find_map(|l| {
                l.split_once(':')
                    .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_default()
    };
    let content_type = header(&head, "content-type");
    // Forward with `connection: close` so the answer ends with the stream.
    let mut forwarded = String::new();
    for line in head.lines() {
        if line.to_ascii_lowercase().starts_with("connection:") {
            continue;
        }
        forwarded.push_str(line);
        forwarded.push_str("\r\n");
        if line.is_empty() {
            break;
        }
    }
    let forwarded = forwarded.trim_end().to_owned() + "\r\nconnection: close\r\n\r\n";
    let Ok(mut upstream) = TcpStream::connect(helper) else {
        return;
    };
    let _ = upstream.set_read_timeout(Some(Duration::from_secs(60)));
    if upstream
        .write_all(forwarded.as_bytes())
        .and_then(|()| upstream.write_all(&body))
        .is_err()
    {
        return;
    }
    let Some((answer_head, answer)) = read_message(&mut upstream) else {
        return;
    };
    let status = answer_head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    seen.lock().unwrap().push(Exchange {
        method,
        path,
        content_type,
        body,
        status,
        answer_type: header(&answer_head, "content-type"),
        answer: answer.clone(),
    });
    if mode == Mode::LoseAnswers as u8 {
        let _ = lost.send(());
        return;
    }
    let mut out = String::new();
    for line in answer_head.lines() {
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("connection:")
            || lower.starts_with("transfer-encoding:")
            || lower.starts_with("content-length:")
            || line.is_empty()
        {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        answer.len()
    ));
    let _ = client
        .write_all(out.as_bytes())
        .and_then(|()| client.write_all(&answer));
}

/// Reads one HTTP/1.1 message: its head (up to the blank line) and a body
/// of `content-length` bytes, or chunked, or up to the end of the stream.
fn read_message(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let blank = line == "\r\n" || line == "\n";
        head.push_str(&line);
        if blank {
            break;
        }
    }
    let header = |name: &str| {
        head.lines().skip(1).find_map(|l| {
            l.split_once(':')
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim().to_ascii_lowercase())
        })
    };
    let mut body = Vec::new();
    if let Some(len) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        body.resize(len, 0);
        reader.read_exact(&mut body).ok()?;
    } else if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let n = usize::from_str_radix(size.trim(), 16).ok()?;
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else if head.starts_with("HTTP/") {
        let _ = reader.read_to_end(&mut body);
    }
    Some((head, body))
}
