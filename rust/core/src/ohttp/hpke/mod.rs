//! HPKE (RFC 9180), base mode, sender side only, on ring.
//!
//! Hush only ever sends, so there is no receiver here: the collector opens with
//! an independent implementation (Mozilla's `ohttp`), which makes every
//! end-to-end test an interoperability test.

mod kdf;
mod kem;

pub(crate) use kdf::{expand, extract};
pub(crate) use kem::{Encap, X25519_LEN};

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, NONCE_LEN};

use super::suite::Suite;

/// Failures of the HPKE layer. Internal: callers see them as `SealError`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum HpkeError {
    #[error("the system random number generator failed")]
    Random,
    #[error("the recipient public key is invalid (X25519 gave an all-zero secret)")]
    InvalidPublicKey,
    #[error("this HPKE context has sealed its maximum number of messages")]
    MessageLimit,
    #[error("the requested secret is longer than HKDF can export")]
    ExportTooLong,
}

const MODE_BASE: u8 = 0x00;

/// "HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id, 2) || I2OSP(aead_id, 2).
fn hpke_suite_id(suite: Suite) -> [u8; 10] {
    let mut id = *b"HPKE\0\0\0\0\0\0";
    id[4..6].copy_from_slice(&suite.kem.id().to_be_bytes());
    id[6..8].copy_from_slice(&suite.kdf.id().to_be_bytes());
    id[8..10].copy_from_slice(&suite.aead.id().to_be_bytes());
    id
}

/// The secrets KeySchedule() derives (RFC 9180 §5.1), before they go into ring.
pub(crate) struct KeySchedule {
    pub(crate) key: Vec<u8>,
    pub(crate) base_nonce: [u8; NONCE_LEN],
    pub(crate) exporter_secret: kdf::Prk,
}

/// KeySchedule(mode_base, shared_secret, info, psk = "", psk_id = "").
pub(crate) fn key_schedule_base(suite: Suite, shared_secret: &[u8], info: &[u8]) -> KeySchedule {
    let suite_id = hpke_suite_id(suite);
    let psk_id_hash = kdf::labeled_extract(&suite_id, b"", b"psk_id_hash", b"");
    let info_hash = kdf::labeled_extract(&suite_id, b"", b"info_hash", info);
    let mut context = [0; 1 + 2 * kdf::HASH_LEN];
    context[0] = MODE_BASE;
    context[1..1 + kdf::HASH_LEN].copy_from_slice(&psk_id_hash);
    context[1 + kdf::HASH_LEN..].copy_from_slice(&info_hash);
    let secret = kdf::labeled_extract(&suite_id, shared_secret, b"secret", b"");

    // All three lengths are fixed and far below HKDF's limit: these cannot fail.
    let mut key = vec![0; suite.aead.key_len()];
    let mut base_nonce = [0; NONCE_LEN];
    let mut exporter_secret = [0; kdf::HASH_LEN];
    let results = [
        kdf::labeled_expand(&suite_id, &secret, b"key", &context, &mut key),
        kdf::labeled_expand(&suite_id, &secret, b"base_nonce", &context, &mut base_nonce),
        kdf::labeled_expand(&suite_id, &secret, b"exp", &context, &mut exporter_secret),
    ];
    debug_assert!(results.iter().all(Result::is_ok));
    KeySchedule {
        key,
        base_nonce,
        exporter_secret,
    }
}

/// A sender context: Seal with a running sequence number, and Export.
pub(crate) struct SenderContext {
    suite_id: [u8; 10],
    key: LessSafeKey,
    base_nonce: [u8; NONCE_LEN],
    seq: u64,
    exporter_secret: kdf::Prk,
}

impl SenderContext {
    /// SetupBaseS(pkR, info) given the KEM's output; returns the context whose
    /// `enc` is `encap.enc()`.
    pub(crate) fn setup_base(
        suite: Suite,
        pk_r: &[u8; X25519_LEN],
        info: &[u8],
        encap: &Encap,
    ) -> Self {
        let shared_secret = encap.shared_secret(pk_r);
        Self::from_schedule(suite, key_schedule_base(suite, &shared_secret, info))
    }

    fn from_schedule(suite: Suite, schedule: KeySchedule) -> Self {
        let key = UnboundKey::new(suite.aead.ring_algorithm(), &schedule.key)
            .expect("key length is Nk of this AEAD by construction");
        Self {
            suite_id: hpke_suite_id(suite),
            key: LessSafeKey::new(key),
            base_nonce: schedule.base_nonce,
            seq: 0,
            exporter_secret: schedule.exporter_secret,
        }
    }

    /// ComputeNonce(seq) = base_nonce XOR I2OSP(seq, Nn), then IncrementSeq.
    fn next_nonce(&mut self) -> Result<Nonce, HpkeError> {
        // RFC 9180 stops at 2^96 - 1; a u64 counter stops earlier, which is stricter.
        if self.seq == u64::MAX {
            return Err(HpkeError::MessageLimit);
        }
        let mut nonce = self.base_nonce;
        for (n, s) in nonce[NONCE_LEN - 8..]
            .iter_mut()
            .zip(self.seq.to_be_bytes())
        {
            *n ^= s;
        }
        self.seq += 1;
        Ok(Nonce::assume_unique_for_key(nonce))
    }

    /// Seal(aad, pt) in place: `in_out` becomes the ciphertext, the tag is returned.
    pub(crate) fn seal_in_place(
        &mut self,
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<[u8; TAG_LEN], HpkeError> {
        let nonce = self.next_nonce()?;
        let tag = self
            .key
            .seal_in_place_separate_tag(nonce, Aad::from(aad), in_out)
            .map_err(|_| HpkeError::MessageLimit)?;
        let mut out = [0; TAG_LEN];
        out.copy_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Seal(aad, pt) = ct || tag.
    #[cfg(test)]
    pub(crate) fn seal(&mut self, aad: &[u8], pt: &[u8]) -> Result<Vec<u8>, HpkeError> {
        let mut out = pt.to_vec();
        let tag = self.seal_in_place(aad, &mut out)?;
        out.extend_from_slice(&tag);
        Ok(out)
    }

    /// Export(exporter_context, L) = LabeledExpand(exporter_secret, "sec", exporter_context, L).
    pub(crate) fn export(&self, exporter_context: &[u8], out: &mut [u8]) -> Result<(), HpkeError> {
        kdf::labeled_expand(
            &self.suite_id,
            &self.exporter_secret,
            b"sec",
            exporter_context,
            out,
        )
        .map_err(|_| HpkeError::ExportTooLong)
    }
}

/// Single-shot base-mode encryption (RFC 9180 §6.1 SealBase): a fresh
/// ephemeral key, one message. Returns `enc` and `ct || tag`.
pub(crate) fn seal_base(
    suite: Suite,
    pk_r: &[u8; X25519_LEN],
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<([u8; X25519_LEN], Vec<u8>), HpkeError> {
    let encap = Encap::generate(pk_r, &ring::rand::SystemRandom::new())?;
    let mut ctx = SenderContext::setup_base(suite, pk_r, info, &encap);
    let mut out = Vec::with_capacity(plaintext.len() + TAG_LEN);
    out.extend_from_slice(plaintext);
    let tag = ctx.seal_in_place(aad, &mut out)?;
    out.extend_from_slice(&tag);
    Ok((*encap.enc(), out))
}

/// Nt of every AEAD Hush supports (and of every AEAD ring offers).
pub(crate) const TAG_LEN: usize = 16;

#[cfg(test)]
mod vectors;
