//! P1: a private-tab call allocates nothing at all (so nothing can outlive
//! it). `allocation-counter` installs a counting global allocator.

mod common;

use allocation_counter::measure;
use common::Harness;

#[test]
fn private_tab_calls_allocate_nothing() {
    let t = Harness::new();
    let mut h = t.open();
    let counter = h.metric("bookmarks.added").unwrap();
    let aggregate = h.metric("tabs.private_opened").unwrap();
    let labeled = h.metric("settings.switched").unwrap();
    let histogram = h.metric("page.load_time_ms").unwrap();
    let boolean = h.metric("settings.search_suggestions_enabled").unwrap();
    let private = h.open_tab(true).unwrap();
    let url = "https://www.example.com/a/very/long/path?with=query&and=more#fragment".repeat(3);

    // Every recording call through the private tab, 100 times. The
    // `aggregate` counter is left out when Enhanced incognito is off: then it
    // may count (P2), which is a change, not a dropped call.
    let calls = |h: &mut hush_core::Hush, aggregate_too: bool| {
        for _ in 0..100 {
            h.page_loaded(private, url.as_bytes(), 100).unwrap();
            h.searched(private, b"https://www.google.com/search?q=x")
                .unwrap();
            h.add(private, counter, 1).unwrap();
            if aggregate_too {
                h.add(private, aggregate, 1).unwrap();
            }
            h.add_label(private, labeled, "dark_mode_on", 1).unwrap();
            h.set_boolean(private, boolean, true).unwrap();
            h.accumulate(private, histogram, 5).unwrap();
        }
    };
    let info = measure(|| calls(&mut h, true));
    assert_eq!(
        info.count_total, 0,
        "a private-tab call allocated: {info:?}"
    );

    // Enhanced incognito off: the gate now looks the metric up to decide
    // whether it is `aggregate`; everything else must still be dropped
    // without an allocation.
    h.set_enhanced_incognito(false);
    let before = h.pending_report();
    let info = measure(|| calls(&mut h, false));
    assert_eq!(
        info.count_total, 0,
        "a private-tab call allocated with Enhanced incognito off: {info:?}"
    );
    assert_eq!(h.pending_report(), before);

    // The counter works: a normal-tab page load does allocate (domain map).
    let normal = h.open_tab(false).unwrap();
    let info = measure(|| h.page_loaded(normal, url.as_bytes(), 100).unwrap());
    assert!(
        info.count_total > 0,
        "the allocation counter is not counting"
    );
}
