//! One record → one validated holding line, or every reason it is invalid.

use chrono::NaiveDate;

use super::columns::{Column, ColumnMap};
use super::profile::Profile;
use crate::error::RowError;
use crate::model::{
    Category, DepotCode, MAX_NOTICE_HOURS, Nation, Nsn, Status, TypeCode, parse_date, parse_hours,
};

pub const MAX_QUANTITY: u32 = 1_000_000_000;
const MAX_CODE_TEXT: usize = 64;
const MAX_REMARKS: usize = 4000;

/// A validated holding line with the snapshot it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    pub depot: DepotCode,
    pub as_of: NaiveDate,
    pub type_code: TypeCode,
    pub nsn: Option<Nsn>,
    pub category: Option<Category>,
    pub status: Status,
    pub quantity: u32,
    pub serial: Option<String>,
    pub owner: Option<Nation>,
    pub notice_hours: Option<u32>,
    pub lot: Option<String>,
    pub expires: Option<NaiveDate>,
    pub last_inspected: Option<NaiveDate>,
    pub remarks: Option<String>,
}

/// What applies to every row of one file.
#[derive(Debug, Clone, Default)]
pub struct RowRules<'a> {
    pub depot: Option<DepotCode>,
    pub as_of: Option<NaiveDate>,
    pub date_format: Option<&'a str>,
    pub profile: Option<&'a Profile>,
}

pub struct Validator<'a> {
    pub map: &'a ColumnMap,
    pub rules: RowRules<'a>,
}

/// True for a record that holds nothing (spreadsheets pad exports with
/// `;;;;` lines); such rows are skipped, not rejected.
pub fn is_blank(record: &csv::StringRecord) -> bool {
    record.iter().all(|f| f.trim().is_empty())
}

