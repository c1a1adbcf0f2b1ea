//! Hush's Oblivious HTTP gateway: create and load a key directory,
//! open encapsulated requests, seal responses. `hush open` and `hush serve`
//! use it, without caring which of its two implementations is at work.
//!
//! A key directory holds:
//! - `ohttp-keys`: the public `application/ohttp-keys` list (one configuration),
//!   what clients pin and what `hush serve` publishes at `GET /ohttp-keys`;
//! - `gateway.key`: the X25519 secret key as 64 lowercase hex characters, a
//!   trailing newline optional, mode 0600: the `sk` that RFC 9180 §7.1.3
//!   DeriveKeyPair gives, so any HPKE implementation (or `X25519(sk, 9)`) can
//!   use or check it;
//! - optionally `gateway.seed`: the DeriveKeyPair input the secret came from,
//!   same format and mode. `hush keygen` writes it.
//!
//! With `gateway.seed`, requests are opened and answers sealed by Mozilla's
//! `ohttp` crate, an implementation independent of the ring client in
//! `hush-core` (the interoperability check, and the default): `ohttp` 0.8
//! cannot load a raw X25519 secret, only derive a key from a seed
//! (`KeyConfig::derive`), so the seed is what lets it use the key.
//! [`Gateway::load`] checks that the seed derives the secret.
//!
//! Without it (a key made by another tool, or the RFC 9458 Appendix A key),
//! the second implementation in [`raw_key`] does the same work from the
//! secret alone, on rust-hpke (which `ohttp` uses underneath) and RustCrypto.
//!
//! Either way, X25519 of the secret must be the published public key. Binary
//! HTTP is decoded with Mozilla's `bhttp` crate.
//!
//! Both secrets are created with `create_new` and mode 0600, so they never
//! exist with wider permissions and an existing key is never overwritten.
//!
//! A [`Gateway`] holds one or several keys (a key rotation: the next key,
//! the current one, and retired ones still accepted): each key is a key
//! directory of its own, and requests are opened by the key their key id
//! names. What it publishes ([`Gateway::key_configs`]) lists the published
//! keys newest first, which is the order clients seal by.

mod raw_key;

