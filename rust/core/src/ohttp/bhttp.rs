//! Binary HTTP (RFC 9292), just what Hush sends and receives: a known-length
//! request out, a known-length response back.
//!
//! Padding (RFC 9292 §3.8): zero bytes may follow a message. Hush pads every
//! report to its size bucket (P9), so the encapsulated request's length says
//! only which bucket the report fell in.

use thiserror::Error;

const KNOWN_LENGTH_REQUEST: u64 = 0;
const KNOWN_LENGTH_RESPONSE: u64 = 1;

/// Why a Binary HTTP response was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BhttpError {
    #[error("binary HTTP message truncated while reading {0}")]
    Truncated(&'static str),
    #[error("binary HTTP framing indicator {0} is not a known-length response (1)")]
    Framing(u64),
    #[error("binary HTTP status code {0} is out of range")]
    Status(u64),
    #[error("binary HTTP field section has an empty field name")]
    EmptyFieldName,
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

/// Decode a known-length response, accepting zero padding after it and the
/// truncation RFC 9292 §3.8 allows (trailing empty sections left out).
pub fn decode_response(bytes: &[u8]) -> Result<Response, BhttpError> {
    let mut r = Reader { bytes, pos: 0 };
    let framing = r.varint("framing indicator")?;
    if framing != KNOWN_LENGTH_RESPONSE {
        return Err(BhttpError::Framing(framing));
    }
    let status = loop {
        let status = r.varint("status code")?;
        match status {
            100..=199 => {
                r.fields()?; // informational response's header section
            }
            200..=599 => break status as u16,
            _ => return Err(BhttpError::Status(status)),
        }
    };
    let headers = r.fields()?.unwrap_or_default();
    let content = if r.at_end() {
        Vec::new()
    } else {
        r.vec("content")?.to_vec()
    };
    r.fields()?; // trailers
    if let Some(i) = r.rest().iter().position(|&b| b != 0) {
        return Err(BhttpError::NonZeroPadding(r.pos + i));
    }
    Ok(Response {
        status,
        headers,
        content,
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

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn rest(&self) -> &'a [u8] {
        &self.bytes[self.pos..]
    }

    fn at_end(&self) -> bool {
        self.pos == self.bytes.len()
    }

    fn take(&mut self, n: u64, what: &'static str) -> Result<&'a [u8], BhttpError> {
        let n = usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.rest().len())
            .ok_or(BhttpError::Truncated(what))?;
        let out = &self.rest()[..n];
        self.pos += n;
        Ok(out)
    }

    fn varint(&mut self, what: &'static str) -> Result<u64, BhttpError> {
        let first = self.take(1, what)?[0];
        let extra = (1usize << (first >> 6)) - 1;
        let mut v = u64::from(first & 0x3f);
        for &b in self.take(extra as u64, what)? {
            v = (v << 8) | u64::from(b);
        }
        Ok(v)
    }

    fn vec(&mut self, what: &'static str) -> Result<&'a [u8], BhttpError> {
        let len = self.varint(what)?;
        self.take(len, what)
    }

    /// A known-length field section, or `None` if the message ends here.
    fn fields(&mut self) -> Result<Option<Vec<(String, String)>>, BhttpError> {
        if self.at_end() {
            return Ok(None);
        }
        let section = self.vec("field section")?;
        let mut r = Reader {
            bytes: section,
            pos: 0,
        };
        let mut fields = Vec::new();
        while !r.at_end() {
            let name = r.vec("field name")?;
            if name.is_empty() {
                return Err(BhttpError::EmptyFieldName);
            }
            let value = r.vec("field value")?;
            fields.push((
                utf8(name, "field name")?.to_owned(),
                utf8(value, "field value")?.to_owned(),
            ));
        }
        Ok(Some(fields))
    }
}

fn utf8<'a>(b: &'a [u8], what: &'static str) -> Result<&'a str, BhttpError> {
    std::str::from_utf8(b).map_err(|_| BhttpError::NotUtf8(what))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_boundaries_round_trip() {
        for v in [
            0,
            63,
            64,
            16383,
            16384,
            (1 << 30) - 1,
            1 << 30,
            (1 << 62) - 1,
        ] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            let expected_len = match v {
                0..64 => 1,
                64..16384 => 2,
                16384..0x4000_0000 => 4,
                _ => 8,
            };
            assert_eq!(out.len(), expected_len, "{v}");
            let mut r = Reader {
                bytes: &out,
                pos: 0,
            };
            assert_eq!(r.varint("v"), Ok(v));
            assert!(r.at_end());
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

    fn response_bytes(status: u64, headers: &[(&str, &str)], content: &[u8]) -> Vec<u8> {
        let mut fields = Vec::new();
        for (n, v) in headers {
            put_vec(&mut fields, n.as_bytes());
            put_vec(&mut fields, v.as_bytes());
        }
        let mut out = Vec::new();
        put_varint(&mut out, KNOWN_LENGTH_RESPONSE);
        put_varint(&mut out, status);
        put_vec(&mut out, &fields);
        put_vec(&mut out, content);
        put_varint(&mut out, 0);
        out
    }

    #[test]
    fn decodes_a_response_with_padding() {
        let mut b = response_bytes(202, &[("retry-after", "60")], b"ok");
        b.extend_from_slice(&[0; 40]);
        let r = decode_response(&b).unwrap();
        assert_eq!(r.status, 202);
        assert_eq!(r.headers, vec![("retry-after".into(), "60".into())]);
        assert_eq!(r.content, b"ok");
    }

    #[test]
    fn decodes_the_rfc9458_minimal_response() {
        // 0140c8: known-length response, status 200, all sections truncated.
        let r = decode_response(&[0x01, 0x40, 0xc8]).unwrap();
        assert_eq!((r.status, r.headers.len(), r.content.len()), (200, 0, 0));
    }

    #[test]
    fn skips_informational_responses() {
        let mut b = vec![0x01];
        put_varint(&mut b, 103);
        let mut fields = Vec::new();
        put_vec(&mut fields, b"link");
        put_vec(&mut fields, b"</a>");
        put_vec(&mut b, &fields);
        b.extend_from_slice(&response_bytes(200, &[], b"done")[1..]);
        let r = decode_response(&b).unwrap();
        assert_eq!((r.status, r.content.as_slice()), (200, &b"done"[..]));
    }

    #[test]
    fn refuses_bad_responses() {
        let good = response_bytes(200, &[("a", "b")], b"body");
        let mut nonzero_pad = good.clone();
        nonzero_pad.extend_from_slice(&[0, 0, 9]);
        assert_eq!(
            decode_response(&nonzero_pad),
            Err(BhttpError::NonZeroPadding(good.len() + 2))
        );
        assert_eq!(
            decode_response(&[]),
            Err(BhttpError::Truncated("framing indicator"))
        );
        assert_eq!(decode_response(&[0x00, 0x00]), Err(BhttpError::Framing(0)));
        assert_eq!(
            decode_response(&[0x01, 0x40, 0x63]),
            Err(BhttpError::Status(99))
        );
        assert_eq!(
            decode_response(&[0x01, 0x42, 0x58]),
            Err(BhttpError::Status(600))
        );
        // Cut inside the content: the length promises more than is there.
        let cut = &good[..good.len() - 3];
        assert_eq!(decode_response(cut), Err(BhttpError::Truncated("content")));
        let mut empty_name = vec![0x01, 0x40, 0xc8];
        put_vec(&mut empty_name, &[0, 1, b'x']);
        assert_eq!(
            decode_response(&empty_name),
            Err(BhttpError::EmptyFieldName)
        );
        let mut bad_utf8 = vec![0x01, 0x40, 0xc8];
        put_vec(&mut bad_utf8, &[1, b'a', 1, 0xff]);
        assert_eq!(
            decode_response(&bad_utf8),
            Err(BhttpError::NotUtf8("field value"))
        );
    }
}
