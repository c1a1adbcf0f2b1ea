//! [`Hush`]: the core a browser drives. Recording calls touch memory only;
//! [`Hush::checkpoint`] does the disk work (sealing closed windows, writing
//! the checkpoint) and belongs on a background thread.

use std::path::PathBuf;
use std::sync::Arc;

use crate::anonymize::{Anonymizer, Environment, PageOutcome, SearchOutcome};
use crate::clock::{Clock, UtcDay};
use crate::dap::{DapClient, Plan, TaskConfig};
use crate::day_change;
use crate::history::{self, SentOutcome, SentRecord};
use crate::report::Report;
use crate::schema::{MetricId, MetricKind, Schema};
use crate::seal::DaySealer;
use crate::store::outbox::{Outbox, PendingMeta};
use crate::store::state_file::{self, StateData};
use crate::store::state_writer::{StateWrite, StateWriter};
use crate::store::Fs;
use crate::tabs::{CountPermit, Gate, NormalTab, TabError, TabId, Tabs};
use crate::upload::flow::{Effects, Uploads};
use crate::upload::{UploadPolicy, UploadResult, UploadTask, Verdict};
use crate::window::{ErrorKind, Window};

pub use crate::config::Config;
pub use crate::errors::{RecordError, StoreError};
pub use crate::upload::UploadDelay;

pub struct Hush {
    schema: Schema,
    environment: Environment,
    anonymizer: &'static Anonymizer,
    sealer: DaySealer,
    tabs: Tabs,
    collection_enabled: bool,
    enhanced_incognito: bool,
    window: Window,
    closed: Vec<Window>,
    outbox: Outbox,
    upload_delay: UploadDelay,
    upload_policy: UploadPolicy,
    /// What became of sealed reports (P13).
    sent: Vec<SentRecord>,
    /// Uploads handed out and not yet finished: id and response opener.
    in_flight: Vec<(String, Vec<u8>)>,
    /// Start times of recent uploads, for the hourly quota.
    recent_starts: Vec<i64>,
    /// No upload starts before this (the random gap after the last, P7).
    spacing_until: i64,
    clock: Arc<dyn Clock>,
    clock_floor: UtcDay,
    fs: Arc<dyn Fs>,
    data_dir: PathBuf,
    /// Changes so far; the checkpoint on disk is current when the writer has
    /// persisted this many.
    changes: u64,
    writer: Arc<StateWriter>,
}

impl Hush {
    /// Opens the core on `config.data_dir`: loads the checkpoint (one that
    /// cannot be read or trusted is deleted and counted), reconciles pending
    /// reports, and moves the open window to the clock's day. With
    /// collection off, the directory is wiped.
    pub fn open(config: Config) -> Result<Self, StoreError> {
        let Config {
            data_dir,
            schema,
            environment,
            keys,
            endpoints,
            tasks,
            collection_enabled,
            enhanced_incognito,
            limits,
            upload_delay,
            upload_policy,
            clock,
            clock_floor,
            fs,
        } = config;
        let plan = Plan::new(&schema, Anonymizer::shipped())?;
        let tasks = TaskConfig::parse(&tasks, &plan, endpoints.rules())?;
        let sealer = DaySealer::new(DapClient::new(plan, tasks), keys, endpoints);
        fs.create_dir_all(&data_dir)?;
        let now = clock.now_ms();
        let today = UtcDay::of_ms(now);
        let restored =
            crate::restore::restore(fs.as_ref(), &data_dir, &schema, today, limits, || {
                upload_delay.draw(now, now)
            });
        let writer = StateWriter::new(Arc::clone(&fs), data_dir.clone());
        let mut hush = Self {
            schema,
            environment,
            anonymizer: Anonymizer::shipped(),
            sealer,
            tabs: Tabs::default(),
            collection_enabled: collection_enabled == Some(true),
            enhanced_incognito,
            window: restored.window,
            closed: Vec::new(),
            outbox: restored.outbox,
            upload_delay,
            upload_policy,
            sent: restored.sent,
            in_flight: Vec::new(),
            recent_starts: restored.upload_starts,
            spacing_until: restored.upload_spacing_until,
            clock,
            clock_floor,
            fs,
            data_dir,
            changes: 0,
            writer,
        };
        if restored.corrupt_state {
            hush.window.count_corrupt_state();
            hush.changes += 1;
        }
        if restored.corrupt_pending > 0 {
            hush.window.count_dropped_reports(restored.corrupt_pending);
            hush.changes += 1;
        }
        if collection_enabled == Some(false) {
            hush.wipe()?;
        }
        hush.roll(now);
        Ok(hush)
    }

