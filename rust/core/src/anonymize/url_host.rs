//! From untrusted URL bytes to a checked host name, without ever copying the
//! path, query, fragment or userinfo (DESIGN.md P5).
//!
//! The input is split by hand only at the one boundary the WHATWG URL standard
//! fixes for `http`/`https` (the authority ends at the first `/`, `\`, `?` or
//! `#` after the scheme and its slashes; a `@` before that marks userinfo).
//! The port is split off by the same standard's rule (first `:` outside
//! brackets) and checked. The host goes through the standard's host parser
//! for special schemes, written out here for ASCII hosts (`host`):
//! percent-decoding, lowercasing, the forbidden code points, the IPv4 forms
//! (decimal, octal, hex, short) and IPv6. A host already in canonical form,
//! as a browser hands it over (lowercase, punycode), is borrowed, not
//! copied. So the bytes after the authority are never copied anywhere, URLs
//! with credentials are dropped before any copy of the credentials is made,
//! and a typical URL costs a few hundred instructions.
//!
//! IDNA: a host that is not ASCII after percent-decoding (`bücher.de`,
//! `ＧＯＯＧＬＥ.com`) is dropped as [`DropReason::Unparsable`]: a browser
//! gives the canonical form (`xn--bcher-kva.de`), and without the Unicode
//! tables (about 130 KB of the library) such a host could not be mapped to
//! the right domain. An `xn--` label is decoded and must be well-formed
//! Punycode of a non-ASCII label without control or noncharacter code
//! points; the full UTS 46 validity tables are not applied (such a label can
//! at worst be part of an `other`). Property tests compare all of this with
//! the `url` crate's full parse.

use std::borrow::Cow;

use super::DropReason;

mod host;

/// Longer inputs are rejected before anything else looks at them.
pub const MAX_URL_BYTES: usize = 8 * 1024;
/// DNS limits (RFC 1035): a longer name cannot be resolved, so no page had it.
const MAX_HOST_BYTES: usize = 253;
const MAX_LABEL_BYTES: usize = 63;

/// Top-level names reserved for special use (RFC 6761, RFC 6762, RFC 7686,
/// RFC 9476) and `.arpa` (infrastructure: `home.arpa`, reverse DNS). `.internal`
/// is ICANN's private-use TLD (2024). `localhost` has its own reason.
const SPECIAL_USE_TLDS: &[&str] = &[
    "alt", "arpa", "example", "internal", "invalid", "local", "onion", "test",
];

/// A host that passed every drop rule, plus the unread rest of the input.
pub(super) struct CheckedHost<'a> {
    /// Lowercase ASCII (punycode) name, possibly with a trailing dot:
    /// borrowed from the input when it was already in that form.
    host: Cow<'a, str>,
    /// Everything after the authority, borrowed from the caller's buffer.
    rest: &'a str,
}

impl<'a> CheckedHost<'a> {
    /// The name without its trailing dot (`example.com.` is `example.com`).
    pub(super) fn name(&self) -> &str {
        self.host.strip_suffix('.').unwrap_or(&self.host)
    }

    /// Path characters (up to `?` or `#`), with `\` read as `/` and tab/newline
    /// skipped as the URL standard does. Nothing is copied.
    pub(super) fn path_chars(&self) -> impl Iterator<Item = char> + Clone + 'a {
        let chars = self.rest.chars().filter(|c| !is_tab_or_newline(*c));
        let first = chars.clone().next();
        // An empty path is "/" for http(s).
        let lead = match first {
            Some('/') | Some('\\') => None,
            _ => Some('/'),
        };
        lead.into_iter()
            .chain(chars.take_while(|c| *c != '?' && *c != '#'))
            .map(|c| if c == '\\' { '/' } else { c })
    }
}

