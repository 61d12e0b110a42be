//! Mapping profiles (`--map FILE`): one national export style's column names,
//! status words, date format, and optionally its encoding and delimiter.
//!
//! ```toml
//! name = "French depot export"
//! date_format = "%d/%m/%Y"
//! encoding = "windows-1252"      # optional; detected otherwise
//! delimiter = ";"                # optional; detected otherwise
//! ignore = ["Observations internes"]   # columns stockpile does not read
//! [columns]
//! "Numéro de série" = "serial"
//! [status]
//! "Disponible" = "FMC"
//! [condition]                    # supply condition codes (SPEC §12)
//! "Gesperrt" = "J"
//! ```

use std::collections::HashMap;
use std::path::Path;

use encoding_rs::Encoding;
use serde::Deserialize;
use toml::Spanned;

use super::columns::{Column, normalize};
use super::dialect::{parse_delimiter, parse_encoding};
use crate::error::ImportError;
use crate::model::{ConditionCode, Status, check_date_format};

#[derive(Debug, Clone, Default)]
pub struct Profile {
    pub name: String,
    pub date_format: Option<String>,
    pub encoding: Option<&'static Encoding>,
    pub delimiter: Option<u8>,
    columns: HashMap<String, Column>,
    statuses: HashMap<String, Status>,
    conditions: HashMap<String, ConditionCode>,
    /// Columns of this export style that stockpile does not read.
    ignore: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    name: Option<String>,
    date_format: Option<Spanned<String>>,
    encoding: Option<Spanned<String>>,
    delimiter: Option<Spanned<String>>,
    #[serde(default)]
    columns: HashMap<String, Spanned<String>>,
    #[serde(default)]
    status: HashMap<String, Spanned<String>>,
    #[serde(default)]
    condition: HashMap<String, Spanned<String>>,
    #[serde(default)]
    ignore: Vec<String>,
}

impl Profile {
    pub fn load(path: &Path) -> Result<Profile, crate::error::Error> {
        let text = crate::textfile::read(path)?;
        Profile::parse(&text, &path.display().to_string()).map_err(Into::into)
    }

    pub fn parse(text: &str, file: &str) -> Result<Profile, ImportError> {
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let err = |offset: usize, message: String| ImportError::Profile {
            file: file.to_string(),
            line: line_of(offset),
            message,
        };
        let raw: RawProfile = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            err(offset, e.message().to_string())
        })?;
        let mut profile = Profile {
            name: raw.name.unwrap_or_else(|| file.to_string()),
            ignore: raw.ignore.iter().map(|n| normalize(n)).collect(),
            ..Profile::default()
        };
        if let Some(f) = raw.date_format {
            check_date_format(f.get_ref()).map_err(|m| err(f.span().start, m))?;
            profile.date_format = Some(f.into_inner());
        }
        if let Some(e) = raw.encoding {
            profile.encoding =
                Some(parse_encoding(e.get_ref()).map_err(|m| err(e.span().start, m))?);
        }
        if let Some(d) = raw.delimiter {
            profile.delimiter =
                Some(parse_delimiter(d.get_ref()).map_err(|m| err(d.span().start, m))?);
        }
        for (source, target) in raw.columns {
            let column = Column::from_name(&normalize(target.get_ref())).ok_or_else(|| {
                err(
                    target.span().start,
                    format!(
                        "\"{}\" is not a stockpile column (expected one of {})",
                        target.get_ref(),
                        Column::ALL.map(Column::name).join(", ")
                    ),
                )
            })?;
            profile.columns.insert(normalize(&source), column);
        }
        for (word, target) in raw.status {
            let status =
                Status::parse(target.get_ref()).map_err(|m| err(target.span().start, m))?;
            profile.statuses.insert(status_key(&word), status);
        }
        for (word, target) in raw.condition {
            let code =
                ConditionCode::parse(target.get_ref()).map_err(|m| err(target.span().start, m))?;
            profile.conditions.insert(status_key(&word), code);
        }
        Ok(profile)
    }

    pub fn column_for(&self, normalized_name: &str) -> Option<Column> {
        self.columns.get(normalized_name).copied()
    }

    pub fn ignores(&self, normalized_name: &str) -> bool {
        self.ignore.iter().any(|n| n == normalized_name)
    }

    pub fn condition_for(&self, word: &str) -> Option<ConditionCode> {
        if self.conditions.is_empty() {
            return None;
        }
        self.conditions.get(&status_key(word)).copied()
    }

    pub fn status_for(&self, word: &str) -> Option<Status> {
        if self.statuses.is_empty() {
            return None;
        }
        self.statuses.get(&status_key(word)).copied()
    }
}

/// Status words compare like the built-in ones: case, dashes and spacing
/// between words do not matter.
fn status_key(word: &str) -> String {
    word.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_names_bad_lines() {
        let p = Profile::parse(
            "name = \"de\"\ndate_format = \"%d.%m.%Y\"\n[columns]\n\"Seriennummer\" = \"serial\"\n[status]\n\"einsatzbereit\" = \"FMC\"\n",
            "de.toml",
        )
        .unwrap();
        assert_eq!(p.column_for("seriennummer"), Some(Column::Serial));
        assert_eq!(p.status_for("Einsatzbereit"), Some(Status::Fmc));

        let e = Profile::parse(
            "[columns]\n\"a\" = \"serial\"\n\"b\" = \"colour\"\n",
            "x.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("x.toml:3:"), "{e}");
        let e = Profile::parse("[status]\n\"ok\" = \"READY\"\n", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("x.toml:2:"), "{e}");
        let e = Profile::parse("date_format = \"%d.%m\"\n", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("x.toml:1:"), "{e}");
    }
}
