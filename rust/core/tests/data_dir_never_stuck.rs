//! A data directory never gets stuck: whatever is in place of the
//! checkpoint (a directory, a file that cannot be read, one that can be
//! neither read nor deleted) is treated like corrupt content: deleted or
//! moved aside, counted once, and the start is clean. A pending report is
//! deleted only for bad content; one that cannot be read is kept, with its
//! bookkeeping, for the next start. Real file system where it can show the
//! case (tests may run as root, which ignores permission bits), a faulty one
//! where it cannot.

mod common;

use std::io::ErrorKind;
use std::path::PathBuf;

use common::{FaultFs, Harness, Op};
use hush_core::report::MetricValue;
use hush_core::Hush;

fn bookmarks(h: &mut Hush, n: u64) {
    let tab = h.open_tab(false).unwrap();
    let m = h.metric("bookmarks.added").unwrap();
    h.add(tab, m, n).unwrap();
}

fn bookmarks_of(h: &Hush) -> Option<MetricValue> {
    h.pending_report().metrics.get("bookmarks.added").cloned()
}

/// After a start that had to count a bad checkpoint: the core records and
/// checkpoints, and the next start loads that checkpoint, counted once.
fn assert_recovers(t: &Harness, mut h: Hush) {
    assert_eq!(h.pending_report().dropped.corrupt_state, 1);
    assert!(h.pending_report().metrics.is_empty());
    bookmarks(&mut h, 4);
    h.checkpoint().unwrap();
    drop(h);
    let again = t.open();
    assert_eq!(bookmarks_of(&again), Some(MetricValue::Counter(4)));
    assert_eq!(
        again.pending_report().dropped.corrupt_state,
        1,
        "counted again: the bad checkpoint came back"
    );
}

#[test]
fn a_directory_in_place_of_the_checkpoint_is_removed_counted_and_the_start_is_clean() {
    let t = Harness::new();
    std::fs::create_dir_all(t.path().join("state/inside")).unwrap();
    std::fs::write(t.path().join("state/inside/file"), b"not ours").unwrap();
    let h = t.open();
    assert!(!t.path().join("state").exists());
    assert_recovers(&t, h);
}

#[test]
fn a_checkpoint_that_cannot_be_read_is_deleted_and_counted() {
    for kind in [
        ErrorKind::PermissionDenied,
        ErrorKind::Other,
        ErrorKind::InvalidData,
    ] {
        let t = Harness::new();
        let mut h = t.open();
        bookmarks(&mut h, 2);
        h.checkpoint().unwrap();
        drop(h);
        let fs = FaultFs::healthy();
        fs.fail(Op::Read, "state", kind);
        let h = t.open_with_fs(fs.clone()).unwrap();
        assert!(!t.path().join("state").exists(), "{kind:?}");
        fs.heal();
        assert_recovers(&t, h);
    }
}

#[test]
fn a_checkpoint_that_can_be_neither_read_nor_deleted_is_moved_aside() {
    let t = Harness::new();
    std::fs::create_dir_all(t.path().join("state/inside")).unwrap();
    let fs = FaultFs::healthy();
    fs.fail(Op::Remove, "state", ErrorKind::PermissionDenied);
    let mut h = t.open_with_fs(fs.clone()).unwrap();
    assert!(t.path().join("state.unreadable/inside").is_dir());
    // The path is free again, so checkpoints work at once ...
    bookmarks(&mut h, 1);
    h.checkpoint().unwrap();
    drop(h);
    fs.heal();
    // ... and the next start clears what was moved aside.
    let h = t.open();
    assert!(!t.path().join("state.unreadable").exists());
    assert_eq!(bookmarks_of(&h), Some(MetricValue::Counter(1)));
    assert_eq!(h.pending_report().dropped.corrupt_state, 1);
}

#[test]
fn a_checkpoint_that_can_be_neither_read_deleted_nor_moved_still_lets_the_core_start() {
    let t = Harness::new();
    std::fs::create_dir_all(t.path().join("state/inside")).unwrap();
    let fs = FaultFs::healthy();
    fs.fail(Op::Remove, "state", ErrorKind::PermissionDenied);
    fs.fail(Op::Rename, "state", ErrorKind::PermissionDenied);
    let mut h = t.open_with_fs(fs.clone()).unwrap();
    assert_eq!(h.pending_report().dropped.corrupt_state, 1);
    bookmarks(&mut h, 3);
    let in_memory = h.pending_report();
    // The checkpoint cannot take the directory's place: a clear error, and
    // nothing lost from memory.
    let err = h.checkpoint().unwrap_err();
    assert!(err.to_string().contains("I/O"), "{err}");
    assert_eq!(h.pending_report(), in_memory);
    assert!(!t.path().join("state.tmp").exists(), "a temp file was left");
    fs.heal();
    h.checkpoint().unwrap_err(); // still a directory: the next start clears it
    drop(h);
    let h = t.open();
    assert!(!t.path().join("state").exists());
    assert_recovers(&t, h);
}

