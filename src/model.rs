//! Domain values. Each parses itself from export text and can only hold a
//! valid value, so the store never sees an unchecked string.
//!
//! Parse errors are the human half of a row error: the caller adds the file,
//! line and column.

use std::fmt;

use chrono::NaiveDate;

fn is_code_char(c: char, extra: &[char]) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_' || extra.contains(&c)
}

macro_rules! code_type {
    ($name:ident, $max:expr, $extra:expr, $what:expr, $allowed:expr) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn parse(text: &str) -> Result<Self, String> {
                let code = text.trim().to_ascii_uppercase();
                let len = code.chars().count();
                if len == 0 || len > $max || !code.chars().all(|c| is_code_char(c, $extra)) {
                    return Err(format!(
                        "\"{}\" is not a {} (expected 1–{} characters of {})",
                        text, $what, $max, $allowed
                    ));
                }
                Ok($name(code))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

code_type!(DepotCode, 32, &[], "depot code", "A–Z, 0–9, - and _");
code_type!(
    TypeCode,
    40,
    &['.', '/'],
    "type code",
    "A–Z, 0–9, - _ . and /"
);

/// The key used to spot a likely typo between two codes: separators dropped
/// and leading zeros of each number removed, so `PL-POW-1`, `PLPOW01` and
/// `PL-POW-01` meet, while `PL-POW-02` stays apart.
pub fn near_miss_key(code: &str) -> String {
    let mut key = String::with_capacity(code.len());
    let mut chars = code.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            let mut number = String::from(c);
            while let Some(d) = chars.next_if(|d| d.is_ascii_digit()) {
                number.push(d);
            }
            let trimmed = number.trim_start_matches('0');
            key.push_str(if trimmed.is_empty() { "0" } else { trimmed });
        } else if c.is_alphanumeric() {
            key.extend(c.to_uppercase());
        }
    }
    key
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    Mbt,
    Ifv,
    Apc,
    Sph,
    Tah,
    Mlrs,
    Ad,
    Eng,
    Rec,
    Log,
    Ammo,
    Other,
}

impl Category {
    pub const ALL: [Category; 12] = [
        Category::Mbt,
        Category::Ifv,
        Category::Apc,
        Category::Sph,
        Category::Tah,
        Category::Mlrs,
        Category::Ad,
        Category::Eng,
        Category::Rec,
        Category::Log,
        Category::Ammo,
        Category::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Mbt => "MBT",
            Category::Ifv => "IFV",
            Category::Apc => "APC",
            Category::Sph => "SPH",
            Category::Tah => "TAH",
            Category::Mlrs => "MLRS",
            Category::Ad => "AD",
            Category::Eng => "ENG",
            Category::Rec => "REC",
            Category::Log => "LOG",
            Category::Ammo => "AMMO",
            Category::Other => "OTHER",
        }
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let upper = text.trim().to_ascii_uppercase();
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == upper)
            .ok_or_else(|| {
                format!(
                    "\"{text}\" is not a category (expected one of MBT, IFV, APC, SPH, TAH, MLRS, AD, ENG, REC, LOG, AMMO, OTHER)"
                )
            })
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// NATO Stock Number, stored hyphenated `NNNN-NN-NNN-NNNN`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Nsn(String);

