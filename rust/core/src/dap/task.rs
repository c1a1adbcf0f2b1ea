//! The DAP task configuration an app ships, pinned like the OHTTP keys: the
//! leader's and helper's endpoints and HPKE configurations, the time
//! precision, the minimum batch size, and one task id and VDAF per task of
//! the [`Plan`]. Every device of an app holds the same bytes (P15): nothing
//! here is fetched or varies per device.
//!
//! JSON, `format = "hush-dap-tasks/1"`:
//!
//! ```json
//! { "format": "hush-dap-tasks/1",
//!   "leader": "https://leader.example/dap/",
//!   "helper": "https://helper.example/dap/",
//!   "leader_hpke_config": "<base64url of the DAP HpkeConfig>",
//!   "helper_hpke_config": "<base64url of the DAP HpkeConfig>",
//!   "time_precision": 86400,
//!   "min_batch_size": 100,
//!   "tasks": { "tabs.opened": { "task_id": "<base64url, 32 bytes>",
//!                               "vdaf": { "type": "Prio3Sum", "bits": 8 } }, ... } }
//! ```
//!
//! The VDAF of each task must be exactly the one the plan derives from the
//! schema, so a task provisioned at the aggregators with other parameters is
//! found when the app starts, not when the first batch fails to verify.

use std::collections::BTreeMap;

use janus_messages::codec::{Decode, Encode};
use janus_messages::{HpkeAeadId, HpkeConfig, HpkeKdfId, HpkeKemId, TaskId};
use serde::Deserialize;

use super::plan::Plan;
use super::vdaf::VdafSpec;
use crate::ohttp::{Aead, Kdf, Kem};
use crate::seal::{check_endpoint, EndpointRules};

pub const TASKS_FORMAT: &str = "hush-dap-tasks/1";

/// Seconds in a UTC day: a report's time is the start of its day, or of a
/// longer epoch-aligned period (P7).
pub const DAY_SECONDS: u64 = 86_400;

/// An aggregator's HPKE configuration, checked to be one Hush can seal to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HpkeTarget {
    pub config: HpkeConfig,
    pub(super) kem: Kem,
    pub(super) kdf: Kdf,
    pub(super) aead: Aead,
    pub(super) public_key: [u8; 32],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskBinding {
    pub name: String,
    pub task_id: TaskId,
    pub vdaf: VdafSpec,
}

/// A parsed and checked task configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskConfig {
    /// The leader's DAP API base URL, ending in `/`.
    pub leader: String,
    pub helper: String,
    pub leader_hpke: HpkeTarget,
    pub helper_hpke: HpkeTarget,
    /// Seconds; a positive multiple of [`DAY_SECONDS`].
    pub time_precision: u64,
    pub min_batch_size: u64,
    /// In [`Plan::tasks`] order.
    pub tasks: Vec<TaskBinding>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TaskConfigError {
    #[error("task configuration is not valid JSON of format {TASKS_FORMAT}: {0}")]
    Syntax(String),
    #[error("task configuration: {0}")]
    Invalid(String),
}

