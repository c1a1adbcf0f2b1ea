//! `Hush::next_upload` / `upload_finished` against Mozilla's `ohttp` gateway
//! answering with real sealed responses: the policy's unit tests cover the
//! pure decisions; these cover what the core does with an actual answer
//! (the inner status decides, an answer that does not open keeps the report,
//! retry state survives a restart, nothing is handed out twice).
//!
//! A closed day is one report per task; to follow one report's life, each
//! test keeps one of them (`tabs.opened`'s) and deletes the others' files
//! before the core reopens, which forgets them as it would a lost file.

mod common;

use std::sync::Arc;

use common::*;
use hush_core::history::SentOutcome;
use hush_core::ohttp::KeyConfigs;
use hush_core::upload::{Answer, UploadRequest, UploadResult, UploadTask, Verdict};
use hush_core::Hush;

/// A core sealing to `keys` (another harness's gateway, for a foreign answer).
fn open_with(h: &Harness, keys: &[u8]) -> Hush {
    let mut c = h.config();
    c.keys = KeyConfigs::parse(keys).unwrap();
    Hush::open(c).unwrap()
}

/// Records one counter on today's window and closes it; of the day's
/// reports only `tabs.opened`'s is kept (see the module docs).
fn pending_report(h: &Harness, hush: &mut Hush, n: u64) {
    pending_report_with(h, hush, n, || h.open());
}

/// [`pending_report`] for a core that `reopen` opens again.
fn pending_report_with(h: &Harness, hush: &mut Hush, n: u64, reopen: impl Fn() -> Hush) {
    let before: Vec<String> = hush
        .outbox()
        .entries()
        .iter()
        .map(|m| m.id.clone())
        .collect();
    let tab = hush.open_tab(false).unwrap();
    let m = hush.metric("tabs.opened").unwrap();
    hush.add(tab, m, n).unwrap();
    // Five minutes into the next day: the background checkpoint of a running
    // app seals the day promptly.
    let now = hush_core::clock::Clock::now_ms(&h.clock);
    h.clock
        .set_ms(hush_core::clock::UtcDay::of_ms(now).end_ms() + 5 * 60_000);
    hush.checkpoint().unwrap();
    let new: Vec<_> = hush
        .outbox()
        .entries()
        .iter()
        .filter(|m| !before.contains(&m.id))
        .cloned()
        .collect();
    assert_eq!(new.len(), h.aggs.plan.tasks().len(), "one report per task");
    for m in new.iter().filter(|m| m.task != "tabs.opened") {
        std::fs::remove_file(h.path().join("pending").join(format!("{}.ohttp", m.id))).unwrap();
    }
    let _ = std::mem::replace(hush, reopen());
    assert_eq!(hush.outbox().entries().len(), before.len() + 1);
}

/// Waits (on the test clock) until an upload is handed out.
fn due(h: &Harness, hush: &mut Hush) -> UploadRequest {
    for _ in 0..100 {
        match hush.next_upload().unwrap() {
            UploadTask::Upload(r) => return r,
            UploadTask::Wait(ms) => h.clock.advance_ms(ms as i64),
            UploadTask::Done => panic!("nothing pending"),
        }
    }
    panic!("never due")
}

