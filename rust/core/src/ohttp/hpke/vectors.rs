//! RFC 9180 known-answer tests: base mode, DHKEM(X25519, HKDF-SHA256),
//! HKDF-SHA256, AEADs 1, 2 and 3, from the official test-vectors.json.
//!
//! ring cannot take a fixed ephemeral scalar, so the DH step of each vector is
//! computed with x25519-dalek (a dev-dependency) and handed to the same
//! [`Encap`] the production path fills from ring; everything after it — the
//! KEM's ExtractAndExpand, the key schedule, Seal, Export — is the production code.

use std::collections::BTreeSet;

use serde::Deserialize;

use super::{key_schedule_base, Encap, HpkeError, SenderContext};
use crate::ohttp::suite::{Aead, Kdf, Kem, Suite};
use crate::ohttp::testutil::{array32, unhex};

#[derive(Deserialize)]
struct Vector {
    mode: u8,
    kem_id: u16,
    kdf_id: u16,
    aead_id: u16,
    info: String,
    #[serde(rename = "skEm")]
    sk_em: String,
    #[serde(rename = "pkEm")]
    pk_em: String,
    #[serde(rename = "pkRm")]
    pk_rm: String,
    enc: String,
    shared_secret: String,
    key: String,
    base_nonce: String,
    exporter_secret: String,
    encryptions: Vec<Encryption>,
    exports: Vec<Export>,
}

#[derive(Deserialize)]
struct Encryption {
    aad: String,
    ct: String,
    pt: String,
}

#[derive(Deserialize)]
struct Export {
    exporter_context: String,
    #[serde(rename = "L")]
    len: usize,
    exported_value: String,
}

fn vectors() -> Vec<Vector> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/hpke-vectors.json");
    let text = std::fs::read_to_string(path).expect("test data present");
    serde_json::from_str(&text).expect("test data is valid JSON")
}

fn suite_of(v: &Vector) -> Suite {
    Suite {
        kem: Kem::from_id(v.kem_id).expect("only supported KEMs in the data"),
        kdf: Kdf::from_id(v.kdf_id).expect("only supported KDFs in the data"),
        aead: Aead::from_id(v.aead_id).expect("only supported AEADs in the data"),
    }
}

/// The vector's encapsulation: DH(skE, pkR) computed outside ring.
fn encap_of(v: &Vector) -> Encap {
    let sk_e = x25519_dalek::StaticSecret::from(array32(&unhex(&v.sk_em)));
    let pk_r = x25519_dalek::PublicKey::from(array32(&unhex(&v.pk_rm)));
    let pk_e = x25519_dalek::PublicKey::from(&sk_e);
    assert_eq!(pk_e.as_bytes().to_vec(), unhex(&v.pk_em), "skE/pkE pair");
    let dh = sk_e.diffie_hellman(&pk_r);
    Encap::from_parts(*pk_e.as_bytes(), *dh.as_bytes())
}

#[test]
fn the_data_covers_every_supported_aead_in_base_mode() {
    let vectors = vectors();
    let aeads: BTreeSet<u16> = vectors.iter().map(|v| v.aead_id).collect();
    assert_eq!(aeads, BTreeSet::from([1, 2, 3]));
    for v in &vectors {
        assert_eq!((v.mode, v.kem_id, v.kdf_id), (0, 0x20, 1));
        assert_eq!(v.encryptions.len(), 257, "every sequence number 0..=256");
        assert!(!v.exports.is_empty());
    }
}

#[test]
fn kem_shared_secret_matches() {
    for v in vectors() {
        let encap = encap_of(&v);
        assert_eq!(encap.enc().to_vec(), unhex(&v.enc));
        let pk_r = array32(&unhex(&v.pk_rm));
        assert_eq!(
            encap.shared_secret(&pk_r).to_vec(),
            unhex(&v.shared_secret),
            "aead {}",
            v.aead_id
        );
    }
}

#[test]
fn key_schedule_matches() {
    for v in vectors() {
        let schedule = key_schedule_base(suite_of(&v), &unhex(&v.shared_secret), &unhex(&v.info));
        assert_eq!(schedule.key, unhex(&v.key), "key, aead {}", v.aead_id);
        assert_eq!(schedule.base_nonce.to_vec(), unhex(&v.base_nonce));
        assert_eq!(schedule.exporter_secret.to_vec(), unhex(&v.exporter_secret));
    }
}

#[test]
fn every_sequence_number_seals_to_the_vector_ciphertext() {
    for v in vectors() {
        let pk_r = array32(&unhex(&v.pk_rm));
        let mut ctx =
            SenderContext::setup_base(suite_of(&v), &pk_r, &unhex(&v.info), &encap_of(&v));
        for (seq, e) in v.encryptions.iter().enumerate() {
            let ct = ctx.seal(&unhex(&e.aad), &unhex(&e.pt)).unwrap();
            assert_eq!(ct, unhex(&e.ct), "aead {} seq {seq}", v.aead_id);
        }
    }
}

#[test]
fn exports_match() {
    for v in vectors() {
        let pk_r = array32(&unhex(&v.pk_rm));
        let ctx = SenderContext::setup_base(suite_of(&v), &pk_r, &unhex(&v.info), &encap_of(&v));
        for e in &v.exports {
            let mut out = vec![0; e.len];
            ctx.export(&unhex(&e.exporter_context), &mut out).unwrap();
            assert_eq!(out, unhex(&e.exported_value), "aead {}", v.aead_id);
        }
    }
}

#[test]
fn sealing_stops_before_the_sequence_number_wraps() {
    let v = &vectors()[0];
    let pk_r = array32(&unhex(&v.pk_rm));
    let mut ctx = SenderContext::setup_base(suite_of(v), &pk_r, &unhex(&v.info), &encap_of(v));
    ctx.seq = u64::MAX - 1;
    assert!(ctx.seal(b"", b"last").is_ok());
    assert_eq!(ctx.seal(b"", b"one too many"), Err(HpkeError::MessageLimit));
}

#[test]
fn export_refuses_more_than_hkdf_can_give() {
    let v = &vectors()[0];
    let pk_r = array32(&unhex(&v.pk_rm));
    let ctx = SenderContext::setup_base(suite_of(v), &pk_r, &unhex(&v.info), &encap_of(v));
    let mut out = vec![0; 255 * 32 + 1];
    assert_eq!(ctx.export(b"", &mut out), Err(HpkeError::ExportTooLong));
}

#[test]
fn ring_encapsulation_agrees_with_an_independent_x25519() {
    // The production path against x25519-dalek as the receiver: pkE from ring,
    // DH(skR, pkE) must give the shared secret ring's side derived.
    let sk_r = x25519_dalek::StaticSecret::from([7u8; 32]);
    let pk_r = *x25519_dalek::PublicKey::from(&sk_r).as_bytes();
    let rng = ring::rand::SystemRandom::new();
    let encap = Encap::generate(&pk_r, &rng).unwrap();
    let dh = sk_r.diffie_hellman(&x25519_dalek::PublicKey::from(*encap.enc()));
    let receiver = Encap::from_parts(*encap.enc(), *dh.as_bytes());
    assert_eq!(encap.shared_secret(&pk_r), receiver.shared_secret(&pk_r));
}

#[test]
fn a_small_order_public_key_is_refused() {
    // The all-zero u-coordinate is a point of order 1 on Curve25519.
    let rng = ring::rand::SystemRandom::new();
    assert!(matches!(
        Encap::generate(&[0; 32], &rng),
        Err(HpkeError::InvalidPublicKey)
    ));
}
