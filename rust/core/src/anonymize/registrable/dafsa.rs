//! The Public Suffix List as a DAFSA generated at build time from the pinned
//! list (`data/psl/public_suffix_list.dat`; format in `build/psl_dafsa.rs`),
//! and the PSL algorithm over it. A lookup walks the host once from its last
//! character, reads nothing but this table and the host, and allocates
//! nothing.

static TABLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/psl.dafsa"));
const ROOT_INDEX_BYTES: usize = 128 * 4;

const NORMAL: u8 = 1;
const WILDCARD: u8 = 2;
const EXCEPTION: u8 = 3;

/// The rule that prevails for a host, by the PSL algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Suffix {
    /// Labels of the public suffix (at least 1).
    pub labels: usize,
    /// False when only the implicit `*` rule applied.
    pub listed: bool,
    /// The prevailing rule is in the list's ICANN section.
    pub icann: bool,
}

/// A rule seen while walking: how many host labels it covers.
#[derive(Clone, Copy)]
struct Match {
    labels: usize,
    icann: bool,
}

/// The prevailing rule for `host`: lowercase ASCII, no empty label, no
/// trailing dot (the caller checks).
pub(super) fn suffix(host: &[u8]) -> Suffix {
    let mut longest: Option<Match> = None;
    let mut exception: Option<Match> = None;
    let mut seen = |value: u8, labels: usize, more_labels: bool| {
        let icann = value & 1 == 1;
        match value >> 1 {
            NORMAL => keep_longest(&mut longest, Match { labels, icann }),
            // `*.ck` covers one more label, if the host has one.
            WILDCARD if more_labels => keep_longest(
                &mut longest,
                Match {
                    labels: labels + 1,
                    icann,
                },
            ),
            EXCEPTION => exception = Some(Match { labels, icann }),
            _ => {}
        }
    };
    walk(host, &mut seen);
    // An exception prevails over everything and gives up its first label.
    if let Some(e) = exception {
        return Suffix {
            labels: e.labels.saturating_sub(1).max(1),
            listed: true,
            icann: e.icann,
        };
    }
    match longest {
        Some(m) => Suffix {
            labels: m.labels,
            listed: true,
            icann: m.icann,
        },
        None => Suffix {
            labels: 1,
            listed: false,
            icann: false,
        },
    }
}

/// On equal length the later match (the exact rule, seen after the
/// wildcard one label shorter) wins.
fn keep_longest(best: &mut Option<Match>, m: Match) {
    if best.is_none_or(|b| m.labels >= b.labels) {
        *best = Some(m);
    }
}

/// Follows `host` backwards through the table and reports each rule value
/// found at a label boundary with the number of labels consumed and
/// whether the host has labels left.
fn walk(host: &[u8], seen: &mut impl FnMut(u8, usize, bool)) {
    let mut i = host.len();
    let Some(&last) = host.last() else { return };
    // The root's children, indexed by first byte.
    let Some(mut node) = root_child(last) else {
        return;
    };
    let mut dots = 0usize;
    loop {
        // Match the node's label against the host, from its end.
        loop {
            let Some(&b) = TABLE.get(node) else { return };
            if i == 0 || host[i - 1] != b & 0x7f {
                return;
            }
            i -= 1;
            node += 1;
            if host[i] == b'.' {
                dots += 1;
            }
            if b & 0x80 != 0 {
                break;
            }
        }
        // `node` is now the node's link list.
        let boundary = i == 0 || host[i - 1] == b'.';
        let want = if i == 0 { 0 } else { host[i - 1] };
        let mut next = None;
        let mut at = node;
        loop {
            let Some((child, last_link, after)) = link(at) else {
                return;
            };
            let Some(&first) = TABLE.get(child) else {
                return;
            };
            let c = first & 0x7f;
            if c < 0x20 {
                if boundary {
                    seen(c, dots + 1, i > 0);
                }
            } else if c == want {
                next = Some(child);
                break;
            } else if c > want {
                break;
            }
            if last_link {
                break;
            }
            at = after;
        }
        match next {
            Some(child) => node = child,
            None => return,
        }
    }
}

fn root_child(first: u8) -> Option<usize> {
    let at = usize::from(first) * 4;
    let bytes = TABLE.get(at..at + 4)?;
    let position = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    (position >= ROOT_INDEX_BYTES && first < 0x80).then_some(position)
}

/// The link at `at`: (child position, last link of its list, next link).
fn link(at: usize) -> Option<(usize, bool, usize)> {
    let b0 = *TABLE.get(at)?;
    let last = b0 & 0x80 != 0;
    let high = usize::from(b0 & 0x1f);
    let (distance, len) = match (b0 >> 5) & 0b11 {
        0 => (high, 1),
        1 => ((high << 8) | usize::from(*TABLE.get(at + 1)?), 2),
        _ => (
            (high << 16)
                | (usize::from(*TABLE.get(at + 1)?) << 8)
                | usize::from(*TABLE.get(at + 2)?),
            3,
        ),
    };
    Some((at + distance, last, at + len))
}