    // ----- tabs and settings -----

    pub fn open_tab(&mut self, private: bool) -> Result<TabId, TabError> {
        self.tabs.open(private)
    }

    pub fn close_tab(&mut self, tab: TabId) -> Result<(), TabError> {
        self.tabs.close(tab)
    }

    /// Whether `tab` is an open private tab. Lets a caller skip even copying
    /// a private tab's URL out of its platform string.
    pub fn is_private(&self, tab: TabId) -> Result<bool, TabError> {
        Ok(matches!(self.tabs.resolve(tab)?, Gate::Private(_)))
    }

    /// The user's "Usage statistics" switch (P3). Off deletes every un-sent
    /// byte in memory and on disk before returning. On starts from empty,
    /// because nothing can have been recorded since the last switch-off wiped.
    pub fn set_collection_enabled(&mut self, enabled: bool) -> Result<(), StoreError> {
        self.collection_enabled = enabled;
        if !enabled {
            self.wipe()?;
        }
        Ok(())
    }

    pub fn collection_enabled(&self) -> bool {
        self.collection_enabled
    }

    /// Enhanced incognito (P2): on, a private tab records nothing at all.
    pub fn set_enhanced_incognito(&mut self, enabled: bool) {
        self.enhanced_incognito = enabled;
    }

    pub fn enhanced_incognito(&self) -> bool {
        self.enhanced_incognito
    }

    fn wipe(&mut self) -> Result<(), StoreError> {
        let today = UtcDay::of_ms(self.clock.now_ms());
        self.window = Window::new(&self.schema, today);
        self.closed.clear();
        self.in_flight.clear();
        self.sent.clear();
        self.recent_starts.clear();
        self.spacing_until = 0;
        self.changes += 1;
        let (fs, dir, outbox) = (self.fs.as_ref(), &self.data_dir, &mut self.outbox);
        self.writer.wipe(self.changes, || {
            outbox.wipe(fs)?;
            state_file::remove_all(fs, dir)
        })?;
        Ok(())
    }

    // ----- recording -----

    /// A page finished loading. Records its reported domain (or `other`, or a
    /// drop reason) and its load time. Nothing from a private tab. A browsing
    /// metric that has expired is counted as an error in the report, not
    /// raised: the browser cannot stop loading pages.
    pub fn page_loaded(&mut self, tab: TabId, url: &[u8], load_ms: u64) -> Result<(), RecordError> {
        let Some(normal) = self.normal_tab(tab)? else {
            return Ok(());
        };
        let b = self.schema.browsing();
        match self.anonymizer.page(url) {
            PageOutcome::Dropped(reason) => self.window.count_dropped_url(reason),
            PageOutcome::Domain(label) => {
                if let Some(id) = b.page_load_domain.filter(|&id| self.live_or_count(id)) {
                    if let MetricKind::Domain { cap_per_day } = self.schema.def(id).kind {
                        self.window.record_domain(&normal, id, label, cap_per_day);
                    }
                }
                if let Some(id) = b.page_load_time.filter(|&id| self.live_or_count(id)) {
                    self.window
                        .accumulate(&normal, id, self.bucket_of(id, load_ms));
                }
            }
        }
        self.changes += 1;
        Ok(())
    }

