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
//! Layout, in bytes:
//! - `[0, 512)`: the root index, 128 little-endian u32: for each first
//!   character (the last one of a TLD), the position of the root's child
//!   starting with it, 0 if none;
//! - then nodes. A node is its label (one or more characters; the last one
//!   has bit 7 set; a value node is a single byte `0x80 | value`) followed,
//!   unless it is a value node, by the links to its children. Children are
//!   sorted by their first byte (value nodes first) and always lie after
//!   their parent. A link is 1-3 bytes: bit 7 of the first byte marks the
//!   last link of the list, bits 6-5 give the length (0: 1 byte, 1: 2, 2: 3),
//!   the remaining bits (5, 13 or 21) the distance from the link's first byte
//!   to the child, most significant bits first.

use std::collections::HashMap;

pub const ROOT_INDEX_BYTES: usize = 128 * 4;
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

/// The table for `rules` (see the module documentation for its layout).
pub fn build(rules: &[Rule]) -> Result<Vec<u8>, String> {
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
    let nodes = Nodes::new(&states, root);
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
/// edge, chains of single-child nodes merged into one label.
struct Nodes {
    labels: Vec<Vec<u8>>,
    children: Vec<Vec<usize>>,
    root_children: Vec<usize>,
}

impl Nodes {
    fn new(states: &[Vec<(u8, usize)>], root: usize) -> Nodes {
        let mut ids: HashMap<(u8, usize), usize> = HashMap::new();
        let mut edge_of: Vec<(u8, usize)> = Vec::new();
        let mut pending: Vec<(u8, usize)> = states[root].clone();
        while let Some(edge) = pending.pop() {
            if ids.contains_key(&edge) {
                continue;
            }
            ids.insert(edge, edge_of.len());
            edge_of.push(edge);
            pending.extend(states[edge.1].iter().copied());
        }
        let mut labels: Vec<Vec<u8>> = edge_of.iter().map(|&(b, _)| vec![b]).collect();
        let mut children: Vec<Vec<usize>> = edge_of
            .iter()
            .map(|&(_, s)| states[s].iter().map(|e| ids[e]).collect())
            .collect();
        let root_children: Vec<usize> = states[root].iter().map(|e| ids[e]).collect();
        let mut indegree = vec![0usize; labels.len()];
        for &c in children.iter().flatten().chain(&root_children) {
            indegree[c] += 1;
        }
        // Merge a node's only child into it when nothing else points there.
        let mut merged = vec![false; labels.len()];
        for n in 0..labels.len() {
            if merged[n] {
                continue;
            }
            while let [only] = children[n][..] {
                if indegree[only] != 1 || labels[only][0] < 0x20 {
                    break;
                }
                let tail = std::mem::take(&mut labels[only]);
                labels[n].extend(tail);
                children[n] = std::mem::take(&mut children[only]);
                merged[only] = true;
            }
        }
        // Renumber the surviving nodes.
        let mut new_id = vec![usize::MAX; labels.len()];
        let mut out = Nodes {
            labels: Vec::new(),
            children: Vec::new(),
            root_children: Vec::new(),
        };
        for n in 0..labels.len() {
            if !merged[n] {
                new_id[n] = out.labels.len();
                out.labels.push(std::mem::take(&mut labels[n]));
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
        // Link sizes start at 3 bytes and only shrink as positions settle.
        let mut link_size: Vec<Vec<usize>> =
            self.children.iter().map(|k| vec![3; k.len()]).collect();
        let mut root_link_size = vec![3; self.root_children.len()];
        loop {
            let (positions, root_links) = self.positions(&order, &link_size, &root_link_size);
            let mut changed = false;
            let mut resize = |from: usize, kids: &[usize], sizes: &mut Vec<usize>| {
                let mut at = from;
                for (i, &c) in kids.iter().enumerate() {
                    let size = link_bytes(positions[c] - at);
                    if size != sizes[i] {
                        sizes[i] = size;
                        changed = true;
                    }
                    at += sizes[i];
                }
            };
            resize(root_links, &self.root_children, &mut root_link_size);
            for &n in &order {
                let links_at = positions[n] + self.labels[n].len();
                resize(links_at, &self.children[n], &mut link_size[n]);
            }
            if !changed {
                return self.write(&order, &positions, root_links, &link_size, &root_link_size);
            }
        }
    }

    /// Position of each node, and of the root's link list.
    fn positions(
        &self,
        order: &[usize],
        link_size: &[Vec<usize>],
        root_link_size: &[usize],
    ) -> (Vec<usize>, usize) {
        let root_links = ROOT_INDEX_BYTES;
        let mut at = root_links + root_link_size.iter().sum::<usize>();
        let mut positions = vec![0; self.labels.len()];
        for &n in order {
            positions[n] = at;
            at += self.labels[n].len() + link_size[n].iter().sum::<usize>();
        }
        (positions, root_links)
    }

    fn write(
        &self,
        order: &[usize],
        positions: &[usize],
        root_links: usize,
        link_size: &[Vec<usize>],
        root_link_size: &[usize],
    ) -> Vec<u8> {
        let mut out = vec![0u8; ROOT_INDEX_BYTES];
        for &c in &self.root_children {
            let first = usize::from(self.labels[c][0]);
            out[first * 4..first * 4 + 4].copy_from_slice(&(positions[c] as u32).to_le_bytes());
        }
        debug_assert_eq!(out.len(), root_links);
        write_links(&mut out, &self.root_children, root_link_size, positions);
        for &n in order {
            debug_assert_eq!(out.len(), positions[n]);
            let label = &self.labels[n];
            out.extend_from_slice(&label[..label.len() - 1]);
            out.push(label[label.len() - 1] | 0x80);
            write_links(&mut out, &self.children[n], &link_size[n], positions);
        }
        out
    }
}

fn link_bytes(distance: usize) -> usize {
    match distance {
        0..=0x1f => 1,
        0x20..=0x1fff => 2,
        _ => 3,
    }
}

fn write_links(out: &mut Vec<u8>, kids: &[usize], sizes: &[usize], positions: &[usize]) {
    for (i, &c) in kids.iter().enumerate() {
        let distance = positions[c] - out.len();
        let last = if i + 1 == kids.len() { 0x80 } else { 0 };
        assert!(distance < 1 << 21, "the PSL table outgrew 3-byte links");
        match sizes[i] {
            1 => out.push(last | distance as u8),
            2 => out.extend_from_slice(&[last | 0x20 | (distance >> 8) as u8, distance as u8]),
            _ => out.extend_from_slice(&[
                last | 0x40 | (distance >> 16) as u8,
                (distance >> 8) as u8,
                distance as u8,
            ]),
        }
    }
}
