//! Faults between the client and the collector: every report arrives exactly
//! once after the relay or collector recovers, whatever the relay answered
//! meanwhile (P16); a flush attempts each report at most once; and only the
//! collector's own refusal, or the RFC 9458 key problem, ends a report: it is
//! dropped and counted, never retried.

mod common;

use std::os::unix::process::ExitStatusExt;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;

/// Day one recorded and flushed while the proxy injects `fault`; then the
/// proxy recovers and a second replay delivers. `stored_during_fault`: the
/// fault let the report reach the collector (only the answer was lost).
/// Returns how long the replay that met the fault took.
fn fault_then_recover(fault: Fault, stored_during_fault: bool) -> Duration {
    let tmp = tempfile::tempdir().unwrap();
    let keys = keygen(&tmp.path().join("keys"));
    let db = tmp.path().join("collector.db");
    let data = tmp.path().join("device");
    let server = Server::start(&keys, &db);
    let proxy = Proxy::start(Some(server.addr), fault);

    let started = Instant::now();
    let summary = replay(&data, &keys, &proxy.url(), &one_day_trace(7));
    let faulted_replay = started.elapsed();
    // One attempt, failed, kept for later: no fast-forwarded retries.
    assert_eq!(uploads(&summary), [1, 0, 1, 0], "{summary}");
    assert_eq!(proxy.requests(), 1);
    assert_eq!(pending_files(&data), 1);
    assert_eq!(
        total_reports(&query(&db, 1)),
        u64::from(stored_during_fault)
    );

    proxy.set(Fault::Forward);
    let summary = replay(&data, &keys, &proxy.url(), FLUSH_ONLY);
    assert_eq!(uploads(&summary), [1, 1, 0, 0], "{summary}");
    assert_eq!(pending_files(&data), 0);
    let q = query(&db, 1);
    assert_eq!(total_reports(&q), 1, "{q}");
    assert_eq!(day(&q, &start())["metrics"]["tabs.opened"]["sum"], 7, "{q}");

    // Nothing left to send.
    let summary = replay(&data, &keys, &proxy.url(), FLUSH_ONLY);
    assert_eq!(uploads(&summary), [0, 0, 0, 0], "{summary}");
    assert_eq!(proxy.requests(), 2);
    let (status, stderr) = server.stop();
    assert!(status.success());
    let duplicates = if stored_during_fault { 1 } else { 0 };
    assert!(
        stderr.contains(&format!("1 reports stored, {duplicates} duplicates")),
        "{stderr}"
    );
    faulted_replay
}

#[test]
fn server_error_500() {
    fault_then_recover(Fault::Status(500, None), false);
}

#[test]
fn too_many_requests_429_with_retry_after() {
    fault_then_recover(Fault::Status(429, Some("3600")), false);
}

#[test]
fn collector_hangs_past_the_timeout() {
    let timeout = Duration::from_millis(UPLOAD_TIMEOUT_MS);
    let elapsed = fault_then_recover(Fault::Hang, false);
    // The replay waited for the answer until its timeout...
    assert!(elapsed >= timeout, "{elapsed:?}");
    // ...and no longer: the hang costs one upload timeout (plus a generous
    // margin for starting the process and sealing on a loaded machine), far
    // from the proxy's hang, which only the client's timeout can cut short.
    let bound = timeout + Duration::from_secs(10);
    assert!(bound * 2 < HANG, "the bound must be meaningful");
    assert!(elapsed < bound, "{elapsed:?}");
}

#[test]
fn connection_closed_mid_response_body() {
    // Stored, but the client never saw the answer: it re-sends, the
    // collector de-duplicates.
    fault_then_recover(Fault::CloseMidResponse, true);
}

#[test]
fn connection_closed_mid_request() {
    fault_then_recover(Fault::CloseMidRequest, false);
}

