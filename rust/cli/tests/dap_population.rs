//! A population of 200 devices, one of which visits a domain no other
//! device visits and records values no other device records. Uploaded as
//! devices upload (hush-core `DapClient`, OHTTP), aggregated by the real
//! `hush leader` and `hush helper`, collected by `hush collect`:
//!
//! * a batch below the minimum batch size yields nothing: both aggregators
//!   refuse it, whatever the collector or a lying leader asks, and nothing
//!   of the lone domain appears in any output;
//! * above the threshold, the totals are exact (the lone visit counts 1);
//! * neither store alone, dumped whole (every table, every byte, before and
//!   after aggregation), holds the planted measurements in a form that can
//!   be read: the leader's input shares and both aggregate shares are
//!   uniformly random field elements, the helper never stores an input
//!   share, and no canary string is anywhere, nor in any log.

mod dap_common;

use std::collections::BTreeMap;
use std::time::Instant;

use dap_common::*;
use hush_core::anonymize::Anonymizer;
use hush_core::report::MetricValue;
use janus_messages::codec::Encode;
use janus_messages::query_type::TimeInterval;
use janus_messages::{
    AggregateShareReq, BatchSelector, Duration as DapDuration, Interval, ReportIdChecksum, Time,
};

const DEVICES: usize = 200;
const SMALL_BATCH: usize = 5;
const MIN_BATCH: u64 = 20;
/// Device 0's values: no other device records them.
const LONE_TABS: u64 = 173;
const LONE_BOOKMARKS: u64 = 201;
/// Not on the allow-list: the device reports it as nothing at all.
const CANARY: &str = "hush-canary-q7x4.example";
/// Field64's modulus (2^64 - 2^32 + 1) and Field128's.
const P64: u64 = 0xFFFF_FFFF_0000_0001;

fn lone_domain() -> &'static str {
    Anonymizer::shipped().allow_list()[2500]
}

fn device(dep: &Deployment, day: &str, i: usize) -> DeviceDay {
    let allow = Anonymizer::shipped().allow_list();
    let mut m = BTreeMap::new();
    let mut domains = BTreeMap::from([
        (allow[i % 7].to_owned(), 1),
        (allow[100 + i % 13].to_owned(), 1),
    ]);
    if i % 3 == 0 {
        domains.insert("other".into(), 1);
    }
    let (tabs, bookmarks) = if i == 0 {
        domains.insert(lone_domain().to_owned(), 1);
        domains.insert(CANARY.to_owned(), 1);
        (LONE_TABS, LONE_BOOKMARKS)
    } else {
        ((i % 100) as u64, (i % 50) as u64)
    };
    m.insert("page.domain".into(), MetricValue::Domain(domains));
    m.insert("tabs.opened".into(), MetricValue::Counter(tabs));
    m.insert("bookmarks.added".into(), MetricValue::Counter(bookmarks));
    m.insert(
        "reader_mode.used".into(),
        MetricValue::Counter((i % 4) as u64),
    );
    let mut report = day_report(day, 26 + (i % 10) as u32, ["de", "en", "fr"][i % 3], m);
    if i == 0 {
        report.dropped.urls.insert(CANARY.to_owned(), 1);
    }
    device_day(dep, &report)
}

