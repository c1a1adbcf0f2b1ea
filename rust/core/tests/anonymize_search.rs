//! Search engines: recognised from host and path, never from the query.

use hush_core::anonymize::{Anonymizer, DropReason, EngineLabel, SearchOutcome};

fn engine(url: &str) -> Result<&'static str, DropReason> {
    match Anonymizer::shipped().search(url.as_bytes()) {
        SearchOutcome::Engine(label) => Ok(label.as_str()),
        SearchOutcome::Dropped(reason) => Err(reason),
    }
}

const RESULT_PAGES: &[(&str, &str)] = &[
    ("https://www.google.com/search?q=secret", "google"),
    ("https://www.google.co.in/search?q=x", "google"),
    ("https://google.com.br/search?q=x", "google"),
    ("https://www.google.com\\search?q=x", "google"),
    ("https://www.bing.com/search?q=x&form=QBLH", "bing"),
    ("https://cn.bing.com/search?q=x", "bing"),
    ("https://duckduckgo.com/?q=x", "duckduckgo"),
    ("https://html.duckduckgo.com/html/?q=x", "duckduckgo"),
    ("https://yandex.ru/search/?text=x", "yandex"),
    ("https://yandex.com.tr/search/?text=x", "yandex"),
    ("https://ya.ru/search/?text=x", "yandex"),
    ("https://www.baidu.com/s?wd=x", "baidu"),
    ("https://m.baidu.com/s?word=x", "baidu"),
    ("https://search.yahoo.com/search?p=x", "yahoo"),
    ("https://uk.search.yahoo.com/search?p=x", "yahoo"),
    ("https://search.yahoo.com/mobile/s?p=x", "yahoo"),
    ("https://search.yahoo.co.jp/search?p=x", "yahoo_japan"),
    ("https://www.ecosia.org/search?q=x", "ecosia"),
    ("https://search.brave.com/search?q=x", "brave"),
    ("https://www.startpage.com/sp/search?query=x", "startpage"),
    ("https://www.startpage.com/do/dsearch?query=x", "startpage"),
    ("https://www.qwant.com/?q=x", "qwant"),
    ("https://search.naver.com/search.naver?query=x", "naver"),
    ("https://m.search.naver.com/search.naver?query=x", "naver"),
    ("https://search.daum.net/search?q=x", "daum"),
    ("https://m.search.daum.net/search?q=x", "daum"),
    ("https://www.sogou.com/web?query=x", "sogou"),
    ("https://m.sogou.com/web/searchList.jsp?keyword=x", "sogou"),
    ("https://m.sm.cn/s?q=x", "shenma"),
    ("https://yz.m.sm.cn/s?q=x", "shenma"),
    ("https://www.so.com/s?q=x", "so360"),
    ("https://m.so.com/s?q=x", "so360"),
    ("https://search.seznam.cz/?q=x", "seznam"),
    ("https://www.ask.com/web?q=x", "ask"),
    ("https://www.petalsearch.com/search?query=x", "petal"),
];

#[test]
fn known_result_pages() {
    for (url, want) in RESULT_PAGES {
        assert_eq!(engine(url), Ok(*want), "{url}");
    }
}

#[test]
fn every_shipped_engine_has_a_case_and_round_trips() {
    let anon = Anonymizer::shipped();
    for label in anon.engines() {
        assert!(
            RESULT_PAGES.iter().any(|(_, name)| *name == label.as_str()),
            "no case for {}",
            label.as_str()
        );
        assert_eq!(anon.engine_label(label.as_str()), Some(label));
        assert_ne!(label, EngineLabel::OTHER);
    }
    assert_eq!(anon.engine_label("other"), Some(EngineLabel::OTHER));
    assert_eq!(EngineLabel::OTHER.as_str(), "other");
    assert_eq!(anon.engine_label("Google"), None);
    assert_eq!(anon.engine_label("www.google.com"), None);
}

#[test]
fn not_a_results_page_or_unknown_engine_is_other() {
    for url in [
        "https://mail.google.com/mail/u/0",
        "https://www.google.com/maps?q=x",
        "https://www.google.com/searchx?q=x",
        "https://www.google.com/%73earch?q=x",
        "https://google.blogspot.com/search?q=x",
        "https://www.bing.com/maps?q=x",
        "https://search.example.co.uk/search?q=x",
        "https://example.com/?q=https://www.google.com/search",
        "https://example.com/search?engine=google",
        "https://notgoogle.com/search?q=x",
        "https://yahoo.com/search?p=x",
    ] {
        assert_eq!(engine(url), Ok("other"), "{url}");
    }
}

#[test]
fn drop_rules_apply_to_search_too() {
    assert_eq!(
        engine("javascript:location='https://google.com/search?q=x'"),
        Err(DropReason::NotHttp)
    );
    assert_eq!(
        engine("https://user@www.google.com/search?q=x"),
        Err(DropReason::Userinfo)
    );
    assert_eq!(
        engine("http://127.0.0.1/search?q=x"),
        Err(DropReason::IpLiteral)
    );
    assert_eq!(
        engine("http://searx.lan/search?q=x"),
        Err(DropReason::UnlistedTld)
    );
    assert_eq!(
        Anonymizer::shipped().search(b"https://www.google.com/search?q=\xff"),
        SearchOutcome::Dropped(DropReason::InvalidUtf8)
    );
}
