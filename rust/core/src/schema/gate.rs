//! What DESIGN.md P1 and P2 ask of a schema, checked in one place when it is
//! loaded; a schema that breaks any rule is refused with the rule's reason.
//!
//! P1, no schema entry can turn the incognito gate off:
//! * the grammar has no field that could: an unknown field is refused
//!   (`deny_unknown_fields` on every table of the raw schema), and
//!   `incognito` is `"never"` or `"aggregate"`, nothing else ([`Incognito`]);
//! * a metric that can carry browsing data (`domain`, `search_engine`,
//!   `histogram`, `boolean`) is always `never`, so the browsing calls, whose
//!   bindings are type-checked, never feed a metric a private tab may count.
//!
//! P2, with Enhanced incognito off a private tab may count only `aggregate`
//! metrics, plain counters whose value and labels come from the browser UI:
//! * only `counter` and `labeled_counter` may be `aggregate` (the rule above);
//! * every label of an `aggregate` labeled counter is a UI identifier,
//!   `[a-z][a-z0-9_]*` of at most [`MAX_LABEL_BYTES`]: no dot, so no label is
//!   a host name, an IP literal or an allow-listed domain;
//! * no label is a value the anonymizer reports (`other`, an engine name),
//!   which a private count could otherwise pass off as a browsing report;
//! * no label is a domain spelled with underscores (`grindr_com`,
//!   `bbc_co_uk`): read with dots, it must not be a domain the anonymizer
//!   reports by name, nor a public domain under a generic TLD or under a
//!   second-level suffix. A country-code TLD alone is allowed (`sign_in`,
//!   `zoom_in` read as `sign.in`, `zoom.in`), and a bare word (`grindr`)
//!   cannot be told from a UI word by its spelling: the labels are fixed
//!   when the schema loads, and what they name is the schema author's.

use super::{Incognito, MetricDef, MetricKind, SchemaError};
use crate::anonymize::{Anonymizer, DomainLabel};

pub(super) const MAX_LABEL_BYTES: usize = 64;

/// TLDs under which `x_com`-style labels are refused: the generic ones a
/// domain is usually spelled with.
const GENERIC_TLDS: &[&str] = &[
    "com", "net", "org", "info", "biz", "edu", "gov", "mil", "int",
];

/// Every P1 and P2 rule for one parsed metric.
pub(super) fn check(def: &MetricDef) -> Result<(), SchemaError> {
    if def.incognito != Incognito::Aggregate {
        return Ok(());
    }
    let name = &def.name;
    match &def.kind {
        MetricKind::Counter => Ok(()),
        MetricKind::LabeledCounter { labels } => labels.iter().try_for_each(|label| {
            check_aggregate_label(label).map_err(|why| refuse(name, label, why))
        }),
        other => Err(SchemaError::Invalid(format!(
            "{name}: a {} may not be incognito = \"aggregate\": only counters and labeled \
             counters whose values come from the browser UI may be counted in a private tab \
             (DESIGN.md P2)",
            other.type_name()
        ))),
    }
}

fn refuse(metric: &str, label: &str, why: String) -> SchemaError {
    SchemaError::Invalid(format!(
        "{metric}: label '{label}' of an incognito = \"aggregate\" metric {why}; a private tab \
         may count it, so it must name a piece of the browser UI, never a site (DESIGN.md P2)"
    ))
}

