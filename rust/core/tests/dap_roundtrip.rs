//! DAP end to end without a network, for every metric type: devices turn
//! random days into reports with hush-core's `DapClient` (ring HPKE); the
//! "aggregators" here open each input share with the independent `hpke`
//! crate, decode every message with `janus_messages`, prepare with `prio`,
//! and the "collector" unshards. The totals must equal the sum of what the
//! devices recorded (clamped to each metric's bound), and one aggregator's
//! input share alone must say nothing: it opens only with its own key.

mod common;

use std::collections::BTreeMap;

use common::dap::{aggregate, AggregatorKey, Aggregators, Opened};
use hush_core::anonymize::{Anonymizer, DropReason, Environment};
use hush_core::dap::{DapClient, Measurement};
use hush_core::report::{Dropped, Errors, MetricValue, Report, REPORT_FORMAT};
use hush_core::schema::{MetricKind, Schema};
use janus_messages::codec::Decode;
use janus_messages::{Report as DapReport, Role};

struct Deployment {
    leader: AggregatorKey,
    helper: AggregatorKey,
    client: DapClient,
}

fn deployment(schema: &Schema) -> Deployment {
    let a = Aggregators::new(schema);
    Deployment {
        client: DapClient::new(a.plan, a.config),
        leader: a.leader,
        helper: a.helper,
    }
}

/// A deterministic generator, so a failure can be replayed from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // SplitMix64.
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A random closed day for `schema`, as `Window::to_report` would produce it;
/// values go above each bound now and then, so clamping is exercised.
fn random_day(schema: &Schema, rng: &mut Rng) -> Report {
    let a = Anonymizer::shipped();
    let mut metrics = BTreeMap::new();
    for (_, def) in schema.metrics() {
        let max = def.max_per_day;
        let n = |rng: &mut Rng| rng.below(max + max / 4 + 2);
        let value = match &def.kind {
            MetricKind::Counter => MetricValue::Counter(n(rng)),
            MetricKind::LabeledCounter { labels } => {
                let mut m = BTreeMap::new();
                for l in labels {
                    if rng.below(3) == 0 {
                        m.insert(l.clone(), 1 + n(rng));
                    }
                }
                MetricValue::LabeledCounter(m)
            }
            MetricKind::Boolean => match rng.below(3) {
                0 => continue,
                1 => MetricValue::Boolean(false),
                _ => MetricValue::Boolean(true),
            },
            MetricKind::Histogram { buckets } => MetricValue::Histogram {
                bounds: buckets.clone(),
                counts: (0..=buckets.len()).map(|_| n(rng)).collect(),
            },
            MetricKind::Domain { cap_per_day } => {
                let mut m = BTreeMap::new();
                for _ in 0..rng.below(40) {
                    let list = a.allow_list();
                    let d = list[rng.below(list.len() as u64) as usize];
                    m.insert(d.to_owned(), 1 + rng.below(u64::from(*cap_per_day)));
                }
                if rng.below(2) == 0 {
                    m.insert("other".into(), 1);
                }
                MetricValue::Domain(m)
            }
            MetricKind::SearchEngine => {
                let mut m = BTreeMap::new();
                for e in a.engines() {
                    if rng.below(4) == 0 {
                        m.insert(e.as_str().to_owned(), 1 + n(rng));
                    }
                }
                MetricValue::SearchEngine(m)
            }
        };
        metrics.insert(def.name.clone(), value);
    }
    let mut errors = Errors {
        unknown_metric: rng.below(3),
        metrics: BTreeMap::new(),
    };
    if let Some((_, def)) = schema.metrics().next() {
        errors.metrics.insert(
            def.name.clone(),
            [("invalid_label".to_owned(), rng.below(20))].into(),
        );
    }
    let languages = ["en", "de", "hi", "xx"];
    Report {
        format: REPORT_FORMAT.into(),
        schema_version: schema.version(),
        report_id: random_key(rng),
        day: "2026-11-30".into(),
        environment: Environment::coarse(
            "14.2",
            21 + rng.below(25) as u32,
            languages[rng.below(4) as usize],
        )
        .unwrap(),
        metrics,
        errors,
        dropped: Dropped {
            urls: [(DropReason::IpLiteral.as_str().to_owned(), rng.below(300))].into(),
            reports: rng.below(2),
            rejected_uploads: 0,
            corrupt_state: 0,
        },
    }
}

fn random_key(rng: &mut Rng) -> String {
    format!("{:016x}{:016x}", rng.next(), rng.next())
}

fn expected_totals(ms: &[&Measurement]) -> Vec<u128> {
    let mut total: Vec<u128> = Vec::new();
    for m in ms {
        let v: Vec<u128> = match m {
            Measurement::Count(b) => vec![u128::from(*b)],
            Measurement::Sum(n) => vec![u128::from(*n)],
            Measurement::SumVec(v) => v.iter().map(|&n| u128::from(n)).collect(),
            Measurement::Histogram(i) => {
                let mut v = vec![0; 64];
                v[*i] = 1;
                v
            }
        };
        if total.len() < v.len() {
            total.resize(v.len(), 0);
        }
        for (t, x) in total.iter_mut().zip(v) {
            *t += x;
        }
    }
    total
}

