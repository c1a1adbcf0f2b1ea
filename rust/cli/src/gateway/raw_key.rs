//! The gateway's second implementation, for a key directory without
//! `gateway.seed`: RFC 9458 request decapsulation (§4.3, §4.6) and response
//! encapsulation (§4.4) written out on rust-hpke (the HPKE library `ohttp`
//! itself uses underneath) and RustCrypto's HKDF, AES-GCM and
//! ChaCha20-Poly1305, from the raw X25519 secret in `gateway.key`. Mozilla's
//! `ohttp` 0.8 cannot load a raw secret (only derive one from a seed), so
//! this is what opens requests for keys made elsewhere, such as the RFC 9458
//! Appendix A key.
//!
//! No cryptography here is shared with the ring client in `hush-core` (only
//! ring's system random generator, for the response nonce): both sides are
//! written from the RFC, and the tests check one against the other.

use hkdf::Hkdf;
use hpke::aead::{AesGcm128, ChaCha20Poly1305};
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable as _, OpModeR};
use sha2::Sha256;

use super::GatewayError;

/// key_id (1) + kem_id (2) + kdf_id (2) + aead_id (2).
const HEADER_LEN: usize = 7;
/// Nenc of DHKEM(X25519, HKDF-SHA256).
const ENC_LEN: usize = 32;
const KEM_X25519_HKDF_SHA256: u16 = 0x0020;
const KDF_HKDF_SHA256: u16 = 0x0001;
const REQUEST_LABEL: &[u8] = b"message/bhttp request";
const RESPONSE_LABEL: &[u8] = b"message/bhttp response";
/// Nn of both AEADs.
const NONCE_LEN: usize = 12;
/// The largest max(Nn, Nk).
const MAX_SECRET_LEN: usize = 32;

type Kem = X25519HkdfSha256;
type PrivateKey = <Kem as hpke::Kem>::PrivateKey;
type EncappedKey = <Kem as hpke::Kem>::EncappedKey;

/// The AEADs this implementation opens: the two every generated key offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Aead {
    Aes128Gcm,
    ChaCha20Poly1305,
}

impl Aead {
    pub(super) const fn from_id(id: u16) -> Option<Self> {
        match id {
            0x0001 => Some(Self::Aes128Gcm),
            0x0003 => Some(Self::ChaCha20Poly1305),
            _ => None,
        }
    }

    /// Nk.
    const fn key_len(self) -> usize {
        match self {
            Self::Aes128Gcm => 16,
            Self::ChaCha20Poly1305 => 32,
        }
    }

    /// max(Nn, Nk): the exported secret and the response nonce (§4.4).
    const fn secret_len(self) -> usize {
        if self.key_len() > NONCE_LEN {
            self.key_len()
        } else {
            NONCE_LEN
        }
    }
}

/// Opens requests sealed to one X25519 key.
pub(super) struct RawKeyServer {
    secret: PrivateKey,
    /// What the published configuration offers (with HKDF-SHA256) and this
    /// implementation supports; never empty.
    aeads: Vec<Aead>,
}

impl RawKeyServer {
    /// `None` when `aeads` is empty: no request could ever be opened.
    pub(super) fn new(secret: &[u8; 32], aeads: Vec<Aead>) -> Option<Self> {
        if aeads.is_empty() {
            return None;
        }
        // 32 bytes always deserialize (the scalar is clamped); the caller has
        // checked that X25519 of it is the published public key.
        let secret = PrivateKey::from_bytes(secret).ok()?;
        Some(Self { secret, aeads })
    }

