//! The client's cost of DAP (issue 13): sharding and sealing one closed day
//! of the shipped schema (one Prio3 report per task, each input share HPKE-
//! sealed to its aggregator, each report OHTTP-sealed to the leader's
//! gateway), and the bytes that day puts on the wire.
//!
//! It happens once a day, on the library's background thread. Printed:
//! the median of a whole day and of its page-domain report, and the bytes
//! per task. `cargo bench -p hush-core --bench dap`.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use hush_core::anonymize::{Anonymizer, Environment};
use hush_core::dap::{DapClient, Plan, TaskConfig};
use hush_core::ohttp::{Aead, Kdf, Kem, KeyConfig, KeyConfigs, SymmetricSuite};
use hush_core::report::{Dropped, Errors, MetricValue, Report, REPORT_FORMAT};
use hush_core::schema::{MetricKind, Schema};
use hush_core::seal::{split_pending, DaySealer, Endpoints};
use janus_messages::{HpkeAeadId, HpkeConfig, HpkeConfigId, HpkeKdfId, HpkeKemId, HpkePublicKey};

fn public_key(seed: u8) -> [u8; 32] {
    let secret = x25519_dalek::StaticSecret::from([seed; 32]);
    *x25519_dalek::PublicKey::from(&secret).as_bytes()
}

fn sealer() -> DaySealer {
    let schema = Schema::default_browser();
    let plan = Plan::new(&schema, Anonymizer::shipped()).unwrap();
    let hpke = |id: u8| {
        HpkeConfig::new(
            HpkeConfigId::from(id),
            HpkeKemId::X25519HkdfSha256,
            HpkeKdfId::HkdfSha256,
            HpkeAeadId::Aes128Gcm,
            HpkePublicKey::from(public_key(id).to_vec()),
        )
    };
    let config = TaskConfig::for_plan(
        &plan,
        "https://leader.example/dap/",
        "https://helper.example/",
        &hpke(1),
        &hpke(2),
        86_400,
        100,
    )
    .unwrap();
    let keys = KeyConfigs::new(vec![KeyConfig::new(
        1,
        Kem::X25519HkdfSha256,
        &public_key(3),
        vec![SymmetricSuite::new(Kdf::HkdfSha256, Aead::Aes128Gcm)],
    )
    .unwrap()])
    .unwrap();
    let endpoints = Endpoints::new(
        "https://gateway.example/gateway",
        hush_core::seal::Route::DirectToCollector,
        hush_core::seal::EndpointRules::Release,
    )
    .unwrap();
    DaySealer::new(DapClient::new(plan, config), keys, endpoints)
}

/// A busy day: every metric recorded, 200 domains.
fn busy_day(schema: &Schema) -> Report {
    let mut metrics = BTreeMap::new();
    for (_, def) in schema.metrics() {
        let v = match &def.kind {
            MetricKind::Counter => MetricValue::Counter(7),
            MetricKind::LabeledCounter { labels } => {
                MetricValue::LabeledCounter(labels.iter().map(|l| (l.clone(), 2)).collect())
            }
            MetricKind::Boolean => MetricValue::Boolean(true),
            MetricKind::Histogram { buckets } => MetricValue::Histogram {
                bounds: buckets.clone(),
                counts: vec![3; buckets.len() + 1],
            },
            MetricKind::Domain { .. } => MetricValue::Domain(
                Anonymizer::shipped()
                    .allow_list()
                    .iter()
                    .step_by(17)
                    .take(200)
                    .map(|d| ((*d).to_owned(), 1))
                    .collect(),
            ),
            MetricKind::SearchEngine => {
                MetricValue::SearchEngine([("google".to_owned(), 12)].into())
            }
        };
        metrics.insert(def.name.clone(), v);
    }
    Report {
        format: REPORT_FORMAT.into(),
        schema_version: schema.version(),
        report_id: "5a".repeat(16),
        day: "2026-11-30".into(),
        environment: Environment::coarse("14.2", 34, "en").unwrap(),
        metrics,
        errors: Errors::default(),
        dropped: Dropped::default(),
    }
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn main() {
    let sealer = sealer();
    let day = busy_day(&Schema::default_browser());
    let anonymizer = Anonymizer::shipped();

    // Bytes on the wire: each encapsulated request, per task and in all.
    let sealed = sealer.seal_day(&day, anonymizer).unwrap();
    let mut total = 0;
    for s in &sealed {
        let (_, request) = split_pending(&s.body).unwrap();
        println!("dap  wire bytes  {:<40} {:>6}", s.task, request.len());
        total += request.len();
    }
    println!(
        "dap  wire bytes  a whole day ({} reports)            {total:>6}  (budget 65536)",
        sealed.len()
    );

    let mut c = Criterion::default().configure_from_args();
    c.bench_function("dap: shard and seal a whole day", |b| {
        b.iter(|| black_box(sealer.seal_day(black_box(&day), anonymizer).unwrap()))
    });
    c.final_summary();

    // A median of our own, for BENCHMARKS.md and the budget check.
    let mut runs = Vec::new();
    for _ in 0..30 {
        let start = Instant::now();
        black_box(sealer.seal_day(&day, anonymizer).unwrap());
        runs.push(start.elapsed());
    }
    let m = median(runs);
    println!("dap  median shard+seal of a whole day: {m:?}");
    assert!(total <= 64 * 1024, "a day is {total} bytes on the wire");
}
