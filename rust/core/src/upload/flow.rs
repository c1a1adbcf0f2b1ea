//! The stateful half of uploading: hand out the next due report, and apply
//! an attempt's answer to the outbox and the record of what was sent. The
//! decisions are [`super::policy`]'s and [`super::answer`]'s; this only
//! moves files and bookkeeping. [`crate::Hush`] lends it the parts it needs.

use std::io;

use super::answer::{self, Answer, Meaning};
use super::{UploadPolicy, UploadRequest, UploadResult, UploadTask, Verdict, OHTTP_REQUEST_TYPE};
use crate::history::{self, SentOutcome, SentRecord};
use crate::random;
use crate::seal;
use crate::store::outbox::Outbox;
use crate::store::Fs;
use crate::upload::policy::Decision;

/// A rolling hour, for the upload quota.
const HOUR_MS: i64 = 3_600_000;

/// The core's upload state, borrowed for one call.
pub(crate) struct Uploads<'a> {
    pub policy: &'a UploadPolicy,
    pub outbox: &'a mut Outbox,
    pub fs: &'a dyn Fs,
    /// Uploads handed out and not yet finished: id and response opener.
    pub in_flight: &'a mut Vec<(String, Vec<u8>)>,
    /// Start times of recent uploads, for the hourly quota.
    pub recent_starts: &'a mut Vec<i64>,
    /// No upload starts before this: the random gap after the last start.
    pub spacing_until: &'a mut i64,
    pub sent: &'a mut Vec<SentRecord>,
}

/// What the caller must count in the open window and persist afterwards.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Effects {
    /// Reports deleted unsent (given up, damaged): counted as dropped.
    pub dropped: u64,
    /// Reports the collector refused or could not open: counted as rejected.
    pub rejected: u64,
    /// The bookkeeping changed: a checkpoint has something to write.
    pub changed: bool,
}

impl Uploads<'_> {
    /// The next upload due at `now`, to `url` (the relay or the gateway).
    pub fn next(&mut self, now: i64, url: &str) -> io::Result<(UploadTask, Effects)> {
        let mut effects = Effects::default();
        loop {
            // A start "in the future" is from before the clock was set back.
            self.recent_starts
                .retain(|&t| t > now - HOUR_MS && t <= now);
            // A gap longer than any draw is from before the clock was set back.
            let longest = i64::try_from(self.policy.max_gap_ms).unwrap_or(i64::MAX);
            *self.spacing_until = (*self.spacing_until).min(now.saturating_add(longest));
            let in_flight: Vec<String> = self.in_flight.iter().map(|(id, _)| id.clone()).collect();
            let id = match self.policy.next(
                self.outbox.entries(),
                &in_flight,
                self.recent_starts,
                *self.spacing_until,
                now,
            ) {
                Decision::Done => return Ok((UploadTask::Done, effects)),
                Decision::Wait(ms) => return Ok((UploadTask::Wait(ms), effects)),
                Decision::Upload(id) => id,
            };
            let body = match self.outbox.read(self.fs, &id) {
                Ok(body) => body,
                // Bad content (checksum, envelope) or a file gone missing is
                // what can never be sent: drop it, count it, go on. Any other
                // error may pass (a busy or full disk): try again later.
                Err(e)
                    if !matches!(
                        e.kind(),
                        io::ErrorKind::InvalidData | io::ErrorKind::NotFound
                    ) =>
                {
                    if let Some(meta) = self.outbox.entry_mut(&id) {
                        self.policy.defer(meta, now, draw());
                    }
                    effects.changed = true;
                    continue;
                }
                Err(_) => Vec::new(),
            };
            let Some((opener, request)) = seal::split_pending(&body) else {
                log::warn!("a pending report was unreadable; dropped");
                self.drop_damaged(&id)?;
                effects.dropped += 1;
                effects.changed = true;
                continue;
            };
            self.in_flight.push((id.clone(), opener.to_vec()));
            self.recent_starts.push(now);
            let gap = i64::try_from(self.policy.gap_ms(draw())).unwrap_or(i64::MAX);
            *self.spacing_until = now.saturating_add(gap);
            effects.changed = true;
            let task = UploadTask::Upload(UploadRequest {
                id,
                url: url.to_owned(),
                headers: vec![("content-type".to_owned(), OHTTP_REQUEST_TYPE.to_owned())],
                body: request.to_vec(),
            });
            return Ok((task, effects));
        }
    }

    fn drop_damaged(&mut self, id: &str) -> io::Result<()> {
        let (day, attempts, answer) = self
            .outbox
            .entry_mut(id)
            .map(|m| (m.day.clone(), m.attempts, m.last_answer))
            .unwrap_or_default();
        // `Fs::remove` takes a file already gone as removed.
        self.outbox.remove(self.fs, id)?;
        history::ended(self.sent, &day, SentOutcome::Damaged, attempts, answer);
        Ok(())
    }

    /// Applies the result of upload `id` at `now`: delete on delivery, keep
    /// and back off on anything that is not a final answer, delete and count
    /// on a refusal, an unknown key or expiry. The file of an ended report is
    /// deleted at once; the retry bookkeeping is the caller's to checkpoint.
    pub fn finished(
        &mut self,
        id: &str,
        result: &UploadResult,
        now: i64,
    ) -> io::Result<(Verdict, Effects)> {
        let mut effects = Effects::default();
        let Some(pos) = self.in_flight.iter().position(|(i, _)| i == id) else {
            // Not ours (any more): collection was switched off meanwhile.
            return Ok((Verdict::Drop, effects));
        };
        let (_, opener) = self.in_flight.swap_remove(pos);
        let (answer, retry_after_ms) = answer::read(&opener, result);
        if answer == Answer::Unreadable {
            log::warn!("an upload's answer did not open; will retry");
        }
        let meaning = answer.meaning(retry_after_ms);
        let Some(meta) = self.outbox.entry_mut(id) else {
            return Ok((Verdict::Drop, effects));
        };
        let day = meta.day.clone();
        let attempts = meta.attempts.saturating_add(1);
        let verdict = self.policy.verdict(meta, meaning, now, draw());
        let outcome = match (verdict, meaning) {
            (Verdict::Delete, _) => SentOutcome::Delivered,
            (Verdict::RetryAt(_), _) => SentOutcome::Retrying,
            (Verdict::Drop, Meaning::Refused) => SentOutcome::Refused,
            (Verdict::Drop, Meaning::KeyUnknown) => SentOutcome::KeyUnknown,
            (Verdict::Drop, _) => SentOutcome::GaveUp,
        };
        if outcome.is_final() {
            self.outbox.remove(self.fs, id)?;
            history::ended(self.sent, &day, outcome, attempts, Some(answer));
        } else if let Some(meta) = self.outbox.entry_mut(id) {
            // Still trying: the outbox keeps how it was last answered (P13).
            meta.last_answer = Some(answer);
        }
        match outcome {
            SentOutcome::Refused | SentOutcome::KeyUnknown => effects.rejected += 1,
            SentOutcome::GaveUp => effects.dropped += 1,
            _ => {}
        }
        effects.changed = true;
        Ok((verdict, effects))
    }
}

/// Uniform in [0, 1), for the backoff's jitter.
fn draw() -> f64 {
    random::below(1 << 53) as f64 / (1u64 << 53) as f64
}