use std::fs::{self, OpenOptions};
use std::io::{self, Cursor, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use hush_core::ohttp::{KeyConfig, KeyConfigError, KeyConfigs};
use ohttp::hpke::{Aead, Kdf, Kem};
use ring::rand::{SecureRandom, SystemRandom};
use thiserror::Error;

pub const KEYS_FILE: &str = "ohttp-keys";
pub const SECRET_FILE: &str = "gateway.key";
pub const SEED_FILE: &str = "gateway.seed";

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
    #[error("{}: expected 64 lowercase hex characters (and optionally a newline)", .0.display())]
    BadSecret(PathBuf),
    #[error("{}: {source}", path.display())]
    BadKeys {
        path: PathBuf,
        source: KeyConfigError,
    },
    #[error("{} does not match the public key in {}", .secret.display(), .keys.display())]
    KeyMismatch { secret: PathBuf, keys: PathBuf },
    #[error("{} does not derive the secret in {}", .seed.display(), .secret.display())]
    SeedMismatch { seed: PathBuf, secret: PathBuf },
    #[error(
        "{}: no suite this gateway can open without {SEED_FILE} (HKDF-SHA256 with AES-128-GCM or ChaCha20-Poly1305)",
        .0.display()
    )]
    NoSupportedSuite(PathBuf),
    #[error("the system random number generator failed")]
    Random,
    #[error("request is for key id {0}, which this gateway does not hold")]
    UnknownKeyId(u8),
    #[error("two key directories hold key id {0}: each key needs an id of its own")]
    DuplicateKeyId(u8),
    #[error("no key directory to publish")]
    NoKeys,
    #[error("encapsulated request is truncated")]
    Truncated,
    #[error("cannot open request: {0}")]
    Open(&'static str),
    #[error(
        "cannot open request: decryption failed (tampered, truncated, or not sealed to this key)"
    )]
    Decrypt,
    #[error("decrypted request is not a valid Binary HTTP message: {0}")]
    Bhttp(#[from] bhttp::Error),
    #[error("decrypted request has non-zero bytes in its padding")]
    Padding,
    #[error("cannot seal the response: {0} failed")]
    Seal(&'static str),
    #[error("ohttp: {0}")]
    Ohttp(ohttp::Error),
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> GatewayError + '_ {
    move |source| GatewayError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Create a key directory with a fresh key and `key_id` (random if `None`);
/// returns the key id. Refuses to overwrite an existing `gateway.key`.
pub fn generate(dir: &Path, key_id: Option<u8>) -> Result<u8, GatewayError> {
    fs::create_dir_all(dir).map_err(io_error(dir))?;
    // Checked up front so a refused keygen leaves no half-written directory
    // (create_new below still guards against a concurrent one).
    for name in [SECRET_FILE, SEED_FILE] {
        if dir.join(name).exists() {
            return Err(GatewayError::SecretExists(dir.join(name)));
        }
    }
    let rng = SystemRandom::new();
    let mut seed = [0; SEED_LEN];
    let mut random_id = [0; 1];
    rng.fill(&mut seed).map_err(|_| GatewayError::Random)?;
    rng.fill(&mut random_id).map_err(|_| GatewayError::Random)?;
    let key_id = key_id.unwrap_or(random_id[0]);
    let config = derive(key_id, &seed)?;
    let list = ohttp::KeyConfig::encode_list(&[&config]).map_err(GatewayError::Ohttp)?;
    let keys_path = dir.join(KEYS_FILE);
    // The client must be able to use what we publish.
    KeyConfigs::parse(&list).map_err(|source| GatewayError::BadKeys {
        path: keys_path.clone(),
        source,
    })?;

    let secret = derive_secret(&seed);
    // What we publish must be X25519(sk): checked here once, and at every load.
    if public_of(&secret)[..] != config_public_key(&config)?[..] {
        return Err(GatewayError::KeyMismatch {
            secret: dir.join(SECRET_FILE),
            keys: keys_path,
        });
    }
    write_secret(&dir.join(SECRET_FILE), &secret)?;
    write_secret(&dir.join(SEED_FILE), &seed)?;
    fs::write(&keys_path, &list).map_err(io_error(&keys_path))?;
    Ok(key_id)
}

/// Writes a 0600 secret file that must not exist yet.
fn write_secret(path: &Path, bytes: &[u8; SEED_LEN]) -> Result<(), GatewayError> {
    // create_new + mode: the file never exists with wider permissions, and an
    // existing key is never replaced, even by a concurrent keygen.
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => GatewayError::SecretExists(path.to_owned()),
            _ => io_error(path)(e),
        })?;
    file.write_all(format!("{}\n", to_hex(bytes)).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(io_error(path))
}

fn read_secret(path: &Path) -> Result<[u8; SEED_LEN], GatewayError> {
    let text = fs::read_to_string(path).map_err(io_error(path))?;
    parse_secret(&text).ok_or_else(|| GatewayError::BadSecret(path.to_owned()))
}

/// Like [`read_secret`], `None` when the file does not exist.
fn read_optional_secret(path: &Path) -> Result<Option<[u8; SEED_LEN]>, GatewayError> {
    match fs::read_to_string(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error(path)(e)),
        Ok(text) => parse_secret(&text)
            .map(Some)
            .ok_or_else(|| GatewayError::BadSecret(path.to_owned())),
    }
}

/// 64 lowercase hex characters, then at most one `\n`; nothing else.
fn parse_secret(text: &str) -> Option<[u8; SEED_LEN]> {
    from_hex(text.strip_suffix('\n').unwrap_or(text))
}

/// RFC 9180 §7.1.3 DeriveKeyPair for DHKEM(X25519, HKDF-SHA256): the `sk`
/// (`LabeledExpand(LabeledExtract("", "dkp_prk", ikm), "sk", "", 32)` with
/// suite_id `"KEM" || I2OSP(0x0020, 2)`), from the HPKE implementation `ohttp`
/// itself derives its key with.
fn derive_secret(seed: &[u8; SEED_LEN]) -> [u8; SEED_LEN] {
    use hpke::{Kem as _, Serializable as _};
    let (sk, _) = hpke::kem::X25519HkdfSha256::derive_keypair(seed);
    let mut out = [0; SEED_LEN];
    out.copy_from_slice(&sk.to_bytes());
    out
}

