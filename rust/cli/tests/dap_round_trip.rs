//! Every metric type, end to end through the real binaries: devices'
//! day reports (hush-core `DapClient`), sealed with OHTTP as a device seals
//! them, through the leader's gateway, aggregated by `hush leader` and
//! `hush helper`, collected by `hush collect`: the totals are exactly the
//! sums of what the devices measured. Every message the leader and helper
//! exchanged decodes with `janus_messages`.

mod dap_common;

use std::collections::BTreeMap;

use dap_common::*;
use hush_core::anonymize::Anonymizer;
use hush_core::dap::plan::LANGUAGES;
use hush_core::report::MetricValue;
use janus_messages::codec::Decode;
use janus_messages::query_type::TimeInterval;
use janus_messages::{
    AggregateShare, AggregateShareReq, AggregationJobInitializeReq, AggregationJobResp,
    PrepareStepResult,
};

const DEVICES: usize = 12;
const MIN_BATCH: u64 = 10;

/// Device `i`'s day: every metric type of the shipped schema, values that
/// differ by device, some metrics left unrecorded.
fn metrics(dep: &Deployment, i: usize) -> BTreeMap<String, MetricValue> {
    let allow = Anonymizer::shipped().allow_list();
    let engines = &dep.plan.task("search.engine").unwrap().labels;
    let mut m = BTreeMap::new();
    m.insert(
        "tabs.opened".into(),
        MetricValue::Counter((i * 7 % 50) as u64),
    );
    m.insert(
        "tabs.private_opened".into(),
        MetricValue::Counter((i % 3) as u64),
    );
    let mut domains = BTreeMap::from([
        (allow[i % 5].to_owned(), 1),
        (allow[allow.len() - 1 - i % 1000].to_owned(), 1),
    ]);
    if i % 2 == 0 {
        domains.insert("other".into(), 1);
    }
    m.insert("page.domain".into(), MetricValue::Domain(domains));
    m.insert(
        "page.load_time_ms".into(),
        MetricValue::Histogram {
            bounds: vec![100, 250, 500, 1000, 2500, 5000, 10000, 30000],
            counts: vec![(i % 4) as u64, 1, 0, 2, 0, 0, 0, (i % 2) as u64, 3],
        },
    );
    m.insert(
        "search.engine".into(),
        MetricValue::SearchEngine(BTreeMap::from([(
            engines[1 + i % 3].clone(),
            (i % 4) as u64 + 1,
        )])),
    );
    if i % 3 != 0 {
        m.insert("bookmarks.added".into(), MetricValue::Counter(i as u64));
    }
    m.insert(
        "downloads.started".into(),
        MetricValue::Counter(255 - (i % 100) as u64),
    );
    m.insert(
        "reader_mode.used".into(),
        MetricValue::Counter((i % 2) as u64 + 1),
    );
    m.insert(
        "settings.switched".into(),
        MetricValue::LabeledCounter(BTreeMap::from([
            ("dark_mode_on".into(), (i % 2) as u64),
            ("javascript_off".into(), 1),
        ])),
    );
    if i % 4 != 0 {
        m.insert(
            "settings.search_suggestions_enabled".into(),
            MetricValue::Boolean(i % 2 == 0),
        );
    }
    m.insert(
        "news.items_viewed".into(),
        MetricValue::LabeledCounter(BTreeMap::from([
            ("world".into(), (i % 5) as u64),
            ("gaming".into(), 2),
        ])),
    );
    m
}

fn device(dep: &Deployment, day: &str, i: usize) -> DeviceDay {
    let language = if i % 5 == 4 {
        "xx".to_owned()
    } else {
        LANGUAGES[i % LANGUAGES.len()].to_owned()
    };
    let mut report = day_report(day, 19 + (i as u32 * 3) % 30, &language, metrics(dep, i));
    report.errors.unknown_metric = (i % 2) as u64;
    report.dropped.reports = (i % 3) as u64;
    report.dropped.rejected_uploads = 1;
    device_day(dep, &report)
}

