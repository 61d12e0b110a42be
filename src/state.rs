//! Reading the stockpile's state for reports: the current state from the
//! import-time aggregates, a past date's state from the versioned holdings.
//! Both are summed by SQLite down to the report's own group keys, so a
//! report reads a few hundred rows, not one per aggregate.

use std::collections::HashSet;

use crate::db::{self, Db, Owned as SqlValue, Value};
use crate::suspension::Targets;
use chrono::{Datelike, NaiveDate};
use rustc_hash::{FxHashMap, FxHashSet};
use std::rc::Rc;

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
    /// The owners the filter lets through, packed (None: all).
    pub(crate) fn packed_owners(&self) -> Option<FxHashSet<u32>> {
        (!self.owners.is_empty()).then(|| {
            self.owners
                .iter()
                .map(|o| pack_nation(o.as_bytes()))
                .collect()
        })
    }

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

/// The versioned holdings live on each depot's snapshot in force on `date`
/// (its latest when None), as `src(depot_id, type_id, owner, ammo, state,
/// notice_hours, quantity)`: `ammo` 1 for a lot, and a lot whose expiry is
/// before `judged` (the date the figures are about) in state EXPIRED.
/// What a past date, or a split by depot, type and owner at once, is read
/// from: the aggregates keep neither. `ids`' depots, when the filters name
/// some, are read through their index.
fn versions(
    date: Option<NaiveDate>,
    judged: NaiveDate,
    suspended: &Targets,
    ids: &Ids,
    params: &mut Vec<SqlValue>,
) -> String {
    let on = match date {
        Some(d) => On::Date(d),
        None => On::Latest,
    };
    versions_on(on, judged, suspended, ids.depots.as_ref(), params)
}

/// Which snapshot of each depot a state is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum On {
    /// Each depot's latest snapshot.
    Latest,
    /// Each depot's latest snapshot on or before the date.
    Date(NaiveDate),
    /// Each depot's snapshot before the one in force on `as_of` (the
    /// latest when None) — or its latest on or before `since` — what
    /// `changes` compares with; a depot with nothing earlier, its one.
    Previous {
        as_of: Option<NaiveDate>,
        since: Option<NaiveDate>,
    },
}

/// `SELECT depot_id, as_of` of each depot's snapshot in a state.
pub(crate) fn effective(on: On, params: &mut Vec<SqlValue>) -> String {
    let mut bind = |d: NaiveDate| {
        params.push(SqlValue::Text(iso(d)));
        format!("?{}", params.len())
    };
    match on {
        On::Latest => "SELECT depot_id, max(as_of) AS as_of FROM snapshot GROUP BY depot_id".into(),
        On::Date(d) => format!(
            "SELECT depot_id, max(as_of) AS as_of FROM snapshot WHERE as_of <= {} GROUP BY depot_id",
            bind(d)
        ),
        On::Previous { as_of, since } => {
            let upto = as_of.map_or("TRUE".into(), |d| format!("as_of <= {}", bind(d)));
            let before = match since {
                Some(d) => format!("p.as_of <= {}", bind(d)),
                None => "TRUE".into(),
            };
            format!(
                "SELECT l.depot_id, coalesce(
                     (SELECT max(p.as_of) FROM snapshot p
                      WHERE p.depot_id = l.depot_id AND p.as_of < l.as_of AND {before}),
                     l.as_of) AS as_of
                 FROM (SELECT depot_id, max(as_of) AS as_of FROM snapshot WHERE {upto}
                       GROUP BY depot_id) l"
            )
        }
    }
}

