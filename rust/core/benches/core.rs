//! Recording-path and checkpoint costs (targets in BENCHMARKS.md):
//! counter increment through a normal tab <= 50 ns; private-tab call <= 10 ns
//! with no allocation; page load through gate + anonymizer + aggregator
//! <= 1.5 us; checkpoint of the default schema's full state <= 1 ms, <= 64 KiB.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use hush_core::anonymize::Environment;
use hush_core::clock::SystemClock;
use hush_core::ohttp::KeyConfigs;
use hush_core::schema::MetricKind;
use hush_core::seal::{EndpointRules, Endpoints, Route};
use hush_core::{Config, Hush};

const RFC_KEYS_HEX: &str =
    "002d01002031e1f05a740102115220e9af918f738674aec95f54db6e04eb705aae8e79815500080001000100010003";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A task configuration for the shipped schema; the aggregators' keys are
/// placeholders (nothing is opened in a bench).
fn tasks() -> Vec<u8> {
    let plan = hush_core::dap::Plan::new(
        &hush_core::schema::Schema::default_browser(),
        hush_core::anonymize::Anonymizer::shipped(),
    )
    .unwrap();
    hush_core::dap::TaskConfig::for_plan_x25519(
        &plan,
        "https://leader.invalid/",
        "https://helper.invalid/",
        &[9; 32],
        &[10; 32],
        86_400,
        100,
    )
    .unwrap()
    .to_json()
    .into_bytes()
}

fn open(dir: &std::path::Path) -> Hush {
    let env = Environment::coarse("14.2.7", 34, "en-US").unwrap();
    // Never contacted: the benchmark uploads nothing.
    let endpoints = Endpoints::new(
        "https://c.invalid/g",
        Route::DirectToCollector,
        EndpointRules::Release,
    )
    .unwrap();
    let keys = KeyConfigs::parse(&hex(RFC_KEYS_HEX)).unwrap();
    let mut c = Config::new(dir.to_path_buf(), keys, endpoints, tasks(), env);
    // The real clock: every recording call reads it to find its window.
    c.clock = Arc::new(SystemClock);
    c.collection_enabled = Some(true);
    Hush::open(c).unwrap()
}

/// Typical URLs, 100-300 bytes.
const URLS: &[&str] = &[
    "https://en.wikipedia.org/wiki/Oblivious_HTTP?useskin=vector&oldid=1234567890#Protocol_overview_and_history_of_the_standard",
    "https://www.amazon.com/dp/B0CHX3QBCH/ref=sr_1_3?crid=2M4XQ7ZP1ABCD&keywords=usb+c+charger&qid=1700000000&sprefix=usb+c%2Caps%2C180&sr=8-3",
    "https://news.some-regional-paper.co.uk/politics/2026/11/21/a-long-headline-about-the-budget-vote-tonight?utm_source=twitter&utm_medium=social&utm_campaign=share",
    "https://m.youtube.com/watch?v=dQw4w9WgXcQ&list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI&index=12&pp=iAQB8AUB",
];

fn recording(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(dir.path());
    let normal = h.open_tab(false).unwrap();
    let private = h.open_tab(true).unwrap();
    let counter = h.metric("bookmarks.added").unwrap();

    c.bench_function("counter increment, normal tab", |b| {
        b.iter(|| h.add(black_box(normal), black_box(counter), 1).unwrap())
    });
    c.bench_function("private-tab page load (gate rejection)", |b| {
        b.iter(|| {
            h.page_loaded(black_box(private), black_box(URLS[0].as_bytes()), 100)
                .unwrap()
        })
    });
    c.bench_function("private-tab counter (gate rejection)", |b| {
        b.iter(|| h.add(black_box(private), black_box(counter), 1).unwrap())
    });
    let mut i = 0;
    c.bench_function("page load with URL, normal tab", |b| {
        b.iter(|| {
            i = (i + 1) % URLS.len();
            h.page_loaded(black_box(normal), black_box(URLS[i].as_bytes()), 840)
                .unwrap()
        })
    });
}

/// Every metric of the default schema holds data, domains up to their cap.
fn fill(h: &mut Hush) {
    let tab = h.open_tab(false).unwrap();
    let domains = include_str!("../data/popular-domains.txt");
    for d in domains
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .take(400)
    {
        h.page_loaded(tab, format!("https://{}/", d.trim()).as_bytes(), 900)
            .unwrap();
    }
    let metrics: Vec<_> = h
        .schema()
        .metrics()
        .map(|(id, d)| (id, d.kind.clone()))
        .collect();
    for (id, kind) in metrics {
        match kind {
            MetricKind::Counter => h.add(tab, id, 123_456).unwrap(),
            MetricKind::LabeledCounter { labels } => {
                for l in labels {
                    h.add_label(tab, id, &l, 99_999).unwrap();
                }
            }
            MetricKind::Boolean => h.set_boolean(tab, id, true).unwrap(),
            MetricKind::Histogram { buckets } => {
                for b in buckets {
                    h.accumulate(tab, id, b).unwrap();
                }
            }
            _ => {}
        }
    }
    for engine in [
        "google.com/search?q=x",
        "www.bing.com/search?q=x",
        "duckduckgo.com/?q=x",
        "yandex.ru/search/?text=x",
    ] {
        h.searched(tab, format!("https://{engine}").as_bytes())
            .unwrap();
    }
}

/// Checkpoint cost on the disk under `tempdir` (fsync reaches the device) and
/// on tmpfs, where fsync returns at once: the library's own cost.
fn checkpoint(c: &mut Criterion) {
    let mut dirs = vec![("disk", tempfile::tempdir().unwrap())];
    if std::path::Path::new("/dev/shm").is_dir() {
        dirs.push(("tmpfs", tempfile::tempdir_in("/dev/shm").unwrap()));
    }
    for (medium, dir) in dirs {
        let mut h = open(dir.path());
        fill(&mut h);
        println!(
            "checkpoint of the full default-schema state: {} bytes",
            h.checkpoint_size()
        );
        let tab = h.open_tab(false).unwrap();
        let m = h.metric("bookmarks.added").unwrap();
        c.bench_function(
            &format!("checkpoint, full default-schema state, {medium}"),
            |b| {
                b.iter(|| {
                    // Mark the state dirty so every iteration really writes.
                    h.add(tab, m, 1).unwrap();
                    h.checkpoint().unwrap()
                })
            },
        );
    }
}

criterion_group!(benches, recording, checkpoint);
criterion_main!(benches);
