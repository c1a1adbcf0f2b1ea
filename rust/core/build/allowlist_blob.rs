//! Build-time packing of the allow-list (`data/popular-domains.txt`) that
//! `src/anonymize/allowlist.rs` unpacks once, at first use: 61 KB of lines
//! in 37 KB of `.rodata`.
//!
//! The lines that `AllowList::parse` reads (comments and blank lines gone,
//! each trimmed) are reversed character by character (`google.com` ->
//! `moc.elgoog`), so that lines of one public suffix sort together, sorted,
//! deduplicated and front-coded: per line, one byte of how many leading
//! bytes it shares with the line before (at most 255), then the rest of it,
//! then `\n`. Lines are ASCII without control characters, or this panics.

/// The packed form of the allow-list file `text`.
pub fn pack(text: &str) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = text
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|line| !line.is_empty())
        .map(|line| {
            assert!(
                line.bytes().all(|b| (0x20..0x7f).contains(&b)),
                "allow-list line {line:?} is not printable ASCII"
            );
            line.bytes().rev().collect()
        })
        .collect();
    lines.sort_unstable();
    lines.dedup();
    // The first `variant -> label` line of a variant wins at run time, and
    // packing reorders lines: so a variant may have one label only.
    let mut variants: Vec<String> = lines
        .iter()
        .filter_map(|reversed| {
            let line: String = reversed.iter().rev().map(|&b| char::from(b)).collect();
            let (variant, _) = line.split_once("->")?;
            Some(variant.trim().to_owned())
        })
        .collect();
    variants.sort_unstable();
    if let Some(w) = variants.windows(2).find(|w| w[0] == w[1]) {
        panic!("allow-list variant {} has two labels", w[0]);
    }
    let mut out = Vec::new();
    let mut previous: &[u8] = &[];
    for line in &lines {
        let shared = previous
            .iter()
            .zip(line)
            .take(255)
            .take_while(|(a, b)| a == b)
            .count();
        out.push(shared as u8);
        out.extend_from_slice(&line[shared..]);
        out.push(b'\n');
        previous = line;
    }
    out
}