fn check_aggregate_label(label: &str) -> Result<(), String> {
    let identifier = label.len() <= MAX_LABEL_BYTES
        && label.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !identifier {
        return Err(format!(
            "must be a UI identifier, [a-z][a-z0-9_]* of at most {MAX_LABEL_BYTES} bytes (no dots)"
        ));
    }
    let anon = Anonymizer::shipped();
    if label == DomainLabel::OTHER.as_str() || anon.engines().any(|e| e.as_str() == label) {
        return Err("is a value the anonymizer reports (`other` or a search engine)".into());
    }
    if label.contains('_') {
        let dotted = label.replace('_', ".");
        let seen = anon.explain(format!("https://{dotted}/").as_bytes());
        if let (Some(domain), Some(reported)) = (seen.registrable_domain, seen.reported) {
            if reported != DomainLabel::OTHER.as_str() {
                return Err(format!("reads as {dotted}, an allow-listed domain"));
            }
            let suffix = domain.split_once('.').map_or("", |(_, s)| s);
            if suffix.contains('.') || GENERIC_TLDS.contains(&suffix) {
                return Err(format!("reads as the domain {domain}"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::schema::tests::both;
    use crate::schema::{Incognito, Schema, SchemaError};

    fn load(metric: &str) -> Result<Schema, SchemaError> {
        both(&format!(
            "schema_version = 1\n[metrics.\"m\"]\ndescription = \"\"\nexpires = \"never\"\n{metric}"
        ))
    }

    fn aggregate_labels(labels: &[&str]) -> Result<Schema, SchemaError> {
        let quoted: Vec<String> = labels.iter().map(|l| format!("{l:?}")).collect();
        load(&format!(
            "type = \"labeled_counter\"\nincognito = \"aggregate\"\nlabels = [{}]",
            quoted.join(", ")
        ))
    }

    fn refused(result: Result<Schema, SchemaError>, want: &str) {
        let err = result.expect_err("refused").to_string();
        assert!(err.contains(want), "{err}");
    }

    #[test]
    fn p1_the_grammar_has_no_switch_for_the_gate() {
        for value in ["always", "record", "normal", "Aggregate", "on"] {
            refused(
                load(&format!("type = \"counter\"\nincognito = \"{value}\"")),
                "incognito",
            );
        }
        for field in [
            "private_tabs = \"record\"",
            "bypass_gate = true",
            "enhanced_incognito = false",
        ] {
            refused(
                load(&format!("type = \"counter\"\n{field}")),
                "unknown field",
            );
        }
        refused(
            both("schema_version = 1\nincognito_gate = false\n[metrics]"),
            "unknown field",
        );
        refused(
            both(
                "schema_version = 1\n[browsing]\nprivate = true\n[metrics.c]\ntype = \"counter\"\ndescription = \"\"\nexpires = \"never\"",
            ),
            "unknown field",
        );
    }

    #[test]
    fn p1_metrics_that_carry_browsing_data_are_never_aggregate() {
        for kind in [
            "type = \"domain\"",
            "type = \"search_engine\"",
            "type = \"histogram\"\nbuckets = [1, 2]",
            "type = \"boolean\"",
        ] {
            refused(
                load(&format!("{kind}\nincognito = \"aggregate\"")),
                "may not be incognito = \"aggregate\"",
            );
            // The same metric is accepted as `never`: the rule is the one refusing.
            assert!(load(kind).is_ok(), "{kind}");
        }
        // So no browsing binding can name a metric a private tab may count.
        let text = "schema_version = 1\n[browsing]\npage_load_time = \"t\"\n[metrics.t]\ntype = \"histogram\"\nbuckets = [1]\nincognito = \"aggregate\"\ndescription = \"\"\nexpires = \"never\"";
        refused(both(text), "may not be incognito");
    }

    #[test]
    fn p2_aggregate_labels_are_ui_identifiers() {
        for label in [
            "grindr.com",
            "www.example.org",
            "192.168.0.1",
            "::1",
            "xn--bcher-kva.example",
            "private-tab",
            "Private",
            "9lives",
            "_tab",
            "tab opened",
            "",
        ] {
            refused(aggregate_labels(&["tab_opened", label]), "UI identifier");
        }
        refused(aggregate_labels(&[&"a".repeat(65)]), "at most 64 bytes");
        assert!(aggregate_labels(&[&"a".repeat(64)]).is_ok());
    }

    #[test]
    fn p2_aggregate_labels_are_not_values_the_anonymizer_reports() {
        for label in ["other", "google", "duckduckgo", "yandex", "yahoo_japan"] {
            refused(aggregate_labels(&[label]), "the anonymizer reports");
        }
    }

    #[test]
    fn p2_aggregate_labels_are_not_domains_spelled_with_underscores() {
        for (label, want) in [
            ("grindr_com", "reads as the domain grindr.com"),
            ("m_facebook_com", "allow-listed"),
            ("facebook_com", "allow-listed"),
            ("spiegel_de", "allow-listed"),
            ("google_at", "allow-listed"),
            ("bbc_co_uk", "allow-listed"),
            ("someclinic_co_uk", "reads as the domain someclinic.co.uk"),
            ("lgbt_org", "reads as the domain lgbt.org"),
            ("casino_net", "reads as the domain casino.net"),
        ] {
            refused(aggregate_labels(&[label]), want);
        }
    }

    #[test]
    fn p2_ui_identifiers_load() {
        // Words that collide with TLDs stay usable: the rules refuse domains,
        // not English.
        let ok = [
            "tab_opened",
            "sign_in",
            "zoom_in",
            "open_in_new",
            "menu_app",
            "dark_mode_on",
            "from_menu",
            "new_tab_page",
            "v2_button",
        ];
        let s = aggregate_labels(&ok).expect("UI identifiers load");
        let def = s.get(s.id("m").unwrap()).unwrap();
        assert_eq!(def.incognito, Incognito::Aggregate);
        assert_eq!(def.label_index("open_in_new"), Some(3));
    }

    #[test]
    fn p2_rules_apply_to_aggregate_metrics_only() {
        // A `never` labeled counter is never counted in a private tab, so its
        // labels keep the wider grammar.
        let s = load("type = \"labeled_counter\"\nlabels = [\"feed.top-stories\", \"other\"]");
        assert!(s.is_ok(), "{:?}", s.err());
        // And a plain aggregate counter has nothing to check.
        assert!(load("type = \"counter\"\nincognito = \"aggregate\"").is_ok());
    }

    #[test]
    fn the_shipped_schema_obeys_every_rule() {
        // `default_browser` goes through the same checks; a failure here is
        // the clear error a browser team would get at load time.
        let s = Schema::default_browser();
        let aggregate: Vec<&str> = s
            .metrics()
            .filter(|(_, d)| d.incognito == Incognito::Aggregate)
            .map(|(_, d)| d.name.as_str())
            .collect();
        assert_eq!(aggregate, ["tabs.private_opened"]);
    }
}