/// The versions of a state, as `src(depot_id, type_id, owner, ammo, state,
/// notice_hours, quantity, expires, priority)`: a line under a suspended
/// condition code, or a lot under one of the `suspended` rules (those in
/// force on the date the figures are about), in state SUSPENDED; `priority`
/// 1 for condition C.
fn versions_on(
    on: On,
    judged: NaiveDate,
    suspended: &Targets,
    depots: Option<&FxHashSet<i64>>,
    params: &mut Vec<SqlValue>,
) -> String {
    params.push(SqlValue::Text(iso(judged)));
    let on_day = params.len();
    let effective = effective(on, params);
    let (susp_cte, by_notice) = if suspended.is_empty() {
        (String::new(), String::new())
    } else {
        (
            format!(
                "{},
",
                suspended.sql(params)
            ),
            "WHEN h.lot IS NOT NULL AND EXISTS (SELECT 1 FROM susp s
                   WHERE s.type_id = h.type_id AND (s.lot IS NULL OR s.lot = h.lot))
                  THEN 'SUSPENDED'"
                .to_string(),
        )
    };
    // One sequential pass over the versions (the small `effective` table is
    // looked up per row): reading each depot through its index instead
    // visits most pages once per depot when depots arrived interleaved.
    // Each depot's latest snapshot holds exactly its open versions: no
    // table to look up then.
    let (from, valid) = if on == On::Latest {
        ("", "h.valid_to IS NULL")
    } else {
        (
            "CROSS JOIN effective e",
            "e.depot_id = h.depot_id
               AND h.valid_from <= e.as_of AND (h.valid_to IS NULL OR h.valid_to > e.as_of)",
        )
    };
    // A few depots named by the filters: their versions through their
    // index, not a pass over all. Depot ids the database gave: safe to
    // splice.
    let (indexed, within) = match depots {
        Some(depots) => {
            let mut list: Vec<String> = depots.iter().map(i64::to_string).collect();
            list.sort_unstable();
            match list.is_empty() {
                true => ("", " AND FALSE".to_string()),
                false => ("", format!(" AND h.depot_id IN ({})", list.join(", "))),
            }
        }
        None => ("NOT INDEXED", String::new()),
    };
    let on = on_day;
    format!(
        "WITH {susp_cte}effective AS ({effective}),
         src AS (
             SELECT h.depot_id, h.type_id, h.owner,
                    CASE WHEN h.lot IS NULL THEN 0 ELSE 1 END AS ammo,
                    CASE WHEN h.condition_code IN ('J', 'K', 'L', 'M', 'N') THEN 'SUSPENDED'
                         {by_notice}
                         WHEN h.lot IS NOT NULL AND h.expires < ?{on}
                         THEN 'EXPIRED' ELSE h.status END AS state,
                    h.notice_hours, h.quantity, h.expires,
                    CASE WHEN h.condition_code = 'C' THEN 1 ELSE 0 END AS priority
             FROM holding_version h {indexed} {from}
             WHERE {valid}{within}
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
    /// when not (what `deployable --within` asks).
    Within(u32),
}

impl Notice {
    /// The notice a fact keeps: -2 when ignored, -1 for none.
    fn key(self, notice: Option<i64>) -> i64 {
        match self {
            Notice::Ignored => -2,
            Notice::Exact => notice.unwrap_or(-1),
            Notice::Within(h) => match notice {
                Some(n) if n <= i64::from(h) => 0,
                _ => -1,
            },
        }
    }
}

/// What a question tells apart, by its grouping or its filters: which of
/// the import-time sums can answer it.
pub(crate) struct Told {
    pub owners: bool,
    pub depots: bool,
    /// Types, or categories (told by their types).
    pub types: bool,
}

impl Told {
    pub(crate) fn apart(by: &[Key], filters: &Filters) -> Told {
        Told {
            owners: by.contains(&Key::Owner) || !filters.owners.is_empty(),
            depots: by.contains(&Key::Depot) || !filters.depots.is_empty(),
            types: by.contains(&Key::Type)
                || by.contains(&Key::Category)
                || !filters.types.is_empty()
                || !filters.categories.is_empty(),
        }
    }
}

/// The date figures are about: the `--as-of` date, or `today` for the
/// current state.
pub fn judged(date: Option<NaiveDate>, today: NaiveDate) -> NaiveDate {
    date.unwrap_or(today)
}

/// (depot, type, category, owner, kind and state, notice): -1 / 0 where
/// not grouped; the state's index is offset by STATES.len() for a lot.
type GroupKey = (i64, i64, i64, u32, u8, i64);

/// (depot, type, category, owner) ids of a group, as [`GroupKey`] starts.
type Group = (i64, i64, i64, u32);

/// Sums holdings into a report's groups.
struct Sums<'a> {
    by: &'a [Key],
    names: &'a Names,
    notice: Notice,
    sums: FxHashMap<GroupKey, i64>,
}

impl Sums<'_> {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        depot: i64,
        type_id: i64,
        owner: u32,
        ammo: bool,
        state: u8,
        notice: Option<i64>,
        quantity: i64,
    ) {
        if quantity == 0 {
            return;
        }
        let has = |k: Key| self.by.contains(&k);
        let key = (
            if has(Key::Depot) { depot } else { -1 },
            if has(Key::Type) { type_id } else { -1 },
            if has(Key::Category) {
                self.names.category_index(type_id)
            } else {
                -1
            },
            if has(Key::Owner) { owner } else { 0 },
            state + if ammo { STATES.len() as u8 } else { 0 },
            self.notice.key(notice),
        );
        *self.sums.entry(key).or_insert(0) += quantity;
    }

    fn facts(self) -> Vec<Fact> {
        let (names, by) = (self.names, self.by);
        // The expired lots' rows cancel their status's part exactly.
        let mut sums: Vec<(GroupKey, i64)> =
            self.sums.into_iter().filter(|(_, q)| *q != 0).collect();
        // A group's facts together, sharing its keys, made once.
        sums.sort_unstable_by_key(|&(key, _)| key);
        let mut keys: Option<(Group, Rc<[Option<String>]>)> = None;
        sums.into_iter()
            .map(
                |((depot, type_id, category, owner, state, notice), quantity)| {
                    let group = (depot, type_id, category, owner);
                    let shared = match &keys {
                        Some((g, k)) if *g == group => k.clone(),
                        _ => {
                            let k: Rc<[Option<String>]> = names.keys(by, group).into();
                            keys = Some((group, k.clone()));
                            k
                        }
                    };
                    fact(shared, state, u32::try_from(notice).ok(), quantity)
                },
            )
            .collect()
    }
}

