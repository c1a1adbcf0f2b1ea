//! The collector's Oblivious HTTP gateway, on Mozilla's `ohttp` and `bhttp`
//! crates: create and load a key directory, open encapsulated requests, seal
//! responses. `hush open` uses it today and `hush serve` will.
//!
//! A key directory holds two files:
//! - `ohttp-keys`: the public `application/ohttp-keys` list (one configuration),
//!   what clients pin;
//! - `gateway.key`: the secret, 64 lowercase hex characters and a newline,
//!   mode 0600. It is the 32-byte seed from which HPKE's DeriveKeyPair
//!   (RFC 9180 §7.1.3) derives the X25519 key pair, not the scalar itself:
//!   `ohttp` 0.8 can only build a gateway key from such a seed
//!   (`KeyConfig::derive`) or at random, so storing the seed is what lets the
//!   key survive a restart.

use std::fs::{self, OpenOptions};
use std::io::{self, Cursor, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use hush_core::ohttp::{KeyConfigError, KeyConfigs};
use ohttp::hpke::{Aead, Kdf, Kem};
use ring::rand::{SecureRandom, SystemRandom};
use thiserror::Error;

pub const KEYS_FILE: &str = "ohttp-keys";
pub const SECRET_FILE: &str = "gateway.key";

/// Where reports go, inside the encrypted Binary HTTP request. The authority is
/// a reserved `.invalid` name (RFC 6761): the real collector is reached through
/// the relay, and the inner request must not name anything routable.
pub const COLLECTOR_AUTHORITY: &str = "collector.invalid";
pub const REPORT_PATH: &str = "/report";

/// The suites every generated key offers, in the client's order of preference.
const SUITES: [(Kdf, Aead); 2] = [
    (Kdf::HkdfSha256, Aead::Aes128Gcm),
    (Kdf::HkdfSha256, Aead::ChaCha20Poly1305),
];
const SEED_LEN: usize = 32;

#[derive(Debug, Error)]
pub enum GatewayError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{} already exists; refusing to overwrite a gateway key", .0.display())]
    SecretExists(PathBuf),
    #[error("{}: expected 64 lowercase hex characters and a newline", .0.display())]
    BadSecret(PathBuf),
    #[error("{}: {source}", path.display())]
    BadKeys {
        path: PathBuf,
        source: KeyConfigError,
    },
    #[error("{} does not match the public key in {}", .secret.display(), .keys.display())]
    KeyMismatch { secret: PathBuf, keys: PathBuf },
    #[error("the system random number generator failed")]
    Random,
    #[error("request is for key id {found}, this gateway holds key id {expected}")]
    WrongKeyId { expected: u8, found: u8 },
    #[error("encapsulated request is truncated")]
    Truncated,
    #[error("cannot open request: {0}")]
    Open(&'static str),
    #[error("decrypted request is not a valid Binary HTTP message: {0}")]
    Bhttp(#[from] bhttp::Error),
    #[error("decrypted request has non-zero bytes in its padding")]
    Padding,
    #[error("ohttp: {0}")]
    Ohttp(ohttp::Error),
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> GatewayError + '_ {
    move |source| GatewayError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Create a key directory with a fresh key and random key id; returns the key id.
/// Refuses to overwrite an existing `gateway.key`.
pub fn generate(dir: &Path) -> Result<u8, GatewayError> {
    fs::create_dir_all(dir).map_err(io_error(dir))?;
    let rng = SystemRandom::new();
    let mut seed = [0; SEED_LEN];
    let mut key_id = [0; 1];
    rng.fill(&mut seed).map_err(|_| GatewayError::Random)?;
    rng.fill(&mut key_id).map_err(|_| GatewayError::Random)?;
    let key_id = key_id[0];
    let config = derive(key_id, &seed)?;
    let list = ohttp::KeyConfig::encode_list(&[&config]).map_err(GatewayError::Ohttp)?;
    let keys_path = dir.join(KEYS_FILE);
    // The client must be able to use what we publish.
    KeyConfigs::parse(&list).map_err(|source| GatewayError::BadKeys {
        path: keys_path.clone(),
        source,
    })?;

    let secret_path = dir.join(SECRET_FILE);
    // create_new + mode: the file never exists with wider permissions, and an
    // existing key is never replaced, even by a concurrent keygen.
    let mut secret = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&secret_path)
        .map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => GatewayError::SecretExists(secret_path.clone()),
            _ => io_error(&secret_path)(e),
        })?;
    secret
        .write_all(format!("{}\n", to_hex(&seed)).as_bytes())
        .and_then(|()| secret.sync_all())
        .map_err(io_error(&secret_path))?;
    fs::write(&keys_path, &list).map_err(io_error(&keys_path))?;
    Ok(key_id)
}

fn derive(key_id: u8, seed: &[u8]) -> Result<ohttp::KeyConfig, GatewayError> {
    let suites = SUITES
        .iter()
        .map(|&(kdf, aead)| ohttp::SymmetricSuite::new(kdf, aead))
        .collect();
    ohttp::KeyConfig::derive(key_id, Kem::X25519Sha256, suites, seed).map_err(GatewayError::Ohttp)
}

/// A loaded gateway key.
pub struct Gateway {
    key_id: u8,
    server: ohttp::Server,
}

