//! Key configuration parsing (RFC 9458 §3): every refusal path has a clear error.

use hush_core::ohttp::{
    Aead, Kdf, Kem, KeyConfig, KeyConfigError, KeyConfigs, SuiteIds, SymmetricSuite,
};

const PK: [u8; 32] = [0x31; 32];

/// A key configuration body with raw ids, for building bad inputs.
fn config(key_id: u8, kem: u16, pk: &[u8], suites: &[(u16, u16)]) -> Vec<u8> {
    let mut out = vec![key_id];
    out.extend_from_slice(&kem.to_be_bytes());
    out.extend_from_slice(pk);
    out.extend_from_slice(&((suites.len() * 4) as u16).to_be_bytes());
    for (kdf, aead) in suites {
        out.extend_from_slice(&kdf.to_be_bytes());
        out.extend_from_slice(&aead.to_be_bytes());
    }
    out
}

fn list(configs: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in configs {
        out.extend_from_slice(&(c.len() as u16).to_be_bytes());
        out.extend_from_slice(c);
    }
    out
}

fn in_list(index: usize, source: KeyConfigError) -> KeyConfigError {
    KeyConfigError::InList {
        index,
        source: Box::new(source),
    }
}

const AES: (u16, u16) = (1, 1);
const CHACHA: (u16, u16) = (1, 3);

#[test]
fn a_good_list_round_trips() {
    let bytes = list(&[
        config(7, 0x20, &PK, &[AES, CHACHA]),
        config(8, 0x20, &[9; 32], &[CHACHA]),
    ]);
    let keys = KeyConfigs::parse(&bytes).unwrap();
    assert_eq!(keys.configs().len(), 2);
    assert_eq!(keys.current().key_id(), 7);
    assert_eq!(keys.by_key_id(8).unwrap().public_key(), &[9; 32]);
    assert!(keys.by_key_id(9).is_none());
    assert_eq!(keys.encode(), bytes);
}

#[test]
fn unknown_suites_are_skipped_when_one_is_supported() {
    // HKDF-SHA384 with AES-128-GCM, then an unknown AEAD, then ChaCha20-Poly1305.
    let bytes = config(1, 0x20, &PK, &[(2, 1), (1, 0x7777), CHACHA]);
    let c = KeyConfig::parse(&bytes).unwrap();
    assert_eq!(
        c.suites(),
        [SymmetricSuite::new(Kdf::HkdfSha256, Aead::ChaCha20Poly1305)]
    );
    assert_eq!(c.preferred_suite().aead, Aead::ChaCha20Poly1305);
    // encode() writes only what was understood.
    assert_eq!(c.encode(), config(1, 0x20, &PK, &[CHACHA]));
}

#[test]
fn aes_128_gcm_is_preferred_whatever_the_order() {
    let c = KeyConfig::parse(&config(1, 0x20, &PK, &[CHACHA, (1, 2), AES])).unwrap();
    assert_eq!(c.preferred_suite().aead, Aead::Aes128Gcm);
    let c = KeyConfig::parse(&config(1, 0x20, &PK, &[(1, 2), CHACHA])).unwrap();
    assert_eq!(c.preferred_suite().aead, Aead::ChaCha20Poly1305);
    let c = KeyConfig::parse(&config(1, 0x20, &PK, &[(1, 2)])).unwrap();
    assert_eq!(c.preferred_suite().aead, Aead::Aes256Gcm);
}

#[test]
fn no_supported_suite() {
    let e = KeyConfig::parse(&config(1, 0x20, &PK, &[(2, 1), (1, 9)])).unwrap_err();
    assert_eq!(
        e,
        KeyConfigError::NoSupportedSuite(vec![
            SuiteIds { kdf: 2, aead: 1 },
            SuiteIds { kdf: 1, aead: 9 }
        ])
    );
    assert!(
        e.to_string()
            .contains("KDF 0x0002/AEAD 0x0001, KDF 0x0001/AEAD 0x0009"),
        "{e}"
    );
}

#[test]
fn unknown_kem() {
    let e = KeyConfig::parse(&config(1, 0x10, &[4; 65], &[AES])).unwrap_err();
    assert_eq!(e, KeyConfigError::UnknownKem(0x10));
    assert!(e.to_string().contains("0x0010"), "{e}");
}

#[test]
fn unsupported_configs_are_skipped_in_a_list_with_a_usable_one() {
    // Rotation to a KEM this client does not know must not break it.
    let bytes = list(&[
        config(1, 0x10, &[4; 65], &[AES]),
        config(2, 0x20, &PK, &[AES]),
    ]);
    let keys = KeyConfigs::parse(&bytes).unwrap();
    assert_eq!(keys.configs().len(), 1);
    assert_eq!(keys.current().key_id(), 2);
}

#[test]
fn a_list_with_nothing_usable_reports_the_first_reason() {
    let bytes = list(&[
        config(1, 0x10, &[4; 65], &[AES]),
        config(2, 0x20, &PK, &[(3, 1)]),
    ]);
    assert_eq!(
        KeyConfigs::parse(&bytes),
        Err(in_list(0, KeyConfigError::UnknownKem(0x10)))
    );
}

#[test]
fn empty_inputs() {
    assert_eq!(KeyConfigs::parse(&[]), Err(KeyConfigError::Empty));
    assert_eq!(KeyConfigs::new(vec![]), Err(KeyConfigError::Empty));
    assert_eq!(
        KeyConfig::parse(&[]),
        Err(KeyConfigError::Truncated {
            what: "key id",
            missing: 1
        })
    );
}

