//! The gateway and its target as two processes: `hush serve --target-url`
//! forwarding to `hush leader`'s plain-HTTP DAP API, the client's real
//! upload path through a relay (`hush replay --relay`), the leader's upload
//! resource (from the app's task configuration) as the sealed request's
//! target, never the gateway's; and answers of one size, whether the
//! leader refuses, accepts or is down.

mod dap_common;

use std::io::Write;
use std::process::{Command, Stdio};

use dap_common::*;
use hush_core::report::MetricValue;

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
fn replay_through_a_relay_to_the_gateway_and_the_leader_behind_it() {
    let c = Cluster::new(1, Mode::Pass);
    let _helper = c.helper();
    let leader = c.leader();
    let gateway = leader.gateway.as_ref().unwrap().addr;
    // The "relay": passes each request on to the gateway, byte for byte.
    let relay = Relay::start(Some(gateway), Fault::Forward);
    let data = c.file("device");
    let mut cmd = c.dep.replay_command(&data, Some(&leader.gateway_url()));
    cmd.args(["--relay", &relay.url()]);
    let summary = run_replay(cmd, &one_day_trace(4));
    let delivered = uploads(&summary)[1];
    assert_eq!(uploads(&summary), [delivered, delivered, 0, 0], "{summary}");
    assert_eq!(
        relay.requests() as u64,
        delivered,
        "the uploads went through the relay"
    );
    assert_one_device(&c.dep, &c.accepted(), delivered);
    let (code, lines, out) = collect(&c.dep, &leader, &start(), 1, &["tabs.opened"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(total_of(&lines[0], None), 4);

    // Each sealed request names the leader's upload resource of one task
    // (the app's task configuration), never the gateway, relay or leader
    // addresses.
    let ids: Vec<String> = c
        .dep
        .config
        .tasks
        .iter()
        .map(|t| t.task_id.to_string())
        .collect();
    let mut named = std::collections::BTreeSet::new();
    for captured in relay.captured() {
        let body = &captured[captured.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4..];
        let inner = open_raw(&c.dep.path("leader/ohttp"), body);
        let message = ::bhttp::Message::read_bhttp(&mut std::io::Cursor::new(&inner)).unwrap();
        let control = message.control();
        assert_eq!(control.method(), Some(&b"PUT"[..]));
        assert_eq!(control.authority(), Some(&b"leader.example"[..]));
        let path = String::from_utf8(control.path().unwrap().to_vec()).unwrap();
        let id = path
            .strip_prefix("/dap/tasks/")
            .and_then(|p| p.strip_suffix("/reports"))
            .unwrap_or_else(|| panic!("{path}"));
        assert!(ids.iter().any(|i| i == id), "{id}");
        named.insert(id.to_owned());
        let contains = |needle: &[u8]| inner.windows(needle.len()).any(|w| w == needle);
        for address in [gateway, relay.addr, leader.addr] {
            assert!(
                !contains(address.to_string().as_bytes()),
                "{address} inside the sealed request"
            );
        }
    }
    assert_eq!(named.len(), ids.len(), "every task's reports");
}

/// Every answer the leader gives to an upload, accepted or refused, has the
/// same headers and a body of the same length over plain HTTP, so any
/// standard gateway in front seals answers of one size; through Hush's
/// gateway every answer is of one size too, and a leader that is down is a
/// sealed 502 of that size, which the client retries.
#[test]
fn upload_answers_have_one_size_and_a_dead_leader_is_a_sealed_502() {
    let c = Cluster::new(1, Mode::Pass);
    let leader = c.leader();
    let dep = &c.dep;
    let reports = dep.device_reports(&start(), &[("tabs.opened", MetricValue::Counter(2))]);
    let good = dep.report_of(&reports, "tabs.opened");
    let base = leader.url(&dep.leader_base);
    let url = format!("{base}tasks/{}/reports", good.task_id);
    let report = Some("application/dap-report");
    let unknown = janus_messages::TaskId::from([7; 32]);
    let answers = [
        send("PUT", &url, report, &good.body),
        send("PUT", &url, report, &good.body),
        send(
            "PUT",
            &format!("{base}tasks/{unknown}/reports"),
            report,
            &good.body,
        ),
        send("PUT", &url, Some("text/plain"), &good.body),
        send("PUT", &url, report, b"\x00 not a report"),
        send(
            "PUT",
            &format!("{base}tasks/nope/reports"),
            report,
            &good.body,
        ),
        send("GET", &url, None, b""),
        send_declared("PUT", &url, "application/dap-report", 300 * 1024),
    ];
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [200, 200, 400, 400, 400, 400, 405, 413]);
    for a in &answers {
        assert_eq!(a.headers, answers[0].headers, "{}", a.status);
        assert_eq!(a.body.len(), 512, "{}", a.status);
    }
    assert_eq!(answers[0].content_type, "text/plain;charset=utf-8");
    assert_eq!(answers[2].content_type, "application/problem+json");
    assert_eq!(accepted_total(&c.accepted()), 1);

    // Through Hush's gateway: one sealed size, whatever the leader said.
    let gateway = leader.gateway_url();
    let post = |report: &hush_core::dap::DapReport| {
        let (request, opener) = sealed_upload(dep, &dep.ohttp_keys, report);
        let a = send("POST", &gateway, Some("message/ohttp-req"), &request);
        (inner_status(&a, &opener), a.body.len())
    };
    let stored = post(dep.report_of(&reports, "bookmarks.added"));
    let duplicate = post(good);
    let refused = post(&hush_core::dap::DapReport {
        task_id: unknown,
        ..good.clone()
    });
    assert_eq!((stored.0, duplicate.0, refused.0), (200, 200, 400));
    assert_eq!(accepted_total(&c.accepted()), 2);
    let front = leader.kill_leaving_gateway();
    let down = {
        let (request, opener) = sealed_upload(
            dep,
            &dep.ohttp_keys,
            dep.report_of(&reports, "reader_mode.used"),
        );
        let a = send(
            "POST",
            &format!("http://{}/gateway", front.addr),
            Some("message/ohttp-req"),
            &request,
        );
        (inner_status(&a, &opener), a.body.len())
    };
    assert_eq!(
        down.0, 502,
        "the leader is down: sealed 502, retried by the client"
    );
    assert_eq!(stored.1, duplicate.1);
    assert_eq!(stored.1, refused.1);
    assert_eq!(stored.1, down.1);
}
