//! The files of a DAP deployment, as `hush dap-setup` writes them and the
//! aggregators and the collector read them (JSON). Field names follow
//! Janus's task provisioning (`docs/samples/tasks.yaml`), so an operator can
//! carry a task from one to the other by hand.
//!
//! Files holding a secret (an HPKE private key, a VDAF verify key, an auth
//! token) are created with mode 0600 and never overwritten.

use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use base64::Engine as _;
use hush_core::dap::VdafSpec;
use janus_messages::codec::{Decode as _, Encode as _};
use janus_messages::{HpkeConfig, TaskId};
use serde::{Deserialize, Serialize};

use super::auth::{AuthToken, AuthTokenHash};
use super::hpke::Keypair;

pub const AGGREGATOR_FORMAT: &str = "hush-dap-aggregator/1";
pub const COLLECTOR_FORMAT: &str = "hush-dap-collector/1";

/// DAP's two aggregator roles, as the files name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Leader,
    Helper,
}

/// An HPKE key pair, as Janus writes one: the encoded DAP `HpkeConfig` and
/// the X25519 private key, both unpadded base64url.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeypairFile {
    pub config: String,
    pub private_key: String,
}

/// One task as an aggregator knows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggregatorTask {
    /// The plan's name for it (the metric).
    pub name: String,
    pub task_id: TaskId,
    pub vdaf: VdafSpec,
    /// Shared by leader and helper of this task; its length is the VDAF's.
    pub vdaf_verify_key: String,
}

/// `leader/aggregator.json` and `helper/aggregator.json`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggregatorFile {
    pub format: String,
    pub role: Role,
    /// This aggregator's DAP API base URL, ending in `/`; its path is where
    /// the API is served.
    pub url: String,
    /// The other aggregator's: the leader sends aggregation jobs and
    /// aggregate-share requests there.
    pub peer_aggregator_endpoint: String,
    pub hpke_keys: KeypairFile,
    /// The collector's `HpkeConfig` (base64url): aggregate shares are sealed to it.
    pub collector_hpke_config: String,
    /// Leader: the token it presents to the helper.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregator_auth_token: Option<AuthToken>,
    /// Helper: the hash of the token it accepts from the leader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregator_auth_token_hash: Option<AuthTokenHash>,
    /// Leader: the hash of the token it accepts from the collector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collector_auth_token_hash: Option<AuthTokenHash>,
    /// Seconds; reports carry only a multiple of it (a UTC day or longer).
    pub time_precision: u64,
    /// Below this many reports a batch yields nothing.
    pub min_batch_size: u64,
    /// Always 1: a batch is collected at most once.
    pub max_batch_query_count: u64,
    /// How far in the future a report's time may be, in seconds.
    pub tolerable_clock_skew: u64,
    /// How old a report may be, in seconds; report ids are kept this long.
    pub report_expiry_age: u64,
    pub tasks: Vec<AggregatorTask>,
}

/// One task as the collector knows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectorTask {
    pub name: String,
    pub task_id: TaskId,
    pub vdaf: VdafSpec,
    /// One per vector entry or bucket, as the plan names them; empty for a sum.
    pub labels: Vec<String>,
}

/// `collector/collector.json`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectorFile {
    pub format: String,
    /// The leader's DAP API base URL.
    pub leader: String,
    pub hpke_keys: KeypairFile,
    pub collector_auth_token: AuthToken,
    pub time_precision: u64,
    pub min_batch_size: u64,
    pub tasks: Vec<CollectorTask>,
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn unb64(field: &str, s: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| format!("{field}: not unpadded base64url"))
}

pub fn encode_hpke_config(config: &HpkeConfig) -> String {
    b64(&config.get_encoded().expect("an HpkeConfig always encodes"))
}

pub fn decode_hpke_config(field: &str, s: &str) -> Result<HpkeConfig, String> {
    HpkeConfig::get_decoded(&unb64(field, s)?).map_err(|_| format!("{field}: not a DAP HpkeConfig"))
}

impl KeypairFile {
    pub fn of(keys: &Keypair) -> Self {
        Self {
            config: encode_hpke_config(keys.config()),
            private_key: b64(keys.secret()),
        }
    }

    pub fn load(&self) -> Result<Keypair, String> {
        let config = decode_hpke_config("hpke_keys.config", &self.config)?;
        let secret: [u8; 32] = unb64("hpke_keys.private_key", &self.private_key)?
            .try_into()
            .map_err(|_| "hpke_keys.private_key: must be 32 bytes".to_owned())?;
        Keypair::new(config, secret).map_err(|e| format!("hpke_keys: {e}"))
    }
}

impl AggregatorTask {
    pub fn verify_key(&self) -> Result<Vec<u8>, String> {
        let key = unb64(
            &format!("task '{}': vdaf_verify_key", self.name),
            &self.vdaf_verify_key,
        )?;
        let want = verify_key_len(&self.vdaf);
        if key.len() != want {
            return Err(format!(
                "task '{}': vdaf_verify_key must be {want} bytes for {}",
                self.name,
                self.vdaf.name()
            ));
        }
        Ok(key)
    }
}

/// The verify-key length of a VDAF (Janus's `verify_key_length`).
pub fn verify_key_len(vdaf: &VdafSpec) -> usize {
    use hush_core::dap::vdaf::{VERIFY_KEY_LEN, VERIFY_KEY_LEN_HMACSHA256_AES128};
    match vdaf {
        VdafSpec::Prio3SumVecField64MultiproofHmacSha256Aes128 { .. } => {
            VERIFY_KEY_LEN_HMACSHA256_AES128
        }
        _ => VERIFY_KEY_LEN,
    }
}

/// Reads and parses a deployment file, with the file named in every error.
pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, String> {
    let bytes = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes a file that must not exist yet; `secret` files get mode 0600 from
/// the moment they exist.
pub fn write_new(path: &Path, bytes: &[u8], secret: bool) -> Result<(), String> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(if secret { 0o600 } else { 0o644 })
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => {
                format!(
                    "{} already exists; refusing to overwrite it",
                    path.display()
                )
            }
            _ => format!("{}: {e}", path.display()),
        })?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Pretty JSON with a final newline.
pub fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(value).expect("deployment files always serialize");
    out.push(b'\n');
    out
}
