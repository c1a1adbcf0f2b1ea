//! One UTC day of aggregates, in memory. Nothing per event is kept: a call
//! bumps a number and is forgotten. A window becomes a [`Report`] when its day
//! is over, and round-trips through the same shape as a checkpoint.

use std::collections::BTreeMap;

use crate::anonymize::{Anonymizer, DomainLabel, DropReason, EngineLabel, Environment};
use crate::clock::UtcDay;
use crate::report::{Dropped, Errors, MetricValue, Report, REPORT_FORMAT};
use crate::schema::{MetricId, MetricKind, Schema};
use crate::tabs::{CountPermit, NormalTab};

/// At most this many distinct domain labels per metric and window; further
/// new domains count as `other` (P12: memory and report size stay bounded).
pub const MAX_DOMAIN_LABELS: usize = 256;

/// 128 random bits naming one window's report, for de-duplication only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportId(pub [u8; 16]);

impl ReportId {
    pub fn random() -> Self {
        let mut b = [0u8; 16];
        crate::random::fill(&mut b);
        Self(b)
    }
    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
    pub fn parse_hex(s: &str) -> Option<Self> {
        if s.len() != 32
            || !s
                .bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        {
            return None;
        }
        let mut b = [0u8; 16];
        for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
            b[i] = u8::from_str_radix(std::str::from_utf8(chunk).ok()?, 16).ok()?;
        }
        Some(Self(b))
    }
}