/// Applies every drop rule that needs only the host.
pub(super) fn check(input: &[u8]) -> Result<CheckedHost<'_>, DropReason> {
    if input.len() > MAX_URL_BYTES {
        return Err(DropReason::TooLong);
    }
    let text = std::str::from_utf8(input).map_err(|_| DropReason::InvalidUtf8)?;
    let text = text.trim_matches(|c: char| c <= ' ');
    let after_scheme = split_http_scheme(text)?;
    match canonical_authority(after_scheme) {
        Some(checked) => checked,
        None => check_authority(after_scheme),
    }
}

/// The general path: any authority the standard allows.
fn check_authority(after_scheme: &str) -> Result<CheckedHost<'_>, DropReason> {
    let (authority, rest) = split_authority(after_scheme);
    let host = parse_authority(authority)?;
    let checked = CheckedHost { host, rest };
    check_name(checked.name())?;
    Ok(checked)
}

const LABEL: u8 = 0;
const DOT: u8 = 1;
const END: u8 = 2;
const OTHER: u8 = 3;

/// What each byte is to the fast path: a canonical label character, a dot,
/// the end of the host (port, path, query, fragment), or anything else.
static HOST_CLASS: [u8; 256] = {
    let mut class = [OTHER; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        class[c] = match b {
            b'a'..=b'z' | b'0'..=b'9' | b'-' => LABEL,
            b'.' => DOT,
            b':' | b'/' | b'?' | b'#' => END,
            _ => OTHER,
        };
        c += 1;
    }
    class
};

/// The fast path, in one pass over the authority: slashes, a host already
/// in canonical form (lowercase letters, digits, `-`, non-empty labels,
/// maybe `xn--` ones), maybe a port of digits, then the end of the
/// authority. Anything else, including a last label that could make it an
/// IPv4 address, is `None`: the general path decides. Same answers as the
/// general path (a property test checks).
fn canonical_authority(after_scheme: &str) -> Option<Result<CheckedHost<'_>, DropReason>> {
    let b = after_scheme.as_bytes();
    let mut i = 0;
    while b.get(i) == Some(&b'/') {
        i += 1;
    }
    let start = i;
    let mut label = i;
    let mut longest = 0;
    let mut dots = 0;
    let mut xn = false;
    let end = loop {
        let class = b.get(i).map_or(END, |&c| HOST_CLASS[usize::from(c)]);
        if class == LABEL {
            i += 1;
            continue;
        }
        if class == OTHER {
            return None;
        }
        let len = i - label;
        if len == 0 {
            return None; // an empty label: the general path
        }
        longest = longest.max(len);
        xn |= b[label..i].starts_with(b"xn--");
        if class == END {
            break i;
        }
        dots += 1;
        i += 1;
        label = i;
    };
    let host = &after_scheme[start..end];
    let last = &b[label..end];
    if b.get(end) == Some(&b':') {
        i = end + 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if !valid_port(&after_scheme[end + 1..i]) {
            return None;
        }
    }
    if !matches!(b.get(i), None | Some(b'/' | b'?' | b'#')) {
        return None;
    }
    // A last label of digits, or 0x..., makes it an IPv4 candidate.
    if last[0].is_ascii_digit() {
        return None;
    }
    if xn {
        if let Err(reason) = host::check_xn_labels(host) {
            return Some(Err(reason));
        }
    }
    let verdict = if host.len() > MAX_HOST_BYTES || longest > MAX_LABEL_BYTES {
        Err(DropReason::TooLong)
    } else if last == b"localhost" {
        Err(DropReason::Localhost)
    } else if dots == 0 {
        Err(DropReason::SingleLabel)
    } else if SPECIAL_USE_TLDS.iter().any(|t| t.as_bytes() == last) {
        Err(DropReason::SpecialUse)
    } else {
        Ok(CheckedHost {
            host: Cow::Borrowed(host),
            rest: &after_scheme[i..],
        })
    };
    Some(verdict)
}

fn is_tab_or_newline(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r')
}