#[test]
fn totals_equal_the_sum_of_the_devices_for_every_metric_type() {
    let schema = Schema::default_browser();
    let d = deployment(&schema);
    let plan = d.client.plan();
    let a = Anonymizer::shipped();
    let mut rng = Rng(0x4855_5348);
    let devices: Vec<Report> = (0..12).map(|_| random_day(&schema, &mut rng)).collect();
    // Per task: every device's report with both shares opened.
    let mut by_task: Vec<Vec<Opened>> = vec![Vec::new(); plan.tasks().len()];
    let mut measurements: Vec<Vec<Measurement>> = Vec::new();
    for day in &devices {
        measurements.push(plan.measure(day, a));
        let reports = d.client.day_reports(day, a).unwrap();
        assert_eq!(reports.len(), plan.tasks().len());
        for r in reports {
            let task_id = &d.client.config().tasks[r.task].task_id;
            assert_eq!(&r.report.task_id, task_id);
            let report = DapReport::get_decoded(&r.report.body).expect("janus_messages decodes it");
            assert_eq!(report.metadata().id().as_ref(), &r.report.report_id);
            assert_eq!(
                report.metadata().time().as_seconds_since_epoch() % 86_400,
                0,
                "a report carries only its day"
            );
            let leader = d.leader.open(Role::Leader, task_id, &report).unwrap();
            let helper = d.helper.open(Role::Helper, task_id, &report).unwrap();
            by_task[r.task].push(Opened {
                report,
                leader,
                helper,
            });
        }
    }
    let mut kinds = BTreeMap::new();
    for (i, task) in plan.tasks().iter().enumerate() {
        let (totals, n) = aggregate(&task.vdaf, &by_task[i]).unwrap();
        assert_eq!(n, devices.len(), "{}", task.name);
        let mut want = expected_totals(&measurements.iter().map(|m| &m[i]).collect::<Vec<_>>());
        want.resize(totals.len(), 0);
        assert_eq!(totals, want, "{}", task.name);
        *kinds.entry(task.vdaf.name()).or_insert(0) += 1;
    }
    // Every VDAF Hush uses was exercised.
    for k in [
        "Prio3Sum",
        "Prio3SumVec",
        "Prio3SumVecField64MultiproofHmacSha256Aes128",
        "Prio3Histogram",
    ] {
        assert!(kinds.contains_key(k), "{k} not exercised: {kinds:?}");
    }
    // And the measurements follow the raw days: a cross-check of the plan.
    let tabs = plan
        .tasks()
        .iter()
        .position(|t| t.name == "tabs.opened")
        .unwrap();
    let want: u128 = devices
        .iter()
        .map(|day| match day.metrics.get("tabs.opened") {
            Some(MetricValue::Counter(n)) => u128::from((*n).min(255)),
            _ => 0,
        })
        .sum();
    assert_eq!(
        aggregate(&plan.tasks()[tabs].vdaf, &by_task[tabs])
            .unwrap()
            .0,
        vec![want]
    );
}

#[test]
fn each_share_opens_only_for_its_own_aggregator() {
    let schema = Schema::default_browser();
    let d = deployment(&schema);
    let a = Anonymizer::shipped();
    let day = random_day(&schema, &mut Rng(7));
    let r = &d.client.day_reports(&day, a).unwrap()[0];
    let task_id = d.client.config().tasks[r.task].task_id;
    let report = DapReport::get_decoded(&r.report.body).unwrap();
    // The helper's key cannot open the leader's share (nor the other way),
    // and a share bound to one task, role or metadata opens under no other.
    let swapped = d.helper.impostor(&d.leader.config);
    assert!(swapped.open(Role::Leader, &task_id, &report).is_err());
    assert!(d.leader.open(Role::Helper, &task_id, &report).is_err());
    let other_task = d.client.config().tasks[r.task + 1].task_id;
    assert!(d.leader.open(Role::Leader, &other_task, &report).is_err());
    assert!(d.leader.open(Role::Leader, &task_id, &report).is_ok());
}

#[test]
fn report_ids_are_fresh_and_sizes_fixed_per_task() {
    let schema = Schema::default_browser();
    let d = deployment(&schema);
    let a = Anonymizer::shipped();
    let mut rng = Rng(11);
    let mut ids = std::collections::HashSet::new();
    let mut sizes: Vec<Option<usize>> = vec![None; d.client.plan().tasks().len()];
    let mut day_total = 0;
    for i in 0..4 {
        let day = if i == 0 {
            // An idle day: nothing recorded, every report still sent (P9).
            let mut idle = random_day(&schema, &mut rng);
            idle.metrics.clear();
            idle
        } else {
            random_day(&schema, &mut rng)
        };
        let reports = d.client.day_reports(&day, a).unwrap();
        // Sealing a window again (after a crash) gives the same ids, and
        // fresh shares: the leader keeps one copy.
        let again = d.client.day_reports(&day, a).unwrap();
        for (r, s) in reports.iter().zip(&again) {
            assert_eq!(r.report.report_id, s.report.report_id);
            assert_ne!(r.report.body, s.report.body);
        }
        day_total = reports.iter().map(|r| r.report.body.len()).sum::<usize>();
        for r in reports {
            assert!(ids.insert(r.report.report_id), "a report id was reused");
            let len = r.report.body.len();
            let fixed = sizes[r.task].get_or_insert(len);
            assert_eq!(*fixed, len, "task {}: size depends on the values", r.task);
        }
    }
    // The DAP bodies of one day; with the OHTTP and Binary HTTP framing the
    // whole day must stay within 64 KiB on the wire (checked on the sealed
    // files in sealed_reports.rs).
    assert!(
        day_total < 64 * 1024,
        "a day is {day_total} bytes of DAP reports"
    );
}