fn invalid(msg: impl Into<String>) -> TaskConfigError {
    TaskConfigError::Invalid(msg.into())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    format: String,
    leader: String,
    helper: String,
    leader_hpke_config: String,
    helper_hpke_config: String,
    time_precision: u64,
    min_batch_size: u64,
    tasks: BTreeMap<String, RawTask>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTask {
    task_id: String,
    vdaf: VdafSpec,
}

impl TaskConfig {
    /// Parses `json` and checks it against `plan`: one task per planned task,
    /// with the planned VDAF; distinct task ids; sealable HPKE configs;
    /// aggregator URLs that `rules` accept (those of the gateway and relay).
    pub fn parse(json: &[u8], plan: &Plan, rules: EndpointRules) -> Result<Self, TaskConfigError> {
        let raw: RawConfig =
            serde_json::from_slice(json).map_err(|e| TaskConfigError::Syntax(e.to_string()))?;
        if raw.format != TASKS_FORMAT {
            return Err(invalid(format!(
                "format is '{}', expected '{TASKS_FORMAT}'",
                raw.format
            )));
        }
        for (role, url) in [("leader", &raw.leader), ("helper", &raw.helper)] {
            check_endpoint(url, role, rules).map_err(|e| invalid(e.to_string()))?;
            let has_base = url
                .split_once("://")
                .is_some_and(|(_, rest)| rest.find('/').is_some_and(|i| i > 0));
            if !url.ends_with('/') || !has_base {
                return Err(invalid(format!(
                    "{role} must be the DAP API base URL, ending in '/'"
                )));
            }
        }
        if raw.time_precision == 0 || raw.time_precision % DAY_SECONDS != 0 {
            return Err(invalid(
                "time_precision must be a positive multiple of 86400 seconds: a report carries only its UTC day (P7)",
            ));
        }
        if raw.min_batch_size == 0 {
            return Err(invalid("min_batch_size must be at least 1"));
        }
        let leader_hpke = hpke_target("leader_hpke_config", &raw.leader_hpke_config)?;
        let helper_hpke = hpke_target("helper_hpke_config", &raw.helper_hpke_config)?;
        let mut raw_tasks = raw.tasks;
        let mut tasks = Vec::with_capacity(plan.tasks().len());
        for planned in plan.tasks() {
            let t = raw_tasks
                .remove(&planned.name)
                .ok_or_else(|| invalid(format!("no task for '{}'", planned.name)))?;
            if t.vdaf != planned.vdaf {
                return Err(invalid(format!(
                    "task '{}' has VDAF {}, but its metric needs {}",
                    planned.name,
                    serde_json::to_string(&t.vdaf).unwrap_or_default(),
                    serde_json::to_string(&planned.vdaf).unwrap_or_default(),
                )));
            }
            let task_id: TaskId = t.task_id.parse().map_err(|_| {
                invalid(format!(
                    "task '{}': task_id must be 32 bytes, base64url",
                    planned.name
                ))
            })?;
            if tasks.iter().any(|b: &TaskBinding| b.task_id == task_id) {
                return Err(invalid(format!(
                    "task '{}' reuses another task's id",
                    planned.name
                )));
            }
            tasks.push(TaskBinding {
                name: planned.name.clone(),
                task_id,
                vdaf: t.vdaf,
            });
        }
        if let Some(extra) = raw_tasks.keys().next() {
            return Err(invalid(format!(
                "task '{extra}' is not a metric of the schema"
            )));
        }
        Ok(Self {
            leader: raw.leader,
            helper: raw.helper,
            leader_hpke,
            helper_hpke,
            time_precision: raw.time_precision,
            min_batch_size: raw.min_batch_size,
            tasks,
        })
    }

    /// A new configuration for `plan` with fresh random task ids: what an
    /// operator generates once per app release (see `hush dap-setup`).
    pub fn for_plan(
        plan: &Plan,
        leader: &str,
        helper: &str,
        leader_hpke: &HpkeConfig,
        helper_hpke: &HpkeConfig,
        time_precision: u64,
        min_batch_size: u64,
    ) -> Result<Self, TaskConfigError> {
        let mut tasks = BTreeMap::new();
        for t in plan.tasks() {
            let mut id = [0u8; TaskId::LEN];
            crate::random::fill(&mut id);
            tasks.insert(
                t.name.clone(),
                serde_json::json!({ "task_id": TaskId::from(id).to_string(), "vdaf": t.vdaf }),
            );
        }
        let json = serde_json::json!({
            "format": TASKS_FORMAT,
            "leader": leader,
            "helper": helper,
            "leader_hpke_config": base64url_encode(&encoded(leader_hpke)),
            "helper_hpke_config": base64url_encode(&encoded(helper_hpke)),
            "time_precision": time_precision,
            "min_batch_size": min_batch_size,
            "tasks": tasks,
        });
        Self::parse(
            json.to_string().as_bytes(),
            plan,
            EndpointRules::LoopbackForTests,
        )
    }

    /// [`TaskConfig::for_plan`] with X25519/HKDF-SHA256/AES-128-GCM HPKE
    /// configs (ids 1 and 2) for the given public keys.
    pub fn for_plan_x25519(
        plan: &Plan,
        leader: &str,
        helper: &str,
        leader_key: &[u8; 32],
        helper_key: &[u8; 32],
        time_precision: u64,
        min_batch_size: u64,
    ) -> Result<Self, TaskConfigError> {
        let hpke = |id: u8, key: &[u8; 32]| {
            HpkeConfig::new(
                janus_messages::HpkeConfigId::from(id),
                HpkeKemId::X25519HkdfSha256,
                HpkeKdfId::HkdfSha256,
                HpkeAeadId::Aes128Gcm,
                janus_messages::HpkePublicKey::from(key.to_vec()),
            )
        };
        Self::for_plan(
            plan,
            leader,
            helper,
            &hpke(1, leader_key),
            &hpke(2, helper_key),
            time_precision,
            min_batch_size,
        )
    }

    /// The shipped form (see the module docs); [`TaskConfig::parse`] reads it back.
    pub fn to_json(&self) -> String {
        let tasks: BTreeMap<&str, serde_json::Value> = self
            .tasks
            .iter()
            .map(|t| {
                (
                    t.name.as_str(),
                    serde_json::json!({ "task_id": t.task_id.to_string(), "vdaf": t.vdaf }),
                )
            })
            .collect();
        let json = serde_json::json!({
            "format": TASKS_FORMAT,
            "leader": self.leader,
            "helper": self.helper,
            "leader_hpke_config": base64url_encode(&encoded(&self.leader_hpke.config)),
            "helper_hpke_config": base64url_encode(&encoded(&self.helper_hpke.config)),
            "time_precision": self.time_precision,
            "min_batch_size": self.min_batch_size,
            "tasks": tasks,
        });
        serde_json::to_string_pretty(&json).expect("a JSON value always serializes")
    }

    pub fn task(&self, name: &str) -> Option<&TaskBinding> {
        self.tasks.iter().find(|t| t.name == name)
    }

    /// The inner request target of a report: `{leader}tasks/{task-id}/reports`.
    pub fn upload_url(&self, task_id: &TaskId) -> String {
        format!("{}tasks/{task_id}/reports", self.leader)
    }

    /// The upload target split as Binary HTTP carries it: scheme, authority,
    /// path.
    pub fn upload_target(&self, task_id: &TaskId) -> (&str, &str, String) {
        let (scheme, rest) = self.leader.split_once("://").expect("checked when parsed");
        let (authority, base) = rest.split_at(rest.find('/').expect("ends in '/'"));
        (scheme, authority, format!("{base}tasks/{task_id}/reports"))
    }
}

fn hpke_target(field: &str, b64: &str) -> Result<HpkeTarget, TaskConfigError> {
    let bad = |why: &str| invalid(format!("{field}: {why}"));
    let bytes = base64url_decode(b64).ok_or_else(|| bad("not base64url"))?;
    let config = HpkeConfig::get_decoded(&bytes).map_err(|_| bad("not a DAP HpkeConfig"))?;
    let kem = match config.kem_id() {
        HpkeKemId::X25519HkdfSha256 => Kem::X25519HkdfSha256,
        _ => return Err(bad("KEM must be DHKEM(X25519, HKDF-SHA256)")),
    };
    let kdf = match config.kdf_id() {
        HpkeKdfId::HkdfSha256 => Kdf::HkdfSha256,
        _ => return Err(bad("KDF must be HKDF-SHA256")),
    };
    let aead = match config.aead_id() {
        HpkeAeadId::Aes128Gcm => Aead::Aes128Gcm,
        HpkeAeadId::ChaCha20Poly1305 => Aead::ChaCha20Poly1305,
        _ => return Err(bad("AEAD must be AES-128-GCM or ChaCha20-Poly1305")),
    };
    let public_key: [u8; 32] = config
        .public_key()
        .as_ref()
        .try_into()
        .map_err(|_| bad("public key must be 32 bytes"))?;
    Ok(HpkeTarget {
        config,
        kem,
        kdf,
        aead,
        public_key,
    })
}

fn encoded(config: &HpkeConfig) -> Vec<u8> {
    config.get_encoded().expect("an HpkeConfig always encodes")
}

pub(crate) fn base64url_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Unpadded base64url, as DAP and Janus write ids and configs.
pub(crate) fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()
}