impl Nsn {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut out = String::with_capacity(16);
        let mut digits = 0;
        for c in text.trim().chars() {
            match c {
                '-' => {}
                '0'..='9' if digits < 13 => {
                    if matches!(digits, 4 | 6 | 9) {
                        out.push('-');
                    }
                    out.push(c);
                    digits += 1;
                }
                _ => digits = 99,
            }
        }
        if digits != 13 {
            return Err(format!(
                "\"{text}\" is not an NSN (expected 13 digits, written NNNN-NN-NNN-NNNN or without hyphens)"
            ));
        }
        Ok(Nsn(out))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The owning nation, an ISO 3166-1 alpha-3 code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nation(String);

impl Nation {
    pub fn parse(text: &str) -> Result<Self, String> {
        let code = text.trim().to_ascii_uppercase();
        // A binary search of the alpha-3-sorted table: `for_alpha3` is a
        // 249-arm string match, measurable in the import loop.
        let known = isocountry::CountryCode::as_array_alpha3()
            .binary_search_by(|c| c.alpha3().cmp(code.as_str()))
            .is_ok();
        if code.len() == 3 && known {
            Ok(Nation(code))
        } else {
            Err(format!(
                "\"{text}\" is not a nation (expected an ISO 3166-1 alpha-3 code such as FRA, DEU, POL)"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The code packed into an integer, to sum by owner without allocating.
    pub fn packed(&self) -> u32 {
        pack_nation(self.0.as_bytes())
    }
}

/// Three ASCII bytes in an integer; 0 is kept for "no owner".
pub fn pack_nation(code: &[u8]) -> u32 {
    code.iter().take(3).fold(0, |n, &b| (n << 8) | u32::from(b)) | 0x0100_0000
}

pub fn unpack_nation(packed: u32) -> Option<String> {
    (packed != 0).then(|| {
        let bytes = [(packed >> 16) as u8, (packed >> 8) as u8, packed as u8];
        String::from_utf8_lossy(&bytes)
            .trim_start_matches('\0')
            .to_string()
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    Fmc,
    Pmc,
    Nmcm,
    Nmcs,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fmc => "FMC",
            Status::Pmc => "PMC",
            Status::Nmcm => "NMCM",
            Status::Nmcs => "NMCS",
        }
    }

    /// Accepts the codes and their long forms in any case; dashes, hyphens
    /// and runs of spaces between words do not matter.
    pub fn parse(text: &str) -> Result<Self, String> {
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| w.to_lowercase())
            .collect();
        let status = match words.join(" ").as_str() {
            "fmc" | "fully mission capable" => Some(Status::Fmc),
            "pmc" | "partially mission capable" => Some(Status::Pmc),
            "nmcm" | "not mission capable maintenance" => Some(Status::Nmcm),
            "nmcs" | "not mission capable supply" => Some(Status::Nmcs),
            _ => None,
        };
        status.ok_or_else(|| {
            format!("\"{text}\" is not a readiness status (expected FMC, PMC, NMCM or NMCS)")
        })
    }
}

impl Status {
    /// Mission capable as reported (FMC or PMC).
    pub fn is_mc(self) -> bool {
        matches!(self, Status::Fmc | Status::Pmc)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A supply condition code (SPEC §12): how armies account for ammunition
/// (and may for any materiel), one letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConditionCode(u8);

/// What a condition code counts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    Serviceable,
    Unserviceable,
    Suspended,
}

impl ConditionCode {
    pub const LETTERS: &'static str =
        "A B C (serviceable), D E F G H P (unserviceable), J K L M N (suspended)";

    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        match t.as_bytes() {
            [b] if Self::class_of(b.to_ascii_uppercase()).is_some() => {
                Ok(ConditionCode(b.to_ascii_uppercase()))
            }
            _ => Err(format!(
                "\"{text}\" is not a supply condition code (expected one letter: {})",
                Self::LETTERS
            )),
        }
    }

    fn class_of(letter: u8) -> Option<Condition> {
        match letter {
            b'A' | b'B' | b'C' => Some(Condition::Serviceable),
            b'D' | b'E' | b'F' | b'G' | b'H' | b'P' => Some(Condition::Unserviceable),
            b'J' | b'K' | b'L' | b'M' | b'N' => Some(Condition::Suspended),
            _ => None,
        }
    }

    pub fn condition(self) -> Condition {
        Self::class_of(self.0).unwrap_or(Condition::Suspended)
    }

    pub fn is_suspended(self) -> bool {
        self.condition() == Condition::Suspended
    }

    /// Condition C: serviceable, to be issued before A and B.
    pub fn is_priority(self) -> bool {
        self.0 == b'C'
    }

    pub fn as_str(self) -> &'static str {
        const ALL: [&str; 14] = [
            "A", "B", "C", "D", "E", "F", "G", "H", "P", "J", "K", "L", "M", "N",
        ];
        ALL.iter()
            .copied()
            .find(|l| l.as_bytes()[0] == self.0)
            .unwrap_or("N")
    }

    /// The status a row with this code and no status reads as: serviceable
    /// FMC, unserviceable NMCM, suspended NMCS (not mission capable, for
    /// want of a release).
    pub fn implied_status(self) -> Status {
        match self.condition() {
            Condition::Serviceable => Status::Fmc,
            Condition::Unserviceable => Status::Nmcm,
            Condition::Suspended => Status::Nmcs,
        }
    }

    /// Whether a reported status agrees with the code: serviceable lots
    /// are FMC or PMC, unserviceable ones NMCM or NMCS; a suspended one
    /// may be reported any way (the suspension is not about its state).
    pub fn agrees_with(self, status: Status) -> bool {
        match self.condition() {
            Condition::Serviceable => status.is_mc(),
            Condition::Unserviceable => !status.is_mc(),
            Condition::Suspended => true,
        }
    }
}

impl fmt::Display for ConditionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a holding line's quantity goes in the import-time aggregates:
/// equipment by status (0–3), lots by status (4–7), and lots under a
/// suspended condition code (8). Equipment under a suspended code is not
/// mission capable: NMCS (3). Import, `check` and the readers agree on it
/// here.
pub fn bucket(status: Status, lot: bool, condition: Option<ConditionCode>) -> usize {
    let suspended = condition.is_some_and(ConditionCode::is_suspended);
    match (lot, suspended) {
        (true, true) => 8,
        (false, true) => 3,
        (lot, false) => {
            let i = match status {
                Status::Fmc => 0,
                Status::Pmc => 1,
                Status::Nmcm => 2,
                Status::Nmcs => 3,
            };
            if lot { i + 4 } else { i }
        }
    }
}

/// What a holding counts as in readiness figures: its reported status,
/// `Expired` for an ammunition lot past its date on the date a figure is
/// about, or `Suspended` for one under a suspended condition code or a
/// force-wide suspension in force on that date (SPEC §12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum State {
    Reported(Status),
    Expired,
    Suspended,
}

impl State {
    /// A holding's state on `date`: a lot (ammunition) whose `expires` is
    /// before that date is expired whatever its status says; equipment
    /// (no lot) never expires.
    pub fn of(status: Status, lot: bool, expires: Option<NaiveDate>, date: NaiveDate) -> State {
        match expires {
            Some(expiry) if lot && expiry < date => State::Expired,
            _ => State::Reported(status),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            State::Reported(s) => s.as_str(),
            State::Expired => "EXPIRED",
            State::Suspended => "SUSPENDED",
        }
    }

