//! Free text from outside (descriptions, notes, names, contacts), checked once at the edge with
//! the same rule in every domain.
//!
//! Control characters are refused rather than stripped: PostgreSQL rejects U+0000 in `text`
//! while SQLite stores it, so letting them through makes the two stores disagree (a 500 on one,
//! a stored row on the other). Tab and line breaks are ordinary in a description and stay.

/// Why a text field was refused; `field` names it for the problem answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("{field} is required")]
    Missing { field: String },
    #[error("{field} contains a control character (U+{code:04X}) at character {at}")]
    Control { field: String, code: u32, at: usize },
    #[error("{field} has more than {max} characters")]
    TooLong { field: String, max: usize },
}

impl TextError {
    pub fn field(&self) -> &str {
        match self {
            TextError::Missing { field } | TextError::Control { field, .. } | TextError::TooLong { field, .. } => field,
        }
    }
}

/// The first control character other than tab, CR and LF, with its character index.
pub fn control_char(s: &str) -> Option<(usize, char)> {
    s.chars().enumerate().find(|(_, c)| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// A trimmed, non-empty text of at most `max` characters without control characters.
///
/// ```
/// use sigap::text::{required, TextError};
/// assert_eq!(required("nama", "  Budi ", 50).unwrap(), "Budi");
/// assert!(matches!(required("nama", "  ", 50), Err(TextError::Missing { .. })));
/// assert!(matches!(required("nama", "a\u{0}b", 50), Err(TextError::Control { code: 0, at: 1, .. })));
/// ```
pub fn required<'a>(field: &str, s: &'a str, max: usize) -> Result<&'a str, TextError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(TextError::Missing { field: field.into() });
    }
    if let Some((at, c)) = control_char(t) {
        return Err(TextError::Control { field: field.into(), code: c as u32, at });
    }
    if t.chars().count() > max {
        return Err(TextError::TooLong { field: field.into(), max });
    }
    Ok(t)
}

/// Like [`required`], but absent or blank is `None`.
pub fn optional<'a>(field: &str, s: Option<&'a str>, max: usize) -> Result<Option<&'a str>, TextError> {
    match s.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => required(field, t, max).map(Some),
    }
}
