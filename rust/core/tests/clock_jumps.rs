//! A device clock that jumps, through the real `Hush` API and across
//! restarts: collection resumes on the first call after a correction, no
//! report is ever dated after the clock's day, what was recorded under a
//! clock that read a later day is dropped and counted, and no day gets two
//! sets of reports (README, "When the device clock is wrong").

mod common;

use std::collections::BTreeMap;

use common::{start_ms, Harness};
use hush_core::clock::{Clock, UtcDay};
use hush_core::history::SentOutcome;
use hush_core::report::{MetricValue, Report};
use hush_core::upload::{UploadResult, UploadTask};
use hush_core::{Hush, RecordError};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// What a dropped count in a sealed report can say at most (`hush.dropped`
/// clamps each value).
const MAX_DROPS: u64 = 63;

fn bookmarks(h: &mut Hush, n: u64) -> Result<(), RecordError> {
    let tab = h.open_tab(false).unwrap();
    let m = h.metric("bookmarks.added").unwrap();
    h.add(tab, m, n)
}

/// The bookmarks counted in the open window.
fn count(r: &Report) -> u64 {
    match r.metrics.get("bookmarks.added") {
        Some(MetricValue::Counter(n)) => *n,
        None => 0,
        Some(other) => panic!("{other:?}"),
    }
}

/// One sealed day: each task's values, as both aggregators together see them.
type Day = BTreeMap<String, Vec<u128>>;

/// The bookmarks counted in a sealed day.
fn sealed_count(t: &Harness, day: &Day) -> u128 {
    t.value(day, "bookmarks.added", "")
}

/// The reports a sealed day says were lost before it.
fn sealed_dropped(t: &Harness, day: &Day) -> u128 {
    t.value(day, "hush.dropped", "reports")
}

/// The reports one day becomes: one per task.
fn per_day(t: &Harness) -> u64 {
    t.aggs.plan.tasks().len() as u64
}

fn iso(ms: i64) -> String {
    UtcDay::of_ms(ms).iso()
}

/// A core whose clock starts at 08:00 of a day (returned), with `n`
/// bookmarks recorded on it.
fn started(n: u64) -> (Harness, i64, Hush) {
    let t = Harness::new();
    let today = t.clock.now_ms();
    let mut h = t.open();
    bookmarks(&mut h, n).unwrap();
    (t, today, h)
}

/// The open window is the day of `day_ms` and holds `n` bookmarks.
fn assert_open(h: &Hush, day_ms: i64, n: u64) -> Report {
    let open = h.pending_report();
    assert_eq!((open.day.as_str(), count(&open)), (iso(day_ms).as_str(), n));
    open
}

/// Every sealed report waiting in the outbox, by day: each day has one
/// report per task, no task twice (P14), and none is dated after the
/// clock's day.
fn sealed(t: &Harness, h: &Hush) -> BTreeMap<String, Day> {
    let today = iso(t.clock.now_ms());
    let days = t.pending_days(h);
    for (day, tasks) in &days {
        assert!(*day <= today, "sealed report dated {day} on {today}");
        assert_eq!(tasks.len() as u64, per_day(t), "{day}: not every task");
    }
    for m in h.outbox().entries() {
        assert!(m.day <= today, "pending report dated {} on {today}", m.day);
    }
    assert!(h.pending_report().day <= today, "open window in the future");
    days
}

/// The days from `from_ms`'s to `to_ms`'s, both included.
fn days(from_ms: i64, to_ms: i64) -> Vec<String> {
    (UtcDay::of_ms(from_ms).0..=UtcDay::of_ms(to_ms).0)
        .map(|d| UtcDay(d).iso())
        .collect()
}