impl Gateway {
    /// Load `dir/ohttp-keys` and `dir/gateway.key`, and check that they belong together.
    pub fn load(dir: &Path) -> Result<Self, GatewayError> {
        let keys_path = dir.join(KEYS_FILE);
        let secret_path = dir.join(SECRET_FILE);
        let keys = fs::read(&keys_path).map_err(io_error(&keys_path))?;
        let keys = KeyConfigs::parse(&keys).map_err(|source| GatewayError::BadKeys {
            path: keys_path.clone(),
            source,
        })?;
        let published = keys.current();

        let secret = fs::read_to_string(&secret_path).map_err(io_error(&secret_path))?;
        let seed = secret
            .strip_suffix('\n')
            .and_then(from_hex)
            .ok_or_else(|| GatewayError::BadSecret(secret_path.clone()))?;

        let config = derive(published.key_id(), &seed)?;
        let derived = config.encode().map_err(GatewayError::Ohttp)?;
        // key id (1) + KEM id (2), then the public key.
        if derived.get(3..35) != Some(&published.public_key()[..]) {
            return Err(GatewayError::KeyMismatch {
                secret: secret_path,
                keys: keys_path,
            });
        }
        let server = ohttp::Server::new(config).map_err(GatewayError::Ohttp)?;
        Ok(Self {
            key_id: published.key_id(),
            server,
        })
    }

    #[allow(dead_code, reason = "for `hush serve`")]
    pub fn key_id(&self) -> u8 {
        self.key_id
    }

    /// Open an encapsulated request: the Binary HTTP message inside, and the
    /// handle that seals the response to the same client.
    pub fn open_request(
        &self,
        encapsulated: &[u8],
    ) -> Result<(Vec<u8>, ohttp::ServerResponse), GatewayError> {
        let Some(&key_id) = encapsulated.first() else {
            return Err(GatewayError::Truncated);
        };
        if key_id != self.key_id {
            return Err(GatewayError::WrongKeyId {
                expected: self.key_id,
                found: key_id,
            });
        }
        self.server.decapsulate(encapsulated).map_err(|e| match e {
            ohttp::Error::Truncated => GatewayError::Truncated,
            ohttp::Error::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                GatewayError::Truncated
            }
            ohttp::Error::Unsupported | ohttp::Error::InvalidKem | ohttp::Error::Format => {
                GatewayError::Open("unsupported or malformed header")
            }
            _ => GatewayError::Open(
                "decryption failed (tampered, truncated, or not sealed to this key)",
            ),
        })
    }
}

/// Seal a Binary HTTP response for the client whose request gave `handle`.
#[allow(dead_code, reason = "for `hush serve`")]
pub fn seal_response(
    handle: ohttp::ServerResponse,
    bhttp_response: &[u8],
) -> Result<Vec<u8>, GatewayError> {
    handle
        .encapsulate(bhttp_response)
        .map_err(GatewayError::Ohttp)
}

/// Decode a known-length Binary HTTP request; whatever follows it must be zero
/// padding (`bhttp` stops at the end of the message without looking further).
pub fn decode_request(bhttp_request: &[u8]) -> Result<bhttp::Message, GatewayError> {
    let mut cursor = Cursor::new(bhttp_request);
    let message = bhttp::Message::read_bhttp(&mut cursor)?;
    if !message.control().is_request() {
        return Err(GatewayError::Open("the decrypted message is not a request"));
    }
    let end = usize::try_from(cursor.position()).unwrap_or(usize::MAX);
    match bhttp_request.get(end..) {
        Some(padding) if padding.iter().all(|&b| b == 0) => Ok(message),
        _ => Err(GatewayError::Padding),
    }
}

/// A known-length Binary HTTP response with a status and content.
#[allow(dead_code, reason = "for `hush serve`")]
pub fn encode_response(status: u16, content: &[u8]) -> Result<Vec<u8>, GatewayError> {
    let status = bhttp::StatusCode::try_from(status)?;
    let mut message = bhttp::Message::response(status);
    message.write_content(content);
    let mut out = Vec::new();
    message.write_bhttp(bhttp::Mode::KnownLength, &mut out)?;
    Ok(out)
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(s: &str) -> Option<[u8; SEED_LEN]> {
    let lowercase_hex = |c: u8| c.is_ascii_digit() || (b'a'..=b'f').contains(&c);
    if s.len() != 2 * SEED_LEN || !s.bytes().all(lowercase_hex) {
        return None;
    }
    let mut out = [0; SEED_LEN];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_strictness() {
        let seed: [u8; 32] = std::array::from_fn(|i| (i * 37) as u8);
        assert_eq!(from_hex(&to_hex(&seed)), Some(seed));
        assert_eq!(from_hex(&to_hex(&seed).to_uppercase()), None);
        assert_eq!(from_hex(&to_hex(&seed)[1..]), None);
        assert_eq!(from_hex(&format!("{} ", &to_hex(&seed)[1..])), None);
    }

    #[test]
    fn padded_requests_decode_and_dirty_padding_is_refused() {
        let mut message = hush_core::ohttp::bhttp::encode_request(
            "POST",
            "https",
            COLLECTOR_AUTHORITY,
            REPORT_PATH,
            &[],
            b"{}",
            128,
        );
        assert_eq!(decode_request(&message).unwrap().content(), b"{}");
        message[127] = 1;
        assert!(matches!(
            decode_request(&message),
            Err(GatewayError::Padding)
        ));
    }

    #[test]
    fn responses_are_known_length_binary_http() {
        let bytes = encode_response(202, b"ok").unwrap();
        let decoded = hush_core::ohttp::bhttp::decode_response(&bytes).unwrap();
        assert_eq!(
            (decoded.status, decoded.content.as_slice()),
            (202, &b"ok"[..])
        );
    }
}