    /// A search results page was shown. Counts the engine only (P6).
    pub fn searched(&mut self, tab: TabId, url: &[u8]) -> Result<(), RecordError> {
        let Some(normal) = self.normal_tab(tab)? else {
            return Ok(());
        };
        match self.anonymizer.search(url) {
            SearchOutcome::Dropped(reason) => self.window.count_dropped_url(reason),
            SearchOutcome::Engine(engine) => {
                let id = self.schema.browsing().search_engine;
                if let Some(id) = id.filter(|&id| self.live_or_count(id)) {
                    self.window.record_engine(&normal, id, engine);
                }
            }
        }
        self.changes += 1;
        Ok(())
    }

    /// Resolves a metric name once; recording then goes by id.
    pub fn metric(&mut self, name: &str) -> Result<MetricId, RecordError> {
        match self.schema.id(name) {
            Some(id) => Ok(id),
            None => {
                if self.collection_enabled {
                    self.window.count_unknown_metric();
                    self.changes += 1;
                }
                Err(RecordError::UnknownMetric)
            }
        }
    }

    /// Adds `n` to a counter.
    pub fn add(&mut self, tab: TabId, metric: MetricId, n: u64) -> Result<(), RecordError> {
        let Some(permit) = self.may_count(tab, metric)? else {
            return Ok(());
        };
        self.check_kind(metric, "counter", |k| matches!(k, MetricKind::Counter))?;
        self.window.add(&permit, metric, n);
        self.changes += 1;
        Ok(())
    }

    /// Adds `n` to one declared label of a labeled counter.
    pub fn add_label(
        &mut self,
        tab: TabId,
        metric: MetricId,
        label: &str,
        n: u64,
    ) -> Result<(), RecordError> {
        let Some(permit) = self.may_count(tab, metric)? else {
            return Ok(());
        };
        self.check_kind(metric, "labeled_counter", |k| {
            matches!(k, MetricKind::LabeledCounter { .. })
        })?;
        let Some(i) = self.schema.def(metric).label_index(label) else {
            self.window.count_error(metric, ErrorKind::InvalidLabel);
            self.changes += 1;
            return Err(RecordError::InvalidLabel {
                metric: self.schema.def(metric).name.clone(),
            });
        };
        self.window.add_label(&permit, metric, i, n);
        self.changes += 1;
        Ok(())
    }

    pub fn set_boolean(
        &mut self,
        tab: TabId,
        metric: MetricId,
        value: bool,
    ) -> Result<(), RecordError> {
        let Some(normal) = self.normal_tab(tab)? else {
            return Ok(());
        };
        self.check_own(metric)?;
        self.check_live(metric)?;
        self.check_kind(metric, "boolean", |k| matches!(k, MetricKind::Boolean))?;
        self.window.set_boolean(&normal, metric, value);
        self.changes += 1;
        Ok(())
    }

    /// Adds one sample to a histogram.
    pub fn accumulate(
        &mut self,
        tab: TabId,
        metric: MetricId,
        value: u64,
    ) -> Result<(), RecordError> {
        let Some(normal) = self.normal_tab(tab)? else {
            return Ok(());
        };
        self.check_own(metric)?;
        self.check_live(metric)?;
        self.check_kind(metric, "histogram", |k| {
            matches!(k, MetricKind::Histogram { .. })
        })?;
        let bucket = self.bucket_of(metric, value);
        self.window.accumulate(&normal, metric, bucket);
        self.changes += 1;
        Ok(())
    }

    /// The gate for calls that may carry browsing data. `Ok(None)`: the call
    /// is dropped before anything changes (private tab, or collection off).
    #[inline]
    fn normal_tab(&mut self, tab: TabId) -> Result<Option<NormalTab>, TabError> {
        match self.tabs.resolve(tab)? {
            Gate::Private(_) => Ok(None),
            Gate::Normal(_) if !self.collection_enabled => Ok(None),
            Gate::Normal(proof) => {
                self.roll(self.clock.now_ms());
                Ok(Some(proof))
            }
        }
    }