/// X25519(sk, 9), by an implementation independent of the derivation.
fn public_of(secret: &[u8; SEED_LEN]) -> [u8; 32] {
    x25519_dalek::x25519(*secret, x25519_dalek::X25519_BASEPOINT_BYTES)
}

/// The public key inside an encoded key configuration.
fn config_public_key(config: &ohttp::KeyConfig) -> Result<Vec<u8>, GatewayError> {
    let encoded = config.encode().map_err(GatewayError::Ohttp)?;
    // key id (1) + KEM id (2), then the 32-byte public key.
    Ok(encoded.get(3..35).unwrap_or_default().to_vec())
}

fn derive(key_id: u8, seed: &[u8]) -> Result<ohttp::KeyConfig, GatewayError> {
    let suites = SUITES
        .iter()
        .map(|&(kdf, aead)| ohttp::SymmetricSuite::new(kdf, aead))
        .collect();
    ohttp::KeyConfig::derive(key_id, Kem::X25519Sha256, suites, seed).map_err(GatewayError::Ohttp)
}

/// Loaded gateway keys: what opens requests, by key id.
pub struct Gateway {
    keys: Vec<LoadedKey>,
    /// The `application/ohttp-keys` list of the published keys, newest first.
    published: Vec<u8>,
}

/// One key directory, loaded.
struct LoadedKey {
    key_id: u8,
    config: KeyConfig,
    opener: Opener,
}

/// The two implementations behind [`Gateway`].
enum Opener {
    /// Mozilla's `ohttp`, with the key derived from `gateway.seed`.
    Ohttp(Box<ohttp::Server>),
    /// rust-hpke and RustCrypto, from the raw secret in `gateway.key`.
    RawKey(raw_key::RawKeyServer),
}

/// What seals the answer to one opened request, whichever implementation
/// opened it; consumed by [`seal_response`].
pub struct ResponseHandle(Sealer);

enum Sealer {
    Ohttp(ohttp::ServerResponse),
    RawKey(raw_key::RawKeyResponse),
}

impl Gateway {
    /// One key directory (see [`Gateway::load_keys`]).
    pub fn load(dir: &Path) -> Result<Self, GatewayError> {
        Self::load_keys(&[dir.to_owned()], &[])
    }

    /// Key directories to publish, newest first, and retired ones whose
    /// requests are still opened but which are no longer published (so no
    /// new app release pins them). Every key needs a key id of its own.
    pub fn load_keys(published: &[PathBuf], retired: &[PathBuf]) -> Result<Self, GatewayError> {
        if published.is_empty() {
            return Err(GatewayError::NoKeys);
        }
        let mut keys: Vec<LoadedKey> = Vec::new();
        for dir in published.iter().chain(retired) {
            let key = load_key(dir)?;
            if keys.iter().any(|k| k.key_id == key.key_id) {
                return Err(GatewayError::DuplicateKeyId(key.key_id));
            }
            keys.push(key);
        }
        let list = keys[..published.len()]
            .iter()
            .map(|k| k.config.clone())
            .collect();
        let published = KeyConfigs::new(list)
            .map_err(|source| GatewayError::BadKeys {
                path: published[0].join(KEYS_FILE),
                source,
            })?
            .encode();
        Ok(Self { keys, published })
    }

    /// What `GET /ohttp-keys` serves: the published keys, newest first.
    pub fn key_configs(&self) -> &[u8] {
        &self.published
    }

    /// The key ids requests are opened for (published and retired).
    #[cfg(test)]
    pub fn key_ids(&self) -> Vec<u8> {
        self.keys.iter().map(|k| k.key_id).collect()
    }

