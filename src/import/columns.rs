//! Header row → canonical columns (SPEC §2): names read the way people write
//! them (case, punctuation, `No`/`Nr`/`#`/`Number` suffixes and units in
//! parentheses do not matter), aliases and mapping profiles applied. A column
//! that resembles a canonical one but is not one is refused (a lost serial
//! column is lost data) unless the user says to ignore it; a column that
//! resembles nothing is warned about; duplicates are refused.

use super::profile::Profile;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Depot,
    AsOf,
    Type,
    Status,
    Quantity,
    Serial,
    Nsn,
    Category,
    Owner,
    NoticeHours,
    Lot,
    Expires,
    LastInspected,
    Remarks,
    ConditionCode,
    NextTest,
}

impl Column {
    /// In the order of the canonical export.
    pub const ALL: [Column; 16] = [
        Column::Depot,
        Column::AsOf,
        Column::Type,
        Column::Status,
        Column::Quantity,
        Column::Serial,
        Column::Nsn,
        Column::Category,
        Column::Owner,
        Column::NoticeHours,
        Column::Lot,
        Column::Expires,
        Column::LastInspected,
        Column::Remarks,
        Column::ConditionCode,
        Column::NextTest,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Column::Depot => "depot",
            Column::AsOf => "as_of",
            Column::Type => "type",
            Column::Status => "status",
            Column::Quantity => "quantity",
            Column::Serial => "serial",
            Column::Nsn => "nsn",
            Column::Category => "category",
            Column::Owner => "owner",
            Column::NoticeHours => "notice_hours",
            Column::Lot => "lot",
            Column::Expires => "expires",
            Column::LastInspected => "last_inspected",
            Column::Remarks => "remarks",
            Column::ConditionCode => "condition_code",
            Column::NextTest => "next_test",
        }
    }

    fn aliases(self) -> &'static [&'static str] {
        match self {
            Column::Depot => &["depot_code", "site"],
            Column::AsOf => &["date", "snapshot_date", "as_of_date", "report_date"],
            Column::Type => &["model", "equipment_type"],
            Column::Quantity => &["qty", "count"],
            Column::Serial => &["serial_number", "sn"],
            Column::Status => &["condition", "readiness"],
            Column::Owner => &["nation", "owner_nation"],
            Column::NoticeHours => &[
                "ntm_hours",
                "notice",
                "ntm",
                "notice_to_move",
                "notice_to_move_hours",
            ],
            Column::Lot => &["lot_number"],
            Column::Expires => &["expiry", "expiry_date", "expires_on", "expiration_date"],
            Column::Remarks => &["comments", "notes"],
            Column::LastInspected => &[
                "last_inspection",
                "last_inspection_date",
                "last_inspected_on",
                "inspected",
                "inspection_date",
            ],
            Column::Nsn => &["nato_stock_number"],
            Column::Category => &[],
            Column::ConditionCode => &["cc", "supply_condition", "supply_condition_code"],
            Column::NextTest => &["test_due", "next_test_date", "surveillance_due"],
        }
    }

    /// A canonical name or alias, already normalised.
    pub fn from_name(name: &str) -> Option<Column> {
        Column::ALL
            .into_iter()
            .find(|c| c.name() == name || c.aliases().contains(&name))
    }
}

/// How header names are compared: lower case; a part in parentheses or
/// brackets (a unit: `Notice (h)`) left out; every run of spaces and
/// punctuation read as one `_`; a trailing `No`, `Nr`, `Num`, `Number` or `#`
/// left out (`Serial No.` is the serial, `Lot #` the lot).
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut depth = 0usize;
    for c in name.trim_start_matches('\u{feff}').chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            '#' => out.push_str("_no_"),
            c if c.is_alphanumeric() => out.extend(c.to_lowercase()),
            _ => out.push('_'),
        }
    }
    let mut words: Vec<&str> = out.split('_').filter(|w| !w.is_empty()).collect();
    if words.len() > 1
        && matches!(
            words.last(),
            Some(&("no" | "nr" | "num" | "number" | "nbr"))
        )
    {
        words.pop();
    }
    words.join("_")
}

/// Where each canonical column sits in the file's records.
#[derive(Debug, Clone)]
pub struct ColumnMap {
    index: [Option<usize>; Column::ALL.len()],
    /// The file's own header names, as written.
    pub header: Vec<String>,
    /// Columns that mean nothing here, as written.
    pub unknown: Vec<String>,
}

/// Unknown columns compared with the canonical names: a hostile header may
/// have 100,000, and past these the rest are simply reported unknown.
const COMPARED: usize = 1000;

impl ColumnMap {
    pub fn get(&self, column: Column) -> Option<usize> {
        self.index[column as usize]
    }

    pub fn has(&self, column: Column) -> bool {
        self.get(column).is_some()
    }

