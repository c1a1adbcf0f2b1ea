//! The gateway and the report target as two processes (`--mode gateway`
//! forwarding to `--mode target`), the client's real upload path through a
//! relay (`hush replay --relay`), and the collector origin as the sealed
//! request's authority, not the gateway's.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::*;
use hush_core::ohttp::KeyConfigs;

fn gateway(keys: &std::path::Path, target: &Server) -> Server {
    Server::spawn(&[
        "--mode",
        "gateway",
        "--key",
        keys.to_str().unwrap(),
        "--target-url",
        &format!("http://{}", target.addr),
        "--listen",
        "127.0.0.1:0",
        "--target-timeout-ms",
        "5000",
    ])
}

/// `hush open --raw`: the Binary HTTP request inside `encapsulated`.
fn open_raw(keys: &std::path::Path, encapsulated: &[u8]) -> Vec<u8> {
    let mut child = Command::new(HUSH)
        .args(["open", "--raw", "--key"])
        .arg(keys)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(encapsulated).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn replay_through_a_relay_to_a_gateway_forwarding_to_a_separate_target() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = keygen(&tmp.path().join("keys"));
    let db = tmp.path().join("target.db");
    let target = Server::target(&db);
    let gateway = gateway(&keys, &target);
    // The "relay": passes each request on to the gateway, byte for byte.
    let relay = Proxy::start(Some(gateway.addr), Fault::Forward);
    let data = tmp.path().join("device");
    let mut cmd = replay_command(
        &data,
        &keys,
        Some(&format!(
            "http://{}/.well-known/ohttp-gateway",
            gateway.addr
        )),
    );
    cmd.args([
        "--relay",
        &relay.url(),
        "--collector-origin",
        "https://reports.example",
    ]);
    let summary = run_replay(cmd, &one_day_trace(4));
    assert_eq!(uploads(&summary), [1, 1, 0, 0], "{summary}");
    assert_eq!(relay.requests(), 1, "the upload went through the relay");
    let q = query(&db, 1);
    assert_eq!(day(&q, &start())["metrics"]["tabs.opened"]["sum"], 4, "{q}");

    // The sealed request names the collector origin, never the gateway or relay.
    let captured = &relay.captured()[0];
    let body = &captured[captured.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4..];
    let inner = open_raw(&keys, body);
    let contains = |needle: &[u8]| inner.windows(needle.len()).any(|w| w == needle);
    assert!(contains(b"reports.example"));
    assert!(contains(b"/report"));
    for address in [
        gateway.addr.to_string(),
        relay.addr.to_string(),
        target.addr.to_string(),
    ] {
        assert!(
            !contains(address.as_bytes()),
            "{address} inside the sealed request"
        );
    }
}

/// Target-only mode answers every request with the same headers and a body
/// of the same length, so any standard gateway in front seals answers of one
/// size; and a target that is down is a sealed 502 of that size too, which
/// the client retries.
#[test]
fn target_answers_have_one_size_and_a_dead_target_is_retried() {
    let tmp = tempfile::tempdir().unwrap();
    let keys_dir = keygen(&tmp.path().join("keys"));
    let db = tmp.path().join("target.db");
    let target_server = Server::target(&db);
    let url = format!("http://{}/report", target_server.addr);
    let json = Some("application/json");
    let good = report(&"1".repeat(32), r#"{"tabs.opened":{"counter":2}}"#);
    let answers = [
        send("POST", &url, json, &good),
        send("POST", &url, json, &good),
        send(
            "POST",
            &url,
            json,
            &report(&"2".repeat(32), r#"{"no.such":{"counter":1}}"#),
        ),
        send("POST", &url, Some("text/plain"), &good),
        send("GET", &url, None, b""),
        send(
            "POST",
            &format!("http://{}/elsewhere", target_server.addr),
            json,
            &good,
        ),
        send("POST", &url, json, &vec![b' '; 65 * 1024]),
    ];
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [200, 200, 400, 415, 405, 404, 413]);
    for a in &answers {
        assert_eq!(
            (a.body.len(), a.content_type.as_str()),
            (64, "text/plain; charset=utf-8")
        );
    }
    assert_eq!(total_reports(&query(&db, 1)), 1);

    // Through Hush's gateway: one sealed size, whatever the target said.
    let gateway_server = gateway(&keys_dir, &target_server);
    let keys = KeyConfigs::parse(&std::fs::read(keys_dir.join("ohttp-keys")).unwrap()).unwrap();
    let post = |json: &[u8]| {
        let (request, opener) = sealed(&keys, "POST", "/report", json);
        let a = send(
            "POST",
            &gateway_server.gateway_url(),
            Some("message/ohttp-req"),
            &request,
        );
        (inner_status(&a, &opener), a.body.len())
    };
    let stored = post(&report(&"3".repeat(32), "{}"));
    let invalid = post(&report(&"4".repeat(32), r#"{"no.such":{"counter":1}}"#));
    assert_eq!((stored.0, invalid.0), (200, 400));
    drop(target_server);
    let down = post(&report(&"5".repeat(32), "{}"));
    assert_eq!(
        down.0, 502,
        "the target is down: sealed 502, retried by the client"
    );
    assert_eq!(stored.1, invalid.1);
    assert_eq!(stored.1, down.1);
}