    /// `hdr || enc || ct` → the Binary HTTP request, and what seals the answer.
    /// The caller has checked the key id.
    pub(super) fn decapsulate(
        &self,
        encapsulated: &[u8],
    ) -> Result<(Vec<u8>, RawKeyResponse), GatewayError> {
        if encapsulated.len() <= HEADER_LEN {
            return Err(GatewayError::Truncated);
        }
        let (header, rest) = encapsulated.split_at(HEADER_LEN);
        let id = |at: usize| u16::from_be_bytes([header[at], header[at + 1]]);
        let aead = Aead::from_id(id(5)).filter(|a| self.aeads.contains(a));
        let aead = match aead {
            Some(aead) if id(1) == KEM_X25519_HKDF_SHA256 && id(3) == KDF_HKDF_SHA256 => aead,
            _ => return Err(GatewayError::Open("unsupported or malformed header")),
        };
        if rest.len() < ENC_LEN {
            return Err(GatewayError::Truncated);
        }
        let (enc, ct) = rest.split_at(ENC_LEN);
        // info = "message/bhttp request" || 0x00 || hdr
        let info = [REQUEST_LABEL, &[0], header].concat();
        let encapped = EncappedKey::from_bytes(enc).map_err(|_| GatewayError::Decrypt)?;

        let mut secret = [0; MAX_SECRET_LEN];
        let exported = &mut secret[..aead.secret_len()];
        let request = match aead {
            Aead::Aes128Gcm => open::<AesGcm128>(&self.secret, &encapped, &info, ct, exported),
            Aead::ChaCha20Poly1305 => {
                open::<ChaCha20Poly1305>(&self.secret, &encapped, &info, ct, exported)
            }
        }
        .map_err(|_| GatewayError::Decrypt)?;
        let mut enc_bytes = [0; ENC_LEN];
        enc_bytes.copy_from_slice(enc);
        Ok((
            request,
            RawKeyResponse {
                aead,
                enc: enc_bytes,
                secret,
            },
        ))
    }
}

/// Base-mode SetupR, Open with empty aad, then the response secret:
/// `Export("message/bhttp response", max(Nn, Nk))`.
fn open<A: hpke::aead::Aead>(
    secret: &PrivateKey,
    enc: &EncappedKey,
    info: &[u8],
    ct: &[u8],
    exported: &mut [u8],
) -> Result<Vec<u8>, hpke::HpkeError> {
    let mut context =
        hpke::setup_receiver::<A, HkdfSha256, Kem>(&OpModeR::Base, secret, enc, info)?;
    let request = context.open(ct, b"")?;
    context.export(RESPONSE_LABEL, exported)?;
    Ok(request)
}

/// Seals the answer to one request (RFC 9458 §4.4).
pub(super) struct RawKeyResponse {
    aead: Aead,
    enc: [u8; ENC_LEN],
    /// The exported secret; only the first `aead.secret_len()` bytes are used.
    secret: [u8; MAX_SECRET_LEN],
}

impl RawKeyResponse {
    /// `response_nonce || ct`, with a fresh random `response_nonce`.
    pub(super) fn encapsulate(self, response: &[u8]) -> Result<Vec<u8>, GatewayError> {
        use ring::rand::SecureRandom as _;
        let mut nonce = [0; MAX_SECRET_LEN];
        let nonce = &mut nonce[..self.aead.secret_len()];
        ring::rand::SystemRandom::new()
            .fill(nonce)
            .map_err(|_| GatewayError::Random)?;
        self.encapsulate_with_nonce(nonce, response)
    }

    /// salt = enc || response_nonce; prk = Extract(salt, secret);
    /// key = Expand(prk, "key", Nk); nonce = Expand(prk, "nonce", Nn);
    /// output response_nonce || Seal(key, nonce, "", response).
    fn encapsulate_with_nonce(
        &self,
        response_nonce: &[u8],
        response: &[u8],
    ) -> Result<Vec<u8>, GatewayError> {
        debug_assert_eq!(response_nonce.len(), self.aead.secret_len());
        let salt = [&self.enc[..], response_nonce].concat();
        let (_, hkdf) =
            Hkdf::<Sha256>::extract(Some(&salt), &self.secret[..self.aead.secret_len()]);
        let mut key = [0; 32];
        let key = &mut key[..self.aead.key_len()];
        let mut nonce = [0; NONCE_LEN];
        hkdf.expand(b"key", key)
            .and_then(|()| hkdf.expand(b"nonce", &mut nonce))
            .map_err(|_| GatewayError::Seal("HKDF-Expand"))?;
        let ct = match self.aead {
            Aead::Aes128Gcm => seal::<aes_gcm::Aes128Gcm>(key, &nonce, response),
            Aead::ChaCha20Poly1305 => {
                seal::<chacha20poly1305::ChaCha20Poly1305>(key, &nonce, response)
            }
        }?;
        Ok([response_nonce, &ct].concat())
    }
}