/// The gateway's sealed answer to `request` with `inner_status`.
fn answer(server: &::ohttp::Server, request: &UploadRequest, inner_status: u16) -> UploadResult {
    let (_, response) = server.decapsulate(&request.body).unwrap();
    let message = ::bhttp::Message::response(::bhttp::StatusCode::try_from(inner_status).unwrap());
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

#[test]
fn a_sealed_inner_200_deletes_the_report() {
    let h = Harness::new();
    let server = &h.gateway.server;
    let mut hush = h.open();
    pending_report(&h, &mut hush, 3);
    let request = due(&h, &mut hush);
    assert_eq!(
        request.headers,
        [("content-type".to_string(), "message/ohttp-req".to_string())]
    );
    let result = answer(server, &request, 200);
    assert_eq!(
        hush.upload_finished(&request.id, result).unwrap(),
        Verdict::Delete
    );
    assert!(hush.outbox().entries().is_empty());
    assert_eq!(hush.next_upload().unwrap(), UploadTask::Done);
    assert!(!files_under(h.path())
        .keys()
        .any(|p| p.to_string_lossy().ends_with(".ohttp")));
}

#[test]
fn a_sealed_inner_400_drops_and_counts_even_under_an_outer_200() {
    let h = Harness::new();
    let server = &h.gateway.server;
    let mut hush = h.open();
    pending_report(&h, &mut hush, 1);
    let request = due(&h, &mut hush);
    let result = answer(server, &request, 400);
    assert_eq!(
        hush.upload_finished(&request.id, result).unwrap(),
        Verdict::Drop
    );
    assert!(hush.outbox().entries().is_empty());
    assert_eq!(hush.pending_report().dropped.rejected_uploads, 1);
}

#[test]
fn an_answer_that_does_not_open_keeps_the_report() {
    let h = Harness::new();
    let server = &h.gateway.server;
    let mut hush = h.open();
    pending_report(&h, &mut hush, 1);

    // Inner 500: retry.
    let first = due(&h, &mut hush);
    let sealed_500 = answer(server, &first, 500);
    assert!(matches!(
        hush.upload_finished(&first.id, sealed_500).unwrap(),
        Verdict::RetryAt(_)
    ));
    // An outer 200 that is not a sealed answer (a captive portal, a proxy's page).
    let second = due(&h, &mut hush);
    assert_eq!(second.id, first.id);
    assert_eq!(second.body, first.body, "the same sealed bytes are re-sent");
    let portal = UploadResult::Http {
        status: 200,
        body: b"<html>Welcome to the hotel wifi</html>".to_vec(),
        retry_after_ms: None,
    };
    assert!(matches!(
        hush.upload_finished(&second.id, portal).unwrap(),
        Verdict::RetryAt(_)
    ));
    // A genuine sealed 200, but for another request (a replayed answer).
    let oh = Harness::new();
    let mut other = open_with(&oh, &h.gateway.keys);
    pending_report_with(&oh, &mut other, 1, || open_with(&oh, &h.gateway.keys));
    let foreign = due(&oh, &mut other);
    let third = due(&h, &mut hush);
    let replayed = answer(server, &foreign, 200);
    assert!(matches!(
        hush.upload_finished(&third.id, replayed).unwrap(),
        Verdict::RetryAt(_)
    ));
    assert_eq!(hush.outbox().entries().len(), 1);
    assert_eq!(hush.outbox().entries()[0].attempts, 3);
    // And finally delivered.
    let fourth = due(&h, &mut hush);
    let ok = answer(server, &fourth, 200);
    assert_eq!(
        hush.upload_finished(&fourth.id, ok).unwrap(),
        Verdict::Delete
    );
}

#[test]
fn retry_after_survives_a_restart() {
    let h = Harness::new();
    let mut hush = h.open();
    pending_report(&h, &mut hush, 1);
    let request = due(&h, &mut hush);
    let busy = UploadResult::Http {
        status: 503,
        body: Vec::new(),
        retry_after_ms: Some(2 * 3_600_000),
    };
    let now = hush_core::clock::Clock::now_ms(&h.clock);
    let Verdict::RetryAt(at) = hush.upload_finished(&request.id, busy).unwrap() else {
        panic!("503 is retried")
    };
    assert!(at >= now + 2 * 3_600_000);
    hush.checkpoint().unwrap();
    drop(hush);

    let mut hush = h.open();
    match hush.next_upload().unwrap() {
        UploadTask::Wait(ms) => assert_eq!(ms as i64, at - now),
        other => panic!("due too early after restart: {other:?}"),
    }
    assert_eq!(hush.outbox().entries()[0].attempts, 1);
}

#[test]
fn the_hourly_upload_quota_survives_a_restart() {
    let h = Harness::new();
    let config = || {
        let mut c = h.config();
        c.upload_policy.max_uploads_per_hour = 1;
        c.upload_delay = hush_core::UploadDelay {
            min_ms: 60_000,
            max_ms: 60_000,
            late_max_ms: 60_000,
        };
        c
    };
    let mut hush = Hush::open(config()).unwrap();
    pending_report_with(&h, &mut hush, 1, || Hush::open(config()).unwrap());
    pending_report_with(&h, &mut hush, 2, || Hush::open(config()).unwrap());
    assert_eq!(hush.outbox().entries().len(), 2);
    let first = due(&h, &mut hush);
    let delivered = answer(&h.gateway.server, &first, 200);
    assert_eq!(
        hush.upload_finished(&first.id, delivered).unwrap(),
        Verdict::Delete
    );
    // The second report is due, but the quota is spent for the next hour ...
    let UploadTask::Wait(before) = hush.next_upload().unwrap() else {
        panic!("quota of one upload per hour ignored")
    };
    assert!(before > 3_500_000, "{before}");
    hush.checkpoint().unwrap();
    drop(hush);
    // ... and a restart does not give it back.
    let mut hush = Hush::open(config()).unwrap();
    assert_eq!(hush.next_upload().unwrap(), UploadTask::Wait(before));
    h.clock.advance_ms(before as i64);
    let UploadTask::Upload(second) = hush.next_upload().unwrap() else {
        panic!("due once the hour is over")
    };

    // A start counts even when the process dies before the answer: the next
    // checkpoint holds it, and after a restart the quota is still spent.
    hush.checkpoint().unwrap();
    drop(hush);
    let mut hush = Hush::open(config()).unwrap();
    assert!(
        matches!(hush.next_upload().unwrap(), UploadTask::Wait(ms) if ms > 3_500_000),
        "an upload started before a crash was forgotten by the quota"
    );
    assert_eq!(hush.outbox().entries()[0].id, second.id, "still pending");
}

#[test]
fn a_report_in_flight_is_not_handed_out_twice() {
    let h = Harness::new();
    let server = &h.gateway.server;
    let mut hush = h.open();
    pending_report(&h, &mut hush, 1);
    pending_report(&h, &mut hush, 2);
    let a = due(&h, &mut hush);
    let b = due(&h, &mut hush);
    assert_ne!(a.id, b.id);
    assert!(matches!(hush.next_upload().unwrap(), UploadTask::Done));
    // Out of order is fine.
    let rb = answer(server, &b, 200);
    assert_eq!(hush.upload_finished(&b.id, rb).unwrap(), Verdict::Delete);
    let ra = answer(server, &a, 200);
    assert_eq!(hush.upload_finished(&a.id, ra).unwrap(), Verdict::Delete);
    // Finishing twice, or an id never handed out, changes nothing.
    let again = answer(server, &a, 200);
    assert_eq!(hush.upload_finished(&a.id, again).unwrap(), Verdict::Drop);
    assert_eq!(
        hush.upload_finished(
            "0123456789abcdef0123456789abcdef",
            UploadResult::TransportError
        )
        .unwrap(),
        Verdict::Drop
    );
    assert!(hush.pending_report().dropped.is_empty());
}

#[test]
fn consent_withdrawn_during_an_upload_keeps_nothing() {
    let h = Harness::new();
    let server = &h.gateway.server;
    let mut hush = h.open();
    pending_report(&h, &mut hush, 1);
    let request = due(&h, &mut hush);
    hush.set_collection_enabled(false).unwrap();
    let result = answer(server, &request, 200);
    assert_eq!(
        hush.upload_finished(&request.id, result).unwrap(),
        Verdict::Drop
    );
    assert!(hush.outbox().entries().is_empty());
    assert!(
        files_under(h.path()).is_empty(),
        "{:?}",
        files_under(h.path()).keys()
    );
    assert_eq!(hush.next_upload().unwrap(), UploadTask::Done);
}

/// The gateway's sealed answer, written by Mozilla's `bhttp` in `mode`, with
/// `headers` and zero padding to `pad_to` bytes.
fn sealed(
    server: &::ohttp::Server,
    request: &UploadRequest,
    inner_status: u16,
    mode: ::bhttp::Mode,
    headers: &[(&str, &str)],
    pad_to: usize,
) -> UploadResult {
    let (_, response) = server.decapsulate(&request.body).unwrap();
    let mut message =
        ::bhttp::Message::response(::bhttp::StatusCode::try_from(inner_status).unwrap());
    for (n, v) in headers {
        message.put_header(*n, *v);
    }
    message.write_content(b"reason");
    let mut bytes = Vec::new();
    message.write_bhttp(mode, &mut bytes).unwrap();
    if bytes.len() < pad_to {
        bytes.resize(pad_to, 0);
    }
    UploadResult::Http {
        status: 200,
        body: response.encapsulate(&bytes).unwrap(),
        retry_after_ms: None,
    }
}

fn outer(status: u16, body: &[u8]) -> UploadResult {
    UploadResult::Http {
        status,
        body: body.to_vec(),
        retry_after_ms: None,
    }
}

const KEY_PROBLEM: &str = r#"{"type":"https://iana.org/assignments/http-problem-types#ohttp-key","title":"key identifier unknown"}"#;

/// What one attempt should leave behind.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Kept for a later attempt, recorded as retrying with this answer.
    Retry(Answer),
    /// Deleted as delivered.
    Delivered,
    /// Deleted and counted as rejected, recorded with this outcome.
    Ended(SentOutcome, Answer),
}

