//! DAP's report-id checksum (§4.5.2, as Janus computes it): the XOR of the
//! SHA-256 of every report id in a batch. Leader and helper compare theirs
//! before the helper releases its aggregate share, so they provably
//! aggregated the same reports.

use ring::digest::{digest, SHA256};

pub type Checksum = [u8; 32];

pub fn of_report(report_id: &[u8; 16]) -> Checksum {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, report_id).as_ref());
    out
}

pub fn combine(a: &Checksum, b: &Checksum) -> Checksum {
    std::array::from_fn(|i| a[i] ^ b[i])
}

pub fn of_reports<'a>(ids: impl IntoIterator<Item = &'a [u8; 16]>) -> Checksum {
    ids.into_iter()
        .fold([0u8; 32], |acc, id| combine(&acc, &of_report(id)))
}

/// A checksum read back from a store (32 bytes, else zero: a corrupt value
/// then mismatches the peer's and the batch is refused, never miscounted).
pub fn from_slice(bytes: &[u8]) -> Checksum {
    bytes.try_into().unwrap_or([0; 32])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_free_and_self_inverse() {
        let (a, b, c) = ([1u8; 16], [2u8; 16], [3u8; 16]);
        assert_eq!(of_reports([&a, &b, &c]), of_reports([&c, &a, &b]));
        assert_eq!(
            combine(&of_reports([&a, &b]), &of_report(&b)),
            of_report(&a)
        );
        assert_ne!(of_reports([&a]), of_reports([&b]));
    }
}
