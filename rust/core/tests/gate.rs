//! P1/P2/P3 through the public API: a private tab changes nothing, a closed
//! tab is an error, consent gates everything.

mod common;

use common::{without_id, Harness};
use hush_core::tabs::{TabError, TabId};
use hush_core::{Hush, RecordError};

const URL: &[u8] = b"https://www.wikipedia.org/wiki/Special:Random?from=test";
const SEARCH: &[u8] = b"https://www.google.com/search?q=private+question";

/// Every recording call the API has, through `tab`.
fn every_call(h: &mut Hush, tab: TabId) {
    let counter = h.metric("bookmarks.added").unwrap();
    let aggregate = h.metric("tabs.private_opened").unwrap();
    let labeled = h.metric("settings.switched").unwrap();
    let boolean = h.metric("settings.search_suggestions_enabled").unwrap();
    let histogram = h.metric("page.load_time_ms").unwrap();
    let _ = h.page_loaded(tab, URL, 900);
    let _ = h.searched(tab, SEARCH);
    let _ = h.add(tab, counter, 1);
    let _ = h.add(tab, aggregate, 1);
    let _ = h.add_label(tab, labeled, "dark_mode_on", 1);
    let _ = h.add_label(tab, labeled, "not-a-label", 1);
    let _ = h.set_boolean(tab, boolean, true);
    let _ = h.accumulate(tab, histogram, 1234);
    let _ = h.accumulate(tab, counter, 1);
}

#[test]
fn private_tab_changes_no_byte_in_memory_or_on_disk() {
    let t = Harness::new();
    let mut h = t.open();
    let normal = h.open_tab(false).unwrap();
    every_call(&mut h, normal);
    h.checkpoint().unwrap();
    let report_before = h.pending_report();
    let files_before = t.files();
    assert!(!files_before.is_empty());

    let private = h.open_tab(true).unwrap();
    for _ in 0..3 {
        every_call(&mut h, private);
    }
    h.close_tab(private).unwrap();
    h.checkpoint().unwrap();

    assert_eq!(h.pending_report(), report_before);
    assert_eq!(
        t.files(),
        files_before,
        "a private-tab call changed the data directory"
    );
}

#[test]
fn enhanced_incognito_off_lets_only_aggregate_counters_through() {
    let t = Harness::new();
    let mut h = t.open();
    h.set_enhanced_incognito(false);
    let private = h.open_tab(true).unwrap();
    every_call(&mut h, private);
    let r = h.pending_report();
    let names: Vec<&str> = r.metrics.keys().map(String::as_str).collect();
    assert_eq!(names, ["tabs.private_opened"], "{r:?}");
    assert!(
        r.errors.is_empty() && r.dropped.is_empty(),
        "private calls must not even count errors: {r:?}"
    );

    // The same calls with Enhanced incognito back on: nothing at all.
    h.set_enhanced_incognito(true);
    every_call(&mut h, private);
    assert_eq!(h.pending_report(), r);
}

#[test]
fn normal_tab_records_every_kind() {
    let t = Harness::new();
    let mut h = t.open();
    let normal = h.open_tab(false).unwrap();
    every_call(&mut h, normal);
    let r = h.pending_report();
    for m in [
        "page.domain",
        "page.load_time_ms",
        "search.engine",
        "bookmarks.added",
        "tabs.private_opened",
        "settings.switched",
        "settings.search_suggestions_enabled",
    ] {
        assert!(r.metrics.contains_key(m), "{m} missing from {r:?}");
    }
    assert_eq!(r.errors.metrics["settings.switched"]["invalid_label"], 1);
    assert_eq!(r.errors.metrics["bookmarks.added"]["wrong_type"], 1);
}

#[test]
fn closed_and_unknown_tabs_are_errors_never_records() {
    let t = Harness::new();
    let mut h = t.open();
    let m = h.metric("bookmarks.added").unwrap();
    for private in [false, true] {
        let tab = h.open_tab(private).unwrap();
        h.close_tab(tab).unwrap();
        assert!(matches!(
            h.page_loaded(tab, URL, 1),
            Err(RecordError::Tab(TabError::UnknownTab))
        ));
        assert!(matches!(
            h.searched(tab, SEARCH),
            Err(RecordError::Tab(TabError::UnknownTab))
        ));
        assert!(matches!(
            h.add(tab, m, 1),
            Err(RecordError::Tab(TabError::UnknownTab))
        ));
        assert!(matches!(h.close_tab(tab), Err(TabError::UnknownTab)));
    }
    assert!(matches!(
        h.add(TabId::from_raw(12345), m, 1),
        Err(RecordError::Tab(TabError::UnknownTab))
    ));
    assert!(h.pending_report().is_empty());
}

