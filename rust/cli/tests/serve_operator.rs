//! `hush serve` and `hush leader` for an operator and for standard OHTTP
//! software: the RFC 9540 paths, answers of one size (P9), `/healthz`,
//! `/metrics` on the admin listeners only, the config file, 0600 database
//! files, and a key rotation that strands no device.

mod dap_common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use dap_common::*;
use hush_core::dap::DapReport;
use hush_core::ohttp::KeyConfigs;
use hush_core::report::MetricValue;

const REQ: Option<&str> = Some("message/ohttp-req");

fn pinned(keys: &Path) -> KeyConfigs {
    KeyConfigs::parse(&std::fs::read(keys.join("ohttp-keys")).unwrap()).unwrap()
}

/// A day of one device: every task's report, with `n` tabs opened.
fn day_of(dep: &Deployment, day: &str, n: u64) -> Vec<DapReport> {
    dep.device_reports(day, &[("tabs.opened", MetricValue::Counter(n))])
}

/// The inner Binary HTTP request of an upload to `path` of the leader.
fn inner(method: &str, path: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    hush_core::ohttp::bhttp::encode_request(
        method,
        "https",
        "leader.example",
        path,
        &[("content-type", content_type)],
        body,
        0,
    )
}

#[test]
fn the_rfc9540_gateway_resource_takes_requests_and_serves_keys() {
    let c = Cluster::new(1, Mode::Pass);
    let leader = c.leader();
    let gw = leader.gateway.as_ref().unwrap().addr;
    let base = format!("http://{gw}");
    let well_known = format!("{base}/.well-known/ohttp-gateway");
    // What the gateway publishes is what the app pins.
    let published = std::fs::read(c.dep.client_keys()).unwrap();
    assert_eq!(
        published,
        std::fs::read(c.dep.path("leader/ohttp/ohttp-keys")).unwrap()
    );
    for url in [&well_known, &format!("{base}/ohttp-keys")] {
        let a = send("GET", url, None, b"");
        assert_eq!(
            (a.status, a.content_type.as_str()),
            (200, "application/ohttp-keys")
        );
        assert_eq!(a.body, published, "{url}");
    }
    let reports = day_of(&c.dep, &start(), 5);
    let tabs = c.dep.report_of(&reports, "tabs.opened");
    let (request, opener) = sealed_upload(&c.dep, &c.dep.ohttp_keys, tabs);
    assert_eq!(
        inner_status(&send("POST", &well_known, REQ, &request), &opener),
        200
    );
    assert_eq!(send("PUT", &well_known, REQ, b"x").status, 405);
    let health = send("GET", &format!("{base}/healthz"), None, b"");
    assert_eq!((health.status, health.body.as_slice()), (200, &b"ok\n"[..]));
    // Counters are the operator's: not on the public listener (P9).
    assert_eq!(
        send("GET", &format!("{base}/metrics"), None, b"").status,
        404
    );
    let accepted = c.accepted();
    assert_eq!(accepted_total(&accepted), 1, "{accepted:?}");
    assert_eq!(accepted[&start()]["tabs.opened"], 1);
}