#[test]
fn a_clock_that_ran_ahead_is_corrected_and_collection_resumes_at_once() {
    let (t, today, mut h) = started(2);
    let r = per_day(&t);
    // The clock jumps a month ahead: today's window closes and is sealed,
    // with a zero-valued day for each of the seven days before the wrong
    // one (P9), and a window for the wrong day records.
    t.clock.set_ms(today + 30 * DAY);
    bookmarks(&mut h, 5).unwrap();
    h.checkpoint().unwrap();
    let mut expected = vec![iso(today)];
    expected.extend(days(today + 23 * DAY, today + 29 * DAY));
    assert_eq!(sealed(&t, &h).into_keys().collect::<Vec<_>>(), expected);

    t.clock.set_ms(today + 10 * 60_000);
    bookmarks(&mut h, 1).unwrap();
    // The first call after the correction records into today.
    let open = assert_open(&h, today, 1);
    assert_eq!(open.dropped.reports, r, "the wrong day's window is counted");
    h.checkpoint().unwrap();
    // So are the idle days' reports, dated after today.
    assert_eq!(h.pending_report().dropped.reports, 8 * r);
    let reports = sealed(&t, &h);
    assert_eq!(reports.len(), 1);
    assert_eq!(
        sealed_count(&t, &reports[&iso(today)]),
        2,
        "the true day is kept"
    );
    // Their uploads were scheduled under the wrong clock: redrawn from now.
    let end = UtcDay::of_ms(today).end_ms();
    for meta in h.outbox().entries() {
        assert!(
            (end..=end + 6 * HOUR).contains(&meta.not_before_ms),
            "scheduled {} ms after the day's end",
            meta.not_before_ms - end
        );
    }

    // Today already has its reports: what is recorded for the rest of it
    // cannot be a second set. It is dropped and counted when the day ends.
    t.clock.set_ms(today + DAY);
    bookmarks(&mut h, 4).unwrap();
    assert_eq!(h.pending_report().dropped.reports, 9 * r);
    t.clock.set_ms(today + 2 * DAY);
    h.checkpoint().unwrap();
    let reports = sealed(&t, &h);
    assert_eq!(reports.len(), 2);
    let next = &reports[&iso(today + DAY)];
    assert_eq!(sealed_count(&t, next), 4);
    assert_eq!(
        sealed_dropped(&t, next),
        u128::from((9 * r).min(MAX_DROPS)),
        "the wrong day, then today's rest"
    );
}

#[test]
fn a_correction_before_the_day_was_sealed_loses_nothing_recorded_under_the_true_clock() {
    let (t, today, mut h) = started(2);
    t.clock.set_ms(today + 3 * DAY);
    bookmarks(&mut h, 5).unwrap();
    // Corrected before any checkpoint sealed today's window: it reopens,
    // and the idle days after it (nothing recorded) go uncounted.
    t.clock.set_ms(today + 60_000);
    bookmarks(&mut h, 1).unwrap();
    let open = assert_open(&h, today, 3);
    assert_eq!(open.dropped.reports, per_day(&t));
    assert!(h.closed_reports().is_empty());
    t.clock.set_ms(today + DAY);
    h.checkpoint().unwrap();
    let reports = sealed(&t, &h);
    assert_eq!(reports.len(), 1);
    assert_eq!(sealed_count(&t, &reports[&iso(today)]), 3);
}

#[test]
fn past_the_expiry_and_back_across_a_restart() {
    let (t, today, mut h) = started(2);
    let r = per_day(&t);
    // 2029-03-01: every metric of the shipped schema has expired.
    let wrong = UtcDay::parse_iso("2029-03-01").unwrap().start_ms() + 9 * HOUR;
    t.clock.set_ms(wrong);
    assert!(matches!(
        bookmarks(&mut h, 1),
        Err(RecordError::Expired { .. })
    ));
    // The checkpoint is written under the wrong clock ...
    h.checkpoint().unwrap();
    assert_eq!(sealed(&t, &h).len(), 8, "today and seven idle days");
    drop(h);

    // ... and read under the corrected one.
    t.clock.set_ms(today + HOUR);
    let mut h = t.open();
    bookmarks(&mut h, 1).expect("the first call records");
    let open = assert_open(&h, today, 1);
    assert!(
        open.errors.is_empty(),
        "expired errors of 2029: {:?}",
        open.errors
    );
    assert_eq!(open.dropped.reports, r);
    h.checkpoint().unwrap();
    // The idle days of 2029 are deleted unsent, and counted.
    let open = h.pending_report();
    assert_eq!(open.dropped.reports, 8 * r);
    drop(h);
    // A second start under the right clock changes nothing more.
    let mut h = t.open();
    assert_eq!(h.pending_report(), open);

    // Today's reports go out the next day, not in 2029.
    t.clock.set_ms(today + DAY);
    h.checkpoint().unwrap();
    let reports = sealed(&t, &h);
    assert_eq!(reports.keys().collect::<Vec<_>>(), vec![&iso(today)]);
    assert_eq!(sealed_count(&t, &reports[&iso(today)]), 2);
    let mut handed_out = false;
    for _ in 0..20 {
        match h.next_upload().unwrap() {
            UploadTask::Upload(_) => {
                handed_out = true;
                break;
            }
            UploadTask::Wait(ms) => {
                assert!(ms <= 7 * HOUR as u64, "waits {ms} ms");
                t.clock.advance_ms(ms as i64);
            }
            UploadTask::Done => break,
        }
    }
    assert!(handed_out);
    assert!(t.clock.now_ms() < today + DAY + 7 * HOUR);
}

