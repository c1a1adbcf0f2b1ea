//! The shipped allow-list of popular registrable domains
//! (`rust/core/data/popular-domains.txt`).
//!
//! The file holds entries (the labels) and folded country variants, lines
//! `variant -> label` (`google.at -> google.com`): a variant is reported as
//! its label, so no label says which country's site of a global brand was
//! visited (DESIGN.md P5). The set of labels, and so a label's index, is
//! the entries alone: variants add no label.
//!
//! Lookup structure: the file is compiled in packed by the build script
//! (`build/allowlist_blob.rs`: reversed, sorted, front-coded lines, 37 KB
//! instead of 64 KB in the library) and unpacked once, at first use, into
//! its lines (61 KB on the heap, for the life of the process). Its entries
//! are then collected, as `&'static str` slices into that text, into a
//! sorted boxed slice (a label is an index into it, so `as_str` is an index)
//! and a `HashMap` from entry or variant to the entry's index, with a small
//! multiplicative hasher. A lookup hashes the ~12-byte name once and compares
//! one candidate (~20 ns; the binary search this replaced took ~100 ns). Hash
//! flooding is no concern: the keys are the fixed shipped list and lookups
//! never insert. Memory for the 4,048 entries and 366 variants: the text
//! (61 KB), the slice (16 B per entry, 65 KB), the map (8,192 buckets of 24 B
//! plus control bytes, ~205 KB): ~330 KB, built once; nothing per lookup.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use std::sync::OnceLock;

/// The shipped data file, packed by the build script.
static PACKED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/allowlist.packed"));

/// The shipped data file as written (tests compare the packed one with it).
#[cfg(test)]
pub(super) const SHIPPED: &str = include_str!("../../data/popular-domains.txt");

/// The lines of the shipped data file that [`AllowList::parse`] reads,
/// unpacked on first use.
pub(super) fn shipped() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| unpack(PACKED))
}

/// Undoes `build/allowlist_blob.rs`: per line, the count of leading bytes
/// shared with the line before, the rest, `\n`; each line reversed. The input
/// is the build's own output, so a malformed one is a build defect; it still
/// cannot panic here or yield anything but ASCII.
fn unpack(packed: &[u8]) -> String {
    let mut text = String::with_capacity(packed.len() * 2);
    let mut previous: Vec<u8> = Vec::new();
    let mut rest = packed;
    while let Some((&shared, tail)) = rest.split_first() {
        let end = tail.iter().position(|&b| b == b'\n').unwrap_or(tail.len());
        previous.truncate(usize::from(shared));
        previous.extend_from_slice(&tail[..end]);
        text.extend(previous.iter().rev().map(|&b| char::from(b & 0x7f)));
        text.push('\n');
        rest = tail.get(end + 1..).unwrap_or_default();
    }
    text
}

/// Separates a folded variant from its label on a line of the data file.
const VARIANT_ARROW: &str = "->";

pub(super) struct AllowList {
    sorted: Box<[&'static str]>,
    index: HashMap<&'static str, u32, BuildHasherDefault<WordHasher>>,
}

impl AllowList {
    /// One entry, or one `variant -> label`, per line; `#` starts a comment;
    /// blank lines are ignored. Validity (lowercase, own eTLD+1, not
    /// sensitive, every label an entry) is checked by tests, not at run
    /// time: this never fails, and a variant whose label is no entry is
    /// left out (reported as `other`).
    pub(super) fn parse(text: &'static str) -> AllowList {
        let mut entries = Vec::new();
        let mut variants = Vec::new();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or_default().trim();
            match line.split_once(VARIANT_ARROW) {
                Some((variant, label)) => variants.push((variant.trim(), label.trim())),
                None if !line.is_empty() => entries.push(line),
                None => {}
            }
        }
        entries.sort_unstable();
        entries.dedup();
        let mut index: HashMap<_, _, _> = entries
            .iter()
            .enumerate()
            .filter_map(|(i, &entry)| Some((entry, u32::try_from(i).ok()?)))
            .collect();
        for (variant, label) in variants {
            if let Some(&i) = index.get(label) {
                index.entry(variant).or_insert(i);
            }
        }
        AllowList {
            sorted: entries.into_boxed_slice(),
            index,
        }
    }

    /// The index of the label `domain` is reported as: its own entry, or the
    /// label it is folded into.
    pub(super) fn index_of(&self, domain: &str) -> Option<usize> {
        self.index.get(domain).map(|&i| i as usize)
    }

    pub(super) fn get(&self, index: usize) -> Option<&'static str> {
        self.sorted.get(index).copied()
    }

    pub(super) fn entries(&self) -> &[&'static str] {
        &self.sorted
    }
}

/// FxHash-style: 8 bytes at a time, rotate-xor-multiply. Fast on short
/// keys; quality is ample for a fixed set of ~thousands of domain names.
#[derive(Default)]
pub(super) struct WordHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl WordHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_skips_comments_sorts_and_dedups() {
        let list = AllowList::parse("# header\nzeta.com\n\nalpha.org # why\nzeta.com\n");
        assert_eq!(list.entries(), ["alpha.org", "zeta.com"]);
        assert_eq!(list.index_of("zeta.com"), Some(1));
        assert_eq!(list.index_of("beta.com"), None);
        assert_eq!(list.get(0), Some("alpha.org"));
        assert_eq!(list.get(2), None);
    }

    #[test]
    fn a_variant_is_found_at_its_label_and_adds_no_label() {
        let list = AllowList::parse("b.com\nb.de -> b.com\na.org\nc.fr -> missing.com\n");
        assert_eq!(list.entries(), ["a.org", "b.com"]);
        assert_eq!(list.index_of("b.de"), Some(1));
        assert_eq!(list.get(1), Some("b.com"));
        // A variant whose label is no entry is left out, never given a label.
        assert_eq!(list.index_of("c.fr"), None);
        assert_eq!(list.index_of("missing.com"), None);
    }

    #[test]
    fn the_packed_list_is_the_shipped_file() {
        let packed = AllowList::parse(shipped());
        let file = AllowList::parse(SHIPPED);
        assert_eq!(packed.entries(), file.entries());
        let mut keys: Vec<_> = file.index.iter().map(|(&k, &i)| (k, i)).collect();
        keys.sort_unstable();
        let mut unpacked: Vec<_> = packed.index.iter().map(|(&k, &i)| (k, i)).collect();
        unpacked.sort_unstable();
        assert_eq!(unpacked, keys, "every entry and variant, at the same index");
        assert!(
            PACKED.len() < SHIPPED.len() * 2 / 3,
            "{} bytes packed",
            PACKED.len()
        );
    }

    #[test]
    fn unpack_never_panics_on_a_malformed_input() {
        assert_eq!(unpack(b""), "");
        assert_eq!(unpack(b"\x00moc.a\n\x04b\n"), "a.com\nb.com\n");
        // A count past the previous line, no final newline, bytes >= 0x80.
        assert_eq!(unpack(b"\x09ab\n\xffc\xe9"), "ba\nicba\n");
    }

    #[test]
    fn every_shipped_entry_is_found_at_its_index() {
        let list = AllowList::parse(shipped());
        assert!(list.entries().len() > 1000);
        for (i, entry) in list.entries().iter().enumerate() {
            assert_eq!(list.index_of(entry), Some(i));
            // A near miss finds nothing, or exactly the entry it names.
            for probe in [format!("{entry}x"), entry[1..].to_owned()] {
                if let Some(j) = list.index_of(&probe) {
                    assert_eq!(list.get(j), Some(probe.as_str()));
                }
            }
        }
    }
}
