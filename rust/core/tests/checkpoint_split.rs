//! A checkpoint prepared under the core's lock and written after it: a write
//! prepared before the user switched collection off never brings the data
//! back, and an older write never replaces a newer one.

mod common;

use common::Harness;
use hush_core::report::MetricValue;
use hush_core::Hush;

fn bookmark(h: &mut Hush) {
    let tab = h.open_tab(false).unwrap();
    let m = h.metric("bookmarks.added").unwrap();
    h.add(tab, m, 1).unwrap();
}

#[test]
fn a_write_prepared_before_consent_off_is_dropped() {
    let t = Harness::new();
    let mut h = t.open();
    bookmark(&mut h);
    let write = h.prepare_checkpoint().unwrap().expect("something to write");
    h.set_collection_enabled(false).unwrap();
    write.commit().unwrap();
    assert!(
        t.files().is_empty(),
        "a stale write resurrected data: {:?}",
        t.files().keys()
    );
}

#[test]
fn an_older_write_never_replaces_a_newer_one() {
    let t = Harness::new();
    let mut h = t.open();
    bookmark(&mut h);
    let older = h.prepare_checkpoint().unwrap().unwrap();
    bookmark(&mut h);
    let newer = h.prepare_checkpoint().unwrap().unwrap();
    newer.commit().unwrap();
    older.commit().unwrap();
    assert!(
        h.prepare_checkpoint().unwrap().is_none(),
        "the disk is current"
    );
    drop(h);
    assert_eq!(
        t.open().pending_report().metrics["bookmarks.added"],
        MetricValue::Counter(2)
    );
}

#[test]
fn nothing_to_write_when_nothing_changed_and_a_failed_write_is_retried() {
    let t = Harness::new();
    let mut h = t.open();
    assert!(h.prepare_checkpoint().unwrap().is_none());
    bookmark(&mut h);
    let write = h.prepare_checkpoint().unwrap().unwrap();
    drop(write); // never committed, e.g. the write failed
    let again = h.prepare_checkpoint().unwrap().expect("still owed");
    again.commit().unwrap();
    assert!(h.prepare_checkpoint().unwrap().is_none());
}
