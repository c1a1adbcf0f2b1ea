//! Size buckets (P9): a sealed report's length says only which bucket its
//! content fell in, never how many domains or labels it holds.

/// The smallest bucket. A quiet day and a busy day both fit in it.
pub const MIN_BUCKET: usize = 1024;

/// The padded length for content of `len` bytes: a power of two, at least 1 KiB.
pub fn bucket(len: usize) -> usize {
    len.max(MIN_BUCKET).next_power_of_two()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_powers_of_two_from_1k() {
        assert_eq!(bucket(0), 1024);
        assert_eq!(bucket(1), 1024);
        assert_eq!(bucket(1024), 1024);
        assert_eq!(bucket(1025), 2048);
        assert_eq!(bucket(5000), 8192);
        for len in 0..20_000 {
            let b = bucket(len);
            assert!(b >= len && b.is_power_of_two() && b >= MIN_BUCKET);
            assert!(
                b == MIN_BUCKET || b / 2 < len,
                "not the smallest bucket for {len}"
            );
        }
    }
}