/// P16 through the real core path: one pending report, one answer, and
/// everything that follows from it (verdict, file, counters, the record).
/// Then, for a kept report, the same sealed bytes go out again and a
/// sealed 200 delivers them.
fn attempt(make: impl Fn(&::ohttp::Server, &UploadRequest) -> UploadResult, expect: Expect) {
    let h = Harness::new();
    let server = &h.gateway.server;
    let mut hush = h.open();
    pending_report(&h, &mut hush, 1);
    let request = due(&h, &mut hush);
    let day = hush.outbox().entries()[0].day.clone();
    let verdict = hush
        .upload_finished(&request.id, make(server, &request))
        .unwrap();
    let dropped = hush.pending_report().dropped;
    if let Expect::Retry(answer) = expect {
        // Still trying: the outbox holds its attempts and last answer; the
        // record of what was sent has nothing yet.
        assert!(hush.sent_history().is_empty(), "{expect:?}");
        assert!(
            matches!(verdict, Verdict::RetryAt(_)),
            "{expect:?}: {verdict:?}"
        );
        assert_eq!(hush.outbox().entries().len(), 1, "{expect:?}");
        let meta = &hush.outbox().entries()[0];
        assert_eq!((meta.attempts, meta.last_answer), (1, Some(answer)));
        let listed = &hush.pending_uploads()[0];
        assert!(matches!(
            listed.state,
            hush_core::transparency::DeliveryState::Retrying {
                attempts: 1,
                last_answer: Some(a),
                ..
            } if a == answer
        ));
    }
    let record = hush.sent_history().last().cloned();
    match expect {
        Expect::Retry(_) => {
            assert!(dropped.is_empty(), "{expect:?}: {dropped:?}");
            let again = due(&h, &mut hush);
            assert_eq!((&again.id, &again.body), (&request.id, &request.body));
            let ok = answer_200(server, &again);
            assert_eq!(
                hush.upload_finished(&again.id, ok).unwrap(),
                Verdict::Delete
            );
            let record = hush.sent_history().last().unwrap();
            assert_eq!(
                (
                    record.day.as_str(),
                    record.outcome,
                    record.reports,
                    record.attempts
                ),
                (day.as_str(), SentOutcome::Delivered, 1, 2)
            );
            assert_eq!(hush.sent_history().len(), 1, "one record");
        }
        Expect::Delivered => {
            let record = record.expect("recorded");
            assert_eq!(verdict, Verdict::Delete, "{expect:?}");
            assert!(hush.outbox().entries().is_empty());
            assert_eq!(
                (record.day, record.outcome, record.attempts),
                (day, SentOutcome::Delivered, 1)
            );
            assert!(dropped.is_empty());
        }
        Expect::Ended(outcome, answer) => {
            let record = record.expect("recorded");
            assert_eq!(verdict, Verdict::Drop, "{expect:?}");
            assert!(hush.outbox().entries().is_empty());
            assert_eq!(
                (
                    record.day,
                    record.outcome,
                    record.attempts,
                    record.last_answer
                ),
                (day, outcome, 1, Some(answer))
            );
            assert_eq!(dropped.rejected_uploads, 1, "{expect:?}");
        }
    }
}