    /// Open an encapsulated request: the Binary HTTP message inside, and the
    /// handle that seals the response to the same client.
    pub fn open_request(
        &self,
        encapsulated: &[u8],
    ) -> Result<(Vec<u8>, ResponseHandle), GatewayError> {
        let Some(&key_id) = encapsulated.first() else {
            return Err(GatewayError::Truncated);
        };
        let key = self
            .keys
            .iter()
            .find(|k| k.key_id == key_id)
            .ok_or(GatewayError::UnknownKeyId(key_id))?;
        match &key.opener {
            Opener::Ohttp(server) => server
                .decapsulate(encapsulated)
                .map(|(request, response)| (request, ResponseHandle(Sealer::Ohttp(response))))
                .map_err(|e| match e {
                    ohttp::Error::Truncated => GatewayError::Truncated,
                    ohttp::Error::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                        GatewayError::Truncated
                    }
                    ohttp::Error::Unsupported | ohttp::Error::InvalidKem | ohttp::Error::Format => {
                        GatewayError::Open("unsupported or malformed header")
                    }
                    _ => GatewayError::Decrypt,
                }),
            Opener::RawKey(server) => server
                .decapsulate(encapsulated)
                .map(|(request, response)| (request, ResponseHandle(Sealer::RawKey(response)))),
        }
    }
}

/// Load `dir/ohttp-keys`, `dir/gateway.key` and, if present,
/// `dir/gateway.seed`, and check that they belong together: the secret is
/// what the seed derives, and X25519 of the secret is the published public
/// key. With a seed, `ohttp` opens requests; without, [`raw_key`] does.
fn load_key(dir: &Path) -> Result<LoadedKey, GatewayError> {
    let keys_path = dir.join(KEYS_FILE);
    let secret_path = dir.join(SECRET_FILE);
    let seed_path = dir.join(SEED_FILE);
    let keys = fs::read(&keys_path).map_err(io_error(&keys_path))?;
    let keys = KeyConfigs::parse(&keys).map_err(|source| GatewayError::BadKeys {
        path: keys_path.clone(),
        source,
    })?;
    let published = keys.current().clone();

    let secret = read_secret(&secret_path)?;
    let seed = read_optional_secret(&seed_path)?;
    if let Some(seed) = &seed {
        if derive_secret(seed) != secret {
            return Err(GatewayError::SeedMismatch {
                seed: seed_path,
                secret: secret_path,
            });
        }
    }
    if public_of(&secret)[..] != published.public_key()[..] {
        return Err(GatewayError::KeyMismatch {
            secret: secret_path,
            keys: keys_path,
        });
    }
    let Some(seed) = seed else {
        return key_from_secret(published, &secret)
            .ok_or(GatewayError::NoSupportedSuite(keys_path));
    };
    let config = derive(published.key_id(), &seed)?;
    // The configuration `ohttp` serves with must be the published one.
    if config_public_key(&config)?[..] != published.public_key()[..] {
        return Err(GatewayError::KeyMismatch {
            secret: seed_path,
            keys: keys_path,
        });
    }
    let server = ohttp::Server::new(config).map_err(GatewayError::Ohttp)?;
    Ok(LoadedKey {
        key_id: published.key_id(),
        config: published,
        opener: Opener::Ohttp(Box::new(server)),
    })
}

/// The raw-key opener for `published`, whose public key the caller has
/// checked is X25519 of `secret`; `None` if it offers no suite that
/// [`raw_key`] supports.
fn key_from_secret(published: KeyConfig, secret: &[u8; SEED_LEN]) -> Option<LoadedKey> {
    let aeads = published
        .suites()
        .iter()
        .filter(|suite| suite.kdf == hush_core::ohttp::Kdf::HkdfSha256)
        .filter_map(|suite| raw_key::Aead::from_id(suite.aead.id()))
        .collect();
    Some(LoadedKey {
        key_id: published.key_id(),
        opener: Opener::RawKey(raw_key::RawKeyServer::new(secret, aeads)?),
        config: published,
    })
}

