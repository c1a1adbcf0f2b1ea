//! Shared test harness: a data directory, a clock the test moves, the leader
//! gateway's OHTTP keys, the two aggregators' DAP keys and task
//! configuration, and a log capture for P11 checks.
#![allow(dead_code)]

pub mod dap;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use hush_core::anonymize::Environment;
use hush_core::clock::{ManualClock, UtcDay};
use hush_core::ohttp::KeyConfigs;
use hush_core::report::Report;
use hush_core::seal::{EndpointRules, Endpoints, Route};
use hush_core::store::Fs;
use hush_core::{Config, Hush};
use janus_messages::codec::Decode;

/// 2026-11-21 08:00 UTC.
pub fn start_ms() -> i64 {
    UtcDay::parse_iso("2026-11-21").unwrap().start_ms() + 8 * 3_600_000
}

/// A collector's gateway (Mozilla's `ohttp`) and the key list clients pin.
pub struct Gateway {
    pub server: ::ohttp::Server,
    pub keys: Vec<u8>,
}

impl Gateway {
    pub fn new() -> Self {
        use ::ohttp::hpke::{Aead, Kdf, Kem};
        let config = ::ohttp::KeyConfig::new(
            7,
            Kem::X25519Sha256,
            vec![::ohttp::SymmetricSuite::new(
                Kdf::HkdfSha256,
                Aead::Aes128Gcm,
            )],
        )
        .unwrap();
        let keys = ::ohttp::KeyConfig::encode_list(&[&config]).unwrap();
        Self {
            server: ::ohttp::Server::new(config).unwrap(),
            keys,
        }
    }

    /// Opens the body of a pending file at the gateway, then plays both
    /// aggregators to see the one device's values (test only).
    pub fn open_pending(&self, aggs: &dap::Aggregators, body: &[u8]) -> dap::PendingDap {
        let (_opener, request) = hush_core::seal::split_pending(body).expect("opener + request");
        let (message, _) = self
            .server
            .decapsulate(request)
            .expect("sealed to this gateway");
        let mut cursor = std::io::Cursor::new(&message[..]);
        let m = ::bhttp::Message::read_bhttp(&mut cursor).unwrap();
        assert_eq!(
            cursor.position() as usize,
            message.len(),
            "nothing after the message"
        );
        let ::bhttp::ControlData::Request {
            method,
            authority,
            path,
            ..
        } = m.control()
        else {
            panic!("a request");
        };
        let text = |b: &[u8]| String::from_utf8(b.to_vec()).unwrap();
        let content_type = m
            .header()
            .get(b"content-type")
            .map(text)
            .unwrap_or_default();
        let report = janus_messages::Report::get_decoded(m.content()).expect("a DAP report");
        let path = text(path);
        let task_id: janus_messages::TaskId = path
            .strip_prefix("/dap/tasks/")
            .and_then(|p| p.strip_suffix("/reports"))
            .expect("the leader's upload path")
            .parse()
            .unwrap();
        let i = aggs.task_index(&task_id);
        let opened = aggs.open_shares(&task_id, &report);
        let (values, n) =
            dap::aggregate(&aggs.config.tasks[i].vdaf, std::slice::from_ref(&opened)).unwrap();
        assert_eq!(n, 1);
        let secs = report.metadata().time().as_seconds_since_epoch() as i64;
        dap::PendingDap {
            method: text(method),
            authority: text(authority),
            path,
            content_type,
            wire_len: request.len(),
            task: aggs.config.tasks[i].name.clone(),
            day: UtcDay::of_ms(secs * 1000).iso(),
            report,
            values,
        }
    }
}

pub struct Harness {
    pub dir: tempfile::TempDir,
    pub clock: ManualClock,
    pub gateway: Gateway,
    pub aggs: dap::Aggregators,
}