/// Returns the input after `http:`/`https:` (any case); other schemes drop.
fn split_http_scheme(text: &str) -> Result<&str, DropReason> {
    // The form a browser hands over, before the general loop.
    if let Some(rest) = text
        .strip_prefix("https:")
        .or_else(|| text.strip_prefix("http:"))
    {
        return Ok(rest);
    }
    let mut scheme = [0u8; 5];
    let mut len = 0usize;
    for (i, c) in text.char_indices() {
        if is_tab_or_newline(c) {
            continue;
        }
        let valid = if len == 0 {
            c.is_ascii_alphabetic()
        } else {
            c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')
        };
        if c == ':' && len > 0 {
            let is_http = matches!(&scheme[..len.min(5)], b"http" | b"https") && len <= 5;
            return if is_http {
                Ok(&text[i + 1..])
            } else {
                Err(DropReason::NotHttp)
            };
        }
        if !valid {
            // No scheme at all: a relative reference, which a loaded page never has.
            return Err(DropReason::Unparsable);
        }
        if len < scheme.len() {
            scheme[len] = c.to_ascii_lowercase() as u8;
        }
        len += 1;
    }
    Err(DropReason::Unparsable)
}

/// Skips the slashes after the scheme, then splits at the end of the authority.
fn split_authority(after_scheme: &str) -> (&str, &str) {
    let start = after_scheme
        .find(|c: char| !matches!(c, '/' | '\\') && !is_tab_or_newline(c))
        .unwrap_or(after_scheme.len());
    let authority_and_rest = &after_scheme[start..];
    let end = authority_and_rest
        .find(['/', '\\', '?', '#'])
        .unwrap_or(authority_and_rest.len());
    authority_and_rest.split_at(end)
}

fn parse_authority(authority: &str) -> Result<Cow<'_, str>, DropReason> {
    if authority.contains('@') {
        return Err(DropReason::Userinfo);
    }
    // The standard removes tab and newline everywhere; copy only if present.
    if authority.contains(is_tab_or_newline) {
        let authority: String = authority
            .chars()
            .filter(|c| !is_tab_or_newline(*c))
            .collect();
        return parse_host_and_port(&authority).map(|h| Cow::Owned(h.into_owned()));
    }
    parse_host_and_port(authority)
}

fn parse_host_and_port(authority: &str) -> Result<Cow<'_, str>, DropReason> {
    let (host, port) = split_port(authority);
    if port.is_some_and(|port| !valid_port(port)) {
        return Err(DropReason::Unparsable);
    }
    host::parse(host)
}

/// The host ends at the first `:` outside `[...]`.
fn split_port(authority: &str) -> (&str, Option<&str>) {
    let mut inside_brackets = false;
    for (i, c) in authority.char_indices() {
        match c {
            '[' => inside_brackets = true,
            ']' => inside_brackets = false,
            ':' if !inside_brackets => return (&authority[..i], Some(&authority[i + 1..])),
            _ => {}
        }
    }
    (authority, None)
}

/// Digits only (empty allowed), value at most 65535 (leading zeros allowed).
fn valid_port(port: &str) -> bool {
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let significant = port.trim_start_matches('0');
    significant.len() <= 5 && significant.parse::<u32>().map_or(true, |p| p <= 65535)
}

