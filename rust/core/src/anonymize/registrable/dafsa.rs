//! The Public Suffix List as a DAFSA generated at build time from the pinned
//! list (`data/psl/public_suffix_list.dat`; format in `build/psl_dafsa.rs`),
//! and the PSL algorithm over it. A lookup walks the host once from its last
//! character, reads nothing but this table and the host, and allocates
//! nothing.

static TABLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/psl.dafsa"));

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
    let mut dots = 0usize;
    // The root's list is at 0.
    let mut list = 0usize;
    loop {
        let want = if i == 0 { 0 } else { host[i - 1] };
        let boundary = i < host.len() && (want == 0 || want == b'.');
        let Some(child) = pick(list, want, |value| {
            if boundary {
                seen(value, dots + 1, i > 0);
            }
        }) else {
            return;
        };
        // Match the child's label against the host, from its end; the
        // first character matched already.
        let Some(label) = TABLE.get(child..) else {
            return;
        };
        let mut n = 0;
        loop {
            let (Some(&b), Some(&h)) = (label.get(n), host.get(i.wrapping_sub(1))) else {
                return;
            };
            if h != b & 0x7f {
                return;
            }
            i -= 1;
            n += 1;
            dots += usize::from(h == b'.');
            if b & 0x80 != 0 {
                break;
            }
        }
        list = child + n;
    }
}

/// In the list at `at`, reports every value and returns the child whose
/// label starts with `want`.
fn pick(mut at: usize, want: u8, mut value: impl FnMut(u8)) -> Option<usize> {
    loop {
        let b0 = *TABLE.get(at)?;
        match b0 & 0x70 {
            // A value.
            0x60 => {
                value(b0 & 0x07);
                at += 1;
            }
            // A wide list: the bitmap tells whether and where.
            0x70 => {
                let index = ALPHABET_INDEX
                    .get(usize::from(want))
                    .copied()
                    .unwrap_or(NONE);
                if index == NONE {
                    return None;
                }
                let bytes = TABLE.get(at + 1..at + 6)?;
                let bitmap =
                    u64::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], 0, 0, 0]);
                if bitmap & (1 << index) == 0 {
                    return None;
                }
                let rank = (bitmap & ((1 << index) - 1)).count_ones() as usize;
                let d = TABLE.get(at + 6 + rank * 3..at + 9 + rank * 3)?;
                let distance =
                    (usize::from(d[0]) << 16) | (usize::from(d[1]) << 8) | usize::from(d[2]);
                return Some(at + distance);
            }
            // A link, sorted by the child's first byte.
            _ => {
                let (child, len) = link(at, b0)?;
                let first = *TABLE.get(child)? & 0x7f;
                if first == want {
                    return Some(child);
                }
                if first > want {
                    return None;
                }
                at += len;
            }
        }
        if b0 & 0x80 != 0 {
            return None;
        }
    }
}

const NONE: u8 = 0xff;

/// Host character -> bit in a wide list (the generator's `ALPHABET` order).
static ALPHABET_INDEX: [u8; 128] = {
    let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789-.";
    let mut index = [NONE; 128];
    let mut i = 0;
    while i < alphabet.len() {
        index[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    index
};

/// The link whose first byte `b0` is at `at`: (child position, length).
fn link(at: usize, b0: u8) -> Option<(usize, usize)> {
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
    Some((at + distance, len))
}

/// Every rule in the table as (ASCII name, kind, ICANN section): the table
/// read back, for the tests that compare it with the list.
#[cfg(test)]
pub(super) fn rules() -> Vec<(String, u8, bool)> {
    /// The children of the list at `at`, and the values in it.
    fn entries(mut at: usize) -> (Vec<usize>, Vec<u8>) {
        let (mut kids, mut values) = (Vec::new(), Vec::new());
        loop {
            let b0 = TABLE[at];
            match b0 & 0x70 {
                0x60 => {
                    values.push(b0 & 0x07);
                    at += 1;
                }
                0x70 => {
                    let bitmap = u64::from_le_bytes([
                        TABLE[at + 1],
                        TABLE[at + 2],
                        TABLE[at + 3],
                        TABLE[at + 4],
                        TABLE[at + 5],
                        0,
                        0,
                        0,
                    ]);
                    for rank in 0..bitmap.count_ones() as usize {
                        let d = &TABLE[at + 6 + rank * 3..];
                        kids.push(
                            at + ((usize::from(d[0]) << 16)
                                | (usize::from(d[1]) << 8)
                                | usize::from(d[2])),
                        );
                    }
                    return (kids, values);
                }
                _ => {
                    let (child, len) = link(at, b0).expect("link");
                    kids.push(child);
                    at += len;
                }
            }
            if b0 & 0x80 != 0 {
                return (kids, values);
            }
        }
    }
    fn visit(node: usize, key: &mut Vec<u8>, out: &mut Vec<(String, u8, bool)>) {
        let start = key.len();
        let mut at = node;
        loop {
            let b = TABLE[at];
            key.push(b & 0x7f);
            at += 1;
            if b & 0x80 != 0 {
                break;
            }
        }
        let (kids, values) = entries(at);
        for v in values {
            let name: String = key.iter().rev().map(|&c| char::from(c)).collect();
            out.push((name, v >> 1, v & 1 == 1));
        }
        for child in kids {
            visit(child, key, out);
        }
        key.truncate(start);
    }
    let mut out = Vec::new();
    for child in entries(0).0 {
        visit(child, &mut Vec::new(), &mut out);
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
