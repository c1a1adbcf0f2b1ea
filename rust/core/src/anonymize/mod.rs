//! On-device anonymization (DESIGN.md P5-P9): what a page load or a search
//! becomes before anything is recorded.
//!
//! * A page URL becomes a [`DomainLabel`]: its registrable domain (eTLD+1 by
//!   the Public Suffix List, ICANN and private sections) if that is on the
//!   shipped allow-list of popular domains, else [`DomainLabel::OTHER`]; or it
//!   is dropped with a [`DropReason`] (non-http(s) scheme, credentials, IP
//!   literal, localhost, single-label, special-use or unlisted TLD, no
//!   registrable domain, invalid UTF-8, unparsable, too long).
//! * A search URL becomes an [`EngineLabel`] (the engine only) or is dropped
//!   by the same rules.
//! * The environment is coarsened to three fields ([`Environment`]).
//!
//! Labels cannot be built from arbitrary strings outside this module: the only
//! ways to get one are [`Anonymizer::page`], [`Anonymizer::search`],
//! [`Anonymizer::domain_label`] and [`Anonymizer::engine_label`], so a raw URL
//! or host cannot reach the aggregator. Nothing here keeps a host after the
//! call (no cache keyed by host) and nothing here logs (P11). Path, query,
//! fragment and userinfo are never copied at all (see `url_host`).
//!
//! Allow-list lookup: a hash map from entry (or folded country variant) to
//! index over `&'static str` slices of the compiled-in data file; a label is
//! the entry's index in the sorted list. See `allowlist` for the memory cost
//! (~335 KB in all for the 4,048 shipped entries and 366 variants).
//!
//! Speed (`cargo bench --bench anonymize`, 2-core dev box under load): a
//! 100-300 byte page URL takes ~130 ns median, a punycode IDN host ~180 ns,
//! a search URL ~190 ns; well inside the 1.5 µs page-load budget.
//! Instruction counts: `scripts/bench instructions`.

mod allowlist;
mod environment;
mod explain;
mod registrable;
mod search;
mod url_host;

use std::sync::OnceLock;

pub use environment::{Environment, EnvironmentError, MAX_ANDROID_API, MIN_ANDROID_API};
pub use explain::{Explanation, REASON_ALLOW_LISTED, REASON_NOT_ALLOW_LISTED};
pub use registrable::registrable_domain;
pub use url_host::MAX_URL_BYTES;

use allowlist::AllowList;
use registrable::Registrable;

/// Why a URL was dropped: nothing is recorded but a count per reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DropReason {
    /// Scheme other than `http`/`https` (`file:`, `data:`, `about:`, `blob:` …).
    NotHttp,
    /// The authority has a `@`: user name and/or password.
    Userinfo,
    /// IPv4 (any of its decimal, octal, hex or short forms) or IPv6.
    IpLiteral,
    /// `localhost` or a name under `.localhost`.
    Localhost,
    /// A host without a dot (intranet names).
    SingleLabel,
    /// `.local`, `.internal`, `.home.arpa` (all of `.arpa`), `.onion`, `.test`,
    /// `.invalid`, `.example`, `.alt`.
    SpecialUse,
    /// The host is a public suffix itself (`co.uk`, `github.io`) or has an
    /// empty label.
    NoRegistrableDomain,
    /// The TLD is on no PSL rule (`.corp`, `.lan`, `.home`): a private namespace.
    UnlistedTld,
    InvalidUtf8,
    /// Not a URL a page could have been loaded from, or one whose host is
    /// not ASCII after percent-decoding (browsers hand over the punycode
    /// form; see `url_host`).
    Unparsable,
    /// Input over [`MAX_URL_BYTES`], or a host over DNS limits.
    TooLong,
}

impl DropReason {
    pub const ALL: &'static [DropReason] = &[
        DropReason::NotHttp,
        DropReason::Userinfo,
        DropReason::IpLiteral,
        DropReason::Localhost,
        DropReason::SingleLabel,
        DropReason::SpecialUse,
        DropReason::NoRegistrableDomain,
        DropReason::UnlistedTld,
        DropReason::InvalidUtf8,
        DropReason::Unparsable,
        DropReason::TooLong,
    ];

    /// snake_case name, used as a JSON key in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::NotHttp => "not_http",
            DropReason::Userinfo => "userinfo",
            DropReason::IpLiteral => "ip_literal",
            DropReason::Localhost => "localhost",
            DropReason::SingleLabel => "single_label",
            DropReason::SpecialUse => "special_use",
            DropReason::NoRegistrableDomain => "no_registrable_domain",
            DropReason::UnlistedTld => "unlisted_tld",
            DropReason::InvalidUtf8 => "invalid_utf8",
            DropReason::Unparsable => "unparsable",
            DropReason::TooLong => "too_long",
        }
    }
}

/// A reportable domain: `other` or an entry of the shipped allow-list.
/// 0 is `other`; `n` is allow-list entry `n - 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainLabel(u32);

impl DomainLabel {
    pub const OTHER: DomainLabel = DomainLabel(0);

    /// The label text, pointing into the shipped data.
    pub fn as_str(self) -> &'static str {
        match self.0.checked_sub(1) {
            None => OTHER,
            Some(i) => Anonymizer::shipped().allow.get(i as usize).unwrap_or(OTHER),
        }
    }
}

/// A search engine of the shipped list, or `other`.
/// 0 is `other`; `n` is engine `n - 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EngineLabel(u16);