fn seal<C>(key: &[u8], nonce: &[u8; NONCE_LEN], plaintext: &[u8]) -> Result<Vec<u8>, GatewayError>
where
    C: aes_gcm::aead::Aead + aes_gcm::aead::KeyInit,
{
    let nonce = aes_gcm::aead::Nonce::<C>::try_from(&nonce[..])
        .map_err(|_| GatewayError::Seal("nonce length"))?;
    C::new_from_slice(key)
        .map_err(|_| GatewayError::Seal("key length"))?
        .encrypt(&nonce, plaintext)
        .map_err(|_| GatewayError::Seal("AEAD"))
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

    /// One value of RFC 9458 Appendix A, from hush-core's test data file.
    fn rfc(name: &str) -> Vec<u8> {
        let data = include_str!("../../../core/tests/data/rfc9458-appendix-a.txt");
        let line = data.lines().find(|l| l.starts_with(&format!("{name} = ")));
        unhex(&line.expect(name)[name.len() + 3..])
    }

    fn appendix_server() -> RawKeyServer {
        let sk: [u8; 32] = rfc("sk_r").try_into().unwrap();
        assert_eq!(
            x25519_dalek::x25519(sk, x25519_dalek::X25519_BASEPOINT_BYTES).to_vec(),
            rfc("pk_r")
        );
        RawKeyServer::new(&sk, vec![Aead::Aes128Gcm, Aead::ChaCha20Poly1305]).unwrap()
    }

    #[test]
    fn rfc9458_appendix_a_request_secret_and_response() {
        let (request, response) = appendix_server()
            .decapsulate(&rfc("encapsulated_request"))
            .unwrap();
        assert_eq!(request, rfc("request"));
        assert_eq!(response.aead, Aead::Aes128Gcm);
        assert_eq!(response.enc[..], rfc("encapsulated_request")[7..39]);
        assert_eq!(response.secret[..16], rfc("exported_secret")[..]);
        assert_eq!(response.secret[16..], [0; 16]);
        // The appendix's response nonce is the first Nk = 16 bytes.
        let expected = rfc("encapsulated_response");
        let sealed = response
            .encapsulate_with_nonce(&expected[..16], &rfc("response"))
            .unwrap();
        assert_eq!(sealed, expected);
    }

    #[test]
    fn only_offered_suites_open() {
        let sk: [u8; 32] = rfc("sk_r").try_into().unwrap();
        assert!(RawKeyServer::new(&sk, Vec::new()).is_none());
        let chacha_only = RawKeyServer::new(&sk, vec![Aead::ChaCha20Poly1305]).unwrap();
        assert!(matches!(
            chacha_only.decapsulate(&rfc("encapsulated_request")),
            Err(GatewayError::Open(_))
        ));
    }

    #[test]
    fn header_truncation_and_tampering_are_refused() {
        let server = appendix_server();
        let request = rfc("encapsulated_request");
        for len in [0, 1, 7, 8, 38] {
            assert!(
                matches!(
                    server.decapsulate(&request[..len]),
                    Err(GatewayError::Truncated)
                ),
                "{len}"
            );
        }
        // KEM, KDF and AEAD ids.
        for pos in [2, 4, 6] {
            let mut bad = request.clone();
            bad[pos] ^= 0x04;
            assert!(
                matches!(server.decapsulate(&bad), Err(GatewayError::Open(_))),
                "{pos}"
            );
        }
        // The AEAD id still names an offered suite, but not the one sealed with.
        let mut other_aead = request.clone();
        other_aead[6] = 0x03;
        // enc, ciphertext and tag; and every cut inside the ciphertext.
        let mut refused = vec![other_aead];
        for pos in [7, 20, 38, 39, 50, request.len() - 1] {
            let mut bad = request.clone();
            bad[pos] ^= 0x01;
            refused.push(bad);
        }
        for cut in 39..request.len() {
            refused.push(request[..cut].to_vec());
        }
        for bad in refused {
            assert!(
                matches!(server.decapsulate(&bad), Err(GatewayError::Decrypt)),
                "{bad:02x?}"
            );
        }
    }
}
