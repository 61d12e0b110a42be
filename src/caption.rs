//! What a table says it shows, above it: the date its figures are about,
//! how old the data behind them is, and the filters — so that a figure
//! read aloud carries its date and scope.

use chrono::NaiveDate;

use crate::db::{self, Db};
use crate::model::iso;
use crate::state::Filters;

/// The snapshots a state stands on: each depot's latest on or before the
/// date (its latest of all for the current state).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataAge {
    pub depots: usize,
    pub oldest: Option<NaiveDate>,
    pub newest: Option<NaiveDate>,
}

impl DataAge {
    pub fn load(conn: &Db, filters: &Filters, date: Option<NaiveDate>) -> db::Result<DataAge> {
        let latest: Vec<(String, NaiveDate)> = conn.rows(
            "SELECT d.code, max(s.as_of) FROM snapshot s JOIN depot d ON d.id = s.depot_id
             WHERE CAST(?1 AS TEXT) IS NULL OR s.as_of <= ?1 GROUP BY d.code",
            &[&date.map(iso)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let mut age = DataAge::default();
        for (depot, as_of) in latest {
            if !filters.depots.is_empty() && !filters.depots.contains(&depot) {
                continue;
            }
            age.depots += 1;
            age.oldest = Some(age.oldest.map_or(as_of, |o| o.min(as_of)));
            age.newest = Some(age.newest.map_or(as_of, |n| n.max(as_of)));
        }
        Ok(age)
    }

    /// "data as of 2026-11-01 (35 days old)", or a range of dates and ages.
    pub fn text(&self, judged: NaiveDate) -> String {
        let age = |d: NaiveDate| (judged - d).num_days();
        let depots = match self.depots {
            1 => "1 depot".to_string(),
            n => format!("{n} depots"),
        };
        match (self.oldest, self.newest) {
            (Some(o), Some(n)) if o == n => {
                format!("{depots}, data as of {} ({})", iso(o), days(age(o)))
            }
            (Some(o), Some(n)) => format!(
                "{depots}, data as of {} to {} ({} to {} days old)",
                iso(o),
                iso(n),
                age(n),
                age(o)
            ),
            _ => "no data".into(),
        }
    }
}

fn days(n: i64) -> String {
    match n {
        0 => "today's".into(),
        1 => "1 day old".into(),
        n => format!("{n} days old"),
    }
}

/// "depot DE-AUG-01, PL-POW-01 · category MBT", or nothing.
pub fn filters_text(filters: &Filters) -> String {
    let mut parts = Vec::new();
    for (name, list) in [
        ("depot", &filters.depots),
        ("type", &filters.types),
        ("category", &filters.categories),
        ("owner", &filters.owners),
    ] {
        if !list.is_empty() {
            parts.push(format!("{name} {}", list.join(", ")));
        }
    }
    parts.join(" · ")
}

/// Writes `text` in lines that fit `width` (a caption or verdict never
/// widens the terminal a table was fitted to).
pub fn print(out: &mut dyn std::io::Write, text: &str, width: Option<u16>) -> std::io::Result<()> {
    for line in crate::output::wrap_words(text, width.map_or(usize::MAX, usize::from)) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// `text`, then the filters when there are any.
pub fn with_filters(mut text: String, filters: &Filters) -> String {
    let f = filters_text(filters);
    if !f.is_empty() {
        text.push_str(" · ");
        text.push_str(&f);
    }
    text
}

/// `what` on `judged`, the data's age, and the filters, in one line.
pub fn line(what: &str, judged: NaiveDate, age: &DataAge, filters: &Filters) -> String {
    with_filters(
        format!("{what} on {} · {}", iso(judged), age.text(judged)),
        filters,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_as_a_person_says_them() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let one = DataAge {
            depots: 1,
            oldest: Some(d("2026-12-06")),
            newest: Some(d("2026-12-06")),
        };
        assert_eq!(
            one.text(d("2026-12-06")),
            "1 depot, data as of 2026-12-06 (today's)"
        );
        let many = DataAge {
            depots: 7,
            oldest: Some(d("2026-10-01")),
            newest: Some(d("2026-11-01")),
        };
        assert_eq!(
            many.text(d("2026-12-06")),
            "7 depots, data as of 2026-10-01 to 2026-11-01 (35 to 66 days old)"
        );
        let f = Filters {
            depots: vec!["A-1".into()],
            categories: vec!["MBT".into(), "IFV".into()],
            ..Filters::default()
        };
        assert_eq!(filters_text(&f), "depot A-1 · category MBT, IFV");
    }
}