/// P9: every answer to an upload (stored, a duplicate, each kind of refusal),
/// the leader's answer to another resource, the gateway's own refusal of a
/// message that is no Binary HTTP, and a leader that is down: all seal to
/// answers of one length, so neither a relay nor a network observer can tell
/// them apart.
#[test]
fn every_sealed_answer_has_the_same_length() {
    let c = Cluster::new(1, Mode::Pass);
    let leader = c.leader();
    let dep = &c.dep;
    let gateway = leader.gateway_url();
    let keys = &dep.ohttp_keys;
    let reports = day_of(dep, &start(), 1);
    let good = dep.report_of(&reports, "tabs.opened");
    let upload = |r: &DapReport| inner_upload(&dep.config, r);
    let path = format!("/dap/tasks/{}/reports", good.task_id);
    let unknown = janus_messages::TaskId::from([7; 32]);
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("stored", upload(good), 200),
        ("duplicate", upload(good), 200),
        (
            "the largest report",
            upload(dep.report_of(&reports, "page.domain")),
            200,
        ),
        (
            "unknown task",
            upload(&DapReport {
                task_id: unknown,
                ..good.clone()
            }),
            400,
        ),
        (
            "not a report",
            inner("PUT", &path, "application/dap-report", b"\x00\x01"),
            400,
        ),
        (
            "wrong media type",
            inner("PUT", &path, "application/json", &good.body),
            400,
        ),
        (
            "too early",
            upload(dep.report_of(&day_of(dep, &days_ago(-3), 1), "tabs.opened")),
            400,
        ),
        (
            "too old",
            upload(dep.report_of(&day_of(dep, &days_ago(45), 1), "tabs.opened")),
            400,
        ),
        (
            "malformed task id",
            inner(
                "PUT",
                "/dap/tasks/nope/reports",
                "application/dap-report",
                b"",
            ),
            400,
        ),
        (
            "wrong method",
            inner("GET", &path, "application/dap-report", b""),
            405,
        ),
        (
            "unknown resource",
            inner("PUT", "/elsewhere", "application/dap-report", b""),
            404,
        ),
        ("not binary http", b"\x05not binary http".to_vec(), 400),
    ];
    let mut lengths = Vec::new();
    for (name, message, want) in &cases {
        let (request, opener) = sealed_inner(keys, message);
        let a = send("POST", &gateway, REQ, &request);
        assert_eq!(inner_status(&a, &opener), *want, "{name}");
        lengths.push((*name, a.body.len()));
    }
    assert_eq!(accepted_total(&c.accepted()), 2, "the good and the largest");
    // The leader is down: the gateway's own sealed 502.
    let front = leader.kill_leaving_gateway();
    let (request, opener) = sealed_inner(keys, &upload(dep.report_of(&reports, "bookmarks.added")));
    let a = send(
        "POST",
        &format!("http://{}/gateway", front.addr),
        REQ,
        &request,
    );
    assert_eq!(inner_status(&a, &opener), 502);
    lengths.push(("leader down", a.body.len()));
    assert!(
        lengths.iter().all(|(_, l)| *l == lengths[0].1),
        "{lengths:?}"
    );
    // 1024 bytes of padded Binary HTTP, plus the response nonce and the tag.
    assert_eq!(lengths[0].1, 1024 + 16 + 16);
}

