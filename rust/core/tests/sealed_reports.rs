//! P9/P10/P12/P14 on disk: a closed day becomes one DAP report per task,
//! each sealed before it is written; idle days send zero-valued reports;
//! pending files are ciphertext whose size says only which task they belong
//! to; a whole day stays within 64 KiB on the wire; the outbox is bounded with
//! drops counted; and a kill while sealing never double-counts or loses a
//! report.

mod common;

use common::{contains, FaultFs, Harness};
use hush_core::anonymize::Anonymizer;
use hush_core::store::outbox::OutboxLimits;
use hush_core::Hush;

const DAY_MS: i64 = 24 * 3_600_000;

fn tasks() -> usize {
    Harness::new().aggs.plan.tasks().len()
}

fn bookmarks(h: &mut Hush, n: u64) {
    let tab = h.open_tab(false).unwrap();
    let m = h.metric("bookmarks.added").unwrap();
    h.add(tab, m, n).unwrap();
}

#[test]
fn once_sealed_no_file_in_the_data_directory_holds_the_day_in_clear() {
    let t = Harness::new();
    let mut h = t.open();
    // Values only the closed day holds: a distinctive count and a domain
    // (the checkpoint carries them until the day is sealed).
    let tab = h.open_tab(false).unwrap();
    let tabs = h.metric("tabs.opened").unwrap();
    h.add(tab, tabs, 987_654_321).unwrap();
    h.page_loaded(tab, b"https://www.wikipedia.org/wiki/X", 420)
        .unwrap();
    h.checkpoint().unwrap();
    let before = t.files();
    assert!(before.values().any(|b| contains(b, "987654321")));
    assert!(before.values().any(|b| contains(b, "wikipedia.org")));

    t.clock.advance_ms(DAY_MS);
    h.checkpoint().unwrap();
    assert_eq!(t.pending_reports(&h).len(), tasks());
    for (path, bytes) in &t.files() {
        for clear in ["987654321", "wikipedia.org"] {
            assert!(
                !contains(bytes, clear),
                "{clear} in clear in {} after sealing",
                path.display()
            );
        }
    }
}