#[test]
fn leftover_temp_files_are_deleted_at_start_even_a_directory() {
    let t = Harness::new();
    let mut h = t.open();
    bookmarks(&mut h, 5);
    h.checkpoint().unwrap();
    drop(h);
    std::fs::write(t.path().join("state.tmp"), b"{\"window\": CANARY-TMP").unwrap();
    std::fs::write(t.path().join("state.corrupt"), b"CANARY-OLD-BUILD").unwrap();
    let h = t.open();
    let names: Vec<PathBuf> = t.files().into_keys().collect();
    assert_eq!(names, vec![t.path().join("state")]);
    assert_eq!(bookmarks_of(&h), Some(MetricValue::Counter(5)));
    assert_eq!(h.pending_report().dropped.corrupt_state, 0);
    drop(h);

    // A directory where the temp file goes would fail every checkpoint.
    std::fs::create_dir_all(t.path().join("state.tmp/x")).unwrap();
    let mut h = t.open();
    assert!(!t.path().join("state.tmp").exists());
    bookmarks(&mut h, 1);
    h.checkpoint().unwrap();
}

/// One sealed day in `pending/` (one report per task); returns the first
/// report's file, bytes and day.
fn one_pending_report(t: &Harness) -> (PathBuf, Vec<u8>, String) {
    let mut h = t.open();
    bookmarks(&mut h, 7);
    t.clock.advance_ms(24 * 3_600_000);
    h.checkpoint().unwrap();
    let meta = h.outbox().entries()[0].clone();
    let file = t.path().join("pending").join(format!("{}.ohttp", meta.id));
    (file.clone(), std::fs::read(&file).unwrap(), meta.day)
}

/// The reports one day becomes: one per task.
fn per_day(t: &Harness) -> usize {
    t.aggs.plan.tasks().len()
}

#[test]
fn a_pending_report_that_cannot_be_read_is_kept_with_its_bookkeeping() {
    for kind in [
        ErrorKind::Other,
        ErrorKind::PermissionDenied,
        ErrorKind::Interrupted,
    ] {
        let t = Harness::new();
        let (file, bytes, day) = one_pending_report(&t);
        let name = file.file_name().unwrap().to_str().unwrap().to_owned();
        let id = name.strip_suffix(".ohttp").unwrap().to_owned();
        let fs = FaultFs::healthy();
        fs.fail(Op::Read, &name, kind);
        let mut h = t.open_with_fs(fs.clone()).unwrap();
        assert!(
            !h.outbox().entries().iter().any(|m| m.id == id),
            "{kind:?}: handed out"
        );
        assert_eq!(h.outbox().entries().len(), per_day(&t) - 1, "{kind:?}");
        assert_eq!(h.outbox().held().len(), 1, "{kind:?}");
        assert_eq!(h.outbox().held()[0].id, id, "{kind:?}");
        assert_eq!(h.pending_report().dropped.reports, 0, "{kind:?}: counted");
        bookmarks(&mut h, 1);
        h.checkpoint().unwrap();
        drop(h);
        assert_eq!(std::fs::read(&file).unwrap(), bytes, "{kind:?}: touched");

        fs.heal();
        let h = t.open();
        let entries = h.outbox().entries();
        assert_eq!(entries.len(), per_day(&t), "{kind:?}");
        let meta = entries.iter().find(|m| m.id == id).expect("kept");
        assert_eq!(meta.day, day, "{kind:?}: its day was forgotten");
        let days = t.pending_days(&h);
        assert_eq!(t.value(&days[&day], "bookmarks.added", ""), 7, "{kind:?}");
    }
}

#[test]
fn pending_reports_are_kept_when_their_directory_cannot_be_listed() {
    let t = Harness::new();
    let (file, bytes, day) = one_pending_report(&t);
    let fs = FaultFs::healthy();
    fs.fail(Op::List, "pending", ErrorKind::PermissionDenied);
    let mut h = t.open_with_fs(fs.clone()).unwrap();
    assert!(h.outbox().entries().is_empty());
    assert_eq!(h.outbox().held().len(), per_day(&t));
    bookmarks(&mut h, 1);
    h.checkpoint().unwrap();
    drop(h);
    fs.heal();
    let h = t.open();
    assert_eq!(std::fs::read(&file).unwrap(), bytes);
    assert_eq!(h.outbox().entries().len(), per_day(&t));
    assert!(h.outbox().entries().iter().all(|m| m.day == day));
    assert_eq!(h.pending_report().dropped.reports, 0);
}

#[test]
fn pending_files_with_bad_content_are_deleted_and_counted_once() {
    let t = Harness::new();
    let (file, bytes, _) = one_pending_report(&t);
    let pending = file.parent().unwrap().to_owned();
    let mut ours: Vec<PathBuf> = std::fs::read_dir(&pending)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    ours.sort();
    assert_eq!(ours.len(), per_day(&t));
    let mut damaged = bytes.clone();
    damaged[60] ^= 1;
    std::fs::write(pending.join(format!("{}.ohttp", "a".repeat(32))), damaged).unwrap();
    std::fs::write(pending.join("not-a-report.txt"), b"x").unwrap();
    // A directory is never a report, however it is named.
    std::fs::create_dir(pending.join(format!("{}.ohttp", "b".repeat(32)))).unwrap();
    // A temp file is a crash's leftover, not a lost report.
    std::fs::write(pending.join(format!("{}.ohttp.tmp", "c".repeat(32))), b"x").unwrap();
    let mut h = t.open();
    assert_eq!(h.pending_report().dropped.reports, 3);
    let mut left: Vec<PathBuf> = std::fs::read_dir(&pending)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    left.sort();
    assert_eq!(left, ours);
    assert_eq!(h.outbox().entries().len(), per_day(&t));
    h.checkpoint().unwrap();
    drop(h);
    assert_eq!(t.open().pending_report().dropped.reports, 3);
}
