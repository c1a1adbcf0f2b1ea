//! A development DAP deployment for the aggregator fuzz target: `hush
//! dap-setup` into a temporary directory (on tmpfs when there is one: every
//! accepted upload is a durable commit), the leader and the helper opened
//! on stores of their own, requests to each resource with the token its
//! peer would present, and valid device uploads to edit.

use std::path::{Path, PathBuf};

use clap::Parser as _;
use hush_cli::dap::aggregator::ProcessArgs;
use hush_cli::dap::deployment::{AggregatorFile, CollectorFile, Role as FileRole};
use hush_cli::dap::helper::{self, Helper};
use hush_cli::dap::http::Request;
use hush_cli::dap::leader::{self, Leader};
use hush_cli::dap::setup;
use hush_core::anonymize::{Anonymizer, Environment};
use hush_core::clock::{Clock as _, SystemClock, UtcDay};
use hush_core::dap::{DapClient, Plan, TaskConfig};
use hush_core::report::{Dropped, Errors, Report, REPORT_FORMAT};
use hush_core::schema::Schema;
use hush_core::seal::EndpointRules;
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use hyper::{HeaderMap, Method};
use janus_messages::codec::Decode as _;
use janus_messages::{AggregationJobId, CollectionJobId, TaskId};

/// Which aggregator a route reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Leader,
    Helper,
}

/// A resource of either aggregator, as a peer reaches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Arbitrary bytes as a device's upload.
    Upload,
    /// A valid upload with the input's edits applied.
    EditedUpload,
    /// The collector's `PUT collection_jobs/{id}`, with its token.
    CollectionJob,
    /// The leader's `PUT aggregation_jobs/{id}` at the helper, with its token.
    AggregationJobInit,
    /// The leader's `POST aggregation_jobs/{id}` (continue).
    AggregationJobContinue,
    /// The leader's `POST aggregate_shares`.
    AggregateShare,
}

impl Route {
    pub const ALL: [Route; 6] = [
        Route::Upload,
        Route::EditedUpload,
        Route::CollectionJob,
        Route::AggregationJobInit,
        Route::AggregationJobContinue,
        Route::AggregateShare,
    ];

    pub fn aggregator(self) -> Role {
        match self {
            Route::Upload | Route::EditedUpload | Route::CollectionJob => Role::Leader,
            _ => Role::Helper,
        }
    }

    pub fn is_upload(self) -> bool {
        matches!(self, Route::Upload | Route::EditedUpload)
    }
}

#[derive(clap::Parser)]
struct SetupCommand {
    #[command(flatten)]
    args: setup::Args,
}

pub struct Deployment {
    dir: PathBuf,
    task_ids: Vec<TaskId>,
    leader_token: (String, String),
    collector_token: (String, String),
    /// One valid upload body per task, for yesterday.
    uploads: Vec<Vec<u8>>,
}