/// The gateway counts what it saw of each request, the leader what it did
/// with each upload: on their admin listeners, totals only.
#[test]
fn metrics_count_outcomes_on_the_admin_listeners_without_any_detail() {
    let c = Cluster::new(1, Mode::Pass);
    let leader = c.leader_with(LeaderOptions {
        admin: true,
        gateway: false,
        ..LeaderOptions::default()
    });
    let gateway = Gateway::with_admin(
        &c.dep.path("leader/ohttp"),
        &format!("http://{}/", leader.addr),
        &[],
    );
    let admin = gateway.admin.unwrap();
    let leader_admin = leader.admin.unwrap();
    let dep = &c.dep;
    let reports = day_of(dep, &start(), 1);
    let good = dep.report_of(&reports, "tabs.opened");
    let (request, _) = sealed_upload(dep, &dep.ohttp_keys, good);
    for _ in 0..2 {
        send("POST", &gateway.url(), REQ, &request);
    }
    let unknown = DapReport {
        task_id: janus_messages::TaskId::from([7; 32]),
        ..good.clone()
    };
    let (refused, _) = sealed_upload(dep, &dep.ohttp_keys, &unknown);
    send("POST", &gateway.url(), REQ, &refused);
    let mut foreign = request.clone();
    foreign[0] ^= 0xff;
    send("POST", &gateway.url(), REQ, &foreign);

    let page = |admin: std::net::SocketAddr| {
        let m = send("GET", &format!("http://{admin}/metrics"), None, b"");
        assert_eq!(m.status, 200);
        assert!(
            m.content_type.starts_with("text/plain; version=0.0.4"),
            "{}",
            m.content_type
        );
        String::from_utf8(m.body).unwrap()
    };
    let text = page(admin);
    for line in [
        "hush_requests_total{outcome=\"accepted\"} 2",
        "hush_requests_total{outcome=\"refused\"} 1",
        "hush_requests_total{outcome=\"key_problem\"} 1",
        "hush_requests_total{outcome=\"target_failed\"} 0",
        "hush_target_latency_seconds_count 3",
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
    }
    let leader_text = page(leader_admin);
    for line in [
        "hush_leader_uploads_total{outcome=\"stored\"} 1",
        "hush_leader_uploads_total{outcome=\"duplicate\"} 1",
        "hush_leader_uploads_total{outcome=\"refused\"} 1",
        "hush_leader_store_latency_seconds_count 2",
    ] {
        assert!(
            leader_text.lines().any(|l| l == line),
            "no {line:?} in\n{leader_text}"
        );
    }
    // Totals only: no address, no report or task id, nothing of a report.
    let report_id: String = good.report_id.iter().map(|b| format!("{b:02x}")).collect();
    for needle in [
        "127.0.0.1".to_owned(),
        report_id,
        good.task_id.to_string(),
        unknown.task_id.to_string(),
        "tabs.opened".to_owned(),
    ] {
        assert!(!text.contains(&needle), "{needle} in the gateway's metrics");
        assert!(
            !leader_text.contains(&needle),
            "{needle} in the leader's metrics"
        );
    }
    for admin in [admin, leader_admin] {
        assert_eq!(
            send("GET", &format!("http://{admin}/healthz"), None, b"").status,
            200
        );
    }
    assert_eq!(
        send("POST", &format!("http://{admin}/gateway"), REQ, &request).status,
        404
    );
    let upload = format!("http://{leader_admin}/dap/tasks/{}/reports", good.task_id);
    assert_eq!(
        send("PUT", &upload, Some("application/dap-report"), &good.body).status,
        404,
        "the leader's admin listener serves no DAP"
    );
}

#[test]
fn a_config_file_is_equivalent_to_the_flags() {
    let c = Cluster::new(1, Mode::Pass);
    let leader = c.leader_with(LeaderOptions {
        gateway: false,
        ..LeaderOptions::default()
    });
    let config = c.dep.path("leader/serve.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\nadmin-listen = \"127.0.0.1:0\"\nkey = [\"ohttp\"]\ntarget-url = \"http://{}/\"\nheader-timeout-ms = 3000\n",
            leader.addr
        ),
    )
    .unwrap();
    let gateway = Gateway::spawn_with_admin(&["--config", config.to_str().unwrap()]);
    assert!(gateway.admin.is_some());
    let reports = day_of(&c.dep, &start(), 1);
    let (request, opener) = sealed_upload(
        &c.dep,
        &c.dep.ohttp_keys,
        c.dep.report_of(&reports, "tabs.opened"),
    );
    assert_eq!(
        inner_status(&send("POST", &gateway.url(), REQ, &request), &opener),
        200,
        "the key directory is relative to the file"
    );
    drop(gateway);
    assert_eq!(accepted_total(&c.accepted()), 1);

    std::fs::write(
        &config,
        "listen = \"127.0.0.1:0\"\nkey = [\"ohttp\"]\ntarget-url = \"http://127.0.0.1:1/\"\nd = \"typo\"\n",
    )
    .unwrap();
    let out = Command::new(HUSH)
        .args(["serve", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("serve.toml") && err.contains("unknown field `d`"),
        "{err}"
    );
}