impl Harness {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            clock: ManualClock::new(start_ms()),
            gateway: Gateway::new(),
            aggs: dap::Aggregators::new(&hush_core::schema::Schema::default_browser()),
        }
    }

    /// The pending files' bodies (envelope removed), oldest first.
    pub fn pending(&self, h: &Hush) -> Vec<Vec<u8>> {
        h.outbox()
            .entries()
            .iter()
            .map(|m| h.outbox().read(&hush_core::store::RealFs, &m.id).unwrap())
            .collect()
    }

    /// Every pending report, opened by the gateway and both aggregators.
    pub fn pending_reports(&self, h: &Hush) -> Vec<dap::PendingDap> {
        self.pending(h)
            .iter()
            .map(|b| self.gateway.open_pending(&self.aggs, b))
            .collect()
    }

    /// The pending reports by day, then task: the one device's values.
    pub fn pending_days(&self, h: &Hush) -> BTreeMap<String, BTreeMap<String, Vec<u128>>> {
        let mut days: BTreeMap<String, BTreeMap<String, Vec<u128>>> = BTreeMap::new();
        for r in self.pending_reports(h) {
            let previous = days.entry(r.day).or_default().insert(r.task, r.values);
            assert!(previous.is_none(), "two reports of one task and day");
        }
        days
    }

    /// Every non-zero value of the pending reports, labelled: what a collector
    /// could read if it could unshard one device's report (it cannot, P14).
    pub fn pending_in_words(&self, h: &Hush) -> String {
        let mut out = String::new();
        for (day, tasks) in self.pending_days(h) {
            for (task, values) in tasks {
                let labels = &self.aggs.plan.task(&task).unwrap().labels;
                for (i, v) in values.iter().enumerate().filter(|(_, v)| **v > 0) {
                    let label = labels.get(i).map_or("", String::as_str);
                    out.push_str(&format!("{day} {task} {label} {v}\n"));
                }
            }
        }
        out
    }

    /// The value of `label` (or of a plain sum, `""`) in `task`'s values.
    pub fn value(&self, values: &BTreeMap<String, Vec<u128>>, task: &str, label: &str) -> u128 {
        let t = self.aggs.plan.task(task).expect("a planned task");
        let v = &values[task];
        if label.is_empty() {
            assert_eq!(v.len(), 1, "{task} is a vector");
            return v[0];
        }
        let i = t
            .labels
            .iter()
            .position(|l| l == label)
            .unwrap_or_else(|| panic!("{task} has no label {label}"));
        v[i]
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config(&self) -> Config {
        let env = Environment::coarse("14.2.7", 34, "en-US").unwrap();
        let endpoints = Endpoints::new(
            "https://collector.invalid/gateway",
            Route::DirectToCollector,
            EndpointRules::Release,
        )
        .unwrap();
        let keys = KeyConfigs::parse(&self.gateway.keys).unwrap();
        let tasks = self.aggs.tasks_json();
        let mut c = Config::new(self.path().to_path_buf(), keys, endpoints, tasks, env);
        c.clock = Arc::new(self.clock.clone());
        c.collection_enabled = Some(true);
        c
    }

    /// [`Harness::config`] with another schema (and tasks to match it).
    pub fn config_for(&self, schema: hush_core::schema::Schema) -> Config {
        let mut c = self.config();
        c.tasks = self.aggs.tasks_for(&schema);
        c.schema = schema;
        c
    }

    pub fn open(&self) -> Hush {
        Hush::open(self.config()).unwrap()
    }

    pub fn open_with_fs(&self, fs: Arc<dyn Fs>) -> Result<Hush, hush_core::StoreError> {
        let mut c = self.config();
        c.fs = fs;
        Hush::open(c)
    }

    /// Every file under the data directory with its bytes.
    pub fn files(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        files_under(self.path())
    }
}

pub fn files_under(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// A report without its random id, for comparing two runs.
pub fn without_id(mut r: Report) -> Report {
    r.report_id.clear();
    r
}

pub fn contains(haystack: &[u8], needle: &str) -> bool {
    let n = needle.as_bytes();
    haystack.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// Captures every log record at every level, formatted with its arguments.
pub struct LogCapture(Mutex<Vec<String>>);

impl log::Log for LogCapture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        self.0.lock().unwrap().push(format!(
            "{} {} {}",
            record.level(),
            record.target(),
            record.args()
        ));
    }
    fn flush(&self) {}
}