impl Validator<'_> {
    pub fn validate(
        &self,
        record: &csv::StringRecord,
        line: u64,
    ) -> Result<Holding, Vec<RowError>> {
        let mut errors = Vec::new();
        if record.len() != self.map.header.len() {
            errors.push(RowError {
                line,
                column: "(row)".into(),
                message: format!(
                    "has {} fields, the header has {} (check for a stray or missing delimiter, or an unclosed quote)",
                    record.len(),
                    self.map.header.len()
                ),
            });
            return Err(errors);
        }
        let field = |c: Column| -> Option<&str> {
            self.map
                .get(c)
                .and_then(|i| record.get(i))
                .map(|s| unneutralised(s.trim()))
                .filter(|s| !is_absent(c, s))
        };
        let mut check = |column: Column, result: Result<(), String>| {
            if let Err(message) = result {
                errors.push(RowError {
                    line,
                    column: self.column_label(column),
                    message,
                });
            }
        };

        let mut depot = None;
        match (field(Column::Depot), &self.rules.depot) {
            (Some(text), given) => check(
                Column::Depot,
                DepotCode::parse(text).and_then(|code| match given {
                    Some(g) if *g != code => Err(format!(
                        "\"{text}\" differs from --depot {g} (remove the option or fix the row)"
                    )),
                    _ => {
                        depot = Some(code);
                        Ok(())
                    }
                }),
            ),
            (None, Some(g)) => depot = Some(g.clone()),
            (None, None) => check(
                Column::Depot,
                Err("is empty (expected a depot code)".into()),
            ),
        }

        let date_format = self
            .rules
            .date_format
            .or_else(|| self.rules.profile.and_then(|p| p.date_format.as_deref()));
        let date = |text: &str| parse_date(text, date_format);

        let mut as_of = None;
        match (field(Column::AsOf), self.rules.as_of) {
            (Some(text), given) => check(
                Column::AsOf,
                date(text).and_then(|d| match given {
                    Some(g) if g != d => Err(format!(
                        "\"{text}\" differs from --as-of {g} (remove the option or fix the row)"
                    )),
                    _ => {
                        as_of = Some(d);
                        Ok(())
                    }
                }),
            ),
            (None, Some(g)) => as_of = Some(g),
            (None, None) => check(
                Column::AsOf,
                Err("is empty (expected the snapshot date)".into()),
            ),
        }

        let mut type_code = None;
        match field(Column::Type) {
            Some(t) => check(
                Column::Type,
                TypeCode::parse(t).map(|c| type_code = Some(c)),
            ),
            None => check(Column::Type, Err("is empty (expected a type code)".into())),
        }

        let mut status = None;
        match field(Column::Status) {
            Some(t) => {
                let parsed = self
                    .rules
                    .profile
                    .and_then(|p| p.status_for(t))
                    .map_or_else(|| Status::parse(t), Ok);
                check(Column::Status, parsed.map(|s| status = Some(s)));
            }
            None => check(
                Column::Status,
                Err("is empty (expected FMC, PMC, NMCM or NMCS)".into()),
            ),
        }

        let serial = field(Column::Serial).map(str::to_string);
        if let Some(s) = &serial {
            check(Column::Serial, code_text(s));
        }

        let mut quantity = 1u32;
        if let Some(t) = field(Column::Quantity) {
            check(
                Column::Quantity,
                parse_quantity(t).and_then(|q| {
                    if serial.is_some() && q != 1 {
                        Err(format!(
                            "is {q} but the row has a serial (a serialized item is one item: quantity must be 1)"
                        ))
                    } else {
                        quantity = q;
                        Ok(())
                    }
                }),
            );
        }

        let mut nsn = None;
        if let Some(t) = field(Column::Nsn) {
            check(
                Column::Nsn,
                not_scientific(t).and_then(|()| Nsn::parse(t).map(|n| nsn = Some(n))),
            );
        }
        let mut category = None;
        if let Some(t) = field(Column::Category) {
            check(
                Column::Category,
                Category::parse(t).map(|c| category = Some(c)),
            );
        }
        let mut owner = None;
        if let Some(t) = field(Column::Owner) {
            check(Column::Owner, Nation::parse(t).map(|n| owner = Some(n)));
        }
        let mut notice_hours = None;
        if let Some(t) = field(Column::NoticeHours) {
            check(
                Column::NoticeHours,
                parse_hours(t, MAX_NOTICE_HOURS).map(|h| notice_hours = Some(h)),
            );
        }
        let lot = field(Column::Lot).map(str::to_string);
        if let Some(l) = &lot {
            check(Column::Lot, code_text(l));
        }
        let mut expires = None;
        if let Some(t) = field(Column::Expires) {
            check(Column::Expires, date(t).map(|d| expires = Some(d)));
        }
        let mut last_inspected = None;
        if let Some(t) = field(Column::LastInspected) {
            check(
                Column::LastInspected,
                date(t).map(|d| last_inspected = Some(d)),
            );
        }
        let remarks = field(Column::Remarks).map(str::to_string);
        if let Some(r) = &remarks {
            check(Column::Remarks, free_text(r, MAX_REMARKS));
        }

        if !errors.is_empty() {
            if let Some(word) = totals_word(record) {
                return Err(vec![RowError {
                    line,
                    column: "(row)".into(),
                    message: format!(
                        "looks like a totals row (\"{word}\"), not a holding: remove it from the export (spreadsheets add one under the data)"
                    ),
                }]);
            }
            return Err(errors);
        }
        match (depot, as_of, type_code, status) {
            (Some(depot), Some(as_of), Some(type_code), Some(status)) => Ok(Holding {
                depot,
                as_of,
                type_code,
                nsn,
                category,
                status,
                quantity,
                serial,
                owner,
                notice_hours,
                lot,
                expires,
                last_inspected,
                remarks,
            }),
            _ => unreachable!("a missing required value is always reported as an error"),
        }
    }

    /// The column as the user wrote it, with the canonical name when they differ.
    fn column_label(&self, column: Column) -> String {
        match self.map.get(column).and_then(|i| self.map.header.get(i)) {
            Some(h) if super::columns::normalize(h) != column.name() => {
                format!("{} ({})", column.name(), h.trim())
            }
            _ => column.name().to_string(),
        }
    }
}

