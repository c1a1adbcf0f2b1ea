//! Oblivious HTTP (RFC 9458) sealing on ring (DESIGN.md P10).
//! TEMPORARY placeholder with the agreed API while branch `crypto` builds it:
//! it refuses to seal, so nothing can be written in clear meanwhile.

#[derive(Debug, thiserror::Error)]
#[error("key configuration: not available yet")]
pub struct KeyConfigError;
#[derive(Debug, thiserror::Error)]
#[error("sealing not available yet")]
pub struct SealError;
#[derive(Debug, thiserror::Error)]
#[error("opening not available yet")]
pub struct OpenError;

#[derive(Debug, Clone)]
pub struct KeyConfigs;
impl KeyConfigs {
    pub fn parse(bytes: &[u8]) -> Result<Self, KeyConfigError> {
        if bytes.is_empty() {
            return Err(KeyConfigError);
        }
        Ok(KeyConfigs)
    }
}
pub struct Encapsulated {
    pub request: Vec<u8>,
    pub opener: ResponseOpener,
}
pub struct ResponseOpener;
impl ResponseOpener {
    pub fn to_bytes(&self) -> Vec<u8> {
        Vec::new()
    }
    pub fn from_bytes(_b: &[u8]) -> Result<Self, OpenError> {
        Err(OpenError)
    }
    pub fn open(&self, _r: &[u8]) -> Result<Vec<u8>, OpenError> {
        Err(OpenError)
    }
}
pub const OPENER_LEN: usize = 0;
pub fn encapsulate(_keys: &KeyConfigs, _bhttp_request: &[u8]) -> Result<Encapsulated, SealError> {
    Err(SealError)
}
pub mod bhttp {
    pub fn encode_request(
        _method: &str,
        _scheme: &str,
        _authority: &str,
        _path: &str,
        _headers: &[(&str, &str)],
        _content: &[u8],
        _pad_to: usize,
    ) -> Vec<u8> {
        Vec::new()
    }
    pub struct Response {
        pub status: u16,
        pub headers: Vec<(String, String)>,
        pub content: Vec<u8>,
    }
    #[derive(Debug, thiserror::Error)]
    #[error("bhttp not available yet")]
    pub struct BhttpError;
    pub fn decode_response(_bytes: &[u8]) -> Result<Response, BhttpError> {
        Err(BhttpError)
    }
}
