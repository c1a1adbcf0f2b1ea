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
//! - A day is reported at most once. A window for a day that already has
//!   reports of another window, pending or possibly received, is discarded
//!   when it closes (a DAP leader's replay check only catches the same
//!   window sealed twice: its report ids derive from the window's key).
//! - Otherwise every day of collection is reported, idle or not (P9): the
//!   days between the open window's and today's get zero-valued windows,
//!   at most [`MAX_IDLE_DAYS`] of them.
//! - The clock is not trusted before [`crate::clock::EARLIEST_TRUE_DAY`] (a
//!   phone that lost its time boots at 1970 or at its build date): no window
//!   opens or closes on such a reading, and a window opened under one is
//!   never sealed.
//!
//! Counters about the device itself (reports dropped, refused uploads,
//! corrupt state) survive a discarded window: they are carried into the open
//! one, so a drop is always counted in the next report (P12).

use crate::clock::{UtcDay, MS_PER_DAY};
use crate::dap::{report::report_id, DapClient};
use crate::history::{SentOutcome, SentRecord};
use crate::schema::Schema;
use crate::store::outbox::{Outbox, PendingMeta};
use crate::store::Fs;
use crate::upload::UploadPolicy;
use crate::window::Window;
use crate::UploadDelay;

/// Closed windows kept in memory while the disk refuses them (P12).
pub(crate) const MAX_CLOSED_IN_MEMORY: usize = 8;

/// Days the app did not run at all still get their zero-valued reports
/// (P9), up to this many before the day it runs again.
pub(crate) const MAX_IDLE_DAYS: i64 = 7;

/// The day the clock reads, if it can be true.
pub(crate) fn trusted_day(now_ms: i64, floor: UtcDay) -> Option<UtcDay> {
    Some(UtcDay::of_ms(now_ms)).filter(|d| *d >= floor)
}

/// The core's windows and what decides whether one may be reported.
pub(crate) struct Days<'a> {
    pub schema: &'a Schema,
    pub floor: UtcDay,
    pub dap: &'a DapClient,
    pub outbox: &'a Outbox,
    pub sent: &'a [SentRecord],
    pub window: &'a mut Window,
    pub closed: &'a mut Vec<Window>,
}

impl Days<'_> {
    /// Moves the open window to `today` (a trusted day); whether anything
    /// changed.
    pub fn roll(&mut self, today: UtcDay) -> bool {
        match today.cmp(&self.window.day()) {
            std::cmp::Ordering::Equal => return false,
            std::cmp::Ordering::Greater => self.forward(today),
            std::cmp::Ordering::Less => self.back(today),
        }
        true
    }

    /// One lost day is one lost report per task.
    fn reports_per_day(&self) -> u64 {
        self.dap.plan().tasks().len() as u64
    }

    /// `today` is after the open window's day: the window closes, and so
    /// does a zero-valued window for each day in between (at most
    /// [`MAX_IDLE_DAYS`]); today's opens. After a window of a clock that
    /// was not set, which days the app ran is unknown: none is added.
    fn forward(&mut self, today: UtcDay) {
        let idle = if self.window.day() < self.floor {
            today.0..today.0
        } else {
            (self.window.day().0 + 1).max(today.0 - MAX_IDLE_DAYS)..today.0
        };
        let old = std::mem::replace(self.window, Window::new(self.schema, today));
        self.close(old);
        for day in idle {
            self.close(Window::new(self.schema, UtcDay(day)));
        }
    }

    /// Queues `w` to be sealed if [`Days::may_report`], else discards it.
    fn close(&mut self, w: Window) {
        if !self.may_report(&w) {
            let n = self.reports_per_day();
            discard(&w, self.window, n);
            return;
        }
        self.closed.push(w);
        if self.closed.len() > MAX_CLOSED_IN_MEMORY {
            // A lost day, idle or not, is one lost report per task.
            let oldest = self.closed.remove(0);
            oldest.carry_device_counters_into(self.window);
            let n = self.reports_per_day();
            self.window.count_dropped_reports(n);
        }
    }

    /// `today` is before the open window's day: the clock was set back.
    /// Today's window reopens if it closed when the clock jumped ahead and
    /// is not sealed yet; everything dated after today is discarded and
    /// counted.
    fn back(&mut self, today: UtcDay) {
        let reopened = self
            .closed
            .iter()
            .position(|w| w.day() == today)
            .map(|i| self.closed.remove(i));
        let ahead = std::mem::replace(
            self.window,
            reopened.unwrap_or_else(|| Window::new(self.schema, today)),
        );
        let n = self.reports_per_day();
        discard(&ahead, self.window, n);
        let (past, future): (Vec<Window>, Vec<Window>) =
            self.closed.drain(..).partition(|w| w.day() < today);
        *self.closed = past;
        for w in &future {
            discard(w, self.window, n);
        }
    }

    /// Whether the window `w` may become reports when it closes: not if the
    /// clock was not set when it opened, nor if its day already has reports
    /// of another window on disk or some that may have reached the leader.
    fn may_report(&self, w: &Window) -> bool {
        if w.day() < self.floor {
            return false;
        }
        let own = own_report_ids(self.dap, w);
        let day = w.day().iso();
        let pending = self
            .outbox
            .all()
            .any(|m| m.day == day && !own.contains(&m.id));
        // This window's own reports may be pending already: sealed before a
        // crash made the checkpoint forget it, they are sealed again under
        // the same ids (see `Hush::prepare_checkpoint`). The history comes
        // from the same checkpoint as the window, so none of its records
        // can be this window's.
        let received = self
            .sent
            .iter()
            .any(|r| r.day == day && may_have_arrived(r));
        !pending && !received
    }
}

