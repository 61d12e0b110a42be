//! What the database knows — depot, type and owner codes, the snapshot
//! dates — and the nearest known code to a mistyped one. A filter that
//! matches nothing known, or a date before every snapshot, is refused
//! rather than answered with an empty report: "0 %" for a typo is a figure
//! a commander could brief.

use chrono::NaiveDate;

use crate::db::{self, Db};
use crate::model::{iso, near_miss_key};
use crate::state::Filters;

/// Why a question cannot be answered from what is stored (exit 65).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown(pub String);

impl From<Unknown> for crate::error::Error {
    fn from(u: Unknown) -> Self {
        crate::error::Error::Data(u.0)
    }
}

/// The known code nearest to `code`, when one is near enough to be what
/// was meant: equal once separators and leading zeros are ignored, or
/// within a small edit distance for its length.
pub fn nearest<'a>(code: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let key = near_miss_key(code);
    let limit = (code.chars().count() / 4).clamp(1, 3);
    known
        .into_iter()
        .filter_map(|k| {
            let d = if near_miss_key(k) == key {
                0
            } else {
                strsim::damerau_levenshtein(code, k)
            };
            (d <= limit).then_some((d, k))
        })
        .min()
        .map(|(_, k)| k)
}

/// Whether `code`, unknown, is most likely a typo of `known`: the same
/// once separators and leading zeros are ignored, or a small edit that
/// keeps every number (LEOPRAD-2A6 for LEOPARD-2A6). Codes whose numbers
/// differ name other models (LEOPARD-2A7 is not LEOPARD-2A6 mistyped).
pub fn looks_like_typo(code: &str, known: &str) -> bool {
    if near_miss_key(code) == near_miss_key(known) {
        return true;
    }
    let numbers = |c: &str| -> Vec<String> {
        c.split(|ch: char| !ch.is_ascii_digit())
            .filter(|n| !n.is_empty())
            .map(|n| n.trim_start_matches('0').to_string())
            .collect()
    };
    let limit = (code.chars().count() / 5).clamp(1, 2);
    numbers(code) == numbers(known) && strsim::damerau_levenshtein(code, known) <= limit
}

fn message(what: &str, option: &str, code: &str, known: &[String], list: &str) -> String {
    let hint = match nearest(code, known.iter().map(String::as_str)) {
        Some(n) => format!("; did you mean {n}?"),
        None => String::new(),
    };
    format!(
        "{option}: {code} matches no {what} in the database{hint} ({} known; `stockpile {list}` lists them)",
        known.len()
    )
}

/// Every depot code, sorted.
pub fn depots(conn: &Db) -> db::Result<Vec<String>> {
    conn.rows("SELECT code FROM depot ORDER BY code", &[], |r| r.get(0))
}

/// Every type code, sorted.
pub fn types(conn: &Db) -> db::Result<Vec<String>> {
    conn.rows("SELECT code FROM equipment_type ORDER BY code", &[], |r| {
        r.get(0)
    })
}

/// Refuses a filter code the database has never seen (exit 65 with the
/// nearest known code). Owners are looked for in the holdings, a found one
/// ending the scan at its first row.
pub fn check_filters(conn: &Db, filters: &Filters) -> Result<(), Unknown> {
    let fail = |e: crate::error::DbError| Unknown(e.to_string());
    if !filters.depots.is_empty() {
        let known = depots(conn).map_err(fail)?;
        check_codes("depot", "--depot", &filters.depots, &known, "depots")?;
    }
    if !filters.types.is_empty() {
        let known = types(conn).map_err(fail)?;
        check_codes("type", "--type", &filters.types, &known, "types")?;
    }
    for owner in &filters.owners {
        let held = conn
            .row(
                "SELECT 1 FROM holding_version WHERE owner = ?1 LIMIT 1",
                &[owner],
                |_| Ok(()),
            )
            .map_err(fail)?;
        if held.is_none() {
            let known: Vec<String> = conn
                .rows(
                    "SELECT DISTINCT owner FROM holding_version WHERE owner IS NOT NULL ORDER BY owner",
                    &[],
                    |r| r.get(0),
                )
                .map_err(fail)?;
            return Err(Unknown(format!(
                "--owner: {owner} owns nothing in the database; nations that do: {}",
                known.join(", ")
            )));
        }
    }
    Ok(())
}

/// Refuses any of `codes` not in `known` (sorted).
pub fn check_codes(
    what: &str,
    option: &str,
    codes: &[String],
    known: &[String],
    list: &str,
) -> Result<(), Unknown> {
    for code in codes {
        if known.binary_search(code).is_err() {
            return Err(Unknown(message(what, option, code, known, list)));
        }
    }
    Ok(())
}

/// Refuses a date before every snapshot: nothing was on record then, and
/// an empty report would read as "nothing held".
pub fn check_date(conn: &Db, option: &str, date: Option<NaiveDate>) -> Result<(), Unknown> {
    let Some(date) = date else { return Ok(()) };
    let first: Option<NaiveDate> = conn
        .value("SELECT min(as_of) FROM snapshot", &[])
        .map_err(|e| Unknown(e.to_string()))?;
    match first {
        Some(first) if date < first => Err(Unknown(format!(
            "{option}: {} is before the first snapshot ({}): nothing was on record then",
            iso(date),
            iso(first)
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_finds_what_was_meant() {
        let known = ["DE-AUG-01", "NO-TRD-01", "PL-POW-01"];
        assert_eq!(nearest("PL-POW-1", known), Some("PL-POW-01"));
        assert_eq!(nearest("PL-PWO-01", known), Some("PL-POW-01"));
        assert_eq!(nearest("NOPE-01", known), None);
    }

    #[test]
    fn a_typo_keeps_its_numbers() {
        assert!(looks_like_typo("LEOPRAD-2A6", "LEOPARD-2A6"));
        assert!(looks_like_typo("LEOPARD2A6", "LEOPARD-2A6"));
        assert!(looks_like_typo("PUMAS", "PUMA"));
        assert!(!looks_like_typo("LEOPARD-2A7", "LEOPARD-2A6"));
        assert!(!looks_like_typo("M109A7", "M109A6"));
        assert!(!looks_like_typo("BOXER", "LEOPARD-2A6"));
    }
}
