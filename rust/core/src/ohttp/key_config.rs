//! OHTTP key configurations (RFC 9458 §3) and the `application/ohttp-keys` list.
//!
//! A parsed [`KeyConfig`] holds only what Hush can use: a known KEM, a public
//! key of the right length, and at least one supported symmetric suite, so the
//! sealing code never has to re-check.

use thiserror::Error;

use super::hpke::X25519_LEN;
use super::suite::{Aead, Kdf, Kem, SuiteIds, SymmetricSuite};

/// Why a key configuration (or a list of them) was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyConfigError {
    #[error("the key configuration list is empty")]
    Empty,
    #[error("key configuration truncated: {what} needs {missing} more byte(s)")]
    Truncated { what: &'static str, missing: usize },
    #[error("{0} unexpected byte(s) after the end of the key configuration")]
    TrailingBytes(usize),
    #[error("unsupported KEM 0x{0:04x} (Hush supports DHKEM(X25519, HKDF-SHA256), 0x0020)")]
    UnknownKem(u16),
    #[error("the public key is {found} bytes long; DHKEM(X25519, HKDF-SHA256) needs {expected}")]
    PublicKeyLength { expected: usize, found: usize },
    #[error("symmetric algorithms length {0} is not a non-zero multiple of 4")]
    SuitesLength(u16),
    #[error(
        "no supported symmetric suite (Hush needs HKDF-SHA256 with AES-128-GCM, \
         ChaCha20-Poly1305 or AES-256-GCM); the configuration offers {}",
        list_suites(.0)
    )]
    NoSupportedSuite(Vec<SuiteIds>),
    #[error("too many symmetric suites ({0}) for one key configuration")]
    TooManySuites(usize),
    #[error("key configuration #{index} in the list: {source}")]
    InList {
        index: usize,
        #[source]
        source: Box<KeyConfigError>,
    },
}

fn list_suites(suites: &[SuiteIds]) -> String {
    if suites.is_empty() {
        return "none".into();
    }
    suites
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Key id (1) + KEM id (2) + public key + suites length (2).
const FIXED_LEN: usize = 1 + 2 + X25519_LEN + 2;
/// The largest suite count whose config still fits a 2-byte list length prefix.
const MAX_SUITES: usize = (u16::MAX as usize - FIXED_LEN) / 4;

/// One gateway key: what a client needs to seal to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyConfig {
    key_id: u8,
    kem: Kem,
    public_key: [u8; X25519_LEN],
    suites: Vec<SymmetricSuite>,
}

impl KeyConfig {
    /// A configuration from its parts; `suites` must not be empty.
    pub fn new(
        key_id: u8,
        kem: Kem,
        public_key: &[u8],
        suites: Vec<SymmetricSuite>,
    ) -> Result<Self, KeyConfigError> {
        let public_key = <[u8; X25519_LEN]>::try_from(public_key).map_err(|_| {
            KeyConfigError::PublicKeyLength {
                expected: kem.public_key_len(),
                found: public_key.len(),
            }
        })?;
        if suites.is_empty() {
            return Err(KeyConfigError::NoSupportedSuite(Vec::new()));
        }
        if suites.len() > MAX_SUITES {
            return Err(KeyConfigError::TooManySuites(suites.len()));
        }
        Ok(Self {
            key_id,
            kem,
            public_key,
            suites,
        })
    }

    pub fn key_id(&self) -> u8 {
        self.key_id
    }

    pub fn kem(&self) -> Kem {
        self.kem
    }

    pub fn public_key(&self) -> &[u8; X25519_LEN] {
        &self.public_key
    }

    /// The supported suites, in the server's order.
    pub fn suites(&self) -> &[SymmetricSuite] {
        &self.suites
    }

    /// The suite Hush seals with: AES-128-GCM, else ChaCha20-Poly1305, else AES-256-GCM.
    pub fn preferred_suite(&self) -> SymmetricSuite {
        Aead::PREFERENCE
            .iter()
            .find_map(|&aead| self.suites.iter().copied().find(|s| s.aead == aead))
            // Non-empty by construction, and every stored suite is in PREFERENCE.
            .unwrap_or(self.suites[0])
    }

    /// Parse one key configuration that fills `bytes` exactly.
    pub fn parse(bytes: &[u8]) -> Result<Self, KeyConfigError> {
        Self::parse_exact(bytes).map_err(|e| match e {
            KeyConfigError::Truncated { .. }
            | KeyConfigError::TrailingBytes(_)
            | KeyConfigError::SuitesLength(_) => match public_key_len_that_fits(bytes) {
                Some(found) => KeyConfigError::PublicKeyLength {
                    expected: X25519_LEN,
                    found,
                },
                None => e,
            },
            e => e,
        })
    }

