//! Response decapsulation (RFC 9458 §4.4), and the persistable [`ResponseOpener`].

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, NONCE_LEN};
use thiserror::Error;

use super::hpke::{expand, extract, TAG_LEN, X25519_LEN};
use super::suite::Aead;

pub(crate) const RESPONSE_LABEL: &[u8] = b"message/bhttp response";

/// Why a response (or a stored opener) could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OpenError {
    #[error("stored response opener is {found} bytes, expected {expected}")]
    OpenerLength { expected: usize, found: usize },
    #[error("stored response opener has unknown format version {0}")]
    OpenerVersion(u8),
    #[error("stored response opener names unsupported AEAD 0x{0:04x}")]
    OpenerAead(u16),
    #[error("stored response opener is corrupt (non-zero padding)")]
    OpenerPadding,
    #[error("encapsulated response is truncated: {found} bytes, at least {needed} needed")]
    Truncated { needed: usize, found: usize },
    #[error("encapsulated response failed authentication (tampered, or not for this request)")]
    Authentication,
}

/// Format version of [`ResponseOpener::to_bytes`].
const OPENER_VERSION: u8 = 1;

/// Length of [`ResponseOpener::to_bytes`] for every suite: version (1) +
/// AEAD id (2) + enc (32) + response secret zero-padded to 32. Fixed so that
/// the size of a pending file depends only on the report's padding bucket (P9).
pub const OPENER_LEN: usize = 1 + 2 + X25519_LEN + ResponseOpener::MAX_SECRET_LEN;

/// What the client keeps to open the gateway's answer to one request: the
/// AEAD, the request's `enc`, and the secret exported from its HPKE context
/// with the label "message/bhttp response".
///
/// Safe to store next to the ciphertext: it cannot decrypt the request. The
/// request key and nonce come from the HPKE key schedule; the exported secret
/// is a one-way HKDF-Expand output of the separate `exporter_secret`, and
/// `enc` is public (it is on the wire). Recovering the request would need the
/// gateway's private key or the ephemeral one, and ring destroyed the latter
/// when sealing finished.
#[derive(Clone, PartialEq, Eq)]
pub struct ResponseOpener {
    aead: Aead,
    enc: [u8; X25519_LEN],
    /// Only the first `aead.response_secret_len()` bytes are used; the rest is zero.
    secret: [u8; Self::MAX_SECRET_LEN],
}

impl std::fmt::Debug for ResponseOpener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret opens the response: keep it out of logs (P11).
        f.debug_struct("ResponseOpener")
            .field("aead", &self.aead)
            .finish_non_exhaustive()
    }
}

impl ResponseOpener {
    /// max(Nn, Nk) over the supported AEADs.
    pub(crate) const MAX_SECRET_LEN: usize = 32;

    pub(crate) fn new(aead: Aead, enc: [u8; X25519_LEN], secret: &[u8]) -> Self {
        let mut padded = [0; Self::MAX_SECRET_LEN];
        padded[..secret.len()].copy_from_slice(secret);
        Self {
            aead,
            enc,
            secret: padded,
        }
    }

    pub fn aead(&self) -> Aead {
        self.aead
    }

    /// Exactly [`OPENER_LEN`] bytes, whatever the suite.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(OPENER_LEN);
        out.push(OPENER_VERSION);
        out.extend_from_slice(&self.aead.id().to_be_bytes());
        out.extend_from_slice(&self.enc);
        out.extend_from_slice(&self.secret);
        out
    }

    pub fn from_bytes(b: &[u8]) -> Result<Self, OpenError> {
        let b: &[u8; OPENER_LEN] = b.try_into().map_err(|_| OpenError::OpenerLength {
            expected: OPENER_LEN,
            found: b.len(),
        })?;
        if b[0] != OPENER_VERSION {
            return Err(OpenError::OpenerVersion(b[0]));
        }
        let aead_id = u16::from_be_bytes([b[1], b[2]]);
        let aead = Aead::from_id(aead_id).ok_or(OpenError::OpenerAead(aead_id))?;
        let mut enc = [0; X25519_LEN];
        enc.copy_from_slice(&b[3..3 + X25519_LEN]);
        let mut secret = [0; Self::MAX_SECRET_LEN];
        secret.copy_from_slice(&b[3 + X25519_LEN..]);
        if secret[aead.response_secret_len()..].iter().any(|&x| x != 0) {
            return Err(OpenError::OpenerPadding);
        }
        Ok(Self { aead, enc, secret })
    }

    /// Open `response_nonce || ct` into the Binary HTTP response.
    pub fn open(&self, encapsulated_response: &[u8]) -> Result<Vec<u8>, OpenError> {
        let nonce_len = self.aead.response_secret_len();
        let needed = nonce_len + TAG_LEN;
        if encapsulated_response.len() < needed {
            return Err(OpenError::Truncated {
                needed,
                found: encapsulated_response.len(),
            });
        }
        let (response_nonce, ct) = encapsulated_response.split_at(nonce_len);
        let (key, nonce) = self.response_key(response_nonce);
        let mut buf = ct.to_vec();
        let len = key
            .open_in_place(nonce, Aad::empty(), &mut buf)
            .map_err(|_| OpenError::Authentication)?
            .len();
        buf.truncate(len);
        Ok(buf)
    }

    /// prk = Extract(enc || response_nonce, secret);
    /// key = Expand(prk, "key", Nk); nonce = Expand(prk, "nonce", Nn).
    fn response_key(&self, response_nonce: &[u8]) -> (LessSafeKey, Nonce) {
        let secret = &self.secret[..self.aead.response_secret_len()];
        let prk = extract(&[&self.enc[..], response_nonce].concat(), &[secret]);
        let mut key = [0; 32];
        let key = &mut key[..self.aead.key_len()];
        let mut nonce = [0; NONCE_LEN];
        // Lengths are Nk and Nn, far below HKDF's limit: these cannot fail.
        let results = [
            expand(&prk, &[b"key"], key),
            expand(&prk, &[b"nonce"], &mut nonce),
        ];
        debug_assert!(results.iter().all(Result::is_ok));
        let key = UnboundKey::new(self.aead.ring_algorithm(), key)
            .expect("key length is Nk of this AEAD by construction");
        (LessSafeKey::new(key), Nonce::assume_unique_for_key(nonce))
    }
}
