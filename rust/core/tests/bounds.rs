//! P12 and the contribution bound: per-domain daily cap, the cap on distinct
//! domain labels, and the cap on closed windows held while the disk refuses.

mod common;

use std::sync::atomic::Ordering;

use common::{FaultFs, Harness};
use hush_core::anonymize::Anonymizer;
use hush_core::report::MetricValue;
use hush_core::schema::Schema;
use hush_core::window::MAX_DOMAIN_LABELS;
use hush_core::Hush;

const DAY_MS: i64 = 24 * 3_600_000;

fn domains(h: &Hush) -> std::collections::BTreeMap<String, u64> {
    match h.pending_report().metrics.get("page.domain") {
        Some(MetricValue::Domain(m)) => m.clone(),
        other => panic!("no domain metric: {other:?}"),
    }
}

#[test]
fn a_domain_counts_at_most_cap_per_day_times_a_day() {
    let t = Harness::new();
    let mut h = t.open();
    let tabs: Vec<_> = (0..3).map(|_| h.open_tab(false).unwrap()).collect();
    for tab in &tabs {
        for page in 0..5 {
            let url = format!("https://en.wikipedia.org/wiki/Page_{page}");
            h.page_loaded(*tab, url.as_bytes(), 100).unwrap();
        }
    }
    assert_eq!(
        domains(&h)["wikipedia.org"],
        1,
        "visited at least once today, whatever the tabs"
    );

    // A schema may declare a higher cap.
    let text = hush_core::schema::DEFAULT_SCHEMA_TOML.replace("cap_per_day = 1", "cap_per_day = 3");
    drop(h);
    let t = Harness::new();
    let mut h = Hush::open(t.config_for(Schema::from_toml(&text).unwrap())).unwrap();
    let tab = h.open_tab(false).unwrap();
    for _ in 0..10 {
        h.page_loaded(tab, b"https://www.wikipedia.org/", 100)
            .unwrap();
    }
    assert_eq!(domains(&h)["wikipedia.org"], 3);
    // The next day starts again from zero.
    t.clock.advance_ms(DAY_MS);
    h.page_loaded(tab, b"https://www.wikipedia.org/", 100)
        .unwrap();
    assert_eq!(domains(&h)["wikipedia.org"], 1);
}

#[test]
fn distinct_domain_labels_are_capped_and_the_rest_count_as_other() {
    let t = Harness::new();
    let mut h = t.open();
    let tab = h.open_tab(false).unwrap();
    let list = Anonymizer::shipped().allow_list();
    assert!(list.len() > MAX_DOMAIN_LABELS + 50);
    for d in list.iter().take(MAX_DOMAIN_LABELS + 50) {
        h.page_loaded(tab, format!("https://{d}/").as_bytes(), 100)
            .unwrap();
    }
    let m = domains(&h);
    assert_eq!(m.len(), MAX_DOMAIN_LABELS + 1, "256 names and other");
    assert_eq!(m["other"], 1, "capped per day like any label");
    // A domain already counted keeps counting under its own name.
    assert!(m.contains_key(list[0]));
}

#[test]
fn closed_windows_held_in_memory_are_bounded_and_drops_counted() {
    let t = Harness::new();
    let fs = FaultFs::healthy();
    let mut h = t.open_with_fs(fs.clone()).unwrap();
    let tab = h.open_tab(false).unwrap();
    let m = h.metric("bookmarks.added").unwrap();
    fs.full.store(true, Ordering::SeqCst);
    for _ in 0..10 {
        h.add(tab, m, 1).unwrap();
        t.clock.advance_ms(DAY_MS);
        assert!(h.checkpoint().is_err(), "the disk is full");
    }
    h.add(tab, m, 1).unwrap();
    let closed = h.closed_reports();
    assert_eq!(closed.len(), 8);
    let dropped: u64 =
        closed.iter().map(|r| r.dropped.reports).sum::<u64>() + h.pending_report().dropped.reports;
    let tasks = t.aggs.plan.tasks().len() as u64;
    assert_eq!(
        dropped,
        2 * tasks,
        "the two oldest days were dropped, each counted as one report per task"
    );
    // Once the disk has room, all of them are sealed.
    fs.full.store(false, Ordering::SeqCst);
    h.checkpoint().unwrap();
    assert_eq!(t.pending_reports(&h).len() as u64, 8 * tasks);
    assert!(h.closed_reports().is_empty());
}
