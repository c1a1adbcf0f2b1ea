//! Binary HTTP (RFC 9292): Hush's own known-length request encoder, and the
//! response decoder, which is Mozilla's `bhttp` crate so that every framing a
//! gateway may answer with is understood: known-length (1) and
//! indeterminate-length (3, what `ohttp-server -n` sends), informational
//! responses, trailers and truncated trailing sections.
//!
//! Padding (RFC 9292 §3.8): zero bytes may follow a message. Hush pads every
//! report to its size bucket (P9), so the encapsulated request's length says
//! only which bucket the report fell in; gateways pad their answers alike.

use std::io::Cursor;

use thiserror::Error;

const KNOWN_LENGTH_REQUEST: u64 = 0;

/// Why a Binary HTTP response was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BhttpError {
    /// Malformed framing, truncation, a status outside 100..=599; the text
    /// is `bhttp`'s and never quotes the message.
    #[error("not a valid binary HTTP message: {0}")]
    Malformed(String),
    #[error("the binary HTTP message is a request, not a response")]
    NotAResponse,
    #[error("binary HTTP {0} is not valid UTF-8")]
    NotUtf8(&'static str),
    #[error("binary HTTP padding has a non-zero byte at offset {0}")]
    NonZeroPadding(usize),
}

/// A decoded final response. Informational (1xx) responses and trailers are
/// checked for well-formedness and dropped: Hush has no use for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub content: Vec<u8>,
}

/// Encode a known-length request, then pad it with zero bytes to `pad_to`
/// bytes (a message already longer than `pad_to` is left unpadded; the caller
/// picks a bucket that fits). Field names are written in lowercase, as HTTP/2
/// and HTTP/3 require; names are case-insensitive, so meaning is unchanged.
pub fn encode_request(
    method: &str,
    scheme: &str,
    authority: &str,
    path: &str,
    headers: &[(&str, &str)],
    content: &[u8],
    pad_to: usize,
) -> Vec<u8> {
    let mut fields = Vec::new();
    for (name, value) in headers {
        put_vec(&mut fields, name.to_ascii_lowercase().as_bytes());
        put_vec(&mut fields, value.as_bytes());
    }
    let mut out = Vec::with_capacity(pad_to.max(64 + fields.len() + content.len()));
    put_varint(&mut out, KNOWN_LENGTH_REQUEST);
    for part in [method, scheme, authority, path] {
        put_vec(&mut out, part.as_bytes());
    }
    put_vec(&mut out, &fields);
    put_vec(&mut out, content);
    put_varint(&mut out, 0); // empty trailer section
    if out.len() < pad_to {
        out.resize(pad_to, 0);
    }
    out
}

/// Decode a response in either framing, accepting zero padding after it.
pub fn decode_response(bytes: &[u8]) -> Result<Response, BhttpError> {
    let mut cursor = Cursor::new(bytes);
    let message = bhttp::Message::read_bhttp(&mut cursor)
        .map_err(|e| BhttpError::Malformed(e.to_string()))?;
    let status = message
        .control()
        .status()
        .ok_or(BhttpError::NotAResponse)?
        .code();
    // `bhttp` stops at the end of the message; what follows must be padding.
    let end = usize::try_from(cursor.position()).unwrap_or(bytes.len());
    if let Some(i) = bytes[end.min(bytes.len())..].iter().position(|&b| b != 0) {
        return Err(BhttpError::NonZeroPadding(end + i));
    }
    let headers = message
        .header()
        .fields()
        .iter()
        .map(|f| {
            Ok((
                utf8(f.name(), "field name")?,
                utf8(f.value(), "field value")?,
            ))
        })
        .collect::<Result<_, BhttpError>>()?;
    Ok(Response {
        status,
        headers,
        content: message.content().to_vec(),
    })
}

/// QUIC variable-length integer (RFC 9000 §16). Lengths in memory are < 2^62.
fn put_varint(out: &mut Vec<u8>, v: u64) {
    match v {
        0..0x40 => out.push(v as u8),
        0x40..0x4000 => out.extend_from_slice(&(v as u16 | 0x4000).to_be_bytes()),
        0x4000..0x4000_0000 => out.extend_from_slice(&(v as u32 | 0x8000_0000).to_be_bytes()),
        _ => out.extend_from_slice(&(v | 0xc000_0000_0000_0000).to_be_bytes()),
    }
}

