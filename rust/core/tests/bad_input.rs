//! Every recording error path: a clear error, an error counter in the next
//! report, never a panic, and the core keeps working.

mod common;

use common::Harness;
use hush_core::report::MetricValue;
use hush_core::schema::Schema;
use hush_core::{Hush, RecordError};

#[test]
fn unknown_metric_is_an_error_and_counted_without_its_name() {
    let t = Harness::new();
    let mut h = t.open();
    let err = h.metric("no.such.metric-CANARY").unwrap_err();
    assert!(matches!(err, RecordError::UnknownMetric));
    assert_eq!(err.to_string(), "unknown metric");
    let r = h.pending_report();
    assert_eq!(r.errors.unknown_metric, 1);
    assert!(!String::from_utf8(r.to_json()).unwrap().contains("CANARY"));
}

#[test]
fn wrong_type_and_undeclared_label_are_errors_and_counted() {
    let t = Harness::new();
    let mut h = t.open();
    let tab = h.open_tab(false).unwrap();
    let counter = h.metric("bookmarks.added").unwrap();
    let labeled = h.metric("settings.switched").unwrap();
    let domain = h.metric("page.domain").unwrap();
    assert!(matches!(
        h.add_label(tab, counter, "x", 1),
        Err(RecordError::WrongType { .. })
    ));
    assert!(matches!(
        h.add(tab, labeled, 1),
        Err(RecordError::WrongType { .. })
    ));
    assert!(matches!(
        h.set_boolean(tab, counter, true),
        Err(RecordError::WrongType { .. })
    ));
    assert!(matches!(
        h.accumulate(tab, counter, 3),
        Err(RecordError::WrongType { .. })
    ));
    // Domain labels come only from the anonymizer: no generic call can write one.
    assert!(matches!(
        h.add_label(tab, domain, "evil.example", 1),
        Err(RecordError::WrongType { .. })
    ));
    assert!(matches!(
        h.add(tab, domain, 1),
        Err(RecordError::WrongType { .. })
    ));
    let err = h.add_label(tab, labeled, "dark_mode_maybe", 1).unwrap_err();
    assert_eq!(
        err.to_string(),
        "label is not declared for metric 'settings.switched'"
    );
    let r = h.pending_report();
    assert_eq!(r.errors.metrics["bookmarks.added"]["wrong_type"], 3);
    assert_eq!(r.errors.metrics["settings.switched"]["wrong_type"], 1);
    assert_eq!(r.errors.metrics["settings.switched"]["invalid_label"], 1);
    assert_eq!(r.errors.metrics["page.domain"]["wrong_type"], 2);
    assert!(!r.metrics.contains_key("page.domain"));
    // Still works.
    h.add(tab, counter, 2).unwrap();
    assert_eq!(
        h.pending_report().metrics["bookmarks.added"],
        MetricValue::Counter(2)
    );
}

#[test]
fn expired_metric_is_an_error_and_counted() {
    let t = Harness::new();
    let c = t.config_for(
        Schema::from_toml(
            "schema_version = 1\n\
         [metrics.old]\ntype = \"counter\"\ndescription = \"\"\nexpires = \"2026-11-20\"\n\
         [metrics.fresh]\ntype = \"counter\"\ndescription = \"\"\nexpires = \"2026-11-21\"",
        )
        .unwrap(),
    );
    let mut h = Hush::open(c).unwrap();
    let tab = h.open_tab(false).unwrap();
    let old = h.metric("old").unwrap();
    let fresh = h.metric("fresh").unwrap();
    assert_eq!(
        h.add(tab, old, 1).unwrap_err().to_string(),
        "metric 'old' has expired"
    );
    h.add(tab, fresh, 1).unwrap();
    let r = h.pending_report();
    assert_eq!(r.errors.metrics["old"]["expired"], 1);
    assert_eq!(r.metrics["fresh"], MetricValue::Counter(1));
    // The next day `fresh` expires too.
    t.clock.advance_ms(24 * 3_600_000);
    assert!(matches!(
        h.add(tab, fresh, 1),
        Err(RecordError::Expired { .. })
    ));
}