/// Kinds of recording errors counted per metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ErrorKind {
    InvalidLabel,
    WrongType,
    Expired,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidLabel => "invalid_label",
            ErrorKind::WrongType => "wrong_type",
            ErrorKind::Expired => "expired",
        }
    }
    fn parse(s: &str) -> Option<Self> {
        [
            ErrorKind::InvalidLabel,
            ErrorKind::WrongType,
            ErrorKind::Expired,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Slot {
    Counter(u64),
    Labeled(Vec<u64>),
    Boolean(Option<bool>),
    Histogram(Vec<u64>),
    Domain(BTreeMap<DomainLabel, u64>),
    Engine(BTreeMap<EngineLabel, u64>),
}

impl Slot {
    fn empty(kind: &MetricKind) -> Self {
        match kind {
            MetricKind::Counter => Slot::Counter(0),
            MetricKind::LabeledCounter { labels } => Slot::Labeled(vec![0; labels.len()]),
            MetricKind::Boolean => Slot::Boolean(None),
            MetricKind::Histogram { buckets } => Slot::Histogram(vec![0; buckets.len() + 1]),
            MetricKind::Domain { .. } => Slot::Domain(BTreeMap::new()),
            MetricKind::SearchEngine => Slot::Engine(BTreeMap::new()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    day: UtcDay,
    report_id: ReportId,
    slots: Vec<Slot>,
    unknown_metric: u64,
    errors: BTreeMap<(MetricId, ErrorKind), u64>,
    dropped_urls: BTreeMap<DropReason, u64>,
    dropped_reports: u64,
    rejected_uploads: u64,
    corrupt_state: u64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RestoreError {
    #[error("checkpoint has an unknown format")]
    Format,
    #[error("checkpoint does not match the schema")]
    Schema,
}

impl Window {
    pub fn new(schema: &Schema, day: UtcDay) -> Self {
        Self {
            day,
            report_id: ReportId::random(),
            slots: schema
                .metrics()
                .map(|(_, d)| Slot::empty(&d.kind))
                .collect(),
            unknown_metric: 0,
            errors: BTreeMap::new(),
            dropped_urls: BTreeMap::new(),
            dropped_reports: 0,
            rejected_uploads: 0,
            corrupt_state: 0,
        }
    }

    pub fn day(&self) -> UtcDay {
        self.day
    }
    pub fn report_id(&self) -> ReportId {
        self.report_id
    }

    // Recording. Each method takes the gate's proof that the call may record
    // (a private tab cannot produce one, except a permit for an `aggregate`
    // counter). The core has already checked the metric's type, so a
    // mismatch here is a bug in the core; it is ignored rather than panic.

    pub fn add(&mut self, _permit: &CountPermit, id: MetricId, n: u64) {
        if let Some(Slot::Counter(c)) = self.slots.get_mut(id.index()) {
            *c = c.saturating_add(n);
        }
    }

    pub fn add_label(&mut self, _permit: &CountPermit, id: MetricId, label: usize, n: u64) {
        if let Some(Slot::Labeled(v)) = self.slots.get_mut(id.index()) {
            if let Some(c) = v.get_mut(label) {
                *c = c.saturating_add(n);
            }
        }
    }

    pub fn set_boolean(&mut self, _proof: &NormalTab, id: MetricId, value: bool) {
        if let Some(Slot::Boolean(b)) = self.slots.get_mut(id.index()) {
            *b = Some(value);
        }
    }

    pub fn accumulate(&mut self, _proof: &NormalTab, id: MetricId, bucket: usize) {
        if let Some(Slot::Histogram(v)) = self.slots.get_mut(id.index()) {
            if let Some(c) = v.get_mut(bucket) {
                *c = c.saturating_add(1);
            }
        }
    }

    /// Only a [`NormalTab`] can record a domain: private tabs never reach here.
    pub fn record_domain(
        &mut self,
        _proof: &NormalTab,
        id: MetricId,
        label: DomainLabel,
        cap_per_day: u32,
    ) {
        if let Some(Slot::Domain(m)) = self.slots.get_mut(id.index()) {
            let label = if m.len() >= MAX_DOMAIN_LABELS && !m.contains_key(&label) {
                DomainLabel::OTHER
            } else {
                label
            };
            let c = m.entry(label).or_insert(0);
            *c = (*c + 1).min(u64::from(cap_per_day));
        }
    }

    pub fn record_engine(&mut self, _proof: &NormalTab, id: MetricId, label: EngineLabel) {
        if let Some(Slot::Engine(m)) = self.slots.get_mut(id.index()) {
            let c = m.entry(label).or_insert(0);
            *c = c.saturating_add(1);
        }
    }

    pub fn count_error(&mut self, id: MetricId, kind: ErrorKind) {
        let c = self.errors.entry((id, kind)).or_insert(0);
        *c = c.saturating_add(1);
    }
    pub fn count_unknown_metric(&mut self) {
        self.unknown_metric = self.unknown_metric.saturating_add(1);
    }
    pub fn count_dropped_url(&mut self, reason: DropReason) {
        let c = self.dropped_urls.entry(reason).or_insert(0);
        *c = c.saturating_add(1);
    }
    pub fn count_dropped_reports(&mut self, n: u64) {
        self.dropped_reports = self.dropped_reports.saturating_add(n);
    }
    pub fn count_rejected_upload(&mut self) {
        self.rejected_uploads = self.rejected_uploads.saturating_add(1);
    }
    pub fn count_corrupt_state(&mut self) {
        self.corrupt_state = self.corrupt_state.saturating_add(1);
    }

    /// Whether anything was recorded, errored or dropped in this window: an
    /// event of its day, as opposed to a counter about the device.
    pub fn has_events(&self) -> bool {
        self.unknown_metric > 0
            || !self.errors.is_empty()
            || !self.dropped_urls.is_empty()
            || self.slots.iter().any(|s| match s {
                Slot::Counter(n) => *n > 0,
                Slot::Labeled(v) | Slot::Histogram(v) => v.iter().any(|n| *n > 0),
                Slot::Boolean(b) => b.is_some(),
                Slot::Domain(m) => !m.is_empty(),
                Slot::Engine(m) => !m.is_empty(),
            })
    }

    /// Adds this window's counters about the device to `next`, when this
    /// window is discarded: a drop is counted in the next report (P12)
    /// whatever becomes of the window it was counted in.
    pub fn carry_device_counters_into(&self, next: &mut Window) {
        next.dropped_reports = next.dropped_reports.saturating_add(self.dropped_reports);
        next.rejected_uploads = next.rejected_uploads.saturating_add(self.rejected_uploads);
        next.corrupt_state = next.corrupt_state.saturating_add(self.corrupt_state);
    }

    /// The report this window becomes (also its checkpoint form).
    pub fn to_report(&self, schema: &Schema, environment: &Environment) -> Report {
        let mut metrics = BTreeMap::new();
        for ((id, def), slot) in schema.metrics().zip(&self.slots) {
            let value = match (slot, &def.kind) {
                (Slot::Counter(0), _) | (Slot::Boolean(None), _) => None,
                (Slot::Counter(n), _) => Some(MetricValue::Counter(*n)),
                (Slot::Boolean(Some(b)), _) => Some(MetricValue::Boolean(*b)),
                (Slot::Labeled(v), MetricKind::LabeledCounter { labels }) => {
                    let m: BTreeMap<_, _> = labels
                        .iter()
                        .zip(v)
                        .filter(|(_, n)| **n > 0)
                        .map(|(l, n)| (l.clone(), *n))
                        .collect();
                    (!m.is_empty()).then_some(MetricValue::LabeledCounter(m))
                }
                (Slot::Histogram(v), MetricKind::Histogram { buckets }) => {
                    v.iter().any(|n| *n > 0).then(|| MetricValue::Histogram {
                        bounds: buckets.clone(),
                        counts: v.clone(),
                    })
                }
                (Slot::Domain(m), _) => (!m.is_empty()).then(|| {
                    MetricValue::Domain(
                        m.iter().map(|(l, n)| (l.as_str().to_owned(), *n)).collect(),
                    )
                }),
                (Slot::Engine(m), _) => (!m.is_empty()).then(|| {
                    MetricValue::SearchEngine(
                        m.iter().map(|(l, n)| (l.as_str().to_owned(), *n)).collect(),
                    )
                }),
                _ => None,
            };
            if let Some(v) = value {
                debug_assert_eq!(schema.id(&def.name), Some(id));
                metrics.insert(def.name.clone(), v);
            }
        }
        let mut errors = Errors {
            unknown_metric: self.unknown_metric,
            metrics: BTreeMap::new(),
        };
        for ((id, kind), n) in &self.errors {
            errors
                .metrics
                .entry(schema.def(*id).name.clone())
                .or_default()
                .insert(kind.as_str().to_owned(), *n);
        }
        Report {
            format: REPORT_FORMAT.to_owned(),
            schema_version: schema.version(),
            report_id: self.report_id.hex(),
            day: self.day.iso(),
            environment: environment.clone(),
            metrics,
            errors,
            dropped: Dropped {
                urls: self
                    .dropped_urls
                    .iter()
                    .map(|(r, n)| (r.as_str().to_owned(), *n))
                    .collect(),
                reports: self.dropped_reports,
                rejected_uploads: self.rejected_uploads,
                corrupt_state: self.corrupt_state,
            },
        }
    }

    /// Rebuilds a window from its checkpoint. Labels are accepted only if the
    /// schema and the anonymizer could have produced them, so a tampered file
    /// cannot smuggle a raw value into the next report.
    pub fn from_report(
        r: &Report,
        schema: &Schema,
        anonymizer: &Anonymizer,
    ) -> Result<Self, RestoreError> {
        if r.format != REPORT_FORMAT || r.schema_version != schema.version() {
            return Err(RestoreError::Format);
        }
        let day = UtcDay::parse_iso(&r.day).ok_or(RestoreError::Format)?;
        let report_id = ReportId::parse_hex(&r.report_id).ok_or(RestoreError::Format)?;
        let mut w = Window::new(schema, day);
        w.report_id = report_id;
        for (name, value) in &r.metrics {
            let id = schema.id(name).ok_or(RestoreError::Schema)?;
            let def = schema.def(id);
            let slot = &mut w.slots[id.index()];
            match (value, &def.kind, slot) {
                (MetricValue::Counter(n), MetricKind::Counter, Slot::Counter(c)) => *c = *n,
                (MetricValue::Boolean(b), MetricKind::Boolean, Slot::Boolean(s)) => *s = Some(*b),
                (
                    MetricValue::LabeledCounter(m),
                    MetricKind::LabeledCounter { .. },
                    Slot::Labeled(v),
                ) => {
                    for (label, n) in m {
                        let i = def.label_index(label).ok_or(RestoreError::Schema)?;
                        v[i] = *n;
                    }
                }
                (
                    MetricValue::Histogram { bounds, counts },
                    MetricKind::Histogram { buckets },
                    Slot::Histogram(v),
                ) => {
                    if bounds != buckets || counts.len() != v.len() {
                        return Err(RestoreError::Schema);
                    }
                    v.copy_from_slice(counts);
                }
                (MetricValue::Domain(m), MetricKind::Domain { cap_per_day }, Slot::Domain(d)) => {
                    if m.len() > MAX_DOMAIN_LABELS + 1 {
                        return Err(RestoreError::Format);
                    }
                    for (label, n) in m {
                        // No window counts a domain beyond its daily cap.
                        if *n == 0 || *n > u64::from(*cap_per_day) {
                            return Err(RestoreError::Schema);
                        }
                        d.insert(
                            anonymizer.domain_label(label).ok_or(RestoreError::Schema)?,
                            *n,
                        );
                    }
                }
                (MetricValue::SearchEngine(m), MetricKind::SearchEngine, Slot::Engine(e)) => {
                    for (label, n) in m {
                        e.insert(
                            anonymizer.engine_label(label).ok_or(RestoreError::Schema)?,
                            *n,
                        );
                    }
                }
                _ => return Err(RestoreError::Schema),
            }
        }
        w.unknown_metric = r.errors.unknown_metric;
        for (name, kinds) in &r.errors.metrics {
            let id = schema.id(name).ok_or(RestoreError::Schema)?;
            for (kind, n) in kinds {
                w.errors.insert(
                    (id, ErrorKind::parse(kind).ok_or(RestoreError::Format)?),
                    *n,
                );
            }
        }
        for (reason, n) in &r.dropped.urls {
            let reason = DropReason::ALL
                .iter()
                .find(|d| d.as_str() == reason)
                .ok_or(RestoreError::Format)?;
            w.dropped_urls.insert(*reason, *n);
        }
        w.dropped_reports = r.dropped.reports;
        w.rejected_uploads = r.dropped.rejected_uploads;
        w.corrupt_state = r.dropped.corrupt_state;
        Ok(w)
    }
}