impl EngineLabel {
    pub const OTHER: EngineLabel = EngineLabel(0);

    pub fn as_str(self) -> &'static str {
        match self.0.checked_sub(1) {
            None => OTHER,
            Some(i) => search::ENGINES
                .get(usize::from(i))
                .map_or(OTHER, |e| e.name),
        }
    }

    fn from_index(index: usize) -> EngineLabel {
        // The engine table is a short const list; a miss cannot happen, but
        // `other` is the safe answer if it ever did.
        u16::try_from(index + 1).map_or(EngineLabel::OTHER, EngineLabel)
    }
}

const OTHER: &str = "other";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PageOutcome {
    Domain(DomainLabel),
    Dropped(DropReason),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SearchOutcome {
    /// A valid http(s) URL of an unknown engine is `Engine(EngineLabel::OTHER)`.
    Engine(EngineLabel),
    Dropped(DropReason),
}

/// Turns URLs into labels. One instance, built from the shipped data.
pub struct Anonymizer {
    allow: AllowList,
}

impl Anonymizer {
    /// Built once, on first use, from the compiled-in data.
    pub fn shipped() -> &'static Anonymizer {
        static SHIPPED: OnceLock<Anonymizer> = OnceLock::new();
        SHIPPED.get_or_init(|| Anonymizer {
            allow: AllowList::parse(allowlist::shipped()),
        })
    }

    /// A page load. `url` is the UTF-8 bytes the JNI side passes.
    pub fn page(&self, url: &[u8]) -> PageOutcome {
        let host = match url_host::check(url) {
            Ok(host) => host,
            Err(reason) => return PageOutcome::Dropped(reason),
        };
        match public_registrable(host.name()) {
            Ok(registrable) => PageOutcome::Domain(self.domain_of(registrable.domain)),
            Err(reason) => PageOutcome::Dropped(reason),
        }
    }

    /// A search results page: only the engine is derived.
    pub fn search(&self, url: &[u8]) -> SearchOutcome {
        let host = match url_host::check(url) {
            Ok(host) => host,
            Err(reason) => return SearchOutcome::Dropped(reason),
        };
        match public_registrable(host.name()) {
            Ok(registrable) => {
                let engine = search::recognise(host.name(), registrable, host.path_chars());
                SearchOutcome::Engine(engine.map_or(EngineLabel::OTHER, EngineLabel::from_index))
            }
            Err(reason) => SearchOutcome::Dropped(reason),
        }
    }

    /// What [`Anonymizer::page`] makes of `url`, and why.
    pub fn explain(&self, url: &[u8]) -> Explanation {
        let host = match url_host::check(url) {
            Ok(host) => host,
            Err(reason) => return dropped(None, reason),
        };
        let Some(registrable) = registrable::lookup(host.name()) else {
            return dropped(None, DropReason::NoRegistrableDomain);
        };
        let domain = Some(registrable.domain.to_owned());
        if !registrable.listed {
            return dropped(domain, DropReason::UnlistedTld);
        }
        let label = self.domain_of(registrable.domain);
        Explanation {
            registrable_domain: domain,
            reported: Some(label.as_str().to_owned()),
            reason: if label == DomainLabel::OTHER {
                REASON_NOT_ALLOW_LISTED
            } else {
                REASON_ALLOW_LISTED
            },
        }
    }

    /// The label for a reported value (`other` or an allow-list entry), e.g.
    /// when reloading a checkpoint; a folded country variant gives its label
    /// (a checkpoint written before the variant was folded). Anything else is
    /// `None`.
    pub fn domain_label(&self, reported: &str) -> Option<DomainLabel> {
        if reported == OTHER {
            return Some(DomainLabel::OTHER);
        }
        self.allow.index_of(reported).and_then(domain_label_at)
    }

    /// The label for an engine name (`other` or a shipped engine).
    pub fn engine_label(&self, name: &str) -> Option<EngineLabel> {
        if name == OTHER {
            return Some(EngineLabel::OTHER);
        }
        search::ENGINES
            .iter()
            .position(|e| e.name == name)
            .map(EngineLabel::from_index)
    }

    /// Every allow-list entry, sorted (for tests and tools).
    pub fn allow_list(&self) -> &[&'static str] {
        self.allow.entries()
    }

    /// Every engine label except `other`.
    pub fn engines(&self) -> impl Iterator<Item = EngineLabel> {
        (0..search::ENGINES.len()).map(EngineLabel::from_index)
    }

    fn domain_of(&self, registrable: &str) -> DomainLabel {
        self.allow
            .index_of(registrable)
            .and_then(domain_label_at)
            .unwrap_or(DomainLabel::OTHER)
    }
}

/// The registrable domain, if the host is on the public web.
fn public_registrable(name: &str) -> Result<Registrable<'_>, DropReason> {
    let registrable = registrable::lookup(name).ok_or(DropReason::NoRegistrableDomain)?;
    if !registrable.listed {
        return Err(DropReason::UnlistedTld);
    }
    Ok(registrable)
}

fn domain_label_at(index: usize) -> Option<DomainLabel> {
    u32::try_from(index + 1).ok().map(DomainLabel)
}

fn dropped(registrable_domain: Option<String>, reason: DropReason) -> Explanation {
    Explanation {
        registrable_domain,
        reported: None,
        reason: reason.as_str(),
    }
}