fn put_vec(out: &mut Vec<u8>, v: &[u8]) {
    put_varint(out, v.len() as u64);
    out.extend_from_slice(v);
}

fn utf8(b: &[u8], what: &'static str) -> Result<String, BhttpError> {
    String::from_utf8(b.to_vec()).map_err(|_| BhttpError::NotUtf8(what))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_match_rfc9000_examples() {
        // RFC 9000 Appendix A.1, plus each length boundary.
        for (v, hex) in [
            (37, "25"),
            (63, "3f"),
            (64, "4040"),
            (15_293, "7bbd"),
            (16_383, "7fff"),
            (16_384, "80004000"),
            (494_878_333, "9d7f3e7d"),
            (151_288_809_941_952_652, "c2197c5eff14e88c"),
        ] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(out, crate::ohttp::testutil::unhex(hex), "{v}");
        }
    }

    #[test]
    fn rfc9458_appendix_a_request_encodes_byte_for_byte() {
        // GET https://example.com/ with nothing else: RFC 9458 Appendix A
        // leaves out the empty trailing sections, which RFC 9292 §3.8 allows;
        // we always write them.
        let ours = encode_request("GET", "https", "example.com", "/", &[], b"", 0);
        let rfc =
            crate::ohttp::testutil::unhex("00034745540568747470730b6578616d706c652e636f6d012f");
        assert_eq!(ours[..rfc.len()], rfc[..]);
        assert_eq!(ours[rfc.len()..], [0, 0, 0]);
    }

    #[test]
    fn requests_decode_with_mozillas_bhttp() {
        let body = vec![7; 20_000]; // a 4-byte length varint
        let m = encode_request(
            "POST",
            "https",
            "c.invalid",
            "/r",
            &[("Content-Type", "x/y")],
            &body,
            32_768,
        );
        let mut cursor = Cursor::new(&m[..]);
        let decoded = bhttp::Message::read_bhttp(&mut cursor).unwrap();
        assert_eq!(decoded.control().method(), Some(&b"POST"[..]));
        assert_eq!(decoded.control().authority(), Some(&b"c.invalid"[..]));
        assert_eq!(decoded.header().get(b"content-type"), Some(&b"x/y"[..]));
        assert_eq!(decoded.content(), body);
        assert!(m[cursor.position() as usize..].iter().all(|&b| b == 0));
    }

    #[test]
    fn padding_fills_to_the_bucket_and_never_truncates() {
        let short = encode_request("POST", "https", "c.invalid", "/r", &[], b"x", 0);
        let padded = encode_request("POST", "https", "c.invalid", "/r", &[], b"x", 256);
        assert_eq!(padded.len(), 256);
        assert_eq!(padded[..short.len()], short[..]);
        assert!(padded[short.len()..].iter().all(|&b| b == 0));
        let long = encode_request("POST", "https", "c.invalid", "/r", &[], &[7; 300], 256);
        assert!(long.len() > 256);
        assert_eq!(long[long.len() - 301..long.len() - 1], [7; 300]);
    }

    #[test]
    fn header_names_are_lowercased() {
        let m = encode_request("GET", "https", "a", "/", &[("Content-Type", "X")], b"", 0);
        assert!(m.windows(12).any(|w| w == b"content-type"));
        assert!(m.windows(1).any(|w| w == b"X"));
    }

    /// A response as Mozilla's `bhttp` writes it, in `mode`.
    fn response(
        mode: bhttp::Mode,
        status: u16,
        headers: &[(&str, &str)],
        content: &[u8],
    ) -> Vec<u8> {
        let mut m = bhttp::Message::response(bhttp::StatusCode::try_from(status).unwrap());
        for (n, v) in headers {
            m.put_header(*n, *v);
        }
        m.write_content(content);
        let mut out = Vec::new();
        m.write_bhttp(mode, &mut out).unwrap();
        out
    }

    const MODES: [bhttp::Mode; 2] = [bhttp::Mode::KnownLength, bhttp::Mode::IndeterminateLength];

    #[test]
    fn both_framings_decode_with_padding() {
        for mode in MODES {
            let mut b = response(mode, 202, &[("retry-after", "60")], b"ok");
            assert_eq!(
                b[0],
                if mode == bhttp::Mode::KnownLength {
                    1
                } else {
                    3
                }
            );
            b.extend_from_slice(&[0; 40]);
            let r = decode_response(&b).unwrap();
            assert_eq!(r.status, 202, "{mode:?}");
            assert_eq!(r.headers, vec![("retry-after".into(), "60".into())]);
            assert_eq!(r.content, b"ok");
        }
    }

    #[test]
    fn an_indeterminate_length_answer_in_several_chunks() {
        // Framing 3 as RFC 9292 §3.2 writes it: chunks of content, each with
        // its length, a zero-length chunk, then an empty trailer section.
        let mut b = vec![0x03, 0x40, 0xc8]; // framing 3, status 200
        b.extend_from_slice(&[0x01, b'a', 0x01, b'b', 0x00]); // field "a: b", end of fields
        b.extend_from_slice(&[0x02, b'h', b'i', 0x03, b' ', b'y', b'o', 0x00]); // two chunks
        b.extend_from_slice(&[0x00]); // no trailers
        b.extend_from_slice(&[0; 9]);
        let r = decode_response(&b).unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.headers, vec![("a".into(), "b".into())]);
        assert_eq!(r.content, b"hi yo");
    }

    #[test]
    fn decodes_the_rfc9458_minimal_response() {
        // 0140c8: known-length response, status 200, all sections truncated.
        let r = decode_response(&[0x01, 0x40, 0xc8]).unwrap();
        assert_eq!((r.status, r.headers.len(), r.content.len()), (200, 0, 0));
    }

    #[test]
    fn skips_informational_responses_and_trailers() {
        for mode in MODES {
            let mut m = bhttp::Message::response(bhttp::StatusCode::try_from(200u16).unwrap());
            m.write_content(b"done");
            m.put_trailer("t", "1");
            let mut final_part = Vec::new();
            m.write_bhttp(mode, &mut final_part).unwrap();
            // An informational 103 with a field, before the final response.
            let mut b = vec![final_part[0], 0x40, 0x67];
            let mut field = vec![4];
            field.extend_from_slice(b"link");
            field.push(4);
            field.extend_from_slice(b"</a>");
            if mode == bhttp::Mode::KnownLength {
                b.push(field.len() as u8);
                b.extend_from_slice(&field);
            } else {
                b.extend_from_slice(&field);
                b.push(0);
            }
            b.extend_from_slice(&final_part[1..]);
            let r = decode_response(&b).unwrap();
            assert_eq!(
                (r.status, r.content.as_slice()),
                (200, &b"done"[..]),
                "{mode:?}"
            );
        }
    }

    #[test]
    fn refuses_bad_responses() {
        let good = response(bhttp::Mode::KnownLength, 200, &[("a", "b")], b"body");
        let mut nonzero_pad = good.clone();
        nonzero_pad.extend_from_slice(&[0, 0, 9]);
        assert_eq!(
            decode_response(&nonzero_pad),
            Err(BhttpError::NonZeroPadding(good.len() + 2))
        );
        let request = encode_request("POST", "https", "c", "/", &[], b"", 0);
        assert_eq!(decode_response(&request), Err(BhttpError::NotAResponse));
        for bad in [
            &[][..],
            &[0x05],             // no such framing
            &[0x01, 0x40, 0x63], // status 99
            &[0x01, 0x42, 0x58], // status 600
            &[0x03, 0x40],       // cut inside the status
            &good[..good.len() - 3],
        ] {
            assert!(
                matches!(decode_response(bad), Err(BhttpError::Malformed(_))),
                "{bad:02x?}"
            );
        }
        let bad_utf8 = response(bhttp::Mode::KnownLength, 200, &[], b"");
        let mut m = bhttp::Message::response(bhttp::StatusCode::try_from(200u16).unwrap());
        m.put_header(b"a".to_vec(), vec![0xff]);
        let mut b = Vec::new();
        m.write_bhttp(bhttp::Mode::KnownLength, &mut b).unwrap();
        assert_ne!(b, bad_utf8);
        assert_eq!(decode_response(&b), Err(BhttpError::NotUtf8("field value")));
    }
}