/// The drop rules on a lowercase ASCII name (trailing dot already removed).
fn check_name(name: &str) -> Result<(), DropReason> {
    if name.is_empty() {
        return Err(DropReason::Unparsable);
    }
    if name.len() > MAX_HOST_BYTES || name.split('.').any(|l| l.len() > MAX_LABEL_BYTES) {
        return Err(DropReason::TooLong);
    }
    let tld = name.rsplit('.').next().unwrap_or(name);
    if tld == "localhost" {
        return Err(DropReason::Localhost);
    }
    if !name.contains('.') {
        return Err(DropReason::SingleLabel);
    }
    if SPECIAL_USE_TLDS.contains(&tld) {
        return Err(DropReason::SpecialUse);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(input: &str) -> Result<String, DropReason> {
        check(input.as_bytes()).map(|h| h.name().to_owned())
    }

    fn path(input: &str) -> String {
        check(input.as_bytes())
            .map(|h| h.path_chars().collect())
            .unwrap()
    }

    #[test]
    fn scheme_is_case_insensitive_and_only_http() {
        assert_eq!(name("HTTPS://Example.COM/x").unwrap(), "example.com");
        assert_eq!(name("hTtP://example.com").unwrap(), "example.com");
        assert_eq!(name("httpx://example.com"), Err(DropReason::NotHttp));
        assert_eq!(name("htt://example.com"), Err(DropReason::NotHttp));
        assert_eq!(name("https1://example.com"), Err(DropReason::NotHttp));
        assert_eq!(name("//example.com"), Err(DropReason::Unparsable));
        assert_eq!(name("1http://example.com"), Err(DropReason::Unparsable));
    }

    #[test]
    fn authority_ends_where_the_standard_says() {
        assert_eq!(name("http:example.com").unwrap(), "example.com");
        assert_eq!(name("http:\\\\example.com\\a").unwrap(), "example.com");
        assert_eq!(name("http://example.com?q").unwrap(), "example.com");
        assert_eq!(name("http://example.com#f").unwrap(), "example.com");
        assert_eq!(name("ht\ttp://exa\nmple.com/").unwrap(), "example.com");
        assert_eq!(name("http://example.com/a@b").unwrap(), "example.com");
        assert_eq!(name("http://a@example.com/"), Err(DropReason::Userinfo));
    }

    #[test]
    fn path_is_read_in_place() {
        assert_eq!(path("http://e.com"), "/");
        assert_eq!(path("http://e.com?q=1"), "/");
        assert_eq!(path("http://e.com/search?q=/x"), "/search");
        assert_eq!(path("http://e.com\\se\tarch#x"), "/search");
    }

    #[test]
    fn ports() {
        assert!(name("http://e.com:/").is_ok());
        assert!(name("http://e.com:0000000080/").is_ok());
        assert!(name("http://e.com:65535/").is_ok());
        assert_eq!(name("http://e.com:65536/"), Err(DropReason::Unparsable));
        assert_eq!(name("http://e.com:8a/"), Err(DropReason::Unparsable));
        assert_eq!(name("http://[::1]:80/"), Err(DropReason::IpLiteral));
        assert_eq!(name("http://[::1]x/"), Err(DropReason::Unparsable));
    }

    #[test]
    fn name_limits() {
        let long_label = "a".repeat(64);
        assert_eq!(
            name(&format!("http://{long_label}.com/")),
            Err(DropReason::TooLong)
        );
        let ok_label = "a".repeat(63);
        assert!(name(&format!("http://{ok_label}.com/")).is_ok());
    }

    /// The fast path answers exactly as the general one whenever it answers.
    mod fast_path {
        use super::super::*;
        use proptest::prelude::*;

        fn outcome(r: Result<CheckedHost<'_>, DropReason>) -> Result<(String, String), DropReason> {
            r.map(|h| (h.name().to_owned(), h.rest.to_owned()))
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 20_000, failure_persistence: None, ..ProptestConfig::default() })]

            #[test]
            fn agrees_with_the_general_path(
                after in "/{0,3}((xn--)?[a-z0-9-]{0,10}\\.){0,4}[a-z0-9.:@A-Z%_\\\\\t-]{0,12}(:[0-9]{0,6})?([/?#][ -~]{0,8})?"
            ) {
                if let Some(fast) = canonical_authority(&after) {
                    prop_assert_eq!(outcome(fast), outcome(check_authority(&after)), "{:?}", after);
                }
            }
        }

        #[test]
        fn typical_hosts_take_it() {
            for after in [
                "//www.example.co.uk/x",
                "//a.b.c:8080?q",
                "//xn--bcher-kva.de#f",
                "//localhost/",
                "//intranet/",
            ] {
                assert!(canonical_authority(after).is_some(), "{after}");
            }
            for after in [
                "//WWW.x.com/",
                "//127.0.0.1/",
                "//a..b/",
                "//u@x.com/",
                "//x.com./",
                "\\\\x.com",
                "//[::1]/",
            ] {
                assert!(canonical_authority(after).is_none(), "{after}");
            }
        }
    }
}
