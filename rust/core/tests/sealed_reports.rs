//! P9/P10/P12 on disk: a closed window is sealed before it is written, pending
//! files are ciphertext whose size says only the padding bucket, the outbox is
//! bounded with drops counted, and a kill while sealing never double-counts.

mod common;

use common::{contains, FaultFs, Harness};
use hush_core::report::MetricValue;
use hush_core::store::outbox::OutboxLimits;
use hush_core::Hush;

const DAY_MS: i64 = 24 * 3_600_000;

fn bookmarks(h: &mut Hush, n: u64) {
    let tab = h.open_tab(false).unwrap();
    let m = h.metric("bookmarks.added").unwrap();
    h.add(tab, m, n).unwrap();
}

#[test]
fn once_sealed_no_file_in_the_data_directory_holds_the_report_in_clear() {
    let t = Harness::new();
    let mut h = t.open();
    // Values that only the closed day holds: a distinctive count and a
    // domain label (the checkpoint carries them until the day is sealed).
    bookmarks(&mut h, 987_654_321);
    let tab = h.open_tab(false).unwrap();
    h.page_loaded(tab, b"https://www.wikipedia.org/wiki/X", 420)
        .unwrap();
    h.checkpoint().unwrap();
    let before = t.files();
    assert!(before.values().any(|b| contains(b, "987654321")));
    assert!(before.values().any(|b| contains(b, "wikipedia.org")));

    t.clock.advance_ms(DAY_MS);
    h.checkpoint().unwrap();
    assert_eq!(t.pending_reports(&h).len(), 1);
    let after = t.files();
    assert!(after.len() >= 2, "state and one pending report: {after:?}");
    for (path, bytes) in &after {
        for clear in ["987654321", "wikipedia.org", "bookmarks.added"] {
            assert!(
                !contains(bytes, clear),
                "{clear} in clear in {} after sealing",
                path.display()
            );
        }
    }
}

