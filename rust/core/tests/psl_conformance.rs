//! The Public Suffix List project's own conformance file (`tests/test_psl.txt`,
//! public domain, vendored in `tests/data/` from the PyPI package
//! `publicsuffixlist` 1.1.2.20261023, which ships it unchanged) run through
//! `registrable_domain`.
//!
//! How the file is read: `checkPublicSuffix(input, expected)` where `expected`
//! is the registrable domain or `null` when there is none (a public suffix,
//! a single label, a leading dot, or a null input). Inputs are lowercased and
//! IDN-converted the way a URL host is (IDNA to punycode), and the expectation
//! is compared in the same ASCII form, so unicode and punycode cases test the
//! same thing. Commented-out lines are not tests.

use hush_core::anonymize::registrable_domain;

const FILE: &str = include_str!("data/test_psl.txt");

/// `'text'` -> Some(text), `null` -> None.
fn literal(token: &str) -> Option<&str> {
    let token = token.trim();
    if token == "null" {
        return None;
    }
    Some(
        token
            .strip_prefix('\'')
            .and_then(|t| t.strip_suffix('\''))
            .unwrap_or_else(|| panic!("bad literal {token:?}")),
    )
}

fn cases() -> Vec<(Option<&'static str>, Option<&'static str>)> {
    FILE.lines()
        .map(str::trim)
        .filter_map(|line| line.strip_prefix("checkPublicSuffix("))
        .map(|args| {
            let args = args.strip_suffix(");").expect("line ends with );");
            let (input, expected) = args.split_once(',').expect("two arguments");
            (literal(input), literal(expected))
        })
        .collect()
}

/// What a URL parser makes of a host: lowercase ASCII, IDN in punycode.
fn to_ascii(domain: &str) -> String {
    url::quirks::domain_to_ascii(domain)
}

#[test]
fn every_check_passes() {
    let cases = cases();
    // The vendored file has 78 active checks; a different count means a broken parse.
    assert_eq!(cases.len(), 78);
    let mut failures = Vec::new();
    for (input, expected) in &cases {
        let ascii_input = input.map(to_ascii).unwrap_or_default();
        let got = registrable_domain(&ascii_input);
        let want = expected.map(to_ascii);
        if got != want.as_deref() {
            failures.push(format!("{input:?}: got {got:?}, want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn idn_inputs_really_are_converted() {
    // Guards the harness itself: the unicode cases must reach the function as punycode.
    assert_eq!(to_ascii("食狮.公司.cn"), "xn--85x722f.xn--55qx5d.cn");
    assert_eq!(to_ascii("WwW.example.COM"), "www.example.com");
}
