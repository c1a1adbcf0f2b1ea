//! The shipped allow-list of popular registrable domains
//! (`rust/core/data/popular-domains.txt`).
//!
//! Lookup structure: the file is compiled in with `include_str!`; at first use
//! its entries are collected, as `&'static str` slices into that text, into a
//! sorted boxed slice (a label is an index into it, so `as_str` is an index)
//! and a `HashMap` from entry to index with a small multiplicative hasher.
//! A lookup hashes the ~12-byte name once and compares one candidate (~20 ns;
//! the binary search this replaced took ~100 ns). Hash flooding is no concern:
//! the keys are the fixed shipped list and lookups never insert.
//! Memory for the 5,066 entries: the text in read-only data (67 KB with its
//! header), the slice (16 B per entry, 81 KB), the map (8,192 buckets of 24 B
//! plus control bytes, ~205 KB): ~353 KB, built once; nothing per lookup.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The shipped data file.
pub(super) const SHIPPED: &str = include_str!("../../data/popular-domains.txt");

pub(super) struct AllowList {
    sorted: Box<[&'static str]>,
    index: HashMap<&'static str, u32, BuildHasherDefault<WordHasher>>,
}

impl AllowList {
    /// One entry per line; `#` starts a comment; blank lines are ignored.
    /// Validity of the entries (lowercase, own eTLD+1, not sensitive) is
    /// checked by tests, not at run time: this never fails.
    pub(super) fn parse(text: &'static str) -> AllowList {
        let mut entries: Vec<&'static str> = text
            .lines()
            .map(|line| line.split('#').next().unwrap_or_default().trim())
            .filter(|entry| !entry.is_empty())
            .collect();
        entries.sort_unstable();
        entries.dedup();
        let index = entries
            .iter()
            .enumerate()
            .filter_map(|(i, &entry)| Some((entry, u32::try_from(i).ok()?)))
            .collect();
        AllowList {
            sorted: entries.into_boxed_slice(),
            index,
        }
    }

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
    fn every_shipped_entry_is_found_at_its_index() {
        let list = AllowList::parse(SHIPPED);
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