    /// Mission capable: FMC or PMC, and not an expired lot.
    pub fn is_mc(self) -> bool {
        matches!(self, State::Reported(Status::Fmc | Status::Pmc))
    }

    pub fn parse(text: &str) -> Option<State> {
        if text == "EXPIRED" {
            Some(State::Expired)
        } else if text == "SUSPENDED" {
            Some(State::Suspended)
        } else {
            Status::parse(text).ok().map(State::Reported)
        }
    }
}

/// Upper bound of notice-to-move: one year.
pub const MAX_NOTICE_HOURS: u32 = 8760;

/// Parses a duration in whole hours: `36`, `36h`, `3d` (days of 24 hours).
pub fn parse_hours(text: &str, max: u32) -> Result<u32, String> {
    let t = text.trim().to_ascii_lowercase();
    let (digits, factor) = if let Some(d) = t.strip_suffix('d') {
        (d.trim_end(), 24u64)
    } else if let Some(h) = t.strip_suffix('h') {
        (h.trim_end(), 1u64)
    } else {
        (t.as_str(), 1u64)
    };
    let digits = whole_number(digits);
    let hours = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse::<u64>().ok().map(|n| n.saturating_mul(factor))
    } else {
        None
    };
    match hours {
        Some(h) if h <= u64::from(max) => Ok(h as u32),
        _ => Err(format!(
            "\"{text}\" is not a number of hours (expected a whole number 0–{max}, or a form like 36h or 3d)"
        )),
    }
}

/// A whole number as a spreadsheet may write it: `48` or `48.0` (a number
/// cell formatted with decimals). `48.5` stays invalid.
pub fn whole_number(text: &str) -> &str {
    match text.split_once('.') {
        Some((int, frac))
            if !int.is_empty() && !frac.is_empty() && frac.bytes().all(|b| b == b'0') =>
        {
            int
        }
        _ => text,
    }
}

/// Dates are ISO unless a format is given; ISO is always accepted because it
/// is never ambiguous. Nothing else is guessed.
pub fn parse_date(text: &str, format: Option<&str>) -> Result<NaiveDate, String> {
    let t = text.trim();
    if let Some(d) = parse_iso(t).or_else(|| parse_iso_midnight(t)) {
        return Ok(d);
    }
    if let Some(fmt) = format {
        if let Ok(d) = NaiveDate::parse_from_str(t, fmt) {
            return Ok(d);
        }
        return Err(format!(
            "\"{text}\" is not a date in the format {fmt} (nor an ISO date YYYY-MM-DD)"
        ));
    }
    Err(format!(
        "\"{text}\" is not an ISO date (expected YYYY-MM-DD; other forms need --date-format, e.g. %d.%m.%Y, and are never guessed)"
    ))
}

/// `YYYY-MM-DD` exactly, read by hand: chrono's `parse_from_str` parses its
/// pattern on every call, and the import loop reads up to three dates a row
/// (as `history` does from each of a million stored versions).
pub fn parse_iso(t: &str) -> Option<NaiveDate> {
    let b = t.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

/// `2026-11-01T00:00:00` or `2026-11-01 00:00` as spreadsheets write a date
/// cell: the date, when the time is exactly midnight (any other time is not
/// a date and is refused).
fn parse_iso_midnight(t: &str) -> Option<NaiveDate> {
    let (date, time) = (t.get(..10)?, t.get(10..)?);
    let time = time.strip_prefix(['T', ' '])?;
    let time = time.strip_suffix('Z').unwrap_or(time);
    matches!(time, "00:00" | "00:00:00" | "00:00:00.000")
        .then(|| parse_iso(date))
        .flatten()
}

/// Checks that a strftime-style format can describe a date, so that a typo in
/// `--date-format` is reported once instead of as an error on every row.
pub fn check_date_format(format: &str) -> Result<(), String> {
    use chrono::format::{Item, StrftimeItems};
    let items: Vec<Item> = StrftimeItems::new(format).collect();
    if items.iter().any(|i| matches!(i, Item::Error)) {
        return Err(format!("\"{format}\" is not a valid date format"));
    }
    let has = |spec: &[&str]| spec.iter().any(|s| format.contains(s));
    let names_all_parts =
        has(&["%Y", "%y", "%C"]) && has(&["%m", "%b", "%B", "%h"]) && has(&["%d", "%e"]);
    if !names_all_parts && !has(&["%F", "%D", "%x"]) {
        return Err(format!(
            "\"{format}\" does not name a day, a month and a year (e.g. %d.%m.%Y)"
        ));
    }
    Ok(())
}

/// A date as the database stores it (ISO text), read back; a malformed one
/// is a conversion error, as from any other column.
pub fn stored_date(text: &str) -> Result<NaiveDate, crate::error::DbError> {
    parse_iso(text).ok_or_else(|| crate::error::DbError::Column {
        index: 0,
        message: format!("{text:?} is not a stored date (YYYY-MM-DD)"),
    })
}

/// The same for a column that may be NULL.
pub fn stored_date_opt(text: Option<String>) -> Result<Option<NaiveDate>, crate::error::DbError> {
    text.as_deref().map(stored_date).transpose()
}

pub fn iso(date: NaiveDate) -> String {
    IsoDate::new(date).as_str().to_string()
}

/// A date as ISO text, on the stack: the import loop writes up to three a
/// row, and an allocation each cost it measurably.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IsoDate([u8; 10]);

impl IsoDate {
    pub fn new(date: NaiveDate) -> IsoDate {
        use chrono::Datelike;
        // Not `format("%Y-%m-%d")`: that parses the pattern on every call.
        let (y, m, d) = (date.year().clamp(0, 9999) as u32, date.month(), date.day());
        let digit = |n: u32| b'0' + (n % 10) as u8;
        IsoDate([
            digit(y / 1000),
            digit(y / 100),
            digit(y / 10),
            digit(y),
            b'-',
            digit(m / 10),
            digit(m),
            b'-',
            digit(d / 10),
            digit(d),
        ])
    }

    pub fn as_str(&self) -> &str {
        // ASCII digits and dashes only, by construction.
        std::str::from_utf8(&self.0).unwrap_or("0000-00-00")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_miss_keys_meet_only_for_typos() {
        assert_eq!(near_miss_key("PL-POW-1"), near_miss_key("PL-POW-01"));
        assert_eq!(near_miss_key("PLPOW01"), near_miss_key("PL-POW-01"));
        assert_ne!(near_miss_key("PL-POW-02"), near_miss_key("PL-POW-01"));
        assert_ne!(near_miss_key("PL-POW-10"), near_miss_key("PL-POW-01"));
        assert_eq!(near_miss_key("X-0"), near_miss_key("X-00"));
    }

    #[test]
    fn statuses_long_and_short() {
        assert_eq!(Status::parse("fmc").unwrap(), Status::Fmc);
        assert_eq!(
            Status::parse("Not mission capable – maintenance").unwrap(),
            Status::Nmcm
        );
        assert_eq!(
            Status::parse(" partially  mission capable ").unwrap(),
            Status::Pmc
        );
        let err = Status::parse("FMCC").unwrap_err();
        assert_eq!(
            err,
            "\"FMCC\" is not a readiness status (expected FMC, PMC, NMCM or NMCS)"
        );
    }

    #[test]
    fn hours_forms() {
        assert_eq!(parse_hours("36h", MAX_NOTICE_HOURS), Ok(36));
        assert_eq!(parse_hours("3d", MAX_NOTICE_HOURS), Ok(72));
        assert_eq!(parse_hours(" 12 ", MAX_NOTICE_HOURS), Ok(12));
        assert!(parse_hours("8761", MAX_NOTICE_HOURS).is_err());
        assert!(parse_hours("-1", MAX_NOTICE_HOURS).is_err());
        assert!(parse_hours("1.5", MAX_NOTICE_HOURS).is_err());
        assert!(parse_hours("99999999999999999999d", MAX_NOTICE_HOURS).is_err());
    }

    #[test]
    fn spreadsheet_numbers_and_midnight_dates() {
        assert_eq!(parse_hours("48.0", MAX_NOTICE_HOURS), Ok(48));
        assert!(parse_hours("48.5", MAX_NOTICE_HOURS).is_err());
        assert!(parse_hours(".0", MAX_NOTICE_HOURS).is_err());
        let d = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        assert_eq!(parse_date("2026-11-01T00:00:00", None), Ok(d));
        assert_eq!(parse_date("2026-11-01 00:00", None), Ok(d));
        assert!(parse_date("2026-11-01 13:00", None).is_err());
        assert!(parse_date("2026-11-01x", None).is_err());
    }

    #[test]
    fn dates_are_never_guessed() {
        assert!(parse_date("12/10/2026", None).is_err());
        assert_eq!(
            parse_date("12/10/2026", Some("%d/%m/%Y")).unwrap(),
            NaiveDate::from_ymd_opt(2026, 10, 12).unwrap()
        );
        assert!(parse_date("2026-2-3", None).is_err());
        assert!(parse_date("2026-02-30", None).is_err());
        assert!(check_date_format("%d/%m").is_err());
        assert!(check_date_format("%d.%m.%Y").is_ok());
    }

    #[test]
    fn nsn_and_nation() {
        assert_eq!(
            Nsn::parse("2350142223333").unwrap().as_str(),
            "2350-14-222-3333"
        );
        assert!(Nsn::parse("2350-14-222-333").is_err());
        assert_eq!(Nation::parse("fra").unwrap().as_str(), "FRA");
        assert!(Nation::parse("XYZ").is_err());
        assert!(Nation::parse("FR").is_err());
        for country in isocountry::CountryCode::iter() {
            assert!(
                Nation::parse(country.alpha3()).is_ok(),
                "{}",
                country.alpha3()
            );
        }
    }

    #[test]
    fn codes() {
        assert_eq!(
            DepotCode::parse(" pl-pow-01 ").unwrap().as_str(),
            "PL-POW-01"
        );
        assert!(DepotCode::parse("PL POW").is_err());
        assert!(DepotCode::parse("").is_err());
        assert!(DepotCode::parse(&"A".repeat(33)).is_err());
        assert!(TypeCode::parse("155MM-HE-M795").is_ok());
        assert!(TypeCode::parse("M1A2/SEP.V3").is_ok());
    }
}
