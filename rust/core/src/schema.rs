//! The metric schema an app ships. It is written in TOML and reaches the
//! library as JSON: `hush schema` (and this crate's build script, for the
//! shipped one) converts it, so the Android library carries no TOML parser
//! (135 KB of it, BENCHMARKS.md). It is parsed and checked once, at start;
//! afterwards a metric is a [`MetricId`] (an index) and recording never looks
//! a name up again.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU32, Ordering};

use serde::Deserialize;

use crate::clock::UtcDay;

mod gate;

/// The schema Hush ships for a browser, as written.
pub const DEFAULT_SCHEMA_TOML: &str = include_str!("../schema/browser.toml");

/// [`DEFAULT_SCHEMA_TOML`] as JSON, converted by the build script.
pub const DEFAULT_SCHEMA_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/browser.json"));

const MAX_LABELS: usize = 256;
const MAX_BUCKETS: usize = 64;
const MAX_METRICS: usize = 1024;

/// A metric of one [`Schema`]: its index, and the tag of the schema it came
/// from, so an id of another schema is refused instead of naming whatever
/// metric has that index here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MetricId {
    index: u32,
    schema: u32,
}

impl MetricId {
    pub fn index(self) -> usize {
        self.index as usize
    }
}

/// Each parsed schema gets its own tag (a clone keeps it: same metrics).
fn next_schema_tag() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Whether a private tab may ever record a metric (DESIGN.md P2). What an
/// `Aggregate` metric must be (its type, its labels) is checked in `gate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Incognito {
    /// A private tab never records it.
    #[default]
    Never,
    /// A private tab may count it when Enhanced incognito is off.
    Aggregate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricKind {
    Counter,
    LabeledCounter {
        labels: Vec<String>,
    },
    Boolean,
    /// Upper bounds, inclusive, strictly increasing; one overflow bucket follows.
    Histogram {
        buckets: Vec<u64>,
    },
    /// Labels only from the anonymizer: an allow-listed eTLD+1 or `other`.
    Domain {
        cap_per_day: u32,
    },
    /// Labels only from the anonymizer's search-engine list.
    SearchEngine,
}

impl MetricKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            MetricKind::Counter => "counter",
            MetricKind::LabeledCounter { .. } => "labeled_counter",
            MetricKind::Boolean => "boolean",
            MetricKind::Histogram { .. } => "histogram",
            MetricKind::Domain { .. } => "domain",
            MetricKind::SearchEngine => "search_engine",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricDef {
    pub name: String,
    pub kind: MetricKind,
    pub description: String,
    pub incognito: Incognito,
    /// Last day on which the metric records; `None` never expires.
    pub expires: Option<UtcDay>,
    /// The largest value one device reports for one day: of a counter, of
    /// each label, bucket or engine. Larger values are clamped and the clamp
    /// is counted. One less than a power of two, because the DAP validity
    /// proof bounds a value by its number of bits (P14).
    pub max_per_day: u64,
}

impl MetricDef {
    pub fn is_expired(&self, day: UtcDay) -> bool {
        self.expires.is_some_and(|last| day > last)
    }

    pub fn label_index(&self, label: &str) -> Option<usize> {
        match &self.kind {
            MetricKind::LabeledCounter { labels } => labels.iter().position(|l| l == label),
            _ => None,
        }
    }
}

/// Which metrics the browsing calls feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BrowsingMetrics {
    pub page_load_domain: Option<MetricId>,
    pub page_load_time: Option<MetricId>,
    pub search_engine: Option<MetricId>,
}

