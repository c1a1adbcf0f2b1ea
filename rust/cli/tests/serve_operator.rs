//! `hush serve` for an operator and for standard OHTTP software: the RFC 9540
//! paths, answers of one size (P9), `/healthz`, `/metrics` on the admin
//! listener only, the config file, 0600 database files, and a key rotation
//! that strands no device.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::*;
use hush_core::ohttp::{encapsulate, KeyConfigs};

const REQ: Option<&str> = Some("message/ohttp-req");

fn pinned(keys: &Path) -> KeyConfigs {
    KeyConfigs::parse(&std::fs::read(keys.join("ohttp-keys")).unwrap()).unwrap()
}

#[test]
fn the_rfc9540_gateway_resource_takes_requests_and_serves_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = keygen(&tmp.path().join("keys"));
    let db = tmp.path().join("c.db");
    let server = Server::start(&keys, &db);
    let base = format!("http://{}", server.addr);
    let well_known = format!("{base}/.well-known/ohttp-gateway");
    let published = std::fs::read(keys.join("ohttp-keys")).unwrap();
    for url in [&well_known, &format!("{base}/ohttp-keys")] {
        let a = send("GET", url, None, b"");
        assert_eq!(
            (a.status, a.content_type.as_str()),
            (200, "application/ohttp-keys")
        );
        assert_eq!(a.body, published, "{url}");
    }
    let (request, opener) = sealed(
        &pinned(&keys),
        "POST",
        "/report",
        &report(&"a".repeat(32), r#"{"tabs.opened":{"counter":5}}"#),
    );
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
    let q = query(&db, 1);
    assert_eq!(day(&q, &start())["metrics"]["tabs.opened"]["sum"], 5, "{q}");
}

/// P9: a success, a duplicate, a refusal and an invalid report seal to
/// answers of one length, so neither a relay nor a network observer can tell
/// them apart.
#[test]
fn every_sealed_answer_has_the_same_length() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = keygen(&tmp.path().join("keys"));
    let server = Server::start(&keys, &tmp.path().join("c.db"));
    let gateway = server.gateway_url();
    let keys = pinned(&keys);
    let good = report(&"b".repeat(32), r#"{"tabs.opened":{"counter":1}}"#);
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("stored", good.clone(), 200),
        ("duplicate", good, 200),
        (
            "invalid report",
            report(
                &"c".repeat(32),
                r#"{"page.domain":{"domain":{"canary.example":1}}}"#,
            ),
            400,
        ),
        ("not a report", b"{}".to_vec(), 400),
        (
            "unknown metric",
            report(&"d".repeat(32), r#"{"no.such":{"counter":1}}"#),
            400,
        ),
    ];
    let mut lengths = Vec::new();
    for (name, json, want) in &cases {
        let (request, opener) = sealed(&keys, "POST", "/report", json);
        let a = send("POST", &gateway, REQ, &request);
        assert_eq!(inner_status(&a, &opener), *want, "{name}");
        lengths.push((*name, a.body.len()));
    }
    // Refusals of the inner request itself, and a message that is no Binary HTTP.
    for (name, method, path, want) in [
        ("wrong method", "GET", "/report", 405),
        ("unknown resource", "POST", "/other", 404),
    ] {
        let (request, opener) = sealed(&keys, method, path, b"{}");
        let a = send("POST", &gateway, REQ, &request);
        assert_eq!(inner_status(&a, &opener), want, "{name}");
        lengths.push((name, a.body.len()));
    }
    let garbage = encapsulate(&keys, b"\x05not binary http").unwrap();
    let a = send("POST", &gateway, REQ, &garbage.request);
    assert_eq!(inner_status(&a, &garbage.opener), 400);
    lengths.push(("not binary http", a.body.len()));
    assert!(
        lengths.iter().all(|(_, l)| *l == lengths[0].1),
        "{lengths:?}"
    );
    // 512 bytes of padded Binary HTTP, plus the response nonce and the tag.
    assert_eq!(lengths[0].1, 512 + 16 + 16);
}

