//! The Public Suffix List as a DAFSA generated at build time from the pinned
//! list (`data/psl/public_suffix_list.dat`; format in `build/psl_dafsa.rs`),
//! and the PSL algorithm over it. A lookup walks the host once from its last
//! character, reads nothing but this table and the host, and allocates
//! nothing.

static TABLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/psl.dafsa"));
// TLD_KEYS, TLD_LISTS: the TLD index (build/psl_dafsa.rs, `Tables::tlds`).
include!(concat!(env!("OUT_DIR"), "/psl_tlds.rs"));

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

/// The prevailing rule for `host`: lowercase ASCII, no empty label, no
/// trailing dot (the caller checks), `labels` labels of which the last
/// `k + 1` start at `starts[k]` (for `k < 8`). The TLD is looked up in the
/// index (binary search over packed u64s), then one walk goes on from its
/// last character, one table entry at a time, with the PSL algorithm's
/// bookkeeping inline; a filter stops it where the next host label starts
/// no rule.
pub(super) fn suffix(host: &[u8], starts: &[usize; 8], labels: usize) -> Suffix {
    const UNLISTED: Suffix = Suffix {
        labels: 1,
        listed: false,
        icann: false,
    };
    let t = TABLE;
    // Where the last `k + 1` labels start.
    let start_of = |k: usize, end: usize| -> usize {
        match starts.get(k) {
            Some(&s) if k + 1 < labels => s,
            _ if k + 1 >= labels => 0,
            _ => host[..end]
                .iter()
                .rposition(|&b| b == b'.')
                .map_or(0, |d| d + 1),
        }
    };
    let tld = start_of(0, host.len());
    let (mut i, mut list) = match host.get(tld..).and_then(pack_tld) {
        // Every TLD of a rule is in the index: any other one has no rule.
        Some(key) => match TLD_KEYS.binary_search(&key) {
            Ok(n) => (tld, TLD_LISTS[n] as usize),
            Err(_) => return UNLISTED,
        },
        // A long TLD (`xn--...`, `international`): from the root.
        None => (host.len(), 0),
    };
    let mut dots = 0usize;
    // The longest normal or wildcard match, and an exception (labels 0: none).
    let (mut best, mut best_icann) = (0usize, false);
    let (mut exception, mut exception_icann) = (0usize, false);
    'walk: loop {
        let want = if i > 0 { host[i - 1] } else { 0 };
        let mut at = list;
        let child = loop {
            let Some(&b0) = t.get(at) else { break 'walk };
            match b0 & 0x70 {
                // The labels that can follow: stop if the host's next one
                // is not among them.
                0x60 if b0 & 0x08 != 0 => {
                    if want == b'.' {
                        let Some(f) = t.get(at + 1..at + 4) else {
                            break 'walk;
                        };
                        let next = &host[start_of(dots + 1, i - 1)..i - 1];
                        if !may_follow(
                            usize::from(u16::from_be_bytes([f[0], f[1]])),
                            usize::from(f[2]),
                            next,
                        ) {
                            break 'walk;
                        }
                    }
                    at += 4;
                }
                // A rule ends here; it counts at a label boundary only.
                0x60 => {
                    if i < host.len() && (want == 0 || want == b'.') {
                        let (labels, icann) = (dots + 1, b0 & 1 == 1);
                        match (b0 & 0x07) >> 1 {
                            NORMAL if labels >= best => (best, best_icann) = (labels, icann),
                            // `*.ck` covers one more label, if the host has one.
                            WILDCARD if i > 0 && labels + 1 > best => {
                                (best, best_icann) = (labels + 1, icann)
                            }
                            EXCEPTION => (exception, exception_icann) = (labels, icann),
                            _ => {}
                        }
                    }
                    at += 1;
                }
                // A wide list: the bitmap says whether and where.
                0x70 => {
                    let index = ALPHABET_INDEX[usize::from(want)];
                    let Some(bytes) = t.get(at + 1..at + 9) else {
                        break 'walk;
                    };
                    let bitmap =
                        u64::from_le_bytes(bytes.try_into().unwrap_or([0; 8])) & 0xff_ffff_ffff;
                    if index == NONE || bitmap & (1 << index) == 0 {
                        break 'walk;
                    }
                    let d = at + 6 + 3 * (bitmap & ((1 << index) - 1)).count_ones() as usize;
                    let Some(d) = t.get(d..d + 3) else {
                        break 'walk;
                    };
                    break at
                        + ((usize::from(d[0]) << 16)
                            | (usize::from(d[1]) << 8)
                            | usize::from(d[2]));
                }
                // A link, sorted by the child's first byte.
                _ => {
                    let high = usize::from(b0 & 0x1f);
                    let (distance, len) = match b0 & 0x60 {
                        0x00 => (high, 1),
                        0x20 => (
                            (high << 8) | usize::from(t.get(at + 1).copied().unwrap_or(0)),
                            2,
                        ),
                        _ => {
                            let Some(d) = t.get(at + 1..at + 3) else {
                                break 'walk;
                            };
                            (
                                (high << 16) | (usize::from(d[0]) << 8) | usize::from(d[1]),
                                3,
                            )
                        }
                    };
                    let child = at + distance;
                    let first = t.get(child).map_or(0x7f, |b| b & 0x7f);
                    if first == want {
                        break child;
                    }
                    if first > want || b0 & 0x80 != 0 {
                        break 'walk;
                    }
                    at += len;
                    continue;
                }
            }
            if b0 & 0x80 != 0 {
                break 'walk;
            }
        };
        // The child's label against the host, from its end (its first
        // character matched already).
        let mut p = child;
        loop {
            let Some(&b) = t.get(p) else { break 'walk };
            if i == 0 || host[i - 1] != b & 0x7f {
                break 'walk;
            }
            i -= 1;
            p += 1;
            dots += usize::from(host[i] == b'.');
            if b & 0x80 != 0 {
                break;
            }
        }
        list = p;
    }
    // An exception prevails over everything and gives up its first label.
    if exception > 0 {
        return Suffix {
            labels: (exception - 1).max(1),
            listed: true,
            icann: exception_icann,
        };
    }
    if best > 0 {
        return Suffix {
            labels: best,
            listed: true,
            icann: best_icann,
        };
    }
    UNLISTED
}

/// A filter's answer for a label (`build/psl_dafsa.rs`, `Tables::filters`):
/// false if no rule at that level has it.
fn may_follow(offset: usize, words: usize, label: &[u8]) -> bool {
    let Some(filter) = LABEL_FILTERS.get(offset..offset + words) else {
        return true;
    };
    let bits = (words * 64) as u128;
    let h = label_hash(label);
    [h, h.rotate_left(21), h.rotate_left(42)].iter().all(|&x| {
        let bit = ((u128::from(x) * bits) >> 64) as usize;
        filter[bit / 64] & (1 << (bit % 64)) != 0
    })
}

/// FNV-1a and a 64-bit finalizer: the generator's `label_hash`.
fn label_hash(label: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in label {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

/// A TLD of at most 8 characters as the index keys it (the generator's
/// `pack_tld`): little-endian, zero-padded.
fn pack_tld(tld: &[u8]) -> Option<u64> {
    if tld.len() > 8 {
        return None;
    }
    Some(
        tld.iter()
            .rev()
            .fold(0u64, |key, &b| (key << 8) | u64::from(b)),
    )
}

const NONE: u8 = 0xff;

/// Host character -> bit in a wide list (the generator's `ALPHABET` order).
static ALPHABET_INDEX: [u8; 256] = {
    let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789-.";
    let mut index = [NONE; 256];
    let mut i = 0;
    while i < alphabet.len() {
        index[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    index
};

/// The link whose first byte `b0` is at `at`: (child position, length).
#[cfg(test)]
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
                0x60 if b0 & 0x08 != 0 => at += 4,
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

    fn starts(host: &str) -> ([usize; 8], usize) {
        let mut starts = [0; 8];
        let dots: Vec<usize> = host.match_indices('.').map(|(i, _)| i + 1).rev().collect();
        for (k, s) in dots.iter().take(8).enumerate() {
            starts[k] = *s;
        }
        (starts, dots.len() + 1)
    }

    fn suffix_of(host: &str) -> Suffix {
        let (starts, labels) = starts(host);
        suffix(host.as_bytes(), &starts, labels)
    }

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
        let s = |h: &str| suffix_of(h);
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

    /// The filters keep every label of every rule (a walk over the whole
    /// list through them finds it), and rule out most other labels.
    #[test]
    fn filters_keep_every_rule_and_little_else() {
        for (name, kind, icann) in rules() {
            let host = if kind == WILDCARD {
                format!("x.{name}")
            } else {
                name.clone()
            };
            let s = suffix_of(&host);
            let want = if kind == EXCEPTION {
                name.matches('.').count()
            } else {
                host.matches('.').count() + 1
            };
            assert_eq!((s.labels, s.listed, s.icann), (want, true, icann), "{name}");
        }
        assert!(
            LABEL_FILTERS.len() * 8 < 20_000,
            "{} bytes of filters",
            LABEL_FILTERS.len() * 8
        );
        // A made-up label under each of 1,000 rules is ruled out at once
        // (one rule under a wildcard takes any label).
        let stopped = rules()
            .iter()
            .take(1_000)
            .filter(|(name, _, _)| {
                suffix_of(&format!("hush-made-up.{name}")).labels <= name.matches('.').count() + 1
            })
            .count();
        assert!(stopped > 900, "{stopped}");
    }

    /// Every TLD of the index leads where the walk from the root leads.
    #[test]
    fn tld_index_agrees_with_the_root() {
        assert!(TLD_KEYS.len() > 1_000, "{} TLDs", TLD_KEYS.len());
        let rules = rules();
        for (name, _, _) in &rules {
            let host = format!("walked-from-the-root.y.{name}");
            let (starts, labels) = starts(&host);
            // A walk from the root: a TLD start of 0 makes the TLD look
            // longer than any indexed one.
            let mut from_root = starts;
            from_root[0] = 0;
            let host = host.as_bytes();
            let long = suffix(host, &from_root, labels);
            assert_eq!(suffix(host, &starts, labels), long, "{name}");
        }
    }

    #[test]
    fn table_is_small() {
        // The psl crate's generated code was ~780 KB of .text; this is data.
        assert!(TABLE.len() < 70_000, "{} bytes", TABLE.len());
    }
}
