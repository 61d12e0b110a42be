//! Reading the stockpile's state for reports: the current state from the
//! import-time aggregates, a past date's state from the versioned holdings.
//! Both are summed by SQLite down to the report's own group keys, so a
//! report reads a few hundred rows, not one per aggregate.

use std::collections::HashSet;

use crate::db::{self, Db, Owned as SqlValue, Value};
use chrono::NaiveDate;
use rustc_hash::FxHashMap;

use crate::model::{State, Status, iso, pack_nation, unpack_nation};
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
    /// bound (never spliced into the SQL). The query names its depot `d`,
    /// its type `t` and its holdings `src`.
    pub fn sql(&self, params: &mut Vec<SqlValue>) -> String {
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

/// The holdings a report reads, as `src(depot_id, type_id, owner, state,
/// notice_hours, quantity)`.
///
/// The current state comes from the import-time aggregates, which hold one
/// row per depot × type (and its notice values): a report reads at most
/// depots × types × a few rows, whatever the number of holdings. Owners
/// are not split there (the split multiplies the rows by ~30 on a real
/// force's data), so a report by or for owner, like a past date, reads the
/// versioned holdings live on each depot's snapshot in force, a lot
/// counting as expired against that snapshot's own date.
fn source(
    date: Option<NaiveDate>,
    needs_owner: bool,
    notice: Notice,
    params: &mut Vec<SqlValue>,
) -> String {
    if date.is_none() && !needs_owner {
        let mc = match notice {
            // The mission-capable quantity within the window summed by
            // SQLite (as notice 0) and beyond it (no notice): two rows per
            // depot × type, not one per notice value.
            Notice::Within(hours) => {
                params.push(SqlValue::Int(i64::from(hours)));
                let p = params.len();
                // One pass over the covering index, in its order (no
                // sort): FMC and PMC within and beyond the window.
                return format!(
                    "WITH notice_window AS MATERIALIZED (
                         SELECT depot_id, type_id,
                                sum(CASE WHEN notice_hours <= ?{p} THEN fmc ELSE 0 END) AS fmc_in,
                                sum(CASE WHEN notice_hours <= ?{p} THEN 0 ELSE fmc END) AS fmc_out,
                                sum(CASE WHEN notice_hours <= ?{p} THEN pmc ELSE 0 END) AS pmc_in,
                                sum(CASE WHEN notice_hours <= ?{p} THEN 0 ELSE pmc END) AS pmc_out
                         FROM readiness_notice GROUP BY depot_id, type_id
                     ),
                     src AS (
                         SELECT depot_id, type_id, NULL AS owner, 'FMC' AS state, 0 AS notice_hours, fmc_in AS quantity FROM notice_window WHERE fmc_in > 0
                         UNION ALL SELECT depot_id, type_id, NULL, 'FMC', NULL, fmc_out FROM notice_window WHERE fmc_out > 0
                         UNION ALL SELECT depot_id, type_id, NULL, 'PMC', 0, pmc_in FROM notice_window WHERE pmc_in > 0
                         UNION ALL SELECT depot_id, type_id, NULL, 'PMC', NULL, pmc_out FROM notice_window WHERE pmc_out > 0
                         UNION ALL SELECT depot_id, type_id, NULL, 'NMCM', NULL, nmcm FROM readiness_current WHERE nmcm > 0
                         UNION ALL SELECT depot_id, type_id, NULL, 'NMCS', NULL, nmcs FROM readiness_current WHERE nmcs > 0
                         UNION ALL SELECT depot_id, type_id, NULL, 'EXPIRED', NULL, expired FROM readiness_current WHERE expired > 0
                     )"
                );
            }
            Notice::Exact => "SELECT depot_id, type_id, NULL AS owner, 'FMC' AS state, notice_hours, fmc AS quantity
               FROM readiness_notice WHERE fmc > 0
             UNION ALL SELECT depot_id, type_id, NULL, 'PMC', notice_hours, pmc
               FROM readiness_notice WHERE pmc > 0"
                .to_string(),
            Notice::Ignored => "SELECT depot_id, type_id, NULL AS owner, 'FMC' AS state, NULL AS notice_hours, fmc AS quantity
               FROM readiness_current WHERE fmc > 0
             UNION ALL SELECT depot_id, type_id, NULL, 'PMC', NULL, pmc
               FROM readiness_current WHERE pmc > 0"
                .to_string(),
        };
        return format!(
            "WITH src AS ({mc}
             UNION ALL SELECT depot_id, type_id, NULL, 'NMCM', NULL, nmcm FROM readiness_current WHERE nmcm > 0
             UNION ALL SELECT depot_id, type_id, NULL, 'NMCS', NULL, nmcs FROM readiness_current WHERE nmcs > 0
             UNION ALL SELECT depot_id, type_id, NULL, 'EXPIRED', NULL, expired FROM readiness_current WHERE expired > 0)"
        );
    }
    let effective = match date {
        Some(d) => {
            params.push(SqlValue::Text(iso(d)));
            format!(
                "SELECT depot_id, max(as_of) AS as_of FROM snapshot WHERE as_of <= ?{} GROUP BY depot_id",
                params.len()
            )
        }
        None => "SELECT depot_id, max(as_of) AS as_of FROM snapshot GROUP BY depot_id".to_string(),
    };
    // One sequential pass over the versions (the small `effective` table is
    // looked up per row): reading each depot through its index instead
    // visits most pages once per depot when depots arrived interleaved.
    let open_only = if date.is_none() {
        "AND h.valid_to IS NULL"
    } else {
        ""
    };
    format!(
        "WITH effective AS ({effective}),
         src AS (
             SELECT h.depot_id, h.type_id, h.owner,
                    CASE WHEN h.expires IS NOT NULL AND h.expires < e.as_of
                         THEN 'EXPIRED' ELSE h.status END AS state,
                    h.notice_hours, h.quantity
             FROM holding_version h NOT INDEXED
             CROSS JOIN effective e
             WHERE e.depot_id = h.depot_id {open_only}
               AND h.valid_from <= e.as_of AND (h.valid_to IS NULL OR h.valid_to > e.as_of)
         )"
    )
}