#[test]
fn a_closed_day_becomes_one_dap_report_per_task_for_the_leader() {
    let t = Harness::new();
    let mut h = t.open();
    bookmarks(&mut h, 4);
    let tab = h.open_tab(false).unwrap();
    h.page_loaded(tab, b"https://www.wikipedia.org/wiki/X", 420)
        .unwrap();
    h.searched(tab, b"https://www.bing.com/search?q=secret")
        .unwrap();
    let window_key = h.pending_report().report_id;
    h.checkpoint().unwrap();
    assert!(
        h.outbox().entries().is_empty(),
        "the open day is not reported early"
    );

    t.clock.advance_ms(DAY_MS);
    h.checkpoint().unwrap();
    let reports = t.pending_reports(&h);
    assert_eq!(reports.len(), tasks());
    for r in &reports {
        assert_eq!(r.method, "PUT");
        assert_eq!(r.authority, "leader.example");
        assert_eq!(r.content_type, "application/dap-report");
        assert_eq!(r.day, "2026-11-21");
    }
    let days = t.pending_days(&h);
    let day = &days["2026-11-21"];
    assert_eq!(day.len(), tasks(), "one report per task");
    assert_eq!(t.value(day, "bookmarks.added", ""), 4);
    assert_eq!(t.value(day, "tabs.opened", ""), 0);
    assert_eq!(t.value(day, "page.domain", "wikipedia.org"), 1);
    assert_eq!(day["page.domain"].iter().sum::<u128>(), 1);
    assert_eq!(t.value(day, "search.engine", "bing"), 1);
    assert_eq!(t.value(day, "page.load_time_ms", "<=500"), 1);
    assert_eq!(t.value(day, "hush.api_level", "34"), 1);
    assert_eq!(t.value(day, "hush.language", "en"), 1);
    assert!(h.pending_report().is_empty(), "the new window starts empty");

    // Report ids are the window's own, and nothing else in the report or on
    // disk names the window, the day or a metric in clear.
    for r in &reports {
        let id = r.report.metadata().id().as_ref();
        let task = &t.aggs.config.task(&r.task).unwrap().task_id;
        let key = hush_core::window::ReportId::parse_hex(&window_key)
            .unwrap()
            .0;
        assert_eq!(*id, hush_core::dap::report::report_id(&key, task));
    }
    for (path, bytes) in t.files() {
        if path.starts_with(t.path().join("pending")) {
            for clear in [
                "bookmarks",
                "2026-11-21",
                &window_key,
                "\"en\"",
                "14.2",
                "leader.example",
                "dap-report",
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
fn an_idle_day_sends_every_report_zero_valued_and_missed_days_are_filled_in() {
    let t = Harness::new();
    let mut h = t.open();
    t.clock.advance_ms(DAY_MS);
    h.checkpoint().unwrap();
    let days = t.pending_days(&h);
    let idle = &days["2026-11-21"];
    assert_eq!(idle.len(), tasks());
    for (task, values) in idle {
        // A histogram (the environment, a boolean's not_set) always has one
        // bucket; every count is zero.
        let sum: u128 = values.iter().sum();
        let one_hot = t.aggs.plan.task(task).unwrap().vdaf.name() == "Prio3Histogram";
        assert_eq!(sum, u128::from(one_hot), "{task}: {values:?}");
    }
    assert_eq!(
        t.value(idle, "settings.search_suggestions_enabled", "not_set"),
        1
    );

    // The app does not run for three days: each still gets its reports.
    bookmarks(&mut h, 1);
    t.clock.advance_ms(4 * DAY_MS);
    h.checkpoint().unwrap();
    let days = t.pending_days(&h);
    let names: Vec<&str> = days.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "2026-11-21",
            "2026-11-22",
            "2026-11-23",
            "2026-11-24",
            "2026-11-25"
        ]
    );
    assert_eq!(t.value(&days["2026-11-22"], "bookmarks.added", ""), 1);
    assert_eq!(t.value(&days["2026-11-24"], "bookmarks.added", ""), 0);
    for d in days.values() {
        assert_eq!(d.len(), tasks());
    }

    // After a month away, only the last week before the return is filled in.
    t.clock.advance_ms(30 * DAY_MS);
    h.checkpoint().unwrap();
    let days = t.pending_days(&h);
    assert_eq!(days.len(), 5 + 8, "the open day, then seven idle days");
    assert!(days.contains_key("2026-11-26"));
    assert!(days.contains_key("2026-12-19"));
    assert!(days.contains_key("2026-12-25"));
    assert!(!days.contains_key("2026-12-18"));
    assert!(!days.contains_key("2026-12-26"), "today is still open");
}

#[test]
fn each_task_has_one_size_whatever_it_holds_and_a_day_fits_64_kib() {
    let t = Harness::new();
    let mut h = t.open();
    // Day 1: nothing. Day 2: as much as a window can hold.
    t.clock.advance_ms(DAY_MS);
    let tab = h.open_tab(false).unwrap();
    for domain in Anonymizer::shipped().allow_list().iter().take(400) {
        h.page_loaded(tab, format!("https://{domain}/").as_bytes(), 900)
            .unwrap();
        h.searched(
            tab,
            format!("https://www.google.com/search?q={domain}").as_bytes(),
        )
        .unwrap();
    }
    let news = h.metric("news.items_viewed").unwrap();
    for label in ["headlines", "world", "business", "technology", "video"] {
        h.add_label(tab, news, label, u64::MAX).unwrap();
    }
    bookmarks(&mut h, u64::MAX);
    t.clock.advance_ms(DAY_MS);
    h.checkpoint().unwrap();
    let reports = t.pending_reports(&h);
    let days = t.pending_days(&h);
    let busy = &days["2026-11-22"];
    assert_eq!(
        busy["page.domain"].iter().sum::<u128>(),
        257,
        "256 domains and other"
    );
    assert_eq!(
        t.value(busy, "bookmarks.added", ""),
        15,
        "clamped to its bound"
    );
    assert_eq!(t.value(busy, "hush.errors", "bookmarks.added/clamped"), 1);
    let mut wire = std::collections::BTreeMap::<String, Vec<usize>>::new();
    for r in &reports {
        wire.entry(r.task.clone()).or_default().push(r.wire_len);
    }
    for (task, lens) in &wire {
        assert_eq!(lens.len(), 2);
        assert_eq!(lens[0], lens[1], "{task}: the size depends on the values");
    }
    let day: usize = wire.values().map(|l| l[0]).sum();
    assert!(day <= 64 * 1024, "a day is {day} bytes on the wire");
    let files: Vec<u64> = h.outbox().entries().iter().map(|m| m.size).collect();
    let on_disk: u64 = files.iter().sum::<u64>() / 2;
    eprintln!("a day: {day} bytes on the wire, {on_disk} bytes in pending/");
}

#[test]
fn reports_beyond_the_outbox_limits_at_start_are_dropped_oldest_first_and_counted() {
    // Five sealed days under generous limits, then a start with tighter ones
    // (an app update): the bound holds from the first moment.
    let n = tasks();
    let t = Harness::new();
    let mut h = t.open();
    for day in 0..5 {
        bookmarks(&mut h, day + 1);
        t.clock.advance_ms(DAY_MS);
        h.checkpoint().unwrap();
    }
    assert_eq!(t.pending_reports(&h).len(), 5 * n);
    drop(h);
    let mut c = t.config();
    c.limits = OutboxLimits {
        max_reports: n + 2,
        max_bytes: 1 << 30,
    };
    let mut h = Hush::open(c).unwrap();
    // Nothing is deleted before collection is known to be on and the drops
    // can be counted in the same checkpoint.
    assert_eq!(t.pending_reports(&h).len(), 5 * n);
    h.checkpoint().unwrap();
    let kept = t.pending_reports(&h);
    assert_eq!(kept.len(), n + 2);
    // The oldest went first: what is left is day 5 and the last two of day 4.
    let days = t.pending_days(&h);
    assert_eq!(days["2026-11-25"].len(), n);
    assert_eq!(days["2026-11-24"].len(), 2);
    assert_eq!(t.value(&days["2026-11-25"], "bookmarks.added", ""), 5);
    let dropped = (5 * n - (n + 2)) as u64;
    assert_eq!(h.pending_report().dropped.reports, dropped);
    let record: u64 = h.sent_history().iter().map(|s| u64::from(s.reports)).sum();
    assert_eq!(record, dropped, "every dropped report is in the record");
    // The count survives a restart: it was checkpointed with the drops.
    drop(h);
    let h = t.open();
    assert_eq!(h.pending_report().dropped.reports, dropped);
}

#[test]
fn the_outbox_drops_the_oldest_reports_and_counts_them_in_a_later_day() {
    let n = tasks();
    let t = Harness::new();
    let mut c = t.config();
    c.limits = OutboxLimits {
        max_reports: 2 * n,
        max_bytes: 1 << 30,
    };
    let mut h = Hush::open(c).unwrap();
    for day in 0..3 {
        bookmarks(&mut h, day + 1);
        t.clock.advance_ms(DAY_MS);
        h.checkpoint().unwrap();
    }
    let days = t.pending_days(&h);
    assert_eq!(
        days.keys().map(String::as_str).collect::<Vec<_>>(),
        ["2026-11-22", "2026-11-23"]
    );
    // Day one was dropped while day four was open: it is counted there,
    // as an aggregated metric like any other (P15).
    assert_eq!(h.pending_report().dropped.reports, n as u64);
    use hush_core::history::SentOutcome::DroppedForSpace;
    let record: Vec<_> = h
        .sent_history()
        .iter()
        .map(|s| (s.day.as_str(), s.outcome, s.reports))
        .collect();
    assert_eq!(record, [("2026-11-21", DroppedForSpace, n as u32)]);
    t.clock.advance_ms(DAY_MS);
    h.checkpoint().unwrap();
    let days = t.pending_days(&h);
    assert_eq!(
        t.value(&days["2026-11-24"], "hush.dropped", "reports"),
        n as u128
    );

    // The byte bound works the same way.
    let t = Harness::new();
    let mut h = t.open();
    t.clock.advance_ms(DAY_MS);
    h.checkpoint().unwrap();
    let one_day = h.outbox().bytes();
    drop(h);
    let mut c = t.config();
    c.limits = OutboxLimits {
        max_reports: 10 * n,
        max_bytes: 2 * one_day,
    };
    let mut h = Hush::open(c).unwrap();
    for _ in 0..3 {
        t.clock.advance_ms(DAY_MS);
        h.checkpoint().unwrap();
    }
    assert!(h.outbox().bytes() <= 2 * one_day);
    assert_eq!(h.outbox().entries().len(), 2 * n);
}

#[test]
fn a_kill_at_every_step_of_sealing_a_day_never_double_counts_or_loses_it() {
    let mut completed = false;
    for crash_at in 0..200 {
        let t = Harness::new();
        let mut h = t.open();
        bookmarks(&mut h, 5);
        h.checkpoint().unwrap();
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
        // `pending_days` asserts one report per task and day.
        let days = t.pending_days(&h);
        let day_one = &days["2026-11-21"];
        assert_eq!(day_one.len(), tasks(), "kill at step {crash_at}");
        assert_eq!(t.value(day_one, "bookmarks.added", ""), 5);
        let open = h.pending_report();
        assert_eq!(open.day, "2026-11-22");
        assert!(
            open.metrics
                .get("bookmarks.added")
                .is_none_or(|v| *v == hush_core::report::MetricValue::Counter(1)),
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
fn a_sealed_report_is_never_replaced_by_its_older_checkpoint() {
    let mut saw_sealed_before_crash = false;
    for crash_at in 0..200 {
        let t = Harness::new();
        let fs = FaultFs::healthy();
        let mut h = t.open_with_fs(fs.clone()).unwrap();
        bookmarks(&mut h, 5);
        h.checkpoint().unwrap();
        bookmarks(&mut h, 2); // recorded after the last checkpoint
        let key = hush_core::window::ReportId::parse_hex(&h.pending_report().report_id)
            .unwrap()
            .0;
        let task = t.aggs.config.task("bookmarks.added").unwrap().task_id;
        let id = hush_core::dap::report::report_id(&key, &task);
        let file = t.path().join("pending").join(format!(
            "{}.ohttp",
            id.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ));
        t.clock.advance_ms(DAY_MS);
        fs.crash_in(crash_at);
        let _ = h.checkpoint();
        let sealed_before_crash = file.exists();
        drop(h);

        let mut h = t.open();
        h.checkpoint().unwrap();
        let days = t.pending_days(&h);
        let day_one = &days["2026-11-21"];
        assert_eq!(day_one.len(), tasks(), "kill at step {crash_at}");
        // Sealed before the kill: the sealed report (7) survives. Not sealed:
        // the checkpoint (5) is all that was ever persisted.
        let expected = if sealed_before_crash { 7 } else { 5 };
        assert_eq!(
            t.value(day_one, "bookmarks.added", ""),
            expected,
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

#[test]
fn every_pending_report_is_listed_in_plain_words_without_its_values() {
    let t = Harness::new();
    let mut h = t.open();
    let tab = h.open_tab(false).unwrap();
    let tabs = h.metric("tabs.opened").unwrap();
    h.add(tab, tabs, 201).unwrap();
    h.page_loaded(tab, b"https://www.wikipedia.org/", 100)
        .unwrap();
    t.clock.advance_ms(DAY_MS);
    h.checkpoint().unwrap();
    let list = h.pending_uploads();
    assert_eq!(list.len(), tasks());
    let metrics: Vec<&str> = list.iter().map(|p| p.metric.as_str()).collect();
    for task in t.aggs.plan.tasks() {
        assert!(
            metrics.contains(&task.name.as_str()),
            "{} not listed",
            task.name
        );
    }
    for p in &list {
        assert_eq!(p.day, "2026-11-21");
        assert!(matches!(
            p.state,
            hush_core::transparency::DeliveryState::Waiting { .. }
        ));
    }
    let tabs_entry = list.iter().find(|p| p.metric == "tabs.opened").unwrap();
    assert_eq!(
        tabs_entry.holds,
        "Normal tabs opened. It holds a count from 0 to 255."
    );
    // What the list says comes from the core's record, not from the report:
    // the day's values are not in it.
    let json = serde_json::to_string(&list).unwrap();
    for value in ["201", "wikipedia"] {
        assert!(!json.contains(value), "{value} in the pending list: {json}");
    }
    // A failed attempt shows as retrying.
    t.clock.advance_ms(DAY_MS);
    let hush_core::upload::UploadTask::Upload(u) = h.next_upload().unwrap() else {
        panic!("an upload is due");
    };
    assert!(h
        .pending_uploads()
        .iter()
        .any(|p| p.state == hush_core::transparency::DeliveryState::Sending));
    h.upload_finished(&u.id, hush_core::upload::UploadResult::TransportError)
        .unwrap();
    assert!(h.pending_uploads().iter().any(|p| matches!(
        p.state,
        hush_core::transparency::DeliveryState::Retrying { attempts: 1, .. }
    )));
}
