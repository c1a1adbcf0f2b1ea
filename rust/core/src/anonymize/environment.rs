//! The coarse environment a report carries (DESIGN.md P8): app version
//! major.minor, Android API level, UI language without region. Nothing else.

use serde::{Deserialize, Serialize};

/// Lowest and highest Android API levels accepted: 19 is KitKat (below any
/// supported browser); 99 leaves decades of headroom while still catching
/// garbage such as an SDK_INT read from the wrong field.
pub const MIN_ANDROID_API: u32 = 19;
pub const MAX_ANDROID_API: u32 = 99;
const MAX_INPUT_BYTES: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    /// `major.minor`, e.g. `14.2`.
    pub app_version: String,
    pub android_api: u32,
    /// ISO 639 language code, lowercase, no region or script, e.g. `en`.
    pub language: String,
}

/// What was wrong with the input; the input itself is not echoed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvironmentError {
    #[error("app version must start with MAJOR.MINOR (digits, e.g. \"14.2.7-beta\")")]
    AppVersion,
    #[error("Android API level {0} is outside {MIN_ANDROID_API}..={MAX_ANDROID_API}")]
    AndroidApi(u32),
    #[error(
        "locale must start with a 2-3 letter language code (e.g. \"en-US\", \"en_US\", \"en\")"
    )]
    Locale,
}

impl Environment {
    /// Coarsens what the app passes: `"14.2.7-beta+g1"` → `"14.2"`,
    /// `"en-US"`/`"en_US"`/`"EN"` → `"en"`. Anything malformed is an error
    /// rather than a guess.
    pub fn coarse(
        app_version: &str,
        android_api: u32,
        locale: &str,
    ) -> Result<Environment, EnvironmentError> {
        if !(MIN_ANDROID_API..=MAX_ANDROID_API).contains(&android_api) {
            return Err(EnvironmentError::AndroidApi(android_api));
        }
        Ok(Environment {
            app_version: major_minor(app_version).ok_or(EnvironmentError::AppVersion)?,
            android_api,
            language: language(locale).ok_or(EnvironmentError::Locale)?,
        })
    }
}

/// `MAJOR.MINOR` then nothing, or a separator (`.`, `-`, `+`, `_`, space) and
/// printable ASCII. Numbers up to 5 digits; leading zeros normalised.
fn major_minor(version: &str) -> Option<String> {
    if version.len() > MAX_INPUT_BYTES
        || !version.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
    {
        return None;
    }
    let (major, rest) = split_number(version)?;
    let rest = rest.strip_prefix('.')?;
    let (minor, rest) = split_number(rest)?;
    match rest.chars().next() {
        None | Some('.' | '-' | '+' | '_' | ' ') => Some(format!("{major}.{minor}")),
        _ => None,
    }
}

fn split_number(s: &str) -> Option<(u32, &str)> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 5 {
        return None;
    }
    Some((s[..digits].parse().ok()?, &s[digits..]))
}

/// BCP 47 (`en-US`, `zh-Hant-TW`) or Java `Locale.toString()` (`en_US`,
/// `sr_RS_#Latn`): the language subtag, lowercased, legacy Java codes mapped
/// to current ones.
fn language(locale: &str) -> Option<String> {
    if locale.len() > MAX_INPUT_BYTES
        || !locale
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'#'))
    {
        return None;
    }
    let end = locale.find(['-', '_']).unwrap_or(locale.len());
    let (lang, rest) = locale.split_at(end);
    if !(2..=3).contains(&lang.len()) || !lang.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    // A separator must be followed by something.
    if rest.len() == 1 {
        return None;
    }
    let lang = lang.to_ascii_lowercase();
    let current = match lang.as_str() {
        "iw" => "he",
        "in" => "id",
        "ji" => "yi",
        other => other,
    };
    Some(current.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(major_minor("14.2.7-beta+g1").as_deref(), Some("14.2"));
        assert_eq!(major_minor("14.2").as_deref(), Some("14.2"));
        assert_eq!(major_minor("014.02-rc1").as_deref(), Some("14.2"));
        assert_eq!(major_minor("1.0 (build 77)").as_deref(), Some("1.0"));
        for bad in [
            "",
            "14",
            "14.",
            ".2",
            "v14.2",
            "14.2x",
            "14.-2",
            "123456.1",
            "14.2\n",
            "１４.２",
        ] {
            assert_eq!(major_minor(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn languages() {
        for (input, want) in [
            ("en-US", "en"),
            ("en_US", "en"),
            ("EN", "en"),
            ("zh-Hant-TW", "zh"),
            ("sr_RS_#Latn", "sr"),
            ("fil-PH", "fil"),
            ("iw_IL", "he"),
            ("in", "id"),
        ] {
            assert_eq!(language(input).as_deref(), Some(want), "{input:?}");
        }
        for bad in [
            "", "e", "english", "en-", "12-US", "en US", "C.UTF-8", "é", "en-US\0",
        ] {
            assert_eq!(language(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn coarse_checks_everything() {
        let env = Environment::coarse("14.2.7-beta+g1", 34, "en-US").unwrap();
        assert_eq!(
            env,
            Environment {
                app_version: "14.2".into(),
                android_api: 34,
                language: "en".into()
            }
        );
        assert_eq!(
            Environment::coarse("14.2", 18, "en"),
            Err(EnvironmentError::AndroidApi(18))
        );
        assert_eq!(
            Environment::coarse("14.2", 100, "en"),
            Err(EnvironmentError::AndroidApi(100))
        );
        assert_eq!(
            Environment::coarse("x", 34, "en"),
            Err(EnvironmentError::AppVersion)
        );
        assert_eq!(
            Environment::coarse("1.2", 34, "x"),
            Err(EnvironmentError::Locale)
        );
    }

    #[test]
    fn serde_round_trip_has_only_three_fields() {
        let env = Environment::coarse("3.4.3", 29, "id_ID").unwrap();
        let json = serde_json::to_string(&env).unwrap();
        assert_eq!(
            json,
            r#"{"app_version":"3.4","android_api":29,"language":"id"}"#
        );
        assert_eq!(serde_json::from_str::<Environment>(&json).unwrap(), env);
    }
}