/// Whether facts keep the notice to move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    Ignored,
    /// Every notice value (packages allocate by it).
    Exact,
    /// Only whether it is within these hours: notice 0 when it is, none
    /// when not (what `deployable --within` asks, read from fewer rows).
    Within(u32),
}

/// Holdings summed by `by`, state and (when asked) notice hours.
///
/// The rows of `src` are summed here by integer ids rather than by SQLite's
/// GROUP BY, which sorts them first.
pub fn facts(
    conn: &Db,
    by: &[Key],
    filters: &Filters,
    date: Option<NaiveDate>,
    notice: Notice,
) -> db::Result<Vec<Fact>> {
    let with_notice = notice != Notice::Ignored;
    let names = Names::load(conn)?;
    let mut params = Vec::new();
    let needs_owner = by.contains(&Key::Owner) || !filters.owners.is_empty();
    let with = source(date, needs_owner, notice, &mut params);
    let filter = filters.sql(&mut params);
    // Without filters there is nothing to join for: SQLite then streams the
    // rows of `src` instead of first copying them into a temporary table.
    let from = if filter.is_empty() {
        "FROM src"
    } else {
        "FROM src JOIN depot d ON d.id = src.depot_id JOIN equipment_type t ON t.id = src.type_id"
    };
    let sql = format!(
        "{with}
         SELECT src.depot_id, src.type_id, src.owner, src.state, src.notice_hours, src.quantity
         {from} WHERE TRUE {filter}"
    );
    let has = |k: Key| by.contains(&k);
    // (depot, type, category, owner, state, notice): -1 / 0 where not grouped.
    type GroupKey = (i64, i64, i64, u32, u8, i64);
    let mut sums: FxHashMap<GroupKey, i64> = FxHashMap::default();
    conn.each(&sql, &db::refs(&params), |r| {
        let depot: i64 = r.get(0)?;
        let type_id: i64 = r.get(1)?;
        let owner = match r.value(2)? {
            Value::Text(t) => pack_nation(t.as_bytes()),
            _ => 0,
        };
        let state = match r.value(3)? {
            Value::Text(t) => state_code(t.as_bytes()),
            _ => None,
        }
        .ok_or_else(|| crate::error::DbError::Column {
            index: 3,
            message: "an unknown state".into(),
        })?;
        let notice: Option<i64> = r.get(4)?;
        let key = (
            if has(Key::Depot) { depot } else { -1 },
            if has(Key::Type) { type_id } else { -1 },
            if has(Key::Category) {
                names.category_index(type_id)
            } else {
                -1
            },
            if has(Key::Owner) { owner } else { 0 },
            state,
            if with_notice {
                notice.unwrap_or(-1)
            } else {
                -2
            },
        );
        *sums.entry(key).or_insert(0) += r.get::<i64>(5)?;
        Ok(())
    })?;
    Ok(sums
        .into_iter()
        .map(
            |((depot, type_id, category, owner, state, notice), quantity)| {
                names.fact(
                    by,
                    (depot, type_id, category, owner),
                    state,
                    u32::try_from(notice).ok(),
                    quantity,
                )
            },
        )
        .collect())
}

