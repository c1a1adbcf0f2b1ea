//! `hush serve` against hostile and broken input: each request gets its
//! status, and the server keeps serving throughout.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::*;
use hush_core::ohttp::KeyConfigs;

#[test]
fn every_kind_of_bad_request_gets_its_status_and_the_server_keeps_serving() {
    let tmp = tempfile::tempdir().unwrap();
    let keys_dir = keygen(&tmp.path().join("keys"));
    let other_dir = keygen(&tmp.path().join("other"));
    let db = tmp.path().join("collector.db");
    let server = Server::start(&keys_dir, &db);
    let base = format!("http://{}", server.addr);
    let gateway = server.gateway_url();
    let published = std::fs::read(keys_dir.join("ohttp-keys")).unwrap();
    let keys = KeyConfigs::parse(&published).unwrap();
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

    // Outer errors.
    let (good, opener) = sealed(
        &keys,
        "POST",
        "/report",
        &report(&"a".repeat(32), r#"{"tabs.opened":{"counter":2}}"#),
    );
    assert_eq!(
        send("POST", &gateway, Some("application/json"), &good).status,
        415
    );
    assert_eq!(send("POST", &gateway, None, &good).status, 415);
    assert_eq!(
        send("POST", &gateway, req, &vec![0u8; 65 * 1024]).status,
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
    // Another collector's key (RFC 9458 §5.3 problem, whatever its key id).
    let (foreign, _) = sealed(&other, "POST", "/report", &report(&"b".repeat(32), "{}"));
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
    // So is the same report id sealed afresh (a client re-sealing after a crash).
    let (again, opener2) = sealed(
        &keys,
        "POST",
        "/report",
        &report(&"a".repeat(32), r#"{"tabs.opened":{"counter":2}}"#),
    );
    assert_eq!(
        inner_status(&send("POST", &gateway, req, &again), &opener2),
        200
    );

    // Inner errors come back sealed.
    let inner_cases: &[(&str, &str, Vec<u8>, u16)] = &[
        ("GET", "/report", report(&"c".repeat(32), "{}"), 405),
        ("POST", "/elsewhere", report(&"c".repeat(32), "{}"), 404),
        ("POST", "/report", b"{not json".to_vec(), 400),
        (
            "POST",
            "/report",
            report(&"c".repeat(32), r#"{"no.such.metric":{"counter":1}}"#),
            400,
        ),
        (
            "POST",
            "/report",
            report(
                &"c".repeat(32),
                r#"{"settings.switched":{"labeled_counter":{"https://leak.example/":1}}}"#,
            ),
            400,
        ),
        (
            "POST",
            "/report",
            report(
                &"c".repeat(32),
                r#"{"page.domain":{"domain":{"leak.example":1}}}"#,
            ),
            400,
        ),
        ("POST", "/report", report("not-hex", "{}"), 400),
        (
            "POST",
            "/report",
            String::from_utf8(report(&"c".repeat(32), "{}"))
                .unwrap()
                .replace("\"schema_version\":1", "\"schema_version\":2")
                .into_bytes(),
            400,
        ),
    ];
    for (i, (method, path, json, want)) in inner_cases.iter().enumerate() {
        let (bytes, opener) = sealed(&keys, method, path, json);
        let got = inner_status(&send("POST", &gateway, req, &bytes), &opener);
        assert_eq!(got, *want, "inner case {i}");
    }

    // Raw-socket abuse: not HTTP at all, a truncated body, a lying length.
    for raw in [
        &b"\x16\x03\x01\x02\x00 definitely not http\r\n\r\n"[..],
        b"POST /gateway HTTP/1.1\r\nhost: x\r\ncontent-type: message/ohttp-req\r\ncontent-length: 500\r\n\r\nshort",
        b"POST /gateway HTTP/1.1\r\nhost: x\r\ncontent-length: 99999999999999999999999\r\n\r\n",
        b"GET /ohttp-keys HTTP/1.1\r\nhost: x\r\nx: \xff\xfe\r\n\r\n",
    ] {
        let mut s = TcpStream::connect(server.addr).unwrap();
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
    let q = query(&db, 1);
    assert_eq!(total_reports(&q), 1, "{q}");
    assert_eq!(day(&q, &start())["metrics"]["tabs.opened"]["sum"], 2);
    let (status, stderr) = server.stop();
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains("1 reports stored, 2 duplicates"),
        "{stderr}"
    );
    // Nothing from any request reached the log.
    for needle in ["leak", "garbage", "not http", "127.0.0.1"] {
        assert!(!stderr.contains(needle), "{needle} in {stderr}");
    }
}

#[test]
fn even_rust_log_trace_prints_no_key_material_or_report_content() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = keygen(&tmp.path().join("keys"));
    let db = tmp.path().join("c.db");
    let mut child = std::process::Command::new(HUSH)
        .env("RUST_LOG", "trace")
        .args(["serve", "--key"])
        .arg(&keys)
        .arg("--db")
        .arg(&db)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    let published = KeyConfigs::parse(&std::fs::read(keys.join("ohttp-keys")).unwrap()).unwrap();
    let (bytes, opener) = sealed(
        &published,
        "POST",
        "/report",
        &report(&"d".repeat(32), r#"{"tabs.opened":{"counter":4}}"#),
    );
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
    let secret = std::fs::read_to_string(keys.join("gateway.key")).unwrap();
    let seed = std::fs::read_to_string(keys.join("gateway.seed")).unwrap();
    for needle in [
        "TRACE",
        "okm",
        "prk",
        secret.trim(),
        seed.trim(),
        "tabs.opened",
        "dddddddd",
    ] {
        assert!(!stderr.contains(needle), "{needle:?} in {stderr}");
    }
}

#[test]
fn serve_exits_cleanly_on_sigterm_and_sigint() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = keygen(&tmp.path().join("keys"));
    for sig in ["TERM", "INT"] {
        let db = tmp.path().join(format!("{sig}.db"));
        let mut child = std::process::Command::new(HUSH)
            .args(["serve", "--key"])
            .arg(&keys)
            .arg("--db")
            .arg(&db)
            .args(["--listen", "127.0.0.1:0"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.as_mut().unwrap()),
            &mut line,
        )
        .unwrap();
        assert!(line.starts_with("listening on 127.0.0.1:"), "{line}");
        // An idle keep-alive connection must not hold shutdown up forever.
        let idle = TcpStream::connect(line.trim().strip_prefix("listening on ").unwrap()).unwrap();
        signal(&child, sig);
        let status = wait_bounded(&mut child, Duration::from_secs(8));
        assert!(status.success(), "{sig}: {status}");
        drop(idle);
        assert_eq!(total_reports(&query(&db, 1)), 0);
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
    let db = tmp.path().join("c.db");
    let db = db.to_str().unwrap();
    let out = run(&[
        "--key",
        "/nonexistent",
        "--db",
        db,
        "--listen",
        "127.0.0.1:0",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("ohttp-keys"));
    let bad_schema = tmp.path().join("bad.toml");
    std::fs::write(&bad_schema, "not toml [").unwrap();
    let out = run(&[
        "--key",
        k,
        "--db",
        db,
        "--listen",
        "127.0.0.1:0",
        "--schema",
        bad_schema.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.toml"));
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let out = run(&["--key", k, "--db", db, "--listen", &addr]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen"));
}
