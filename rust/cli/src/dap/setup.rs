//! `hush dap-setup`: a development deployment for a schema, in one
//! directory:
//!
//! | file | mode | holds |
//! |---|---|---|
//! | `client/dap-tasks.json` | 0644 | what the app ships and pins: the task configuration (`hush-dap-tasks/1`) |
//! | `client/ohttp-keys` | 0644 | the leader gateway's OHTTP key configuration, also pinned by the app |
//! | `client/schema.json` | 0644 | the schema the tasks are for, in the JSON form the library takes (`HushConfig.schemaJson`; as `hush schema` writes it) |
//! | `leader/aggregator.json` | 0600 | the leader's HPKE key pair, the tasks with their VDAF verify keys, the helper's URL, the token it presents to the helper, the collector's HPKE config and the hash of the collector's token |
//! | `leader/ohttp/` | 0600 keys | the key directory of the leader's OHTTP gateway, `hush serve --key leader/ohttp` (as `hush keygen` writes it) |
//! | `helper/aggregator.json` | 0600 | the helper's own HPKE key pair, the same tasks and verify keys, the hash of the leader's token, the collector's HPKE config |
//! | `collector/collector.json` | 0600 | the collector's HPKE private key, its token, the leader's URL, the tasks with their labels |
//! | `leader/janus-tasks.yaml`, `helper/janus-tasks.yaml` | 0600 | the same tasks as Janus 0.7 provisions them ([`super::janus`]), for a Janus instance in either role |
//!
//! Every key, token and task id is fresh from the OS random source. The
//! directory must be new or empty: nothing is ever overwritten.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use hush_core::anonymize::Anonymizer;
use hush_core::dap::{Plan, TaskConfig};
use hush_core::schema::Schema;

use super::auth::AuthToken;
use super::deployment::{
    self, b64, encode_hpke_config, verify_key_len, AggregatorFile, AggregatorTask, CollectorFile,
    CollectorTask, KeypairFile, Role, AGGREGATOR_FORMAT, COLLECTOR_FORMAT,
};
use super::hpke::Keypair;
use super::janus;
use crate::cmd::print_line;
use crate::gateway;

