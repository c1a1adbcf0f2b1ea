//! Faults between the client and the leader: every report arrives exactly
//! once after the relay, the gateway or the leader recovers, whatever the
//! relay answered meanwhile (P16); a flush never attempts a report twice,
//! and stops at the first failure; and only the leader's own sealed
//! refusal, or the RFC 9458 key problem, ends a report: it is dropped and
//! counted, never retried.
//!
//! "Stored" is what the leader's store accepted (its report ids, per day
//! and task); the helper is not needed for that, and is not started.

mod dap_common;

use std::os::unix::process::ExitStatusExt;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use dap_common::*;

/// No two requests carried the same bytes: no report was sent twice (a
/// pending report is sealed once, and re-sent as it is).
fn assert_distinct(requests: &[Vec<u8>]) {
    let mut bodies: Vec<&[u8]> = requests
        .iter()
        .map(|r| &r[r.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4..])
        .collect();
    bodies.sort_unstable();
    bodies.dedup();
    assert_eq!(bodies.len(), requests.len(), "a report was attempted twice");
}

/// A deployment (minimum batch size 1) and its leader behind the gateway.
fn cluster() -> (Cluster, Aggregator) {
    let c = Cluster::new(1, Mode::Pass);
    let leader = c.leader();
    (c, leader)
}

fn gateway_addr(leader: &Aggregator) -> std::net::SocketAddr {
    leader.gateway.as_ref().unwrap().addr
}

