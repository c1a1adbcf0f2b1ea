//! The core's state through open → record → checkpoint → reopen on an
//! in-memory file system, driven by a byte program (optionally starting from
//! a planted checkpoint body, wrapped in a valid envelope so its JSON is what
//! gets tested). After every step:
//! - open and checkpoint never fail on a healthy file system;
//! - a reopen restores exactly what was checkpointed;
//! - a private tab's browsing calls change nothing (P1);
//! - consent off leaves no file (P3); a corrupted checkpoint is counted;
//! - once a checkpoint ran under a trusted clock, the open window is today's
//!   and no pending report is dated after today (P7);
//! - no day and task get a second report (another id) while the first is
//!   pending or may have reached the leader, i.e. unless it was refused or
//!   deleted without an attempt (P14).
#![no_main]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use hush_core::clock::{Clock, ManualClock, UtcDay, EARLIEST_TRUE_DAY};
use hush_core::dap::TaskConfig;
use hush_core::history::SentOutcome;
use hush_core::schema::{MetricId, Schema};
use hush_core::store::{envelope, Fs, MemFs};
use hush_core::tabs::TabId;
use hush_core::upload::{UploadResult, UploadTask};
use hush_core::Hush;
use hush_fuzz::{config, record, start_ms, Deployment, DATA_DIR, DAY_MS, URLS};
use libfuzzer_sys::fuzz_target;

const STATE_MAGIC: &[u8; 8] = b"HUSHST01";

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        let (&b, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        b
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }
}

struct Run {
    fs: Arc<MemFs>,
    clock: ManualClock,
    schema: Schema,
    metrics: Vec<MetricId>,
    consent: bool,
    hush: Hush,
    normal: TabId,
    private: TabId,
    /// Sealed reports seen so far. Forgotten with the data (consent off) or
    /// with a lost checkpoint, which is all the device knows of what it
    /// reported.
    sealed: BTreeMap<String, Seen>,
}

struct Seen {
    day: String,
    task: String,
    /// Handed out for upload and not refused since: may be at the leader.
    attempted: bool,
}

thread_local! {
    static TASKS: TaskConfig = Deployment::for_schema(&Schema::default_browser())
        .expect("the shipped schema has a plan")
        .tasks;
}

fn open(fs: &Arc<MemFs>, clock: &ManualClock, schema: &Schema, consent: bool) -> Hush {
    let mut c = TASKS.with(|tasks| config(Arc::clone(fs), clock, schema.clone(), tasks));
    c.collection_enabled = Some(consent);
    Hush::open(c).expect("open on a healthy file system")
}

impl Run {
    fn reopen(&mut self) {
        self.hush = open(&self.fs, &self.clock, &self.schema, self.consent);
        self.normal = self.hush.open_tab(false).expect("tab");
        self.private = self.hush.open_tab(true).expect("tab");
    }

    fn checkpoint(&mut self) {
        self.hush
            .checkpoint()
            .expect("checkpoint on a healthy file system");
        let today = UtcDay::of_ms(self.clock.now_ms());
        if self.consent && today >= EARLIEST_TRUE_DAY {
            assert_eq!(self.hush.pending_report().day, today.iso());
            for m in self.hush.outbox().entries() {
                assert!(m.day <= today.iso(), "pending {} on {}", m.day, today.iso());
            }
        }
    }

    /// New sealed reports: no second one for a day and task (P14) while
    /// the first is pending or may have reached the leader.
    fn track_sealed(&mut self) {
        let pending: Vec<String> = self.hush.outbox().all().map(|m| m.id.clone()).collect();
        for m in self.hush.outbox().entries() {
            if self.sealed.contains_key(&m.id) || m.day.is_empty() {
                continue;
            }
            let twin = self.sealed.iter().find(|(id, s)| {
                s.day == m.day && s.task == m.task && (s.attempted || pending.contains(id))
            });
            assert!(twin.is_none(), "a second report for {} {}", m.day, m.task);
            let seen = Seen {
                day: m.day.clone(),
                task: m.task.clone(),
                attempted: false,
            };
            self.sealed.insert(m.id.clone(), seen);
        }
    }

    fn record(&mut self, metric: u8, value: u8) {
        let id = self.metrics[usize::from(metric) % self.metrics.len()];
        record(&mut self.hush, self.normal, id, value);
    }

    fn private_calls(&mut self, url: &[u8], value: u8) {
        let before = (self.hush.pending_report(), self.fs.files());
        let (h, tab) = (&mut self.hush, self.private);
        h.page_loaded(tab, url, u64::from(value))
            .expect("private tab");
        h.searched(tab, url).expect("private tab");
        for &id in &self.metrics {
            let _ = h.set_boolean(tab, id, true);
            let _ = h.accumulate(tab, id, u64::from(value));
        }
        assert_eq!((self.hush.pending_report(), self.fs.files()), before);
    }