/// Every rule in the table as (ASCII name, kind, ICANN section): the table
/// read back, for the tests that compare it with the list.
#[cfg(test)]
pub(super) fn rules() -> Vec<(String, u8, bool)> {
    fn visit(node: usize, key: &mut Vec<u8>, out: &mut Vec<(String, u8, bool)>) {
        let mut at = node;
        let start = key.len();
        loop {
            let b = TABLE[at];
            at += 1;
            if b & 0x7f < 0x20 {
                let name: String = key.iter().rev().map(|&c| char::from(c)).collect();
                out.push((name, (b & 0x7f) >> 1, b & 1 == 1));
                key.truncate(start);
                return;
            }
            key.push(b & 0x7f);
            if b & 0x80 != 0 {
                break;
            }
        }
        let mut link_at = at;
        loop {
            let (child, last, after) = link(link_at).expect("link");
            visit(child, key, out);
            if last {
                break;
            }
            link_at = after;
        }
        key.truncate(start);
    }
    let mut out = Vec::new();
    for first in 0..128u8 {
        if let Some(child) = root_child(first) {
            visit(child, &mut Vec::new(), &mut out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(kind: u8) -> Vec<String> {
        let mut v: Vec<String> = rules()
            .into_iter()
            .filter(|r| r.1 == kind)
            .map(|r| r.0)
            .collect();
        v.sort();
        v
    }

    /// The table holds exactly the pinned list's rules, each in the ASCII
    /// form `url`'s IDNA gives it, with its kind and section.
    #[test]
    fn table_is_the_pinned_list() {
        let list = include_str!("../../../data/psl/public_suffix_list.dat");
        let mut want: Vec<(String, u8, bool)> = Vec::new();
        let mut icann = None;
        for line in list.lines().map(str::trim) {
            if line.starts_with("// ===BEGIN ICANN") {
                icann = Some(true);
            } else if line.starts_with("// ===BEGIN PRIVATE") {
                icann = Some(false);
            }
            let Some(rule) = line.split_whitespace().next() else {
                continue;
            };
            if rule.starts_with("//") {
                continue;
            }
            let (kind, name) = match (rule.strip_prefix('!'), rule.strip_prefix("*.")) {
                (Some(n), _) => (EXCEPTION, n),
                (_, Some(n)) => (WILDCARD, n),
                _ => (NORMAL, rule),
            };
            want.push((url::quirks::domain_to_ascii(name), kind, icann.unwrap()));
        }
        want.sort();
        want.dedup();
        let mut got = rules();
        got.sort();
        assert_eq!(got.len(), want.len());
        assert_eq!(got, want);
        assert!(want.len() > 9_000, "{} rules", want.len());
        assert!(names(WILDCARD).contains(&"ck".to_owned()));
        assert!(names(EXCEPTION).contains(&"www.ck".to_owned()));
        assert!(names(NORMAL).contains(&"xn--55qx5d.cn".to_owned()));
    }

    #[test]
    fn prevailing_rules() {
        let s = |h: &str| suffix(h.as_bytes());
        assert_eq!(
            s("www.bbc.co.uk"),
            Suffix {
                labels: 2,
                listed: true,
                icann: true
            }
        );
        assert_eq!(
            s("someone.github.io"),
            Suffix {
                labels: 2,
                listed: true,
                icann: false
            }
        );
        assert_eq!(
            s("a.b.c.ck"),
            Suffix {
                labels: 2,
                listed: true,
                icann: true
            }
        );
        assert_eq!(
            s("www.ck"),
            Suffix {
                labels: 1,
                listed: true,
                icann: true
            }
        );
        assert_eq!(
            s("x.www.ck"),
            Suffix {
                labels: 1,
                listed: true,
                icann: true
            }
        );
        assert_eq!(
            s("ck"),
            Suffix {
                labels: 1,
                listed: false,
                icann: false
            }
        );
        assert_eq!(
            s("nas.home.lan"),
            Suffix {
                labels: 1,
                listed: false,
                icann: false
            }
        );
        // `coc.uk` is not `co.uk`: a match must end at a label boundary.
        assert_eq!(
            s("foo.coc.uk"),
            Suffix {
                labels: 1,
                listed: true,
                icann: true
            }
        );
        assert_eq!(
            s("uk"),
            Suffix {
                labels: 1,
                listed: true,
                icann: true
            }
        );
    }

    #[test]
    fn table_is_small() {
        // The psl crate's generated code was ~780 KB of .text; this is data.
        assert!(TABLE.len() < 80_000, "{} bytes", TABLE.len());
    }
}
