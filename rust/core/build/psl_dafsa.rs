//! Build-time generator of the Public Suffix List table that
//! `src/anonymize/registrable/dafsa.rs` reads: the pinned list
//! (`data/psl/public_suffix_list.dat`) as a minimized DAFSA (a DAG of
//! characters in which equal suffixes of the keys are shared), a few tens of
//! kilobytes in `.rodata`, searched without allocating.
//!
//! Keys. Each rule becomes its ASCII form (IDNA labels in Punycode, as hosts
//! reach the lookup), reversed character by character (`co.uk` -> `ku.oc`),
//! followed by one value symbol: `(kind << 1) | icann`, kind 1 for a normal
//! rule, 2 for a wildcard (`*.ck` is stored as `ck`), 3 for an exception
//! (`!www.ck` as `www.ck`); values are 2..=7, below every host character.
//!
//! Layout, in bytes: the root's list at 0, then the nodes. A node is its
//! label (one or more characters of the reversed key; the last one has bit 7
//! set) followed by its list: the rule values that end there, then links to
//! its children, which always lie after it. The first byte of a list entry:
//! - bit 7: the last entry of the list;
//! - bits 6-5 = 0, 1, 2: a link to a child, 1, 2 or 3 bytes long, the
//!   remaining 5, 13 or 21 bits the distance from this byte to the child
//!   (most significant first); links are sorted by the child's first byte,
//!   values come first;
//! - bits 6-4 = 0b110: a value, in bits 2-0; or, with bit 3 set, a
//!   filter of the labels that can follow (3 more bytes: its word offset in
//!   `Tables::filters`, big-endian u16, and its length in words), before
//!   the links of a node that has a `.` child;
//! - bits 6-4 = 0b111: a wide list (always last, used from `WIDE` children
//!   on, and for the root): a 40-bit bitmap (5 bytes, little-endian) of the
//!   children's first characters by their index in `ALPHABET`, then a 3-byte
//!   distance (most significant first, from the entry's first byte) per
//!   child, in alphabet order. A lookup indexes it by popcount.

use std::collections::HashMap;

/// The characters of an ASCII host, in the wide lists' bit order.
pub const ALPHABET: &[u8; 38] = b"abcdefghijklmnopqrstuvwxyz0123456789-.";
/// Lists with a `.` child and this many labels after it get a filter, of
/// this many bits a label (three bits each: about 3% of other labels pass).
const FILTER_FROM: usize = 8;
const FILTER_BITS: usize = 8;
/// Nodes with this many children get a wide list (8: 63 KB for the list;
/// 5 would be 68 KB and ~40 instructions faster per page load).
const WIDE: usize = 8;
const NORMAL: u8 = 1;
const WILDCARD: u8 = 2;
const EXCEPTION: u8 = 3;

/// One rule of the list: its ASCII form, kind and section.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rule {
    pub ascii: String,
    pub kind: u8,
    pub icann: bool,
}

/// The rules of a `public_suffix_list.dat`, in file order.
pub fn parse(list: &str) -> Result<Vec<Rule>, String> {
    let mut section: Option<bool> = None; // Some(true): ICANN, Some(false): private
    let mut rules = Vec::new();
    for (number, line) in list.lines().enumerate() {
        let line = line.trim();
        match line {
            "// ===BEGIN ICANN DOMAINS===" => section = Some(true),
            "// ===BEGIN PRIVATE DOMAINS===" => section = Some(false),
            "// ===END ICANN DOMAINS===" | "// ===END PRIVATE DOMAINS===" => section = None,
            _ => {}
        }
        // A rule is the line up to its first whitespace.
        let Some(rule) = line.split_whitespace().next() else {
            continue;
        };
        if rule.starts_with("//") {
            continue;
        }
        let at = || format!("public_suffix_list.dat:{}: {rule:?}", number + 1);
        let icann =
            section.ok_or_else(|| format!("{}: outside the ICANN and private sections", at()))?;
        let (kind, name) = if let Some(name) = rule.strip_prefix('!') {
            (EXCEPTION, name)
        } else if let Some(name) = rule.strip_prefix("*.") {
            (WILDCARD, name)
        } else {
            (NORMAL, rule)
        };
        let ascii = to_ascii(name).map_err(|e| format!("{}: {e}", at()))?;
        rules.push(Rule { ascii, kind, icann });
    }
    if rules.is_empty() {
        return Err("public_suffix_list.dat has no rules".into());
    }
    Ok(rules)
}

