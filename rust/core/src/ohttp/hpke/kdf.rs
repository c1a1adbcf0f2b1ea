//! HKDF-SHA256 on ring: raw Extract/Expand (RFC 5869) and HPKE's labeled forms
//! (RFC 9180 §4).

use ring::{hkdf, hmac};

/// Nh for HKDF-SHA256.
pub(crate) const HASH_LEN: usize = 32;

/// A pseudorandom key as raw bytes.
pub(crate) type Prk = [u8; HASH_LEN];

const HPKE_VERSION: &[u8] = b"HPKE-v1";

/// Asked for more output than HKDF-Expand (255 * Nh) or a 2-byte length can give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OutputTooLong;

/// HKDF-Extract with the PRK as bytes: HMAC-SHA256 keyed by the salt. ring's
/// `hkdf::Salt::extract` keeps the PRK opaque, but HPKE feeds it to further
/// labeled steps and OHTTP derives response keys from it. An empty salt equals
/// RFC 5869's default of Nh zero bytes, because HMAC zero-pads its key.
pub(crate) fn extract(salt: &[u8], ikm: &[&[u8]]) -> Prk {
    let key = hmac::Key::new(hmac::HMAC_SHA256, salt);
    let mut ctx = hmac::Context::with_key(&key);
    for part in ikm {
        ctx.update(part);
    }
    let mut prk = [0; HASH_LEN];
    prk.copy_from_slice(ctx.sign().as_ref());
    prk
}

/// HKDF-Expand into `out`; `info` is the concatenation of its parts.
pub(crate) fn expand(prk: &[u8], info: &[&[u8]], out: &mut [u8]) -> Result<(), OutputTooLong> {
    struct Len(usize);
    impl hkdf::KeyType for Len {
        fn len(&self) -> usize {
            self.0
        }
    }
    let prk = hkdf::Prk::new_less_safe(hkdf::HKDF_SHA256, prk);
    prk.expand(info, Len(out.len()))
        .and_then(|okm| okm.fill(out))
        .map_err(|_| OutputTooLong)
}

/// LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1" || suite_id || label || ikm).
pub(crate) fn labeled_extract(suite_id: &[u8], salt: &[u8], label: &[u8], ikm: &[u8]) -> Prk {
    extract(salt, &[HPKE_VERSION, suite_id, label, ikm])
}

/// LabeledExpand(prk, label, info, L) =
/// Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L).
pub(crate) fn labeled_expand(
    suite_id: &[u8],
    prk: &[u8],
    label: &[u8],
    info: &[u8],
    out: &mut [u8],
) -> Result<(), OutputTooLong> {
    let len = u16::try_from(out.len())
        .map_err(|_| OutputTooLong)?
        .to_be_bytes();
    expand(prk, &[&len, HPKE_VERSION, suite_id, label, info], out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    // RFC 5869 Appendix A.1 (Test Case 1): checks the raw Extract/Expand pair
    // that everything else is built on.
    #[test]
    fn rfc5869_test_case_1() {
        let ikm = unhex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        let salt = unhex("000102030405060708090a0b0c");
        let info = unhex("f0f1f2f3f4f5f6f7f8f9");
        let prk = extract(&salt, &[&ikm[..5], &ikm[5..]]);
        assert_eq!(
            prk.to_vec(),
            unhex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5")
        );
        let mut okm = [0; 42];
        expand(&prk, &[&info[..3], &info[3..]], &mut okm).unwrap();
        assert_eq!(
            okm.to_vec(),
            unhex(
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
            )
        );
    }

    #[test]
    fn expand_refuses_more_than_255_blocks() {
        let mut out = vec![0; 255 * HASH_LEN + 1];
        assert_eq!(expand(&[0; 32], &[], &mut out), Err(OutputTooLong));
        let mut out = vec![0; 255 * HASH_LEN];
        assert_eq!(expand(&[0; 32], &[], &mut out), Ok(()));
    }
}