#[test]
fn a_closed_window_is_sealed_and_opens_at_the_collector() {
    let t = Harness::new();
    let mut h = t.open();
    bookmarks(&mut h, 4);
    let expected = h.pending_report();
    h.checkpoint().unwrap();
    assert!(
        h.outbox().entries().is_empty(),
        "the open day is not reported early"
    );

    t.clock.advance_ms(DAY_MS);
    h.checkpoint().unwrap();
    let reports = t.pending_reports(&h);
    assert_eq!(reports, vec![expected.clone()]);
    assert_eq!(reports[0].day, "2026-11-21");
    assert_eq!(
        reports[0].metrics["bookmarks.added"],
        MetricValue::Counter(4)
    );
    assert!(h.pending_report().is_empty(), "the new window starts empty");

    // On disk: no byte of the report in clear.
    for (path, bytes) in t.files() {
        if path.starts_with(t.path().join("pending")) {
            for clear in [
                "hush-report",
                "bookmarks",
                "2026-11-21",
                &expected.report_id,
                "\"en\"",
                "14.2",
                "report",
            ] {
                assert!(
                    !contains(&bytes, clear),
                    "{clear} in clear in {}",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn a_quiet_day_produces_no_report_and_a_busy_one_always_does() {
    let t = Harness::new();
    let mut h = t.open();
    t.clock.advance_ms(DAY_MS);
    h.checkpoint().unwrap();
    assert!(h.outbox().entries().is_empty());
    bookmarks(&mut h, 1);
    t.clock.advance_ms(3 * DAY_MS);
    h.checkpoint().unwrap();
    assert_eq!(h.outbox().entries().len(), 1);
}

#[test]
fn every_pending_file_has_one_size_however_much_was_browsed() {
    let t = Harness::new();
    let mut h = t.open();
    // Day 1: one counter. Day 2: as much as a window can hold.
    bookmarks(&mut h, 1);
    t.clock.advance_ms(DAY_MS);
    let tab = h.open_tab(false).unwrap();
    for domain in hush_core::anonymize::Anonymizer::shipped()
        .allow_list()
        .iter()
        .take(400)
    {
        h.page_loaded(tab, format!("https://{domain}/").as_bytes(), 900)
            .unwrap();
    }
    let news = h.metric("news.items_viewed").unwrap();
    for label in [
        "headlines",
        "world",
        "business",
        "technology",
        "science",
        "sports",
        "video",
        "gaming",
    ] {
        h.add_label(tab, news, label, u64::MAX).unwrap();
    }
    t.clock.advance_ms(DAY_MS);
    h.checkpoint().unwrap();
    let opened: Vec<(usize, usize)> = t
        .pending(&h)
        .iter()
        .map(|b| {
            let (r, padded) = t.gateway.open_pending(b);
            (r.to_json().len(), padded)
        })
        .collect();
    assert_eq!(opened.len(), 2);
    assert!(
        opened[1].0 > 8 * opened[0].0,
        "the contents differ a lot in length: {opened:?}"
    );
    assert_eq!(
        opened[0].1, opened[1].1,
        "padded lengths differ: {opened:?}"
    );
    assert!(opened[0].1.is_power_of_two());
    let sizes: Vec<u64> = h.outbox().entries().iter().map(|m| m.size).collect();
    assert_eq!(
        sizes[0], sizes[1],
        "file sizes reveal the contents: {sizes:?}"
    );
    for (path, bytes) in t.files() {
        if path.starts_with(t.path().join("pending")) {
            assert_eq!(bytes.len() as u64, sizes[0], "{}", path.display());
        }
    }
}

#[test]
fn reports_beyond_the_outbox_limits_at_start_are_dropped_oldest_first_and_counted() {
    // Five sealed days under generous limits, then a start with tighter ones
    // (an app update): the bound holds from the first moment, not from the
    // next sealed report.
    let t = Harness::new();
    let mut h = t.open();
    for day in 0..5 {
        bookmarks(&mut h, day + 1);
        t.clock.advance_ms(DAY_MS);
        h.checkpoint().unwrap();
    }
    assert_eq!(t.pending_reports(&h).len(), 5);
    drop(h);
    let mut c = t.config();
    c.limits = OutboxLimits {
        max_reports: 2,
        max_bytes: 1 << 20,
    };
    let mut h = Hush::open(c).unwrap();
    // Nothing is deleted before collection is known to be on and the drops
    // can be counted in the same checkpoint.
    assert_eq!(t.pending_reports(&h).len(), 5);
    h.checkpoint().unwrap();
    let kept: Vec<MetricValue> = t
        .pending_reports(&h)
        .iter()
        .map(|r| r.metrics["bookmarks.added"].clone())
        .collect();
    assert_eq!(kept, [MetricValue::Counter(4), MetricValue::Counter(5)]);
    assert_eq!(h.pending_report().dropped.reports, 3);
    assert_eq!(h.sent_history().len(), 3);
    let files = t.files();
    let pending_files = files
        .keys()
        .filter(|p| p.starts_with(t.path().join("pending")));
    assert_eq!(pending_files.count(), 2);
    // The count survives a restart: it was checkpointed with the drops.
    drop(h);
    let h = t.open();
    assert_eq!(h.pending_report().dropped.reports, 3);
}

#[test]
fn the_outbox_drops_the_oldest_report_and_counts_it() {
    let t = Harness::new();
    let mut c = t.config();
    c.limits = OutboxLimits {
        max_reports: 3,
        max_bytes: 1 << 20,
    };
    let mut h = Hush::open(c).unwrap();
    for day in 0..5 {
        bookmarks(&mut h, day + 1);
        t.clock.advance_ms(DAY_MS);
        h.checkpoint().unwrap();
    }
    let reports = t.pending_reports(&h);
    let kept: Vec<MetricValue> = reports
        .iter()
        .map(|r| r.metrics["bookmarks.added"].clone())
        .collect();
    assert_eq!(
        kept,
        [
            MetricValue::Counter(3),
            MetricValue::Counter(4),
            MetricValue::Counter(5)
        ]
    );
    // Each drop is counted in the window open when it happened: the first in
    // the last kept report, the second in the window still open.
    let per_report: Vec<u64> = reports.iter().map(|r| r.dropped.reports).collect();
    assert_eq!(per_report, [0, 0, 1]);
    assert_eq!(h.pending_report().dropped.reports, 1);
    // And the user can see which days went unsent (P13).
    let record: Vec<_> = h
        .sent_history()
        .iter()
        .map(|s| (s.day.as_str(), s.outcome))
        .collect();
    use hush_core::history::SentOutcome::DroppedForSpace;
    assert_eq!(
        record,
        [
            ("2026-11-21", DroppedForSpace),
            ("2026-11-22", DroppedForSpace)
        ]
    );
    assert_eq!(
        std::fs::read_dir(t.path().join("pending")).unwrap().count(),
        3
    );

    // The byte bound works the same way.
    let t = Harness::new();
    let mut c = t.config();
    // Every pending file has the same size (P9): measure one.
    let one_file = {
        let t = Harness::new();
        let mut h = t.open();
        bookmarks(&mut h, 1);
        t.clock.advance_ms(DAY_MS);
        h.checkpoint().unwrap();
        h.outbox().entries()[0].size as usize
    };
    c.limits = OutboxLimits {
        max_reports: 100,
        max_bytes: 2 * one_file as u64,
    };
    let mut h = Hush::open(c).unwrap();
    for _ in 0..4 {
        bookmarks(&mut h, 1);
        t.clock.advance_ms(DAY_MS);
        h.checkpoint().unwrap();
    }
    assert_eq!(h.outbox().entries().len(), 2);
    assert_eq!(h.outbox().bytes(), 2 * one_file as u64);
    let counted: u64 = t
        .pending_reports(&h)
        .iter()
        .map(|r| r.dropped.reports)
        .sum::<u64>()
        + h.pending_report().dropped.reports;
    assert_eq!(counted, 2);
}

#[test]
fn a_kill_at_every_step_of_sealing_a_window_never_double_counts_or_loses_it() {
    let mut completed = false;
    for crash_at in 0..64 {
        let t = Harness::new();
        let mut h = t.open();
        bookmarks(&mut h, 5);
        h.checkpoint().unwrap();
        let day_one = h.pending_report().report_id;
        drop(h);

        t.clock.advance_ms(DAY_MS);
        let fs = FaultFs::crash_after(crash_at);
        if let Ok(mut h) = t.open_with_fs(fs.clone()) {
            bookmarks(&mut h, 1);
            let _ = h.checkpoint();
        }

        // Restart on a healthy disk and finish the job.
        let mut h = t.open();
        h.checkpoint().unwrap();
        let reports = t.pending_reports(&h);
        let day_one_reports: Vec<_> = reports.iter().filter(|r| r.day == "2026-11-21").collect();
        assert_eq!(
            day_one_reports.len(),
            1,
            "kill at step {crash_at}: {reports:?}"
        );
        assert_eq!(
            day_one_reports[0].report_id, day_one,
            "a re-sealed window keeps its id"
        );
        assert_eq!(
            day_one_reports[0].metrics["bookmarks.added"],
            MetricValue::Counter(5)
        );
        let open = h.pending_report();
        assert_eq!(open.day, "2026-11-22");
        assert!(
            open.metrics
                .get("bookmarks.added")
                .is_none_or(|v| *v == MetricValue::Counter(1)),
            "kill at step {crash_at}: {open:?}"
        );
        if !fs.crashed() {
            completed = true;
            break;
        }
    }
    assert!(completed);
}

#[test]
fn a_sealed_window_is_never_replaced_by_its_older_checkpoint() {
    let mut saw_sealed_before_crash = false;
    for crash_at in 0..64 {
        let t = Harness::new();
        let fs = FaultFs::healthy();
        let mut h = t.open_with_fs(fs.clone()).unwrap();
        bookmarks(&mut h, 5);
        h.checkpoint().unwrap();
        bookmarks(&mut h, 2); // recorded after the last checkpoint
        t.clock.advance_ms(DAY_MS);
        fs.crash_in(crash_at);
        let _ = h.checkpoint();
        let sealed_before_crash = std::fs::read_dir(t.path().join("pending"))
            .unwrap()
            .any(|e| e.unwrap().path().extension().is_some_and(|x| x == "ohttp"));
        drop(h);

        let mut h = t.open();
        h.checkpoint().unwrap();
        let reports = t.pending_reports(&h);
        assert_eq!(reports.len(), 1, "kill at step {crash_at}");
        let n = &reports[0].metrics["bookmarks.added"];
        // Sealed before the kill: the sealed report (7) must survive. Not
        // sealed: the checkpoint (5) is all that was ever persisted.
        let expected = if sealed_before_crash { 7 } else { 5 };
        assert_eq!(
            *n,
            MetricValue::Counter(expected),
            "kill at step {crash_at}"
        );
        saw_sealed_before_crash |= sealed_before_crash && fs.crashed();
        if !fs.crashed() {
            break;
        }
    }
    assert!(
        saw_sealed_before_crash,
        "no step crashed between sealing and the checkpoint"
    );
}