/// A fact of `state` (an index in [`STATES`], offset by its length for
/// a lot).
fn fact(keys: Rc<[Option<String>]>, state: u8, notice_hours: Option<u32>, quantity: i64) -> Fact {
    Fact {
        keys,
        ammo: usize::from(state) >= STATES.len(),
        state: STATES[state as usize % STATES.len()],
        notice_hours,
        quantity,
    }
}

/// The index in [`STATES`] of FMC, PMC, NMCM, NMCS, EXPIRED and SUSPENDED.
const FMC: u8 = 0;
const PMC: u8 = 1;
const NMCM: u8 = 2;
pub(crate) const NMCS: u8 = 3;
pub(crate) const EXPIRED: u8 = 4;
pub const SUSPENDED: u8 = 5;

/// Holdings summed by `by`, kind, state and (when asked) notice hours, as
/// they stand on `date` (None: each depot's latest snapshot), lots judged
/// against `judged`.
///
/// The current state comes from the import-time aggregates, the smallest
/// split that answers: per owner and type, force-wide, when no depot is
/// told apart; per depot and owner when no type is; per depot and type
/// otherwise (each with its notice values). A report reads at most a few
/// rows per group, whatever the number of holdings, each table once, its
/// columns turned into facts here. They keep lots under their reported
/// status; the lots expired by `judged` are read from `readiness_expiry`
/// and moved to EXPIRED. By depot, type and owner at once (a split that
/// would hold nearly a row per holding), or on a past date, the facts come
/// from the versioned holdings. Rows are summed here by integer ids rather
/// than by SQL's GROUP BY, which sorts them first.
pub fn facts(
    conn: &Db,
    by: &[Key],
    filters: &Filters,
    date: Option<NaiveDate>,
    judged: NaiveDate,
    notice: Notice,
) -> db::Result<Vec<Fact>> {
    let names = Names::load(conn)?;
    let mut sums = Sums {
        by,
        names: &names,
        notice,
        sums: FxHashMap::default(),
    };
    let told = Told::apart(by, filters);
    let suspended = Targets::load(conn)?.on(judged);
    let owners = filters.packed_owners();
    let only = owners.as_ref();
    // The aggregates split by depot and type, by owner and type, or by
    // depot and owner: a report that needs the three at once reads the
    // versions (a split by all three would hold nearly a row per holding).
    let split = match (told.owners, told.depots, told.types) {
        // Force-wide by type, the sums by owner and type are the smaller
        // (9,300 rows and 64,483 by notice on the million-holding
        // benchmark, against 60,000 and 347,761 by depot).
        (false, false, _) => Some(Split::Owners(None)),
        // By depot without types, the sums by depot and owner likewise
        // (6,200 rows and 43,360 by notice).
        (false, true, false) => Some(Split::DepotOwners(None)),
        (false, true, true) => Some(Split::Depots),
        (true, false, _) => Some(Split::Owners(only)),
        (true, true, false) => Some(Split::DepotOwners(only)),
        (true, true, true) => None,
    };
    let ids = names.ids(filters);
    if let (None, Some(split)) = (date, split) {
        aggregates(conn, &mut sums, &ids, &split, judged)?;
        for lot in suspended_lots(conn, &suspended, &ids)? {
            let Some((depot, type_id)) = split.pass(&ids, lot.depot, lot.type_id, lot.owner) else {
                continue;
            };
            // Out of the state the aggregates counted it in (expired by
            // the date, or its status, with its notice when kept) and into
            // SUSPENDED.
            let (state, notice) = if lot.expires.is_some_and(|e| e < judged) {
                (EXPIRED, None)
            } else if lot.status <= PMC && sums.notice != Notice::Ignored {
                (lot.status, lot.notice)
            } else {
                (lot.status, None)
            };
            sums.add(
                depot,
                type_id,
                lot.owner,
                true,
                state,
                notice,
                -lot.quantity,
            );
            sums.add(
                depot,
                type_id,
                lot.owner,
                true,
                SUSPENDED,
                None,
                lot.quantity,
            );
        }
        return Ok(sums.facts());
    }
    let mut params = Vec::new();
    let with = versions(date, judged, &suspended, &ids, &mut params);
    let filter = filters.sql(&mut params);
    // Without filters there is nothing to join for: SQLite then streams the
    // rows of `src` instead of first copying them into a temporary table.
    let from = if filter.is_empty() {
        "FROM src"
    } else {
        "FROM src JOIN depot d ON d.id = src.depot_id JOIN equipment_type t ON t.id = src.type_id"
    };
    // On a server every row crosses the wire and is decoded here (a
    // million for a report by owner): the server sums them by what the
    // report keeps. SQLite's grouping sorts; summing here is faster there.
    let sql = if conn.postgres().is_some() {
        let has = |k: Key| by.contains(&k);
        let kept = |keep: bool, column: &'static str, none: &'static str| {
            if keep { column } else { none }
        };
        format!(
            "{with}
             SELECT {}, {}, {}, src.ammo, src.state, {}, CAST(sum(src.quantity) AS BIGINT)
             {from} WHERE TRUE {filter}
             GROUP BY 1, 2, 3, 4, 5, 6",
            kept(has(Key::Depot), "src.depot_id", "0"),
            kept(has(Key::Type) || has(Key::Category), "src.type_id", "0"),
            kept(has(Key::Owner), "src.owner", "NULL"),
            kept(notice != Notice::Ignored, "src.notice_hours", "NULL"),
        )
    } else {
        format!(
            "{with}
             SELECT src.depot_id, src.type_id, src.owner, src.ammo, src.state, src.notice_hours, src.quantity
             {from} WHERE TRUE {filter}"
        )
    };
    conn.each(&sql, &db::refs(&params), |r| {
        let owner = match r.value(2)? {
            Value::Text(t) => pack_nation(t.as_bytes()),
            _ => 0,
        };
        let state = match r.value(4)? {
            Value::Text(t) => state_code(t.as_bytes()),
            _ => None,
        }
        .ok_or_else(|| crate::error::DbError::Column {
            index: 4,
            message: "an unknown state".into(),
        })?;
        sums.add(
            r.get(0)?,
            r.get(1)?,
            owner,
            r.get::<i64>(3)? != 0,
            state,
            r.get(5)?,
            r.get(6)?,
        );
        Ok(())
    })?;
    Ok(sums.facts())
}

