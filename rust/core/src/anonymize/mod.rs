//! On-device anonymization (DESIGN.md P5-P9). TEMPORARY minimal version so the
//! core compiles while the real anonymizer is built on branch `anon`.

use serde::{Deserialize, Serialize};

const ALLOW: &[&str] = &["other", "example.com", "google.com", "wikipedia.org"];
const ENGINES: &[&str] = &["other", "google", "bing", "duckduckgo"];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainLabel(u32);
impl DomainLabel {
    pub const OTHER: DomainLabel = DomainLabel(0);
    pub fn as_str(self) -> &'static str {
        ALLOW[self.0 as usize]
    }
}
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EngineLabel(u16);
impl EngineLabel {
    pub const OTHER: EngineLabel = EngineLabel(0);
    pub fn as_str(self) -> &'static str {
        ENGINES[self.0 as usize]
    }
}
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DropReason {
    NotHttp,
    InvalidUtf8,
}
impl DropReason {
    pub const ALL: &'static [DropReason] = &[DropReason::NotHttp, DropReason::InvalidUtf8];
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::NotHttp => "not_http",
            DropReason::InvalidUtf8 => "invalid_utf8",
        }
    }
}
pub enum PageOutcome {
    Domain(DomainLabel),
    Dropped(DropReason),
}
pub enum SearchOutcome {
    Engine(EngineLabel),
    Dropped(DropReason),
}
#[derive(Serialize)]
pub struct Explanation {
    pub registrable_domain: Option<String>,
    pub reported: Option<String>,
    pub reason: &'static str,
}
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
pub struct Environment {
    pub app_version: String,
    pub android_api: u32,
    pub language: String,
}
#[derive(Debug, thiserror::Error)]
#[error("bad environment")]
pub struct EnvironmentError;
impl Environment {
    pub fn coarse(
        app_version: &str,
        android_api: u32,
        locale: &str,
    ) -> Result<Environment, EnvironmentError> {
        let mut v = app_version.split('.');
        let app_version = format!(
            "{}.{}",
            v.next().ok_or(EnvironmentError)?,
            v.next().ok_or(EnvironmentError)?
        );
        let language = locale
            .split(['-', '_'])
            .next()
            .ok_or(EnvironmentError)?
            .to_ascii_lowercase();
        Ok(Environment {
            app_version,
            android_api,
            language,
        })
    }
}
pub struct Anonymizer;
static SHIPPED: Anonymizer = Anonymizer;
impl Anonymizer {
    pub fn shipped() -> &'static Anonymizer {
        &SHIPPED
    }
    fn host(url: &[u8]) -> Result<&str, DropReason> {
        let s = std::str::from_utf8(url).map_err(|_| DropReason::InvalidUtf8)?;
        let rest = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .ok_or(DropReason::NotHttp)?;
        Ok(rest.split(['/', '?', '#']).next().unwrap_or(""))
    }
    pub fn page(&self, url: &[u8]) -> PageOutcome {
        match Self::host(url) {
            Err(r) => PageOutcome::Dropped(r),
            Ok(h) => {
                let h = h.strip_prefix("www.").unwrap_or(h);
                PageOutcome::Domain(self.domain_label(h).unwrap_or(DomainLabel::OTHER))
            }
        }
    }
    pub fn search(&self, url: &[u8]) -> SearchOutcome {
        match Self::host(url) {
            Err(r) => SearchOutcome::Dropped(r),
            Ok(h) => SearchOutcome::Engine(
                ENGINES
                    .iter()
                    .position(|e| h.contains(e))
                    .map(|i| EngineLabel(i as u16))
                    .unwrap_or(EngineLabel::OTHER),
            ),
        }
    }
    pub fn domain_label(&self, reported: &str) -> Option<DomainLabel> {
        ALLOW
            .iter()
            .position(|d| *d == reported)
            .map(|i| DomainLabel(i as u32))
    }
    pub fn engine_label(&self, name: &str) -> Option<EngineLabel> {
        ENGINES
            .iter()
            .position(|d| *d == name)
            .map(|i| EngineLabel(i as u16))
    }
}
