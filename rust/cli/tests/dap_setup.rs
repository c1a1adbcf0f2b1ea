//! `hush dap-setup`: one deployment whose parts fit together (the app's task
//! configuration, the leader's, helper's and collector's files), secrets
//! only in files of mode 0600 and never in what the app ships, and nothing
//! ever overwritten.

mod dap_common;

use std::os::unix::fs::PermissionsExt as _;
use std::process::Command;

use base64::Engine as _;
use dap_common::*;
use janus_messages::codec::Decode;
use janus_messages::HpkeConfig;
use serde_json::Value;

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn config(b64: &Value) -> HpkeConfig {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(b64.as_str().unwrap())
        .unwrap();
    HpkeConfig::get_decoded(&bytes).unwrap()
}

fn sha256_b64(s: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(ring::digest::digest(&ring::digest::SHA256, s.as_bytes()))
}

#[test]
fn a_deployment_fits_together_and_keeps_its_secrets_private() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dep");
    let dep = Deployment::create(&dir, 50);
    let leader = dep.json("leader/aggregator.json");
    let helper = dep.json("helper/aggregator.json");
    let collector = dep.json("collector/collector.json");
    let client = dep.json("client/dap-tasks.json");

    for secret in [
        "leader/aggregator.json",
        "helper/aggregator.json",
        "collector/collector.json",
        "leader/ohttp/gateway.key",
        "leader/ohttp/gateway.seed",
    ] {
        assert_eq!(mode(&dep.path(secret)), 0o600, "{secret}");
    }
    for public in [
        "client/dap-tasks.json",
        "client/ohttp-keys",
        "client/schema.json",
    ] {
        assert_eq!(mode(&dep.path(public)), 0o644, "{public}");
    }
    // The schema the tasks are for, in the form the library takes: the app
    // ships it with them (the shipped schema here).
    let schema = hush_core::schema::Schema::from_json(
        &std::fs::read_to_string(dep.path("client/schema.json")).unwrap(),
    )
    .expect("client/schema.json is a schema the library takes");
    assert_eq!(
        schema.len(),
        hush_core::schema::Schema::default_browser().len()
    );
    assert_eq!(
        std::fs::read(dep.path("client/ohttp-keys")).unwrap(),
        std::fs::read(dep.path("leader/ohttp/ohttp-keys")).unwrap()
    );

    // What the app ships: the aggregators' published configurations and the
    // batch rules, nothing secret.
    assert_eq!(client["leader"], LEADER_URL);
    assert_eq!(client["helper"], HELPER_URL);
    assert_eq!(
        (
            client["time_precision"].as_u64(),
            client["min_batch_size"].as_u64()
        ),
        (Some(86_400), Some(50))
    );
    assert_eq!(
        dep.config.leader_hpke.config,
        config(&leader["hpke_keys"]["config"])
    );
    assert_eq!(
        dep.config.helper_hpke.config,
        config(&helper["hpke_keys"]["config"])
    );
    let shipped = std::fs::read_to_string(dep.path("client/dap-tasks.json")).unwrap();
    let mut secrets = vec![
        leader["hpke_keys"]["private_key"]
            .as_str()
            .unwrap()
            .to_owned(),
        helper["hpke_keys"]["private_key"]
            .as_str()
            .unwrap()
            .to_owned(),
        collector["hpke_keys"]["private_key"]
            .as_str()
            .unwrap()
            .to_owned(),
        leader["aggregator_auth_token"]["token"]
            .as_str()
            .unwrap()
            .to_owned(),
        collector["collector_auth_token"]["token"]
            .as_str()
            .unwrap()
            .to_owned(),
    ];
    secrets.extend(
        leader["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["vdaf_verify_key"].as_str().unwrap().to_owned()),
    );
    for s in &secrets {
        assert!(!shipped.contains(s.as_str()));
    }
    let distinct: std::collections::BTreeSet<_> = secrets.iter().collect();
    assert_eq!(distinct.len(), secrets.len(), "every secret is fresh");

    // Leader and helper share the tasks and their verify keys, and the
    // client's task ids; the collector labels them as the plan does.
    let tasks = |f: &Value| f["tasks"].as_array().unwrap().clone();
    assert_eq!(tasks(&leader), tasks(&helper));
    assert_eq!(tasks(&leader).len(), dep.plan.tasks().len());
    for ((t, binding), (c, planned)) in tasks(&leader)
        .iter()
        .zip(&dep.config.tasks)
        .zip(tasks(&collector).iter().zip(dep.plan.tasks()))
    {
        assert_eq!(t["name"], binding.name.as_str());
        assert_eq!(t["task_id"], binding.task_id.to_string());
        assert_eq!(
            serde_json::from_value::<hush_core::dap::VdafSpec>(t["vdaf"].clone()).unwrap(),
            binding.vdaf
        );
        let key = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(t["vdaf_verify_key"].as_str().unwrap())
            .unwrap();
        let want = if binding.vdaf.name() == "Prio3SumVecField64MultiproofHmacSha256Aes128" {
            32
        } else {
            16
        };
        assert_eq!(key.len(), want, "{}", binding.name);
        assert_eq!(c["task_id"], t["task_id"]);
        assert_eq!(c["labels"].as_array().unwrap().len(), planned.labels.len());
    }
    // The tokens: each receiving side holds the hash of what the sender holds.
    assert_eq!(
        helper["aggregator_auth_token_hash"]["hash"],
        sha256_b64(leader["aggregator_auth_token"]["token"].as_str().unwrap()).as_str()
    );
    assert_eq!(
        leader["collector_auth_token_hash"]["hash"],
        sha256_b64(collector["collector_auth_token"]["token"].as_str().unwrap()).as_str()
    );
    assert!(
        helper.get("aggregator_auth_token").is_none()
            && helper.get("collector_auth_token_hash").is_none()
    );
    // Aggregate shares are sealed to the collector's key.
    assert_eq!(
        config(&leader["collector_hpke_config"]),
        config(&collector["hpke_keys"]["config"])
    );
    assert_eq!(
        helper["collector_hpke_config"],
        leader["collector_hpke_config"]
    );
    assert_eq!(leader["max_batch_query_count"], 1);
    assert_eq!(
        (
            leader["peer_aggregator_endpoint"].as_str(),
            helper["peer_aggregator_endpoint"].as_str()
        ),
        (Some(HELPER_URL), Some(LEADER_URL))
    );

    // The same tasks for Janus: one entry per task, in each role, with the
    // role's own keys and tokens.
    for (role, file, name) in [
        ("Leader", &leader, "leader/janus-tasks.yaml"),
        ("Helper", &helper, "helper/janus-tasks.yaml"),
    ] {
        let yaml = std::fs::read_to_string(dep.path(name)).unwrap();
        assert_eq!(
            yaml.matches("\n  task_id: ").count(),
            dep.plan.tasks().len(),
            "{name}"
        );
        assert_eq!(
            yaml.matches(&format!("\n  role: {role}\n")).count(),
            dep.plan.tasks().len()
        );
        for t in tasks(file) {
            assert!(yaml.contains(&format!(
                "  task_id: \"{}\"\n",
                t["task_id"].as_str().unwrap()
            )));
            assert!(yaml.contains(&format!(
                "  vdaf_verify_key: \"{}\"\n",
                t["vdaf_verify_key"].as_str().unwrap()
            )));
        }
        assert!(yaml.contains(file["hpke_keys"]["private_key"].as_str().unwrap()));
        assert!(yaml.contains("  vdaf: !Prio3SumVecField64MultiproofHmacSha256Aes128 {\"bits\":1,"));
        assert!(yaml.contains("  query_type: TimeInterval\n  vdaf: !Prio3Sum {\"bits\":8}\n"));
    }
    let leader_yaml = std::fs::read_to_string(dep.path("leader/janus-tasks.yaml")).unwrap();
    assert!(leader_yaml.contains(leader["aggregator_auth_token"]["token"].as_str().unwrap()));
    assert!(leader_yaml.contains("  aggregator_auth_token_hash: null\n"));

    // Nothing is ever overwritten.
    let before = std::fs::read(dep.path("leader/aggregator.json")).unwrap();
    let (status, _, stderr) = run(Command::new(HUSH)
        .args(["dap-setup", "--out"])
        .arg(&dir)
        .args(["--leader-url", LEADER_URL, "--helper-url", HELPER_URL]));
    assert!(!status.success());
    assert!(stderr.contains("not empty"), "{stderr}");
    assert_eq!(
        std::fs::read(dep.path("leader/aggregator.json")).unwrap(),
        before
    );
}

#[test]
fn bad_settings_are_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    for (args, says) in [
        (
            [
                "--leader-url",
                "https://leader.example",
                "--helper-url",
                HELPER_URL,
                "--min-batch-size",
                "10",
            ],
            "ending in '/'",
        ),
        (
            [
                "--leader-url",
                LEADER_URL,
                "--helper-url",
                HELPER_URL,
                "--min-batch-size",
                "0",
            ],
            "at least 1",
        ),
        (
            [
                "--leader-url",
                LEADER_URL,
                "--helper-url",
                HELPER_URL,
                "--time-precision",
                "3600",
            ],
            "86400",
        ),
    ] {
        let out = tmp.path().join("x");
        let (status, _, stderr) = run(Command::new(HUSH)
            .args(["dap-setup", "--out"])
            .arg(&out)
            .args(args));
        assert!(!status.success(), "{args:?}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(!out.exists(), "{args:?} left files behind");
    }
}