#[test]
fn truncation_at_every_length_is_an_error() {
    let good = config(1, 0x20, &PK, &[AES, CHACHA]);
    for cut in 0..good.len() {
        let e = KeyConfig::parse(&good[..cut]).unwrap_err();
        assert!(
            matches!(e, KeyConfigError::Truncated { .. }),
            "cut at {cut}: {e:?}"
        );
    }
    let e = KeyConfig::parse(&good[..20]).unwrap_err();
    assert_eq!(
        e,
        KeyConfigError::Truncated {
            what: "public key",
            missing: 15
        }
    );
    assert_eq!(
        e.to_string(),
        "key configuration truncated: public key needs 15 more byte(s)"
    );

    let whole = list(std::slice::from_ref(&good));
    for cut in 1..whole.len() {
        assert!(
            matches!(
                KeyConfigs::parse(&whole[..cut]),
                Err(KeyConfigError::InList { index: 0, .. })
            ),
            "cut at {cut}"
        );
    }
    assert_eq!(
        KeyConfigs::parse(&whole[..1]),
        Err(in_list(
            0,
            KeyConfigError::Truncated {
                what: "configuration length",
                missing: 1
            }
        ))
    );
    assert_eq!(
        KeyConfigs::parse(&whole[..10]),
        Err(in_list(
            0,
            KeyConfigError::Truncated {
                what: "configuration",
                missing: whole.len() - 10
            }
        ))
    );
}

#[test]
fn trailing_bytes() {
    let mut bytes = config(1, 0x20, &PK, &[AES]);
    bytes.extend_from_slice(&[0, 0, 0]);
    assert_eq!(
        KeyConfig::parse(&bytes),
        Err(KeyConfigError::TrailingBytes(3))
    );
    // Inside a list, the length prefix covers the extra bytes: still refused.
    assert_eq!(
        KeyConfigs::parse(&list(&[config(1, 0x20, &PK, &[AES]), bytes])),
        Err(in_list(1, KeyConfigError::TrailingBytes(3)))
    );
}

#[test]
fn wrong_public_key_length() {
    for found in [31, 33, 0] {
        let bytes = config(1, 0x20, &vec![0x31; found], &[AES, CHACHA]);
        assert_eq!(
            KeyConfig::parse(&bytes),
            Err(KeyConfigError::PublicKeyLength {
                expected: 32,
                found
            }),
            "{found}-byte key"
        );
    }
    let e = KeyConfig::new(1, Kem::X25519HkdfSha256, &[0; 31], vec![]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the public key is 31 bytes long; DHKEM(X25519, HKDF-SHA256) needs 32"
    );
}

#[test]
fn bad_suites_length() {
    let mut bytes = config(1, 0x20, &PK, &[]);
    assert_eq!(
        KeyConfig::parse(&bytes),
        Err(KeyConfigError::SuitesLength(0))
    );
    bytes.truncate(35);
    bytes.extend_from_slice(&[0, 6, 0, 1, 0, 1, 0, 3]);
    assert_eq!(
        KeyConfig::parse(&bytes),
        Err(KeyConfigError::SuitesLength(6))
    );
}

#[test]
fn constructing_in_code_is_checked_too() {
    let aes = SymmetricSuite::new(Kdf::HkdfSha256, Aead::Aes128Gcm);
    assert!(KeyConfig::new(1, Kem::X25519HkdfSha256, &PK, vec![aes]).is_ok());
    assert_eq!(
        KeyConfig::new(1, Kem::X25519HkdfSha256, &PK, vec![]),
        Err(KeyConfigError::NoSupportedSuite(vec![]))
    );
    assert_eq!(
        KeyConfig::new(1, Kem::X25519HkdfSha256, &PK, vec![aes; 20_000]),
        Err(KeyConfigError::TooManySuites(20_000))
    );
}

/// Key rotation (README "Rotating the collector's key"): the pinned list is
/// newest first and the client seals to the newest configuration it
/// supports, skipping kinds it does not know, such as Cloudflare's
/// X25519Kyber768Draft00 (KEM 0x0030, a 1,216-byte public key).
#[test]
fn seals_to_the_newest_supported_configuration() {
    let kyber = config(9, 0x0030, &[0x42; 1216], &[AES]);
    let next = config(2, 0x20, &[0x22; 32], &[AES, CHACHA]);
    let current = config(1, 0x20, &PK, &[AES, CHACHA]);
    for (configs, newest) in [
        (vec![next.clone(), current.clone()], 2),
        (vec![kyber.clone(), next.clone(), current.clone()], 2),
        (vec![kyber.clone(), current.clone()], 1),
        (vec![current.clone(), next.clone()], 1),
    ] {
        let keys = KeyConfigs::parse(&list(&configs)).unwrap();
        assert_eq!(keys.current().key_id(), newest);
        let sealed = hush_core::ohttp::encapsulate(&keys, b"report").unwrap();
        assert_eq!(
            sealed.request[0], newest,
            "the request names the key it was sealed to"
        );
        assert_eq!(sealed.request[1..3], [0x00, 0x20]);
    }
    // Both X25519 keys stay usable by id (a gateway's view).
    let keys = KeyConfigs::parse(&list(&[kyber, next, current])).unwrap();
    assert_eq!(keys.configs().len(), 2);
    assert!(keys.by_key_id(1).is_some() && keys.by_key_id(2).is_some());
    assert!(keys.by_key_id(9).is_none());
}