#[test]
fn collector_down_at_first() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = keygen(&tmp.path().join("keys"));
    let db = tmp.path().join("collector.db");
    let data = tmp.path().join("device");
    let port = free_port();
    let endpoint = format!("http://127.0.0.1:{port}/gateway");

    let summary = replay(&data, &keys, &endpoint, &one_day_trace(3));
    assert_eq!(uploads(&summary), [1, 0, 1, 0], "{summary}");
    assert_eq!(pending_files(&data), 1);

    let server = Server::start_on(&keys, &db, &format!("127.0.0.1:{port}"));
    let summary = replay(&data, &keys, &endpoint, FLUSH_ONLY);
    assert_eq!(uploads(&summary), [1, 1, 0, 0], "{summary}");
    let q = query(&db, 1);
    assert_eq!(total_reports(&q), 1);
    assert_eq!(day(&q, &start())["metrics"]["tabs.opened"]["sum"], 3);
    drop(server);
}

/// A relay or gateway that is misconfigured (an outer 4xx of its own, a
/// 400 that is not the key problem) loses nothing: the report is delivered
/// once it is fixed.
#[test]
fn outer_4xx_from_a_relay_keeps_the_report() {
    for status in [400, 401, 403, 404, 405, 413, 415] {
        fault_then_recover(Fault::Status(status, None), false);
    }
}

/// The key problem (a report sealed to a key the gateway does not hold) ends
/// the report: dropped, counted in the next day's report, never resent.
#[test]
fn a_report_for_an_unknown_key_is_dropped_counted_and_never_resent() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = keygen(&tmp.path().join("keys"));
    let stale = keygen(&tmp.path().join("stale"));
    let db = tmp.path().join("collector.db");
    let data = tmp.path().join("device");
    let server = Server::start(&keys, &db);

    // Sealed to `stale`, which this collector does not hold.
    let summary = replay(&data, &stale, &server.gateway_url(), &one_day_trace(2));
    assert_eq!(uploads(&summary), [1, 0, 0, 1], "{summary}");
    assert_eq!(pending_files(&data), 0);
    let summary = replay(&data, &keys, &server.gateway_url(), FLUSH_ONLY);
    assert_eq!(uploads(&summary), [0, 0, 0, 0], "{summary}");
    // The drop is counted in the next day's report.
    let next_day = "{\"op\":\"consent\",\"enabled\":true}\n{\"op\":\"advance\",\"days\":2}\n{\"op\":\"flush\"}\n";
    let summary = replay(&data, &keys, &server.gateway_url(), next_day);
    assert_eq!(uploads(&summary), [1, 1, 0, 0], "{summary}");
    let q = query(&db, 1);
    assert_eq!(total_reports(&q), 1, "{q}");
    assert!(day(&q, &start()).is_null(), "{q}");
    assert_eq!(
        day(&q, &day_after_start(1))["dropped"]["rejected_uploads"],
        1,
        "{q}"
    );
}

/// The collector's own sealed refusal (a report its schema does not take)
/// ends the report even through a relay that answered 200.
#[test]
fn the_collectors_sealed_refusal_is_final() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = keygen(&tmp.path().join("keys"));
    let db = tmp.path().join("collector.db");
    let data = tmp.path().join("device");
    let schema = tmp.path().join("other.toml");
    std::fs::write(
        &schema,
        "schema_version = 1\n[metrics.\"x.only_here\"]\ntype = \"counter\"\ndescription = \"x\"\nexpires = \"2099-12-31\"\n",
    )
    .unwrap();
    let server = Server::start(&keys, &db);
    let proxy = Proxy::start(Some(server.addr), Fault::Forward);
    let trace = "{\"op\":\"consent\",\"enabled\":true}\n{\"op\":\"open_tab\",\"tab\":\"t\"}\n{\"op\":\"count\",\"tab\":\"t\",\"metric\":\"x.only_here\"}\n{\"op\":\"advance\",\"days\":1}\n{\"op\":\"flush\"}\n";
    let mut cmd = replay_command(&data, &keys, Some(&proxy.url()));
    cmd.arg("--schema").arg(&schema);
    let summary = run_replay(cmd, trace);
    assert_eq!(uploads(&summary), [1, 0, 0, 1], "{summary}");
    assert_eq!(pending_files(&data), 0);
    assert_eq!(total_reports(&query(&db, 1)), 0);
    let (status, stderr) = server.stop();
    assert!(status.success());
    assert!(
        stderr.contains("0 reports stored, 0 duplicates, 1 invalid"),
        "{stderr}"
    );
}

