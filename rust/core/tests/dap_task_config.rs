//! The pinned task configuration: what a valid one is, and a clear error for
//! each way one can be wrong, so a misprovisioned task is found when the app
//! starts, not when the first batch fails to verify.

use hush_core::anonymize::Anonymizer;
use hush_core::dap::{Plan, TaskConfig, TaskConfigError};
use hush_core::schema::Schema;
use janus_messages::codec::Encode;
use janus_messages::{HpkeAeadId, HpkeConfig, HpkeConfigId, HpkeKdfId, HpkeKemId, HpkePublicKey};
use serde_json::{json, Value};

fn hpke(id: u8, kem: HpkeKemId, aead: HpkeAeadId, key_len: usize) -> HpkeConfig {
    HpkeConfig::new(
        HpkeConfigId::from(id),
        kem,
        HpkeKdfId::HkdfSha256,
        aead,
        HpkePublicKey::from(vec![9; key_len]),
    )
}

fn x25519(id: u8) -> HpkeConfig {
    hpke(id, HpkeKemId::X25519HkdfSha256, HpkeAeadId::Aes128Gcm, 32)
}

fn plan() -> Plan {
    Plan::new(&Schema::default_browser(), Anonymizer::shipped()).unwrap()
}

fn valid() -> Value {
    let config = TaskConfig::for_plan(
        &plan(),
        "https://leader.example/dap/",
        "https://helper.example/",
        &x25519(1),
        &x25519(2),
        86_400,
        100,
    )
    .unwrap();
    serde_json::from_str(&config.to_json()).unwrap()
}

fn parse(v: &Value) -> Result<TaskConfig, TaskConfigError> {
    TaskConfig::parse(
        v.to_string().as_bytes(),
        &plan(),
        hush_core::seal::EndpointRules::Release,
    )
}

fn b64(config: &HpkeConfig) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(config.get_encoded().unwrap())
}

#[test]
fn a_generated_configuration_round_trips() {
    let v = valid();
    let config = parse(&v).unwrap();
    assert_eq!(config.tasks.len(), plan().tasks().len());
    assert_eq!(serde_json::from_str::<Value>(&config.to_json()).unwrap(), v);
    let id = config.task("page.domain").unwrap().task_id;
    assert_eq!(
        config.upload_url(&id),
        format!("https://leader.example/dap/tasks/{id}/reports")
    );
    // Task ids are fresh per configuration and distinct per task.
    let other = parse(&valid()).unwrap();
    assert_ne!(other.task("page.domain").unwrap().task_id, id);
}

#[test]
fn each_mistake_gets_a_clear_error() {
    let mut cases: Vec<(Value, &str)> = Vec::new();
    let with = |f: &dyn Fn(&mut Value)| {
        let mut v = valid();
        f(&mut v);
        v
    };
    cases.push((with(&|v| v["format"] = json!("hush-dap-tasks/0")), "format"));
    cases.push((
        with(&|v| v["leader"] = json!("http://leader.example/")),
        "leader must use https",
    ));
    cases.push((
        with(&|v| v["leader"] = json!("https://127.0.0.1/")),
        "leader is a loopback",
    ));
    cases.push((
        with(&|v| v["helper"] = json!("https://helper.example")),
        "helper must be the DAP API base",
    ));
    cases.push((
        with(&|v| v["time_precision"] = json!(3600)),
        "time_precision",
    ));
    cases.push((with(&|v| v["time_precision"] = json!(0)), "time_precision"));
    cases.push((with(&|v| v["min_batch_size"] = json!(0)), "min_batch_size"));
    cases.push((
        with(&|v| v["leader_hpke_config"] = json!("***")),
        "leader_hpke_config: not base64url",
    ));
    cases.push((
        with(&|v| v["helper_hpke_config"] = json!("AAAA")),
        "helper_hpke_config: not a DAP HpkeConfig",
    ));
    let p256 = hpke(1, HpkeKemId::P256HkdfSha256, HpkeAeadId::Aes128Gcm, 65);
    cases.push((
        with(&|v| v["leader_hpke_config"] = json!(b64(&p256))),
        "KEM must be",
    ));
    let aes256 = hpke(1, HpkeKemId::X25519HkdfSha256, HpkeAeadId::Aes256Gcm, 32);
    cases.push((
        with(&|v| v["leader_hpke_config"] = json!(b64(&aes256))),
        "AEAD must be",
    ));
    let short = hpke(1, HpkeKemId::X25519HkdfSha256, HpkeAeadId::Aes128Gcm, 31);
    cases.push((
        with(&|v| v["leader_hpke_config"] = json!(b64(&short))),
        "32 bytes",
    ));
    cases.push((
        with(&|v| {
            v["tasks"].as_object_mut().unwrap().remove("search.engine");
        }),
        "no task for 'search.engine'",
    ));
    cases.push((
        with(&|v| v["tasks"]["ghost.metric"] = v["tasks"]["tabs.opened"].clone()),
        "not a metric",
    ));
    cases.push((
        with(&|v| v["tasks"]["tabs.opened"]["vdaf"] = json!({"type": "Prio3Sum", "bits": 16})),
        "needs",
    ));
    cases.push((
        with(&|v| {
            v["tasks"]["tabs.opened"]["task_id"] = v["tasks"]["page.domain"]["task_id"].clone()
        }),
        "reuses",
    ));
    cases.push((
        with(&|v| v["tasks"]["tabs.opened"]["task_id"] = json!("c2hvcnQ")),
        "32 bytes",
    ));
    cases.push((with(&|v| v["extra"] = json!(1)), "unknown field"));
    for (v, want) in cases {
        let err = parse(&v).unwrap_err().to_string();
        assert!(err.contains(want), "want '{want}' in: {err}");
    }
    assert!(matches!(
        TaskConfig::parse(
            b"{not json",
            &plan(),
            hush_core::seal::EndpointRules::Release
        ),
        Err(TaskConfigError::Syntax(_))
    ));
}

#[test]
fn a_longer_time_precision_is_accepted_and_rounds_the_day_down() {
    let mut v = valid();
    v["time_precision"] = json!(7 * 86_400);
    let config = parse(&v).unwrap();
    assert_eq!(config.time_precision, 604_800);
    let day = hush_core::clock::UtcDay::parse_iso("2026-11-30").unwrap();
    let t = hush_core::dap::report::report_time(day, config.time_precision);
    assert_eq!(t.as_seconds_since_epoch() % 604_800, 0);
    assert!(t.as_seconds_since_epoch() <= (day.start_ms() / 1000) as u64);
    assert!(t.as_seconds_since_epoch() + 604_800 > (day.start_ms() / 1000) as u64);
}
