//! Search engines recognised from a results-page URL: host, then path.
//!
//! Only the engine is ever derived. The path is compared in place against a
//! few fixed prefixes; the query string is never read at all.

use super::registrable::Registrable;

/// How an engine's hosts are recognised.
enum HostRule {
    /// The name itself or any subdomain of it.
    Under(&'static str),
    /// A registrable domain `<brand>.<ICANN suffix>` (`google.co.in`,
    /// `yandex.com.tr`) or a subdomain of one.
    Brand(&'static str),
}

pub(super) struct Engine {
    pub name: &'static str,
    hosts: &'static [HostRule],
    /// Path prefixes of a results page, matched on whole segments; `/` matches
    /// any path (engines that search from their root).
    paths: &'static [&'static str],
}

use HostRule::{Brand, Under};

/// The shipped engines: the usual international ones, plus those Mi Browser
/// offers in its markets. Names are the labels that appear in reports.
pub(super) const ENGINES: &[Engine] = &[
    Engine {
        name: "google",
        hosts: &[Brand("google")],
        paths: &["/search"],
    },
    Engine {
        name: "bing",
        hosts: &[Under("bing.com")],
        paths: &["/search"],
    },
    Engine {
        name: "duckduckgo",
        hosts: &[Under("duckduckgo.com")],
        paths: &["/"],
    },
    Engine {
        name: "yandex",
        hosts: &[Brand("yandex"), Under("ya.ru")],
        paths: &["/search"],
    },
    Engine {
        name: "baidu",
        hosts: &[Under("baidu.com")],
        paths: &["/s"],
    },
    Engine {
        name: "yahoo",
        hosts: &[Under("search.yahoo.com")],
        paths: &["/search", "/mobile/s", "/yhs/search"],
    },
    Engine {
        name: "yahoo_japan",
        hosts: &[Under("search.yahoo.co.jp")],
        paths: &["/search"],
    },
    Engine {
        name: "ecosia",
        hosts: &[Under("ecosia.org")],
        paths: &["/search"],
    },
    Engine {
        name: "brave",
        hosts: &[Under("search.brave.com")],
        paths: &["/search"],
    },
    Engine {
        name: "startpage",
        hosts: &[Under("startpage.com")],
        paths: &["/sp/search", "/do"],
    },
    Engine {
        name: "qwant",
        hosts: &[Under("qwant.com")],
        paths: &["/"],
    },
    Engine {
        name: "naver",
        hosts: &[Under("search.naver.com")],
        paths: &["/search.naver"],
    },
    Engine {
        name: "daum",
        hosts: &[Under("search.daum.net")],
        paths: &["/search"],
    },
    Engine {
        name: "sogou",
        hosts: &[Under("sogou.com")],
        paths: &["/web", "/sogou"],
    },
    Engine {
        name: "shenma",
        hosts: &[Under("sm.cn")],
        paths: &["/s"],
    },
    Engine {
        name: "so360",
        hosts: &[Under("so.com")],
        paths: &["/s"],
    },
    Engine {
        name: "seznam",
        hosts: &[Under("search.seznam.cz")],
        paths: &["/"],
    },
    Engine {
        name: "ask",
        hosts: &[Under("ask.com")],
        paths: &["/web"],
    },
    Engine {
        name: "petal",
        hosts: &[Under("petalsearch.com")],
        paths: &["/search"],
    },
];

/// Index into [`ENGINES`] of the engine serving this results page, if any.
pub(super) fn recognise(
    host: &str,
    registrable: Registrable<'_>,
    path: impl Iterator<Item = char> + Clone,
) -> Option<usize> {
    ENGINES.iter().position(|engine| {
        engine
            .hosts
            .iter()
            .any(|rule| host_matches(rule, host, registrable))
            && engine
                .paths
                .iter()
                .any(|prefix| path_matches(path.clone(), prefix))
    })
}

fn host_matches(rule: &HostRule, host: &str, registrable: Registrable<'_>) -> bool {
    match *rule {
        Under(name) => {
            host == name
                || host
                    .strip_suffix(name)
                    .is_some_and(|sub| sub.ends_with('.'))
        }
        Brand(brand) => {
            registrable.icann
                && registrable
                    .domain
                    .strip_prefix(brand)
                    .is_some_and(|suffix| suffix.starts_with('.'))
        }
    }
}

/// `prefix` matches the path exactly or followed by `/`; `/` matches all.
fn path_matches(mut path: impl Iterator<Item = char>, prefix: &str) -> bool {
    if prefix == "/" {
        return true;
    }
    for expected in prefix.chars() {
        if path.next() != Some(expected) {
            return false;
        }
    }
    matches!(path.next(), None | Some('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_prefix_is_segment_aware() {
        assert!(path_matches("/search".chars(), "/search"));
        assert!(path_matches("/search/".chars(), "/search"));
        assert!(!path_matches("/searchx".chars(), "/search"));
        assert!(!path_matches("/sear".chars(), "/search"));
        assert!(path_matches("/anything".chars(), "/"));
    }

    #[test]
    fn names_are_unique_snake_case() {
        for (i, e) in ENGINES.iter().enumerate() {
            assert!(e
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
            assert_ne!(e.name, "other");
            assert!(ENGINES[..i].iter().all(|o| o.name != e.name), "{}", e.name);
        }
    }
}
