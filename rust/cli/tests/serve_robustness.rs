//! `hush serve` (in front of `hush leader`) against hostile and broken
//! input: each request gets its status, and the gateway keeps serving
//! throughout.

mod dap_common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use dap_common::*;
use hush_core::ohttp::{bhttp, KeyConfigs};

/// The leader's upload path of `report`'s task, as the Binary HTTP request
/// a device seals, with another method, path, content type or body.
fn inner(method: &str, path: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    bhttp::encode_request(
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
fn every_kind_of_bad_request_gets_its_status_and_the_gateway_keeps_serving() {
    let c = Cluster::new(1, Mode::Pass);
    let leader = c.leader();
    let dep = &c.dep;
    let other_dir = keygen(&c.file("other"));
    let gw = leader.gateway.as_ref().unwrap().addr;
    let base = format!("http://{gw}");
    let gateway = format!("{base}/gateway");
    let published = std::fs::read(dep.client_keys()).unwrap();
    let keys = &dep.ohttp_keys;
    let other = KeyConfigs::parse(&std::fs::read(other_dir.join("ohttp-keys")).unwrap()).unwrap();
    let req = Some("message/ohttp-req");

    // The key configuration.
    let a = send("GET", &format!("{base}/ohttp-keys"), None, b"");
    assert_eq!(
        (a.status, a.content_type.as_str()),
        (200, "application/ohttp-keys")
    );
    assert_eq!(a.body, published);

    // Routing and methods.
    assert_eq!(
        send("POST", &format!("{base}/ohttp-keys"), req, b"x").status,
        405
    );
    assert_eq!(send("GET", &gateway, None, b"").status, 405);
    assert_eq!(send("PUT", &gateway, req, b"x").status, 405);
    assert_eq!(
        send("GET", &format!("{base}/report"), None, b"").status,
        404
    );
    assert_eq!(send("POST", &format!("{base}/"), req, b"x").status, 404);

    // The good report is the day's largest, the page domains: the gateway
    // takes it with room to spare (its limit is 128 KiB).
    let reports = dep.device_reports(&start(), &[]);
    let largest = reports.iter().max_by_key(|r| r.body.len()).unwrap();
    assert_eq!(
        largest.task_id,
        dep.config.task("page.domain").unwrap().task_id
    );
    let (good, opener) = sealed_upload(dep, keys, largest);
    assert!(good.len() * 2 <= 128 * 1024, "{} bytes", good.len());

    // Outer errors.
    assert_eq!(
        send("POST", &gateway, Some("application/json"), &good).status,
        415
    );
    assert_eq!(send("POST", &gateway, None, &good).status, 415);
    let ohttp = [("content-type", "message/ohttp-req")];
    assert_eq!(
        declared_only(gw, "POST", "/gateway", &ohttp, 128 * 1024 + 1).0,
        413
    );
    assert_eq!(send("POST", &gateway, req, b"").status, 400);
    assert_eq!(
        send("POST", &gateway, req, b"garbage that is no OHTTP").status,
        400
    );
    assert_eq!(
        send("POST", &gateway, req, &good[..good.len() / 2]).status,
        400
    );
    let mut tampered = good.clone();
    tampered[60] ^= 1;
    let a = send("POST", &gateway, req, &tampered);
    assert_eq!(
        (a.status, a.content_type.as_str()),
        (400, "application/problem+json")
    );
    // Another gateway's key (RFC 9458 §5.3 problem, whatever its key id).
    let (foreign, _) = sealed_upload(dep, &other, largest);
    let a = send("POST", &gateway, req, &foreign);
    assert_eq!(
        (a.status, a.content_type.as_str()),
        (400, "application/problem+json")
    );
    assert!(String::from_utf8(a.body).unwrap().contains("#ohttp-key"));
    let mut wrong_id = good.clone();
    wrong_id[0] = wrong_id[0].wrapping_add(1);
    let a = send("POST", &gateway, req, &wrong_id);
    assert_eq!(
        (a.status, a.content_type.as_str()),
        (400, "application/problem+json")
    );

    // The good report is stored; replaying the same bytes is harmless and idempotent.
    assert_eq!(
        inner_status(&send("POST", &gateway, req, &good), &opener),
        200
    );
    assert_eq!(
        inner_status(&send("POST", &gateway, req, &good), &opener),
        200
    );
    // So is the same report sealed afresh (a client re-sealing after a crash).
    let (again, opener2) = sealed_upload(dep, keys, largest);
    assert_eq!(
        inner_status(&send("POST", &gateway, req, &again), &opener2),
        200
    );

    // Inner errors come back sealed.
    let tabs = dep.report_of(&reports, "tabs.opened");
    let path = format!("/dap/tasks/{}/reports", tabs.task_id);
    let dap = "application/dap-report";
    let unknown = format!(
        "/dap/tasks/{}/reports",
        janus_messages::TaskId::from([7; 32])
    );
    let leak = b"https://leak.example/CANARY-LEAK".to_vec();
    let inner_cases: &[(&str, Vec<u8>, u16)] = &[
        ("GET", inner("GET", &path, dap, &tabs.body), 405),
        (
            "elsewhere",
            inner("PUT", "/elsewhere", dap, &tabs.body),
            404,
        ),
        ("not a report", inner("PUT", &path, dap, &leak), 400),
        ("unknown task", inner("PUT", &unknown, dap, &tabs.body), 400),
        (
            "wrong type",
            inner("PUT", &path, "application/json", &tabs.body),
            400,
        ),
        (
            "malformed id",
            inner("PUT", "/dap/tasks/leak/reports", dap, &tabs.body),
            400,
        ),
        (
            "another task's report",
            inner(
                "PUT",
                &path,
                dap,
                &dep.report_of(&reports, "bookmarks.added").body,
            ),
            400,
        ),
        ("not binary http", b"\x05leak.example".to_vec(), 400),
    ];
    for (name, message, want) in inner_cases {
        let (bytes, opener) = sealed_inner(keys, message);
        let got = inner_status(&send("POST", &gateway, req, &bytes), &opener);
        assert_eq!(got, *want, "inner case {name}");
    }

    // Raw-socket abuse: not HTTP at all, a truncated body, a lying length.
    for raw in [
        &b"\x16\x03\x01\x02\x00 definitely not http\r\n\r\n"[..],
        b"POST /gateway HTTP/1.1\r\nhost: x\r\ncontent-type: message/ohttp-req\r\ncontent-length: 500\r\n\r\nshort",
        b"POST /gateway HTTP/1.1\r\nhost: x\r\ncontent-length: 99999999999999999999999\r\n\r\n",
        b"GET /ohttp-keys HTTP/1.1\r\nhost: x\r\nx: \xff\xfe\r\n\r\n",
    ] {
        let mut s = TcpStream::connect(gw).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(raw).unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        let mut answer = Vec::new();
        let _ = s.read_to_end(&mut answer);
    }

    // Still serving, and exactly one report was stored.
    assert_eq!(
        send("GET", &format!("{base}/ohttp-keys"), None, b"").status,
        200
    );
    let accepted = c.accepted();
    assert_eq!(accepted_total(&accepted), 1, "{accepted:?}");
    assert_eq!(accepted[&start()]["page.domain"], 1);
    // Nothing from any request reached either log (`stop` checks the
    // gateway's is its counters line alone).
    let (status, stderr) = leader.stop();
    let gateway_log = std::fs::read_to_string(c.file("leader.log.gateway")).unwrap();
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains("1 reports stored, 2 duplicates"),
        "{stderr}"
    );
    for log in [&stderr, &gateway_log] {
        for needle in ["leak", "canary", "garbage", "not http", "127.0.0.1"] {
            assert!(!log.to_lowercase().contains(needle), "{needle} in {log}");
        }
    }
}

#[test]
fn even_rust_log_trace_prints_no_key_material_or_report_content() {
    let c = Cluster::new(1, Mode::Pass);
    let leader = c.leader_with(LeaderOptions {
        gateway: false,
        ..LeaderOptions::default()
    });
    let keys = c.dep.path("leader/ohttp");
    let mut child = std::process::Command::new(HUSH)
        .env("RUST_LOG", "trace")
        .args(["serve", "--key"])
        .arg(&keys)
        .args(["--target-url", &format!("http://{}/", leader.addr)])
        .args(["--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (addr, _) = listening_lines(&mut child, false, Duration::from_secs(60)).unwrap();
    let reports = c.dep.device_reports(&start(), &[]);
    let report = c.dep.report_of(&reports, "tabs.opened");
    let (bytes, opener) = sealed_upload(&c.dep, &c.dep.ohttp_keys, report);
    let answer = send(
        "POST",
        &format!("http://{addr}/gateway"),
        Some("message/ohttp-req"),
        &bytes,
    );
    assert_eq!(inner_status(&answer, &opener), 200);
    signal(&child, "TERM");
    wait_bounded(&mut child, Duration::from_secs(8));
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(stderr.contains("1 accepted"), "{stderr}");
    let secret = std::fs::read_to_string(keys.join("gateway.key")).unwrap();
    let seed = std::fs::read_to_string(keys.join("gateway.seed")).unwrap();
    let report_id: String = report
        .report_id
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    for needle in [
        "TRACE",
        "okm",
        "prk",
        secret.trim(),
        seed.trim(),
        &report.task_id.to_string(),
        &report_id,
        "leader.example",
        "dap-report",
    ] {
        assert!(!stderr.contains(needle), "{needle:?} in {stderr}");
    }
}

#[test]
fn serve_exits_cleanly_on_sigterm_and_sigint() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = keygen(&tmp.path().join("keys"));
    for sig in ["TERM", "INT"] {
        let mut child = std::process::Command::new(HUSH)
            .args(["serve", "--key"])
            .arg(&keys)
            .args([
                "--target-url",
                &format!("http://127.0.0.1:{}/", free_port()),
            ])
            .args(["--listen", "127.0.0.1:0"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let (addr, _) = listening_lines(&mut child, false, Duration::from_secs(60)).unwrap();
        // An idle keep-alive connection must not hold shutdown up forever.
        let idle = TcpStream::connect(addr).unwrap();
        signal(&child, sig);
        let status = wait_bounded(&mut child, Duration::from_secs(8));
        assert!(status.success(), "{sig}: {status}");
        drop(idle);
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        assert_eq!(
            stderr,
            "hush serve: stopped; 0 accepted, 0 refused, 0 target errors, 0 target unreachable, 0 key problems, 0 malformed\n"
        );
    }
}

#[test]
fn serve_refuses_bad_setup_with_one_clear_line() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = keygen(&tmp.path().join("keys"));
    let run = |args: &[&str]| {
        std::process::Command::new(HUSH)
            .arg("serve")
            .args(args)
            .output()
            .unwrap()
    };
    let k = keys.to_str().unwrap();
    let target = ["--target-url", "http://127.0.0.1:9/"];
    let listen = ["--listen", "127.0.0.1:0"];
    let refused = |args: &[&str], says: &str| {
        let out = run(args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(says), "{args:?}: {err}");
    };
    refused(
        &[&["--key", "/nonexistent"][..], &target, &listen].concat(),
        "ohttp-keys",
    );
    refused(&[&["--key", k][..], &listen].concat(), "--target-url");
    for bad in [
        "https://127.0.0.1:9/",
        "127.0.0.1:9",
        "http://u@127.0.0.1:9/",
    ] {
        refused(
            &[&["--key", k, "--target-url", bad][..], &listen].concat(),
            "expected http://host:port",
        );
    }
    refused(&[&target[..], &listen].concat(), "--key DIR is required");
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    refused(
        &[
            "--key",
            k,
            "--target-url",
            "http://127.0.0.1:9/",
            "--listen",
            &addr,
        ],
        "cannot listen",
    );
}
