//! Randomness from the OS, through ring.

use ring::rand::{SecureRandom, SystemRandom};

/// Fills `buf` with OS randomness. The OS source failing (getrandom refusing on
/// Linux >= 3.17 / Android) leaves no safe way to name a report, so it panics;
/// the JNI edge turns that into a Java exception.
pub fn fill(buf: &mut [u8]) {
    SystemRandom::new()
        .fill(buf)
        .expect("the OS random source failed");
}

/// A uniform value in `0..bound` (0 when `bound` is 0).
pub fn below(bound: u64) -> u64 {
    if bound == 0 {
        return 0;
    }
    // Rejection sampling: no modulo bias.
    let zone = u64::MAX - (u64::MAX % bound);
    loop {
        let mut b = [0u8; 8];
        fill(&mut b);
        let v = u64::from_le_bytes(b);
        if v < zone {
            return v % bound;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_stays_in_range_and_covers_it() {
        assert_eq!(below(0), 0);
        assert_eq!(below(1), 0);
        let mut seen = [false; 7];
        for _ in 0..2000 {
            let v = below(7);
            assert!(v < 7);
            seen[v as usize] = true;
        }
        assert!(seen.iter().all(|s| *s));
    }
}
