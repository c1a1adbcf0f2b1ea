//! Properties of the anonymizer over generated URLs.

use hush_core::anonymize::{registrable_domain, Anonymizer, DomainLabel, DropReason, PageOutcome};
use proptest::prelude::*;
use url::{Host, Url};

fn allowed(value: &str) -> bool {
    value == "other"
        || Anonymizer::shipped()
            .allow_list()
            .binary_search(&value)
            .is_ok()
}

/// Characters a path, query or fragment is built from here: none can survive
/// into a host (uppercase is lowercased in hosts, the rest is not a DNS
/// character), so any of them in an outcome would be a leak.
const PATH_ALPHABET: &str = "[A-Z~!$&'()*+,;=:@é中ß/%]{0,40}";

fn host() -> impl Strategy<Value = String> {
    let allow_list = Anonymizer::shipped().allow_list();
    prop_oneof![
        // An allow-list entry, maybe with subdomains and odd case.
        (
            0..allow_list.len(),
            "([a-z0-9]{1,8}\\.){0,3}",
            any::<bool>()
        )
            .prop_map(move |(i, sub, upper)| {
                let h = format!("{sub}{}", allow_list[i]);
                if upper {
                    h.to_uppercase()
                } else {
                    h
                }
            }),
        // Random labels under a mixed bag of suffixes, special-use names included.
        (
            "[a-z0-9\\-]{1,12}(\\.[a-z0-9\\-]{1,12}){0,2}",
            prop::sample::select(vec![
                "com",
                "co.uk",
                "github.io",
                "de",
                "local",
                "onion",
                "lan",
                "localhost",
                "",
                "jp",
                "blogspot.com",
                "internal",
                "xn--p1ai",
            ]),
        )
            .prop_map(|(labels, tld)| if tld.is_empty() {
                labels
            } else {
                format!("{labels}.{tld}")
            }),
        // IP-ish.
        "[0-9]{1,3}(\\.[0-9]{1,3}){0,3}",
        "\\[[0-9a-f:]{2,20}\\]",
        // Unicode.
        "[a-zа-яü中]{1,10}\\.(com|рф|de)",
    ]
}

