//! Java strings in, strictly. jni-rs converts through modified UTF-8 and
//! replaces a lone surrogate with U+FFFD; a URL so "repaired" would be
//! recorded as something the page never was. Here the UTF-16 code units are
//! read as they are and any unpaired surrogate is an `IllegalArgumentException`.
//! The UTF-8 copy is zeroed when dropped, so no URL outlives the call even in
//! freed memory (P5).
#![allow(unsafe_code)]

use jni::objects::JString;
use jni::Env;

use crate::error::{BridgeError, Result};

/// Longest URL taken, in UTF-16 units: Chrome's own URL limit (2 MiB).
pub const MAX_URL: usize = 2 * 1024 * 1024;
/// Metric names and labels are at most 64 bytes in a valid schema.
pub const MAX_NAME: usize = 256;
/// Paths, versions, locales, endpoint URLs.
pub const MAX_SETTING: usize = 4096;
/// A schema file.
pub const MAX_SCHEMA: usize = 1024 * 1024;

/// UTF-8 text from Java, zeroed on drop.
pub struct Utf8(String);

impl Utf8 {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl Drop for Utf8 {
    fn drop(&mut self) {
        let mut bytes = std::mem::take(&mut self.0).into_bytes();
        bytes.fill(0);
        std::hint::black_box(&bytes);
    }
}

/// Reads `s` as strict UTF-16 into UTF-8. `what` names the argument in the
/// exception message (never its value).
pub fn read(env: &Env, s: &JString, max_units: usize, what: &'static str) -> Result<Utf8> {
    if s.is_null() {
        return Err(BridgeError::bad_argument(format!("{what} is null")));
    }
    let raw = env.get_raw();
    // SAFETY: `raw` is this thread's live JNIEnv; `s` is a non-null local
    // reference to a java.lang.String valid for this native call; no
    // exception is pending (the edge runs bodies only on entry from Java and
    // every earlier JNI call in a body checks). GetStringLength cannot throw.
    let len = unsafe { ((**raw).v1_1.GetStringLength)(raw, s.as_raw()) };
    let len = usize::try_from(len).unwrap_or(0);
    if len > max_units {
        return Err(BridgeError::bad_argument(format!(
            "{what} is longer than {max_units} characters"
        )));
    }
    let mut stack = [0u16; 512];
    let mut heap = Vec::new();
    let units: &mut [u16] = if len <= stack.len() {
        &mut stack[..len]
    } else {
        heap.resize(len, 0);
        &mut heap
    };
    // SAFETY: as above; `units` has exactly `len` elements, the string's
    // length (Java strings are immutable), so the region [0, len) is in
    // bounds and the JVM writes only into our buffer.
    unsafe {
        ((**raw).v1_2.GetStringRegion)(raw, s.as_raw(), 0, len as i32, units.as_mut_ptr());
    }
    if env.exception_check() {
        return Err(BridgeError::bad_argument(format!(
            "{what} could not be read"
        )));
    }
    let decoded = decode_strict(units);
    units.fill(0);
    std::hint::black_box(&units);
    decoded.map(Utf8).ok_or_else(|| {
        BridgeError::bad_argument(format!("{what} is not valid UTF-16 (unpaired surrogate)"))
    })
}

/// Like [`read`], and empty is an error too.
pub fn read_non_empty(
    env: &Env,
    s: &JString,
    max_units: usize,
    what: &'static str,
) -> Result<Utf8> {
    let text = read(env, s, max_units, what)?;
    if text.as_str().is_empty() {
        return Err(BridgeError::bad_argument(format!("{what} is empty")));
    }
    Ok(text)
}

/// `None` for a null reference, else [`read`].
pub fn read_optional(
    env: &Env,
    s: &JString,
    max_units: usize,
    what: &'static str,
) -> Result<Option<Utf8>> {
    if s.is_null() {
        return Ok(None);
    }
    read(env, s, max_units, what).map(Some)
}

/// UTF-16 to UTF-8; `None` on an unpaired surrogate.
fn decode_strict(units: &[u16]) -> Option<String> {
    if units.iter().all(|u| *u < 0x80) {
        // ASCII, the common case for URLs: one pass, no surrogate logic.
        return Some(units.iter().map(|u| *u as u8 as char).collect());
    }
    let mut out = String::with_capacity(units.len() * 3);
    for c in char::decode_utf16(units.iter().copied()) {
        match c {
            Ok(c) => out.push(c),
            Err(_) => {
                // Refused, but what was decoded so far is part of a URL:
                // zero it as `Utf8` would.
                drop(Utf8(out));
                return None;
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::decode_strict;

    #[test]
    fn decodes_valid_utf16_and_rejects_lone_surrogates() {
        let ascii: Vec<u16> = "https://example.com/".encode_utf16().collect();
        assert_eq!(decode_strict(&ascii).unwrap(), "https://example.com/");
        let wide: Vec<u16> = "https://例え.jp/😀".encode_utf16().collect();
        assert_eq!(decode_strict(&wide).unwrap(), "https://例え.jp/😀");
        assert_eq!(decode_strict(&[]).unwrap(), "");
        for bad in [
            vec![0x68, 0xD800],           // high surrogate at the end
            vec![0xDC00, 0x68],           // low surrogate first
            vec![0xD800, 0xD800, 0xDC00], // high followed by a pair
        ] {
            assert!(decode_strict(&bad).is_none(), "{bad:x?}");
        }
    }
}