    /// The gate for counters: a private tab gets a permit only for an
    /// `aggregate` counter while Enhanced incognito is off (P2). `Ok(None)`:
    /// the call is dropped before anything changes.
    #[inline]
    fn may_count(
        &mut self,
        tab: TabId,
        metric: MetricId,
    ) -> Result<Option<CountPermit>, RecordError> {
        let permit = match self.tabs.resolve(tab)? {
            Gate::Normal(proof) => CountPermit::Normal(proof),
            Gate::Private(private) => {
                if self.enhanced_incognito {
                    return Ok(None);
                }
                let Some(def) = self.schema.get(metric) else {
                    return Ok(None);
                };
                match private.aggregate_counter(self.enhanced_incognito, def.incognito) {
                    Some(permit) => CountPermit::Aggregate(permit),
                    None => return Ok(None),
                }
            }
        };
        if !self.collection_enabled {
            return Ok(None);
        }
        self.check_own(metric)?;
        self.roll(self.clock.now_ms());
        self.check_live(metric)?;
        Ok(Some(permit))
    }

    /// A [`MetricId`] from another instance's schema is refused, never
    /// indexed: it could name a different metric here, or none.
    #[inline]
    fn check_own(&self, metric: MetricId) -> Result<(), RecordError> {
        match self.schema.get(metric) {
            Some(_) => Ok(()),
            None => Err(RecordError::UnknownMetric),
        }
    }

    /// Whether `metric` is live; if it has expired, the call is counted as
    /// an `expired` error in the report. The browsing metrics the schema
    /// binds use this directly: a page load is never refused.
    fn live_or_count(&mut self, metric: MetricId) -> bool {
        if !self.schema.def(metric).is_expired(self.window.day()) {
            return true;
        }
        self.window.count_error(metric, ErrorKind::Expired);
        self.changes += 1;
        false
    }

    fn check_live(&mut self, metric: MetricId) -> Result<(), RecordError> {
        if self.live_or_count(metric) {
            return Ok(());
        }
        Err(RecordError::Expired {
            metric: self.schema.def(metric).name.clone(),
        })
    }

    fn check_kind(
        &mut self,
        metric: MetricId,
        expected: &'static str,
        ok: impl Fn(&MetricKind) -> bool,
    ) -> Result<(), RecordError> {
        let def = self.schema.def(metric);
        if ok(&def.kind) {
            return Ok(());
        }
        let err = RecordError::WrongType {
            metric: def.name.clone(),
            expected,
            actual: def.kind.type_name(),
        };
        self.window.count_error(metric, ErrorKind::WrongType);
        self.changes += 1;
        Err(err)
    }

    fn bucket_of(&self, metric: MetricId, value: u64) -> usize {
        match &self.schema.def(metric).kind {
            MetricKind::Histogram { buckets } => buckets.partition_point(|b| *b < value),
            _ => 0,
        }
    }

    /// Moves the open window to the clock's day: closes it when its day is
    /// over, with a zero-valued window for each day in between that the app
    /// did not run (P9), and when the clock was set back, discards what is
    /// dated after today (see [`day_change`]). A reading before the clock
    /// floor changes nothing. Inline: every recording call makes this
    /// check, and the day rarely changes.
    #[inline]
    fn roll(&mut self, now_ms: i64) {
        if UtcDay::of_ms(now_ms) != self.window.day() {
            self.roll_over(now_ms);
        }
    }

    /// The day changed, or the clock did. Apart from `roll`, so the check
    /// stays inline and this rare path pays for its own registers.
    #[cold]
    #[inline(never)]
    fn roll_over(&mut self, now_ms: i64) {
        let Some(today) = day_change::trusted_day(now_ms, self.clock_floor) else {
            return;
        };
        let mut days = day_change::Days {
            schema: &self.schema,
            floor: self.clock_floor,
            dap: self.sealer.dap(),
            outbox: &self.outbox,
            sent: &self.sent,
            window: &mut self.window,
            closed: &mut self.closed,
        };
        if days.roll(today) {
            self.changes += 1;
        }
    }