/// Field elements of a little-endian encoded vector.
fn field64s(bytes: &[u8]) -> Vec<u64> {
    bytes
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn field128s(bytes: &[u8]) -> Vec<u128> {
    bytes
        .chunks_exact(16)
        .map(|c| u128::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

/// Whether a vector of field elements looks like a measurement or a total
/// in clear (small integers) rather than a share (uniform in the field).
fn small_fraction<T: Copy + Into<u128>>(v: &[T]) -> f64 {
    let small = v.iter().filter(|&&x| x.into() < 1 << 32).count();
    small as f64 / v.len() as f64
}

#[test]
fn a_lone_device_is_hidden_below_the_threshold_and_counted_exactly_above_it() {
    let started = Instant::now();
    let cluster = Cluster::new(MIN_BATCH, Mode::Down);
    let dep = &cluster.dep;
    let (big_day, small_day) = (days_ago(1), days_ago(2));
    let domain_task = dep.task_index("page.domain");
    let tabs_task = dep.task_index("tabs.opened");
    let domain_len = dep.plan.tasks()[domain_task].labels.len();
    let lone_index = dep.plan.tasks()[domain_task]
        .labels
        .iter()
        .position(|l| l == lone_domain())
        .unwrap();

    // Devices shard and seal on two threads, as two phones would.
    let mut big: Vec<DeviceDay> = Vec::new();
    let mut small: Vec<DeviceDay> = Vec::new();
    std::thread::scope(|s| {
        let (big_day, small_day) = (&big_day, &small_day);
        let halves: Vec<_> = (0..2)
            .map(|h| {
                s.spawn(move || {
                    let big: Vec<_> = (0..DEVICES)
                        .filter(|i| i % 2 == h)
                        .map(|i| (i, device(dep, big_day, i)))
                        .collect();
                    let small: Vec<_> = (0..SMALL_BATCH)
                        .filter(|i| i % 2 == h)
                        .map(|i| (i, device(dep, small_day, i)))
                        .collect();
                    (big, small)
                })
            })
            .collect();
        let mut all_big = Vec::new();
        let mut all_small = Vec::new();
        for h in halves {
            let (b, sm) = h.join().unwrap();
            all_big.extend(b);
            all_small.extend(sm);
        }
        all_big.sort_by_key(|(i, _)| *i);
        all_small.sort_by_key(|(i, _)| *i);
        big = all_big.into_iter().map(|(_, d)| d).collect();
        small = all_small.into_iter().map(|(_, d)| d).collect();
    });
    let lone_report_ids: Vec<[u8; 16]> = [&big[0], &small[0]]
        .iter()
        .map(|d| d.reports[domain_task].report.report_id)
        .collect();
    let lone_tabs_id = big[0].reports[tabs_task].report.report_id;
    let sharded = started.elapsed();

    // The helper is down while everything is uploaded: the leader holds
    // every report's input share, and only that.
    let proxy = &cluster.proxy;
    let (leader_db, helper_db) = (cluster.file("leader.db"), cluster.file("helper.db"));
    let leader = cluster.leader();
    let reports: Vec<_> = big
        .iter()
        .chain(&small)
        .flat_map(|d| d.reports.iter().map(|r| r.report.clone()))
        .collect();
    upload_all(&leader, dep, reports.clone(), 2);
    let uploaded = started.elapsed();
    assert_eq!(
        count_rows(&leader_db, "pending_reports"),
        reports.len() as u64
    );
    let before = dump(&leader_db);
    let pending = &before["pending_reports"];
    let mut seen_lone = 0;
    for row in pending {
        // task_id, report_id, time, public_share, leader_share, helper_share, job_id, ord
        let (report_id, leader_share) = (&row[1], &row[4]);
        if lone_report_ids.iter().any(|id| id[..] == report_id[..]) {
            // The leader's share of the lone device's domain vector: no entry
            // is a 0 or a 1, so no entry says whether the domain was visited.
            let entries = field64s(&leader_share[..8 * domain_len]);
            assert!(
                entries.iter().all(|&x| x > 1 && x < P64),
                "a clear entry in the leader's share"
            );
            assert!(entries[lone_index] > 1);
            seen_lone += 1;
        }
        if report_id[..] == lone_tabs_id[..] {
            // Prio3Sum: 8 bits as Field128 elements; none is a bit in clear.
            let bits = field128s(&leader_share[..16 * 8]);
            assert!(
                bits.iter().all(|&b| b > 1),
                "a clear bit in the leader's share"
            );
            seen_lone += 1;
        }
    }
    assert_eq!(seen_lone, 3);

    // The helper comes up; the leader aggregates everything.
    let helper = cluster.helper();
    proxy.set_mode(Mode::Pass);
    eventually("aggregation", || {
        (count_rows(&leader_db, "pending_reports") == 0).then_some(())
    });
    let aggregated = started.elapsed();

    // Below the threshold: refused for every task, no numbers anywhere.
    let (code, lines, out) = collect(dep, &leader, &small_day, 1, &[]);
    assert_eq!(code, 2, "{out}");
    assert_eq!(lines.len(), dep.plan.tasks().len());
    for line in &lines {
        assert_eq!(
            line["refused"]["type"], "urn:ietf:params:ppm:dap:error:invalidBatchSize",
            "{line}"
        );
        assert!(
            line.get("total").is_none()
                && line.get("totals").is_none()
                && line.get("report_count").is_none()
        );
    }
    assert!(
        !out.contains(lone_domain()) && !out.contains(CANARY),
        "{out}"
    );
    // The helper refuses it too, even when a (lying) leader claims enough reports.
    let interval = Interval::new(
        Time::from_seconds_since_epoch(
            hush_core::clock::UtcDay::parse_iso(&small_day)
                .unwrap()
                .start_ms() as u64
                / 1000,
        ),
        DapDuration::from_seconds(86_400),
    )
    .unwrap();
    let claim = AggregateShareReq::<TimeInterval>::new(
        BatchSelector::new_time_interval(interval),
        Vec::new(),
        1_000,
        ReportIdChecksum::from([0; 32]),
    );
    let leader_file = dep.json("leader/aggregator.json");
    let token = format!(
        "Bearer {}",
        leader_file["aggregator_auth_token"]["token"]
            .as_str()
            .unwrap()
    );
    let task_id = dep.config.tasks[domain_task].task_id;
    let (status, _, body) = http(
        "POST",
        &format!("http://{}/tasks/{task_id}/aggregate_shares", helper.addr),
        &[
            ("content-type", "application/dap-aggregate-share-req"),
            ("authorization", &token),
        ],
        Some(&claim.get_encoded().unwrap()),
    );
    let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (status, doc["type"].as_str().unwrap()),
        (400, "urn:ietf:params:ppm:dap:error:invalidBatchSize")
    );

    // Above it: exact totals, the lone visit counted once.
    let (code, lines, out) = collect(dep, &leader, &big_day, 1, &[]);
    assert_eq!(code, 0, "{out}");
    let expected = expected_totals(dep, &big.iter().collect::<Vec<_>>());
    for (line, want) in lines.iter().zip(&expected) {
        assert_eq!(line["report_count"], DEVICES as u64);
        assert_eq!(&totals(line), want, "{}", line["task"]);
    }
    let domains = totals(&lines[domain_task]);
    assert_eq!(domains[lone_index], 1);
    assert_eq!(
        expected[tabs_task][0],
        (1..DEVICES as u128).map(|i| i % 100).sum::<u128>() + u128::from(LONE_TABS)
    );
    assert!(!out.contains(CANARY));
    let collected = started.elapsed();

    let (s1, leader_stderr) = leader.stop();
    let (s2, helper_stderr) = helper.stop();
    assert!(s1.success() && s2.success());

    // Neither store holds a canary, in any byte of its files.
    for db in [&leader_db, &helper_db] {
        let raw = raw_files(db);
        for needle in [CANARY, lone_domain(), "page.domain", "tabs.opened"] {
            assert!(
                !contains(&raw, needle.as_bytes()),
                "{needle} in {}",
                db.display()
            );
        }
    }
    let after_leader = dump(&leader_db);
    let after_helper = dump(&helper_db);
    let tables = |d: &BTreeMap<String, Vec<Vec<Vec<u8>>>>| d.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        tables(&after_leader),
        [
            "aggregation_jobs",
            "batch_aggregations",
            "collection_jobs",
            "pending_reports",
            "report_ids"
        ]
    );
    assert_eq!(
        tables(&after_helper),
        [
            "aggregate_share_jobs",
            "aggregation_jobs",
            "batch_aggregations",
            "report_ids"
        ]
    );
    // Input shares are gone once aggregated; report ids stay (replay protection).
    assert!(
        after_leader["pending_reports"].is_empty() && after_leader["aggregation_jobs"].is_empty()
    );
    assert_eq!(after_leader["report_ids"].len(), reports.len());
    assert_eq!(after_helper["report_ids"].len(), reports.len());
    // The helper never stored an input share: its tables hold report ids,
    // job records and aggregates, one per task and batch (2 days x tasks).
    assert_eq!(
        columns(&helper_db, "report_ids"),
        ["task_id", "report_id", "time"]
    );
    assert_eq!(
        columns(&helper_db, "aggregation_jobs"),
        [
            "task_id",
            "job_id",
            "step",
            "request_hash",
            "response",
            "time"
        ]
    );
    assert_eq!(
        after_helper["batch_aggregations"].len(),
        2 * dep.plan.tasks().len()
    );
    assert_eq!(
        after_leader["batch_aggregations"].len(),
        2 * dep.plan.tasks().len()
    );
    // Each side's aggregate share of the domain task, for the big batch and
    // for the small one, is uniform in the field: not the totals, not the
    // lone device's vector.
    for (name, store) in [("leader", &after_leader), ("helper", &after_helper)] {
        let shares: Vec<&Vec<Vec<u8>>> = store["batch_aggregations"]
            .iter()
            .filter(|row| row[0][..] == task_id.as_ref()[..])
            .collect();
        assert_eq!(shares.len(), 2, "{name}");
        for row in shares {
            let v = field64s(&row[2]);
            assert_eq!(v.len(), domain_len);
            assert!(
                small_fraction(&v) < 0.01,
                "{name}'s aggregate share looks like totals"
            );
        }
    }

    // Logs: nothing per request, nothing of any report.
    for (who, log) in [("leader", &leader_stderr), ("helper", &helper_stderr)] {
        for line in log.lines() {
            let known = line.starts_with(&format!("hush {who}: stopped;"))
                || line.contains("the helper is unreachable")
                || line.contains("the helper answers again");
            assert!(known, "unexpected {who} log line: {line}");
        }
        assert!(!log.contains(CANARY) && !log.contains(lone_domain()));
    }
    eprintln!(
        "population of {DEVICES} devices ({} reports): sharded in {sharded:?}, uploaded by {uploaded:?}, aggregated by {aggregated:?}, collected by {collected:?}",
        reports.len()
    );
}

#[test]
fn shares_are_read_as_prio_encodes_field_elements() {
    // The share checks above read raw little-endian field elements.
    use prio::codec::Encode as _;
    use prio::field::{Field128, Field64, FieldElement};
    assert_eq!(
        field64s(&(-Field64::one()).get_encoded().unwrap()),
        [P64 - 1]
    );
    assert_eq!(
        field128s(&Field128::from(173).get_encoded().unwrap()),
        [173]
    );
}