#[derive(clap::Args)]
pub struct Args {
    /// Directory to create the deployment in (new or empty).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The leader's DAP API base URL, ending in '/' (what devices upload to).
    #[arg(long, value_name = "URL")]
    leader_url: String,
    /// The helper's DAP API base URL, ending in '/'.
    #[arg(long, value_name = "URL")]
    helper_url: String,
    /// Metric schema (TOML); default: the shipped one.
    #[arg(long, value_name = "FILE")]
    schema: Option<PathBuf>,
    /// Below this many reports, a batch yields nothing.
    #[arg(long, value_name = "N", default_value_t = 100)]
    min_batch_size: u64,
    /// Seconds a report's time is rounded to: a UTC day or a multiple of it.
    #[arg(long, value_name = "SECS", default_value_t = 86_400)]
    time_precision: u64,
    /// How far ahead of the aggregators' clocks a report's time may be.
    #[arg(long, value_name = "SECS", default_value_t = 3_600)]
    tolerable_clock_skew: u64,
    /// How old a report may be when it arrives (and how long its id is kept).
    #[arg(long, value_name = "SECS", default_value_t = 40 * 86_400)]
    report_expiry_age: u64,
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let schema_json = match &args.schema {
        Some(p) => {
            let text = fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            Schema::toml_to_json(&text).map_err(|e| format!("{}: {e}", p.display()))?
        }
        None => hush_core::schema::DEFAULT_SCHEMA_JSON.to_owned(),
    };
    let schema = Schema::from_json(&schema_json).map_err(|e| e.to_string())?;
    if args.min_batch_size == 0 {
        return Err("--min-batch-size must be at least 1".into());
    }
    let plan = Plan::new(&schema, Anonymizer::shipped()).map_err(|e| e.to_string())?;
    let out = &args.out;
    if fs::read_dir(out).is_ok_and(|mut d| d.next().is_some()) {
        return Err(format!(
            "{} is not empty; refusing to overwrite a deployment",
            out.display()
        ));
    }
    let leader_keys = Keypair::generate(random_byte());
    let helper_keys = Keypair::generate(random_byte());
    let collector_keys = Keypair::generate(random_byte());
    let client = TaskConfig::for_plan(
        &plan,
        &args.leader_url,
        &args.helper_url,
        leader_keys.config(),
        helper_keys.config(),
        args.time_precision,
        args.min_batch_size,
    )
    .map_err(|e| e.to_string())?;
    if super::http::base_path(&args.leader_url).is_none()
        || super::http::base_path(&args.helper_url).is_none()
    {
        return Err("--leader-url and --helper-url must be http(s) URLs ending in '/'".into());
    }
    let leader_token = AuthToken::generate();
    let collector_token = AuthToken::generate();
    let tasks: Vec<AggregatorTask> = client
        .tasks
        .iter()
        .map(|t| {
            let mut key = vec![0u8; verify_key_len(&t.vdaf)];
            hush_core::random::fill(&mut key);
            AggregatorTask {
                name: t.name.clone(),
                task_id: t.task_id,
                vdaf: t.vdaf.clone(),
                vdaf_verify_key: b64(&key),
            }
        })
        .collect();
    let aggregator = |role, url: &str, peer: &str, keys: &Keypair| AggregatorFile {
        format: AGGREGATOR_FORMAT.into(),
        role,
        url: url.into(),
        peer_aggregator_endpoint: peer.into(),
        hpke_keys: KeypairFile::of(keys),
        collector_hpke_config: encode_hpke_config(collector_keys.config()),
        aggregator_auth_token: None,
        aggregator_auth_token_hash: None,
        collector_auth_token_hash: None,
        time_precision: args.time_precision,
        min_batch_size: args.min_batch_size,
        max_batch_query_count: 1,
        tolerable_clock_skew: args.tolerable_clock_skew,
        report_expiry_age: args.report_expiry_age,
        tasks: tasks.clone(),
    };
    let leader = AggregatorFile {
        aggregator_auth_token: Some(leader_token.clone()),
        collector_auth_token_hash: Some(collector_token.hash()),
        ..aggregator(
            Role::Leader,
            &args.leader_url,
            &args.helper_url,
            &leader_keys,
        )
    };
    let helper = AggregatorFile {
        aggregator_auth_token_hash: Some(leader_token.hash()),
        ..aggregator(
            Role::Helper,
            &args.helper_url,
            &args.leader_url,
            &helper_keys,
        )
    };
    let collector = CollectorFile {
        format: COLLECTOR_FORMAT.into(),
        leader: args.leader_url.clone(),
        hpke_keys: KeypairFile::of(&collector_keys),
        collector_auth_token: collector_token,
        time_precision: args.time_precision,
        min_batch_size: args.min_batch_size,
        tasks: plan
            .tasks()
            .iter()
            .zip(&client.tasks)
            .map(|(p, t)| CollectorTask {
                name: t.name.clone(),
                task_id: t.task_id,
                vdaf: t.vdaf.clone(),
                labels: p.labels.clone(),
            })
            .collect(),
    };
    // The leader's Hush HPKE configurations must load as the aggregators will.
    super::aggregator::Aggregator::from_file(leader.clone(), Role::Leader)?;
    super::aggregator::Aggregator::from_file(helper.clone(), Role::Helper)?;

    for dir in ["client", "leader", "helper", "collector"] {
        let path = out.join(dir);
        fs::create_dir_all(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let written = [
        write(
            out,
            "client/dap-tasks.json",
            client.to_json().into_bytes(),
            false,
        )?,
        write(out, "client/schema.json", schema_json.into_bytes(), false)?,
        write(
            out,
            "leader/aggregator.json",
            deployment::to_json(&leader),
            true,
        )?,
        write(
            out,
            "helper/aggregator.json",
            deployment::to_json(&helper),
            true,
        )?,
        write(
            out,
            "collector/collector.json",
            deployment::to_json(&collector),
            true,
        )?,
        write(
            out,
            "leader/janus-tasks.yaml",
            janus::tasks_yaml(&leader)?.into_bytes(),
            true,
        )?,
        write(
            out,
            "helper/janus-tasks.yaml",
            janus::tasks_yaml(&helper)?.into_bytes(),
            true,
        )?,
    ];
    let ohttp = out.join("leader/ohttp");
    gateway::generate(&ohttp, None).map_err(|e| e.to_string())?;
    let keys = fs::read(ohttp.join(gateway::KEYS_FILE))
        .map_err(|e| format!("{}: {e}", ohttp.display()))?;
    let pinned = write(out, "client/ohttp-keys", keys, false)?;
    for path in written.iter().chain([&pinned]) {
        print_line(&format!("wrote {}", path.display()))?;
    }
    print_line(&format!(
        "wrote {}/ (the OHTTP gateway's keys: hush serve --key)",
        ohttp.display()
    ))?;
    Ok(ExitCode::SUCCESS)
}

fn write(out: &Path, name: &str, bytes: Vec<u8>, secret: bool) -> Result<PathBuf, String> {
    let path = out.join(name);
    deployment::write_new(&path, &bytes, secret)?;
    Ok(path)
}

fn random_byte() -> u8 {
    let mut b = [0u8; 1];
    hush_core::random::fill(&mut b);
    b[0]
}
