//! A slowloris on loopback: 1,100 sockets from one peer that send nothing,
//! more than the gateway's 1,024-connection cap, and more opened all the
//! while. A well-behaved client still gets its report to the leader behind
//! it in a few seconds, long before the header deadline (set to a minute here) could have
//! freed a single slot: only the eviction of connections that have sent
//! nothing lets it in. Bounded: every socket has a timeout and the test ends
//! by itself.

mod dap_common;

use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use dap_common::*;

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

#[test]
fn idle_sockets_from_one_peer_do_not_keep_a_client_out() {
    let limit = open_files_limit();
    assert!(
        limit >= (IDLE + FLOOD + 200) as u64,
        "this test needs {} open files, the limit is {limit}: raise it with `ulimit -n` \
         (scripts/test does)",
        IDLE + FLOOD + 200
    );
    let c = Cluster::new(1, Mode::Pass);
    let leader = c.leader_with(LeaderOptions {
        gateway: false,
        ..LeaderOptions::default()
    });
    // A header deadline far beyond the test: only eviction can make room.
    let server = Gateway::with_admin(
        &c.dep.path("leader/ohttp"),
        &format!("http://{}/", leader.addr),
        &["--header-timeout-ms", "60000"],
    );
    let admin = server.admin.unwrap();
    let reports = c.dep.device_reports(&start(), &[]);

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
    let opened = Arc::new(AtomicUsize::new(0));
    let flood = {
        let (stop, opened, addr) = (Arc::clone(&stop), Arc::clone(&opened), server.addr);
        thread::spawn(move || {
            let mut mine = std::collections::VecDeque::new();
            while !stop.load(Ordering::Relaxed) {
                if let Ok(s) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
                    mine.push_back(s);
                    opened.fetch_add(1, Ordering::Relaxed);
                }
                if mine.len() > FLOOD {
                    mine.pop_front();
                }
                thread::sleep(Duration::from_millis(2));
            }
        })
    };
    // The client comes once the flood is well under way (bounded).
    let deadline = Instant::now() + Duration::from_secs(30);
    while opened.load(Ordering::Relaxed) < FLOOD {
        assert!(Instant::now() < deadline, "the flood never got going");
        thread::sleep(Duration::from_millis(10));
    }

    for (i, report) in reports.iter().take(5).enumerate() {
        let (request, opener) = sealed_upload(&c.dep, &c.dep.ohttp_keys, report);
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
    // Still flooding while the last request was served.
    let flooded = opened.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    flood.join().unwrap();
    assert!(flooded >= FLOOD, "the flood ran ({flooded} sockets)");
    assert!(
        metric(admin, "hush_connections_evicted_total") >= (IDLE - 1_024) as u64,
        "silent connections were evicted"
    );
    assert!(
        metric(admin, "hush_connections_open") <= 1_024,
        "the cap held"
    );
    assert_eq!(accepted_total(&c.accepted()), 5);
    drop(idle);
    let (status, _) = server.stop();
    assert!(status.success());
}