#[derive(Debug, Clone)]
pub struct Schema {
    tag: u32,
    version: u32,
    metrics: Vec<MetricDef>,
    by_name: HashMap<String, MetricId>,
    browsing: BrowsingMetrics,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SchemaError {
    /// Not JSON (or TOML) of the schema's shape.
    #[error("schema syntax: {0}")]
    Syntax(String),
    #[error("schema: {0}")]
    Invalid(String),
}

fn invalid(msg: impl Into<String>) -> SchemaError {
    SchemaError::Invalid(msg.into())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchema {
    schema_version: u32,
    #[serde(default)]
    browsing: RawBrowsing,
    #[serde(deserialize_with = "unique_metrics")]
    metrics: BTreeMap<String, RawMetric>,
}

/// serde_json keeps the last of two equal keys where TOML refuses them; this
/// refuses them in both, so a hand-written JSON schema cannot hide a metric
/// behind another of the same name.
fn unique_metrics<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, RawMetric>, D::Error> {
    struct Unique;
    impl<'de> serde::de::Visitor<'de> for Unique {
        type Value = BTreeMap<String, RawMetric>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a table of metrics")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut metrics = BTreeMap::new();
            while let Some((name, metric)) = map.next_entry::<String, RawMetric>()? {
                if metrics.contains_key(&name) {
                    return Err(serde::de::Error::custom(format!(
                        "metric '{name}' is defined twice"
                    )));
                }
                metrics.insert(name, metric);
            }
            Ok(metrics)
        }
    }
    d.deserialize_map(Unique)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawBrowsing {
    page_load_domain: Option<String>,
    page_load_time: Option<String>,
    search_engine: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetric {
    #[serde(rename = "type")]
    kind: String,
    description: String,
    incognito: Option<String>,
    expires: String,
    labels: Option<Vec<String>>,
    buckets: Option<Vec<u64>>,
    cap_per_day: Option<u32>,
    max_per_day: Option<u64>,
}

impl Schema {
    /// The shipped browser schema.
    pub fn default_browser() -> Self {
        // The shipped file is checked by a unit test; failing here is a build defect.
        Self::from_json(DEFAULT_SCHEMA_JSON).expect("shipped schema is valid")
    }

    /// A schema as the library takes it: the JSON form of the TOML file.
    pub fn from_json(text: &str) -> Result<Self, SchemaError> {
        let raw: RawSchema = serde_json::from_str(text).map_err(|e| {
            let hint = if text.trim_start().starts_with('{') {
                ""
            } else {
                " (a TOML schema file? `hush schema FILE.toml` converts it)"
            };
            SchemaError::Syntax(format!("JSON: {e}{hint}"))
        })?;
        Self::from_raw(raw)
    }

    /// A schema file as written (the `toml` feature: the CLI and tests).
    #[cfg(feature = "toml")]
    pub fn from_toml(text: &str) -> Result<Self, SchemaError> {
        let raw: RawSchema =
            toml::from_str(text).map_err(|e| SchemaError::Syntax(format!("TOML: {e}")))?;
        Self::from_raw(raw)
    }

    /// A schema file converted to the JSON that [`Schema::from_json`] takes,
    /// after checking that it is a valid schema. Keys are sorted, which is
    /// also the order in which metrics are numbered, so the conversion does
    /// not change a metric's index.
    #[cfg(feature = "toml")]
    pub fn toml_to_json(text: &str) -> Result<String, SchemaError> {
        Self::from_toml(text)?;
        let value: serde_json::Value =
            toml::from_str(text).map_err(|e| SchemaError::Syntax(format!("TOML: {e}")))?;
        serde_json::to_string_pretty(&value).map_err(|e| SchemaError::Syntax(format!("JSON: {e}")))
    }

    fn from_raw(raw: RawSchema) -> Result<Self, SchemaError> {
        if raw.metrics.len() > MAX_METRICS {
            return Err(invalid(format!("more than {MAX_METRICS} metrics")));
        }
        let tag = next_schema_tag();
        let mut metrics = Vec::with_capacity(raw.metrics.len());
        let mut by_name = HashMap::with_capacity(raw.metrics.len());
        for (name, m) in raw.metrics {
            let def = parse_metric(name, m)?;
            let id = MetricId {
                index: metrics.len() as u32,
                schema: tag,
            };
            by_name.insert(def.name.clone(), id);
            metrics.push(def);
        }
        let mut schema = Schema {
            tag,
            version: raw.schema_version,
            metrics,
            by_name,
            browsing: BrowsingMetrics::default(),
        };
        schema.browsing = BrowsingMetrics {
            page_load_domain: schema.bind(
                raw.browsing.page_load_domain,
                "page_load_domain",
                "domain",
            )?,
            page_load_time: schema.bind(
                raw.browsing.page_load_time,
                "page_load_time",
                "histogram",
            )?,
            search_engine: schema.bind(
                raw.browsing.search_engine,
                "search_engine",
                "search_engine",
            )?,
        };
        Ok(schema)
    }

    fn bind(
        &self,
        name: Option<String>,
        slot: &str,
        want: &str,
    ) -> Result<Option<MetricId>, SchemaError> {
        let Some(name) = name else { return Ok(None) };
        let id = self
            .id(&name)
            .ok_or_else(|| invalid(format!("browsing.{slot} names unknown metric '{name}'")))?;
        let got = self.def(id).kind.type_name();
        if got != want {
            return Err(invalid(format!(
                "browsing.{slot} needs a {want} metric, '{name}' is a {got}"
            )));
        }
        Ok(Some(id))
    }

    pub fn version(&self) -> u32 {
        self.version
    }
    pub fn id(&self, name: &str) -> Option<MetricId> {
        self.by_name.get(name).copied()
    }
    /// The definition of `id`; `None` for an id of another schema.
    pub fn get(&self, id: MetricId) -> Option<&MetricDef> {
        if id.schema != self.tag {
            return None;
        }
        self.metrics.get(id.index())
    }
    /// The definition of an id already known to be of this schema (the core
    /// checks at its entry points with [`Schema::get`]).
    pub(crate) fn def(&self, id: MetricId) -> &MetricDef {
        &self.metrics[id.index()]
    }
    pub fn len(&self) -> usize {
        self.metrics.len()
    }
    pub fn is_empty(&self) -> bool {
        self.metrics.is_empty()
    }
    pub fn metrics(&self) -> impl Iterator<Item = (MetricId, &MetricDef)> {
        self.metrics.iter().enumerate().map(|(i, d)| {
            let id = MetricId {
                index: i as u32,
                schema: self.tag,
            };
            (id, d)
        })
    }
    pub fn browsing(&self) -> BrowsingMetrics {
        self.browsing
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.' || b == b'-'
        })
}

fn parse_metric(name: String, m: RawMetric) -> Result<MetricDef, SchemaError> {
    if !valid_name(&name) {
        return Err(invalid(format!(
            "metric name '{name}' must be 1-64 of [a-z0-9_.-]"
        )));
    }
    // Read here rather than by serde, so the error names the field in JSON too.
    let incognito = match m.incognito.as_deref() {
        None | Some("never") => Incognito::Never,
        Some("aggregate") => Incognito::Aggregate,
        Some(other) => {
            return Err(invalid(format!(
                "{name}: incognito must be \"never\" or \"aggregate\", not {other:?}"
            )))
        }
    };
    let reject = |field: &str, present: bool| {
        if present {
            Err(invalid(format!(
                "{name}: '{field}' does not apply to type {}",
                m.kind
            )))
        } else {
            Ok(())
        }
    };
    let kind = match m.kind.as_str() {
        "counter" | "boolean" | "search_engine" => {
            reject("labels", m.labels.is_some())?;
            reject("buckets", m.buckets.is_some())?;
            reject("cap_per_day", m.cap_per_day.is_some())?;
            match m.kind.as_str() {
                "counter" => MetricKind::Counter,
                "boolean" => MetricKind::Boolean,
                _ => MetricKind::SearchEngine,
            }
        }
        "labeled_counter" => {
            reject("buckets", m.buckets.is_some())?;
            reject("cap_per_day", m.cap_per_day.is_some())?;
            let labels = m
                .labels
                .clone()
                .ok_or_else(|| invalid(format!("{name}: labeled_counter needs labels")))?;
            if labels.is_empty() || labels.len() > MAX_LABELS {
                return Err(invalid(format!("{name}: 1 to {MAX_LABELS} labels")));
            }
            for (i, l) in labels.iter().enumerate() {
                // An `aggregate` metric's labels obey the stricter rule of
                // `gate` (checked below, with its own message).
                if incognito != Incognito::Aggregate && !valid_name(l) {
                    return Err(invalid(format!(
                        "{name}: label '{l}' must be 1-64 of [a-z0-9_.-]"
                    )));
                }
                if labels[..i].contains(l) {
                    return Err(invalid(format!("{name}: label '{l}' declared twice")));
                }
            }
            MetricKind::LabeledCounter { labels }
        }
        "histogram" => {
            reject("labels", m.labels.is_some())?;
            reject("cap_per_day", m.cap_per_day.is_some())?;
            let buckets = m
                .buckets
                .clone()
                .ok_or_else(|| invalid(format!("{name}: histogram needs buckets")))?;
            if buckets.is_empty() || buckets.len() > MAX_BUCKETS {
                return Err(invalid(format!("{name}: 1 to {MAX_BUCKETS} buckets")));
            }
            if buckets.windows(2).any(|w| w[0] >= w[1]) {
                return Err(invalid(format!(
                    "{name}: buckets must be strictly increasing"
                )));
            }
            MetricKind::Histogram { buckets }
        }
        "domain" => {
            reject("labels", m.labels.is_some())?;
            reject("buckets", m.buckets.is_some())?;
            let cap_per_day = m.cap_per_day.unwrap_or(1);
            if cap_per_day == 0 {
                return Err(invalid(format!("{name}: cap_per_day must be at least 1")));
            }
            MetricKind::Domain { cap_per_day }
        }
        other => return Err(invalid(format!("{name}: unknown type '{other}'"))),
    };
    let max_per_day = match &kind {
        MetricKind::Counter | MetricKind::LabeledCounter { .. } | MetricKind::SearchEngine => {
            m.max_per_day.unwrap_or(DEFAULT_MAX_PER_DAY)
        }
        MetricKind::Histogram { .. } => m.max_per_day.unwrap_or(DEFAULT_MAX_PER_BUCKET),
        MetricKind::Boolean => {
            reject("max_per_day", m.max_per_day.is_some())?;
            1
        }
        MetricKind::Domain { cap_per_day } => {
            reject("max_per_day", m.max_per_day.is_some())?;
            u64::from(*cap_per_day)
        }
    };
    if !is_bit_bound(max_per_day) {
        let field = if matches!(kind, MetricKind::Domain { .. }) {
            "cap_per_day"
        } else {
            "max_per_day"
        };
        return Err(invalid(format!(
            "{name}: {field} must be one less than a power of two (1, 3, 7, ..., 4294967295): \
             the DAP validity proof bounds a value by its number of bits"
        )));
    }
    let expires =
        match m.expires.as_str() {
            "never" => None,
            date => Some(UtcDay::parse_iso(date).ok_or_else(|| {
                invalid(format!("{name}: expires must be YYYY-MM-DD or \"never\""))
            })?),
        };
    let def = MetricDef {
        name,
        kind,
        description: m.description,
        incognito,
        expires,
        max_per_day,
    };
    gate::check(&def)?;
    Ok(def)
}

/// Per-day bounds when a schema declares none: 255 for a counter, a label
/// or an engine; 1,023 page loads per histogram bucket.
const DEFAULT_MAX_PER_DAY: u64 = 255;
const DEFAULT_MAX_PER_BUCKET: u64 = 1_023;

/// `2^k - 1` for `1 <= k <= 32`.
fn is_bit_bound(n: u64) -> bool {
    n >= 1 && n <= u64::from(u32::MAX) && (n + 1).is_power_of_two()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(metric: &str) -> Result<Schema, SchemaError> {
        both(&format!("schema_version = 1\n[metrics.\"m\"]\n{metric}"))
    }

    /// `text` read both ways: as written (TOML) and as the app ships it (the
    /// JSON form, which is all the Android library parses). Every rule must
    /// hold on both, so they must agree; the JSON result is returned.
    pub(crate) fn both(text: &str) -> Result<Schema, SchemaError> {
        let as_written = Schema::from_toml(text);
        let value: serde_json::Value = toml::from_str(text).expect("a test schema is TOML");
        let shipped = Schema::from_json(&value.to_string());
        match (&as_written, &shipped) {
            (Ok(a), Ok(b)) => assert_same(a, b),
            (Err(SchemaError::Invalid(a)), Err(SchemaError::Invalid(b))) => assert_eq!(a, b),
            (Err(SchemaError::Syntax(_)), Err(SchemaError::Syntax(_))) => {}
            _ => panic!("TOML and JSON disagree on {text:?}: {as_written:?} / {shipped:?}"),
        }
        shipped
    }

    fn assert_same(a: &Schema, b: &Schema) {
        assert_eq!(a.version(), b.version());
        let index = |m: Option<MetricId>| m.map(MetricId::index);
        let (x, y) = (a.browsing(), b.browsing());
        assert_eq!(index(x.page_load_domain), index(y.page_load_domain));
        assert_eq!(index(x.page_load_time), index(y.page_load_time));
        assert_eq!(index(x.search_engine), index(y.search_engine));
        let defs = |s: &Schema| {
            s.metrics()
                .map(|(id, d)| (id.index(), d.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(defs(a), defs(b));
    }

    #[test]
    fn the_shipped_json_is_the_shipped_toml() {
        let toml = Schema::from_toml(DEFAULT_SCHEMA_TOML).unwrap();
        assert_same(&toml, &Schema::default_browser());
        // What `hush schema` writes reads back as the same schema.
        let converted = Schema::toml_to_json(DEFAULT_SCHEMA_TOML).unwrap();
        assert_same(&toml, &Schema::from_json(&converted).unwrap());
        assert!(toml.len() > 10, "the shipped schema is the browser's");
    }

    #[test]
    fn the_library_takes_json_not_toml() {
        let err = Schema::from_json(DEFAULT_SCHEMA_TOML).unwrap_err();
        assert!(matches!(err, SchemaError::Syntax(_)), "{err:?}");
        assert!(err.to_string().starts_with("schema syntax: JSON"), "{err}");
        assert!(err.to_string().contains("hush schema FILE.toml"), "{err}");
        // Two metrics of one name: TOML refuses them, and so does JSON
        // (serde_json alone would keep the second).
        let twice = r#"{"schema_version": 1, "metrics": {
            "m": {"type": "counter", "description": "", "expires": "never"},
            "m": {"type": "boolean", "description": "", "expires": "never"}}}"#;
        let err = Schema::from_json(twice).unwrap_err().to_string();
        assert!(err.contains("metric 'm' is defined twice"), "{err}");
        // Conversion refuses what the library would refuse at start.
        let aggregate_domain = "schema_version = 1\n[metrics.d]\ntype = \"domain\"\nincognito = \"aggregate\"\ndescription = \"\"\nexpires = \"never\"";
        assert!(Schema::toml_to_json(aggregate_domain).is_err());
        assert!(Schema::toml_to_json("not toml [").is_err());
    }

    #[test]
    fn shipped_schema_parses_and_binds_browsing_metrics() {
        let s = Schema::default_browser();
        let b = s.browsing();
        assert_eq!(s.def(b.page_load_domain.unwrap()).name, "page.domain");
        assert_eq!(s.def(b.page_load_time.unwrap()).name, "page.load_time_ms");
        assert_eq!(s.def(b.search_engine.unwrap()).name, "search.engine");
        let private = s.def(s.id("tabs.private_opened").unwrap());
        assert_eq!(private.incognito, Incognito::Aggregate);
        // Everything that can carry browsing data stays `never`.
        for (_, d) in s.metrics() {
            if matches!(
                d.kind,
                MetricKind::Domain { .. } | MetricKind::SearchEngine | MetricKind::Histogram { .. }
            ) {
                assert_eq!(d.incognito, Incognito::Never, "{}", d.name);
            }
        }
        for required in [
            "tabs.opened",
            "bookmarks.added",
            "downloads.started",
            "reader_mode.used",
            "settings.switched",
            "news.items_viewed",
        ] {
            assert!(s.id(required).is_some(), "{required}");
        }
    }

    #[test]
    fn rejects_bad_metrics_with_clear_errors() {
        let cases = [
            ("type = \"gauge\"\ndescription = \"\"\nexpires = \"never\"", "unknown type"),
            ("type = \"labeled_counter\"\ndescription = \"\"\nexpires = \"never\"", "needs labels"),
            ("type = \"labeled_counter\"\nlabels = [\"a\", \"a\"]\ndescription = \"\"\nexpires = \"never\"", "twice"),
            ("type = \"labeled_counter\"\nlabels = [\"A b\"]\ndescription = \"\"\nexpires = \"never\"", "label"),
            ("type = \"histogram\"\nbuckets = [5, 5]\ndescription = \"\"\nexpires = \"never\"", "strictly increasing"),
            ("type = \"histogram\"\ndescription = \"\"\nexpires = \"never\"", "needs buckets"),
            ("type = \"domain\"\nincognito = \"aggregate\"\ndescription = \"\"\nexpires = \"never\"", "aggregate"),
            ("type = \"search_engine\"\nincognito = \"aggregate\"\ndescription = \"\"\nexpires = \"never\"", "aggregate"),
            ("type = \"histogram\"\nbuckets = [1]\nincognito = \"aggregate\"\ndescription = \"\"\nexpires = \"never\"", "aggregate"),
            ("type = \"counter\"\ndescription = \"\"\nexpires = \"tomorrow\"", "expires"),
            ("type = \"counter\"\nlabels = [\"a\"]\ndescription = \"\"\nexpires = \"never\"", "does not apply"),
            ("type = \"domain\"\ncap_per_day = 0\ndescription = \"\"\nexpires = \"never\"", "cap_per_day"),
            ("type = \"domain\"\ncap_per_day = 2\ndescription = \"\"\nexpires = \"never\"", "power of two"),
            ("type = \"counter\"\nmax_per_day = 100\ndescription = \"\"\nexpires = \"never\"", "power of two"),
            ("type = \"counter\"\nmax_per_day = 0\ndescription = \"\"\nexpires = \"never\"", "power of two"),
            ("type = \"counter\"\nmax_per_day = 8589934591\ndescription = \"\"\nexpires = \"never\"", "power of two"),
            ("type = \"boolean\"\nmax_per_day = 1\ndescription = \"\"\nexpires = \"never\"", "does not apply"),
            ("type = \"counter\"\nincognito = \"always\"\ndescription = \"\"\nexpires = \"never\"", "incognito"),
            ("type = \"counter\"\ndescription = \"\"", "expires"),
        ];
        for (body, want) in cases {
            let err = one(body).unwrap_err().to_string();
            assert!(err.contains(want), "{body:?}: {err}");
        }
        assert!(Schema::from_toml("not toml [")
            .unwrap_err()
            .to_string()
            .contains("TOML"));
        let bad_name = both("schema_version = 1\n[metrics.\"Bad Name\"]\ntype=\"counter\"\ndescription=\"\"\nexpires=\"never\"");
        assert!(bad_name.unwrap_err().to_string().contains("metric name"));
    }

    #[test]
    fn browsing_bindings_are_type_checked() {
        let text = "schema_version = 1\n[browsing]\npage_load_domain = \"c\"\n[metrics.c]\ntype=\"counter\"\ndescription=\"\"\nexpires=\"never\"";
        assert!(both(text)
            .unwrap_err()
            .to_string()
            .contains("needs a domain metric"));
        let text = "schema_version = 1\n[browsing]\nsearch_engine = \"nope\"\n[metrics.c]\ntype=\"counter\"\ndescription=\"\"\nexpires=\"never\"";
        assert!(both(text)
            .unwrap_err()
            .to_string()
            .contains("unknown metric"));
    }

    #[test]
    fn expiry_is_inclusive_of_the_last_day() {
        let s = one("type = \"counter\"\ndescription = \"\"\nexpires = \"2026-01-31\"").unwrap();
        let d = s.def(s.id("m").unwrap());
        assert!(!d.is_expired(UtcDay::parse_iso("2026-01-31").unwrap()));
        assert!(d.is_expired(UtcDay::parse_iso("2026-02-01").unwrap()));
    }
}