/// Every row of the import-time sums by depot and type: depot and type
/// ids, equipment FMC … NMCS, lots FMC … NMCS, lots suspended.
pub(crate) const CURRENT_SUMS: &str =
    "SELECT depot_id, type_id, fmc, pmc, nmcm, nmcs, ammo_fmc, ammo_pmc, ammo_nmcm, ammo_nmcs,
            ammo_susp
     FROM readiness_current";

/// Which import-time sums a current state is read from.
enum Split<'a> {
    /// Per depot and type.
    Depots,
    /// Per owner and type, force-wide (no depot told apart); the owners
    /// an `--owner` filter lets through, packed (None: all).
    Owners(Option<&'a FxHashSet<u32>>),
    /// Per depot and owner, all types together (no type told apart).
    DepotOwners(Option<&'a FxHashSet<u32>>),
}

impl Split<'_> {
    /// Each query's rows start with the depot id (0 when split by owner),
    /// the type id and the owner (NULL when split by depot).
    fn queries(&self) -> [&'static str; 3] {
        match self {
            Split::Depots => [
                "SELECT depot_id, type_id, NULL, notice_hours, fmc, pmc, ammo_fmc, ammo_pmc
                 FROM readiness_notice",
                "SELECT depot_id, type_id, NULL, fmc, pmc, nmcm, nmcs, ammo_fmc, ammo_pmc, ammo_nmcm,
                        ammo_nmcs, ammo_susp
                 FROM readiness_current",
                "SELECT depot_id, type_id, NULL, notice_hours, status, quantity FROM readiness_expiry
                 WHERE expires < ?1",
            ],
            Split::Owners(_) => [
                "SELECT 0, type_id, owner, notice_hours, fmc, pmc, ammo_fmc, ammo_pmc
                 FROM readiness_owner_notice",
                "SELECT 0, type_id, owner, fmc, pmc, nmcm, nmcs, ammo_fmc, ammo_pmc, ammo_nmcm,
                        ammo_nmcs, ammo_susp
                 FROM readiness_owner",
                "SELECT depot_id, type_id, owner, notice_hours, status, quantity FROM readiness_expiry
                 WHERE expires < ?1",
            ],
            Split::DepotOwners(_) => [
                "SELECT depot_id, 0, owner, notice_hours, fmc, pmc, ammo_fmc, ammo_pmc
                 FROM readiness_depot_owner_notice",
                "SELECT depot_id, 0, owner, fmc, pmc, nmcm, nmcs, ammo_fmc, ammo_pmc, ammo_nmcm,
                        ammo_nmcs, ammo_susp
                 FROM readiness_depot_owner",
                "SELECT depot_id, type_id, owner, notice_hours, status, quantity FROM readiness_expiry
                 WHERE expires < ?1",
            ],
        }
    }

    /// The depot (0 when split by owner and type) and type (0 when split
    /// by depot and owner) of a row, when it passes the filters.
    fn passes(&self, ids: &Ids, r: &db::Row, owner: u32) -> db::Result<Option<(i64, i64)>> {
        let (depot, type_id) = (r.get(0)?, r.get(1)?);
        Ok(self.pass(ids, depot, type_id, owner))
    }

    fn pass(&self, ids: &Ids, depot: i64, type_id: i64, owner: u32) -> Option<(i64, i64)> {
        let owner_passes = |only: &Option<&FxHashSet<u32>>| only.is_none_or(|o| o.contains(&owner));
        match self {
            Split::Depots => ids.pass(depot, type_id).then_some((depot, type_id)),
            Split::Owners(only) => {
                (ids.pass(depot, type_id) && owner_passes(only)).then_some((0, type_id))
            }
            // No type filter reaches here.
            Split::DepotOwners(only) => {
                (ids.depot_passes(depot) && owner_passes(only)).then_some((depot, 0))
            }
        }
    }
}

