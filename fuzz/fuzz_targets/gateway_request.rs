//! The request path of `hush serve` (the leader's OHTTP gateway), without
//! the network. Arbitrary bytes as an encapsulated request, to both gateway
//! implementations (Mozilla's `ohttp` for a keygen'd key, the raw-key one
//! for the RFC 9458 key), and as the decrypted Binary HTTP request, to what
//! the gateway forwards to the leader (`InnerRequest`). Then the round
//! trip: the bytes the client seals open to the same bytes, so the leader
//! is sent what the client meant; and any answer the leader can give comes
//! back sealed, opens at the client with its status, content type and
//! content, and seals to one size (P9).
#![no_main]

use hush_cli::gateway::{self, Gateway};
use hush_cli::serve::forward::{InnerRequest, InnerResponse};
use hush_cli::serve::http::sealed_answer;
use hush_core::ohttp::bhttp::decode_response;
use hush_core::ohttp::{encapsulate, KeyConfigs};
use hush_fuzz::{keygen_gateway, rfc9458_gateway, rfc9458_keys};
use libfuzzer_sys::fuzz_target;

thread_local! {
    static GATEWAYS: [(Gateway, KeyConfigs); 2] = [keygen_gateway(), (rfc9458_gateway(), rfc9458_keys())];
}

/// What the gateway forwards for a decrypted request, or `None` when it
/// answers 400 itself (not Binary HTTP).
fn forwarded(inner: &[u8]) -> Option<InnerRequest> {
    gateway::decode_request(inner)
        .ok()
        .map(|m| InnerRequest::from_bhttp(&m))
}

/// An answer of the leader made of the input: any status, a content type
/// and content of bounded length, perhaps a `Retry-After`.
fn answer(data: &[u8]) -> InnerResponse {
    let at = |i: usize| data.get(i).copied().unwrap_or(0);
    let status = 200 + u16::from_le_bytes([at(0), at(1)]) % 400;
    let ct_len = usize::from(at(2)) % 65;
    let content_type: Vec<u8> = data
        .iter()
        .skip(4)
        .take(ct_len)
        .map(|b| b"abcdefghijklmnopqrstuvwxyz/+-.;= 0123456789"[usize::from(*b) % 43])
        .collect();
    let body: Vec<u8> = data.iter().skip(4 + ct_len).take(512).copied().collect();
    let retry_after = (at(3) % 2 == 1).then(|| u64::from(at(3)));
    InnerResponse {
        status,
        content_type,
        body,
        retry_after,
    }
}

fuzz_target!(|data: &[u8]| {
    let direct = forwarded(data);
    if let Some(r) = &direct {
        assert!(r.body.len() <= data.len());
    }
    let leader_answer = answer(data);
    GATEWAYS.with(|gateways| {
        for (gw, keys) in gateways {
            // Whatever arrives is opened or refused, never a panic.
            if let Ok((inner, _)) = gw.open_request(data) {
                let _ = forwarded(&inner);
            }
            let sealed = encapsulate(keys, data).expect("seal");
            let (inner, handle) = gw.open_request(&sealed.request).expect("open");
            assert_eq!(inner, data);
            assert_eq!(forwarded(&inner), direct);

            let bytes = sealed_answer(handle, &leader_answer).expect("seal the answer");
            let opened = sealed
                .opener
                .open(&bytes)
                .expect("the client opens the answer");
            let response = decode_response(&opened).expect("binary HTTP");
            assert_eq!(response.status, leader_answer.status);
            assert_eq!(response.content, leader_answer.body);
            let content_type = response
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
                .map(|(_, v)| v.as_bytes().to_vec())
                .unwrap_or_default();
            assert_eq!(content_type, leader_answer.content_type);

            // One size: the gateway's own refusal seals to the same length.
            let again = encapsulate(keys, data).expect("seal");
            let (_, handle) = gw.open_request(&again.request).expect("open");
            let own = InnerResponse::text(400, "not a binary HTTP request");
            let reference = sealed_answer(handle, &own).expect("seal the answer");
            assert_eq!(bytes.len(), reference.len(), "an answer's size tells");
        }
    });
});
