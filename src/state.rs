//! Reading the stockpile's state for reports: the current state from the
//! import-time aggregates, a past date's state from the versioned holdings.
//! Both are summed by SQLite down to the report's own group keys, so a
//! report reads a few hundred rows, not one per aggregate.

use std::collections::HashSet;

use chrono::NaiveDate;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, params, params_from_iter};

use crate::model::{State, iso};
use crate::readiness::{Fact, Key, PairOnHand, Requirement};

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

    pub fn allows_requirement(&self, r: &Requirement) -> bool {
        Self::allows(&self.depots, Some(&r.depot))
            && Self::allows(&self.types, Some(&r.type_code))
            && Self::allows(&self.categories, r.category.as_deref())
    }

    /// `AND column IN (?, ?, …)` for each non-empty filter, with its values
    /// bound (never spliced into the SQL).
    fn sql(&self, params: &mut Vec<SqlValue>) -> String {
        let mut sql = String::new();
        for (column, values) in [
            ("d.code", &self.depots),
            ("t.code", &self.types),
            ("t.category", &self.categories),
            ("src.owner", &self.owners),
        ] {
            if values.is_empty() {
                continue;
            }
            let marks: Vec<String> = values
                .iter()
                .map(|v| {
                    params.push(SqlValue::Text(v.clone()));
                    format!("?{}", params.len())
                })
                .collect();
            sql.push_str(&format!(" AND {column} IN ({})", marks.join(", ")));
        }
        sql
    }
}

fn key_sql(key: Key) -> &'static str {
    match key {
        Key::Depot => "d.code",
        Key::Type => "t.code",
        Key::Category => "t.category",
        Key::Owner => "src.owner",
    }
}

/// The holdings a report reads, as `src(depot_id, type_id, owner, state,
/// notice_hours, quantity)`: each depot's current aggregates, or on a past
/// date the versions live on the depot's snapshot in force then, a lot
/// counting as expired against that snapshot's own date.
fn source(date: Option<NaiveDate>, params: &mut Vec<SqlValue>) -> String {
    match date {
        None => "WITH src AS (SELECT depot_id, type_id, owner, state, notice_hours, quantity
                              FROM readiness_current)"
            .to_string(),
        Some(d) => {
            params.push(SqlValue::Text(iso(d)));
            let p = params.len();
            format!(
                "WITH effective AS (
                     SELECT depot_id, max(as_of) AS as_of FROM snapshot WHERE as_of <= ?{p} GROUP BY depot_id
                 ),
                 src AS (
                     SELECT h.depot_id, h.type_id, h.owner,
                            CASE WHEN h.expires IS NOT NULL AND h.expires < e.as_of
                                 THEN 'EXPIRED' ELSE h.status END AS state,
                            h.notice_hours, h.quantity
                     FROM effective e
                     JOIN holding_version h ON h.depot_id = e.depot_id
                          AND h.valid_from <= e.as_of AND (h.valid_to IS NULL OR h.valid_to > e.as_of)
                 )"
            )
        }
    }
}

/// Holdings summed by `by`, state and (when `with_notice`) notice hours.
pub fn facts(
    conn: &Connection,
    by: &[Key],
    filters: &Filters,
    date: Option<NaiveDate>,
    with_notice: bool,
) -> rusqlite::Result<Vec<Fact>> {
    let mut params = Vec::new();
    let with = source(date, &mut params);
    let keys: Vec<&str> = by.iter().map(|k| key_sql(*k)).collect();
    let mut select: Vec<&str> = keys.clone();
    select.push("src.state");
    select.push(if with_notice {
        "src.notice_hours"
    } else {
        "NULL"
    });
    select.push("sum(src.quantity)");
    let group: Vec<String> = (1..=by.len() + 2).map(|i| i.to_string()).collect();
    let sql = format!(
        "{with}
         SELECT {}
         FROM src JOIN depot d ON d.id = src.depot_id JOIN equipment_type t ON t.id = src.type_id
         WHERE 1 {}
         GROUP BY {}",
        select.join(", "),
        filters.sql(&mut params),
        group.join(", ")
    );
    let mut stmt = conn.prepare(&sql)?;
    let n = by.len();
    let rows = stmt.query_map(params_from_iter(params), |r| {
        let keys = (0..n).map(|i| r.get(i)).collect::<rusqlite::Result<_>>()?;
        let state: String = r.get(n)?;
        Ok(Fact {
            keys,
            state: State::parse(&state).ok_or_else(|| {
                rusqlite::Error::FromSqlConversionFailure(
                    n,
                    rusqlite::types::Type::Text,
                    format!("unknown state {state}").into(),
                )
            })?,
            notice_hours: r.get(n + 1)?,
            quantity: r.get(n + 2)?,
        })
    })?;
    rows.collect()
}

/// On-hand quantity per depot × type, for the fill rate.
pub fn pair_on_hand(
    conn: &Connection,
    filters: &Filters,
    date: Option<NaiveDate>,
) -> rusqlite::Result<PairOnHand> {
    let facts = facts(conn, &[Key::Depot, Key::Type], filters, date, false)?;
    let mut pairs = PairOnHand::new();
    for f in facts {
        if let [Some(d), Some(t)] = &f.keys[..] {
            *pairs.entry((d.clone(), t.clone())).or_insert(0) += f.quantity;
        }
    }
    Ok(pairs)
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

/// The requirements that apply on `date` with the on-hand quantities they
/// are compared with, or None when there are none or when the grouping or
/// the filters split depot × type pairs by owner (requirements are set per
/// pair, so no owner's share of them can be told).
pub fn applicable_requirements(
    conn: &Connection,
    filters: &Filters,
    by_owner: bool,
    date: Option<NaiveDate>,
) -> rusqlite::Result<Option<(Vec<Requirement>, PairOnHand)>> {
    if by_owner || !filters.owners.is_empty() {
        return Ok(None);
    }
    let reporting = reporting_depots(conn, date)?;
    let mut reqs = requirements(conn, filters)?;
    reqs.retain(|r| reporting.contains(&r.depot));
    if reqs.is_empty() {
        return Ok(None);
    }
    let pairs = pair_on_hand(conn, filters, date)?;
    Ok(Some((reqs, pairs)))
}