pub fn logs() -> &'static LogCapture {
    static CAPTURE: OnceLock<&'static LogCapture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let c: &'static LogCapture = Box::leak(Box::new(LogCapture(Mutex::new(Vec::new()))));
        log::set_logger(c).unwrap();
        log::set_max_level(log::LevelFilter::Trace);
        c
    })
}

impl LogCapture {
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// A file system that fails on purpose. `crash_after(n)`: the n-th mutating
/// operation "kills the process": a write leaves a torn half-written file and
/// every later operation fails. `full`: writes fail with ENOSPC until cleared.
pub struct FaultFs {
    inner: hush_core::store::RealFs,
    ops_left: std::sync::atomic::AtomicI64,
    crashed: std::sync::atomic::AtomicBool,
    pub full: std::sync::atomic::AtomicBool,
}

impl FaultFs {
    pub fn crash_after(n: i64) -> Arc<Self> {
        Arc::new(Self {
            inner: hush_core::store::RealFs,
            ops_left: n.into(),
            crashed: false.into(),
            full: false.into(),
        })
    }
    pub fn healthy() -> Arc<Self> {
        Self::crash_after(i64::MAX)
    }
    /// Arms the crash: the `n`-th mutating operation from now is the kill.
    pub fn crash_in(&self, n: i64) {
        self.ops_left.store(n, std::sync::atomic::Ordering::SeqCst);
    }
    pub fn crashed(&self) -> bool {
        self.crashed.load(std::sync::atomic::Ordering::SeqCst)
    }
    /// Ok(true): go on; Ok(false): this operation is the crash point.
    fn step(&self) -> std::io::Result<bool> {
        use std::sync::atomic::Ordering::SeqCst;
        if self.crashed() {
            return Err(std::io::Error::other("process is dead"));
        }
        if self.ops_left.fetch_sub(1, SeqCst) <= 0 {
            self.crashed.store(true, SeqCst);
            return Ok(false);
        }
        Ok(true)
    }
}

impl Fs for FaultFs {
    fn write_synced(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        if self.full.load(std::sync::atomic::Ordering::SeqCst) {
            // A full disk may still take a few bytes before refusing.
            let _ = std::fs::write(path, &bytes[..bytes.len().min(7)]);
            return Err(std::io::Error::from(std::io::ErrorKind::StorageFull));
        }
        if !self.step()? {
            let _ = std::fs::write(path, &bytes[..bytes.len() / 2]);
            return Err(std::io::Error::other("killed mid-write"));
        }
        self.inner.write_synced(path, bytes)
    }
    fn rename(&self, from: &Path, to: &Path) -> std::io::Result<()> {
        if !self.step()? {
            return Err(std::io::Error::other("killed before rename"));
        }
        self.inner.rename(from, to)
    }
    fn sync_dir(&self, dir: &Path) -> std::io::Result<()> {
        if !self.step()? {
            return Err(std::io::Error::other("killed before directory sync"));
        }
        self.inner.sync_dir(dir)
    }
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        if self.crashed() {
            return Err(std::io::Error::other("process is dead"));
        }
        self.inner.read(path)
    }
    fn remove(&self, path: &Path) -> std::io::Result<()> {
        if !self.step()? {
            return Err(std::io::Error::other("killed before remove"));
        }
        self.inner.remove(path)
    }
    fn list(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        if self.crashed() {
            return Err(std::io::Error::other("process is dead"));
        }
        self.inner.list(dir)
    }
    fn create_dir_all(&self, dir: &Path) -> std::io::Result<()> {
        if !self.step()? {
            return Err(std::io::Error::other("killed before mkdir"));
        }
        self.inner.create_dir_all(dir)
    }
}
