//! Hostile and odd URLs, each with the outcome it must have: reported by name,
//! `other`, or dropped for a given reason. Every case also goes through
//! `explain`, which must agree with `page`.

use hush_core::anonymize::{Anonymizer, DomainLabel, DropReason, PageOutcome};

use DropReason::*;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Want {
    /// Reported as this allow-list entry.
    Named(&'static str),
    /// Reported as `other`.
    Other,
    Drop(DropReason),
}
use Want::*;

fn cases() -> Vec<(Vec<u8>, Want)> {
    let s = |u: &str, w: Want| (u.as_bytes().to_vec(), w);
    let long_label = "a".repeat(64);
    let label_63 = "b".repeat(63);
    vec![
        // Reported by name: case, ports, trailing dot, odd but valid syntax.
        s("https://www.google.com/search?q=x", Named("google.com")),
        s("HTTPS://WWW.GOOGLE.COM/", Named("google.com")),
        s("https://www.google.com./", Named("google.com")),
        s("https://google.com:443/", Named("google.com")),
        s("https://google.com:8080/x", Named("google.com")),
        s("https://google.com:/", Named("google.com")),
        s("http://news.bbc.co.uk/sport", Named("bbc.com")),
        s(
            "https://en.m.wikipedia.org/wiki/Foo",
            Named("wikipedia.org"),
        ),
        s("http:google.com", Named("google.com")),
        s("http:\\\\google.com\\path", Named("google.com")),
        s("https:/google.com/", Named("google.com")),
        s("https:////google.com/", Named("google.com")),
        s("  https://google.com/  ", Named("google.com")),
        s("\thttps://goo\tgle.com/", Named("google.com")),
        s("https://goo\ngle.com/", Named("google.com")),
        s("https://%67oogle.com/", Named("google.com")),
        s("https://%47%4F%4F%47%4C%45.com/", Named("google.com")),
        s("https://google.com?q=secret", Named("google.com")),
        s("https://google.com#frag", Named("google.com")),
        s("https://google.com/a@b:c", Named("google.com")),
        s("https://a.b.c.d.e.google.com/", Named("google.com")),
        s("https://www.amazon.co.uk/dp/123", Named("amazon.com")),
        s("https://GitHub.com/user/repo", Named("github.com")),
        s("https://yandex.ru/search/?text=x", Named("yandex.com")),
        s(
            "https://m.facebook.com/profile.php?id=1",
            Named("facebook.com"),
        ),
        // `other`: public, registrable, not on the allow-list.
        s("https://example.co.uk/", Other),
        s("https://deep.sub.example.co.uk/x", Other),
        s("https://someone.github.io/", Other),
        s("https://myblog.blogspot.com/", Other),
        s("https://google.com.evil.net/", Other),
        // IDNs in the canonical (punycode) form a browser hands over.
        s("https://xn--pple-43d.com/", Other),
        s("https://www.xn--ggle-55da.com/", Other),
        s("https://xn--80ak6aa92e.com/", Other),
        s("https://xn--bcher-kva.de/", Other),
        s("https://xn--mnchen-3ya.de/", Other),
        s("https://xn--ls8h.la/", Other),
        s("https://xn--85x722f.xn--55qx5d.cn/", Other),
        s("https://123.com/", Other),
        s("https://under_score.example.net/", Other),
        s(
            &format!("https://{label_63}.{label_63}.{label_63}.com/"),
            Other,
        ),
        // Not http(s).
        s("file:///etc/passwd", Drop(NotHttp)),
        s("FILE:///sdcard/x.html", Drop(NotHttp)),
        s("data:text/html,<h1>hi</h1>", Drop(NotHttp)),
        s("content://com.android.providers.downloads/1", Drop(NotHttp)),
        s("javascript:alert(1)", Drop(NotHttp)),
        s("JAVASCRIPT:alert(1)", Drop(NotHttp)),
        s("  javascript:alert(1)", Drop(NotHttp)),
        s("about:blank", Drop(NotHttp)),
        s("blob:https://google.com/8c1e", Drop(NotHttp)),
        s("ftp://google.com/", Drop(NotHttp)),
        s("ws://google.com/", Drop(NotHttp)),
        s("wss://google.com/", Drop(NotHttp)),
        s("chrome://settings", Drop(NotHttp)),
        s("intent://scan/#Intent;scheme=zxing;end", Drop(NotHttp)),
        s("mailto:someone@google.com", Drop(NotHttp)),
        s("view-source:https://google.com/", Drop(NotHttp)),
        s("filesystem:https://google.com/temporary/x", Drop(NotHttp)),
        s("market://details?id=x", Drop(NotHttp)),
        s("tel:+15551234", Drop(NotHttp)),
        s("httpss://google.com", Drop(NotHttp)),
        s("h\tttps-x://google.com", Drop(NotHttp)),
        // Userinfo.
        s("https://user:pass@google.com/", Drop(Userinfo)),
        s("https://user@google.com/", Drop(Userinfo)),
        s("https://@google.com/", Drop(Userinfo)),
        s("https://:@google.com/", Drop(Userinfo)),
        s("https://google.com@evil.com/", Drop(Userinfo)),
        s("https://a@b@google.com/", Drop(Userinfo)),
        s("https://user%40x:p@google.com/", Drop(Userinfo)),
        s("http:user@google.com", Drop(Userinfo)),
        s("https://us\ter@google.com/", Drop(Userinfo)),
        s("HtTpS://User@Google.com", Drop(Userinfo)),
        // IP literals, all forms.
        s("http://127.0.0.1/", Drop(IpLiteral)),
        s("http://192.168.1.1:8080/admin", Drop(IpLiteral)),
        s("http://8.8.8.8/", Drop(IpLiteral)),
        s("http://1.1.1.1./", Drop(IpLiteral)),
        s("http://2130706433/", Drop(IpLiteral)),
        s("http://0x7f000001/", Drop(IpLiteral)),
        s("http://0177.0.0.1/", Drop(IpLiteral)),
        s("http://0x7f.0.0.1/", Drop(IpLiteral)),
        s("http://127.1/", Drop(IpLiteral)),
        s("http://0/", Drop(IpLiteral)),
        s("http://4294967295/", Drop(IpLiteral)),
        s("http://%31%32%37.0.0.1/", Drop(IpLiteral)),
        s("http://[::1]/", Drop(IpLiteral)),
        s("http://[::ffff:127.0.0.1]/", Drop(IpLiteral)),
        s("http://[::ffff:7f00:1]/", Drop(IpLiteral)),
        s("http://[2001:db8::1]:8443/", Drop(IpLiteral)),
        s("http://[0:0:0:0:0:0:0:1]/", Drop(IpLiteral)),
        // Localhost.
        s("http://localhost/", Drop(Localhost)),
        s("http://LOCALHOST:3000/", Drop(Localhost)),
        s("http://localhost./", Drop(Localhost)),
        s("http://foo.localhost/", Drop(Localhost)),
        s("http://a.b.localhost:8080/x", Drop(Localhost)),
        // Single label.
        s("http://intranet/", Drop(SingleLabel)),
        s("http://router:8080/", Drop(SingleLabel)),
        s("https://com/", Drop(SingleLabel)),
        s("http://wiki./", Drop(SingleLabel)),
        // Special use.
        s("http://printer.local/", Drop(SpecialUse)),
        s("http://PRINTER.LOCAL./", Drop(SpecialUse)),
        s("http://nas.home.arpa/", Drop(SpecialUse)),
        s("http://1.0.0.127.in-addr.arpa/", Drop(SpecialUse)),
        s("http://db.internal/", Drop(SpecialUse)),
        s(
            "http://duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion/",
            Drop(SpecialUse),
        ),
        s("http://foo.test/", Drop(SpecialUse)),
        s("http://x.invalid/", Drop(SpecialUse)),
        s("http://www.example/", Drop(SpecialUse)),
        s("http://x.alt/", Drop(SpecialUse)),
        // No registrable domain.
        s("https://co.uk/", Drop(NoRegistrableDomain)),
        s("https://github.io/", Drop(NoRegistrableDomain)),
        s("https://blogspot.com/", Drop(NoRegistrableDomain)),
        s("https://c.mm/", Drop(NoRegistrableDomain)),
        s("https://.google.com/", Drop(NoRegistrableDomain)),
        s("https://a..google.com/", Drop(NoRegistrableDomain)),
        s("http://google.com../", Drop(NoRegistrableDomain)),
        // Unlisted TLDs: private namespaces.
        s("http://nas.lan/", Drop(UnlistedTld)),
        s("http://git.corp/", Drop(UnlistedTld)),
        s("http://router.home/", Drop(UnlistedTld)),
        s("http://foo.bar.intranet/", Drop(UnlistedTld)),
        // Not a URL a page was loaded from.
        s("", Drop(Unparsable)),
        s("   ", Drop(Unparsable)),
        s("google.com", Drop(Unparsable)),
        s("/relative/path", Drop(Unparsable)),
        s("http://", Drop(Unparsable)),
        s("http:///", Drop(Unparsable)),
        s("http://exa mple.com/", Drop(Unparsable)),
        s("http://ex<ample.com/", Drop(Unparsable)),
        s("http://exa%2Fmple.com/", Drop(Unparsable)),
        s("http://google.com:99999/", Drop(Unparsable)),
        s("http://google.com:abc/", Drop(Unparsable)),
        s("http://[::1/", Drop(Unparsable)),
        s("http://4294967296/", Drop(Unparsable)),
        s("http://1.2.3.4.5/", Drop(Unparsable)),
        s("http://256.0.0.1/", Drop(Unparsable)),
        s("http://xn--a.com/", Drop(Unparsable)),
        s("http://\u{0}google.com/", Drop(Unparsable)),
        // A host that is not ASCII after percent-decoding is dropped, never
        // mapped (url_host's documented IDNA rule): the canonical forms of
        // these are above.
        s("https://ＧＯＯＧＬＥ.com/", Drop(Unparsable)),
        s("https://аpple.com/", Drop(Unparsable)),
        s("https://www.gооgle.com/", Drop(Unparsable)),
        s("https://bücher.de/", Drop(Unparsable)),
        s("https://münchen.de/", Drop(Unparsable)),
        s("https://💩.la/", Drop(Unparsable)),
        s("https://食狮.公司.cn/", Drop(Unparsable)),
        s("https://%C3%BC.com/", Drop(Unparsable)),
        s("http://１２７.０.０.１/", Drop(Unparsable)),
        // Too long.
        (
            format!("https://google.com/{}", "a".repeat(9000)).into_bytes(),
            Drop(TooLong),
        ),
        (vec![b'a'; 10 * 1024 * 1024], Drop(TooLong)),
        s(&format!("https://{long_label}.com/"), Drop(TooLong)),
        s(
            &format!("https://{}com/", "abcdefghij.".repeat(25)),
            Drop(TooLong),
        ),
        // Invalid UTF-8, as a JNI byte array may carry.
        (b"https://google.com/\xff".to_vec(), Drop(InvalidUtf8)),
        (b"\xc3\x28".to_vec(), Drop(InvalidUtf8)),
        (b"https://goo\xc0\xafgle.com/".to_vec(), Drop(InvalidUtf8)),
        (
            b"https://google.com/\xed\xa0\x80".to_vec(),
            Drop(InvalidUtf8),
        ),
        (
            b"https://google.com/\xf4\x90\x80\x80".to_vec(),
            Drop(InvalidUtf8),
        ),
    ]
}

fn outcome_of(anon: &Anonymizer, url: &[u8]) -> Want {
    match anon.page(url) {
        PageOutcome::Domain(label) if label == DomainLabel::OTHER => Other,
        PageOutcome::Domain(label) => Named(label.as_str()),
        PageOutcome::Dropped(reason) => Drop(reason),
    }
}

#[test]
fn table() {
    let anon = Anonymizer::shipped();
    let cases = cases();
    assert!(cases.len() >= 100, "{} cases", cases.len());
    let mut failures = Vec::new();
    for (url, want) in &cases {
        let got = outcome_of(anon, url);
        if got != *want {
            let shown = String::from_utf8_lossy(&url[..url.len().min(100)]).into_owned();
            failures.push(format!("{shown:?}: got {got:?}, want {want:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_drop_reason_is_exercised() {
    let cases = cases();
    for reason in DropReason::ALL {
        assert!(
            cases.iter().any(|(_, w)| *w == Drop(*reason)),
            "no case for {reason:?}"
        );
    }
}

#[test]
fn explain_agrees_with_page() {
    let anon = Anonymizer::shipped();
    for (url, want) in cases() {
        let e = anon.explain(&url);
        match want {
            Named(name) => {
                assert_eq!(e.reported.as_deref(), Some(name));
                // The registrable domain is the name itself, or a country
                // variant folded into it (bbc.co.uk is reported as bbc.com).
                let registrable = e.registrable_domain.as_deref().expect("registrable");
                let page = anon.page(format!("https://{registrable}/").as_bytes());
                assert_eq!(page, PageOutcome::Domain(anon.domain_label(name).unwrap()));
                assert_eq!(e.reason, "allow_listed");
            }
            Other => {
                assert_eq!(e.reported.as_deref(), Some("other"));
                assert!(e.registrable_domain.is_some());
                assert_eq!(e.reason, "not_on_allow_list");
            }
            Drop(reason) => {
                assert_eq!(e.reported, None);
                assert_eq!(e.reason, reason.as_str());
            }
        }
    }
}

#[test]
fn explain_shows_the_registrable_domain() {
    let anon = Anonymizer::shipped();
    let e = anon.explain(b"https://deep.sub.example.co.uk/path?q=1");
    assert_eq!(e.registrable_domain.as_deref(), Some("example.co.uk"));
    let e = anon.explain(b"https://www.xn--bcher-kva.de/");
    assert_eq!(e.registrable_domain.as_deref(), Some("xn--bcher-kva.de"));
    let e = anon.explain(b"http://nas.lan/");
    assert_eq!(e.registrable_domain.as_deref(), Some("nas.lan"));
    let e = anon.explain(b"http://127.0.0.1/");
    assert_eq!(e.registrable_domain, None);
}

#[test]
fn drop_reason_names_are_unique_snake_case() {
    let names: Vec<&str> = DropReason::ALL.iter().map(|r| r.as_str()).collect();
    for (i, n) in names.iter().enumerate() {
        assert!(
            n.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "{n}"
        );
        assert!(!names[..i].contains(n), "{n} twice");
    }
    assert_eq!(names.len(), 11);
}