    fn upload(&mut self, answer: u8) {
        let Ok(UploadTask::Upload(request)) = self.hush.next_upload() else {
            return;
        };
        let http = |status| UploadResult::Http {
            status,
            body: b"not a sealed answer".to_vec(),
            retry_after_ms: None,
        };
        let result = match answer % 4 {
            0 => UploadResult::TransportError,
            1 => http(503),
            2 => http(400),
            _ => http(200),
        };
        let day = self.sealed.get(&request.id).map(|s| s.day.clone());
        let refusals = |h: &Hush| -> u32 {
            h.sent_history()
                .iter()
                .filter(|r| Some(&r.day) == day.as_ref())
                .filter(|r| matches!(r.outcome, SentOutcome::Refused | SentOutcome::KeyUnknown))
                .map(|r| r.reports)
                .sum()
        };
        let before = refusals(&self.hush);
        self.hush
            .upload_finished(&request.id, result)
            .expect("upload bookkeeping");
        let refused = refusals(&self.hush) > before;
        if let Some(seen) = self.sealed.get_mut(&request.id) {
            seen.attempted = !refused;
        }
    }

    fn corrupt_state(&mut self, at: u16) {
        let path = Path::new(DATA_DIR).join("state");
        let Ok(mut bytes) = self.fs.read(&path) else {
            return;
        };
        let i = usize::from(at) % bytes.len();
        bytes[i] ^= 0x5a;
        self.fs.write_synced(&path, &bytes).expect("write");
        self.reopen();
        if self.consent {
            let report = self.hush.pending_report();
            assert_eq!(report.dropped.corrupt_state, 1);
            assert!(report.metrics.is_empty());
        }
        // With the checkpoint went the days of the pending reports.
        self.sealed.clear();
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Bytes(data);
    let fs = Arc::new(MemFs::new());
    let body_len = usize::from(input.u16()).min(input.0.len());
    let (body, program) = input.0.split_at(body_len);
    input.0 = program;
    if !body.is_empty() {
        fs.create_dir_all(Path::new(DATA_DIR)).expect("mkdir");
        let file = envelope::wrap(STATE_MAGIC, body);
        fs.write_synced(&Path::new(DATA_DIR).join("state"), &file)
            .expect("write");
    }
    let clock = ManualClock::new(start_ms());
    let schema = Schema::default_browser();
    let metrics = schema.metrics().map(|(id, _)| id).collect();
    let mut hush = open(&fs, &clock, &schema, true);
    let normal = hush.open_tab(false).expect("tab");
    let private = hush.open_tab(true).expect("tab");
    let mut run = Run {
        fs,
        clock,
        schema,
        metrics,
        consent: true,
        hush,
        normal,
        private,
        sealed: BTreeMap::new(),
    };

    for _ in 0..64 {
        if input.0.is_empty() {
            break;
        }
        let op = input.byte();
        let url = URLS[usize::from(input.byte()) % URLS.len()];
        match op % 13 {
            0 => {
                let ms = u64::from(input.u16());
                let _ = run.hush.page_loaded(run.normal, url, ms);
            }
            1 => {
                let _ = run.hush.searched(run.normal, url);
            }
            2 => {
                let (metric, value) = (input.byte(), input.byte());
                run.record(metric, value);
            }
            3 => run.private_calls(url, input.byte()),
            4 => run.clock.advance_ms(i64::from(input.u16()) * 60_000),
            5 => run.clock.advance_ms(-i64::from(input.u16()) * 60_000),
            6 => run.checkpoint(),
            7 => {
                run.checkpoint();
                let before = (
                    run.hush.pending_report(),
                    run.hush.outbox().entries().to_vec(),
                    run.hush.sent_history().to_vec(),
                );
                run.reopen();
                if run.consent {
                    let mut after = (
                        run.hush.pending_report(),
                        run.hush.outbox().entries().to_vec(),
                        run.hush.sent_history().to_vec(),
                    );
                    // A window with nothing in it is not worth a write: a
                    // new one (another random id, the day of a clock that
                    // may not be trusted) takes its place.
                    if before.0.is_empty() && after.0.is_empty() {
                        after.0 = before.0.clone();
                    }
                    assert_eq!(after, before, "a reopen changed the state");
                }
            }
            8 => {
                run.consent = !run.consent;
                run.hush
                    .set_collection_enabled(run.consent)
                    .expect("consent");
                if !run.consent {
                    assert!(run.fs.files().is_empty(), "consent off left files");
                    run.sealed.clear();
                }
            }
            9 => {
                let on = run.hush.enhanced_incognito();
                run.hush.set_enhanced_incognito(!on);
            }
            10 => run.upload(input.byte()),
            11 => run.corrupt_state(input.u16()),
            _ => {
                let start = start_ms();
                run.clock.set_ms(match input.byte() % 5 {
                    0 => run.clock.now_ms() + DAY_MS,
                    1 => run.clock.now_ms() + 30 * DAY_MS,
                    2 => UtcDay::parse_iso("2029-03-01").expect("date").start_ms(),
                    3 => 0,
                    _ => start,
                });
            }
        }
        run.track_sealed();
    }
});
