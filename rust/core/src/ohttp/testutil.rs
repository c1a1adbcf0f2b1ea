//! Helpers shared by this module's unit tests.

pub(crate) fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

pub(crate) fn array32(b: &[u8]) -> [u8; 32] {
    b.try_into().expect("32 bytes")
}