    /// Maps a header row. Errors are messages without the place; the caller
    /// adds the file and line.
    /// `ignore` holds normalised names the user said to leave out.
    pub fn from_header<'a>(
        header: impl IntoIterator<Item = &'a str>,
        profile: Option<&Profile>,
        ignore: &[String],
        depot_given: bool,
        as_of_given: bool,
    ) -> Result<ColumnMap, String> {
        let mut map = ColumnMap {
            index: [None; Column::ALL.len()],
            header: Vec::new(),
            unknown: Vec::new(),
        };
        for (i, raw) in header.into_iter().enumerate() {
            map.header.push(raw.to_string());
            let name = normalize(raw);
            if name.is_empty() {
                continue;
            }
            let column = profile
                .and_then(|p| p.column_for(&name))
                .or_else(|| Column::from_name(&name));
            match column {
                Some(c) => {
                    if let Some(first) = map.index[c as usize] {
                        return Err(format!(
                            "column \"{}\" (field {}) repeats \"{}\" (field {}): both mean {}; remove one",
                            raw,
                            i + 1,
                            map.header[first],
                            first + 1,
                            c.name()
                        ));
                    }
                    map.index[c as usize] = Some(i);
                }
                None if ignore.contains(&name) || profile.is_some_and(|p| p.ignores(&name)) => {}
                None => map.unknown.push(raw.to_string()),
            }
        }
        let mut missing = Vec::new();
        // A file that gives condition codes may leave the status out.
        let coded = map.has(Column::ConditionCode);
        for (column, given) in [
            (Column::Depot, depot_given),
            (Column::AsOf, as_of_given),
            (Column::Type, false),
            (Column::Status, coded),
        ] {
            if !given && !map.has(column) {
                missing.push(column);
            }
        }
        if !missing.is_empty() {
            let names: Vec<String> = missing
                .iter()
                .map(|c| {
                    let hint = match c {
                        Column::Depot => " (or give --depot)",
                        Column::AsOf => " (or give --as-of)",
                        _ => "",
                    };
                    format!("{}{}", c.name(), hint)
                })
                .collect();
            let mut message = format!("missing required column(s): {}", names.join(", "));
            let mut suggested: Vec<&str> = Vec::new();
            for name in map.unknown.iter().take(50) {
                if let Some(s) = suggest(name)
                    && missing.iter().any(|c| c.name() == s)
                    && !suggested.contains(&name.as_str())
                    && suggested.len() < 3
                {
                    suggested.push(name);
                    let name = crate::error::clip(name);
                    message.push_str(&format!("; \"{name}\" — did you mean \"{s}\"?"));
                }
            }
            // The header as read, in a line a person reads: its first
            // cells, each cut short, up to ~300 characters.
            let mut shown: Vec<String> = Vec::new();
            let mut width = 0;
            for cell in map.header.iter().take(20) {
                let cell: String = match cell.char_indices().nth(30) {
                    Some((end, _)) => format!("{}…", &cell[..end]),
                    None => cell.clone(),
                };
                width += cell.chars().count() + 3;
                if width > 300 {
                    break;
                }
                shown.push(cell);
            }
            let more = if map.header.len() > shown.len() {
                format!(" | … ({} columns in all)", map.header.len())
            } else {
                String::new()
            };
            message.push_str(&format!(
                "; the header read was: {}{more}",
                shown.join(" | ")
            ));
            if profile.is_none() && map.index.iter().all(Option::is_none) {
                message.push_str(
                    "\nhint: none of these is a stockpile column; an export in another language or system needs a mapping profile (--map PROFILE.toml; see fixtures/profiles/)",
                );
            }
            return Err(message);
        }
        // A column that looks like a canonical one it is not is refused: its
        // data would be lost without a word.
        let lookalikes: Vec<String> = map
            .unknown
            .iter()
            .take(COMPARED)
            .filter_map(|name| {
                let s = suggest(name)?;
                let taken = Column::from_name(s).is_some_and(|c| map.has(c));
                (!taken).then(|| {
                    let name = crate::error::clip(name);
                    format!("\"{name}\" looks like {s} but is not read as it")
                })
            })
            .collect();
        if !lookalikes.is_empty() {
            // A header of a thousand such columns is named by its first few.
            let mut lookalikes = lookalikes;
            let total = lookalikes.len();
            lookalikes.dedup();
            if lookalikes.len() > 5 || total > lookalikes.len() {
                lookalikes.truncate(5);
                lookalikes.push(format!("… ({total} such columns in all)"));
            }
            let first = map
                .unknown
                .iter()
                .find(|n| suggest(n).is_some())
                .cloned()
                .unwrap_or_default();
            return Err(format!(
                "{}\nhint: rename the column to the name it stands for, or give --ignore-column \"{}\" (repeatable) to import without it",
                lookalikes.join("; "),
                crate::error::clip(&first)
            ));
        }
        Ok(map)
    }
}

