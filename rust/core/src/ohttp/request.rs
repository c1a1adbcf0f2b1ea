//! Request encapsulation (RFC 9458 §4.3, §4.6).

use ring::rand::SystemRandom;
use thiserror::Error;

use super::hpke::{Encap, HpkeError, SenderContext, TAG_LEN, X25519_LEN};
use super::key_config::{KeyConfig, KeyConfigs};
use super::response::{ResponseOpener, RESPONSE_LABEL};
use super::suite::Suite;

/// Why a request could not be sealed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SealError {
    #[error("the system random number generator failed")]
    Random,
    #[error("the gateway public key is invalid (X25519 gave an all-zero secret)")]
    InvalidPublicKey,
    #[error("HPKE failed: {0}")]
    Hpke(&'static str),
}

impl From<HpkeError> for SealError {
    fn from(e: HpkeError) -> Self {
        match e {
            HpkeError::Random => Self::Random,
            HpkeError::InvalidPublicKey => Self::InvalidPublicKey,
            HpkeError::MessageLimit => Self::Hpke("message limit"),
            HpkeError::ExportTooLong => Self::Hpke("export too long"),
        }
    }
}

/// An encapsulated request and what is needed later to open its response.
#[derive(Debug)]
pub struct Encapsulated {
    /// `message/ohttp-req`: hdr || enc || ct.
    pub request: Vec<u8>,
    pub opener: ResponseOpener,
}

const REQUEST_LABEL: &[u8] = b"message/bhttp request";
/// key_id (1) + kem_id (2) + kdf_id (2) + aead_id (2).
const HEADER_LEN: usize = 7;

/// The length of the encapsulated request for a Binary HTTP message of
/// `bhttp_len` bytes: fixed overhead, so padding the message pads the request.
pub const fn encapsulated_len(bhttp_len: usize) -> usize {
    HEADER_LEN + X25519_LEN + bhttp_len + TAG_LEN
}

/// Seal `bhttp_request` (a Binary HTTP message) to the current key of `keys`
/// with its preferred suite.
pub fn encapsulate(keys: &KeyConfigs, bhttp_request: &[u8]) -> Result<Encapsulated, SealError> {
    encapsulate_to(keys.current(), bhttp_request)
}

/// Seal to one chosen configuration (e.g. found with [`KeyConfigs::by_key_id`]).
pub fn encapsulate_to(config: &KeyConfig, bhttp_request: &[u8]) -> Result<Encapsulated, SealError> {
    let encap = Encap::generate(config.public_key(), &SystemRandom::new())?;
    encapsulate_with(config, bhttp_request, &encap)
}

/// The deterministic part, shared by production and the RFC 9458 vector test.
pub(crate) fn encapsulate_with(
    config: &KeyConfig,
    bhttp_request: &[u8],
    encap: &Encap,
) -> Result<Encapsulated, SealError> {
    let symmetric = config.preferred_suite();
    let suite = Suite {
        kem: config.kem(),
        kdf: symmetric.kdf,
        aead: symmetric.aead,
    };
    let mut header = [0; HEADER_LEN];
    header[0] = config.key_id();
    header[1..3].copy_from_slice(&suite.kem.id().to_be_bytes());
    header[3..5].copy_from_slice(&suite.kdf.id().to_be_bytes());
    header[5..7].copy_from_slice(&suite.aead.id().to_be_bytes());

    // info = "message/bhttp request" || 0x00 || hdr
    let mut info = Vec::with_capacity(REQUEST_LABEL.len() + 1 + HEADER_LEN);
    info.extend_from_slice(REQUEST_LABEL);
    info.push(0);
    info.extend_from_slice(&header);

    let mut ctx = SenderContext::setup_base(suite, config.public_key(), &info, encap);

    let mut request = Vec::with_capacity(encapsulated_len(bhttp_request.len()));
    request.extend_from_slice(&header);
    request.extend_from_slice(encap.enc());
    request.extend_from_slice(bhttp_request);
    let tag = ctx.seal_in_place(b"", &mut request[HEADER_LEN + X25519_LEN..])?;
    request.extend_from_slice(&tag);

    let mut secret = [0; ResponseOpener::MAX_SECRET_LEN];
    let secret = &mut secret[..suite.aead.response_secret_len()];
    ctx.export(RESPONSE_LABEL, secret)?;
    let opener = ResponseOpener::new(suite.aead, *encap.enc(), secret);
    Ok(Encapsulated { request, opener })
}
