//! Crash-safe state: a kill at every write step loads to the old or the new
//! checkpoint, never a mix; corrupt files are moved aside and counted; a full
//! disk loses nothing.

mod common;

use std::sync::atomic::Ordering;

use common::{without_id, FaultFs, Harness};
use hush_core::report::Report;
use hush_core::Hush;

fn record(h: &mut Hush, n: u64) {
    let tab = h.open_tab(false).unwrap();
    let m = h.metric("bookmarks.added").unwrap();
    h.add(tab, m, n).unwrap();
    h.page_loaded(tab, b"https://www.wikipedia.org/wiki/Rust", 700)
        .unwrap();
}

#[test]
fn a_kill_at_every_checkpoint_step_loads_old_or_new_state() {
    let mut completed = false;
    for crash_at in 0..64 {
        let t = Harness::new();
        let mut h = t.open();
        record(&mut h, 1);
        h.checkpoint().unwrap();
        let old = without_id(h.pending_report());
        drop(h);

        let fs = FaultFs::crash_after(crash_at);
        let new = match t.open_with_fs(fs.clone()) {
            Ok(mut h) => {
                record(&mut h, 10);
                let new = without_id(h.pending_report());
                let result = h.checkpoint();
                assert_eq!(result.is_err(), fs.crashed(), "step {crash_at}");
                new
            }
            Err(_) => {
                assert!(fs.crashed());
                old.clone()
            }
        };

        let loaded = without_id(t.open().pending_report());
        assert!(
            loaded == old || loaded == new,
            "kill at step {crash_at} loaded neither state: {loaded:?}"
        );
        assert_eq!(
            loaded.dropped.corrupt_state, 0,
            "an atomic write was torn at step {crash_at}"
        );
        if !fs.crashed() {
            assert_eq!(loaded, new);
            completed = true;
            break;
        }
    }
    assert!(
        completed,
        "the checkpoint never completed within the step budget"
    );
}

fn corrupted_variants(file: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut v = vec![
        ("empty".to_owned(), Vec::new()),
        (
            "garbage".to_owned(),
            b"{\"not\": \"a checkpoint\"}".to_vec(),
        ),
    ];
    for cut in [1, 8, 12, 44, file.len() / 2, file.len() - 1] {
        v.push((format!("truncated to {cut}"), file[..cut].to_vec()));
    }
    for i in [0, 9, 20, 50, file.len() - 1] {
        let mut b = file.to_vec();
        b[i] ^= 0x40;
        v.push((format!("bit flip at {i}"), b));
    }
    v
}

#[test]
fn corrupt_or_truncated_state_is_moved_aside_counted_and_start_is_clean() {
    let t = Harness::new();
    let mut h = t.open();
    record(&mut h, 3);
    h.checkpoint().unwrap();
    drop(h);
    let state = t.path().join("state");
    let good = std::fs::read(&state).unwrap();

    for (what, bad) in corrupted_variants(&good) {
        std::fs::write(&state, &bad).unwrap();
        let mut h = t.open();
        let r: Report = h.pending_report();
        assert_eq!(r.dropped.corrupt_state, 1, "{what}");
        assert!(r.metrics.is_empty(), "{what}: corrupt data was trusted");
        assert_eq!(
            std::fs::read(t.path().join("state.corrupt")).unwrap(),
            bad,
            "{what}"
        );
        // The core keeps working and the next checkpoint is good.
        record(&mut h, 1);
        h.checkpoint().unwrap();
        let again = t.open().pending_report();
        assert_eq!(
            again.metrics["bookmarks.added"],
            hush_core::report::MetricValue::Counter(1),
            "{what}"
        );
        std::fs::write(&state, &good).unwrap();
    }
}

#[test]
fn a_checkpoint_for_another_schema_is_not_trusted() {
    let t = Harness::new();
    let mut h = t.open();
    record(&mut h, 3);
    h.checkpoint().unwrap();
    drop(h);
    let c = t.config_for(hush_core::schema::Schema::from_toml(
        "schema_version = 2\n[metrics.\"bookmarks.added\"]\ntype = \"counter\"\ndescription = \"\"\nexpires = \"never\"",
    )
    .unwrap());
    let h = Hush::open(c).unwrap();
    assert!(h.pending_report().metrics.is_empty());
    assert_eq!(h.pending_report().dropped.corrupt_state, 1);
}

#[test]
fn a_full_disk_loses_nothing_and_the_next_checkpoint_catches_up() {
    let t = Harness::new();
    let fs = FaultFs::healthy();
    let mut h = t.open_with_fs(fs.clone()).unwrap();
    record(&mut h, 2);
    h.checkpoint().unwrap();
    record(&mut h, 5);
    let in_memory = h.pending_report();

    fs.full.store(true, Ordering::SeqCst);
    let err = h.checkpoint().unwrap_err();
    assert!(err.to_string().contains("I/O"), "{err}");
    assert_eq!(
        h.pending_report(),
        in_memory,
        "a failed checkpoint changed memory"
    );
    // The old checkpoint is intact on disk and no temp file is left behind.
    assert!(!t.path().join("state.tmp").exists());

    fs.full.store(false, Ordering::SeqCst);
    h.checkpoint().unwrap();
    drop(h);
    assert_eq!(t.open().pending_report(), in_memory);
}