/// Seal a Binary HTTP response for the client whose request gave `handle`.
pub fn seal_response(
    handle: ResponseHandle,
    bhttp_response: &[u8],
) -> Result<Vec<u8>, GatewayError> {
    match handle.0 {
        Sealer::Ohttp(response) => response
            .encapsulate(bhttp_response)
            .map_err(GatewayError::Ohttp),
        Sealer::RawKey(response) => response.encapsulate(bhttp_response),
    }
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

/// A known-length Binary HTTP response, zero-padded (RFC 9292 §3.8) to a
/// multiple of `pad` bytes (none if 0), so answers of different lengths
/// below `pad` all seal to one size.
pub fn encode_response(
    status: u16,
    headers: &[(&[u8], Vec<u8>)],
    content: &[u8],
    pad: usize,
) -> Result<Vec<u8>, GatewayError> {
    let status = bhttp::StatusCode::try_from(status)?;
    let mut message = bhttp::Message::response(status);
    for (name, value) in headers {
        message.put_header(*name, value.clone());
    }
    message.write_content(content);
    let mut out = Vec::new();
    message.write_bhttp(bhttp::Mode::KnownLength, &mut out)?;
    if pad > 0 {
        out.resize(out.len().div_ceil(pad) * pad, 0);
    }
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

    /// A gateway of one raw key, as a key directory without a seed loads.
    fn raw_gateway(config: &KeyConfig, secret: &[u8; 32]) -> Option<Gateway> {
        let key = key_from_secret(config.clone(), secret)?;
        Some(Gateway {
            published: KeyConfigs::new(vec![config.clone()]).unwrap().encode(),
            keys: vec![key],
        })
    }

    #[test]
    fn hex_round_trip_and_strictness() {
        let seed: [u8; 32] = std::array::from_fn(|i| (i * 37) as u8);
        assert_eq!(from_hex(&to_hex(&seed)), Some(seed));
        assert_eq!(from_hex(&to_hex(&seed).to_uppercase()), None);
        assert_eq!(from_hex(&to_hex(&seed)[1..]), None);
        assert_eq!(from_hex(&format!("{} ", &to_hex(&seed)[1..])), None);
    }

    #[test]
    fn secret_files_take_at_most_one_trailing_newline() {
        let hex = to_hex(&[0xab; 32]);
        assert_eq!(parse_secret(&hex), Some([0xab; 32]));
        assert_eq!(parse_secret(&format!("{hex}\n")), Some([0xab; 32]));
        for bad in [
            format!("{hex}\n\n"),
            format!("{hex}\r\n"),
            format!("{hex} "),
            format!(" {hex}"),
            format!("\n{hex}"),
            hex.to_uppercase(),
            hex[2..].to_string(),
            format!("{hex}00"),
            String::new(),
            "\n".to_string(),
        ] {
            assert_eq!(parse_secret(&bad), None, "{bad:?}");
        }
    }

    /// splitmix64, for reproducible payloads.
    fn bytes(seed: u64, len: usize) -> Vec<u8> {
        let mut state = seed;
        (0..len)
            .map(|_| {
                state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                (z ^ (z >> 31)) as u8
            })
            .collect()
    }

    /// The raw-key path against the ring client of hush-core, both ways: the
    /// client's request opens, and the sealed answer opens with the client's
    /// stored response opener (RFC 9458 §4.4), for each AEAD.
    #[test]
    fn raw_key_requests_and_responses_interoperate_with_the_hush_core_client() {
        use hush_core::ohttp::{Aead, Kdf, Kem, ResponseOpener, SymmetricSuite};
        let secret: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(29) ^ 0x5a);
        let public = public_of(&secret);
        for (n, aead) in [Aead::Aes128Gcm, Aead::ChaCha20Poly1305]
            .into_iter()
            .enumerate()
        {
            let suites = vec![SymmetricSuite::new(Kdf::HkdfSha256, aead)];
            let config = KeyConfig::new(9, Kem::X25519HkdfSha256, &public, suites).unwrap();
            let gateway = raw_gateway(&config, &secret).unwrap();
            assert!(matches!(gateway.keys[0].opener, Opener::RawKey(_)));
            for (i, len) in [0, 1, 37, 1024, 9000].into_iter().enumerate() {
                let seed = (n * 100 + i) as u64;
                let request = bytes(seed, len);
                let sealed = hush_core::ohttp::encapsulate_to(&config, &request).unwrap();
                assert_eq!(sealed.opener.aead(), aead);
                let (opened, handle) = gateway.open_request(&sealed.request).unwrap();
                assert_eq!(opened, request, "{aead:?} request of {len} bytes");

                let answer = bytes(seed + 50, len / 3);
                let response = seal_response(handle, &answer).unwrap();
                // response_nonce (max(Nn, Nk)) || ct || tag.
                assert_eq!(
                    response.len(),
                    aead.response_secret_len() + answer.len() + 16
                );
                // As after a restart: the opener the client stored with the report.
                let opener = ResponseOpener::from_bytes(&sealed.opener.to_bytes()).unwrap();
                assert_eq!(opener.open(&response).unwrap(), answer, "{aead:?}");
                for pos in [0, aead.response_secret_len(), response.len() - 1] {
                    let mut bad = response.clone();
                    bad[pos] ^= 0x01;
                    assert!(opener.open(&bad).is_err(), "{aead:?} byte {pos}");
                }
                // A fresh response nonce every time: the same answer seals differently.
                let (_, again) = gateway.open_request(&sealed.request).unwrap();
                let other = seal_response(again, &answer).unwrap();
                assert_ne!(other, response);
                assert_eq!(opener.open(&other).unwrap(), answer);
            }
        }
    }

    #[test]
    fn the_raw_key_path_needs_a_suite_it_supports() {
        use hush_core::ohttp::{Aead, Kdf, Kem, SymmetricSuite};
        let secret = [7; 32];
        let public = public_of(&secret);
        let only_aes256 = vec![SymmetricSuite::new(Kdf::HkdfSha256, Aead::Aes256Gcm)];
        let config = KeyConfig::new(1, Kem::X25519HkdfSha256, &public, only_aes256).unwrap();
        assert!(raw_gateway(&config, &secret).is_none());
        let message = GatewayError::NoSupportedSuite(PathBuf::from("k/ohttp-keys")).to_string();
        assert!(
            message
                .starts_with("k/ohttp-keys: no suite this gateway can open without gateway.seed"),
            "{message}"
        );
        // AES-256-GCM is offered too, but requests for it are refused.
        let suites = vec![
            SymmetricSuite::new(Kdf::HkdfSha256, Aead::Aes256Gcm),
            SymmetricSuite::new(Kdf::HkdfSha256, Aead::ChaCha20Poly1305),
        ];
        let config = KeyConfig::new(1, Kem::X25519HkdfSha256, &public, suites).unwrap();
        let gateway = raw_gateway(&config, &secret).unwrap();
        let mut request = hush_core::ohttp::encapsulate_to(&config, b"x")
            .unwrap()
            .request;
        assert_eq!(request[6], 3, "ChaCha20-Poly1305 is preferred");
        gateway.open_request(&request).unwrap();
        request[6] = 2;
        assert!(matches!(
            gateway.open_request(&request),
            Err(GatewayError::Open(_))
        ));
    }

    #[test]
    fn one_key_directory_opens_alike_with_and_without_its_seed() {
        let dir = tempfile::tempdir().unwrap();
        generate(dir.path(), None).unwrap();
        let keys = KeyConfigs::parse(&fs::read(dir.path().join(KEYS_FILE)).unwrap()).unwrap();
        let seeded = Gateway::load(dir.path()).unwrap();
        assert!(matches!(seeded.keys[0].opener, Opener::Ohttp(_)));
        fs::remove_file(dir.path().join(SEED_FILE)).unwrap();
        // And without the newline keygen writes.
        let secret_path = dir.path().join(SECRET_FILE);
        let text = fs::read_to_string(&secret_path).unwrap();
        fs::write(&secret_path, text.trim_end_matches('\n')).unwrap();
        let seedless = Gateway::load(dir.path()).unwrap();
        assert!(matches!(seedless.keys[0].opener, Opener::RawKey(_)));
        for gateway in [&seeded, &seedless] {
            let sealed = hush_core::ohttp::encapsulate(&keys, b"report").unwrap();
            let (opened, handle) = gateway.open_request(&sealed.request).unwrap();
            assert_eq!(opened, b"report");
            let response = seal_response(handle, b"answer").unwrap();
            assert_eq!(sealed.opener.open(&response).unwrap(), b"answer");
        }
    }

    /// RFC 9180 Appendix A.1.1 (DHKEM(X25519, HKDF-SHA256)): ikmR -> skRm, pkRm.
    #[test]
    fn derive_key_pair_matches_rfc9180_vector() {
        let hex32 = |s: &str| from_hex(s).unwrap();
        let ikm = hex32("6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037");
        let sk = derive_secret(&ikm);
        assert_eq!(
            to_hex(&sk),
            "4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8"
        );
        assert_eq!(
            to_hex(&public_of(&sk)),
            "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d"
        );
    }

    #[test]
    fn padded_requests_decode_and_dirty_padding_is_refused() {
        let mut message = hush_core::ohttp::bhttp::encode_request(
            "PUT",
            "https",
            "leader.example",
            "/dap/tasks/x/reports",
            &[],
            b"report",
            128,
        );
        assert_eq!(decode_request(&message).unwrap().content(), b"report");
        message[127] = 1;
        assert!(matches!(
            decode_request(&message),
            Err(GatewayError::Padding)
        ));
    }

    #[test]
    fn responses_are_known_length_binary_http() {
        let bytes = encode_response(202, &[], b"ok", 0).unwrap();
        let decoded = hush_core::ohttp::bhttp::decode_response(&bytes).unwrap();
        assert_eq!(
            (decoded.status, decoded.content.as_slice()),
            (202, &b"ok"[..])
        );
        // Padded: the client's decoder takes the zeros as padding.
        let headers = [(&b"retry-after"[..], b"60".to_vec())];
        let padded = encode_response(503, &headers, b"try again later", 512).unwrap();
        assert_eq!(padded.len(), 512);
        let decoded = hush_core::ohttp::bhttp::decode_response(&padded).unwrap();
        assert_eq!(decoded.status, 503);
        assert_eq!(decoded.headers, [("retry-after".into(), "60".into())]);
        assert_eq!(
            encode_response(200, &[], &[7; 600], 512).unwrap().len(),
            1024
        );
    }

    /// Key rotation: several keys at once, each opening its own requests;
    /// published ones listed newest first, retired ones opened but not listed.
    #[test]
    fn several_keys_are_served_and_accepted_at_once() {
        let root = tempfile::tempdir().unwrap();
        let dir = |name: &str| root.path().join(name);
        generate(&dir("current"), Some(1)).unwrap();
        generate(&dir("next"), Some(2)).unwrap();
        generate(&dir("retired"), Some(3)).unwrap();
        generate(&dir("clash"), Some(1)).unwrap();
        // The seedless (raw-key) path for one of them.
        fs::remove_file(dir("retired").join(SEED_FILE)).unwrap();
        let gateway =
            Gateway::load_keys(&[dir("next"), dir("current")], &[dir("retired")]).unwrap();
        let published = KeyConfigs::parse(gateway.key_configs()).unwrap();
        let ids: Vec<u8> = published.configs().iter().map(KeyConfig::key_id).collect();
        assert_eq!(
            ids,
            [2, 1],
            "newest first; the retired key is not published"
        );
        assert_eq!(
            published.current().key_id(),
            2,
            "clients seal to the next key"
        );
        assert_eq!(gateway.key_ids(), [2, 1, 3]);
        for name in ["current", "next", "retired"] {
            let pinned = KeyConfigs::parse(&fs::read(dir(name).join(KEYS_FILE)).unwrap()).unwrap();
            let sealed = hush_core::ohttp::encapsulate(&pinned, b"report").unwrap();
            let (opened, handle) = gateway.open_request(&sealed.request).unwrap();
            assert_eq!(opened, b"report", "{name}");
            let answer = seal_response(handle, b"ok").unwrap();
            assert_eq!(sealed.opener.open(&answer).unwrap(), b"ok", "{name}");
        }
        // A key id it does not hold, and two keys with one id.
        let mut foreign = hush_core::ohttp::encapsulate(&published, b"x")
            .unwrap()
            .request;
        foreign[0] = 9;
        assert!(matches!(
            gateway.open_request(&foreign),
            Err(GatewayError::UnknownKeyId(9))
        ));
        assert!(matches!(
            Gateway::load_keys(&[dir("current"), dir("clash")], &[]),
            Err(GatewayError::DuplicateKeyId(1))
        ));
        assert!(matches!(
            Gateway::load_keys(&[], &[dir("current")]),
            Err(GatewayError::NoKeys)
        ));
        // One key directory publishes exactly the file keygen wrote.
        let one = Gateway::load(&dir("current")).unwrap();
        assert_eq!(
            one.key_configs(),
            fs::read(dir("current").join(KEYS_FILE)).unwrap()
        );
    }
}