#[test]
fn metrics_count_outcomes_on_the_admin_listener_without_any_detail() {
    let tmp = tempfile::tempdir().unwrap();
    let keys_dir = keygen(&tmp.path().join("keys"));
    let db = tmp.path().join("c.db");
    let server = Server::with_admin(&keys_dir, &db, &[]);
    let admin = format!("http://{}", server.admin.unwrap());
    let keys = pinned(&keys_dir);
    let id = "e0e1e2e3e4e5e6e7e8e9eaebecedeeef";
    let (request, _) = sealed(
        &keys,
        "POST",
        "/report",
        &report(id, r#"{"tabs.opened":{"counter":1}}"#),
    );
    for _ in 0..2 {
        send("POST", &server.gateway_url(), REQ, &request);
    }
    let (invalid, _) = sealed(
        &keys,
        "POST",
        "/report",
        &report(id, r#"{"no.such":{"counter":1}}"#),
    );
    send("POST", &server.gateway_url(), REQ, &invalid);
    let mut foreign = request.clone();
    foreign[0] ^= 0xff;
    send("POST", &server.gateway_url(), REQ, &foreign);
    let m = send("GET", &format!("{admin}/metrics"), None, b"");
    assert_eq!(m.status, 200);
    assert!(
        m.content_type.starts_with("text/plain; version=0.0.4"),
        "{}",
        m.content_type
    );
    let text = String::from_utf8(m.body).unwrap();
    for line in [
        "hush_reports_stored_total 1",
        "hush_reports_duplicate_total 1",
        "hush_requests_total{outcome=\"invalid\"} 1",
        "hush_requests_total{outcome=\"key_problem\"} 1",
        "hush_store_latency_seconds_count 2",
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
    }
    // Totals only: no address, no report id, nothing of a report.
    for needle in ["127.0.0.1", id, "tabs.opened", "no.such"] {
        assert!(!text.contains(needle), "{needle} in metrics");
    }
    assert_eq!(
        send("GET", &format!("{admin}/healthz"), None, b"").status,
        200
    );
    assert_eq!(
        send("POST", &format!("{admin}/gateway"), REQ, &request).status,
        404
    );
}

#[test]
fn a_config_file_is_equivalent_to_the_flags() {
    let tmp = tempfile::tempdir().unwrap();
    keygen(&tmp.path().join("keys"));
    let config = tmp.path().join("serve.toml");
    std::fs::write(
        &config,
        "listen = \"127.0.0.1:0\"\nadmin-listen = \"127.0.0.1:0\"\nkey = [\"keys\"]\ndb = \"c.db\"\nheader-timeout-ms = 3000\n",
    )
    .unwrap();
    let server = Server::spawn_with_admin(&["--config", config.to_str().unwrap()]);
    assert!(server.admin.is_some());
    let keys = pinned(&tmp.path().join("keys"));
    let (request, opener) = sealed(&keys, "POST", "/report", &report(&"f".repeat(32), "{}"));
    assert_eq!(
        inner_status(&send("POST", &server.gateway_url(), REQ, &request), &opener),
        200
    );
    drop(server);
    assert!(tmp.path().join("c.db").exists(), "db relative to the file");

    std::fs::write(
        &config,
        "listen = \"127.0.0.1:0\"\nkey = [\"keys\"]\nd = \"typo\"\n",
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
fn the_database_and_its_wal_are_created_0600() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = keygen(&tmp.path().join("keys"));
    let db = tmp.path().join("c.db");
    let server = Server::start(&keys, &db);
    let (request, _) = sealed(
        &pinned(&keys),
        "POST",
        "/report",
        &report(&"9".repeat(32), "{}"),
    );
    send("POST", &server.gateway_url(), REQ, &request);
    for name in ["c.db", "c.db-wal", "c.db-shm"] {
        let mode = std::fs::metadata(tmp.path().join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}: {mode:o}");
    }
    drop(server);
}

/// The README's rotation procedure, step by step: devices pinning the old
/// list and devices pinning the new one are served throughout, and a device
/// that slept through the whole overlap is still served by the retired key.
#[test]
fn a_key_rotation_strands_no_device() {
    let tmp = tempfile::tempdir().unwrap();
    let current = tmp.path().join("key-1");
    let next = tmp.path().join("key-2");
    keygen_args(&current, &["--key-id", "1"]);
    keygen_args(&next, &["--key-id", "2"]);
    let db = tmp.path().join("c.db");
    let serve = |published: &[&Path], retired: &[&Path]| {
        let mut args: Vec<std::ffi::OsString> = vec![
            "--db".into(),
            db.clone().into(),
            "--listen".into(),
            "127.0.0.1:0".into(),
        ];
        for (flag, dirs) in [("--key", published), ("--retired-key", retired)] {
            for dir in dirs {
                args.push(flag.into());
                args.push(dir.into());
            }
        }
        Server::spawn(&args)
    };
    let deliver = |server: &Server, list: &KeyConfigs, id: char| {
        let (request, opener) = sealed(
            list,
            "POST",
            "/report",
            &report(&id.to_string().repeat(32), "{}"),
        );
        (
            request[0],
            inner_status(&send("POST", &server.gateway_url(), REQ, &request), &opener),
        )
    };
    let old_app = pinned(&current);

    // Step 1: the next key is added; nothing changes for devices yet.
    let server = serve(&[&next, &current], &[]);
    let published = send(
        "GET",
        &format!("http://{}/.well-known/ohttp-gateway", server.addr),
        None,
        b"",
    );
    let new_app = KeyConfigs::parse(&published.body).unwrap();
    let ids: Vec<u8> = new_app.configs().iter().map(|c| c.key_id()).collect();
    assert_eq!(ids, [2, 1], "the next key first");
    // Step 2: a release pins [2, 1] and seals to 2; older releases still seal to 1.
    assert_eq!(deliver(&server, &old_app, 'a'), (1, 200));
    assert_eq!(deliver(&server, &new_app, 'b'), (2, 200));
    drop(server);

    // Step 3: key 1 is no longer published, but still opened.
    let retired = &current;
    let server = serve(&[&next], &[retired]);
    let published = send(
        "GET",
        &format!("http://{}/ohttp-keys", server.addr),
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
    assert_eq!(deliver(&server, &old_app, 'c'), (1, 200));
    assert_eq!(deliver(&server, &new_app, 'd'), (2, 200));
    drop(server);

    // Deleting key 1 (step 4, only once no release pins it) is what would
    // strand such a device: its report gets the key problem.
    let server = serve(&[&next], &[]);
    let (request, _) = sealed(&old_app, "POST", "/report", &report(&"e".repeat(32), "{}"));
    let a = send("POST", &server.gateway_url(), REQ, &request);
    assert_eq!(
        (a.status, a.content_type.as_str()),
        (400, "application/problem+json")
    );
    drop(server);
    assert_eq!(total_reports(&query(&db, 1)), 4);
}
