//! HPKE algorithm identifiers (RFC 9180 §7) that Hush understands.
//!
//! Only what P10 needs is representable: an identifier outside these enums is
//! "unknown" at parse time, so the rest of the code never sees it.

use std::fmt;

/// Key encapsulation mechanism. Only DHKEM(X25519, HKDF-SHA256).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kem {
    /// DHKEM(X25519, HKDF-SHA256), 0x0020.
    X25519HkdfSha256,
}

impl Kem {
    pub const fn id(self) -> u16 {
        match self {
            Self::X25519HkdfSha256 => 0x0020,
        }
    }

    pub const fn from_id(id: u16) -> Option<Self> {
        match id {
            0x0020 => Some(Self::X25519HkdfSha256),
            _ => None,
        }
    }

    /// Length of a serialized public key, which is also the length of `enc`.
    pub const fn public_key_len(self) -> usize {
        match self {
            Self::X25519HkdfSha256 => 32,
        }
    }
}

/// Key derivation function. Only HKDF-SHA256.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kdf {
    /// HKDF-SHA256, 0x0001.
    HkdfSha256,
}

impl Kdf {
    pub const fn id(self) -> u16 {
        match self {
            Self::HkdfSha256 => 0x0001,
        }
    }

    pub const fn from_id(id: u16) -> Option<Self> {
        match id {
            0x0001 => Some(Self::HkdfSha256),
            _ => None,
        }
    }
}

/// Authenticated encryption. Listed in the order Hush prefers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Aead {
    /// AES-128-GCM, 0x0001: hardware-accelerated on every current Android CPU.
    Aes128Gcm,
    /// ChaCha20-Poly1305, 0x0003: fast without AES instructions.
    ChaCha20Poly1305,
    /// AES-256-GCM, 0x0002: accepted, never preferred.
    Aes256Gcm,
}

impl Aead {
    /// Most preferred first; [`super::KeyConfig::preferred_suite`] walks this.
    pub const PREFERENCE: [Self; 3] = [Self::Aes128Gcm, Self::ChaCha20Poly1305, Self::Aes256Gcm];

    pub const fn id(self) -> u16 {
        match self {
            Self::Aes128Gcm => 0x0001,
            Self::Aes256Gcm => 0x0002,
            Self::ChaCha20Poly1305 => 0x0003,
        }
    }

    pub const fn from_id(id: u16) -> Option<Self> {
        match id {
            0x0001 => Some(Self::Aes128Gcm),
            0x0002 => Some(Self::Aes256Gcm),
            0x0003 => Some(Self::ChaCha20Poly1305),
            _ => None,
        }
    }

    /// Nk: key length.
    pub const fn key_len(self) -> usize {
        match self {
            Self::Aes128Gcm => 16,
            Self::Aes256Gcm | Self::ChaCha20Poly1305 => 32,
        }
    }

    /// Nn: nonce length.
    pub const fn nonce_len(self) -> usize {
        12
    }

    /// Nt: tag length.
    pub const fn tag_len(self) -> usize {
        16
    }

    /// max(Nn, Nk): the length of the exported response secret and of the
    /// response nonce (RFC 9458 §4.4).
    pub const fn response_secret_len(self) -> usize {
        let (n, k) = (self.nonce_len(), self.key_len());
        if n > k {
            n
        } else {
            k
        }
    }

    pub(crate) fn ring_algorithm(self) -> &'static ring::aead::Algorithm {
        match self {
            Self::Aes128Gcm => &ring::aead::AES_128_GCM,
            Self::Aes256Gcm => &ring::aead::AES_256_GCM,
            Self::ChaCha20Poly1305 => &ring::aead::CHACHA20_POLY1305,
        }
    }
}

/// A KDF and AEAD pair, as listed in a key configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SymmetricSuite {
    pub kdf: Kdf,
    pub aead: Aead,
}

impl SymmetricSuite {
    pub const fn new(kdf: Kdf, aead: Aead) -> Self {
        Self { kdf, aead }
    }
}

/// A full HPKE ciphersuite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Suite {
    pub kem: Kem,
    pub kdf: Kdf,
    pub aead: Aead,
}

/// Raw identifiers of a symmetric suite, for error messages about ones we do not know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SuiteIds {
    pub kdf: u16,
    pub aead: u16,
}

impl fmt::Display for SuiteIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KDF 0x{:04x}/AEAD 0x{:04x}", self.kdf, self.aead)
    }
}