/// The canonical column a misspelt header name probably meant.
pub fn suggest(name: &str) -> Option<&'static str> {
    closest(&normalize(name))
}

/// The canonical name an unknown one resembles: a typo of it (one edit in a
/// short name, two in a longer one), or a name built around it
/// (`vehicle_serial`, `lot_id`).
fn closest(name: &str) -> Option<&'static str> {
    let candidates = || {
        Column::ALL
            .iter()
            .flat_map(|c| std::iter::once(c.name()).chain(c.aliases().iter().copied()))
    };
    let canonical =
        |candidate: &'static str| Column::from_name(candidate).map_or(candidate, |c| c.name());
    // A typo is at most two edits, so only names within two characters of a
    // candidate's length are compared: a header cell of a megabyte costs a
    // length check, not a quadratic edit distance.
    let typo = candidates()
        .filter(|candidate| name.len().abs_diff(candidate.len()) <= 2)
        .map(|candidate| (strsim::damerau_levenshtein(name, candidate), candidate))
        .filter(|&(d, candidate)| d <= if candidate.len() <= 5 { 1 } else { 2 })
        .min_by_key(|&(d, _)| d);
    if let Some((_, candidate)) = typo {
        return Some(canonical(candidate));
    }
    let words: Vec<&str> = name.split('_').collect();
    candidates()
        .filter(|candidate| candidate.len() >= 3)
        .find(|candidate| {
            let parts: Vec<&str> = candidate.split('_').collect();
            words.windows(parts.len()).any(|w| w == parts.as_slice())
        })
        .map(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_normalisation() {
        let m = ColumnMap::from_header(
            [
                " Depot Code ",
                "Snapshot-Date",
                "MODEL",
                "readiness",
                "Qty",
                "foo",
            ],
            None,
            &[],
            false,
            false,
        )
        .unwrap();
        assert_eq!(m.get(Column::Depot), Some(0));
        assert_eq!(m.get(Column::AsOf), Some(1));
        assert_eq!(m.get(Column::Type), Some(2));
        assert_eq!(m.get(Column::Status), Some(3));
        assert_eq!(m.get(Column::Quantity), Some(4));
        assert_eq!(m.unknown.len(), 1);
    }

    #[test]
    fn duplicate_and_missing_columns() {
        let e = ColumnMap::from_header(
            ["depot", "site", "as_of", "type", "status"],
            None,
            &[],
            false,
            false,
        )
        .unwrap_err();
        assert!(e.contains("repeats"), "{e}");
        let e = ColumnMap::from_header(
            ["depot", "as_of", "type", "stauts"],
            None,
            &[],
            false,
            false,
        )
        .unwrap_err();
        assert!(e.contains("status"), "{e}");
        assert!(e.contains("did you mean \"status\""), "{e}");
    }

    #[test]
    fn names_as_people_write_them() {
        for (written, column) in [
            ("Serial No.", "serial"),
            ("Serial #", "serial"),
            ("Lot No", "lot"),
            ("Lot Nr.", "lot"),
            ("Lot Number", "lot"),
            ("Notice (h)", "notice_hours"),
            ("Notice to move [hours]", "notice_hours"),
            ("Last Inspection", "last_inspected"),
            ("Last inspected", "last_inspected"),
            ("Expiry date", "expires"),
            ("As-of date", "as_of"),
            ("Quantity (pcs)", "quantity"),
            ("  DEPOT  ", "depot"),
        ] {
            assert_eq!(
                Column::from_name(&normalize(written)).map(Column::name),
                Some(column),
                "{written}"
            );
        }
        assert_eq!(normalize("Number"), "number");
    }

    #[test]
    fn a_lookalike_column_is_refused_unless_ignored() {
        let header = ["depot", "as_of", "type", "status", "Serail", "Colour"];
        let e = ColumnMap::from_header(header, None, &[], false, false).unwrap_err();
        assert!(e.contains("\"Serail\" looks like serial"), "{e}");
        assert!(e.contains("--ignore-column \"Serail\""), "{e}");
        assert!(!e.contains("Colour"), "{e}");
        let m = ColumnMap::from_header(header, None, &["serail".into()], false, false).unwrap();
        assert_eq!(m.unknown, ["Colour"]);
    }

    #[test]
    fn suggestions() {
        assert_eq!(closest("serail"), Some("serial"));
        assert_eq!(closest("quantitiy"), Some("quantity"));
        assert_eq!(closest("colour"), None);
        assert_eq!(closest("foo"), None);
        assert_eq!(closest("vehicle_serial"), Some("serial"));
        assert_eq!(closest("lot_id"), Some("lot"));
        assert_eq!(closest("remark"), Some("remarks"));
    }
}