fn answer_200(server: &::ohttp::Server, request: &UploadRequest) -> UploadResult {
    answer(server, request, 200)
}

/// Every outer status a relay or gateway can answer keeps the report: only
/// the RFC 9458 key problem ends it without a sealed answer.
#[test]
fn outer_errors_never_end_a_report() {
    for status in [
        301, 302, 307, 400, 401, 403, 404, 405, 406, 408, 409, 410, 413, 415, 421, 422, 429, 500,
        501, 502, 503, 504, 599,
    ] {
        attempt(
            |_, _| outer(status, b"<html>error</html>"),
            Expect::Retry(Answer::Outer { status }),
        );
    }
    // A 400 with a problem document of another type is not the key problem.
    attempt(
        |_, _| outer(400, br#"{"type":"about:blank","title":"bad request"}"#),
        Expect::Retry(Answer::Outer { status: 400 }),
    );
    attempt(
        |_, _| UploadResult::TransportError,
        Expect::Retry(Answer::Network),
    );
}

/// An outer 2xx is only as good as its body: it must be the collector's
/// sealed answer to this very request.
#[test]
fn an_outer_success_that_does_not_open_keeps_the_report() {
    for status in [200, 201, 204] {
        attempt(|_, _| outer(status, b""), Expect::Retry(Answer::Unreadable));
        attempt(
            |_, _| outer(status, b"<html>Welcome to the hotel wifi</html>"),
            Expect::Retry(Answer::Unreadable),
        );
    }
    // The key problem's body under a 200.
    attempt(
        |_, _| outer(200, KEY_PROBLEM.as_bytes()),
        Expect::Retry(Answer::Unreadable),
    );
    // A sealed answer cut short, or with a flipped byte.
    for damage in [0usize, 1, 2] {
        attempt(
            move |server, request| {
                let UploadResult::Http { mut body, .. } = answer_200(server, request) else {
                    unreachable!()
                };
                match damage {
                    0 => body.truncate(body.len() - 1),
                    1 => body[20] ^= 1,
                    _ => body.truncate(10),
                }
                outer(200, &body)
            },
            Expect::Retry(Answer::Unreadable),
        );
    }
}

#[test]
fn the_key_problem_ends_a_report() {
    attempt(
        |_, _| outer(400, KEY_PROBLEM.as_bytes()),
        Expect::Ended(SentOutcome::KeyUnknown, Answer::KeyProblem),
    );
}

/// The collector's sealed answer decides, in either Binary HTTP framing and
/// with padding.
#[test]
fn sealed_answers_decide() {
    use ::bhttp::Mode::{IndeterminateLength, KnownLength};
    for mode in [KnownLength, IndeterminateLength] {
        for pad in [0, 512] {
            for status in [200, 201, 202, 204] {
                attempt(
                    |s, r| sealed(s, r, status, mode, &[], pad),
                    Expect::Delivered,
                );
            }
            for status in [400, 409, 410, 413, 422] {
                attempt(
                    |s, r| sealed(s, r, status, mode, &[], pad),
                    Expect::Ended(SentOutcome::Refused, Answer::Sealed { status }),
                );
            }
            // Busy, or the sealed request did not reach a report target
            // that takes it (a gateway-to-target misconfiguration).
            for status in [301, 401, 403, 404, 405, 408, 415, 421, 429, 500, 502, 503] {
                attempt(
                    |s, r| sealed(s, r, status, mode, &[], pad),
                    Expect::Retry(Answer::Sealed { status }),
                );
            }
        }
    }
}

#[test]
fn a_retry_after_inside_the_sealed_answer_is_honoured() {
    let h = Harness::new();
    let mut hush = h.open();
    pending_report(&h, &mut hush, 1);
    let request = due(&h, &mut hush);
    let now = hush_core::clock::Clock::now_ms(&h.clock);
    let busy = sealed(
        &h.gateway.server,
        &request,
        503,
        ::bhttp::Mode::KnownLength,
        &[("retry-after", "7200")],
        0,
    );
    let Verdict::RetryAt(at) = hush.upload_finished(&request.id, busy).unwrap() else {
        panic!("a sealed 503 is retried")
    };
    assert!(at >= now + 2 * 3_600_000, "{}", at - now);
}

/// A relay that is down for weeks uses up no retry budget: the report is
/// kept until its day is too old for the collector (40 days), then given up.
#[test]
fn a_long_outage_keeps_the_report_until_its_day_expires() {
    let h = Harness::new();
    let mut hush = h.open();
    pending_report(&h, &mut hush, 1);
    let day = hush_core::clock::UtcDay::parse_iso(&hush.outbox().entries()[0].day).unwrap();
    let mut attempts = 0;
    loop {
        let request = due(&h, &mut hush);
        attempts += 1;
        let verdict = hush.upload_finished(&request.id, outer(404, b"")).unwrap();
        let today = hush_core::clock::UtcDay::of_ms(hush_core::clock::Clock::now_ms(&h.clock));
        if today.0 - day.0 <= 40 {
            assert!(
                matches!(verdict, Verdict::RetryAt(_)),
                "day {}",
                today.0 - day.0
            );
            continue;
        }
        assert_eq!(verdict, Verdict::Drop);
        break;
    }
    assert!(attempts > 16, "{attempts} attempts in 40 days");
    let record = hush.sent_history().last().unwrap();
    assert_eq!(
        (record.outcome, record.attempts, record.last_answer),
        (
            SentOutcome::GaveUp,
            attempts,
            Some(Answer::Outer { status: 404 })
        )
    );
    assert_eq!(hush.pending_report().dropped.reports, 1);
    assert_eq!(hush.pending_report().dropped.rejected_uploads, 0);
}

#[test]
fn uploads_wait_for_the_random_delay_after_the_window_closes() {
    let h = Harness::new();
    let mut hush = h.open();
    pending_report(&h, &mut hush, 1);
    let now = hush_core::clock::Clock::now_ms(&h.clock);
    let UploadTask::Wait(ms) = hush.next_upload().unwrap() else {
        panic!("uploaded at event time")
    };
    let not_before = hush.outbox().entries()[0].not_before_ms;
    assert_eq!(ms as i64, not_before - now);
    // UploadDelay's default: 10 minutes to 6 hours after the checkpoint that
    // sealed it, five minutes after midnight (upload_timing.rs has the rest).
    assert!(
        (now + 10 * 60_000..=now + 6 * 3_600_000).contains(&not_before),
        "{}",
        not_before - now
    );
}

#[test]
fn after_a_restart_the_same_bytes_are_resent_and_the_answer_still_opens() {
    let h = Harness::new();
    let mut hush = h.open();
    pending_report(&h, &mut hush, 1);
    let first = due(&h, &mut hush);
    let verdict = hush
        .upload_finished(&first.id, UploadResult::TransportError)
        .unwrap();
    assert!(matches!(verdict, Verdict::RetryAt(_)));
    hush.checkpoint().unwrap();
    drop(hush);
    let mut hush = h.open();
    let again = due(&h, &mut hush);
    assert_eq!(again.body, first.body);
    // The response opener was kept on disk beside the ciphertext.
    let ok = answer(&h.gateway.server, &again, 200);
    assert_eq!(
        hush.upload_finished(&again.id, ok).unwrap(),
        Verdict::Delete
    );
}

/// P13: the user can see what became of each day's report; the record
/// survives a restart and goes with everything else when collection is off.
#[test]
fn the_record_of_what_was_sent() {
    use hush_core::history::SentOutcome::{Delivered, GaveUp, Refused};
    let h = Harness::new();
    let mut hush = h.open();
    let server = &h.gateway.server;
    let outcomes = [(200, Delivered), (400, Refused), (0, GaveUp)];
    let mut days = Vec::new();
    for (status, _) in outcomes {
        pending_report(&h, &mut hush, 1);
        let r = due(&h, &mut hush);
        days.push(
            hush.outbox()
                .entries()
                .iter()
                .find(|m| m.id == r.id)
                .unwrap()
                .day
                .clone(),
        );
        let result = if status == 0 {
            // Failing on, until its day is too old for the collector.
            h.clock.advance_ms(41 * 24 * 3_600_000);
            UploadResult::TransportError
        } else {
            answer(server, &r, status)
        };
        hush.upload_finished(&r.id, result).unwrap();
    }
    let expected: Vec<_> = days
        .iter()
        .cloned()
        .zip(outcomes.iter().map(|o| o.1))
        .collect();
    let seen = |hush: &Hush| -> Vec<_> {
        hush.sent_history()
            .iter()
            .map(|s| (s.day.clone(), s.outcome))
            .collect()
    };
    assert_eq!(seen(&hush), expected);
    assert_eq!(days[0], "2026-11-21");
    hush.checkpoint().unwrap();
    drop(hush);
    let mut hush = h.open();
    assert_eq!(seen(&hush), expected, "the record survives a restart");
    hush.set_collection_enabled(false).unwrap();
    assert!(hush.sent_history().is_empty());
}

/// Fails reads of pending files while `failing` is set (a busy or
/// unreadable storage), and is the real file system otherwise.
struct FlakyReads {
    failing: std::sync::atomic::AtomicBool,
}

impl hush_core::store::Fs for FlakyReads {
    fn write_synced(&self, path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
        hush_core::store::RealFs.write_synced(path, bytes)
    }
    fn rename(&self, from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
        hush_core::store::RealFs.rename(from, to)
    }
    fn sync_dir(&self, dir: &std::path::Path) -> std::io::Result<()> {
        hush_core::store::RealFs.sync_dir(dir)
    }
    fn read(&self, path: &std::path::Path) -> std::io::Result<Vec<u8>> {
        let pending = path.extension().is_some_and(|e| e == "ohttp");
        if pending && self.failing.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        }
        hush_core::store::RealFs.read(path)
    }
    fn remove(&self, path: &std::path::Path) -> std::io::Result<()> {
        hush_core::store::RealFs.remove(path)
    }
    fn list(&self, dir: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
        hush_core::store::RealFs.list(dir)
    }
    fn create_dir_all(&self, dir: &std::path::Path) -> std::io::Result<()> {
        hush_core::store::RealFs.create_dir_all(dir)
    }
}