prop_compose! {
    fn url_parts()(
        scheme in prop::sample::select(vec!["http", "https", "HTTPS", "file", "javascript", "data", "ftp"]),
        userinfo in prop::option::weighted(0.2, "[a-z]{0,5}(:[a-z]{0,5})?@"),
        host in host(),
        port in prop::option::weighted(0.2, "[0-9]{0,5}"),
        path in PATH_ALPHABET,
        query in prop::option::of(PATH_ALPHABET),
        fragment in prop::option::of(PATH_ALPHABET),
    ) -> (String, String, String, String) {
        let authority = format!(
            "{}{}{}",
            userinfo.unwrap_or_default(),
            host,
            port.map(|p| format!(":{p}")).unwrap_or_default()
        );
        let mut tail = format!("/{path}");
        let mut secret = path.clone();
        if let Some(q) = query { tail.push('?'); tail.push_str(&q); secret.push_str(&q); }
        if let Some(f) = fragment { tail.push('#'); tail.push_str(&f); secret.push_str(&f); }
        (format!("{scheme}://{authority}{tail}"), format!("{scheme}://{authority}/"), tail, secret)
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn reported_value_is_other_null_or_allow_listed((url, _, _, secret) in url_parts()) {
        let anon = Anonymizer::shipped();
        let explanation = anon.explain(url.as_bytes());
        if let Some(reported) = &explanation.reported {
            prop_assert!(allowed(reported), "{reported}");
            for forbidden in ['/', '?', '#', '@'] {
                prop_assert!(!reported.contains(forbidden));
            }
            for c in secret.chars() {
                prop_assert!(!reported.contains(c), "{c:?} leaked into {reported}");
            }
        }
        if let PageOutcome::Domain(label) = anon.page(url.as_bytes()) {
            prop_assert!(allowed(label.as_str()));
            prop_assert_eq!(Some(label.as_str().to_owned()), explanation.reported);
        }
    }

    /// Whatever follows the authority cannot change the outcome.
    #[test]
    fn only_the_authority_matters((url, origin, _, _) in url_parts()) {
        let anon = Anonymizer::shipped();
        prop_assert_eq!(anon.page(url.as_bytes()), anon.page(origin.as_bytes()));
        prop_assert_eq!(anon.explain(url.as_bytes()), anon.explain(origin.as_bytes()));
    }

    /// A popular domain planted in the path, query or fragment (the way a
    /// redirector or a search result link carries one) is never what gets
    /// reported: only the host decides.
    #[test]
    fn a_domain_in_the_path_query_or_fragment_is_never_reported(
        (_, origin, _, _) in url_parts(),
        i in 0..Anonymizer::shipped().allow_list().len(),
        place in 0..3usize,
    ) {
        let anon = Anonymizer::shipped();
        let planted = anon.allow_list()[i];
        let tail = match place {
            0 => format!("{planted}/login"),
            1 => format!("redirect?u=https%3A%2F%2F{planted}%2F&to=https://www.{planted}/"),
            _ => format!("#https://{planted}/"),
        };
        let url = format!("{origin}{tail}");
        let by_host = anon.explain(origin.as_bytes());
        let whole = anon.explain(url.as_bytes());
        prop_assert_eq!(&whole, &by_host, "{}", url);
        if whole.reported.as_deref() == Some(planted) {
            prop_assert_eq!(by_host.registrable_domain.as_deref(), Some(planted));
        }
    }

    /// Arbitrary bytes: no panic, and any label is `other` or an entry.
    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let anon = Anonymizer::shipped();
        if let PageOutcome::Domain(label) = anon.page(&bytes) {
            prop_assert!(allowed(label.as_str()));
        }
        let _ = anon.search(&bytes);
        let e = anon.explain(&bytes);
        prop_assert!(e.reported.as_deref().is_none_or(allowed));
    }

    /// The hand split at the end of the authority agrees with `url`'s full
    /// parse of the whole input.
    #[test]
    fn agrees_with_a_full_url_parse(
        scheme in prop::sample::select(vec!["http", "HTTP", "https", "hTtPs", "ftp", "javascript"]),
        sep in prop::sample::select(vec![":", "://", ":/", ":\\\\", ":///", "://\t", ":\\/"]),
        userinfo in prop::sample::select(vec!["", "", "", "u@", "u:p@", "@", ":@"]),
        host in "[a-zA-Z0-9\\-.%_\t\\[\\]:üА中０]{0,24}",
        port in prop::sample::select(vec!["", "", ":", ":80", ":99999", ":x"]),
        rest in "([/\\\\?#][ -~\t]{0,30})?",
    ) {
        let input = format!("{scheme}{sep}{userinfo}{host}{port}{rest}");
        let ours = Anonymizer::shipped().explain(input.as_bytes());
        let dropped = |r: DropReason| ours.reported.is_none() && ours.reason == r.as_str();
        match Url::parse(&input) {
            Err(_) => prop_assert!(ours.reported.is_none(), "{input:?} {ours:?}"),
            Ok(full) if !matches!(full.scheme(), "http" | "https") => prop_assert!(dropped(DropReason::NotHttp)),
            // Any `@` in the authority drops, even an empty userinfo `url` ignores.
            Ok(full) if !full.username().is_empty() || full.password().is_some() || !userinfo.is_empty() => {
                prop_assert!(dropped(DropReason::Userinfo), "{input:?} {ours:?}")
            }
            Ok(full) => match full.host() {
                // A host that is not ASCII (fullwidth digits) is dropped as
                // unparsable, never mapped (url_host's IDNA rule).
                Some(Host::Ipv4(_)) | Some(Host::Ipv6(_)) => prop_assert!(
                    dropped(DropReason::IpLiteral) || (!host.is_ascii() && dropped(DropReason::Unparsable)),
                    "{input:?} {ours:?}"
                ),
                Some(Host::Domain(name)) => {
                    let name = name.strip_suffix('.').unwrap_or(name);
                    if ours.registrable_domain.is_some() {
                        prop_assert_eq!(ours.registrable_domain.as_deref(), registrable_domain(name), "{:?}", input);
                    } else {
                        prop_assert!(ours.reported.is_none(), "{input:?} {ours:?}");
                        if ours.reason == DropReason::NoRegistrableDomain.as_str() {
                            prop_assert!(registrable_domain(name).is_none(), "{input:?} {ours:?}");
                        } else {
                            // Dropped by a rule on the name before the PSL step.
                            let name_rules = [
                                DropReason::Localhost, DropReason::SingleLabel,
                                DropReason::SpecialUse, DropReason::TooLong, DropReason::Unparsable,
                            ];
                            prop_assert!(name_rules.iter().any(|r| r.as_str() == ours.reason), "{input:?} {ours:?}");
                        }
                    }
                }
                None => prop_assert!(ours.reported.is_none()),
            },
        }
    }
}

#[test]
fn other_is_what_the_type_says() {
    assert_eq!(DomainLabel::OTHER.as_str(), "other");
    assert_eq!(
        Anonymizer::shipped().domain_label("other"),
        Some(DomainLabel::OTHER)
    );
    assert_eq!(Anonymizer::shipped().domain_label("www.google.com"), None);
    assert_eq!(
        Anonymizer::shipped().domain_label("not-on-the-list.example"),
        None
    );
}