#[test]
fn every_metric_type_totals_exactly_through_leader_and_helper() {
    let cluster = Cluster::new(MIN_BATCH, Mode::Pass);
    let (dep, proxy) = (&cluster.dep, &cluster.proxy);
    let helper = cluster.helper();
    let leader_db = cluster.file("leader.db");
    let leader = cluster.leader();

    // Two days, each device reporting on both: a two-day batch interval
    // merges two batches on each side.
    let (d3, d2) = (days_ago(3), days_ago(2));
    let days: Vec<DeviceDay> = (0..DEVICES)
        .flat_map(|i| [device(dep, &d3, i), device(dep, &d2, i + 100)])
        .collect();
    let reports: Vec<_> = days
        .iter()
        .flat_map(|d| d.reports.iter().map(|r| r.report.clone()))
        .collect();
    assert_eq!(reports.len(), 2 * DEVICES * dep.plan.tasks().len());
    let success = upload_ohttp(&leader, dep, &reports[0]);
    assert_eq!(success.inner.status, 200);
    upload_all(&leader, dep, reports[1..].to_vec(), 2);

    let (code, lines, out) = collect(dep, &leader, &d3, 2, &[]);
    assert_eq!(code, 0, "{out}");
    let expected = expected_totals(dep, &days.iter().collect::<Vec<_>>());
    assert_eq!(lines.len(), dep.plan.tasks().len());
    for ((line, task), want) in lines.iter().zip(dep.plan.tasks()).zip(&expected) {
        assert_eq!(line["task"], task.name.as_str());
        assert_eq!(line["report_count"], (2 * DEVICES) as u64, "{line}");
        assert_eq!(&totals(line), want, "{}", task.name);
        if !task.labels.is_empty() {
            let labels: Vec<&str> = line["totals"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["label"].as_str().unwrap())
                .collect();
            assert_eq!(
                labels,
                task.labels.iter().map(String::as_str).collect::<Vec<_>>()
            );
        }
    }
    // Every VDAF of the plan was exercised, with non-trivial totals.
    let kinds: std::collections::BTreeSet<&str> =
        dep.plan.tasks().iter().map(|t| t.vdaf.name()).collect();
    assert_eq!(kinds.len(), 4, "{kinds:?}");
    for (t, task) in expected.iter().zip(dep.plan.tasks()) {
        assert!(t.iter().any(|n| *n > 0), "{} totals zero", task.name);
    }

    // The same interval again is the same query, with the same answer.
    let (code, again, _) = collect(dep, &leader, &d3, 2, &["tabs.opened"]);
    let tabs = dep.task_index("tabs.opened");
    assert_eq!((code, totals(&again[0])), (0, expected[tabs].clone()));
    // An overlapping interval is refused by the leader: no numbers.
    let (code, overlap, _) = collect(dep, &leader, &d2, 1, &["tabs.opened"]);
    assert_eq!(code, 2);
    assert_eq!(
        overlap[0]["refused"]["type"],
        "urn:ietf:params:ppm:dap:error:batchOverlap"
    );
    assert!(overlap[0].get("totals").is_none() && overlap[0].get("total").is_none());

    // A late report for a collected day is refused, in a sealed answer as
    // long as a success (P9).
    let late = device(dep, &d2, 999);
    let refused = upload_ohttp(&leader, dep, &late.reports[tabs].report);
    assert_eq!(refused.inner.status, 400);
    assert_eq!(refused.content_type(), "application/problem+json");
    let doc: serde_json::Value = serde_json::from_slice(&refused.inner.content).unwrap();
    assert_eq!(doc["type"], "urn:ietf:params:ppm:dap:error:reportRejected");
    assert_eq!(refused.sealed_len, success.sealed_len);

    // Every message between leader and helper was DAP-09 as janus_messages reads it.
    let exchanges = proxy.exchanges();
    let mut jobs = 0;
    let mut prepared = 0;
    let mut shares = 0;
    for x in &exchanges {
        assert_eq!(x.status, 200, "{} {}", x.method, x.path);
        if x.path.contains("/aggregation_jobs/") {
            assert_eq!(
                (x.method.as_str(), x.content_type.as_str()),
                ("PUT", "application/dap-aggregation-job-init-req")
            );
            let req = AggregationJobInitializeReq::<TimeInterval>::get_decoded(&x.body).unwrap();
            assert_eq!(x.answer_type, "application/dap-aggregation-job-resp");
            let resp = AggregationJobResp::get_decoded(&x.answer).unwrap();
            assert_eq!(req.prepare_inits().len(), resp.prepare_resps().len());
            for (init, resp) in req.prepare_inits().iter().zip(resp.prepare_resps()) {
                assert_eq!(init.report_share().metadata().id(), resp.report_id());
                assert!(
                    matches!(resp.result(), PrepareStepResult::Continue { .. }),
                    "{:?}",
                    resp.result()
                );
                prepared += 1;
            }
            jobs += 1;
        } else {
            assert!(x.path.ends_with("/aggregate_shares"), "{}", x.path);
            assert_eq!(
                (x.method.as_str(), x.content_type.as_str()),
                ("POST", "application/dap-aggregate-share-req")
            );
            let req = AggregateShareReq::<TimeInterval>::get_decoded(&x.body).unwrap();
            assert_eq!(req.report_count(), (2 * DEVICES) as u64);
            assert_eq!(x.answer_type, "application/dap-aggregate-share");
            AggregateShare::get_decoded(&x.answer).unwrap();
            shares += 1;
        }
    }
    assert_eq!(prepared, reports.len(), "each report prepared once");
    assert!(jobs >= 2 * dep.plan.tasks().len(), "one batch per job");
    assert_eq!(
        shares,
        dep.plan.tasks().len(),
        "one aggregate share per task, released once"
    );
    // Aggregated input shares are gone from the leader.
    assert_eq!(count_rows(&leader_db, "pending_reports"), 0);

    let (status, log) = leader.stop();
    assert!(status.success(), "{log}");
    let (status, helper_log) = helper.stop();
    assert!(status.success(), "{helper_log}");
    // The only output: one line of counters each.
    assert_eq!(log.lines().count(), 1, "{log}");
    assert!(log.starts_with("hush leader: stopped;"), "{log}");
    assert!(
        log.contains(&format!("{} aggregated, 0 failed", reports.len())),
        "{log}"
    );
    assert_eq!(helper_log.lines().count(), 1, "{helper_log}");
}