/// A row's owner, packed (0 for none).
fn owner_of(r: &db::Row, index: usize) -> db::Result<u32> {
    Ok(match r.value(index)? {
        Value::Text(t) => pack_nation(t.as_bytes()),
        _ => 0,
    })
}

/// The current state from the aggregates, lots judged on `judged`.
fn aggregates(
    conn: &Db,
    sums: &mut Sums,
    ids: &Ids,
    split: &Split,
    judged: NaiveDate,
) -> db::Result<()> {
    let by_notice = sums.notice != Notice::Ignored;
    let [notice_sql, sums_sql, expiry_sql] = split.queries();
    // Mission-capable quantities with their notice (by notice), or without.
    if by_notice {
        conn.each(notice_sql, &[], |r| {
            let owner = owner_of(r, 2)?;
            if let Some((depot, type_id)) = split.passes(ids, r, owner)? {
                let notice = r.get(3)?;
                for (i, (ammo, state)) in [(false, FMC), (false, PMC), (true, FMC), (true, PMC)]
                    .into_iter()
                    .enumerate()
                {
                    sums.add(depot, type_id, owner, ammo, state, notice, r.get(4 + i)?);
                }
            }
            Ok(())
        })?;
    }
    conn.each(sums_sql, &[], |r| {
        let owner = owner_of(r, 2)?;
        if let Some((depot, type_id)) = split.passes(ids, r, owner)? {
            for (i, state) in [FMC, PMC, NMCM, NMCS].into_iter().enumerate() {
                if by_notice && state <= PMC {
                    continue; // read with their notice above
                }
                sums.add(depot, type_id, owner, false, state, None, r.get(3 + i)?);
                sums.add(depot, type_id, owner, true, state, None, r.get(7 + i)?);
            }
            sums.add(depot, type_id, owner, true, SUSPENDED, None, r.get(11)?);
        }
        Ok(())
    })?;
    // Lots expired by the date: taken from their status (with the notice
    // the mission-capable rows carry) and counted as expired.
    conn.each(expiry_sql, &[&iso(judged)], |r| {
        let owner = owner_of(r, 2)?;
        if let Some((depot, type_id)) = split.passes(ids, r, owner)? {
            let state = match r.value(4)? {
                Value::Text(t) => state_code(t.as_bytes()),
                _ => None,
            }
            .unwrap_or(FMC);
            let quantity: i64 = r.get(5)?;
            let notice = if by_notice && state <= PMC {
                r.get(3)?
            } else {
                None
            };
            sums.add(depot, type_id, owner, true, state, notice, -quantity);
            sums.add(depot, type_id, owner, true, EXPIRED, None, quantity);
        }
        Ok(())
    })
}

/// A current lot under a force-wide suspension in force, as the
/// aggregates count it: by status, notice, expiry and priority (condition
/// C). Lots suspended by their own condition code are counted as such
/// already and are not among them.
struct SuspendedLot {
    depot: i64,
    type_id: i64,
    /// Packed, 0 for none.
    owner: u32,
    notice: Option<i64>,
    status: u8,
    expires: Option<NaiveDate>,
    priority: bool,
    quantity: i64,
}

/// The current lots the `suspended` rules name, passing `ids`. The
/// versions have no index by type: one pass over the current ones, only
/// when a suspension is in force.
fn suspended_lots(conn: &Db, suspended: &Targets, ids: &Ids) -> db::Result<Vec<SuspendedLot>> {
    if suspended.is_empty() {
        return Ok(Vec::new());
    }
    let types: Vec<String> = suspended.type_ids().iter().map(i64::to_string).collect();
    let mut out = Vec::new();
    // Type ids the database gave: safe to splice.
    conn.each(
        &format!(
            "SELECT depot_id, type_id, notice_hours, status, expires, quantity, lot, condition_code,
                    owner
             FROM holding_version NOT INDEXED
             WHERE valid_to IS NULL AND lot IS NOT NULL AND type_id IN ({})
               AND (condition_code IS NULL OR condition_code NOT IN ('J', 'K', 'L', 'M', 'N'))",
            types.join(", ")
        ),
        &[],
        |r| {
            let (depot, type_id): (i64, i64) = (r.get(0)?, r.get(1)?);
            let lot: String = r.get(6)?;
            if !ids.pass(depot, type_id) || suspended.of(type_id, &lot).next().is_none() {
                return Ok(());
            }
            let status = match r.value(3)? {
                Value::Text(t) => state_code(t.as_bytes()),
                _ => None,
            }
            .unwrap_or(NMCS);
            out.push(SuspendedLot {
                depot,
                type_id,
                owner: owner_of(r, 8)?,
                notice: r.get(2)?,
                status,
                expires: r.get(4)?,
                priority: r.get::<Option<String>>(7)?.as_deref() == Some("C"),
                quantity: r.get(5)?,
            });
            Ok(())
        },
    )?;
    Ok(out)
}

