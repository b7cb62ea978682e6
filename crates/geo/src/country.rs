//! [`CountryCode`]: a validated ISO 3166-1 alpha-2 code.

use std::fmt;
use std::str::FromStr;

/// An ISO 3166-1 alpha-2 country code such as `US` or `DE`, always stored in
/// upper case.
///
/// It is two bytes and `Copy`, so per-row lookups can return it without
/// allocating. Validation is syntactic (two ASCII letters), not a check
/// against the ISO list: the registries and MaxMind use user-assigned codes
/// such as `XK` (Kosovo), and rejecting those would lose answers.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Builds a code from two ASCII letters of either case, upper-casing them.
    /// Returns `None` for anything else.
    #[inline]
    pub const fn from_bytes(bytes: [u8; 2]) -> Option<Self> {
        let [a, b] = bytes;
        if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() {
            Some(Self([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
        } else {
            None
        }
    }

    /// Parses a code from a string without allocating; `None` unless the
    /// string is exactly two ASCII letters.
    #[inline]
    pub fn parse(s: &str) -> Option<Self> {
        match *s.as_bytes() {
            [a, b] => Self::from_bytes([a, b]),
            _ => None,
        }
    }

    /// The code as an upper-case `&str`, e.g. `"US"`.
    #[inline]
    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII letters (checked in `from_bytes`), so this
        // cannot fail; the fallback keeps the function panic-free regardless.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// The two upper-case ASCII bytes.
    #[inline]
    pub const fn to_bytes(self) -> [u8; 2] {
        self.0
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl fmt::Debug for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CountryCode({})", self.as_str())
    }
}

/// The string given to [`CountryCode::from_str`] is not two ASCII letters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid country code {input:?}: expected two ASCII letters such as \"US\"")]
pub struct ParseCountryCodeError {
    input: String,
}

impl FromStr for CountryCode {
    type Err = ParseCountryCodeError;

    /// Accepts either case (`"us"` and `"US"` both give `US`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or_else(|| ParseCountryCodeError {
            input: s.to_owned(),
        })
    }
}

impl TryFrom<&str> for CountryCode {
    type Error = ParseCountryCodeError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl AsRef<str> for CountryCode {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl serde::Serialize for CountryCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for CountryCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises_case() {
        assert_eq!("us".parse::<CountryCode>().unwrap().as_str(), "US");
        assert_eq!("De".parse::<CountryCode>().unwrap().to_string(), "DE");
        assert_eq!(CountryCode::parse("JP").unwrap().to_bytes(), *b"JP");
    }

    #[test]
    fn rejects_non_codes() {
        for bad in ["", "U", "USA", "U1", "--", "ü", "Ü1", " US"] {
            assert!(bad.parse::<CountryCode>().is_err(), "{bad:?} accepted");
        }
        let err = "USA".parse::<CountryCode>().unwrap_err();
        assert!(err.to_string().contains("\"USA\""), "{err}");
    }

    #[test]
    fn display_honours_padding() {
        let us = CountryCode::parse("US").unwrap();
        assert_eq!(format!("[{us:>4}]"), "[  US]");
        assert_eq!(format!("{us:?}"), "CountryCode(US)");
    }

    #[test]
    fn serde_round_trip() {
        let us = CountryCode::parse("US").unwrap();
        let json = serde_json::to_string(&us).unwrap();
        assert_eq!(json, "\"US\"");
        assert_eq!(serde_json::from_str::<CountryCode>("\"us\"").unwrap(), us);
        assert!(serde_json::from_str::<CountryCode>("\"USA\"").is_err());
    }
}