#[test]
fn huge_and_binary_urls_are_dropped_not_fatal() {
    let t = Harness::new();
    let mut h = t.open();
    let tab = h.open_tab(false).unwrap();
    let huge = format!("https://www.wikipedia.org/{}", "a".repeat(10 * 1024 * 1024));
    h.page_loaded(tab, huge.as_bytes(), 1).unwrap();
    h.page_loaded(tab, &[0xff, 0xfe, 0x00, 0x80], 1).unwrap();
    h.searched(tab, &[0xc3, 0x28]).unwrap();
    h.page_loaded(tab, b"", 1).unwrap();
    let r = h.pending_report();
    let dropped: u64 = r.dropped.urls.values().sum();
    assert_eq!(dropped, 4, "{r:?}");
    assert!(!r.metrics.contains_key("page.domain"));
}

#[test]
fn saturating_counters_never_overflow() {
    let t = Harness::new();
    let mut h = t.open();
    let tab = h.open_tab(false).unwrap();
    let m = h.metric("bookmarks.added").unwrap();
    h.add(tab, m, u64::MAX).unwrap();
    h.add(tab, m, u64::MAX).unwrap();
    assert_eq!(
        h.pending_report().metrics["bookmarks.added"],
        MetricValue::Counter(u64::MAX)
    );
}

#[test]
fn expired_browsing_metrics_are_counted_not_raised() {
    let t = Harness::new();
    let c = t.config_for(Schema::from_toml(
        "schema_version = 1\n\
         [browsing]\npage_load_domain = \"page.domain\"\n\
         page_load_time = \"page.load_time_ms\"\nsearch_engine = \"search.engine\"\n\
         [metrics.\"page.domain\"]\ntype = \"domain\"\ndescription = \"\"\nexpires = \"2026-11-20\"\n\
         [metrics.\"page.load_time_ms\"]\ntype = \"histogram\"\ndescription = \"\"\n\
         buckets = [100, 1000]\nexpires = \"2026-11-20\"\n\
         [metrics.\"search.engine\"]\ntype = \"search_engine\"\ndescription = \"\"\nexpires = \"2026-11-20\"",
    )
    .unwrap());
    let mut h = Hush::open(c).unwrap();
    let tab = h.open_tab(false).unwrap();
    // The browser cannot stop loading pages: no error is raised, but every
    // call is counted so the team sees its schema has run out.
    h.page_loaded(tab, b"https://www.wikipedia.org/", 300)
        .unwrap();
    h.page_loaded(tab, b"https://www.wikipedia.org/x", 300)
        .unwrap();
    h.searched(tab, b"https://www.google.com/search?q=x")
        .unwrap();
    let r = h.pending_report();
    assert!(r.metrics.is_empty(), "{r:?}");
    assert_eq!(r.errors.metrics["page.domain"]["expired"], 2);
    assert_eq!(r.errors.metrics["page.load_time_ms"]["expired"], 2);
    assert_eq!(r.errors.metrics["search.engine"]["expired"], 1);
}

#[test]
fn a_metric_id_of_another_instance_is_refused_not_indexed() {
    let t = Harness::new();
    let small = t.config_for(Schema::from_toml(
        "schema_version = 1\n[metrics.only]\ntype = \"counter\"\ndescription = \"\"\nexpires = \"2028-01-01\"",
    )
    .unwrap());
    let other = Harness::new();
    let mut h = Hush::open(small).unwrap();
    let mut big = other.open();
    let tab = h.open_tab(false).unwrap();
    // Index 0 exists in both schemas, the last index only in the big one:
    // neither may record here (one would count the wrong metric, the other
    // would index out of bounds).
    let (first, _) = big.schema().metrics().next().unwrap();
    let (last, _) = big.schema().metrics().last().unwrap();
    assert!(last.index() >= h.schema().len());
    let big_tab = big.open_tab(false).unwrap();
    let big_counter = big.metric("bookmarks.added").unwrap();
    big.add(big_tab, big_counter, 1).unwrap();
    for id in [first, last, big_counter] {
        assert!(matches!(h.add(tab, id, 1), Err(RecordError::UnknownMetric)));
        assert!(matches!(
            h.add_label(tab, id, "x", 1),
            Err(RecordError::UnknownMetric)
        ));
        assert!(matches!(
            h.set_boolean(tab, id, true),
            Err(RecordError::UnknownMetric)
        ));
        assert!(matches!(
            h.accumulate(tab, id, 1),
            Err(RecordError::UnknownMetric)
        ));
    }
    assert!(h.pending_report().is_empty());
    let own = h.metric("only").unwrap();
    h.add(tab, own, 1).unwrap();
    assert_eq!(h.pending_report().metrics["only"], MetricValue::Counter(1));
}