/// The filters as sets of depot and type ids (None: all pass), for rows
/// compared as integers.
pub(crate) struct Ids {
    depots: Option<rustc_hash::FxHashSet<i64>>,
    types: Option<rustc_hash::FxHashSet<i64>>,
}

impl Ids {
    pub(crate) fn depot_passes(&self, depot: i64) -> bool {
        self.depots.as_ref().is_none_or(|d| d.contains(&depot))
    }

    pub(crate) fn pass(&self, depot: i64, type_id: i64) -> bool {
        self.depots.as_ref().is_none_or(|d| d.contains(&depot))
            && self.types.as_ref().is_none_or(|t| t.contains(&type_id))
    }

    /// `WHERE type_id IN (…)` for a few types (a package's), so that the
    /// database skips the other rows before they reach here; nothing for
    /// many or all.
    fn types_sql(&self) -> String {
        self.types_sql_on("type_id")
    }

    /// ` WHERE column IN (…)` for the type filter (empty when there is
    /// none, or too many types to list).
    fn types_sql_on(&self, column: &str) -> String {
        match &self.types {
            // None of the types held anywhere is an empty list, which
            // matches nothing.
            Some(t) if t.len() <= 64 => {
                format!(" WHERE {}", in_list(column, t.iter().copied()))
            }
            _ => String::new(),
        }
    }

    /// The depots the filter names, sorted, when it names a few (up to
    /// [`FEW_DEPOTS`]): a pass over the versions can then go through each
    /// one's index instead of reading every depot's.
    pub(crate) fn few_depots(&self) -> Option<Vec<i64>> {
        let d = self.depots.as_ref().filter(|d| d.len() <= FEW_DEPOTS)?;
        Some(d.iter().copied().collect())
    }
}

/// Up to this many depots named by a question, their versions are read
/// through each one's index rather than in a pass over every depot's.
pub(crate) const FEW_DEPOTS: usize = 16;

/// ` AND column IN (…)` for these row ids.
pub(crate) fn ids_in(column: &str, ids: &[i64]) -> String {
    format!(" AND {}", in_list(column, ids.iter().copied()))
}

/// `column IN (…)` for these row ids, sorted; `IN (NULL)` for none, which
/// matches nothing on either backend (PostgreSQL refuses `IN ()`).
pub(crate) fn in_list(column: &str, ids: impl IntoIterator<Item = i64>) -> String {
    let mut ids: Vec<i64> = ids.into_iter().collect();
    ids.sort_unstable();
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    // Row ids the database gave, never user text: safe to splice.
    match list.is_empty() {
        true => format!("{column} IN (NULL)"),
        false => format!("{column} IN ({})", list.join(", ")),
    }
}

pub(crate) const STATES: [State; 6] = [
    State::Reported(Status::Fmc),
    State::Reported(Status::Pmc),
    State::Reported(Status::Nmcm),
    State::Reported(Status::Nmcs),
    State::Expired,
    State::Suspended,
];

pub(crate) fn state_code(text: &[u8]) -> Option<u8> {
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

    /// A depot's code by id.
    pub(crate) fn depot_code(&self, id: i64) -> Option<&str> {
        self.depots.get(&id).map(String::as_str)
    }

    /// A type's code by id.
    pub(crate) fn type_code_of(&self, id: i64) -> Option<&str> {
        self.types.get(&id).map(|t| t.0.as_str())
    }

    pub(crate) fn category_index(&self, type_id: i64) -> i64 {
        self.types
            .get(&type_id)
            .and_then(|t| t.1.as_ref())
            .and_then(|c| self.categories.iter().position(|x| x == c))
            .map_or(-1, |i| i as i64)
    }

    /// The depot and type filters as id sets.
    pub(crate) fn ids(&self, filters: &Filters) -> Ids {
        let depots = (!filters.depots.is_empty()).then(|| {
            self.depots
                .iter()
                .filter(|(_, code)| filters.depots.contains(code))
                .map(|(&id, _)| id)
                .collect()
        });
        let types = (!filters.types.is_empty() || !filters.categories.is_empty()).then(|| {
            self.types
                .iter()
                .filter(|(_, (code, category))| {
                    Filters::allows(&filters.types, Some(code))
                        && Filters::allows(&filters.categories, category.as_deref())
                })
                .map(|(&id, _)| id)
                .collect()
        });
        Ids { depots, types }
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
        group: (i64, i64, i64, u32),
        state: u8,
        notice_hours: Option<u32>,
        quantity: i64,
    ) -> Fact {
        fact(self.keys(by, group).into(), state, notice_hours, quantity)
    }

    /// A group's keys in the order of `by`.
    pub(crate) fn keys(
        &self,
        by: &[Key],
        (depot, type_id, category, owner): (i64, i64, i64, u32),
    ) -> Vec<Option<String>> {
        by.iter()
            .map(|k| match k {
                Key::Depot => self.depot_code(depot).map(String::from),
                Key::Type => self.type_code_of(type_id).map(String::from),
                Key::Category => self.category(category),
                Key::Owner => unpack_nation(owner),
            })
            .collect()
    }

    fn category(&self, index: i64) -> Option<String> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.categories.get(i).cloned())
    }
}