/// Day one recorded and flushed while the relay injects `fault`; then the
/// relay recovers and a second replay delivers. `stored_during_fault`: the
/// fault let the report reach the leader (only the answer was lost).
/// Returns how long the replay that met the fault took.
fn fault_then_recover(fault: Fault, stored_during_fault: bool) -> Duration {
    let (c, leader) = cluster();
    // A Retry-After longer than the gap between uploads lets the flush go
    // on to other reports; otherwise the failed report is due again before
    // the next one and the flush stops there.
    let one_attempt = !matches!(fault, Fault::Status(_, Some(_)));
    let relay = Relay::start(Some(gateway_addr(&leader)), fault);
    let data = c.file("device");

    let started = Instant::now();
    let summary = c.dep.replay(&data, &relay.url(), &one_day_trace(7));
    let faulted_replay = started.elapsed();
    // Each attempt failed and was kept for later; no report was tried twice
    // (no fast-forwarded retries): every request carried another report.
    let attempts = uploads(&summary)[0];
    assert_eq!(uploads(&summary), [attempts, 0, attempts, 0], "{summary}");
    assert!(attempts >= 1);
    if one_attempt {
        assert_eq!(attempts, 1, "{summary}");
    }
    assert_eq!(relay.requests() as u64, attempts);
    assert_distinct(&relay.captured());
    let pending = pending_files(&data) as u64;
    assert_eq!(summary["pending_uploads"], pending);
    assert!(whole_days(&c.dep, pending) >= 1);
    let stored = if stored_during_fault { attempts } else { 0 };
    assert_eq!(accepted_total(&c.accepted()), stored);

    relay.set(Fault::Forward);
    let summary = c.dep.replay(&data, &relay.url(), FLUSH_ONLY);
    let delivered = uploads(&summary)[1];
    assert_eq!(uploads(&summary), [delivered, delivered, 0, 0], "{summary}");
    assert!(delivered >= pending, "{summary}");
    assert_eq!(pending_files(&data), 0);
    let days = assert_one_device(&c.dep, &c.accepted(), delivered);
    assert_eq!(days[0], start());

    // Nothing left to send.
    let summary = c.dep.replay(&data, &relay.url(), FLUSH_ONLY);
    assert_eq!(uploads(&summary), [0, 0, 0, 0], "{summary}");
    assert_eq!(relay.requests() as u64, attempts + delivered);
    let (status, stderr) = leader.stop();
    assert!(status.success());
    let duplicates = stored;
    assert!(
        stderr.contains(&format!(
            "{delivered} reports stored, {duplicates} duplicates"
        )),
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
    // from the relay's hang, which only the client's timeout can cut short.
    let bound = timeout + Duration::from_secs(10);
    assert!(bound * 2 < HANG, "the bound must be meaningful");
    assert!(elapsed < bound, "{elapsed:?}");
}

#[test]
fn connection_closed_mid_response_body() {
    // Stored, but the client never saw the answer: it re-sends, the
    // leader de-duplicates.
    fault_then_recover(Fault::CloseMidResponse, true);
}

#[test]
fn connection_closed_mid_request() {
    fault_then_recover(Fault::CloseMidRequest, false);
}

#[test]
fn gateway_down_at_first() {
    let c = Cluster::new(1, Mode::Pass);
    let leader = c.leader_with(LeaderOptions {
        gateway: false,
        ..LeaderOptions::default()
    });
    let data = c.file("device");
    let port = free_port();
    let endpoint = format!("http://127.0.0.1:{port}/.well-known/ohttp-gateway");

    let summary = c.dep.replay(&data, &endpoint, &one_day_trace(3));
    assert_eq!(uploads(&summary), [1, 0, 1, 0], "{summary}");
    let pending = pending_files(&data) as u64;
    whole_days(&c.dep, pending);

    let gateway = Gateway::start_on(
        &c.dep.path("leader/ohttp"),
        &format!("http://{}/", leader.addr),
        &format!("127.0.0.1:{port}"),
    );
    let summary = c.dep.replay(&data, &endpoint, FLUSH_ONLY);
    let delivered = uploads(&summary)[1];
    assert_eq!(uploads(&summary), [delivered, delivered, 0, 0], "{summary}");
    assert!(delivered >= pending, "{summary}");
    assert_one_device(&c.dep, &c.accepted(), delivered);
    drop(gateway);
}

/// A leader that is down behind a working gateway: sealed 502s, the
/// reports kept; once it is back they are delivered.
#[test]
fn leader_down_behind_the_gateway_at_first() {
    let c = Cluster::new(1, Mode::Pass);
    let port = free_port();
    let gateway = Gateway::start(
        &c.dep.path("leader/ohttp"),
        &format!("http://127.0.0.1:{port}/"),
    );
    let data = c.file("device");
    let summary = c.dep.replay(&data, &gateway.url(), &one_day_trace(3));
    assert_eq!(uploads(&summary), [1, 0, 1, 0], "{summary}");
    let pending = pending_files(&data) as u64;
    whole_days(&c.dep, pending);

    let listen = format!("127.0.0.1:{port}");
    let _leader = c.leader_with(LeaderOptions {
        listen: &listen,
        gateway: false,
        ..LeaderOptions::default()
    });
    let summary = c.dep.replay(&data, &gateway.url(), FLUSH_ONLY);
    let delivered = uploads(&summary)[1];
    assert_eq!(uploads(&summary), [delivered, delivered, 0, 0], "{summary}");
    assert!(delivered >= pending, "{summary}");
    assert_one_device(&c.dep, &c.accepted(), delivered);
    let (status, stderr) = gateway.stop();
    assert!(status.success());
    assert!(
        stderr.contains(&format!(
            "{delivered} accepted, 0 refused, 0 target errors, 1 target unreachable"
        )),
        "{stderr}"
    );
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
/// the report: dropped, counted in a later day's report, never resent.
#[test]
fn a_report_for_an_unknown_key_is_dropped_counted_and_never_resent() {
    let (c, leader) = cluster();
    let _helper = c.helper();
    let stale = keygen(&c.file("stale"));
    let data = c.file("device");
    let gateway = leader.gateway_url();

    // Sealed to `stale`, which this gateway does not hold: each report gets
    // the key problem, and is deleted and counted in the open day.
    let summary = run_replay(
        replay_command(
            &data,
            &c.dep.client_tasks(),
            &stale.join("ohttp-keys"),
            Some(&gateway),
        ),
        &one_day_trace(2),
    );
    let dropped = uploads(&summary)[3];
    assert_eq!(uploads(&summary), [dropped, 0, 0, dropped], "{summary}");
    whole_days(&c.dep, dropped);
    assert_eq!(pending_files(&data), 0);
    // (A day that closed during the flush carried the drops counted so far,
    // and was dropped in turn; the open day holds the rest.)
    let counted = summary["open_window"]["dropped"]["rejected_uploads"]
        .as_u64()
        .unwrap_or_else(|| panic!("no drops counted: {summary}"));
    assert!((1..=dropped).contains(&counted), "{summary}");
    let summary = c.dep.replay(&data, &gateway, FLUSH_ONLY);
    assert_eq!(uploads(&summary), [0, 0, 0, 0], "{summary}");
    // The drops are counted in a later day's report.
    let later = "{\"op\":\"consent\",\"enabled\":true}\n{\"op\":\"advance\",\"days\":6}\n{\"op\":\"flush\"}\n";
    let summary = c.dep.replay(&data, &gateway, later);
    let delivered = uploads(&summary)[1];
    assert_eq!(uploads(&summary), [delivered, delivered, 0, 0], "{summary}");
    let days = assert_one_device(&c.dep, &c.accepted(), delivered);
    assert!(!days.contains(&start()), "{days:?}");
    let (code, lines, out) = collect(&c.dep, &leader, &start(), 7, &["hush.dropped"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        total_of(&lines[0], Some("rejected_uploads")),
        counted,
        "{out}"
    );
}

/// The leader's own sealed refusal (a report for a task it does not know)
/// ends the report even through a relay that answered 200.
#[test]
fn the_leaders_sealed_refusal_is_final() {
    let (c, leader) = cluster();
    // Another deployment's tasks: the app was shipped with a task
    // configuration this leader does not have, sealed to its gateway.
    let other = Deployment::create(&c.file("other"), 1);
    let relay = Relay::start(Some(gateway_addr(&leader)), Fault::Forward);
    let data = c.file("device");
    let summary = run_replay(
        replay_command(
            &data,
            &other.client_tasks(),
            &c.dep.client_keys(),
            Some(&relay.url()),
        ),
        &one_day_trace(1),
    );
    let dropped = uploads(&summary)[3];
    assert_eq!(uploads(&summary), [dropped, 0, 0, dropped], "{summary}");
    whole_days(&c.dep, dropped);
    assert_eq!(pending_files(&data), 0);
    assert_eq!(relay.requests() as u64, dropped);
    assert_eq!(accepted_total(&c.accepted()), 0);
    let (status, stderr) = leader.stop();
    assert!(status.success());
    assert!(
        stderr.contains(&format!(
            "0 reports stored, 0 duplicates, {dropped} refused"
        )),
        "{stderr}"
    );
}

#[test]
fn a_dead_collector_gets_one_attempt_per_flush_and_no_report_twice() {
    let c = Cluster::new(1, Mode::Pass);
    let data = c.file("device");
    let relay = Relay::start(None, Fault::Status(503, None));
    let mut trace = String::from(
        "{\"op\":\"consent\",\"enabled\":true}\n{\"op\":\"open_tab\",\"tab\":\"t\"}\n",
    );
    for _ in 0..3 {
        trace.push_str("{\"op\":\"count\",\"tab\":\"t\",\"metric\":\"tabs.opened\"}\n{\"op\":\"advance\",\"days\":1}\n");
    }
    trace.push_str("{\"op\":\"flush\"}\n");
    // The first failure ends the flush: the failed report is due again
    // (backoff) before the gap to the next upload is over.
    let summary = c.dep.replay(&data, &relay.url(), &trace);
    assert_eq!(uploads(&summary), [1, 0, 1, 0], "{summary}");
    assert_eq!(relay.requests(), 1);
    let pending = pending_files(&data);
    assert!(whole_days(&c.dep, pending as u64) >= 3);
    // Two more flushes: one more attempt each, still within the retry
    // budget, each of another report; nothing deleted (days the flushes'
    // clock closed add theirs).
    let twice = format!("{FLUSH_ONLY}{{\"op\":\"flush\"}}\n");
    let summary = c.dep.replay(&data, &relay.url(), &twice);
    assert_eq!(uploads(&summary), [2, 0, 2, 0], "{summary}");
    assert_eq!(relay.requests(), 3);
    assert_distinct(&relay.captured());
    let now = pending_files(&data);
    assert!(now >= pending, "{now} < {pending}");
    whole_days(&c.dep, now as u64);
}

#[test]
fn killed_between_upload_and_acknowledgement_resends_and_is_deduplicated() {
    let (c, leader) = cluster();
    let data = c.file("device");
    let (tx, rx) = mpsc::channel();
    let relay = Relay::start(Some(gateway_addr(&leader)), Fault::ForwardThenNotify(tx));

    // An upload timeout longer than the relay holds the answer: the client
    // can only stop waiting by being killed.
    let timeout_ms = 2 * HANG.as_millis() as u64;
    let mut child = replay_command_with_timeout(
        &data,
        &c.dep.client_tasks(),
        &c.dep.client_keys(),
        Some(&relay.url()),
        timeout_ms,
    )
    .spawn()
    .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(one_day_trace(5).as_bytes()).unwrap();
    }
    // The leader has stored it; the answer is held back. Kill the client now.
    rx.recv_timeout(Duration::from_secs(60))
        .expect("the upload reached the leader");
    child.kill().unwrap();
    let status = wait_bounded(&mut child, Duration::from_secs(10));
    // Killed (SIGKILL), not exited by itself after a timeout or an error.
    assert_eq!(status.code(), None, "{status}");
    assert_eq!(status.signal(), Some(9), "{status}");
    assert_eq!(accepted_total(&c.accepted()), 1);
    let pending = pending_files(&data) as u64;
    whole_days(&c.dep, pending);

    relay.set(Fault::Forward);
    let summary = c.dep.replay(&data, &relay.url(), FLUSH_ONLY);
    let delivered = uploads(&summary)[1];
    assert_eq!(uploads(&summary), [delivered, delivered, 0, 0], "{summary}");
    assert!(delivered >= pending, "not acknowledged, so still pending");
    assert_eq!(pending_files(&data), 0);
    assert_one_device(&c.dep, &c.accepted(), delivered);
    let (_, stderr) = leader.stop();
    assert!(
        stderr.contains(&format!("{delivered} reports stored, 1 duplicates")),
        "{stderr}"
    );
}