/// A rule name as a host would carry it: lowercase ASCII, each non-ASCII
/// label in Punycode with the `xn--` prefix. The list's own names are
/// already lowercase and NFC, so no other UTS 46 mapping applies (the
/// module's tests compare every rule with `url`'s IDNA).
fn to_ascii(name: &str) -> Result<String, String> {
    let mut labels = Vec::new();
    for label in name.split('.') {
        let ascii = if label.is_ascii() {
            label.to_ascii_lowercase()
        } else {
            format!("xn--{}", punycode(label)?)
        };
        let valid = !ascii.is_empty()
            && ascii.len() <= 63
            && ascii
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid {
            return Err(format!(
                "label {label:?} is not a DNS label (wildcards only as the first label)"
            ));
        }
        labels.push(ascii);
    }
    Ok(labels.join("."))
}

/// RFC 3492 Punycode encoding of one label.
fn punycode(label: &str) -> Result<String, String> {
    const BASE: u32 = 36;
    const T_MIN: u32 = 1;
    const T_MAX: u32 = 26;
    fn adapt(mut delta: u32, points: u32, first: bool) -> u32 {
        delta /= if first { 700 } else { 2 };
        delta += delta / points;
        let mut k = 0;
        while delta > ((BASE - T_MIN) * T_MAX) / 2 {
            delta /= BASE - T_MIN;
            k += BASE;
        }
        k + (BASE - T_MIN + 1) * delta / (delta + 38)
    }
    fn digit(d: u32) -> char {
        char::from(if d < 26 {
            b'a' + d as u8
        } else {
            b'0' + (d - 26) as u8
        })
    }
    let input: Vec<u32> = label.chars().map(u32::from).collect();
    let mut out: String = label.chars().filter(char::is_ascii).collect();
    let basic = out.len() as u32;
    if basic > 0 {
        out.push('-');
    }
    let (mut n, mut delta, mut bias, mut handled) = (128u32, 0u32, 72u32, basic);
    let overflow = || format!("label {label:?} overflows Punycode");
    while (handled as usize) < input.len() {
        let m = input
            .iter()
            .copied()
            .filter(|&c| c >= n)
            .min()
            .ok_or_else(overflow)?;
        delta = (m - n)
            .checked_mul(handled + 1)
            .and_then(|d| d.checked_add(delta))
            .ok_or_else(overflow)?;
        n = m;
        for &c in &input {
            if c < n {
                delta = delta.checked_add(1).ok_or_else(overflow)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        T_MIN
                    } else if k >= bias + T_MAX {
                        T_MAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out.push(digit(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(digit(q));
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta += 1;
        n += 1;
    }
    Ok(out)
}

/// The generated data: the DAFSA, its filters, and the index of its
/// top-level domains.
pub struct Tables {
    pub dafsa: Vec<u8>,
    /// Every TLD of at most 8 characters, packed little-endian into a u64
    /// (zero-padded; no host character is 0), sorted, with the position of
    /// its list in the DAFSA: a lookup finds the TLD by binary search and
    /// walks on from there. Longer TLDs walk from the root.
    pub tlds: Vec<(u64, u32)>,
    /// The Bloom filters of the lists that have a `.` child, as 64-bit
    /// words: each holds the labels that can follow at that level
    /// (`FILTER_BITS` a label, three bits each). A host label it rules out starts no rule,
    /// so the walk stops there; one it may hold is walked, which is exact.
    pub filters: Vec<u64>,
}

/// The filters' hash of a label (FNV-1a, then a 64-bit finalizer); the
/// lookup has the same function, and a test checks every label of the list.
pub fn label_hash(label: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in label {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

/// The three bits of a label in a filter of `bits` bits.
pub fn filter_bits(hash: u64, bits: usize) -> [usize; 3] {
    let reduce = |x: u64| ((u128::from(x) * bits as u128) >> 64) as usize;
    [
        reduce(hash),
        reduce(hash.rotate_left(21)),
        reduce(hash.rotate_left(42)),
    ]
}

/// A TLD of at most 8 characters as the index keys it.
pub fn pack_tld(tld: &[u8]) -> Option<u64> {
    (tld.len() <= 8).then(|| {
        tld.iter()
            .rev()
            .fold(0u64, |key, &b| (key << 8) | u64::from(b))
    })
}

/// The tables for `rules` (see the module documentation for the layout).
pub fn build(rules: &[Rule]) -> Result<Tables, String> {
    let mut filters = Vec::new();
    let dafsa = build_dafsa(rules, &mut filters)?;
    let mut names: Vec<&str> = rules
        .iter()
        .map(|r| r.ascii.rsplit('.').next().unwrap_or(&r.ascii))
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut tlds = Vec::new();
    for tld in names {
        let Some(key) = pack_tld(tld.as_bytes()) else {
            continue;
        };
        let reversed: Vec<u8> = tld.bytes().rev().collect();
        let list = list_after(&dafsa, &reversed)
            .ok_or_else(|| format!("TLD {tld} has no node of its own in the table"))?;
        tlds.push((
            key,
            u32::try_from(list).map_err(|_| "the PSL table outgrew u32")?,
        ));
    }
    tlds.sort_unstable();
    Ok(Tables {
        dafsa,
        tlds,
        filters,
    })
}

/// The position of the list right after `chars` (in walk order) if they
/// end exactly at the end of a node's label.
fn list_after(table: &[u8], chars: &[u8]) -> Option<usize> {
    let mut list = 0;
    let mut rest = chars;
    while let Some(&want) = rest.first() {
        let mut at = list;
        let child = loop {
            let b0 = *table.get(at)?;
            match b0 & 0x70 {
                0x60 => at += if b0 & 0x08 != 0 { 4 } else { 1 },
                0x70 => {
                    let index = ALPHABET.iter().position(|&a| a == want)?;
                    let bitmap = u64::from_le_bytes(table.get(at + 1..at + 9)?.try_into().ok()?)
                        & 0xff_ffff_ffff;
                    if bitmap & (1 << index) == 0 {
                        return None;
                    }
                    let d = at + 6 + 3 * (bitmap & ((1 << index) - 1)).count_ones() as usize;
                    let d = table.get(d..d + 3)?;
                    break at
                        + ((usize::from(d[0]) << 16)
                            | (usize::from(d[1]) << 8)
                            | usize::from(d[2]));
                }
                _ => {
                    let high = usize::from(b0 & 0x1f);
                    let (distance, len) = match b0 & 0x60 {
                        0x00 => (high, 1),
                        0x20 => ((high << 8) | usize::from(*table.get(at + 1)?), 2),
                        _ => (
                            (high << 16)
                                | (usize::from(*table.get(at + 1)?) << 8)
                                | usize::from(*table.get(at + 2)?),
                            3,
                        ),
                    };
                    if *table.get(at + distance)? & 0x7f == want {
                        break at + distance;
                    }
                    at += len;
                    if b0 & 0x80 != 0 {
                        return None;
                    }
                    continue;
                }
            }
            if b0 & 0x80 != 0 {
                return None;
            }
        };
        let mut p = child;
        loop {
            let b = *table.get(p)?;
            if rest.first() != Some(&(b & 0x7f)) {
                return None;
            }
            rest = &rest[1..];
            p += 1;
            if b & 0x80 != 0 {
                break;
            }
        }
        list = p;
    }
    Some(list)
}

fn build_dafsa(rules: &[Rule], filters: &mut Vec<u64>) -> Result<Vec<u8>, String> {
    // Keys, deduplicated; the same name and kind in both sections would make
    // the section ambiguous, so it needs a person to look at the list.
    let mut sections: HashMap<(&str, u8), bool> = HashMap::new();
    for r in rules {
        if let Some(&other) = sections.get(&(r.ascii.as_str(), r.kind)) {
            if other != r.icann {
                return Err(format!(
                    "{} is in both the ICANN and the private section",
                    r.ascii
                ));
            }
        }
        sections.insert((r.ascii.as_str(), r.kind), r.icann);
    }
    let mut keys: Vec<Vec<u8>> = sections
        .iter()
        .map(|(&(name, kind), &icann)| {
            let mut key: Vec<u8> = name.bytes().rev().collect();
            key.push((kind << 1) | u8::from(icann));
            key
        })
        .collect();
    keys.sort();

    let (states, root) = minimized(&keys);
    let mut nodes = Nodes::new(&states, root);
    nodes.add_filters(filters)?;
    Ok(nodes.encode())
}

/// The trie of `keys`, minimized: states with equal outgoing edges merged.
/// Returns each state's sorted edges (byte, state) and the root state.
fn minimized(keys: &[Vec<u8>]) -> (Vec<Vec<(u8, usize)>>, usize) {
    let mut trie: Vec<Vec<(u8, usize)>> = vec![Vec::new()];
    for key in keys {
        let mut node = 0;
        for &b in key {
            node = match trie[node].iter().find(|(c, _)| *c == b) {
                Some(&(_, next)) => next,
                None => {
                    trie.push(Vec::new());
                    let next = trie.len() - 1;
                    trie[node].push((b, next));
                    next
                }
            };
        }
    }
    // Post-order: a state's canonical id depends on its children's.
    let mut order = Vec::with_capacity(trie.len());
    let mut stack = vec![(0usize, false)];
    while let Some((node, done)) = stack.pop() {
        if done {
            order.push(node);
        } else {
            stack.push((node, true));
            stack.extend(trie[node].iter().map(|&(_, c)| (c, false)));
        }
    }
    let mut canonical = vec![usize::MAX; trie.len()];
    let mut ids: HashMap<Vec<(u8, usize)>, usize> = HashMap::new();
    let mut states = Vec::new();
    for node in order {
        let mut edges: Vec<(u8, usize)> =
            trie[node].iter().map(|&(b, c)| (b, canonical[c])).collect();
        edges.sort_unstable();
        let id = *ids.entry(edges.clone()).or_insert_with(|| {
            states.push(edges);
            states.len() - 1
        });
        canonical[node] = id;
    }
    (states, canonical[0])
}

/// The graph as it is laid out: a node per distinct (first byte, state)
/// edge, chains of single-child nodes merged into one label, rule values
/// kept in the list of the node they end at.
struct Nodes {
    labels: Vec<Vec<u8>>,
    values: Vec<Vec<u8>>,
    children: Vec<Vec<usize>>,
    root_children: Vec<usize>,
    /// The filter entry of a node with a `.` child: word offset, words.
    filters: Vec<Option<(u16, u8)>>,
}

impl Nodes {
    fn new(states: &[Vec<(u8, usize)>], root: usize) -> Nodes {
        let is_value = |b: u8| b < 0x20;
        let mut ids: HashMap<(u8, usize), usize> = HashMap::new();
        let mut edge_of: Vec<(u8, usize)> = Vec::new();
        let mut pending: Vec<(u8, usize)> = states[root].clone();
        while let Some(edge) = pending.pop() {
            if is_value(edge.0) || ids.contains_key(&edge) {
                continue;
            }
            ids.insert(edge, edge_of.len());
            edge_of.push(edge);
            pending.extend(states[edge.1].iter().copied());
        }
        let mut labels: Vec<Vec<u8>> = edge_of.iter().map(|&(b, _)| vec![b]).collect();
        let mut values: Vec<Vec<u8>> = edge_of
            .iter()
            .map(|&(_, s)| {
                states[s]
                    .iter()
                    .filter(|e| is_value(e.0))
                    .map(|e| e.0)
                    .collect()
            })
            .collect();
        let mut children: Vec<Vec<usize>> = edge_of
            .iter()
            .map(|&(_, s)| {
                states[s]
                    .iter()
                    .filter(|e| !is_value(e.0))
                    .map(|e| ids[e])
                    .collect()
            })
            .collect();
        let root_children: Vec<usize> = states[root].iter().map(|e| ids[e]).collect();
        let mut indegree = vec![0usize; labels.len()];
        for &c in children.iter().flatten().chain(&root_children) {
            indegree[c] += 1;
        }
        // Merge a node's only child into it when nothing else points there
        // and no rule ends between them.
        let mut merged = vec![false; labels.len()];
        for n in 0..labels.len() {
            if merged[n] {
                continue;
            }
            while let [only] = children[n][..] {
                if indegree[only] != 1 || !values[n].is_empty() {
                    break;
                }
                let tail = std::mem::take(&mut labels[only]);
                labels[n].extend(tail);
                values[n] = std::mem::take(&mut values[only]);
                children[n] = std::mem::take(&mut children[only]);
                merged[only] = true;
            }
        }
        // Renumber the surviving nodes.
        let mut new_id = vec![usize::MAX; labels.len()];
        let mut out = Nodes {
            labels: Vec::new(),
            values: Vec::new(),
            children: Vec::new(),
            root_children: Vec::new(),
            filters: Vec::new(),
        };
        for n in 0..labels.len() {
            if !merged[n] {
                new_id[n] = out.labels.len();
                out.labels.push(std::mem::take(&mut labels[n]));
                out.values.push(std::mem::take(&mut values[n]));
                out.children.push(Vec::new());
            }
        }
        for n in 0..labels.len() {
            if !merged[n] {
                let mut kids: Vec<usize> = children[n].iter().map(|&c| new_id[c]).collect();
                kids.sort_by_key(|&c| out.labels[c][0]);
                out.children[new_id[n]] = kids;
            }
        }
        out.root_children = root_children.iter().map(|&c| new_id[c]).collect();
        out.root_children.sort_by_key(|&c| out.labels[c][0]);
        out
    }

    /// A filter for every node with a `.` child: the labels that can follow.
    fn add_filters(&mut self, words: &mut Vec<u64>) -> Result<(), String> {
        self.filters = vec![None; self.labels.len()];
        for n in 0..self.labels.len() {
            let Some(&dot) = self.children[n]
                .iter()
                .find(|&&c| self.labels[c][0] == b'.')
            else {
                continue;
            };
            let labels = self.next_labels(dot);
            // A few labels are as quick to walk as to filter.
            if labels.len() < FILTER_FROM {
                continue;
            }
            let n_words = (FILTER_BITS * labels.len()).div_ceil(64);
            let offset = words.len();
            words.resize(offset + n_words, 0);
            for label in &labels {
                for bit in filter_bits(label_hash(label), n_words * 64) {
                    words[offset + bit / 64] |= 1 << (bit % 64);
                }
            }
            let offset = u16::try_from(offset).map_err(|_| "PSL filters outgrew 16-bit offsets")?;
            let n_words = u8::try_from(n_words).map_err(|_| "a PSL filter outgrew 255 words")?;
            self.filters[n] = Some((offset, n_words));
        }
        Ok(())
    }

    /// The complete labels (host order) that can follow the `.` child
    /// `dot`: up to the next `.` or to the end of a rule.
    fn next_labels(&self, dot: usize) -> std::collections::BTreeSet<Vec<u8>> {
        let mut out = std::collections::BTreeSet::new();
        let done = |chars: &[u8]| chars.iter().rev().copied().collect::<Vec<u8>>();
        let mut stack: Vec<(usize, usize, Vec<u8>)> = vec![(dot, 1, Vec::new())];
        while let Some((n, from, mut chars)) = stack.pop() {
            let mut ended = false;
            for &b in &self.labels[n][from..] {
                if b == b'.' {
                    out.insert(done(&chars));
                    ended = true;
                    break;
                }
                chars.push(b);
            }
            if ended {
                continue;
            }
            if !self.values[n].is_empty() {
                out.insert(done(&chars));
            }
            for &k in &self.children[n] {
                if self.labels[k][0] == b'.' {
                    out.insert(done(&chars));
                } else {
                    stack.push((k, 0, chars.clone()));
                }
            }
        }
        out
    }

    /// Parents before children, depth first, so that most links are short.
    fn layout_order(&self) -> Vec<usize> {
        let mut parents = vec![0usize; self.labels.len()];
        for &c in self.children.iter().flatten().chain(&self.root_children) {
            parents[c] += 1;
        }
        let mut order = Vec::with_capacity(self.labels.len());
        let mut ready: Vec<usize> = Vec::new();
        let release = |kids: &[usize], parents: &mut [usize], ready: &mut Vec<usize>| {
            for &c in kids.iter().rev() {
                parents[c] -= 1;
                if parents[c] == 0 {
                    ready.push(c);
                }
            }
        };
        release(&self.root_children, &mut parents, &mut ready);
        while let Some(n) = ready.pop() {
            order.push(n);
            release(&self.children[n], &mut parents, &mut ready);
        }
        order
    }

    fn encode(&self) -> Vec<u8> {
        let order = self.layout_order();
        // Narrow links start at 3 bytes and only shrink as positions settle.
        let mut link_size: Vec<Vec<usize>> =
            self.children.iter().map(|k| vec![3; k.len()]).collect();
        loop {
            let positions = self.positions(&order, &link_size);
            let mut changed = false;
            for &n in &order {
                if self.children[n].len() >= WIDE {
                    continue;
                }
                let filter = if self.filters[n].is_some() { 4 } else { 0 };
                let mut at = positions[n] + self.labels[n].len() + self.values[n].len() + filter;
                for (i, &c) in self.children[n].iter().enumerate() {
                    let size = link_bytes(positions[c] - at);
                    if size != link_size[n][i] {
                        link_size[n][i] = size;
                        changed = true;
                    }
                    at += link_size[n][i];
                }
            }
            if !changed {
                return self.write(&order, &positions, &link_size);
            }
        }
    }

    fn list_len(&self, n: usize, link_size: &[usize]) -> usize {
        let kids = self.children[n].len();
        self.values[n].len()
            + if self.filters[n].is_some() { 4 } else { 0 }
            + if kids >= WIDE {
                wide_len(kids)
            } else {
                link_size.iter().sum()
            }
    }

    fn positions(&self, order: &[usize], link_size: &[Vec<usize>]) -> Vec<usize> {
        let mut at = wide_len(self.root_children.len());
        let mut positions = vec![0; self.labels.len()];
        for &n in order {
            positions[n] = at;
            at += self.labels[n].len() + self.list_len(n, &link_size[n]);
        }
        positions
    }

    fn write(&self, order: &[usize], positions: &[usize], link_size: &[Vec<usize>]) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_wide(&mut out, &self.root_children, positions);
        for &n in order {
            assert_eq!(out.len(), positions[n]);
            let label = &self.labels[n];
            out.extend_from_slice(&label[..label.len() - 1]);
            out.push(label[label.len() - 1] | 0x80);
            let kids = &self.children[n];
            for (i, &v) in self.values[n].iter().enumerate() {
                let last = if i + 1 == self.values[n].len() && kids.is_empty() {
                    0x80
                } else {
                    0
                };
                out.push(last | 0x60 | v);
            }
            if let Some((offset, words)) = self.filters[n] {
                let [hi, lo] = offset.to_be_bytes();
                out.extend_from_slice(&[0x68, hi, lo, words]);
            }
            if kids.len() >= WIDE {
                self.write_wide(&mut out, kids, positions);
                continue;
            }
            for (i, &c) in kids.iter().enumerate() {
                let distance = positions[c] - out.len();
                let last = if i + 1 == kids.len() { 0x80 } else { 0 };
                match link_size[n][i] {
                    1 => out.push(last | distance as u8),
                    2 => out
                        .extend_from_slice(&[last | 0x20 | (distance >> 8) as u8, distance as u8]),
                    _ => {
                        assert!(distance < 1 << 21, "the PSL table outgrew 3-byte links");
                        out.extend_from_slice(&[
                            last | 0x40 | (distance >> 16) as u8,
                            (distance >> 8) as u8,
                            distance as u8,
                        ])
                    }
                }
            }
        }
        out
    }

    fn write_wide(&self, out: &mut Vec<u8>, kids: &[usize], positions: &[usize]) {
        let start = out.len();
        let mut kids = kids.to_vec();
        kids.sort_by_key(|&c| alphabet_index(self.labels[c][0]));
        let mut bitmap = 0u64;
        for &c in &kids {
            bitmap |= 1 << alphabet_index(self.labels[c][0]);
        }
        out.push(0xf0);
        out.extend_from_slice(&bitmap.to_le_bytes()[..5]);
        for &c in &kids {
            let distance = positions[c] - start;
            assert!(distance < 1 << 24, "the PSL table outgrew 3-byte links");
            out.extend_from_slice(&[
                (distance >> 16) as u8,
                (distance >> 8) as u8,
                distance as u8,
            ]);
        }
    }
}

fn alphabet_index(b: u8) -> usize {
    ALPHABET
        .iter()
        .position(|&a| a == b)
        .expect("host characters only")
}

fn wide_len(children: usize) -> usize {
    1 + 5 + 3 * children
}

fn link_bytes(distance: usize) -> usize {
    match distance {
        0..=0x1f => 1,
        0x20..=0x1fff => 2,
        _ => 3,
    }
}