    // ----- disk -----

    /// Seals closed windows into `pending/`, then writes the checkpoint. On
    /// failure nothing is lost from memory and the next call retries. The
    /// order keeps a crash harmless: a window sealed but not yet forgotten by
    /// the checkpoint is re-sealed under the same report id after restart,
    /// and the collector drops the duplicate.
    pub fn checkpoint(&mut self) -> Result<(), StoreError> {
        if let Some(write) = self.prepare_checkpoint()? {
            write.commit()?;
        }
        Ok(())
    }

    /// The part of [`Hush::checkpoint`] that needs the core: seals closed
    /// windows (once a day) and serializes the state. The returned write can
    /// be committed after the core's lock is released; `None` when the disk
    /// is already current.
    pub fn prepare_checkpoint(&mut self) -> Result<Option<StateWrite>, StoreError> {
        if !self.collection_enabled {
            return Ok(None);
        }
        let now = self.clock.now_ms();
        self.roll(now);
        self.clean_outbox(now);
        // Files from an earlier run, or tighter limits after an app update,
        // may exceed the bounds before any new report is sealed.
        let over_limits = self.outbox.trim(self.fs.as_ref())?;
        self.count_dropped_for_space(over_limits);
        while let Some(w) = self.closed.first() {
            let day = w.to_report(&self.schema, &self.environment);
            let day_end = w.day().end_ms();
            let now = self.clock.now_ms();
            for sealed in self.sealer.seal_day(&day, self.anonymizer)? {
                // Sealed before a crash made the checkpoint forget it: the
                // pending copy is the fuller one; it keeps its schedule.
                if self.outbox.contains(&sealed.id) {
                    continue;
                }
                // Each report on its own random schedule (P7).
                let not_before = self.upload_delay.draw(day_end, now);
                let dropped = self.outbox.push(
                    self.fs.as_ref(),
                    &sealed.id,
                    &day.day,
                    &sealed.task,
                    &sealed.body,
                    not_before,
                )?;
                self.count_dropped_for_space(dropped);
            }
            self.closed.remove(0);
            self.changes += 1;
        }
        if self.writer.is_persisted(self.changes) {
            return Ok(None);
        }
        Ok(Some(self.writer.prepare(self.changes, &self.state_data())?))
    }

    /// Pending reports dated after today are deleted and counted; reports
    /// scheduled under a clock that ran ahead are rescheduled from now.
    fn clean_outbox(&mut self, now: i64) {
        let Some(today) = day_change::trusted_day(now, self.clock_floor) else {
            return;
        };
        let delay = self.upload_delay;
        let horizon = day_change::latest_schedule(delay, &self.upload_policy);
        let cleaned = day_change::clean_outbox(
            &mut self.outbox,
            self.fs.as_ref(),
            today,
            now,
            horizon,
            |day_end| delay.draw(day_end, now),
        );
        self.window.count_dropped_reports(cleaned.deleted);
        for meta in cleaned.attempted {
            history::ended(
                &mut self.sent,
                &meta.day,
                SentOutcome::GaveUp,
                meta.attempts,
                meta.last_answer,
            );
        }
        if cleaned.deleted > 0 || cleaned.rescheduled {
            self.changes += 1;
        }
    }

    /// Reports the outbox dropped to stay within its bounds (P12): counted
    /// in the next report and shown in the record of what was sent (P13).
    fn count_dropped_for_space(&mut self, dropped: Vec<PendingMeta>) {
        if dropped.is_empty() {
            return;
        }
        self.window.count_dropped_reports(dropped.len() as u64);
        for meta in dropped {
            history::ended(
                &mut self.sent,
                &meta.day,
                SentOutcome::DroppedForSpace,
                meta.attempts,
                meta.last_answer,
            );
        }
        self.changes += 1;
    }

