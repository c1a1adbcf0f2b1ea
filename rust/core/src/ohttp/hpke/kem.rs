//! DHKEM(X25519, HKDF-SHA256), sender side (RFC 9180 §4.1).

use ring::{agreement, rand::SecureRandom};

use super::{kdf, HpkeError};

/// Nenc = Npk = Ndh = Nsecret for this KEM.
pub(crate) const X25519_LEN: usize = 32;

/// suite_id for the KEM's own labeled steps: "KEM" || I2OSP(0x0020, 2).
const KEM_SUITE_ID: &[u8] = b"KEM\x00\x20";

/// The result of one encapsulation: `enc` for the wire, `dh` for the key schedule.
///
/// The only production constructor is [`Encap::generate`], which takes its
/// ephemeral key from ring and lets ring destroy it; a fixed ephemeral key (as in
/// the RFC vectors) can only be injected by test code.
pub(crate) struct Encap {
    enc: [u8; X25519_LEN],
    dh: [u8; X25519_LEN],
}

impl Encap {
    /// Encap(pkR) with a fresh ephemeral key from ring.
    pub(crate) fn generate(
        pk_r: &[u8; X25519_LEN],
        rng: &dyn SecureRandom,
    ) -> Result<Self, HpkeError> {
        let sk_e = agreement::EphemeralPrivateKey::generate(&agreement::X25519, rng)
            .map_err(|_| HpkeError::Random)?;
        let pk_e = sk_e.compute_public_key().map_err(|_| HpkeError::Random)?;
        let mut enc = [0; X25519_LEN];
        enc.copy_from_slice(pk_e.as_ref());
        let peer = agreement::UnparsedPublicKey::new(&agreement::X25519, pk_r);
        // ring fails on an all-zero result (a small-order pkR), which RFC 9180
        // §7.1.4 requires senders to reject.
        let dh = agreement::agree_ephemeral(sk_e, &peer, |dh| {
            let mut out = [0; X25519_LEN];
            out.copy_from_slice(dh);
            out
        })
        .map_err(|_| HpkeError::InvalidPublicKey)?;
        Ok(Self { enc, dh })
    }

    /// An encapsulation computed elsewhere (RFC vectors with a fixed skE).
    #[cfg(test)]
    pub(crate) fn from_parts(enc: [u8; X25519_LEN], dh: [u8; X25519_LEN]) -> Self {
        Self { enc, dh }
    }

    pub(crate) fn enc(&self) -> &[u8; X25519_LEN] {
        &self.enc
    }

    /// ExtractAndExpand(dh, kem_context = enc || pkR).
    pub(crate) fn shared_secret(&self, pk_r: &[u8; X25519_LEN]) -> [u8; X25519_LEN] {
        let eae_prk = kdf::labeled_extract(KEM_SUITE_ID, b"", b"eae_prk", &self.dh);
        let mut kem_context = [0; 2 * X25519_LEN];
        kem_context[..X25519_LEN].copy_from_slice(&self.enc);
        kem_context[X25519_LEN..].copy_from_slice(pk_r);
        let mut shared_secret = [0; X25519_LEN];
        // 32 bytes is far below HKDF's limit, so this cannot fail.
        let expanded = kdf::labeled_expand(
            KEM_SUITE_ID,
            &eae_prk,
            b"shared_secret",
            &kem_context,
            &mut shared_secret,
        );
        debug_assert!(expanded.is_ok());
        shared_secret
    }
}