fn scratch_dir() -> PathBuf {
    let base = Path::new("/dev/shm");
    let base = if base.is_dir() {
        base.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!("hush-fuzz-dap-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

fn read<T: serde::de::DeserializeOwned>(path: &Path) -> T {
    serde_json::from_slice(&std::fs::read(path).expect("deployment file")).expect("deployment JSON")
}

impl Deployment {
    /// Writes a fresh deployment (new keys, tokens and task ids).
    pub fn create() -> Self {
        let dir = scratch_dir();
        let out = dir.join("dep");
        let command = SetupCommand::parse_from([
            "dap-setup".as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
            "--leader-url".as_ref(),
            "http://127.0.0.1:8701/".as_ref(),
            "--helper-url".as_ref(),
            "http://127.0.0.1:8702/".as_ref(),
            "--min-batch-size".as_ref(),
            "2".as_ref(),
        ] as [&std::ffi::OsStr; 9]);
        setup::run(command.args).expect("dap-setup");
        let leader: AggregatorFile = read(&out.join("leader/aggregator.json"));
        let collector: CollectorFile = read(&out.join("collector/collector.json"));
        let plan = Plan::new(&Schema::default_browser(), Anonymizer::shipped()).expect("plan");
        let config = TaskConfig::parse(
            &std::fs::read(out.join("client/dap-tasks.json")).expect("tasks"),
            &plan,
            EndpointRules::LoopbackForTests,
        )
        .expect("task configuration");
        let task_ids = config.tasks.iter().map(|t| t.task_id).collect();
        let client = DapClient::new(plan, config);
        let yesterday = UtcDay::of_ms(SystemClock.now_ms() - 86_400_000);
        let day = Report {
            format: REPORT_FORMAT.into(),
            schema_version: 1,
            report_id: "000102030405060708090a0b0c0d0e0f".into(),
            day: yesterday.iso(),
            environment: Environment::coarse("14.2", 34, "en").expect("environment"),
            metrics: Default::default(),
            errors: Errors::default(),
            dropped: Dropped::default(),
        };
        let uploads = client
            .day_reports(&day, Anonymizer::shipped())
            .expect("a day's reports")
            .into_iter()
            .map(|r| r.report.body)
            .collect();
        let token = |t: &hush_cli::dap::auth::AuthToken| {
            let (name, value) = t.header();
            (name.to_owned(), value)
        };
        Self {
            leader_token: token(leader.aggregator_auth_token.as_ref().expect("leader token")),
            collector_token: token(&collector.collector_auth_token),
            dir,
            task_ids,
            uploads,
        }
    }

    /// The leader and the helper, each on a store of its own.
    pub fn open(&self) -> (Leader, Helper) {
        let process = |role: &str| ProcessArgs {
            config: self.dir.join(format!("dep/{role}/aggregator.json")),
            db: self.dir.join(format!("{role}.db")),
            listen: "127.0.0.1:0".parse().expect("address"),
        };
        let (agg, db, writer) = process("leader")
            .open(FileRole::Leader, leader::store::SCHEMA)
            .expect("leader");
        // The writers live as long as the process.
        std::mem::forget(writer);
        let leader = Leader::new(agg, db);
        let (agg, db, writer) = process("helper")
            .open(FileRole::Helper, helper::store::SCHEMA)
            .expect("helper");
        std::mem::forget(writer);
        (leader, Helper::new(agg, db))
    }

    pub fn tasks(&self) -> usize {
        self.task_ids.len()
    }

    /// Task `task`'s valid upload with `edits` applied: each 3 bytes are a
    /// position (2 bytes, modulo the length) and the byte written there; a
    /// trailing byte truncates the body to that fraction of its length.
    pub fn edited_upload(&self, task: usize, edits: &[u8]) -> Vec<u8> {
        let mut body = self.uploads[task].clone();
        let mut chunks = edits.chunks_exact(3);
        for e in chunks.by_ref() {
            let at = usize::from(u16::from_be_bytes([e[0], e[1]])) % body.len();
            body[at] = e[2];
        }
        if let [cut] = chunks.remainder() {
            body.truncate(body.len() * usize::from(*cut) / 256);
        }
        body
    }

    pub fn request(&self, route: Route, task: usize, body: Vec<u8>) -> Request {
        let task_id = self.task_ids[task];
        let job = AggregationJobId::from([7; 16]);
        let collection =
            CollectionJobId::try_from(&[9u8; CollectionJobId::LEN][..]).expect("job id");
        let (method, path, media_type, token) = match route {
            Route::Upload | Route::EditedUpload => (
                Method::PUT,
                format!("/tasks/{task_id}/reports"),
                "application/dap-report",
                None,
            ),
            Route::CollectionJob => (
                Method::PUT,
                format!("/tasks/{task_id}/collection_jobs/{collection}"),
                "application/dap-collect-req",
                Some(&self.collector_token),
            ),
            Route::AggregationJobInit => (
                Method::PUT,
                format!("/tasks/{task_id}/aggregation_jobs/{job}"),
                "application/dap-aggregation-job-init-req",
                Some(&self.leader_token),
            ),
            Route::AggregationJobContinue => (
                Method::POST,
                format!("/tasks/{task_id}/aggregation_jobs/{job}"),
                "application/dap-aggregation-job-continue-req",
                Some(&self.leader_token),
            ),
            Route::AggregateShare => (
                Method::POST,
                format!("/tasks/{task_id}/aggregate_shares"),
                "application/dap-aggregate-share-req",
                Some(&self.leader_token),
            ),
        };
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(media_type));
        if let Some((name, value)) = token {
            headers.insert(
                HeaderName::from_bytes(name.as_bytes()).expect("header name"),
                HeaderValue::from_str(value).expect("header value"),
            );
        }
        Request {
            method,
            path,
            query: None,
            headers,
            body: body.into(),
        }
    }

    /// An upload the leader accepted is the device's report for that task,
    /// but for the helper's sealed share, which the leader cannot open
    /// (the helper refuses it at preparation): every byte the leader
    /// checks is bound to the task, the metadata and the public share by
    /// the HPKE AAD, so no edit of those can be accepted.
    pub fn check_accepted(&self, task: usize, body: &[u8]) {
        let report = janus_messages::Report::get_decoded(body)
            .expect("an accepted upload decodes as a DAP report");
        let valid = janus_messages::Report::get_decoded(&self.uploads[task]).expect("valid");
        assert_eq!(report.metadata(), valid.metadata());
        assert_eq!(report.public_share(), valid.public_share());
        assert_eq!(
            report.leader_encrypted_input_share(),
            valid.leader_encrypted_input_share()
        );
    }
}
