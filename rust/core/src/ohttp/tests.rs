//! RFC 9458 Appendix A, replayed through the production code with the
//! appendix's fixed ephemeral key (injected through the test-only `Encap`).

use super::hpke::Encap;
use super::request::encapsulate_with;
use super::testutil::{array32, unhex};
use super::*;

/// One value of RFC 9458 Appendix A, from the shared test data file.
fn rfc(name: &str) -> Vec<u8> {
    let data = include_str!("../../tests/data/rfc9458-appendix-a.txt");
    let line = data.lines().find(|l| l.starts_with(&format!("{name} = ")));
    unhex(&line.expect(name)[name.len() + 3..])
}

fn appendix_encap(config: &KeyConfig) -> Encap {
    let sk_e = x25519_dalek::StaticSecret::from(array32(&rfc("sk_e")));
    let pk_e = x25519_dalek::PublicKey::from(&sk_e);
    assert_eq!(pk_e.as_bytes().to_vec(), rfc("pk_e"));
    let dh = sk_e.diffie_hellman(&x25519_dalek::PublicKey::from(*config.public_key()));
    Encap::from_parts(*pk_e.as_bytes(), *dh.as_bytes())
}

#[test]
fn appendix_a_key_config_parses_and_reencodes() {
    let config = KeyConfig::parse(&rfc("key_config")).unwrap();
    assert_eq!(config.key_id(), 1);
    assert_eq!(config.kem(), Kem::X25519HkdfSha256);
    assert_eq!(
        config.suites(),
        [
            SymmetricSuite::new(Kdf::HkdfSha256, Aead::Aes128Gcm),
            SymmetricSuite::new(Kdf::HkdfSha256, Aead::ChaCha20Poly1305),
        ]
    );
    assert_eq!(config.encode(), rfc("key_config"));
}

#[test]
fn appendix_a_request_encapsulates_byte_for_byte() {
    let config = KeyConfig::parse(&rfc("key_config")).unwrap();
    let sealed = encapsulate_with(&config, &rfc("request"), &appendix_encap(&config)).unwrap();
    assert_eq!(sealed.request, rfc("encapsulated_request"));
    assert_eq!(sealed.request.len(), encapsulated_len(rfc("request").len()));
}

#[test]
fn appendix_a_exported_secret_and_response() {
    let config = KeyConfig::parse(&rfc("key_config")).unwrap();
    let sealed = encapsulate_with(&config, &rfc("request"), &appendix_encap(&config)).unwrap();
    let stored = sealed.opener.to_bytes();
    assert_eq!(stored.len(), OPENER_LEN);
    // version, AEAD id, enc, then the secret (16 bytes for AES-128-GCM) and zero padding.
    assert_eq!(stored[..3], [1, 0, 1]);
    assert_eq!(stored[3..35], rfc("pk_e")[..]);
    assert_eq!(stored[35..51], rfc("exported_secret")[..]);
    assert_eq!(stored[51..], [0; 16]);

    let reloaded = ResponseOpener::from_bytes(&stored).unwrap();
    assert_eq!(reloaded, sealed.opener);
    assert_eq!(
        reloaded.open(&rfc("encapsulated_response")).unwrap(),
        rfc("response")
    );
    let decoded = bhttp::decode_response(&rfc("response")).unwrap();
    assert_eq!(decoded.status, 200);
}

#[test]
fn appendix_a_response_refuses_tampering_and_truncation() {
    let config = KeyConfig::parse(&rfc("key_config")).unwrap();
    let sealed = encapsulate_with(&config, &rfc("request"), &appendix_encap(&config)).unwrap();
    let response = rfc("encapsulated_response");
    for i in 0..response.len() {
        let mut bad = response.clone();
        bad[i] ^= 0x01;
        assert_eq!(
            sealed.opener.open(&bad),
            Err(OpenError::Authentication),
            "byte {i}"
        );
    }
    // The shortest well-formed response: nonce + empty ciphertext + tag.
    assert_eq!(
        sealed.opener.open(&response[..16 + 15]),
        Err(OpenError::Truncated {
            needed: 32,
            found: 31
        })
    );
    assert_eq!(
        sealed.opener.open(&response[..response.len() - 1]),
        Err(OpenError::Authentication)
    );
}

#[test]
fn chacha_is_chosen_when_aes_128_gcm_is_not_offered() {
    let mut bytes = rfc("key_config");
    // Offer only (HKDF-SHA256, ChaCha20-Poly1305).
    bytes.truncate(35);
    bytes.extend_from_slice(&[0, 4, 0, 1, 0, 3]);
    let config = KeyConfig::parse(&bytes).unwrap();
    let sealed = encapsulate_with(&config, b"x", &appendix_encap(&config)).unwrap();
    assert_eq!(sealed.request[..7], [1, 0, 0x20, 0, 1, 0, 3]);
    assert_eq!(sealed.opener.aead(), Aead::ChaCha20Poly1305);
    assert_eq!(sealed.opener.to_bytes().len(), OPENER_LEN);
}

#[test]
fn opener_bytes_are_validated() {
    let config = KeyConfig::parse(&rfc("key_config")).unwrap();
    let good = encapsulate(&KeyConfigs::new(vec![config]).unwrap(), b"r")
        .unwrap()
        .opener
        .to_bytes();
    assert!(ResponseOpener::from_bytes(&good).is_ok());
    assert_eq!(
        ResponseOpener::from_bytes(&good[1..]),
        Err(OpenError::OpenerLength {
            expected: OPENER_LEN,
            found: OPENER_LEN - 1
        })
    );
    let mut bad = good.clone();
    bad[0] = 2;
    assert_eq!(
        ResponseOpener::from_bytes(&bad),
        Err(OpenError::OpenerVersion(2))
    );
    let mut bad = good.clone();
    bad[2] = 9;
    assert_eq!(
        ResponseOpener::from_bytes(&bad),
        Err(OpenError::OpenerAead(9))
    );
    let mut bad = good.clone();
    bad[OPENER_LEN - 1] = 1; // AES-128-GCM uses 16 of the 32 secret bytes
    assert_eq!(
        ResponseOpener::from_bytes(&bad),
        Err(OpenError::OpenerPadding)
    );
}

#[test]
fn opener_debug_output_hides_the_secret() {
    let config = KeyConfig::parse(&rfc("key_config")).unwrap();
    let sealed = encapsulate_with(&config, &rfc("request"), &appendix_encap(&config)).unwrap();
    assert_eq!(
        format!("{:?}", sealed.opener),
        "ResponseOpener { aead: Aes128Gcm, .. }"
    );
}