#[test]
fn pending_reports_dated_after_the_corrected_day_are_deleted_and_counted_across_a_restart() {
    let (t, today, mut h) = started(1);
    let r = per_day(&t);
    // Ahead by ten days for three of its days, each closed and sealed.
    for d in 10..13 {
        t.clock.set_ms(today + d * DAY);
        bookmarks(&mut h, 10 + d as u64).unwrap();
        h.checkpoint().unwrap();
    }
    // Today, the seven idle days before the jump and two wrong days.
    assert_eq!(h.outbox().entries().len() as u64, 10 * r);
    drop(h);

    t.clock.set_ms(today + 2 * HOUR);
    let mut h = t.open();
    h.checkpoint().unwrap();
    let reports = sealed(&t, &h);
    assert_eq!(reports.keys().collect::<Vec<_>>(), vec![&iso(today)]);
    assert_eq!(sealed_count(&t, &reports[&iso(today)]), 1);
    // Nine sealed days and the open window of the wrong clock.
    assert_eq!(h.pending_report().dropped.reports, 10 * r);
    // No trace of the wrong days on disk.
    let wrong = days(today + 3 * DAY, today + 12 * DAY);
    for (path, bytes) in t.files() {
        for day in &wrong {
            assert!(!common::contains(&bytes, day), "{day} in {path:?}");
        }
    }
}

#[test]
fn jumps_over_midnight_and_back() {
    let t = Harness::new();
    let r = per_day(&t);
    let midnight = UtcDay::of_ms(t.clock.now_ms()).end_ms();
    t.clock.set_ms(midnight - 10 * 60_000);
    let mut h = t.open();
    bookmarks(&mut h, 1).unwrap();
    // Twenty minutes ahead, over midnight; sealed; then corrected.
    t.clock.set_ms(midnight + 10 * 60_000);
    bookmarks(&mut h, 2).unwrap();
    h.checkpoint().unwrap();
    t.clock.set_ms(midnight - 8 * 60_000);
    bookmarks(&mut h, 3).unwrap();
    assert_eq!(h.pending_report().day, iso(midnight - 1));
    h.checkpoint().unwrap();
    // The true midnight.
    t.clock.set_ms(midnight + 60_000);
    bookmarks(&mut h, 4).unwrap();
    t.clock.set_ms(midnight + DAY);
    h.checkpoint().unwrap();
    let reports = sealed(&t, &h);
    assert_eq!(reports.len(), 2);
    assert_eq!(sealed_count(&t, &reports[&iso(midnight - 1)]), 1);
    let next = &reports[&iso(midnight)];
    assert_eq!(
        sealed_count(&t, next),
        4,
        "the wrong clock's 2 is not in it"
    );
    assert_eq!(sealed_dropped(&t, next), u128::from(2 * r));
}

#[test]
fn a_step_back_of_seconds_after_midnight_keeps_the_finished_day() {
    let t = Harness::new();
    let r = per_day(&t);
    let midnight = UtcDay::of_ms(t.clock.now_ms()).end_ms();
    let mut h = t.open();
    bookmarks(&mut h, 6).unwrap();
    t.clock.set_ms(midnight + 1_000);
    h.checkpoint().unwrap();
    assert_eq!(h.outbox().entries().len() as u64, r);
    // NTP steps the clock back two seconds, over midnight.
    t.clock.set_ms(midnight - 1_000);
    bookmarks(&mut h, 1).unwrap();
    h.checkpoint().unwrap();
    assert_eq!(
        h.outbox().entries().len() as u64,
        r,
        "the finished day was deleted"
    );
    t.clock.set_ms(midnight + 2_000);
    bookmarks(&mut h, 2).unwrap();
    t.clock.set_ms(midnight + DAY);
    h.checkpoint().unwrap();
    let reports = sealed(&t, &h);
    assert_eq!(sealed_count(&t, &reports[&iso(midnight - 1)]), 6);
    let next = &reports[&iso(midnight)];
    assert_eq!(
        (sealed_count(&t, next), sealed_dropped(&t, next)),
        (2, u128::from(r))
    );
}

#[test]
fn a_clock_behind_the_open_day_is_believed_and_corrected_forward() {
    let (t, today, mut h) = started(1);
    let r = per_day(&t);
    t.clock.set_ms(today + DAY);
    bookmarks(&mut h, 2).unwrap();
    h.checkpoint().unwrap();
    let yesterday = today;
    let today = today + DAY;
    // Set back by hand a week (still after the floor): Hush cannot tell
    // this from a correction, so it believes the clock.
    t.clock.set_ms(today - 7 * DAY);
    bookmarks(&mut h, 3).unwrap();
    assert_eq!(h.pending_report().day, iso(today - 7 * DAY));
    h.checkpoint().unwrap();
    assert!(
        sealed(&t, &h).is_empty(),
        "a report dated after the clock's day"
    );
    drop(h);
    // Corrected forward at a restart: collection resumes on the first call.
    t.clock.set_ms(today + HOUR);
    let mut h = t.open();
    bookmarks(&mut h, 4).unwrap();
    assert_open(&h, today, 4);
    h.checkpoint().unwrap();
    // The day the clock read, then the idle days up to yesterday (P9).
    let reports = sealed(&t, &h);
    assert_eq!(
        reports.keys().cloned().collect::<Vec<_>>(),
        days(today - 7 * DAY, yesterday)
    );
    let week_ago = &reports[&iso(today - 7 * DAY)];
    assert_eq!(sealed_count(&t, week_ago), 3);
    // Yesterday's reports and today's window before the jump, counted.
    assert_eq!(sealed_dropped(&t, week_ago), u128::from(2 * r));
    // Yesterday's deleted reports do not come back: its day is an idle one.
    assert_eq!(sealed_count(&t, &reports[&iso(yesterday)]), 0);
}

