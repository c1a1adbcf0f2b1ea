//! What happens when the clock's UTC day is not the open window's: forward,
//! the window's day is over and it closes; backward, the clock was corrected
//! after running ahead (or has just gone wrong: Hush cannot tell, and trusts
//! the clock it has now). The rules (README, "When the device clock is
//! wrong"), from DESIGN P7 and P14:
//!
//! - A report's day is one the clock has reached and passed. No window stays
//!   open for a day after today, and no pending report dated after today is
//!   kept: both were made under a clock that read the future.
//! - What was recorded under such a clock is dropped and counted
//!   (`dropped.reports`), not folded into today: its true day is unknown
//!   (the clock may have been ahead for weeks), and today may already have
//!   its report.
//! - A day is reported at most once. A window for a day that already has a
//!   report, pending or possibly received, is discarded when it closes.
//! - The clock is not trusted before [`crate::clock::EARLIEST_TRUE_DAY`] (a
//!   phone that lost its time boots at 1970 or at its build date): no window
//!   opens or closes on such a reading, and a window opened under one is
//!   never sealed.
//!
//! Counters about the device itself (reports dropped, refused uploads,
//! corrupt state) survive a discarded window: they are carried into the open
//! one, so a drop is always counted in the next report (P12).

use crate::clock::{UtcDay, MS_PER_DAY};
use crate::history::{SentOutcome, SentRecord};
use crate::schema::Schema;
use crate::store::outbox::{Outbox, PendingMeta};
use crate::store::Fs;
use crate::upload::UploadPolicy;
use crate::window::Window;
use crate::UploadDelay;

/// Closed windows kept in memory while the disk refuses them (P12).
pub(crate) const MAX_CLOSED_IN_MEMORY: usize = 8;

/// The day the clock reads, if it can be true.
pub(crate) fn trusted_day(now_ms: i64, floor: UtcDay) -> Option<UtcDay> {
    Some(UtcDay::of_ms(now_ms)).filter(|d| *d >= floor)
}

/// `today` is after the open window's day: the window closes, to be sealed
/// if `reportable` (see [`may_report`]; an empty one is forgotten), and
/// today's opens.
pub(crate) fn forward(
    schema: &Schema,
    window: &mut Window,
    closed: &mut Vec<Window>,
    today: UtcDay,
    reportable: bool,
) {
    let old = std::mem::replace(window, Window::new(schema, today));
    if !reportable {
        discard(&old, window);
    } else if old.has_events() || old.has_device_counters() {
        closed.push(old);
        if closed.len() > MAX_CLOSED_IN_MEMORY {
            let oldest = closed.remove(0);
            discard(&oldest, window);
        }
    }
}

/// `today` is before the open window's day: the clock was set back. Today's
/// window reopens if it closed when the clock jumped ahead and is not sealed
/// yet; everything dated after today is discarded and counted.
pub(crate) fn back(schema: &Schema, window: &mut Window, closed: &mut Vec<Window>, today: UtcDay) {
    let reopened = closed
        .iter()
        .position(|w| w.day() == today)
        .map(|i| closed.remove(i));
    let ahead = std::mem::replace(
        window,
        reopened.unwrap_or_else(|| Window::new(schema, today)),
    );
    discard(&ahead, window);
    let (past, future): (Vec<Window>, Vec<Window>) =
        closed.drain(..).partition(|w| w.day() < today);
    *closed = past;
    for w in &future {
        discard(w, window);
    }
}

/// Drops `w`: its device counters go to `into`, and if it held anything
/// recorded, `into` counts one dropped report.
pub(crate) fn discard(w: &Window, into: &mut Window) {
    w.carry_device_counters_into(into);
    if w.has_events() {
        into.count_dropped_reports(1);
    }
}

/// Whether the window `w` may become a report when it closes: not if the
/// clock was not set when it opened, nor if its day already has a report on
/// disk or one that may have reached the collector (anything but a refusal).
pub(crate) fn may_report(w: &Window, floor: UtcDay, outbox: &Outbox, sent: &[SentRecord]) -> bool {
    if w.day() < floor {
        return false;
    }
    let (day, id) = (w.day().iso(), w.report_id().hex());
    let pending = outbox.all().any(|m| m.day == day && m.id != id);
    let received = sent
        .iter()
        .any(|r| r.day == day && r.outcome != SentOutcome::Refused);
    !pending && !received
}

/// How far after its earliest start (the later of now and its day's end) a
/// report can be scheduled: the first delay, then the longest backoff, with
/// a day to spare. Anything later was scheduled under a clock that ran ahead.
pub(crate) fn latest_schedule(delay: UploadDelay, policy: &UploadPolicy) -> i64 {
    let backoff =
        i64::try_from(policy.max_backoff_ms.max(policy.min_backoff_ms)).unwrap_or(i64::MAX / 4);
    delay
        .max_ms
        .max(0)
        .saturating_add(backoff)
        .saturating_add(MS_PER_DAY)
}

/// What [`clean_outbox`] changed.
pub(crate) struct Cleaned {
    /// Reports deleted unsent, for the caller to count.
    pub deleted: u64,
    pub rescheduled: bool,
}

/// Puts the outbox right with a clock that may have been set back: reports
/// dated after `today` are deleted unsent, and reports scheduled beyond
/// `horizon_ms` after their earliest start are given `fresh()` from it.
/// Both only ever happen after the clock ran ahead. A file that cannot be
/// deleted now is tried again at the next checkpoint.
pub(crate) fn clean_outbox(
    outbox: &mut Outbox,
    fs: &dyn Fs,
    today: UtcDay,
    now_ms: i64,
    horizon_ms: i64,
    mut fresh: impl FnMut() -> i64,
) -> Cleaned {
    let day_of = |m: &PendingMeta| UtcDay::parse_iso(&m.day);
    let future: Vec<String> = outbox
        .entries()
        .iter()
        .filter(|m| day_of(m).is_some_and(|d| d > today))
        .map(|m| m.id.clone())
        .collect();
    let mut cleaned = Cleaned {
        deleted: 0,
        rescheduled: false,
    };
    for id in future {
        if outbox.remove(fs, &id).is_ok() {
            cleaned.deleted += 1;
        }
    }
    for m in outbox.entries_mut() {
        let earliest = day_of(m).map_or(now_ms, |d| d.end_ms().max(now_ms));
        if m.not_before_ms > earliest.saturating_add(horizon_ms) {
            m.not_before_ms = earliest + fresh();
            cleaned.rescheduled = true;
        }
    }
    cleaned
}
