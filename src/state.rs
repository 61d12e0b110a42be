//! Reading the stockpile's state for reports: the current state from the
//! import-time aggregates, a past date's state from the versioned holdings.

use std::collections::HashSet;

use chrono::NaiveDate;
use rusqlite::{Connection, params};

use crate::model::{State, iso};
use crate::readiness::{Fact, Requirement};

/// The `--depot`, `--type`, `--category` and `--owner` filters; each list
/// holds upper-cased codes, an empty list lets everything through.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub depots: Vec<String>,
    pub types: Vec<String>,
    pub categories: Vec<String>,
    pub owners: Vec<String>,
}

impl Filters {
    fn allows(list: &[String], value: Option<&str>) -> bool {
        list.is_empty() || value.is_some_and(|v| list.iter().any(|x| x == v))
    }

    pub fn allows_fact(&self, f: &Fact) -> bool {
        Self::allows(&self.depots, Some(&f.depot))
            && Self::allows(&self.types, Some(&f.type_code))
            && Self::allows(&self.categories, f.category.as_deref())
            && Self::allows(&self.owners, f.owner.as_deref())
    }

    pub fn allows_requirement(&self, r: &Requirement) -> bool {
        Self::allows(&self.depots, Some(&r.depot))
            && Self::allows(&self.types, Some(&r.type_code))
            && Self::allows(&self.categories, r.category.as_deref())
    }
}

fn fact_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Fact> {
    let state: String = r.get(4)?;
    Ok(Fact {
        depot: r.get(0)?,
        type_code: r.get(1)?,
        category: r.get(2)?,
        owner: r.get(3)?,
        state: State::parse(&state).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                4,
                rusqlite::types::Type::Text,
                format!("unknown state {state}").into(),
            )
        })?,
        notice_hours: r.get(5)?,
        quantity: r.get(6)?,
    })
}

/// Each depot's latest snapshot, summed (from `readiness_current`).
pub fn current_facts(conn: &Connection, filters: &Filters) -> rusqlite::Result<Vec<Fact>> {
    let mut stmt = conn.prepare_cached(
        "SELECT d.code, t.code, t.category, rc.owner, rc.state, rc.notice_hours, rc.quantity
         FROM readiness_current rc
         JOIN depot d ON d.id = rc.depot_id
         JOIN equipment_type t ON t.id = rc.type_id",
    )?;
    let facts = stmt.query_map([], fact_from_row)?;
    facts
        .filter(|f| f.as_ref().map_or(true, |f| filters.allows_fact(f)))
        .collect()
}

/// The state on `date`: each depot's latest snapshot taken on or before it.
/// A lot counts as expired against that snapshot's own date.
pub fn facts_as_of(
    conn: &Connection,
    date: NaiveDate,
    filters: &Filters,
) -> rusqlite::Result<Vec<Fact>> {
    let mut stmt = conn.prepare_cached(
        "WITH effective AS (
             SELECT depot_id, max(as_of) AS as_of FROM snapshot WHERE as_of <= ?1 GROUP BY depot_id
         )
         SELECT d.code, t.code, t.category, h.owner,
                CASE WHEN h.expires IS NOT NULL AND h.expires < e.as_of THEN 'EXPIRED' ELSE h.status END,
                h.notice_hours, sum(h.quantity)
         FROM effective e
         JOIN holding_version h ON h.depot_id = e.depot_id
              AND h.valid_from <= e.as_of AND (h.valid_to IS NULL OR h.valid_to > e.as_of)
         JOIN depot d ON d.id = h.depot_id
         JOIN equipment_type t ON t.id = h.type_id
         GROUP BY h.depot_id, h.type_id, h.owner, 5, h.notice_hours",
    )?;
    let facts = stmt.query_map([iso(date)], fact_from_row)?;
    facts
        .filter(|f| f.as_ref().map_or(true, |f| filters.allows_fact(f)))
        .collect()
}

pub fn requirements(conn: &Connection, filters: &Filters) -> rusqlite::Result<Vec<Requirement>> {
    let mut stmt = conn.prepare_cached(
        "SELECT d.code, t.code, t.category, r.required
         FROM requirement r
         JOIN depot d ON d.id = r.depot_id
         JOIN equipment_type t ON t.id = r.type_id",
    )?;
    let reqs = stmt.query_map([], |r| {
        Ok(Requirement {
            depot: r.get(0)?,
            type_code: r.get(1)?,
            category: r.get(2)?,
            required: r.get(3)?,
        })
    })?;
    reqs.filter(|r| r.as_ref().map_or(true, |r| filters.allows_requirement(r)))
        .collect()
}

/// Every date on which any snapshot was taken, oldest first.
pub fn snapshot_dates(
    conn: &Connection,
    until: Option<NaiveDate>,
) -> rusqlite::Result<Vec<NaiveDate>> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT as_of FROM snapshot WHERE ?1 IS NULL OR as_of <= ?1 ORDER BY as_of",
    )?;
    let dates = stmt.query_map(params![until.map(iso)], |r| r.get::<_, String>(0))?;
    dates
        .map(|d| {
            d.and_then(|d| {
                NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        0,
                        rusqlite::types::Type::Text,
                        Box::new(e),
                    )
                })
            })
        })
        .collect()
}

/// Depots that had reported by `date` (any snapshot on or before it; any at
/// all when `date` is None). Requirements count only for them, so that a
/// depot that had not yet reported does not show as empty on a past date.
pub fn reporting_depots(
    conn: &Connection,
    date: Option<NaiveDate>,
) -> rusqlite::Result<HashSet<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT d.code FROM snapshot s JOIN depot d ON d.id = s.depot_id
         WHERE ?1 IS NULL OR s.as_of <= ?1",
    )?;
    let codes = stmt.query_map(params![date.map(iso)], |r| r.get(0))?;
    codes.collect()
}

/// The requirements that apply on `date`, or None when the grouping or the
/// filters split depot × type pairs by owner (requirements are set per pair,
/// so no owner's share of them can be told).
pub fn applicable_requirements(
    conn: &Connection,
    filters: &Filters,
    by_owner: bool,
    date: Option<NaiveDate>,
) -> rusqlite::Result<Option<Vec<Requirement>>> {
    if by_owner || !filters.owners.is_empty() {
        return Ok(None);
    }
    let reporting = reporting_depots(conn, date)?;
    let mut reqs = requirements(conn, filters)?;
    reqs.retain(|r| reporting.contains(&r.depot));
    Ok(Some(reqs))
}
