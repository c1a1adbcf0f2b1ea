//! Registrable domain (eTLD+1) by the Public Suffix List, ICANN and private
//! sections: the pinned list compiled into a DAFSA at build time (`dafsa`).

mod dafsa;
#[cfg(test)]
mod vs_psl_crate;

/// The eTLD+1 of a name, and whether its suffix is an explicit PSL rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Registrable<'a> {
    pub domain: &'a str,
    /// False when only the PSL's implicit `*` rule applied (an unlisted TLD
    /// such as `.corp` or `.lan`: a private namespace, not the public web).
    pub listed: bool,
    /// The suffix comes from the ICANN section (`co.uk`), not the private one
    /// (`github.io`).
    pub icann: bool,
}

/// The registrable domain of `host`: lowercase ASCII (punycode), no trailing
/// dot. `None` for a public suffix itself (`co.uk`, `github.io`), a single
/// label, or a name with an empty label (`.example.com`, `a..com`).
/// Follows the PSL algorithm exactly, including its default `*` rule, so
/// `example.example` is its own registrable domain; the anonymizer then drops
/// such unlisted TLDs separately.
pub fn registrable_domain(host: &str) -> Option<&str> {
    lookup(host).map(|r| r.domain)
}

pub(super) fn lookup(host: &str) -> Option<Registrable<'_>> {
    let bytes = host.as_bytes();
    // One pass from the end: no empty label (not first, last, or between
    // two dots), and where each of the last labels starts.
    let mut starts = [0usize; 8];
    let mut dots = 0;
    let mut label_end = bytes.len();
    for i in (0..bytes.len()).rev() {
        if bytes[i] == b'.' {
            if i + 1 == label_end {
                return None;
            }
            if let Some(s) = starts.get_mut(dots) {
                *s = i + 1;
            }
            dots += 1;
            label_end = i;
        }
    }
    if label_end == 0 {
        return None;
    }
    let suffix = dafsa::suffix(bytes, &starts, dots + 1);
    // The registrable domain: the suffix's labels and one more.
    let want = suffix.labels + 1;
    let start = match want.cmp(&(dots + 1)) {
        std::cmp::Ordering::Greater => return None,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Less => match starts.get(want - 1) {
            Some(&s) => s,
            None => last_labels(bytes, want)?,
        },
    };
    Some(Registrable {
        domain: host.get(start..)?,
        listed: suffix.listed,
        icann: suffix.icann,
    })
}

/// Where the last `n` labels of `host` start, if it has that many (for
/// names deeper than the fast path keeps track of).
fn last_labels(host: &[u8], n: usize) -> Option<usize> {
    let mut dots = 0;
    for (i, &b) in host.iter().enumerate().rev() {
        if b == b'.' {
            dots += 1;
            if dots == n {
                return Some(i + 1);
            }
        }
    }
    (dots + 1 == n).then_some(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icann_private_and_unlisted() {
        let r = lookup("www.bbc.co.uk").unwrap();
        assert_eq!((r.domain, r.listed, r.icann), ("bbc.co.uk", true, true));
        let r = lookup("someone.github.io").unwrap();
        assert_eq!(
            (r.domain, r.listed, r.icann),
            ("someone.github.io", true, false)
        );
        let r = lookup("nas.home.lan").unwrap();
        assert_eq!((r.domain, r.listed), ("home.lan", false));
        assert_eq!(lookup("co.uk"), None);
        assert_eq!(lookup("github.io"), None);
        assert_eq!(lookup("a..example.com"), None);
    }
}
