//! What the fuzz targets share: the RFC 9458 Appendix A key (public test
//! data) as the client's pinned configuration and as a gateway key
//! directory, a keygen'd gateway, a DAP deployment (task configuration and
//! both aggregators' HPKE keys) for any schema, and a core on an in-memory
//! file system. Each target uses only the crates' public API, so it follows
//! them when their internals move (the `bhttp` crate, DAP). [`dap`] is
//! the reference aggregators in process, for `dap_aggregators`.

pub mod dap;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hush_cli::dap::hpke::Keypair;
use hush_cli::gateway::{self, Gateway};
use hush_core::anonymize::{Anonymizer, Environment};
use hush_core::clock::{ManualClock, UtcDay};
use hush_core::dap::{Plan, TaskConfig};
use hush_core::ohttp::KeyConfigs;
use hush_core::schema::{MetricId, MetricKind, Schema};
use hush_core::seal::{EndpointRules, Endpoints, Route};
use hush_core::store::MemFs;
use hush_core::Config;

pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// Where the core keeps its files on the in-memory file system.
pub const DATA_DIR: &str = "/data/hush";

const RFC9458: &str = include_str!("../../rust/core/tests/data/rfc9458-appendix-a.txt");

fn rfc9458(name: &str) -> Vec<u8> {
    let line = RFC9458
        .lines()
        .find_map(|l| l.strip_prefix(name)?.trim_start().strip_prefix('='))
        .unwrap_or_else(|| panic!("{name} in the RFC 9458 data"));
    from_hex(line.trim())
}

pub fn from_hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

/// The Appendix A key configuration as an `application/ohttp-keys` list.
pub fn rfc9458_key_list() -> Vec<u8> {
    let config = rfc9458("key_config");
    let mut list = (config.len() as u16).to_be_bytes().to_vec();
    list.extend_from_slice(&config);
    list
}

pub fn rfc9458_keys() -> KeyConfigs {
    KeyConfigs::parse(&rfc9458_key_list()).expect("RFC 9458 key configuration")
}