#[test]
fn nothing_is_recorded_until_consent_is_given() {
    let t = Harness::new();
    let mut c = t.config();
    c.collection_enabled = None;
    let mut h = Hush::open(c).unwrap();
    let tab = h.open_tab(false).unwrap();
    every_call(&mut h, tab);
    assert!(h.pending_report().is_empty());
    h.checkpoint().unwrap();
    assert!(t.files().is_empty(), "{:?}", t.files().keys());
    h.set_collection_enabled(true).unwrap();
    every_call(&mut h, tab);
    assert!(!h.pending_report().is_empty());
}

#[test]
fn consent_off_deletes_everything_unsent_and_on_starts_empty() {
    let t = Harness::new();
    let mut h = t.open();
    let tab = h.open_tab(false).unwrap();
    every_call(&mut h, tab);
    h.checkpoint().unwrap();
    assert!(!t.files().is_empty());

    h.set_collection_enabled(false).unwrap();
    assert!(t.files().is_empty(), "left behind: {:?}", t.files().keys());
    assert!(h.pending_report().is_empty());
    every_call(&mut h, tab);
    h.checkpoint().unwrap();
    assert!(t.files().is_empty());

    h.set_collection_enabled(true).unwrap();
    assert!(h.pending_report().is_empty());
    // A restart with the choice "off" also wipes what a crash may have left.
    let mut h = t.open();
    let tab = h.open_tab(false).unwrap();
    every_call(&mut h, tab);
    h.checkpoint().unwrap();
    drop(h);
    let mut c = t.config();
    c.collection_enabled = Some(false);
    let h = Hush::open(c).unwrap();
    assert!(h.pending_report().is_empty());
    assert!(t.files().is_empty());
}

#[test]
fn reports_hold_no_identifier_and_a_fresh_id_per_window() {
    let t = Harness::new();
    let mut h = t.open();
    let tab = h.open_tab(false).unwrap();
    every_call(&mut h, tab);
    let first = h.pending_report();
    t.clock.advance_ms(24 * 3_600_000);
    every_call(&mut h, tab);
    let second = h.pending_report();
    assert_ne!(first.report_id, second.report_id);
    assert_eq!(first.report_id.len(), 32);
    assert_eq!(without_id(first.clone()).report_id, "");
    let json = String::from_utf8(first.to_json()).unwrap();
    for forbidden in [
        "device",
        "android_id",
        "imei",
        "mac",
        "advertising",
        "account",
        "install",
        "client_id",
        "user",
    ] {
        assert!(
            !json.to_ascii_lowercase().contains(forbidden),
            "{forbidden} in {json}"
        );
    }
}

#[test]
fn a_private_call_after_midnight_does_not_even_close_the_day() {
    let t = Harness::new();
    let mut h = t.open();
    let normal = h.open_tab(false).unwrap();
    let private = h.open_tab(true).unwrap();
    every_call(&mut h, normal);
    h.checkpoint().unwrap();
    let files = t.files();
    let report = h.pending_report();
    t.clock.advance_ms(24 * 3_600_000);
    every_call(&mut h, private);
    assert!(
        h.closed_reports().is_empty(),
        "a private call rolled the window"
    );
    assert_eq!(h.pending_report(), report);
    assert_eq!(t.files(), files);
}

#[test]
fn consent_off_also_deletes_sealed_reports_and_a_set_aside_checkpoint() {
    let t = Harness::new();
    let mut h = t.open();
    let tab = h.open_tab(false).unwrap();
    every_call(&mut h, tab);
    h.checkpoint().unwrap();
    // A checkpoint that fails its checksum is moved aside at the next start
    // (it still holds that day's aggregates) ...
    drop(h);
    let state = t.path().join("state");
    let mut bytes = std::fs::read(&state).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&state, bytes).unwrap();
    let mut h = t.open();
    assert!(t.path().join("state.corrupt").exists());
    // ... and a finished day waits sealed in pending/.
    let tab = h.open_tab(false).unwrap();
    every_call(&mut h, tab);
    t.clock.advance_ms(24 * 3_600_000);
    h.checkpoint().unwrap();
    assert_eq!(h.outbox().entries().len(), t.aggs.plan.tasks().len());
    let names: Vec<_> = t.files().into_keys().collect();
    assert!(names.len() >= 3, "{names:?}");

    h.set_collection_enabled(false).unwrap();
    assert!(t.files().is_empty(), "left behind: {:?}", t.files().keys());
    assert!(h.outbox().entries().is_empty());
}
