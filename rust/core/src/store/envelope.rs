//! A checksummed envelope for files Hush writes: magic, length, SHA-256 of the
//! body, body. A torn, truncated or bit-flipped file is detected on load.

use ring::digest;

const DIGEST_LEN: usize = 32;
const HEADER_LEN: usize = 8 + 4 + DIGEST_LEN;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeError {
    #[error("file is truncated")]
    Truncated,
    #[error("file has the wrong magic")]
    WrongMagic,
    #[error("file length does not match its header")]
    WrongLength,
    #[error("file checksum does not match")]
    BadChecksum,
}

pub fn wrap(magic: &[u8; 8], body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(body.len()).expect("bodies are bounded far below 4 GiB");
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(magic);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(digest::digest(&digest::SHA256, body).as_ref());
    out.extend_from_slice(body);
    out
}

pub fn unwrap<'a>(magic: &[u8; 8], file: &'a [u8]) -> Result<&'a [u8], EnvelopeError> {
    if file.len() < HEADER_LEN {
        return Err(EnvelopeError::Truncated);
    }
    if &file[..8] != magic {
        return Err(EnvelopeError::WrongMagic);
    }
    let len = u32::from_be_bytes([file[8], file[9], file[10], file[11]]) as usize;
    let body = &file[HEADER_LEN..];
    if body.len() != len {
        return Err(if body.len() < len {
            EnvelopeError::Truncated
        } else {
            EnvelopeError::WrongLength
        });
    }
    if digest::digest(&digest::SHA256, body).as_ref() != &file[12..HEADER_LEN] {
        return Err(EnvelopeError::BadChecksum);
    }
    Ok(body)
}

/// Size of an envelope around a body of `body_len` bytes.
pub const fn wrapped_len(body_len: usize) -> usize {
    HEADER_LEN + body_len
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: &[u8; 8] = b"HUSHTEST";

    #[test]
    fn round_trip_and_every_corruption_is_detected() {
        let file = wrap(M, b"hello state");
        assert_eq!(file.len(), wrapped_len(11));
        assert_eq!(unwrap(M, &file).unwrap(), b"hello state");
        for cut in 0..file.len() {
            assert!(unwrap(M, &file[..cut]).is_err(), "truncated at {cut}");
        }
        for i in 0..file.len() {
            let mut bad = file.clone();
            bad[i] ^= 0x01;
            assert!(unwrap(M, &bad).is_err(), "flip at {i}");
        }
        let mut long = file.clone();
        long.push(0);
        assert_eq!(unwrap(M, &long), Err(EnvelopeError::WrongLength));
        assert_eq!(unwrap(b"OTHERMAG", &file), Err(EnvelopeError::WrongMagic));
    }
}