/// The ids of the reports `w` becomes ([`crate::dap::DapClient::day_reports`]).
fn own_report_ids(dap: &DapClient, w: &Window) -> Vec<String> {
    let key = w.report_id().0;
    dap.config()
        .tasks
        .iter()
        .map(|b| {
            report_id(&key, &b.task_id)
                .iter()
                .map(|x| format!("{x:02x}"))
                .collect()
        })
        .collect()
}

/// Whether reports so recorded may be at the leader: anything but a
/// refusal or an unknown key, unless they never left the device.
fn may_have_arrived(r: &SentRecord) -> bool {
    match r.outcome {
        SentOutcome::Delivered => true,
        SentOutcome::Refused | SentOutcome::KeyUnknown | SentOutcome::Retrying => false,
        SentOutcome::GaveUp | SentOutcome::DroppedForSpace | SentOutcome::Damaged => r.attempts > 0,
    }
}

/// Drops `w`: its device counters go to `into`, and if it held anything
/// recorded, `into` counts its `reports` as dropped.
pub(crate) fn discard(w: &Window, into: &mut Window, reports: u64) {
    w.carry_device_counters_into(into);
    if w.has_events() {
        into.count_dropped_reports(reports);
    }
}

/// How far after its earliest start (the later of now and its day's end) a
/// report can be scheduled: the first delay (a late report's), then the
/// longest backoff, with a day to spare. Anything later was scheduled under
/// a clock that ran ahead.
pub(crate) fn latest_schedule(delay: UploadDelay, policy: &UploadPolicy) -> i64 {
    let backoff =
        i64::try_from(policy.max_backoff_ms.max(policy.min_backoff_ms)).unwrap_or(i64::MAX / 4);
    delay
        .max_ms
        .max(delay.late_max_ms)
        .max(0)
        .saturating_add(backoff)
        .saturating_add(MS_PER_DAY)
}

/// What [`clean_outbox`] changed.
pub(crate) struct Cleaned {
    /// Reports deleted unsent, for the caller to count.
    pub deleted: u64,
    /// Those of them that were attempted: one may have reached the leader
    /// (its answer lost), so the caller records how each ended, and its day
    /// is not reported a second time when it really comes (P13, P14).
    pub attempted: Vec<PendingMeta>,
    pub rescheduled: bool,
}

/// Puts the outbox right with a clock that may have been set back: reports
/// dated after `today` are deleted unsent, and reports scheduled beyond
/// `horizon_ms` after their earliest start are given a new time,
/// `fresh(day_end)` (its day's end, or now for an undated report).
/// Both only ever happen after the clock ran ahead. A file that cannot be
/// deleted now is tried again at the next checkpoint.
pub(crate) fn clean_outbox(
    outbox: &mut Outbox,
    fs: &dyn Fs,
    today: UtcDay,
    now_ms: i64,
    horizon_ms: i64,
    mut fresh: impl FnMut(i64) -> i64,
) -> Cleaned {
    let day_of = |m: &PendingMeta| UtcDay::parse_iso(&m.day);
    let future: Vec<PendingMeta> = outbox
        .entries()
        .iter()
        .filter(|m| day_of(m).is_some_and(|d| d > today))
        .cloned()
        .collect();
    let mut cleaned = Cleaned {
        deleted: 0,
        attempted: Vec::new(),
        rescheduled: false,
    };
    for meta in future {
        if outbox.remove(fs, &meta.id).is_ok() {
            cleaned.deleted += 1;
            if meta.attempts > 0 {
                cleaned.attempted.push(meta);
            }
        }
    }
    for m in outbox.entries_mut() {
        let day_end = day_of(m).map_or(now_ms, |d| d.end_ms());
        let earliest = day_end.max(now_ms);
        if m.not_before_ms > earliest.saturating_add(horizon_ms) {
            m.not_before_ms = fresh(day_end);
            cleaned.rescheduled = true;
        }
    }
    cleaned
}