    fn parse_exact(bytes: &[u8]) -> Result<Self, KeyConfigError> {
        let mut r = Reader::new(bytes);
        let key_id = r.u8("key id")?;
        let kem_id = r.u16("KEM id")?;
        let kem = Kem::from_id(kem_id).ok_or(KeyConfigError::UnknownKem(kem_id))?;
        let public_key = r.take(kem.public_key_len(), "public key")?;
        let suites_len = r.u16("symmetric algorithms length")?;
        if suites_len == 0 || suites_len % 4 != 0 {
            return Err(KeyConfigError::SuitesLength(suites_len));
        }
        let raw = r.take(usize::from(suites_len), "symmetric algorithms")?;
        if !r.rest().is_empty() {
            return Err(KeyConfigError::TrailingBytes(r.rest().len()));
        }
        let ids: Vec<SuiteIds> = raw
            .chunks_exact(4)
            .map(|c| SuiteIds {
                kdf: u16::from_be_bytes([c[0], c[1]]),
                aead: u16::from_be_bytes([c[2], c[3]]),
            })
            .collect();
        // Unknown suites are skipped, so a server can offer newer ones alongside.
        let mut suites: Vec<SymmetricSuite> = Vec::new();
        for id in &ids {
            if let (Some(kdf), Some(aead)) = (Kdf::from_id(id.kdf), Aead::from_id(id.aead)) {
                let suite = SymmetricSuite::new(kdf, aead);
                if !suites.contains(&suite) {
                    suites.push(suite);
                }
            }
        }
        if suites.is_empty() {
            return Err(KeyConfigError::NoSupportedSuite(ids));
        }
        Self::new(key_id, kem, public_key, suites)
    }

    /// The RFC 9458 §3 encoding (of the supported suites only).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(FIXED_LEN + 4 * self.suites.len());
        out.push(self.key_id);
        out.extend_from_slice(&self.kem.id().to_be_bytes());
        out.extend_from_slice(&self.public_key);
        // MAX_SUITES keeps this within u16.
        let suites_len = (4 * self.suites.len()) as u16;
        out.extend_from_slice(&suites_len.to_be_bytes());
        for s in &self.suites {
            out.extend_from_slice(&s.kdf.id().to_be_bytes());
            out.extend_from_slice(&s.aead.id().to_be_bytes());
        }
        out
    }
}

/// If a config would parse with a public key of another length, that length:
/// a config for a wrong-size key otherwise shows up as a confusing truncation.
fn public_key_len_that_fits(bytes: &[u8]) -> Option<usize> {
    if bytes.len() < 3 || Kem::from_id(u16::from_be_bytes([bytes[1], bytes[2]])).is_none() {
        return None;
    }
    let fits: Vec<usize> = (0..=bytes.len().saturating_sub(5))
        .filter(|&pk_len| {
            let at = 3 + pk_len;
            let Some(len) = bytes.get(at..at + 2) else {
                return false;
            };
            let suites_len = usize::from(u16::from_be_bytes([len[0], len[1]]));
            suites_len != 0 && suites_len % 4 == 0 && at + 2 + suites_len == bytes.len()
        })
        .collect();
    match fits.as_slice() {
        [only] if *only != X25519_LEN => Some(*only),
        _ => None,
    }
}

/// A parsed `application/ohttp-keys` body: the usable configurations, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyConfigs {
    configs: Vec<KeyConfig>,
}

impl KeyConfigs {
    /// A list from configurations built in code; must not be empty.
    pub fn new(configs: Vec<KeyConfig>) -> Result<Self, KeyConfigError> {
        if configs.is_empty() {
            return Err(KeyConfigError::Empty);
        }
        Ok(Self { configs })
    }

    /// Parse an `application/ohttp-keys` body: configurations each preceded by
    /// a 2-byte length. A configuration with an unknown KEM or no supported
    /// suite is skipped when another one is usable (key rotation to a newer
    /// algorithm must not break older clients); any malformed one is an error.
    pub fn parse(bytes: &[u8]) -> Result<Self, KeyConfigError> {
        if bytes.is_empty() {
            return Err(KeyConfigError::Empty);
        }
        let mut r = Reader::new(bytes);
        let mut configs = Vec::new();
        let mut first_unsupported = None;
        let mut index = 0;
        while !r.rest().is_empty() {
            let in_list = |source| KeyConfigError::InList {
                index,
                source: Box::new(source),
            };
            let len = r.u16("configuration length").map_err(in_list)?;
            let body = r.take(usize::from(len), "configuration").map_err(in_list)?;
            match KeyConfig::parse(body) {
                Ok(config) => configs.push(config),
                Err(e @ (KeyConfigError::UnknownKem(_) | KeyConfigError::NoSupportedSuite(_))) => {
                    first_unsupported.get_or_insert(in_list(e));
                }
                Err(e) => return Err(in_list(e)),
            }
            index += 1;
        }
        match (configs.is_empty(), first_unsupported) {
            (true, Some(e)) => Err(e),
            _ => Ok(Self { configs }),
        }
    }

    /// The `application/ohttp-keys` encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for c in &self.configs {
            let body = c.encode();
            // KeyConfig::new bounds the suite count so this fits.
            out.extend_from_slice(&(body.len() as u16).to_be_bytes());
            out.extend_from_slice(&body);
        }
        out
    }

    /// Never empty.
    pub fn configs(&self) -> &[KeyConfig] {
        &self.configs
    }

    /// The configuration Hush seals to: the newest one it supports. A list
    /// is written newest first (as `hush serve` publishes it: during a key
    /// rotation the next key, then the current one), and configurations of
    /// a kind Hush does not know (Cloudflare's X25519Kyber768, say) were
    /// skipped when it was parsed, so this is the first one that is left.
    pub fn current(&self) -> &KeyConfig {
        &self.configs[0]
    }

    /// The configuration with this key id, if any.
    pub fn by_key_id(&self, key_id: u8) -> Option<&KeyConfig> {
        self.configs.iter().find(|c| c.key_id == key_id)
    }
}

/// A bounds-checked cursor that names what it was reading when it ran out.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], KeyConfigError> {
        if self.bytes.len() < n {
            return Err(KeyConfigError::Truncated {
                what,
                missing: n - self.bytes.len(),
            });
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, KeyConfigError> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, KeyConfigError> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn rest(&self) -> &'a [u8] {
        self.bytes
    }
}
