//! Interoperability with Mozilla's `ohttp` and `bhttp` crates: the ring client
//! seals, an independent implementation opens, and back.

use std::io::Cursor;

use ::ohttp::hpke::{Aead as MozAead, Kdf as MozKdf, Kem as MozKem};
use hush_core::ohttp::{self, bhttp, encapsulate, KeyConfigs, ResponseOpener, OPENER_LEN};

/// splitmix64: reproducible "random" payloads without another dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// A Mozilla gateway offering exactly one AEAD, and our parse of its key list.
fn gateway(key_id: u8, aead: MozAead) -> (::ohttp::Server, KeyConfigs) {
    let config = ::ohttp::KeyConfig::new(
        key_id,
        MozKem::X25519Sha256,
        vec![::ohttp::SymmetricSuite::new(MozKdf::HkdfSha256, aead)],
    )
    .unwrap();
    let list = ::ohttp::KeyConfig::encode_list(&[&config]).unwrap();
    let keys = KeyConfigs::parse(&list).unwrap();
    assert_eq!(keys.encode(), list, "we re-encode Mozilla's list exactly");
    (::ohttp::Server::new(config).unwrap(), keys)
}

const AEADS: [(MozAead, ohttp::Aead); 2] = [
    (MozAead::Aes128Gcm, ohttp::Aead::Aes128Gcm),
    (MozAead::ChaCha20Poly1305, ohttp::Aead::ChaCha20Poly1305),
];

#[test]
fn a_thousand_random_requests_open_with_mozilla_and_responses_open_with_ring() {
    let mut rng = Rng(0x5eed);
    for (i, (moz_aead, our_aead)) in AEADS.iter().cycle().take(1000).enumerate() {
        let (server, keys) = gateway(i as u8, *moz_aead);
        let len = (rng.next() % (8 * 1024 + 1)) as usize;
        let payload = rng.bytes(len);

        let sealed = encapsulate(&keys, &payload).unwrap();
        assert_eq!(sealed.request.len(), ohttp::encapsulated_len(payload.len()));
        assert_eq!(sealed.request[6], our_aead.id() as u8);
        let (opened, server_response) = server.decapsulate(&sealed.request).unwrap();
        assert_eq!(opened, payload, "request {i}");

        // The opener survives a trip through disk, as after a process restart.
        let stored = sealed.opener.to_bytes();
        assert_eq!(stored.len(), OPENER_LEN);
        let opener = ResponseOpener::from_bytes(&stored).unwrap();
        let len = (rng.next() % 512) as usize;
        let answer = rng.bytes(len);
        let encapsulated_response = server_response.encapsulate(&answer).unwrap();
        assert_eq!(
            opener.open(&encapsulated_response).unwrap(),
            answer,
            "response {i}"
        );
    }
}

#[test]
fn every_single_byte_change_or_truncation_is_refused_by_mozilla() {
    let mut rng = Rng(7);
    for (moz_aead, _) in AEADS {
        for len in [0, 1, 300] {
            let (server, keys) = gateway(3, moz_aead);
            let payload = rng.bytes(len);
            let request = encapsulate(&keys, &payload).unwrap().request;
            assert!(server.decapsulate(&request).is_ok());
            for pos in 0..request.len() {
                for flip in [0x01, 0x80] {
                    let mut bad = request.clone();
                    bad[pos] ^= flip;
                    assert!(
                        server.decapsulate(&bad).is_err(),
                        "{moz_aead:?} len {len}: flipping {flip:#x} at byte {pos} went unnoticed"
                    );
                }
            }
            for cut in 0..request.len() {
                assert!(server.decapsulate(&request[..cut]).is_err(), "cut at {cut}");
            }
        }
    }
}

#[test]
fn a_response_for_another_request_is_refused() {
    let (server, keys) = gateway(1, MozAead::Aes128Gcm);
    let first = encapsulate(&keys, b"one").unwrap();
    let second = encapsulate(&keys, b"two").unwrap();
    let (_, response_to_second) = server.decapsulate(&second.request).unwrap();
    let answer = response_to_second.encapsulate(b"for two").unwrap();
    assert_eq!(second.opener.open(&answer).unwrap(), b"for two");
    assert_eq!(
        first.opener.open(&answer),
        Err(ohttp::OpenError::Authentication)
    );
}

#[test]
fn mozilla_bhttp_reads_our_padded_request() {
    let headers = [("Content-Type", "application/json"), ("x-hush", "1")];
    let content = br#"{"day":"2026-05-01","counters":{}}"#;
    let unpadded = bhttp::encode_request(
        "POST",
        "https",
        "collector.invalid",
        "/report",
        &headers,
        content,
        0,
    );
    let padded = bhttp::encode_request(
        "POST",
        "https",
        "collector.invalid",
        "/report",
        &headers,
        content,
        1024,
    );
    assert_eq!(padded.len(), 1024);

    let mut cursor = Cursor::new(&padded[..]);
    let msg = ::bhttp::Message::read_bhttp(&mut cursor).unwrap();
    let control = msg.control();
    assert_eq!(control.method(), Some(&b"POST"[..]));
    assert_eq!(control.scheme(), Some(&b"https"[..]));
    assert_eq!(control.authority(), Some(&b"collector.invalid"[..]));
    assert_eq!(control.path(), Some(&b"/report"[..]));
    assert_eq!(
        msg.header().get(b"content-type"),
        Some(&b"application/json"[..])
    );
    assert_eq!(msg.header().get(b"x-hush"), Some(&b"1"[..]));
    assert_eq!(msg.content(), content);
    // bhttp 0.8 stops reading where the message ends and leaves the padding
    // unread (it neither rejects nor checks it): the gateway must check that
    // the rest is zeros itself.
    assert_eq!(cursor.position() as usize, unpadded.len());
}

#[test]
fn we_read_a_response_written_by_mozilla_bhttp() {
    let mut msg = ::bhttp::Message::response(::bhttp::StatusCode::try_from(202u16).unwrap());
    msg.put_header("retry-after", "3600");
    msg.write_content(b"accepted");
    let mut bytes = Vec::new();
    msg.write_bhttp(::bhttp::Mode::KnownLength, &mut bytes)
        .unwrap();
    bytes.extend_from_slice(&[0; 17]);
    let r = bhttp::decode_response(&bytes).unwrap();
    assert_eq!(r.status, 202);
    assert_eq!(
        r.headers,
        vec![("retry-after".to_string(), "3600".to_string())]
    );
    assert_eq!(r.content, b"accepted");
}
