//! P7 on a clock: every report leaves on its own random schedule. A day the
//! app seals promptly sends each report 10 minutes to 6 hours after it was
//! sealed (the first checkpoint after midnight); a day sealed late (the app was not running at midnight) spreads
//! its reports over the 24 hours after sealing, so the send times are not a
//! function of the app's next start; and however many reports are due, two
//! uploads never start within a random gap (1 to 15 minutes) of each other,
//! even across a restart, so arrival times do not group reports by device.

mod common;

use common::*;
use hush_core::clock::{Clock, UtcDay};
use hush_core::upload::{UploadRequest, UploadResult, UploadTask, Verdict};
use hush_core::Hush;

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;

fn now(h: &Harness) -> i64 {
    h.clock.now_ms()
}

fn record_something(hush: &mut Hush) {
    let tab = hush.open_tab(false).unwrap();
    let m = hush.metric("tabs.opened").unwrap();
    hush.add(tab, m, 2).unwrap();
}

/// The gateway's sealed 200 for `request`.
fn delivered(h: &Harness, request: &UploadRequest) -> UploadResult {
    let (_, response) = h.gateway.server.decapsulate(&request.body).unwrap();
    let message = ::bhttp::Message::response(::bhttp::StatusCode::OK);
    let mut bytes = Vec::new();
    message
        .write_bhttp(::bhttp::Mode::KnownLength, &mut bytes)
        .unwrap();
    UploadResult::Http {
        status: 200,
        body: response.encapsulate(&bytes).unwrap(),
        retry_after_ms: None,
    }
}

/// Runs the upload loop as the platform would, sleeping (on the test clock)
/// exactly as long as the core says; returns every upload's start time.
fn upload_everything(h: &Harness, hush: &mut Hush) -> Vec<i64> {
    let mut starts = Vec::new();
    loop {
        match hush.next_upload().unwrap() {
            UploadTask::Done => return starts,
            UploadTask::Wait(ms) => h.clock.advance_ms(ms as i64),
            UploadTask::Upload(r) => {
                starts.push(now(h));
                let answer = delivered(h, &r);
                assert_eq!(
                    hush.upload_finished(&r.id, answer).unwrap(),
                    Verdict::Delete
                );
            }
        }
        assert!(starts.len() <= 1_000, "runaway upload loop");
    }
}

#[test]
fn a_promptly_sealed_day_sends_each_report_at_its_own_time_within_six_hours() {
    let h = Harness::new();
    let mut hush = h.open();
    record_something(&mut hush);
    let day_end = UtcDay::of_ms(now(&h)).end_ms();
    h.clock.set_ms(day_end + 5 * MIN);
    let sealed = now(&h);
    hush.checkpoint().unwrap();
    let times: Vec<i64> = hush
        .outbox()
        .entries()
        .iter()
        .map(|m| m.not_before_ms)
        .collect();
    assert_eq!(times.len(), h.aggs.plan.tasks().len());
    for t in &times {
        assert!(
            (sealed + 10 * MIN..=sealed + 6 * HOUR).contains(t),
            "{}",
            t - sealed
        );
    }
    let mut distinct = times.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), times.len(), "two reports share a send time");
}

#[test]
fn a_backlog_after_days_offline_never_leaves_back_to_back() {
    let h = Harness::new();
    let mut hush = h.open();
    record_something(&mut hush);
    hush.checkpoint().unwrap();
    drop(hush);
    // The app does not run for five days; it starts again at 08:00.
    let day = UtcDay::of_ms(now(&h));
    h.clock.set_ms(day.start_ms() + 5 * 24 * HOUR + 8 * HOUR);
    let started = now(&h);
    let mut hush = h.open();
    hush.checkpoint().unwrap();
    let per_day = h.aggs.plan.tasks().len();
    assert_eq!(
        hush.outbox().entries().len(),
        5 * per_day,
        "the day and four idle days"
    );

    let starts = upload_everything(&h, &mut hush);
    assert_eq!(starts.len(), 5 * per_day, "everything was delivered");
    assert!(
        starts[0] >= started + 10 * MIN,
        "sent right at the app's start"
    );
    let gaps: Vec<i64> = starts.windows(2).map(|w| w[1] - w[0]).collect();
    let shortest = *gaps.iter().min().unwrap();
    assert!(shortest >= MIN, "two uploads {shortest} ms apart");
    // Spread over the day after the app's start, not bunched after it.
    let span = starts.last().unwrap() - starts[0];
    assert!(
        span > 18 * HOUR,
        "the backlog left within {} h",
        span / HOUR
    );
    assert!(*starts.last().unwrap() <= started + 24 * HOUR + 15 * MIN);
    // The gaps are drawn, not fixed.
    let mean = gaps.iter().sum::<i64>() as f64 / gaps.len() as f64;
    let var = gaps.iter().map(|g| (*g as f64 - mean).powi(2)).sum::<f64>() / gaps.len() as f64;
    assert!(var.sqrt() > MIN as f64, "gaps barely vary: {gaps:?}");
}

#[test]
fn late_send_times_are_not_a_function_of_the_app_start() {
    // Two devices with the same history that start at the same instant.
    let one = Harness::new();
    let two = Harness::new();
    let mut times = Vec::new();
    for h in [&one, &two] {
        let mut hush = h.open();
        record_something(&mut hush);
        hush.checkpoint().unwrap();
        drop(hush);
        let day = UtcDay::of_ms(now(h));
        h.clock.set_ms(day.end_ms() + 9 * HOUR);
        let mut hush = h.open();
        hush.checkpoint().unwrap();
        let start = now(h);
        let mut t: Vec<i64> = hush
            .outbox()
            .entries()
            .iter()
            .map(|m| m.not_before_ms - start)
            .collect();
        t.sort();
        for offset in &t {
            assert!((10 * MIN..=24 * HOUR).contains(offset), "{offset}");
        }
        times.push(t);
    }
    assert_ne!(
        times[0], times[1],
        "the same start gave the same send times"
    );
    assert_ne!(times[0][0], times[1][0]);
}

#[test]
fn the_gap_after_an_upload_survives_a_restart() {
    let h = Harness::new();
    let mut hush = h.open();
    record_something(&mut hush);
    let day_end = UtcDay::of_ms(now(&h)).end_ms();
    h.clock.set_ms(day_end + 5 * MIN);
    hush.checkpoint().unwrap();
    // Everything is due by now.
    h.clock.set_ms(day_end + 7 * HOUR);
    let UploadTask::Upload(first) = hush.next_upload().unwrap() else {
        panic!("due")
    };
    let sent_at = now(&h);
    hush.upload_finished(&first.id, delivered(&h, &first))
        .unwrap();
    let UploadTask::Wait(gap) = hush.next_upload().unwrap() else {
        panic!("the next upload left back to back")
    };
    assert!((MIN as u64..=15 * MIN as u64).contains(&gap), "{gap}");
    hush.checkpoint().unwrap();
    drop(hush);
    let mut hush = h.open();
    assert_eq!(
        hush.next_upload().unwrap(),
        UploadTask::Wait(gap),
        "a restart gave the gap back"
    );
    h.clock.set_ms(sent_at + gap as i64);
    assert!(matches!(hush.next_upload().unwrap(), UploadTask::Upload(_)));
}
