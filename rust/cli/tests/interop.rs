//! Interoperability with OHTTP software nobody on this project wrote, from
//! crates.io, on loopback only, each test bounded and ending with the DAP
//! reports in the leader's store (and their totals from `hush collect`):
//!
//! - Hush's client → `ohttp-relay` → Hush's gateway → `hush leader`;
//! - Hush's client → `ohttp-relay` → `ohttp-gateway` → `hush leader` as its
//!   target;
//! - the `ohttp` crate's client, sealing a DAP upload → Hush's gateway →
//!   `hush leader` (no peer to install).
//!
//! The first two need the peers' binaries, which `scripts/test` installs
//! (`scripts/lib/interop-peers.sh`, pinned versions, cached under
//! `target/interop-peers/`) and passes as `HUSH_INTEROP_PEERS`; so they are
//! `#[ignore]`d in a plain `cargo test` and `scripts/test` runs them with
//! `--ignored`. Without the binaries they fail, never skip.
//!
//! Loopback only: `ohttp-relay` listens on a Unix socket (it can only bind
//! TCP on every interface), reached through a loopback TCP forwarder here.
//! `ohttp-gateway` 1.0.2 has no such option and binds `0.0.0.0:PORT`, on a
//! free port and only for the test; everything connects to 127.0.0.1.

mod dap_common;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use dap_common::*;
use hush_core::dap::DapReport;
use hush_core::ohttp::{bhttp, KeyConfigs};
use hush_core::report::MetricValue;

/// A peer's binary from `HUSH_INTEROP_PEERS`.
fn peer(name: &str) -> PathBuf {
    let dir = std::env::var_os("HUSH_INTEROP_PEERS").unwrap_or_else(|| {
        panic!("HUSH_INTEROP_PEERS is not set: run scripts/test, or scripts/lib/interop-peers.sh")
    });
    let bin = Path::new(&dir).join("bin").join(name);
    assert!(
        bin.is_file(),
        "{} is missing: run scripts/lib/interop-peers.sh",
        bin.display()
    );
    bin
}

/// A child process killed when dropped.
struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A child's environment without proxies (`reqwest` would use them) or logs.
fn clean(cmd: &mut Command) -> &mut Command {
    for var in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "RUST_LOG",
        "PORT",
        "UNIX_SOCKET",
    ] {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
}