#[test]
fn the_aggregators_databases_and_their_wal_are_created_0600() {
    let c = Cluster::new(1, Mode::Pass);
    // One that exists already, readable by all: narrowed at start.
    std::fs::write(c.file("helper.db"), b"").unwrap();
    std::fs::set_permissions(c.file("helper.db"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let _helper = c.helper();
    let leader = c.leader();
    let reports = day_of(&c.dep, &start(), 1);
    upload_all(&leader, &c.dep, reports, 2);
    // Aggregated: the helper has written too.
    eventually("aggregation", || {
        (count_rows(&c.file("leader.db"), "pending_reports") == 0).then_some(())
    });
    for name in [
        "leader.db",
        "leader.db-wal",
        "leader.db-shm",
        "helper.db",
        "helper.db-wal",
        "helper.db-shm",
    ] {
        let mode = std::fs::metadata(c.file(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}: {mode:o}");
    }
}

/// The README's rotation procedure, step by step: devices pinning the old
/// list and devices pinning the new one are served throughout, and a device
/// that slept through the whole overlap is still served by the retired key.
#[test]
fn a_key_rotation_strands_no_device() {
    let c = Cluster::new(1, Mode::Pass);
    let leader = c.leader_with(LeaderOptions {
        gateway: false,
        ..LeaderOptions::default()
    });
    let target = format!("http://{}/", leader.addr);
    let current = c.file("key-1");
    let next = c.file("key-2");
    keygen_args(&current, &["--key-id", "1"]);
    keygen_args(&next, &["--key-id", "2"]);
    let serve = |published: &[&Path], retired: &[&Path]| {
        let mut args: Vec<std::ffi::OsString> = vec![
            "--target-url".into(),
            target.clone().into(),
            "--listen".into(),
            "127.0.0.1:0".into(),
        ];
        for (flag, dirs) in [("--key", published), ("--retired-key", retired)] {
            for dir in dirs {
                args.push(flag.into());
                args.push(dir.into());
            }
        }
        Gateway::spawn(&args)
    };
    // Each delivery is another device's report.
    let deliver = |gateway: &Gateway, list: &KeyConfigs| {
        let reports = day_of(&c.dep, &start(), 1);
        let (request, opener) =
            sealed_upload(&c.dep, list, c.dep.report_of(&reports, "tabs.opened"));
        (
            request[0],
            inner_status(&send("POST", &gateway.url(), REQ, &request), &opener),
        )
    };
    let old_app = pinned(&current);

    // Step 1: the next key is added; nothing changes for devices yet.
    let gateway = serve(&[&next, &current], &[]);
    let published = send(
        "GET",
        &format!("http://{}/.well-known/ohttp-gateway", gateway.addr),
        None,
        b"",
    );
    let new_app = KeyConfigs::parse(&published.body).unwrap();
    let ids: Vec<u8> = new_app.configs().iter().map(|c| c.key_id()).collect();
    assert_eq!(ids, [2, 1], "the next key first");
    // Step 2: a release pins [2, 1] and seals to 2; older releases still seal to 1.
    assert_eq!(deliver(&gateway, &old_app), (1, 200));
    assert_eq!(deliver(&gateway, &new_app), (2, 200));
    drop(gateway);

    // Step 3: key 1 is no longer published, but still opened.
    let retired = &current;
    let gateway = serve(&[&next], &[retired]);
    let published = send(
        "GET",
        &format!("http://{}/ohttp-keys", gateway.addr),
        None,
        b"",
    );
    let ids: Vec<u8> = KeyConfigs::parse(&published.body)
        .unwrap()
        .configs()
        .iter()
        .map(|c| c.key_id())
        .collect();
    assert_eq!(ids, [2]);
    // A device that was offline for the whole overlap, still on the old release.
    assert_eq!(deliver(&gateway, &old_app), (1, 200));
    assert_eq!(deliver(&gateway, &new_app), (2, 200));
    drop(gateway);

    // Deleting key 1 (step 4, only once no release pins it) is what would
    // strand such a device: its report gets the key problem.
    let gateway = serve(&[&next], &[]);
    let reports = day_of(&c.dep, &start(), 1);
    let (request, _) = sealed_upload(&c.dep, &old_app, c.dep.report_of(&reports, "tabs.opened"));
    let a = send("POST", &gateway.url(), REQ, &request);
    assert_eq!(
        (a.status, a.content_type.as_str()),
        (400, "application/problem+json")
    );
    drop(gateway);
    let accepted = c.accepted();
    assert_eq!(accepted[&start()]["tabs.opened"], 4, "{accepted:?}");
    assert_eq!(accepted_total(&accepted), 4);
}
