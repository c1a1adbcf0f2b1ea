//! The upload flow through `Hush`: tasks handed out, answers applied, retry
//! state persisted across a restart, the collector's sealed answer checked.

mod common;

use common::Harness;
use hush_core::upload::{UploadResult, UploadTask, Verdict};
use hush_core::Hush;

const DAY_MS: i64 = 24 * 3_600_000;

/// One sealed report, due now.
fn one_due_report(t: &Harness) -> Hush {
    let mut h = t.open();
    let tab = h.open_tab(false).unwrap();
    let m = h.metric("bookmarks.added").unwrap();
    h.add(tab, m, 1).unwrap();
    t.clock.advance_ms(DAY_MS);
    h.checkpoint().unwrap();
    t.clock.advance_ms(DAY_MS); // past any upload delay
    h
}

fn upload(h: &mut Hush) -> hush_core::upload::UploadRequest {
    match h.next_upload().unwrap() {
        UploadTask::Upload(r) => r,
        other => panic!("expected an upload, got {other:?}"),
    }
}

/// The collector's sealed answer with inner `status`.
fn answer(t: &Harness, request: &[u8], status: u16) -> Vec<u8> {
    let (_, response) = t.gateway.server.decapsulate(request).unwrap();
    let mut inner = Vec::new();
    let mut m = ::bhttp::Message::response(::bhttp::StatusCode::try_from(status).unwrap());
    m.write_content(b"");
    m.write_bhttp(::bhttp::Mode::KnownLength, &mut inner)
        .unwrap();
    response.encapsulate(&inner).unwrap()
}

/// A counter summed over the open window and every sealed report: a drop is
/// counted in the window open when it happens, which may since have closed.
fn counted(t: &Harness, h: &Hush, f: impl Fn(&hush_core::report::Report) -> u64) -> u64 {
    t.pending_reports(h).iter().map(&f).sum::<u64>() + f(&h.pending_report())
}

fn holds(h: &Hush, id: &str) -> bool {
    h.outbox().entries().iter().any(|m| m.id == id)
}

fn http(status: u16, body: Vec<u8>) -> UploadResult {
    UploadResult::Http {
        status,
        body,
        retry_after_ms: None,
    }
}

#[test]
fn uploads_wait_for_the_random_delay_after_the_window_closes() {
    let t = Harness::new();
    let mut h = t.open();
    let tab = h.open_tab(false).unwrap();
    let m = h.metric("bookmarks.added").unwrap();
    h.add(tab, m, 1).unwrap();
    t.clock.advance_ms(DAY_MS);
    h.checkpoint().unwrap();
    let UploadTask::Wait(ms) = h.next_upload().unwrap() else {
        panic!("uploaded at event time")
    };
    let not_before = h.outbox().entries()[0].not_before_ms;
    let window_end = hush_core::clock::UtcDay::parse_iso("2026-11-21")
        .unwrap()
        .end_ms();
    assert!(not_before >= window_end + 10 * 60_000 && not_before <= t.clock_now() + 6 * 3_600_000);
    assert_eq!(ms as i64, not_before - t.clock_now());
    t.clock.set_ms(not_before);
    assert!(matches!(h.next_upload().unwrap(), UploadTask::Upload(_)));
}

trait Now {
    fn clock_now(&self) -> i64;
}
impl Now for Harness {
    fn clock_now(&self) -> i64 {
        hush_core::clock::Clock::now_ms(&self.clock)
    }
}

#[test]
fn delivered_reports_are_deleted_after_the_sealed_answer_opens() {
    let t = Harness::new();
    let mut h = one_due_report(&t);
    let req = upload(&mut h);
    assert_eq!(req.url, "https://collector.invalid/gateway");
    assert!(req
        .headers
        .contains(&("content-type".into(), "message/ohttp-req".into())));
    // While in flight it is not handed out twice.
    assert!(matches!(h.next_upload().unwrap(), UploadTask::Done));
    let body = answer(&t, &req.body, 200);
    assert_eq!(
        h.upload_finished(&req.id, http(200, body)).unwrap(),
        Verdict::Delete
    );
    assert!(h.outbox().entries().is_empty());
    assert!(std::fs::read_dir(t.path().join("pending"))
        .unwrap()
        .next()
        .is_none());
    assert!(matches!(h.next_upload().unwrap(), UploadTask::Done));
}

#[test]
fn an_answer_that_does_not_open_keeps_the_report_for_a_retry() {
    let t = Harness::new();
    let mut h = one_due_report(&t);
    let req = upload(&mut h);
    let v = h
        .upload_finished(&req.id, http(200, b"not sealed".to_vec()))
        .unwrap();
    assert!(matches!(v, Verdict::RetryAt(_)), "{v:?}");
    assert_eq!(h.outbox().entries().len(), 1);
}

#[test]
fn an_inner_refusal_drops_and_counts_the_report() {
    let t = Harness::new();
    let mut h = one_due_report(&t);
    let req = upload(&mut h);
    let body = answer(&t, &req.body, 400);
    assert_eq!(
        h.upload_finished(&req.id, http(200, body)).unwrap(),
        Verdict::Drop
    );
    assert!(!holds(&h, &req.id));
    assert_eq!(counted(&t, &h, |r| r.dropped.rejected_uploads), 1);
}

#[test]
fn outer_statuses_retry_or_drop() {
    for (status, retry) in [
        (500, true),
        (503, true),
        (429, true),
        (400, false),
        (404, false),
        (413, false),
    ] {
        let t = Harness::new();
        let mut h = one_due_report(&t);
        let req = upload(&mut h);
        let v = h
            .upload_finished(&req.id, http(status, Vec::new()))
            .unwrap();
        assert_eq!(matches!(v, Verdict::RetryAt(_)), retry, "{status}: {v:?}");
        assert_eq!(holds(&h, &req.id), retry, "{status}");
        assert_eq!(
            counted(&t, &h, |r| r.dropped.rejected_uploads),
            u64::from(!retry),
            "{status}"
        );
    }
}

#[test]
fn retry_state_survives_a_restart() {
    let t = Harness::new();
    let mut h = one_due_report(&t);
    let req = upload(&mut h);
    let Verdict::RetryAt(at) = h
        .upload_finished(&req.id, UploadResult::TransportError)
        .unwrap()
    else {
        panic!("retry")
    };
    drop(h);
    let mut h = t.open();
    let meta = &h.outbox().entries()[0];
    assert_eq!((meta.attempts, meta.not_before_ms), (1, at));
    assert!(matches!(h.next_upload().unwrap(), UploadTask::Wait(_)));
    t.clock.set_ms(at);
    let again = upload(&mut h);
    assert_eq!(again.body, req.body, "the same sealed bytes are re-sent");
    // The opener survived the restart: the collector's answer still opens.
    let body = answer(&t, &again.body, 200);
    assert_eq!(
        h.upload_finished(&again.id, http(200, body)).unwrap(),
        Verdict::Delete
    );
}

#[test]
fn switching_collection_off_mid_upload_forgets_the_upload() {
    let t = Harness::new();
    let mut h = one_due_report(&t);
    let req = upload(&mut h);
    h.set_collection_enabled(false).unwrap();
    let body = answer(&t, &req.body, 200);
    assert_eq!(
        h.upload_finished(&req.id, http(200, body)).unwrap(),
        Verdict::Drop
    );
    assert!(matches!(h.next_upload().unwrap(), UploadTask::Done));
    assert!(common::files_under(t.path()).is_empty());
}
