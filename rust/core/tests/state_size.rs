//! The checkpoint's size budget (issue: core, ≤ 64 KiB on disk) holds in the
//! worst case the bounds allow: every metric at its widest, the full set of
//! domain labels with the longest names, every engine, every error and drop
//! counter, a full outbox, a full record of what was sent, a full hour of
//! upload starts.

mod common;

use common::Harness;
use hush_core::anonymize::Anonymizer;
use hush_core::history;
use hush_core::schema::MetricKind;
use hush_core::store::state_file;
use hush_core::upload::UploadTask;
use hush_core::window::MAX_DOMAIN_LABELS;

const BUDGET: usize = 64 * 1024;
const DAY_MS: i64 = 24 * 3_600_000;

#[test]
fn the_worst_case_checkpoint_fits_its_budget() {
    let t = Harness::new();
    let mut h = t.open();
    let tab = h.open_tab(false).unwrap();
    let bookmarks = h.metric("bookmarks.added").unwrap();

    // Enough closed days to fill the outbox and push the oldest out, which
    // fills the record of what became of each day's reports.
    let limits = hush_core::store::outbox::OutboxLimits::default();
    let per_day = t.aggs.plan.tasks().len();
    for _ in 0..(limits.max_reports.div_ceil(per_day) + history::MAX_RECORDS + 5) {
        h.add(tab, bookmarks, 1).unwrap();
        t.clock.advance_ms(DAY_MS);
        h.checkpoint().unwrap();
    }
    // Full: at the report bound, or no room for another report.
    let largest = h.outbox().entries().iter().map(|m| m.size).max().unwrap();
    assert!(
        h.outbox().entries().len() == limits.max_reports
            || h.outbox().bytes() + largest > limits.max_bytes,
        "the outbox is not full: {} reports, {} bytes",
        h.outbox().entries().len(),
        h.outbox().bytes()
    );
    assert_eq!(h.sent_history().len(), history::MAX_RECORDS);

    // A full hour of upload starts (the quota's bookkeeping), each answered
    // by a transport error so the reports stay pending with their attempts.
    let mut started = 0;
    while let UploadTask::Upload(request) = h.next_upload().unwrap() {
        h.upload_finished(&request.id, hush_core::upload::UploadResult::TransportError)
            .unwrap();
        started += 1;
    }
    assert!(started > 0);

    // Today's window at its widest.
    let metrics: Vec<_> = h
        .schema()
        .metrics()
        .map(|(id, d)| (id, d.kind.clone()))
        .collect();
    for (id, kind) in &metrics {
        match kind {
            MetricKind::Counter => h.add(tab, *id, u64::MAX).unwrap(),
            MetricKind::LabeledCounter { labels } => {
                for l in labels {
                    h.add_label(tab, *id, l, u64::MAX).unwrap();
                }
                let _ = h.add_label(tab, *id, "undeclared", 1);
            }
            MetricKind::Boolean => h.set_boolean(tab, *id, true).unwrap(),
            MetricKind::Histogram { buckets } => {
                for b in buckets {
                    h.accumulate(tab, *id, *b).unwrap();
                }
                h.accumulate(tab, *id, u64::MAX).unwrap();
            }
            MetricKind::Domain { .. } | MetricKind::SearchEngine => {}
        }
        // A wrong-type error on every metric.
        let _ = match kind {
            MetricKind::Counter => h.set_boolean(tab, *id, true),
            _ => h.add(tab, *id, 1),
        };
    }
    let mut longest: Vec<&str> = Anonymizer::shipped().allow_list().to_vec();
    longest.sort_by_key(|d| std::cmp::Reverse(d.len()));
    for d in longest.iter().take(MAX_DOMAIN_LABELS + 10) {
        h.page_loaded(tab, format!("https://{d}/").as_bytes(), 700)
            .unwrap();
    }
    for url in [
        "https://www.google.com/search?q=x",
        "https://www.bing.com/search?q=x",
        "https://duckduckgo.com/?q=x",
        "https://yandex.ru/search/?text=x",
        "https://www.baidu.com/s?wd=x",
        "https://search.yahoo.com/search?p=x",
        "https://www.ecosia.org/search?q=x",
        "https://search.brave.com/search?q=x",
        "https://www.startpage.com/do/search?q=x",
        "https://www.qwant.com/?q=x",
        "https://search.naver.com/search.naver?query=x",
        "https://www.sogou.com/web?query=x",
    ] {
        h.searched(tab, url.as_bytes()).unwrap();
    }
    let long = format!("https://a.com/{}", "x".repeat(20 << 20));
    let drops: [&[u8]; 11] = [
        b"file:///x",
        b"https://u@example.com/",
        b"http://127.0.0.1/",
        b"http://localhost/",
        b"http://intranet/",
        b"http://printer.local/",
        b"https://co.uk/",
        b"http://nas.corp/",
        b"\xff\xfe",
        b"http://",
        long.as_bytes(),
    ];
    for url in drops {
        h.page_loaded(tab, url, 1).unwrap();
    }
    let _ = h.metric("no.such.metric");

    let report = h.pending_report();
    assert_eq!(
        report.dropped.urls.len(),
        drops.len(),
        "{:?}",
        report.dropped
    );
    let predicted = h.checkpoint_size();
    h.checkpoint().unwrap();
    let on_disk = std::fs::metadata(state_file::state_path(t.path()))
        .unwrap()
        .len() as usize;
    assert_eq!(on_disk, predicted);
    println!("worst-case checkpoint: {on_disk} bytes");
    assert!(
        on_disk <= BUDGET,
        "worst-case checkpoint is {on_disk} bytes, over the {BUDGET}-byte budget"
    );
}