fn wait_until(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !ready() {
        assert!(
            Instant::now() < deadline,
            "{what} did not come up within {limit:?}"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

/// `ohttp-relay` forwarding to `gateway_origin`, on a Unix socket, and the
/// loopback TCP address that reaches it.
fn relay(tmp: &Path, gateway_origin: &str) -> (Peer, SocketAddr) {
    let socket = tmp.join("relay.sock");
    let child = clean(&mut Command::new(peer("ohttp-relay")))
        .env("UNIX_SOCKET", &socket)
        .env("GATEWAY_ORIGIN", gateway_origin)
        .spawn()
        .unwrap();
    let peer = Peer(child);
    wait_until("ohttp-relay", Duration::from_secs(30), || {
        UnixStream::connect(&socket).is_ok()
    });
    (peer, unix_forwarder(socket))
}

/// Loopback TCP → Unix socket, byte for byte, one thread per direction.
fn unix_forwarder(socket: PathBuf) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { continue };
            let Ok(unix) = UnixStream::connect(&socket) else {
                continue;
            };
            let (mut tcp_r, mut unix_w) = (tcp.try_clone().unwrap(), unix.try_clone().unwrap());
            let (mut unix_r, mut tcp_w) = (unix, tcp);
            thread::spawn(move || {
                let _ = std::io::copy(&mut tcp_r, &mut unix_w);
                let _ = unix_w.shutdown(std::net::Shutdown::Write);
            });
            thread::spawn(move || {
                let _ = std::io::copy(&mut unix_r, &mut tcp_w);
                let _ = tcp_w.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    addr
}

/// Hush's client path: `hush replay` of the app with task configuration
/// `tasks` and gateway keys `keys`, through the relay at `relay` to `gateway`.
fn replay_via(
    data: &Path,
    tasks: &Path,
    keys: &Path,
    gateway: &str,
    relay: SocketAddr,
    trace: &str,
) -> serde_json::Value {
    let mut cmd = replay_command_with_timeout(data, tasks, keys, Some(gateway), 10_000);
    cmd.args(["--relay", &format!("http://{relay}/")]);
    run_replay(cmd, trace)
}

/// The day's total of `task` from `hush collect` (minimum batch size 1).
fn collected(c: &Cluster, leader: &Aggregator, task: &str) -> (u64, u64) {
    let (code, lines, out) = collect(&c.dep, leader, &start(), 1, &[task]);
    assert_eq!(code, 0, "{out}");
    (
        lines[0]["report_count"].as_u64().unwrap(),
        total_of(&lines[0], None),
    )
}

#[test]
#[ignore = "needs ohttp-relay and ohttp-gateway: scripts/test installs them"]
fn hush_client_through_ohttp_relay_to_hush_gateway_and_leader() {
    let c = Cluster::new(1, Mode::Pass);
    let _helper = c.helper();
    let leader = c.leader_with(LeaderOptions {
        gateway: false,
        ..LeaderOptions::default()
    });
    let data = c.file("device");
    let port = free_port();
    let origin = format!("http://127.0.0.1:{port}");
    let (_relay, relay_addr) = relay(c.tmp.path(), &origin);
    let gateway = format!("{origin}/.well-known/ohttp-gateway");

    let app = |trace: &str| {
        replay_via(
            &data,
            &c.dep.client_tasks(),
            &c.dep.client_keys(),
            &gateway,
            relay_addr,
            trace,
        )
    };

    // The gateway is down: the relay answers 502 of its own, and the
    // reports are kept (P16).
    let summary = app(&one_day_trace(6));
    assert_eq!(uploads(&summary), [1, 0, 1, 0], "{summary}");
    let pending = pending_files(&data) as u64;
    whole_days(&c.dep, pending);

    // Up: the relay posts to the RFC 9540 path, which Hush's gateway serves,
    // and the gateway forwards to the leader.
    let hush_gateway = Gateway::start_on(
        &c.dep.path("leader/ohttp"),
        &format!("http://{}/", leader.addr),
        &format!("127.0.0.1:{port}"),
    );
    let summary = app(FLUSH_ONLY);
    let delivered = uploads(&summary)[1];
    assert_eq!(uploads(&summary), [delivered, delivered, 0, 0], "{summary}");
    assert!(delivered >= pending, "{summary}");
    assert_eq!(pending_files(&data), 0);
    let days = assert_one_device(&c.dep, &c.accepted(), delivered);
    assert_eq!(days[0], start());
    assert_eq!(collected(&c, &leader, "tabs.opened"), (1, 6));
    let (status, stderr) = hush_gateway.stop();
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("{delivered} accepted, 0 refused")),
        "{stderr}"
    );
}

#[test]
#[ignore = "needs ohttp-relay and ohttp-gateway: scripts/test installs them"]
fn hush_client_through_ohttp_relay_and_ohttp_gateway_to_hush_leader() {
    // `hush leader` alone, plain HTTP, as ohttp-gateway's target: the app's
    // task configuration names the leader's origin, which is what the
    // sealed request's authority is and what ohttp-gateway routes by.
    let leader_port = free_port();
    let leader_origin = format!("127.0.0.1:{leader_port}");
    let c = Cluster::for_leader(1, Mode::Pass, &format!("http://{leader_origin}/"));
    let _helper = c.helper();
    let listen = leader_origin.clone();
    let leader = c.leader_with(LeaderOptions {
        listen: &listen,
        gateway: false,
        ..LeaderOptions::default()
    });
    let data = c.file("device");

    // ohttp-gateway with a fixed seed, forwarding to the origin the sealed
    // request names (no rewrite rule), and to nothing else.
    let gw_port = free_port();
    let _gateway = Peer(
        clean(&mut Command::new(peer("ohttp-gateway")))
            .env("PORT", gw_port.to_string())
            .env("BACKEND_URL", format!("http://{leader_origin}"))
            .env("ALLOWED_TARGET_ORIGINS", &leader_origin)
            .env("SEED_SECRET_KEY", "7".repeat(64))
            .env("KEY_ROTATION_ENABLED", "false")
            .env("CORS_ALLOWED_ORIGINS", "")
            .env("LOG_LEVEL", "warn")
            .spawn()
            .unwrap(),
    );
    let gw = format!("http://127.0.0.1:{gw_port}");
    wait_until("ohttp-gateway", Duration::from_secs(30), || {
        TcpStream::connect(("127.0.0.1", gw_port)).is_ok()
    });
    // Its key configuration, pinned as an app would pin it.
    let keys = send("GET", &format!("{gw}/ohttp-configs"), None, b"");
    assert_eq!(
        (keys.status, keys.content_type.as_str()),
        (200, "application/ohttp-keys")
    );
    let parsed = KeyConfigs::parse(&keys.body).unwrap();
    let keys_file = c.file("ohttp-gateway-keys");
    std::fs::write(&keys_file, &keys.body).unwrap();

    // ohttp-relay POSTs to the RFC 9540 path; ohttp-gateway 1.0.2 serves only
    // /gateway: a rewrite in between, as a reverse proxy would do it.
    let rewrite = Relay::start(
        Some(format!("127.0.0.1:{gw_port}").parse().unwrap()),
        Fault::ForwardToPath("/gateway"),
    );
    let (_relay, relay_addr) = relay(c.tmp.path(), &format!("http://{}", rewrite.addr));

    let summary = replay_via(
        &data,
        &c.dep.client_tasks(),
        &keys_file,
        &format!("{gw}/gateway"),
        relay_addr,
        &one_day_trace(8),
    );
    let delivered = uploads(&summary)[1];
    assert_eq!(uploads(&summary), [delivered, delivered, 0, 0], "{summary}");
    assert_eq!(rewrite.requests() as u64, delivered);
    let days = assert_one_device(&c.dep, &c.accepted(), delivered);
    assert_eq!(days[0], start());
    assert_eq!(collected(&c, &leader, "tabs.opened"), (1, 8));

    // P9 through a third-party gateway that pads nothing: the leader answers
    // every upload with the same headers and body length, so ohttp-gateway
    // seals answers of one size.
    let reports = c
        .dep
        .device_reports(&days_ago(1), &[("tabs.opened", MetricValue::Counter(1))]);
    let good = c.dep.report_of(&reports, "bookmarks.added");
    let post = |report: &DapReport| {
        let (request, opener) = sealed_upload(&c.dep, &parsed, report);
        let a = send(
            "POST",
            &format!("{gw}/gateway"),
            Some("message/ohttp-req"),
            &request,
        );
        (inner_status(&a, &opener), a.body.len())
    };
    let stored = post(good);
    let duplicate = post(good);
    let refused = post(&DapReport {
        task_id: janus_messages::TaskId::from([7; 32]),
        ..good.clone()
    });
    let rejected = post(
        &c.dep
            .report_of(&c.dep.device_reports(&days_ago(45), &[]), "tabs.opened")
            .clone(),
    );
    assert_eq!(
        (stored.0, duplicate.0, refused.0, rejected.0),
        (200, 200, 400, 400)
    );
    assert!(
        [duplicate.1, refused.1, rejected.1]
            .iter()
            .all(|&l| l == stored.1),
        "{stored:?} {duplicate:?} {refused:?} {rejected:?}"
    );
    assert_eq!(accepted_total(&c.accepted()), delivered + 1);
}

/// The `ohttp` crate's client (Mozilla's, as the core's test harness uses
/// it), framing a DAP upload known- and indeterminate-length with `bhttp`,
/// into Hush's gateway at the RFC 9540 path, and on to the leader. No peer
/// to install.
#[test]
fn ohttp_crate_client_into_hush_gateway() {
    let c = Cluster::new(1, Mode::Pass);
    let _helper = c.helper();
    let leader = c.leader();
    let gateway = leader.gateway_url();
    let config_list = send("GET", &gateway, None, b"").body;
    for mode in [
        ::bhttp::Mode::KnownLength,
        ::bhttp::Mode::IndeterminateLength,
    ] {
        let reports = c
            .dep
            .device_reports(&start(), &[("tabs.opened", MetricValue::Counter(3))]);
        let report = c.dep.report_of(&reports, "tabs.opened");
        let (scheme, authority, path) = c.dep.config.upload_target(&report.task_id);
        let mut message = ::bhttp::Message::request(
            b"PUT".to_vec(),
            scheme.as_bytes().to_vec(),
            authority.as_bytes().to_vec(),
            path.into_bytes(),
        );
        message.put_header("content-type", "application/dap-report");
        message.write_content(&report.body);
        let mut bytes = Vec::new();
        message.write_bhttp(mode, &mut bytes).unwrap();
        let client = ::ohttp::ClientRequest::from_encoded_config_list(&config_list).unwrap();
        let (request, response) = client.encapsulate(&bytes).unwrap();
        let a = send("POST", &gateway, Some("message/ohttp-req"), &request);
        assert_eq!(
            (a.status, a.content_type.as_str()),
            (200, "message/ohttp-res")
        );
        let inner = response.decapsulate(&a.body).unwrap();
        let mut cursor = std::io::Cursor::new(&inner[..]);
        let answer = ::bhttp::Message::read_bhttp(&mut cursor).unwrap();
        assert_eq!(
            answer.control().status().map(|s| s.code()),
            Some(200),
            "{mode:?}"
        );
        assert_eq!(bhttp::decode_response(&inner).unwrap().status, 200);
    }
    let accepted = c.accepted();
    assert_eq!(accepted[&start()]["tabs.opened"], 2, "{accepted:?}");
    assert_eq!(accepted_total(&accepted), 2);
    assert_eq!(collected(&c, &leader, "tabs.opened"), (2, 6));
}