    fn state_data(&self) -> StateData {
        StateData {
            window: self.window.to_report(&self.schema, &self.environment),
            uploads: self.outbox.checkpoint_entries(),
            sent: self.sent.clone(),
            upload_starts: self.recent_starts.clone(),
            upload_spacing_until: self.spacing_until,
        }
    }

    /// Size of the checkpoint as it would be written now.
    pub fn checkpoint_size(&self) -> usize {
        state_file::encoded_len(&self.state_data())
    }

    // ----- upload (the logic is in `upload/`) -----

    /// The next thing the platform's uploader should do. Seal closed windows
    /// first with [`Hush::checkpoint`]; this call only hands out what is due.
    pub fn next_upload(&mut self) -> Result<UploadTask, StoreError> {
        if !self.collection_enabled {
            return Ok(UploadTask::Done);
        }
        let now = self.clock.now_ms();
        let url = self.sealer.endpoints().upload_url().to_owned();
        let (task, effects) = self.uploads().next(now, &url)?;
        self.count_upload_effects(effects);
        Ok(task)
    }

    /// Takes the result of an upload task and applies the policy
    /// (`upload/answer.rs`, P16): delete on the collector's sealed success,
    /// drop and count on its sealed refusal or the RFC 9458 key problem,
    /// keep and back off on anything else. An ended report's file is deleted
    /// at once; the retry bookkeeping is persisted by the next
    /// [`Hush::checkpoint`] (or [`Hush::prepare_checkpoint`], so the fsync
    /// can happen outside a lock), which the caller makes right after.
    pub fn upload_finished(
        &mut self,
        id: &str,
        result: UploadResult,
    ) -> Result<Verdict, StoreError> {
        let now = self.clock.now_ms();
        let (verdict, effects) = self.uploads().finished(id, &result, now)?;
        self.count_upload_effects(effects);
        Ok(verdict)
    }

    fn uploads(&mut self) -> Uploads<'_> {
        Uploads {
            policy: &self.upload_policy,
            outbox: &mut self.outbox,
            fs: self.fs.as_ref(),
            in_flight: &mut self.in_flight,
            recent_starts: &mut self.recent_starts,
            spacing_until: &mut self.spacing_until,
            sent: &mut self.sent,
        }
    }

    fn count_upload_effects(&mut self, effects: Effects) {
        if effects.dropped > 0 {
            self.window.count_dropped_reports(effects.dropped);
        }
        for _ in 0..effects.rejected {
            self.window.count_rejected_upload();
        }
        if effects.changed {
            self.changes += 1;
        }
    }

    // ----- transparency (P13) -----

    /// Exactly what the open window would report now.
    pub fn pending_report(&self) -> Report {
        self.window.to_report(&self.schema, &self.environment)
    }

    /// Reports closed but not yet sealed (normally empty after a checkpoint).
    pub fn closed_reports(&self) -> Vec<Report> {
        self.closed
            .iter()
            .map(|w| w.to_report(&self.schema, &self.environment))
            .collect()
    }

    /// What became of sealed reports, oldest first: the day and whether it
    /// was delivered, refused or deleted unsent (P13).
    pub fn sent_history(&self) -> &[SentRecord] {
        &self.sent
    }

    /// Every sealed report waiting to be sent: its day, what it holds and
    /// where its delivery stands, in plain words (P13).
    pub fn pending_uploads(&self) -> Vec<crate::transparency::PendingUpload> {
        let in_flight: Vec<&str> = self.in_flight.iter().map(|(id, _)| id.as_str()).collect();
        crate::transparency::pending_uploads(
            &self.outbox.checkpoint_entries(),
            &in_flight,
            self.sealer.dap().plan(),
            |metric| {
                let id = self.schema.id(metric)?;
                Some(self.schema.def(id).description.clone())
            },
        )
    }

    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }
}