/// Loads a collector key directory written by `write`, then deletes it:
/// the gateway keeps what it needs in memory.
fn load_gateway(tag: &str, write: impl FnOnce(&Path)) -> Gateway {
    let dir: PathBuf = std::env::temp_dir().join(format!("hush-fuzz-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    write(&dir);
    let gateway = Gateway::load(&dir).expect("collector key directory");
    let _ = std::fs::remove_dir_all(&dir);
    gateway
}

/// The Appendix A key as a collector without `gateway.seed`: requests are
/// opened by the raw-key gateway (rust-hpke and RustCrypto).
pub fn rfc9458_gateway() -> Gateway {
    load_gateway("rfc9458", |dir| {
        std::fs::create_dir_all(dir).expect("temp dir");
        std::fs::write(dir.join(gateway::KEYS_FILE), rfc9458_key_list()).expect("write");
        let secret: String = rfc9458("sk_r").iter().map(|b| format!("{b:02x}")).collect();
        std::fs::write(dir.join(gateway::SECRET_FILE), secret).expect("write");
    })
}

/// A fresh `hush keygen` collector (with its seed: opened by Mozilla's
/// `ohttp`), and the key list its clients pin.
pub fn keygen_gateway() -> (Gateway, KeyConfigs) {
    let mut keys = None;
    let gateway = load_gateway("keygen", |dir| {
        gateway::generate(dir, None).expect("keygen");
        let list = std::fs::read(dir.join(gateway::KEYS_FILE)).expect("ohttp-keys");
        keys = Some(KeyConfigs::parse(&list).expect("keygen'd key list"));
    });
    (gateway, keys.expect("written"))
}

/// 2026-11-21 08:00 UTC, when every target's clock starts.
pub fn start_ms() -> i64 {
    UtcDay::parse_iso("2026-11-21").expect("date").start_ms() + 8 * HOUR_MS
}

/// The leader's DAP API, as the task configuration names it.
pub const LEADER_URL: &str = "https://leader.invalid/dap/";

/// A development DAP deployment for one schema: its plan, a task
/// configuration with fresh task ids, and both aggregators' HPKE keys.
pub struct Deployment {
    pub plan: Plan,
    pub tasks: TaskConfig,
    pub leader: Keypair,
    pub helper: Keypair,
}

impl Deployment {
    /// `None` if the schema has no DAP plan (the core refuses it too).
    pub fn for_schema(schema: &Schema) -> Option<Self> {
        let plan = Plan::new(schema, Anonymizer::shipped()).ok()?;
        let (leader, helper) = (Keypair::generate(1), Keypair::generate(2));
        let tasks = TaskConfig::for_plan(
            &plan,
            LEADER_URL,
            "https://helper.invalid/",
            leader.config(),
            helper.config(),
            86_400,
            10,
        )
        .expect("a task configuration for the plan");
        Some(Self {
            plan,
            tasks,
            leader,
            helper,
        })
    }
}

/// A core's configuration on `fs`, sealing to the Appendix A key and to
/// `tasks` (a task configuration for `schema`), with collection on.
pub fn config(fs: Arc<MemFs>, clock: &ManualClock, schema: Schema, tasks: &TaskConfig) -> Config {
    let env = Environment::coarse("14.2.7", 34, "en-US").expect("environment");
    let endpoints = Endpoints::new(
        "https://gateway.invalid/gateway",
        Route::DirectToCollector,
        EndpointRules::Release,
    )
    .expect("endpoints");
    let tasks = tasks.to_json().into_bytes();
    let mut c = Config::new(
        PathBuf::from(DATA_DIR),
        rfc9458_keys(),
        endpoints,
        tasks,
        env,
    );
    c.schema = schema;
    c.clock = Arc::new(clock.clone());
    c.fs = fs;
    c.collection_enabled = Some(true);
    c
}

/// URLs a browsing call may carry: allow-listed, `other`, dropped for each
/// kind of reason, search engines.
pub const URLS: &[&[u8]] = &[
    b"https://www.wikipedia.org/wiki/Rust",
    b"https://www.google.com/search?q=CANARY",
    b"https://duckduckgo.com/?q=CANARY",
    b"https://canary-unlisted.example.co.uk/path?q=1",
    b"http://user:pw@www.wikipedia.org/",
    b"http://127.0.0.1:8080/",
    b"http://[::1]/",
    b"https://printer.local/",
    b"file:///etc/passwd",
    b"https://xn--bcher-kva.example/",
    b"https://youtube.com/watch?v=CANARY",
    b"\xff\xfe",
];

/// One recording call on `metric` with `value`, by the metric's kind. Errors
/// (an expired metric, a wrong type for a browsing metric) are counted in
/// the report, which is what the targets want to reach.
pub fn record(h: &mut hush_core::Hush, tab: hush_core::tabs::TabId, metric: MetricId, value: u8) {
    let v = u64::from(value);
    let kind = h.schema().get(metric).map(|d| d.kind.clone());
    let _ = match kind {
        Some(MetricKind::Counter) => h.add(tab, metric, v),
        Some(MetricKind::LabeledCounter { labels }) => {
            h.add_label(tab, metric, &labels[usize::from(value) % labels.len()], 1)
        }
        Some(MetricKind::Boolean) => h.set_boolean(tab, metric, value.is_multiple_of(2)),
        Some(MetricKind::Histogram { .. }) => h.accumulate(tab, metric, v * 37),
        Some(MetricKind::Domain { .. }) => {
            h.page_loaded(tab, URLS[usize::from(value) % URLS.len()], v)
        }
        Some(MetricKind::SearchEngine) => h.searched(tab, URLS[usize::from(value) % URLS.len()]),
        None => h.add(tab, metric, v),
    };
}
