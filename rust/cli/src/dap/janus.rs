//! The same tasks as Janus 0.7 provisions them (`janus_cli provision-tasks
//! FILE`, the format of Janus's `docs/samples/tasks.yaml`): what `hush
//! dap-setup` writes next to each aggregator's configuration, so a Janus
//! instance can take the leader's or the helper's place with the app's task
//! configuration unchanged.
//!
//! YAML with JSON flow values (valid YAML, which Janus's serde_yaml reads);
//! the VDAF is a YAML tag, as Janus's `VdafInstance` expects.

use janus_messages::HpkeConfig;
use serde_json::{json, Value};

use super::deployment::{self, AggregatorFile, Role};

/// `vdaf: !Prio3Sum {"bits":8}` (or `Prio3Count`) from Hush's
/// `{"type":"Prio3Sum","bits":8}`.
fn vdaf(spec: &hush_core::dap::VdafSpec) -> Result<String, String> {
    let mut value = serde_json::to_value(spec).map_err(|e| e.to_string())?;
    let params = value.as_object_mut().ok_or("a VDAF is a JSON object")?;
    let name = params
        .remove("type")
        .and_then(|t| t.as_str().map(str::to_owned))
        .ok_or("a VDAF names its type")?;
    Ok(if params.is_empty() {
        name
    } else {
        format!("!{name} {}", Value::Object(params.clone()))
    })
}

fn config(field: &str, b64: &str) -> Result<Value, String> {
    let c: HpkeConfig = deployment::decode_hpke_config(field, b64)?;
    serde_json::to_value(c).map_err(|e| e.to_string())
}

/// One Janus task entry per task of `file`.
pub fn tasks_yaml(file: &AggregatorFile) -> Result<String, String> {
    let role = match file.role {
        Role::Leader => "Leader",
        Role::Helper => "Helper",
    };
    let collector = config("collector_hpke_config", &file.collector_hpke_config)?;
    let keys = json!([{
        "config": config("hpke_keys.config", &file.hpke_keys.config)?,
        "private_key": file.hpke_keys.private_key,
    }]);
    let optional = |v: Option<Value>| v.unwrap_or(Value::Null);
    let mut out = format!(
        "# Janus 0.7 task provisioning (janus_cli provision-tasks) for the {} of a\n\
         # `hush dap-setup` deployment: the same tasks, keys and tokens. Secret.\n",
        role.to_ascii_lowercase()
    );
    for t in &file.tasks {
        let fields: [(&str, String); 16] = [
            ("task_id", json!(t.task_id).to_string()),
            (
                "peer_aggregator_endpoint",
                json!(file.peer_aggregator_endpoint).to_string(),
            ),
            ("query_type", "TimeInterval".into()),
            ("vdaf", vdaf(&t.vdaf)?),
            ("role", role.into()),
            ("vdaf_verify_key", json!(t.vdaf_verify_key).to_string()),
            (
                "max_batch_query_count",
                file.max_batch_query_count.to_string(),
            ),
            ("task_expiration", "null".into()),
            ("report_expiry_age", file.report_expiry_age.to_string()),
            ("min_batch_size", file.min_batch_size.to_string()),
            ("time_precision", file.time_precision.to_string()),
            (
                "tolerable_clock_skew",
                file.tolerable_clock_skew.to_string(),
            ),
            ("collector_hpke_config", collector.to_string()),
            (
                "aggregator_auth_token",
                optional(file.aggregator_auth_token.as_ref().map(|t| json!(t))).to_string(),
            ),
            (
                "aggregator_auth_token_hash",
                optional(file.aggregator_auth_token_hash.as_ref().map(|h| json!(h))).to_string(),
            ),
            (
                "collector_auth_token_hash",
                optional(file.collector_auth_token_hash.as_ref().map(|h| json!(h))).to_string(),
            ),
        ];
        out.push_str(&format!("- # {}\n", t.name));
        for (key, value) in fields {
            out.push_str(&format!("  {key}: {value}\n"));
        }
        out.push_str(&format!("  hpke_keys: {keys}\n"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hush_core::dap::VdafSpec;

    #[test]
    fn vdafs_become_janus_tags() {
        assert_eq!(vdaf(&VdafSpec::Prio3Count).unwrap(), "Prio3Count");
        assert_eq!(
            vdaf(&VdafSpec::Prio3Sum { bits: 8 }).unwrap(),
            r#"!Prio3Sum {"bits":8}"#
        );
        assert_eq!(
            vdaf(&VdafSpec::Prio3Histogram {
                length: 3,
                chunk_length: 1
            })
            .unwrap(),
            r#"!Prio3Histogram {"chunk_length":1,"length":3}"#
        );
    }
}