/// Holdings grouped as a force package reads them: by depot, type, kind
/// (a lot or not), reported status, notice, priority (condition C) and,
/// for a lot, expiry — not yet judged on any date, since a package judges
/// its lots on its day of issue, which moves with the window. Suspended
/// lots (by condition code, or by a force-wide suspension in force on
/// `judged`) are groups of their own, `suspended`, with no status a
/// package may draw: they say why a line is short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub depot: String,
    pub type_code: String,
    pub ammo: bool,
    pub status: crate::model::Status,
    pub notice_hours: Option<u32>,
    pub expires: Option<NaiveDate>,
    /// Condition C: issued before A and B (SPEC §12).
    pub priority: bool,
    /// Suspended lots (status reads NMCS: never drawn).
    pub suspended: bool,
    pub quantity: i64,
}

/// The holdings of the filters' types as they stand on `on`, grouped for
/// a package, suspensions in force on `judged` applied. The current state
/// comes from the aggregates (by notice for the mission capable, the lots
/// with an expiry apart); a past date or an owner's share from the
/// versions.
pub fn held(conn: &Db, filters: &Filters, on: On, judged: NaiveDate) -> db::Result<Vec<Held>> {
    use crate::model::Status;
    let names = Names::load(conn)?;
    let ids = names.ids(filters);
    let suspended = Targets::load(conn)?.on(judged);
    // (depot, type, ammo, status, notice, expiry day, priority) → quantity.
    type Key = (i64, i64, bool, u8, Option<u32>, Option<i32>, bool);
    let mut groups: FxHashMap<Key, i64> = FxHashMap::default();
    let status_of = |v: Value| match v {
        Value::Text(t) => state_code(t.as_bytes()).filter(|&s| s < EXPIRED),
        _ => None,
    };
    let day = |d: Option<NaiveDate>| d.map(|d| d.num_days_from_ce());
    if on == On::Latest && filters.owners.is_empty() {
        let only = ids.types_sql();
        // A package's few types are sought depot by depot through the
        // (depot, type, …) index, not found in a scan of every row (a
        // depot loop that SQLite keeps in this order for a CROSS JOIN).
        let from = match only.is_empty() {
            true => "readiness_notice n".to_string(),
            false => format!(
                "depot d CROSS JOIN readiness_notice n{} AND n.depot_id = d.id",
                ids.types_sql_on("n.type_id")
            ),
        };
        let notice_sql = format!(
            "SELECT n.depot_id, n.type_id, n.notice_hours, n.fmc, n.pmc, n.ammo_fmc,
                    n.ammo_pmc, n.priority
             FROM {from}"
        );
        conn.each(&notice_sql, &[], |r| {
            let (depot, type_id) = (r.get(0)?, r.get(1)?);
            if ids.pass(depot, type_id) {
                let notice = r.get(2)?;
                let priority = r.get::<i64>(7)? != 0;
                for (i, (ammo, state)) in [(false, FMC), (false, PMC), (true, FMC), (true, PMC)]
                    .into_iter()
                    .enumerate()
                {
                    *groups
                        .entry((depot, type_id, ammo, state, notice, None, priority))
                        .or_insert(0) += r.get::<i64>(3 + i)?;
                }
            }
            Ok(())
        })?;
        conn.each(
            &format!(
                "SELECT depot_id, type_id, nmcm, nmcs, ammo_nmcm, ammo_nmcs, ammo_susp
                 FROM readiness_current{only}"
            ),
            &[],
            |r| {
                let (depot, type_id) = (r.get(0)?, r.get(1)?);
                if ids.pass(depot, type_id) {
                    for (i, (ammo, state)) in [
                        (false, NMCM),
                        (false, NMCS),
                        (true, NMCM),
                        (true, NMCS),
                        (true, SUSPENDED),
                    ]
                    .into_iter()
                    .enumerate()
                    {
                        *groups
                            .entry((depot, type_id, ammo, state, None, None, false))
                            .or_insert(0) += r.get::<i64>(2 + i)?;
                    }
                }
                Ok(())
            },
        )?;
        // The lots with an expiry, moved from the groups above (which
        // count every lot) to groups of their own.
        conn.each(
            &format!(
                "SELECT depot_id, type_id, notice_hours, status, expires, quantity, priority
                 FROM readiness_expiry{only}"
            ),
            &[],
            |r| {
                let (depot, type_id) = (r.get(0)?, r.get(1)?);
                if let (true, Some(state)) = (ids.pass(depot, type_id), status_of(r.value(3)?)) {
                    let mc = state <= PMC;
                    let notice = if mc { r.get(2)? } else { None };
                    let priority = mc && r.get::<i64>(6)? != 0;
                    let expires: NaiveDate = r.get(4)?;
                    let q: i64 = r.get(5)?;
                    *groups
                        .entry((depot, type_id, true, state, notice, None, priority))
                        .or_insert(0) -= q;
                    *groups
                        .entry((
                            depot,
                            type_id,
                            true,
                            state,
                            notice,
                            day(Some(expires)),
                            priority,
                        ))
                        .or_insert(0) += q;
                }
                Ok(())
            },
        )?;
        // Lots under a force-wide suspension: out.
        for lot in suspended_lots(conn, &suspended, &ids)? {
            let mc = lot.status <= PMC;
            let notice = if mc {
                lot.notice.and_then(|n| u32::try_from(n).ok())
            } else {
                None
            };
            *groups
                .entry((
                    lot.depot,
                    lot.type_id,
                    true,
                    lot.status,
                    notice,
                    day(lot.expires),
                    mc && lot.priority,
                ))
                .or_insert(0) -= lot.quantity;
            *groups
                .entry((lot.depot, lot.type_id, true, SUSPENDED, None, None, false))
                .or_insert(0) += lot.quantity;
        }
    } else {
        let mut params = Vec::new();
        // Judged on a day before every date: no lot reads as expired here.
        let with = versions_on(on, NaiveDate::MIN, &suspended, None, &mut params);
        let filter = filters.sql(&mut params);
        let sql = format!(
            "{with}
             SELECT src.depot_id, src.type_id, src.ammo, src.state, src.notice_hours, src.expires,
                    src.priority, sum(src.quantity)
             FROM src JOIN depot d ON d.id = src.depot_id JOIN equipment_type t ON t.id = src.type_id
             WHERE TRUE {filter}
             GROUP BY src.depot_id, src.type_id, src.ammo, src.state, src.notice_hours, src.expires,
                      src.priority"
        );
        conn.each(&sql, &db::refs(&params), |r| {
            let (depot, type_id) = (r.get(0)?, r.get(1)?);
            let ammo = r.get::<i64>(2)? != 0;
            let state = match r.value(3)? {
                // Equipment under a suspended code is NMCS, as the
                // aggregates count it.
                Value::Text(t) if t.as_bytes() == b"SUSPENDED" => {
                    Some(if ammo { SUSPENDED } else { NMCS })
                }
                v => status_of(v),
            };
            if let Some(state) = state {
                let key = if state == SUSPENDED {
                    (depot, type_id, true, SUSPENDED, None, None, false)
                } else {
                    let expires: Option<NaiveDate> = if ammo { r.get(5)? } else { None };
                    let priority = state <= PMC && r.get::<i64>(6)? != 0;
                    (
                        depot,
                        type_id,
                        ammo,
                        state,
                        r.get(4)?,
                        day(expires),
                        priority,
                    )
                };
                *groups.entry(key).or_insert(0) += r.get::<i64>(7)?;
            }
            Ok(())
        })?;
    }
    const STATUS: [Status; 4] = [Status::Fmc, Status::Pmc, Status::Nmcm, Status::Nmcs];
    let mut out: Vec<Held> = groups
        .into_iter()
        .filter(|(_, q)| *q > 0)
        .filter_map(
            |((depot, type_id, ammo, state, notice, expires, priority), quantity)| {
                Some(Held {
                    depot: names.depot_code(depot)?.to_string(),
                    type_code: names.type_code_of(type_id)?.to_string(),
                    ammo,
                    status: STATUS[usize::from(state.min(NMCS))],
                    notice_hours: notice,
                    expires: expires.and_then(NaiveDate::from_num_days_from_ce_opt),
                    priority,
                    suspended: state == SUSPENDED,
                    quantity,
                })
            },
        )
        .collect();
    out.sort_by(|a, b| {
        (
            &a.depot,
            &a.type_code,
            a.ammo,
            a.status,
            a.notice_hours,
            a.expires,
            !a.priority,
        )
            .cmp(&(
                &b.depot,
                &b.type_code,
                b.ammo,
                b.status,
                b.notice_hours,
                b.expires,
                !b.priority,
            ))
    });
    Ok(out)
}

/// On-hand items and rounds per depot × type, for the fill rates.
pub fn pair_on_hand(
    conn: &Db,
    filters: &Filters,
    date: Option<NaiveDate>,
    judged: NaiveDate,
) -> db::Result<PairOnHand> {
    let facts = facts(
        conn,
        &[Key::Depot, Key::Type],
        filters,
        date,
        judged,
        Notice::Ignored,
    )?;
    Ok(pairs_of(&facts))
}

/// Facts keyed (depot, type) summed per pair, items and rounds apart.
pub fn pairs_of(facts: &[Fact]) -> PairOnHand {
    let mut pairs = PairOnHand::new();
    for f in facts {
        if let [Some(d), Some(t)] = &f.keys[..] {
            let held = pairs.entry((d.clone(), t.clone())).or_default();
            if f.ammo {
                held.rounds += f.quantity;
            } else {
                held.items += f.quantity;
            }
        }
    }
    pairs
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
    judged: NaiveDate,
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
    let pairs = pair_on_hand(conn, filters, date, judged)?;
    Ok(Some((reqs, pairs)))
}