pub(crate) const STATES: [State; 5] = [
    State::Reported(Status::Fmc),
    State::Reported(Status::Pmc),
    State::Reported(Status::Nmcm),
    State::Reported(Status::Nmcs),
    State::Expired,
];

fn state_code(text: &[u8]) -> Option<u8> {
    STATES
        .iter()
        .position(|s| s.as_str().as_bytes() == text)
        .map(|i| i as u8)
}

/// Depot and type names by id, loaded once per report.
pub(crate) struct Names {
    depots: FxHashMap<i64, String>,
    types: FxHashMap<i64, (String, Option<String>)>,
    categories: Vec<String>,
}

impl Names {
    pub(crate) fn load(conn: &Db) -> db::Result<Names> {
        let mut depots = FxHashMap::default();
        conn.each("SELECT id, code FROM depot", &[], |r| {
            depots.insert(r.get(0)?, r.get(1)?);
            Ok(())
        })?;
        let mut types = FxHashMap::default();
        let mut categories: Vec<String> = Vec::new();
        let rows = conn.rows(
            "SELECT id, code, category FROM equipment_type ORDER BY id",
            &[],
            |r| Ok((r.get(0)?, r.get(1)?, r.get::<Option<String>>(2)?)),
        )?;
        for (id, code, category) in rows {
            if let Some(c) = &category
                && !categories.contains(c)
            {
                categories.push(c.clone());
            }
            types.insert(id, (code, category));
        }
        Ok(Names {
            depots,
            types,
            categories,
        })
    }

    fn depot(&self, id: i64) -> Option<String> {
        self.depots.get(&id).cloned()
    }

    fn type_code(&self, id: i64) -> Option<String> {
        self.types.get(&id).map(|t| t.0.clone())
    }

    pub(crate) fn category_index(&self, type_id: i64) -> i64 {
        self.types
            .get(&type_id)
            .and_then(|t| t.1.as_ref())
            .and_then(|c| self.categories.iter().position(|x| x == c))
            .map_or(-1, |i| i as i64)
    }

    /// Whether a holding of this depot, type and owner passes the filters.
    pub(crate) fn passes(
        &self,
        filters: &Filters,
        depot: i64,
        type_id: i64,
        owner: Option<&str>,
    ) -> bool {
        let depot = self.depots.get(&depot).map(String::as_str);
        let (type_code, category) = match self.types.get(&type_id) {
            Some((code, category)) => (Some(code.as_str()), category.as_deref()),
            None => (None, None),
        };
        Filters::allows(&filters.depots, depot)
            && Filters::allows(&filters.types, type_code)
            && Filters::allows(&filters.categories, category)
            && Filters::allows(&filters.owners, owner)
    }

    /// A fact of a group: (depot, type, category index, packed owner) ids,
    /// -1 / 0 where not grouped, named in the order of `by`.
    pub(crate) fn fact(
        &self,
        by: &[Key],
        (depot, type_id, category, owner): (i64, i64, i64, u32),
        state: u8,
        notice_hours: Option<u32>,
        quantity: i64,
    ) -> Fact {
        Fact {
            keys: by
                .iter()
                .map(|k| match k {
                    Key::Depot => self.depot(depot),
                    Key::Type => self.type_code(type_id),
                    Key::Category => self.category(category),
                    Key::Owner => unpack_nation(owner),
                })
                .collect(),
            state: STATES[state as usize % STATES.len()],
            notice_hours,
            quantity,
        }
    }

    fn category(&self, index: i64) -> Option<String> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.categories.get(i).cloned())
    }
}

