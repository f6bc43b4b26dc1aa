//! Kemendagri area codes, parsed once at the edge so the rest of the code can trust them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Administrative level, from the largest to the smallest the system knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Kota,
    Kecamatan,
    Kelurahan,
    Rw,
}

impl Level {
    pub const ALL: [Level; 4] = [Level::Kota, Level::Kecamatan, Level::Kelurahan, Level::Rw];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Kota => "kota",
            Level::Kecamatan => "kecamatan",
            Level::Kelurahan => "kelurahan",
            Level::Rw => "rw",
        }
    }

    /// Number of dot-separated segments in a code of this level.
    fn segments(self) -> usize {
        match self {
            Level::Kota => 2,
            Level::Kecamatan => 3,
            Level::Kelurahan => 4,
            Level::Rw => 5,
        }
    }

    pub fn parent(self) -> Option<Level> {
        match self {
            Level::Kota => None,
            Level::Kecamatan => Some(Level::Kota),
            Level::Kelurahan => Some(Level::Kecamatan),
            Level::Rw => Some(Level::Kelurahan),
        }
    }

    pub fn child(self) -> Option<Level> {
        match self {
            Level::Kota => Some(Level::Kecamatan),
            Level::Kecamatan => Some(Level::Kelurahan),
            Level::Kelurahan => Some(Level::Rw),
            Level::Rw => None,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Level {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "kota" => Ok(Level::Kota),
            "kecamatan" => Ok(Level::Kecamatan),
            "kelurahan" => Ok(Level::Kelurahan),
            "rw" => Ok(Level::Rw),
            other => Err(CodeError::UnknownLevel(other.to_string())),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CodeError {
    #[error("level `{0}` is not one of kota, kecamatan, kelurahan, rw")]
    UnknownLevel(String),
    #[error("`{0}` is not a Kemendagri area code (expected e.g. 31.71, 31.71.01, 31.71.01.1001 or 31.71.01.1001.008)")]
    Malformed(String),
    #[error("`{0}` is not in DKI Jakarta (province 31)")]
    NotJakarta(String),
}

/// A Kemendagri code of a kota, kecamatan, kelurahan or RW in DKI Jakarta.
///
/// Kept as the dotted text form because that is what every source document and
/// the Citata layers use; the level is implied by the number of segments.
///
/// ```
/// use sigap::wilayah::{AreaCode, Level};
/// let rw = AreaCode::parse("31.71.01.1001.008").unwrap();
/// assert_eq!(rw.level(), Level::Rw);
/// assert_eq!(rw.parent().unwrap().as_str(), "31.71.01.1001");
/// assert!(AreaCode::parse("31.71.1").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AreaCode(String);

impl AreaCode {
    pub fn parse(s: &str) -> Result<AreaCode, CodeError> {
        let s = s.trim();
        let parts: Vec<&str> = s.split('.').collect();
        let widths: &[usize] = match parts.len() {
            2 => &[2, 2],
            3 => &[2, 2, 2],
            4 => &[2, 2, 2, 4],
            5 => &[2, 2, 2, 4, 3],
            _ => return Err(CodeError::Malformed(s.to_string())),
        };
        let well_formed = parts
            .iter()
            .zip(widths)
            .all(|(p, w)| p.len() == *w && p.bytes().all(|b| b.is_ascii_digit()));
        if !well_formed {
            return Err(CodeError::Malformed(s.to_string()));
        }
        if parts[0] != "31" {
            return Err(CodeError::NotJakarta(s.to_string()));
        }
        Ok(AreaCode(s.to_string()))
    }

    /// Parses and checks the code has the expected level.
    pub fn parse_level(s: &str, level: Level) -> Result<AreaCode, CodeError> {
        let code = AreaCode::parse(s)?;
        if code.level() == level {
            Ok(code)
        } else {
            Err(CodeError::Malformed(s.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> Level {
        match self.0.split('.').count() {
            2 => Level::Kota,
            3 => Level::Kecamatan,
            4 => Level::Kelurahan,
            _ => Level::Rw,
        }
    }

    pub fn parent(&self) -> Option<AreaCode> {
        self.level().parent()?;
        let cut = self.0.rfind('.')?;
        Some(AreaCode(self.0[..cut].to_string()))
    }

    /// The ancestor (or self) at `level`, if `level` is not below this code's level.
    pub fn ancestor(&self, level: Level) -> Option<AreaCode> {
        if level > self.level() {
            return None;
        }
        let parts: Vec<&str> = self.0.split('.').take(level.segments()).collect();
        Some(AreaCode(parts.join(".")))
    }

    pub fn is_within(&self, other: &AreaCode) -> bool {
        self.0.len() > other.0.len() && self.0.starts_with(&other.0) && self.0.as_bytes()[other.0.len()] == b'.'
    }
}

impl fmt::Display for AreaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for AreaCode {
    type Error = CodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        AreaCode::parse(&s)
    }
}

impl From<AreaCode> for String {
    fn from(c: AreaCode) -> String {
        c.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_parents() {
        let k = AreaCode::parse("31.71.01.1001").unwrap();
        assert_eq!(k.level(), Level::Kelurahan);
        assert_eq!(k.ancestor(Level::Kota).unwrap().as_str(), "31.71");
        assert_eq!(k.ancestor(Level::Rw), None);
        assert!(k.is_within(&AreaCode::parse("31.71").unwrap()));
        assert!(!AreaCode::parse("31.71").unwrap().is_within(&k));
        assert_eq!(AreaCode::parse("31.71").unwrap().parent(), None);
    }

    #[test]
    fn rejects_bad_codes() {
        for bad in ["", "31", "31.7", "31.71.1", "3171011001", "31.71.01.100a", "31.71.01.1001.8", "32.71"] {
            assert!(AreaCode::parse(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(AreaCode::parse("32.71"), Err(CodeError::NotJakarta("32.71".into())));
    }
}
