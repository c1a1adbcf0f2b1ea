//! Interoperability with OHTTP software nobody on this project wrote, from
//! crates.io, on loopback only, each test bounded and ending with the report
//! in a store:
//!
//! - Hush's client → `ohttp-relay` → Hush's gateway;
//! - Hush's client → `ohttp-relay` → `ohttp-gateway` → Hush's target;
//! - the `ohttp` crate's client → Hush's gateway (no peer to install).
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

mod common;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use hush_core::ohttp::{bhttp, KeyConfigs};

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

/// Hush's client path: `hush replay` through the relay at `relay`.
fn replay_via(
    data: &Path,
    keys_file: &Path,
    gateway: &str,
    relay: SocketAddr,
    origin: &str,
    trace: &str,
) -> serde_json::Value {
    let mut cmd = Command::new(HUSH);
    cmd.args(["replay", "-", "--start", &start(), "--data-dir"])
        .arg(data)
        .arg("--keys")
        .arg(keys_file)
        .args(["--timeout-ms", "10000", "--endpoint", gateway])
        .args([
            "--relay",
            &format!("http://{relay}/"),
            "--collector-origin",
            origin,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    run_replay(cmd, trace)
}

#[test]
#[ignore = "needs ohttp-relay and ohttp-gateway: scripts/test installs them"]
fn hush_client_through_ohttp_relay_to_hush_gateway() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = keygen(&tmp.path().join("keys"));
    let db = tmp.path().join("c.db");
    let data = tmp.path().join("device");
    let port = free_port();
    let origin = format!("http://127.0.0.1:{port}");
    let (_relay, relay_addr) = relay(tmp.path(), &origin);
    let gateway = format!("{origin}/.well-known/ohttp-gateway");

    let app = |trace: &str| {
        replay_via(
            &data,
            &keys.join("ohttp-keys"),
            &gateway,
            relay_addr,
            &origin,
            trace,
        )
    };

    // The gateway is down: the relay answers 502 of its own, and the report is kept (P16).
    let summary = app(&one_day_trace(6));
    assert_eq!(uploads(&summary), [1, 0, 1, 0], "{summary}");
    assert_eq!(pending_files(&data), 1);

    // Up: the relay posts to the RFC 9540 path, which Hush's gateway serves.
    let server = Server::start_on(&keys, &db, &format!("127.0.0.1:{port}"));
    let summary = app(FLUSH_ONLY);
    assert_eq!(uploads(&summary), [1, 1, 0, 0], "{summary}");
    assert_eq!(pending_files(&data), 0);
    let q = query(&db, 1);
    assert_eq!(total_reports(&q), 1, "{q}");
    assert_eq!(day(&q, &start())["metrics"]["tabs.opened"]["sum"], 6, "{q}");
    drop(server);
}

#[test]
#[ignore = "needs ohttp-relay and ohttp-gateway: scripts/test installs them"]
fn hush_client_through_ohttp_relay_and_ohttp_gateway_to_hush_target() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("target.db");
    let data = tmp.path().join("device");
    // Hush's report target alone, plain HTTP.
    let target = Server::target(&db);
    let origin = format!("http://{}", target.addr);

    // ohttp-gateway with a fixed seed, forwarding to the origin the sealed
    // request names (no rewrite rule: the client's collector origin is the
    // target's), and to nothing else.
    let gw_port = free_port();
    let _gateway = Peer(
        clean(&mut Command::new(peer("ohttp-gateway")))
            .env("PORT", gw_port.to_string())
            .env("BACKEND_URL", &origin)
            .env("ALLOWED_TARGET_ORIGINS", target.addr.to_string())
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
    let keys_file = tmp.path().join("ohttp-gateway-keys");
    std::fs::write(&keys_file, &keys.body).unwrap();

    // ohttp-relay POSTs to the RFC 9540 path; ohttp-gateway 1.0.2 serves only
    // /gateway: a rewrite in between, as a reverse proxy would do it.
    let rewrite = Proxy::start(
        Some(format!("127.0.0.1:{gw_port}").parse().unwrap()),
        Fault::ForwardToPath("/gateway"),
    );
    let (_relay, relay_addr) = relay(tmp.path(), &format!("http://{}", rewrite.addr));

    let summary = replay_via(
        &data,
        &keys_file,
        &format!("{gw}/gateway"),
        relay_addr,
        &origin,
        &one_day_trace(8),
    );
    assert_eq!(uploads(&summary), [1, 1, 0, 0], "{summary}");
    assert_eq!(rewrite.requests(), 1);
    let q = query(&db, 1);
    assert_eq!(total_reports(&q), 1, "{q}");
    assert_eq!(day(&q, &start())["metrics"]["tabs.opened"]["sum"], 8, "{q}");

    // P9 through a third-party gateway: Hush's target answers every outcome
    // with the same headers and body length, so ohttp-gateway seals answers
    // of one size.
    let post = |json: &[u8]| {
        let (request, opener) = sealed_to(&parsed, &origin, "POST", "/report", json);
        let a = send(
            "POST",
            &format!("{gw}/gateway"),
            Some("message/ohttp-req"),
            &request,
        );
        (inner_status(&a, &opener), a.body.len())
    };
    let stored = post(&report(&"7".repeat(32), "{}"));
    let duplicate = post(&report(&"7".repeat(32), "{}"));
    let invalid = post(&report(&"8".repeat(32), r#"{"no.such":{"counter":1}}"#));
    assert_eq!((stored.0, duplicate.0, invalid.0), (200, 200, 400));
    assert!(
        stored.1 == duplicate.1 && stored.1 == invalid.1,
        "{stored:?} {duplicate:?} {invalid:?}"
    );
    assert_eq!(total_reports(&query(&db, 1)), 2);
}

/// The `ohttp` crate's client (Mozilla's, as the core's test harness uses
/// it), framing its request indeterminate-length with `bhttp`, into Hush's
/// gateway at the RFC 9540 path. No peer to install.
#[test]
fn ohttp_crate_client_into_hush_gateway() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = keygen(&tmp.path().join("keys"));
    let db = tmp.path().join("c.db");
    let server = Server::start(&keys, &db);
    let config_list = send(
        "GET",
        &format!("http://{}/.well-known/ohttp-gateway", server.addr),
        None,
        b"",
    )
    .body;
    for (mode, id) in [
        (::bhttp::Mode::KnownLength, "1"),
        (::bhttp::Mode::IndeterminateLength, "2"),
    ] {
        let mut message = ::bhttp::Message::request(
            b"POST".to_vec(),
            b"https".to_vec(),
            b"collector.example".to_vec(),
            b"/report".to_vec(),
        );
        message.put_header("content-type", "application/json");
        message.write_content(report(
            &id.repeat(32),
            r#"{"bookmarks.added":{"counter":3}}"#,
        ));
        let mut bytes = Vec::new();
        message.write_bhttp(mode, &mut bytes).unwrap();
        let client = ::ohttp::ClientRequest::from_encoded_config_list(&config_list).unwrap();
        let (request, response) = client.encapsulate(&bytes).unwrap();
        let a = send(
            "POST",
            &format!("http://{}/.well-known/ohttp-gateway", server.addr),
            Some("message/ohttp-req"),
            &request,
        );
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
    let q = query(&db, 1);
    assert_eq!(total_reports(&q), 2, "{q}");
    assert_eq!(
        day(&q, &start())["metrics"]["bookmarks.added"]["sum"],
        6,
        "{q}"
    );
    drop(server);
}