/// A pending file that cannot be read right now is kept and tried later (no
/// attempt counted); one whose content is damaged is deleted, counted and
/// recorded as damaged.
#[test]
fn an_unreadable_pending_file_waits_and_a_damaged_one_is_recorded() {
    use std::sync::atomic::Ordering::SeqCst;
    let h = Harness::new();
    let fs = Arc::new(FlakyReads {
        failing: false.into(),
    });
    let mut hush = h.open_with_fs(fs.clone()).unwrap();
    pending_report_with(&h, &mut hush, 1, || h.open_with_fs(fs.clone()).unwrap());
    let not_before = hush.outbox().entries()[0].not_before_ms;
    h.clock
        .advance_ms(not_before - hush_core::clock::Clock::now_ms(&h.clock));
    fs.failing.store(true, SeqCst);
    assert!(matches!(hush.next_upload().unwrap(), UploadTask::Wait(_)));
    let meta = &hush.outbox().entries()[0];
    assert_eq!(meta.attempts, 0);
    assert!(meta.not_before_ms > not_before, "put off");
    assert!(hush.pending_report().dropped.is_empty());
    fs.failing.store(false, SeqCst);
    let request = due(&h, &mut hush);
    assert_eq!(
        hush.upload_finished(&request.id, answer_200(&h.gateway.server, &request))
            .unwrap(),
        Verdict::Delete
    );

    // Damaged on disk: the envelope's checksum fails.
    pending_report_with(&h, &mut hush, 2, || h.open_with_fs(fs.clone()).unwrap());
    let id = hush.outbox().entries()[0].id.clone();
    let path = h.path().join("pending").join(format!("{id}.ohttp"));
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&path, bytes).unwrap();
    h.clock.advance_ms(7 * 3_600_000);
    assert_eq!(hush.next_upload().unwrap(), UploadTask::Done);
    assert!(!path.exists());
    assert_eq!(hush.pending_report().dropped.reports, 1);
    assert_eq!(
        hush.sent_history().last().unwrap().outcome,
        SentOutcome::Damaged
    );
}