#[test]
fn a_clock_that_lost_its_time_changes_nothing_until_it_is_set() {
    let (t, today, mut h) = started(1);
    let r = per_day(&t);
    t.clock.set_ms(today + DAY);
    bookmarks(&mut h, 2).unwrap();
    h.checkpoint().unwrap();
    let before = t.files();
    // A phone that lost its time boots at 1970, or at its build date.
    for wrong in [0, UtcDay::parse_iso("2024-06-01").unwrap().start_ms()] {
        t.clock.set_ms(wrong);
        drop(h);
        h = t.open();
        bookmarks(&mut h, 3).unwrap();
        let open = h.pending_report();
        assert_eq!(open.day, iso(today + DAY), "the open window stays");
        assert_eq!(open.dropped.reports, 0);
        h.checkpoint().unwrap();
        assert_eq!(
            h.outbox().entries().len() as u64,
            r,
            "yesterday's reports kept"
        );
    }
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        t.files().keys().collect::<Vec<_>>()
    );
    t.clock.set_ms(today + 2 * DAY);
    h.checkpoint().unwrap();
    let reports = sealed(&t, &h);
    assert_eq!(sealed_count(&t, &reports[&iso(today)]), 1);
    assert_eq!(sealed_count(&t, &reports[&iso(today + DAY)]), 2 + 3 + 3);
}

#[test]
fn a_window_opened_under_a_clock_that_lost_its_time_is_never_sealed() {
    let t = Harness::new();
    t.clock.set_ms(0);
    let mut h = t.open();
    bookmarks(&mut h, 5).unwrap();
    assert_eq!(h.pending_report().day, "1970-01-01");
    h.checkpoint().unwrap();
    t.clock.set_ms(start_ms());
    bookmarks(&mut h, 1).unwrap();
    h.checkpoint().unwrap();
    // Nor are idle days made up before the day the clock was set.
    assert!(sealed(&t, &h).is_empty(), "a report dated 1970");
    let open = assert_open(&h, start_ms(), 1);
    assert_eq!(open.dropped.reports, per_day(&t));
}

#[test]
fn an_attempted_report_of_a_wrong_day_stays_in_the_record_when_it_is_deleted() {
    let (t, today, mut h) = started(1);
    // Ahead by two days: today and the idle day after it are sealed, and
    // their uploads are tried (and fail, no answer) under the wrong clock.
    t.clock.set_ms(today + 2 * DAY + 7 * HOUR);
    h.checkpoint().unwrap();
    let wrong_day = iso(today + DAY);
    let mut attempted_wrong = 0;
    for _ in 0..200 {
        match h.next_upload().unwrap() {
            UploadTask::Upload(r) => {
                let day = h
                    .outbox()
                    .entries()
                    .iter()
                    .find(|m| m.id == r.id)
                    .map(|m| m.day.clone())
                    .unwrap();
                if day == wrong_day {
                    attempted_wrong += 1;
                }
                h.upload_finished(&r.id, UploadResult::TransportError)
                    .unwrap();
            }
            // Each report draws its own send time, up to a day after the
            // seal (P7): wait for it, however far, within the 200 rounds.
            UploadTask::Wait(ms) if ms <= 2 * DAY as u64 => t.clock.advance_ms(ms as i64),
            _ => break,
        }
        if attempted_wrong >= 2 {
            break;
        }
    }
    assert!(attempted_wrong > 0, "no report of {wrong_day} was tried");

    // The clock is set back: the wrong day's reports are deleted and
    // counted, and the record says how the attempted ones ended, so that
    // day is not reported again when it comes (one may have arrived).
    t.clock.set_ms(today + 8 * HOUR);
    h.checkpoint().unwrap();
    assert!(h.outbox().entries().iter().all(|m| m.day != wrong_day));
    let ended: Vec<_> = h
        .sent_history()
        .iter()
        .filter(|r| r.day == wrong_day)
        .collect();
    assert_eq!(ended.len(), 1, "{ended:?}");
    assert_eq!(ended[0].outcome, SentOutcome::GaveUp);
    assert!(ended[0].attempts >= attempted_wrong);
}
