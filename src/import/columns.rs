//! Header row → canonical columns (SPEC §2): names matched case-insensitively
//! after trimming, spaces and hyphens read as `_`, aliases and mapping
//! profiles applied, unknown columns warned about, duplicates refused.

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
}

impl Column {
    /// In the order of the canonical export.
    pub const ALL: [Column; 14] = [
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
        }
    }

    fn aliases(self) -> &'static [&'static str] {
        match self {
            Column::Depot => &["depot_code", "site"],
            Column::AsOf => &["date", "snapshot_date"],
            Column::Type => &["model", "equipment_type"],
            Column::Quantity => &["qty", "count"],
            Column::Serial => &["serial_number", "sn"],
            Column::Status => &["condition", "readiness"],
            Column::Owner => &["nation", "owner_nation"],
            Column::NoticeHours => &["ntm_hours", "notice"],
            Column::Lot => &["lot_number"],
            Column::Expires => &["expiry", "expiry_date"],
            Column::Remarks => &["comments", "notes"],
            Column::Nsn | Column::Category | Column::LastInspected => &[],
        }
    }

    /// A canonical name or alias, already normalised.
    pub fn from_name(name: &str) -> Option<Column> {
        Column::ALL
            .into_iter()
            .find(|c| c.name() == name || c.aliases().contains(&name))
    }
}

/// How header names are compared: trimmed, lower case, spaces and hyphens
/// read as `_`.
pub fn normalize(name: &str) -> String {
    name.trim()
        .trim_start_matches('\u{feff}')
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '-' { '_' } else { c })
        .collect()
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

impl ColumnMap {
    pub fn get(&self, column: Column) -> Option<usize> {
        self.index[column as usize]
    }

    pub fn has(&self, column: Column) -> bool {
        self.get(column).is_some()
    }

    /// Maps a header row. Errors are messages without the place; the caller
    /// adds the file and line.
    pub fn from_header<'a>(
        header: impl IntoIterator<Item = &'a str>,
        profile: Option<&Profile>,
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
                None => map.unknown.push(raw.to_string()),
            }
        }
        let mut missing = Vec::new();
        for (column, given) in [
            (Column::Depot, depot_given),
            (Column::AsOf, as_of_given),
            (Column::Type, false),
            (Column::Status, false),
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
            // Only a few names are compared: a hostile header may have 100k.
            for name in map.unknown.iter().take(50) {
                if let Some(s) = suggest(name)
                    && missing.iter().any(|c| c.name() == s)
                {
                    message.push_str(&format!("; \"{name}\" — did you mean \"{s}\"?"));
                }
            }
            let shown: Vec<&str> = map.header.iter().take(20).map(String::as_str).collect();
            let more = if map.header.len() > 20 {
                format!(" | … ({} columns in all)", map.header.len())
            } else {
                String::new()
            };
            message.push_str(&format!(
                "; the header read was: {}{more}",
                shown.join(" | ")
            ));
            return Err(message);
        }
        Ok(map)
    }
}

/// The canonical column a misspelt header name probably meant.
pub fn suggest(name: &str) -> Option<&'static str> {
    closest(&normalize(name))
}

/// The canonical name nearest to an unknown one, when it is near enough to
/// be a typo.
fn closest(name: &str) -> Option<&'static str> {
    Column::ALL
        .iter()
        .flat_map(|c| std::iter::once(c.name()).chain(c.aliases().iter().copied()))
        .map(|candidate| (strsim::damerau_levenshtein(name, candidate), candidate))
        .filter(|(d, candidate)| *d <= 2.max(candidate.len() / 4) && *d < candidate.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, candidate)| Column::from_name(candidate).map_or(candidate, |c| c.name()))
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
            false,
            false,
        )
        .unwrap_err();
        assert!(e.contains("repeats"), "{e}");
        let e = ColumnMap::from_header(["depot", "as_of", "type", "stauts"], None, false, false)
            .unwrap_err();
        assert!(e.contains("status"), "{e}");
        assert!(e.contains("did you mean \"status\""), "{e}");
    }

    #[test]
    fn suggestions() {
        assert_eq!(closest("serail"), Some("serial"));
        assert_eq!(closest("quantitiy"), Some("quantity"));
        assert_eq!(closest("colour"), None);
    }
}