/// An empty cell, or a placeholder in an optional column.
fn is_absent(column: Column, text: &str) -> bool {
    text.is_empty() || (is_optional_code(column) && is_null_marker(text))
}

/// Optional columns whose cells exports fill with a placeholder when there
/// is nothing to say.
fn is_optional_code(c: Column) -> bool {
    matches!(
        c,
        Column::Serial
            | Column::Nsn
            | Column::Category
            | Column::Owner
            | Column::NoticeHours
            | Column::Lot
            | Column::Expires
            | Column::LastInspected
    )
}

/// `-`, `N/A`, `none`, `null`: "nothing here" in many national systems. Never
/// used for required columns or quantity, where it would hide a real gap.
fn is_null_marker(text: &str) -> bool {
    matches!(text, "-" | "–" | "—")
        || ["n/a", "na", "none", "null"]
            .iter()
            .any(|m| text.eq_ignore_ascii_case(m))
}

fn parse_quantity(raw: &str) -> Result<u32, String> {
    let text = crate::model::whole_number(raw);
    let ok = !text.is_empty() && text.len() <= 10 && text.bytes().all(|b| b.is_ascii_digit());
    match text.parse::<u32>() {
        Ok(q) if ok && (1..=MAX_QUANTITY).contains(&q) => Ok(q),
        _ => Err(format!(
            "\"{raw}\" is not a quantity (expected a whole number from 1 to 1000000000)"
        )),
    }
}

/// A cell as exported with a spreadsheet's formula guard removed: the `'`
/// that `export` (and OWASP's rule) puts before `=`, `+`, `-`, `@`, tab or
/// CR, so that an exported remark comes back as it was.
fn unneutralised(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => text,
    }
}

/// A serial or lot: short, one line, and not a number a spreadsheet rewrote.
fn code_text(text: &str) -> Result<(), String> {
    not_scientific(text)?;
    if text.chars().count() > MAX_CODE_TEXT {
        return Err(format!("is longer than {MAX_CODE_TEXT} characters"));
    }
    if text.chars().any(char::is_control) {
        return Err("contains a control character (tab, line break or similar)".into());
    }
    Ok(())
}

/// `1.23456789012346E+16`: a long number a spreadsheet displayed (and saved)
/// in scientific notation. The code's last digits are gone; nothing can
/// recover them, so the row is refused rather than stored wrong.
fn not_scientific(text: &str) -> Result<(), String> {
    let Some((mantissa, exponent)) = text.split_once(['e', 'E']) else {
        return Ok(());
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once(['.', ',']) {
        Some((int, frac)) => digits(int) && digits(frac),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.strip_prefix(['+', '-']).is_some_and(digits);
    if mantissa_ok && exponent_ok {
        return Err(format!(
            "\"{text}\" is a number in scientific notation: a spreadsheet rewrote this code and its digits are lost (format the column as text in the spreadsheet and export again)"
        ));
    }
    Ok(())
}

fn free_text(text: &str, max: usize) -> Result<(), String> {
    if text.chars().count() > max {
        return Err(format!("is longer than {max} characters"));
    }
    // Tab and line ends are text; any other control character could carry
    // a terminal escape sequence into every table that shows the remark.
    if let Some((at, c)) = text
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(format!(
            "contains the control character U+{:04X} at character {} (only tab and line breaks are allowed in text)",
            u32::from(c),
            at + 1
        ));
    }
    Ok(())
}

/// The word that marks a totals row a spreadsheet added under the data, when
/// a cell of the record is one.
fn totals_word(record: &csv::StringRecord) -> Option<String> {
    const WORDS: [&str; 11] = [
        "total",
        "totals",
        "grand total",
        "subtotal",
        "sum",
        "gesamt",
        "summe",
        "total général",
        "razem",
        "suma",
        "totaal",
    ];
    record
        .iter()
        .map(str::trim)
        .find(|cell| {
            let lower = cell.to_lowercase();
            let word = lower.trim_end_matches([':', '.']);
            WORDS.contains(&word)
        })
        .map(str::to_string)
}
