//! A slowloris on loopback: 1,100 sockets from one peer that send nothing,
//! more than the collector's 1,024-connection cap, and more opened all the
//! while. A well-behaved client still gets its report stored in a few
//! seconds, long before the header deadline (set to a minute here) could have
//! freed a single slot: only the eviction of connections that have sent
//! nothing lets it in. Bounded: every socket has a timeout and the test ends
//! by itself.

mod common;

use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use hush_core::ohttp::KeyConfigs;

const IDLE: usize = 1_100;
/// Sockets the flood thread keeps open at once, on top of [`IDLE`].
const FLOOD: usize = 200;

/// The soft limit on open files of this process (and of the `hush serve` it
/// starts, which inherits it).
fn open_files_limit() -> u64 {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    line.split_whitespace()
        .nth(3)
        .unwrap()
        .parse()
        .unwrap_or(u64::MAX)
}

fn idle_socket(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect_timeout(&addr, Duration::from_secs(10)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s
}

fn metric(admin: SocketAddr, name: &str) -> u64 {
    let text =
        String::from_utf8(send("GET", &format!("http://{admin}/metrics"), None, b"").body).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name}"))
        .parse()
        .unwrap()
}

#[test]
fn idle_sockets_from_one_peer_do_not_keep_a_client_out() {
    let limit = open_files_limit();
    assert!(
        limit >= (IDLE + FLOOD + 200) as u64,
        "this test needs {} open files, the limit is {limit}: raise it with `ulimit -n` \
         (scripts/test does)",
        IDLE + FLOOD + 200
    );
    let tmp = tempfile::tempdir().unwrap();
    let keys_dir = keygen(&tmp.path().join("keys"));
    let db = tmp.path().join("c.db");
    // A header deadline far beyond the test: only eviction can make room.
    let server = Server::with_admin(&keys_dir, &db, &["--header-timeout-ms", "60000"]);
    let admin = server.admin.unwrap();
    let keys = KeyConfigs::parse(&std::fs::read(keys_dir.join("ohttp-keys")).unwrap()).unwrap();

    let idle: Vec<TcpStream> = (0..IDLE).map(|_| idle_socket(server.addr)).collect();
    // Until the collector has taken them all in (bounded).
    let deadline = Instant::now() + Duration::from_secs(30);
    while metric(admin, "hush_connections_open") < 1_024 {
        assert!(
            Instant::now() < deadline,
            "the idle sockets were never accepted"
        );
        thread::sleep(Duration::from_millis(50));
    }
    // And the attacker keeps opening more, every few milliseconds.
    let stop = Arc::new(AtomicBool::new(false));
    let flood = {
        let (stop, addr) = (Arc::clone(&stop), server.addr);
        thread::spawn(move || {
            let mut mine = std::collections::VecDeque::new();
            let mut opened = 0;
            while !stop.load(Ordering::Relaxed) {
                if let Ok(s) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
                    mine.push_back(s);
                    opened += 1;
                }
                if mine.len() > FLOOD {
                    mine.pop_front();
                }
                thread::sleep(Duration::from_millis(2));
            }
            opened
        })
    };

    for i in 0..5u8 {
        let id = format!("{:032x}", 0xabc0 + u32::from(i));
        let (request, opener) = sealed(
            &keys,
            "POST",
            "/report",
            &report(&id, r#"{"tabs.opened":{"counter":1}}"#),
        );
        let started = Instant::now();
        let a = send(
            "POST",
            &server.gateway_url(),
            Some("message/ohttp-req"),
            &request,
        );
        let took = started.elapsed();
        assert_eq!(inner_status(&a, &opener), 200, "request {i}");
        // Well under the minute-long header deadline: eviction let it in.
        assert!(took < Duration::from_secs(20), "request {i} took {took:?}");
    }
    stop.store(true, Ordering::Relaxed);
    let flooded = flood.join().unwrap();
    assert!(flooded > 10, "the flood ran ({flooded} sockets)");
    assert!(
        metric(admin, "hush_connections_evicted_total") >= (IDLE - 1_024) as u64,
        "silent connections were evicted"
    );
    assert!(
        metric(admin, "hush_connections_open") <= 1_024,
        "the cap held"
    );
    assert_eq!(total_reports(&query(&db, 1)), 5);
    drop(idle);
    let (status, _) = server.stop();
    assert!(status.success());
}
