//! Primitive arguments from Java, checked.

use crate::error::{BridgeError, Result};

/// A Java `long` that must be a count or a duration (not negative).
pub fn non_negative(value: i64, what: &'static str) -> Result<u64> {
    u64::try_from(value)
        .map_err(|_| BridgeError::bad_argument(format!("{what} must not be negative")))
}

/// A Java `int` metric index; the registry checks it against the schema.
pub fn index(value: i32) -> Result<usize> {
    usize::try_from(value).map_err(|_| BridgeError::bad_argument("unknown metric"))
}

/// A Java `int` that means "absent" when negative.
pub fn optional_i64(value: i64) -> Option<u64> {
    u64::try_from(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negatives_are_rejected_or_absent() {
        assert_eq!(non_negative(5, "n").unwrap(), 5);
        assert!(non_negative(-1, "n").is_err());
        assert!(index(-1).is_err());
        assert_eq!(optional_i64(-1), None);
        assert_eq!(optional_i64(1500), Some(1500));
    }
}
