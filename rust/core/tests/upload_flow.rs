//! `Hush::next_upload` / `upload_finished` against Mozilla's `ohttp` gateway
//! answering with real sealed responses: the policy's unit tests cover the
//! pure decisions; these cover what the core does with an actual answer
//! (the inner status decides, an answer that does not open keeps the report,
//! retry state survives a restart, nothing is handed out twice).

mod common;

use common::*;
use hush_core::ohttp::KeyConfigs;
use hush_core::upload::{UploadRequest, UploadResult, UploadTask, Verdict};
use hush_core::Hush;

/// A core sealing to `keys` (another harness's gateway, for a foreign answer).
fn open_with(h: &Harness, keys: &[u8]) -> Hush {
    let mut c = h.config();
    c.keys = KeyConfigs::parse(keys).unwrap();
    Hush::open(c).unwrap()
}

/// Records one counter on today's window and closes it.
fn pending_report(h: &Harness, hush: &mut Hush, n: u64) {
    let tab = hush.open_tab(false).unwrap();
    let m = hush.metric("tabs.opened").unwrap();
    hush.add(tab, m, n).unwrap();
    h.clock.advance_ms(24 * 3_600_000);
    hush.checkpoint().unwrap();
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
    pending_report(&oh, &mut other, 1);
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
        };
        c
    };
    let mut hush = Hush::open(config()).unwrap();
    pending_report(&h, &mut hush, 1);
    pending_report(&h, &mut hush, 2);
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

/// Outer statuses without a sealed answer: 5xx and 429 retry, other 4xx drop
/// and count (in the window open when it happened).
#[test]
fn outer_statuses_retry_or_drop() {
    for (status, retry) in [
        (500, true),
        (503, true),
        (429, true),
        (408, true),
        (400, false),
        (404, false),
        (413, false),
    ] {
        let h = Harness::new();
        let mut hush = h.open();
        pending_report(&h, &mut hush, 1);
        let request = due(&h, &mut hush);
        let result = UploadResult::Http {
            status,
            body: Vec::new(),
            retry_after_ms: None,
        };
        let verdict = hush.upload_finished(&request.id, result).unwrap();
        assert_eq!(
            matches!(verdict, Verdict::RetryAt(_)),
            retry,
            "{status}: {verdict:?}"
        );
        assert_eq!(
            hush.outbox().entries().len(),
            usize::from(retry),
            "{status}"
        );
        assert_eq!(
            hush.pending_report().dropped.rejected_uploads,
            u64::from(!retry),
            "{status}"
        );
    }
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
    // UploadDelay's default: 10 minutes to 6 hours after the checkpoint that sealed it.
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
    let mut c = h.config();
    c.upload_policy.max_attempts = 1;
    let mut hush = Hush::open(c).unwrap();
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