/// Mission-capable quantity (FMC or PMC, not an expired lot) with a notice
/// of at most `within` hours, as (depot, type, notice, quantity): what a
/// force package can draw on. Filtered in SQL before anything is summed,
/// since a package names a few dozen of the stockpile's types.
pub fn issuable(
    conn: &Db,
    filters: &Filters,
    date: Option<NaiveDate>,
    within: u32,
) -> db::Result<Vec<(String, String, u32, i64)>> {
    let names = Names::load(conn)?;
    let ids = |map: &FxHashMap<i64, String>, codes: &[String]| -> Vec<SqlValue> {
        map.iter()
            .filter(|(_, code)| codes.contains(code))
            .map(|(&id, _)| SqlValue::Int(id))
            .collect()
    };
    let type_codes: FxHashMap<i64, String> = names
        .types
        .iter()
        .map(|(&id, (code, _))| (id, code.clone()))
        .collect();
    let mut params = Vec::new();
    let with = source(date, !filters.owners.is_empty(), Notice::Exact, &mut params);
    params.push(SqlValue::Int(i64::from(within)));
    let mut sql = format!(
        "{with}
         SELECT src.depot_id, src.type_id, src.notice_hours, sum(src.quantity) FROM src
         WHERE (src.state = 'FMC' OR src.state = 'PMC')
           AND src.notice_hours IS NOT NULL AND src.notice_hours <= ?{}",
        params.len()
    );
    // Ids, not codes, in the filters: the rows are compared as integers
    // before any join.
    for (column, wanted, values) in [
        (
            "src.type_id",
            !filters.types.is_empty(),
            ids(&type_codes, &filters.types),
        ),
        (
            "src.depot_id",
            !filters.depots.is_empty(),
            ids(&names.depots, &filters.depots),
        ),
        (
            "src.owner",
            !filters.owners.is_empty(),
            filters.owners.iter().cloned().map(SqlValue::Text).collect(),
        ),
    ] {
        if !wanted {
            continue;
        }
        let marks: Vec<String> = values
            .into_iter()
            .map(|v| {
                params.push(v);
                format!("?{}", params.len())
            })
            .collect();
        sql.push_str(&format!(" AND {column} IN ({})", marks.join(", ")));
    }
    sql.push_str(" GROUP BY src.depot_id, src.type_id, src.notice_hours");
    let mut out = Vec::new();
    conn.each(&sql, &db::refs(&params), |r| {
        let (depot, type_id): (i64, i64) = (r.get(0)?, r.get(1)?);
        if let (Some(d), Some(t)) = (names.depot(depot), names.type_code(type_id)) {
            out.push((d, t, r.get(2)?, r.get(3)?));
        }
        Ok(())
    })?;
    Ok(out)
}

/// On-hand quantity per depot × type, for the fill rate.
pub fn pair_on_hand(
    conn: &Db,
    filters: &Filters,
    date: Option<NaiveDate>,
) -> db::Result<PairOnHand> {
    let facts = facts(
        conn,
        &[Key::Depot, Key::Type],
        filters,
        date,
        Notice::Ignored,
    )?;
    let mut pairs = PairOnHand::new();
    for f in facts {
        if let [Some(d), Some(t)] = &f.keys[..] {
            *pairs.entry((d.clone(), t.clone())).or_insert(0) += f.quantity;
        }
    }
    Ok(pairs)
}

pub fn requirements(conn: &Db, filters: &Filters) -> db::Result<Vec<Requirement>> {
    let mut reqs = conn.rows(
        "SELECT d.code, t.code, t.category, r.required
         FROM requirement r
         JOIN depot d ON d.id = r.depot_id
         JOIN equipment_type t ON t.id = r.type_id
         ORDER BY r.depot_id, r.type_id",
        &[],
        |r| {
            Ok(Requirement {
                depot: r.get(0)?,
                type_code: r.get(1)?,
                category: r.get(2)?,
                required: r.get(3)?,
            })
        },
    )?;
    reqs.retain(|r| filters.allows_requirement(r));
    Ok(reqs)
}

/// Every date on which any snapshot was taken, oldest first.
pub fn snapshot_dates(conn: &Db, until: Option<NaiveDate>) -> db::Result<Vec<NaiveDate>> {
    conn.rows(
        "SELECT DISTINCT as_of FROM snapshot WHERE CAST(?1 AS TEXT) IS NULL OR as_of <= ?1 ORDER BY as_of",
        &[&until.map(iso)],
        |r| r.get(0),
    )
}

/// Depots that had reported by `date` (any snapshot on or before it; any at
/// all when `date` is None). Requirements count only for them, so that a
/// depot that had not yet reported does not show as empty on a past date.
pub fn reporting_depots(conn: &Db, date: Option<NaiveDate>) -> db::Result<HashSet<String>> {
    let codes = conn.rows(
        "SELECT DISTINCT d.code FROM snapshot s JOIN depot d ON d.id = s.depot_id
         WHERE CAST(?1 AS TEXT) IS NULL OR s.as_of <= ?1",
        &[&date.map(iso)],
        |r| r.get(0),
    )?;
    Ok(codes.into_iter().collect())
}

/// The requirements that apply on `date` with the on-hand quantities they
/// are compared with, or None when there are none or when the grouping or
/// the filters split depot × type pairs by owner (requirements are set per
/// pair, so no owner's share of them can be told).
pub fn applicable_requirements(
    conn: &Db,
    filters: &Filters,
    by_owner: bool,
    date: Option<NaiveDate>,
) -> db::Result<Option<(Vec<Requirement>, PairOnHand)>> {
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