#[test]
fn a_dead_collector_gets_one_attempt_per_report_per_flush() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = keygen(&tmp.path().join("keys"));
    let data = tmp.path().join("device");
    let proxy = Proxy::start(None, Fault::Status(503, None));
    let mut trace = String::from(
        "{\"op\":\"consent\",\"enabled\":true}\n{\"op\":\"open_tab\",\"tab\":\"t\"}\n",
    );
    for _ in 0..3 {
        trace.push_str("{\"op\":\"count\",\"tab\":\"t\",\"metric\":\"tabs.opened\"}\n{\"op\":\"advance\",\"days\":1}\n");
    }
    trace.push_str("{\"op\":\"flush\"}\n");
    let summary = replay(&data, &keys, &proxy.url(), &trace);
    assert_eq!(uploads(&summary), [3, 0, 3, 0], "{summary}");
    assert_eq!(proxy.requests(), 3);
    // Two more flushes: one more attempt each, still within the retry budget.
    let twice = format!("{FLUSH_ONLY}{{\"op\":\"flush\"}}\n");
    let summary = replay(&data, &keys, &proxy.url(), &twice);
    assert_eq!(uploads(&summary), [6, 0, 6, 0], "{summary}");
    assert_eq!(pending_files(&data), 3);
}

#[test]
fn killed_between_upload_and_acknowledgement_resends_and_is_deduplicated() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = keygen(&tmp.path().join("keys"));
    let db = tmp.path().join("collector.db");
    let data = tmp.path().join("device");
    let server = Server::start(&keys, &db);
    let (tx, rx) = mpsc::channel();
    let proxy = Proxy::start(Some(server.addr), Fault::ForwardThenNotify(tx));

    // An upload timeout longer than the proxy holds the answer: the client
    // can only stop waiting by being killed.
    let timeout_ms = 2 * HANG.as_millis() as u64;
    let mut child = replay_command_with_timeout(&data, &keys, Some(&proxy.url()), timeout_ms)
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(one_day_trace(5).as_bytes()).unwrap();
    }
    // The collector has stored it; the answer is held back. Kill the client now.
    rx.recv_timeout(Duration::from_secs(20))
        .expect("the upload reached the collector");
    child.kill().unwrap();
    let status = wait_bounded(&mut child, Duration::from_secs(10));
    // Killed (SIGKILL), not exited by itself after a timeout or an error.
    assert_eq!(status.code(), None, "{status}");
    assert_eq!(status.signal(), Some(9), "{status}");
    assert_eq!(total_reports(&query(&db, 1)), 1);
    assert_eq!(
        pending_files(&data),
        1,
        "not acknowledged, so still pending"
    );

    proxy.set(Fault::Forward);
    let summary = replay(&data, &keys, &proxy.url(), FLUSH_ONLY);
    assert_eq!(uploads(&summary), [1, 1, 0, 0], "{summary}");
    assert_eq!(pending_files(&data), 0);
    let q = query(&db, 1);
    assert_eq!(total_reports(&q), 1, "{q}");
    assert_eq!(day(&q, &start())["metrics"]["tabs.opened"]["sum"], 5);
    let (_, stderr) = server.stop();
    assert!(
        stderr.contains("1 reports stored, 1 duplicates"),
        "{stderr}"
    );
}
