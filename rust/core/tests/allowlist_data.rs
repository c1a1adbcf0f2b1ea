//! The shipped allow-list obeys its own rules (rust/core/data/popular-domains.txt).

use hush_core::anonymize::{registrable_domain, Anonymizer, DomainLabel, PageOutcome};

const EXCLUSIONS: &str = include_str!("../data/allowlist-exclusions.txt");

/// Kept in sync with SENSITIVE_KEYWORDS in scripts/refresh-allowlist.
const SENSITIVE_KEYWORDS: &[&str] = &[
    "porn",
    "sex",
    "xxx",
    "xvideo",
    "xhamster",
    "adult",
    "escort",
    "nude",
    "naked",
    "fetish",
    "hentai",
    "cam4",
    "chaturbate",
    "onlyfans",
    "dating",
    "tinder",
    "grindr",
    "okcupid",
    "gay",
    "lesbian",
    "lgbt",
    "queer",
    "erotic",
    "milf",
    "health",
    "medic",
    "clinic",
    "hospital",
    "pharma",
    "drug",
    "cancer",
    "hiv",
    "aids",
    "diabet",
    "depress",
    "mental",
    "therapy",
    "abortion",
    "pregnan",
    "fertility",
    "rehab",
    "addiction",
    "webmd",
    "symptom",
    "disease",
    "doctor",
    "church",
    "bible",
    "quran",
    "koran",
    "islam",
    "muslim",
    "jesus",
    "christ",
    "catholic",
    "vatican",
    "jewish",
    "torah",
    "hindu",
    "buddh",
    "mormon",
    "lds.org",
    "jw.org",
    "pray",
    "religio",
    "mosque",
    "temple",
    "sikh",
    "atheis",
    "politic",
    "democrat",
    "republican",
    "gop.",
    "party",
    "election",
    "vote",
    "campaign",
    "parliament",
    "senate",
    "congress",
    "bundestag",
    "labour",
    "conservative",
    "liberal",
    "socialis",
    "communis",
    "afd.",
    "trump",
    "biden",
];

fn entries() -> &'static [&'static str] {
    Anonymizer::shipped().allow_list()
}

#[test]
fn size_is_in_range() {
    // Target 2,000-5,000; the registry-shipped sources give ~1,450 (see the
    // file header). Fewer than 1,000 would mean a broken refresh.
    let n = entries().len();
    assert!((1_000..=5_000).contains(&n), "{n} entries");
}

#[test]
fn every_entry_is_its_own_registrable_domain_and_reportable() {
    let anon = Anonymizer::shipped();
    for &entry in entries() {
        assert!(
            entry
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-'),
            "{entry}"
        );
        assert_eq!(registrable_domain(entry), Some(entry));
        let url = format!("https://www.{entry}/some/path?q=1");
        match anon.page(url.as_bytes()) {
            PageOutcome::Domain(label) => {
                assert_ne!(label, DomainLabel::OTHER, "{entry}");
                assert_eq!(label.as_str(), entry);
                assert_eq!(anon.domain_label(entry), Some(label));
            }
            other => panic!("{entry}: {other:?}"),
        }
    }
}

#[test]
fn no_sensitive_entry() {
    let excluded: Vec<&str> = EXCLUSIONS
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .filter(|l| !l.is_empty())
        .collect();
    assert!(excluded.len() > 40, "exclusions file not read");
    for &entry in entries() {
        assert!(!excluded.contains(&entry), "{entry} is excluded");
        for keyword in SENSITIVE_KEYWORDS {
            assert!(!entry.contains(keyword), "{entry} matches {keyword}");
        }
    }
}

#[test]
fn well_known_entries_are_there() {
    for name in [
        "google.com",
        "youtube.com",
        "wikipedia.org",
        "bbc.co.uk",
        "baidu.com",
        "yandex.ru",
    ] {
        assert!(entries().contains(&name), "{name}");
    }
}
