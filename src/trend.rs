//! `history` in one sweep: the readiness facts on every snapshot date from
//! the import-time aggregates and the versions that changed (or, by owner,
//! one sequential read of every version), instead of one read per date.
//!
//! The state on a date is every version valid on it (versions begin and
//! end on their depot's snapshot dates, so that is each depot's latest
//! snapshot on or before the date). A version adds its quantity from the
//! day it begins and takes it away on the day it ends; a lot moves from its
//! status to "expired" the day after its expiry, whatever its snapshot's
//! date, since each date's figures are about that date (SPEC §4), and to
//! "suspended" while a force-wide suspension naming it is in force (or
//! for good, under a suspended condition code: SPEC §12). Summing
//! these events by day and group and sweeping them in order gives every
//! date's state in O(versions + dates × groups).

use crate::db::{self, Db, Value};
use chrono::{Datelike, NaiveDate};
use rustc_hash::FxHashMap;

use crate::model::pack_nation;
use crate::policy::Rules;
use crate::readiness::{Fact, Key};
use crate::state::{EXPIRED, Filters, Ids, NMCS, Names, STATES, SUSPENDED, state_code};
use crate::suspension::Targets;

/// (depot, type, category index, owner) as grouped; -1 / 0 where not.
type Group = (i64, i64, i64, u32);

/// A group's kind and state: the state's index, offset by `STATES.len()`
/// for a lot.
type Totals = FxHashMap<(Group, u8), i64>;

/// A change of the holdings on one day: (day, group, kind and state) and
/// the quantity it adds (or takes away, when negative).
type Event = ((i32, Group, u8), i64);

/// Facts on each of `dates` (sorted), lots judged on each date.
pub fn facts_on_dates(
    conn: &Db,
    by: &[Key],
    filters: &Filters,
    dates: &[NaiveDate],
) -> db::Result<Vec<Vec<Fact>>> {
    let (names, events) = events(conn, by, filters)?;
    let mut pending = events.into_iter().peekable();
    let mut running = Totals::default();
    Ok(dates
        .iter()
        .map(|d| {
            let day = d.num_days_from_ce();
            while let Some(((_, group, state), q)) = pending.next_if(|((e, ..), _)| *e <= day) {
                *running.entry((group, state)).or_insert(0) += q;
            }
            running.retain(|_, q| *q != 0);
            running
                .iter()
                .filter(|(_, q)| **q > 0)
                .map(|(&(group, state), &quantity)| names.fact(by, group, state, None, quantity))
                .collect()
        })
        .collect())
}

/// Equipment item-days of one group over one period (SPEC §13): the sum,
/// over its days, of the items possessed and of those mission capable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemDays {
    pub keys: Vec<Option<String>>,
    pub possessed: i64,
    pub mc: i64,
}

/// Item-days of each group in each of `periods` (first and last day
/// included), from the same one pass over the versions as `history`:
/// each day's state is what `report --as-of` that day gives, so between
/// two changes the counts stand still and a period's sum is the
/// difference of two running integrals. Rounds are not items and do not
/// count (SPEC §4).
pub fn item_days(
    conn: &Db,
    by: &[Key],
    filters: &Filters,
    periods: &[(NaiveDate, NaiveDate)],
    rules: Rules,
) -> db::Result<Vec<Vec<ItemDays>>> {
    let (names, events) = events(conn, by, filters)?;
    let kinds = STATES.len() as u8;
    // Each group's items and mission-capable items now, and their sums
    // over the days before `last`.
    #[derive(Default, Clone, Copy)]
    struct Run {
        items: i64,
        mc: i64,
        items_sum: i64,
        mc_sum: i64,
        last: i32,
    }
    impl Run {
        fn advance(&mut self, to: i32) {
            if to > self.last {
                let days = i64::from(to - self.last);
                self.items_sum += self.items * days;
                self.mc_sum += self.mc * days;
                self.last = to;
            }
        }
    }
    let mut bounds: Vec<i32> = periods
        .iter()
        .flat_map(|(a, b)| [a.num_days_from_ce(), b.num_days_from_ce() + 1])
        .collect();
    bounds.sort_unstable();
    bounds.dedup();
    let first = bounds.first().copied().unwrap_or(0);
    let mut runs: FxHashMap<Group, Run> = FxHashMap::default();
    // The running integrals of every group at each bound.
    let mut at: FxHashMap<i32, FxHashMap<Group, (i64, i64)>> = FxHashMap::default();
    let mut pending = events.into_iter().peekable();
    for &bound in &bounds {
        while let Some(((day, group, state), q)) = pending.next_if(|((e, ..), _)| *e < bound) {
            if state >= kinds {
                continue;
            }
            let run = runs.entry(group).or_insert(Run {
                last: day.min(first),
                ..Run::default()
            });
            run.advance(day);
            run.items += q;
            if rules.is_mc(STATES[usize::from(state)]) {
                run.mc += q;
            }
        }
        let sums = runs
            .iter_mut()
            .map(|(g, run)| {
                run.advance(bound);
                (*g, (run.items_sum, run.mc_sum))
            })
            .collect();
        at.insert(bound, sums);
    }
    Ok(periods
        .iter()
        .map(|(a, b)| {
            let (start, end) = (&at[&a.num_days_from_ce()], &at[&(b.num_days_from_ce() + 1)]);
            let mut out: Vec<ItemDays> = end
                .iter()
                .filter_map(|(g, (items, mc))| {
                    let (items0, mc0) = start.get(g).copied().unwrap_or((0, 0));
                    let possessed = items - items0;
                    (possessed > 0).then(|| ItemDays {
                        keys: names.keys(by, *g),
                        possessed,
                        mc: mc - mc0,
                    })
                })
                .collect();
            out.sort_by(|x, y| x.keys.cmp(&y.keys));
            out
        })
        .collect())
}

/// The calendar months from `from`'s to `to`'s, each as its first and
/// last day, the last cut at `to` (a month still running counts the days
/// that have passed).
pub fn months(from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    if from > to {
        return out;
    }
    let mut start = from.with_day(1).unwrap_or(from);
    while start <= to {
        let next = start
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(NaiveDate::MAX);
        let end = next.pred_opt().unwrap_or(next).min(to);
        out.push((start, end));
        start = next;
    }
    out
}

/// Every change of the holdings under `filters`, grouped by `by`, sorted
/// by day.
///
/// Most versions never change: a depot's first import opens them and they
/// are still in force. Their sum by depot and type is what the import-time
/// aggregates keep, so only the versions that ended, or began after their
/// depot's first snapshot, need reading (through the depot indexes): the
/// aggregates stand from each depot's first snapshot, less the versions
/// that began later, which then add themselves from their own day. By (or
/// for) an owner, the aggregates by depot and owner stand in for those by
/// depot and type, unless types are asked for too (no aggregate splits a
/// depot by type and owner at once); and a force-wide suspension turns
/// lots suspended for days the aggregates do not know: then every version
/// is read.
fn events(conn: &Db, by: &[Key], filters: &Filters) -> db::Result<(Names, Vec<Event>)> {
    let names = Names::load(conn)?;
    let targets = Targets::load(conn)?;
    let mut events = Events {
        by,
        names: &names,
        sums: FxHashMap::default(),
    };
    let told = crate::state::Told::apart(by, filters);
    if targets.is_empty() && !(told.owners && told.types) {
        from_aggregates(conn, filters, told.owners, &mut events)?;
    } else {
        from_versions(conn, filters, &targets, &mut events)?;
    }
    let mut events: Vec<Event> = events.sums.into_iter().filter(|(_, q)| *q != 0).collect();
    events.sort_unstable_by_key(|((day, ..), _)| *day);
    Ok((names, events))
}

/// Events summed by (day, group, kind and state).
struct Events<'a> {
    by: &'a [Key],
    names: &'a Names,
    sums: FxHashMap<(i32, Group, u8), i64>,
}

/// The offset of a lot's states.
const KINDS: u8 = STATES.len() as u8;

impl Events<'_> {
    fn group(&self, depot: i64, type_id: i64, owner: Option<&str>) -> Group {
        let has = |k: Key| self.by.contains(&k);
        (
            if has(Key::Depot) { depot } else { -1 },
            if has(Key::Type) { type_id } else { -1 },
            if has(Key::Category) {
                self.names.category_index(type_id)
            } else {
                -1
            },
            match owner {
                Some(o) if has(Key::Owner) => pack_nation(o.as_bytes()),
                _ => 0,
            },
        )
    }

    /// A row's group and its depot's first day, when its depot, type and
    /// owner (column `owner`, when the history is by or for owners) pass
    /// the filters.
    fn start(
        &self,
        r: &db::Row<'_>,
        first: &FxHashMap<i64, i32>,
        ids: &Ids,
        owners: &Owners,
    ) -> db::Result<Option<(Group, i32)>> {
        let (depot, type_id) = (r.get(0)?, r.get(1)?);
        let owner = match owners.column {
            Some(i) => match r.value(i)? {
                Value::Text(t) => Some(t),
                _ => None,
            },
            None => None,
        };
        if let Some(only) = &owners.only
            && !owner.is_some_and(|o| only.contains(&pack_nation(o.as_bytes())))
        {
            return Ok(None);
        }
        Ok(first
            .get(&depot)
            .filter(|_| ids.pass(depot, type_id))
            .map(|&day| (self.group(depot, type_id, owner), day)))
    }

    /// `quantity` in `state` from day `a` to the day before `b` (for good
    /// without one).
    fn span(&mut self, group: Group, state: u8, quantity: i64, a: i32, b: Option<i32>) {
        if b.is_none_or(|b| a < b) {
            *self.sums.entry((a, group, state)).or_insert(0) += quantity;
            if let Some(b) = b {
                *self.sums.entry((b, group, state)).or_insert(0) -= quantity;
            }
        }
    }

    /// What one version adds on each day it stands: its reported state,
    /// suspended under a suspended condition code or while a force-wide
    /// suspension naming it is in force (`suspended`), expired from the
    /// day after its expiry (only lots expire).
    fn version(&mut self, group: Group, v: &Version, suspended: &[(i32, i32)]) {
        let offset = if v.lot { KINDS } else { 0 };
        let (from, to, q) = (v.from, v.to, v.quantity);
        if v.code_suspended {
            self.span(group, SUSPENDED + offset, q, from, to);
            return;
        }
        let reported = v.status + offset;
        let expiry = v.expires.filter(|_| v.lot).map(|x| x + 1);
        if suspended.is_empty() {
            match expiry {
                Some(t) if t <= from => self.span(group, EXPIRED + offset, q, from, to),
                Some(t) if to.is_none_or(|to| t < to) => {
                    self.span(group, reported, q, from, Some(t));
                    self.span(group, EXPIRED + offset, q, t, to);
                }
                _ => self.span(group, reported, q, from, to),
            }
            return;
        }
        // Cut the version's days where its state may change, and give
        // each piece the state of its first day.
        let mut cuts: Vec<i32> = vec![from];
        cuts.extend(expiry);
        for &(a, b) in suspended {
            cuts.extend([a, b]);
        }
        cuts.retain(|&c| c >= from && to.is_none_or(|to| c < to) && c != i32::MAX);
        cuts.sort_unstable();
        cuts.dedup();
        for (i, &a) in cuts.iter().enumerate() {
            let b = cuts.get(i + 1).copied().or(to);
            let state = if suspended.iter().any(|&(s, u)| s <= a && a < u) {
                SUSPENDED + offset
            } else if expiry.is_some_and(|t| t <= a) {
                EXPIRED + offset
            } else {
                reported
            };
            self.span(group, state, q, a, b);
        }
    }
}

/// A version as the sweep reads it, its dates as days.
struct Version {
    lot: bool,
    code_suspended: bool,
    /// Its status's index in [`STATES`].
    status: u8,
    quantity: i64,
    expires: Option<i32>,
    from: i32,
    to: Option<i32>,
}

const VERSION_COLUMNS: &str = "status, quantity, expires, valid_from, valid_to,
    CASE WHEN lot IS NULL THEN 0 ELSE 1 END,
    CASE WHEN condition_code IN ('J', 'K', 'L', 'M', 'N') THEN 1 ELSE 0 END";

/// A version from [`VERSION_COLUMNS`], read from column `at` on.
fn version(r: &db::Row<'_>, at: usize) -> db::Result<Version> {
    let day = |i: usize| -> db::Result<Option<i32>> {
        Ok(r.get::<Option<NaiveDate>>(at + i)?
            .map(|d| d.num_days_from_ce()))
    };
    Ok(Version {
        status: status_index(r.value(at)?),
        quantity: r.get(at + 1)?,
        expires: day(2)?,
        from: day(3)?.unwrap_or(i32::MIN),
        to: day(4)?,
        lot: r.get::<i64>(at + 5)? != 0,
        code_suspended: r.get::<i64>(at + 6)? != 0,
    })
}

/// A stored status's index in [`STATES`].
fn status_index(v: Value<'_>) -> u8 {
    match v {
        Value::Text(t) => state_code(t.as_bytes()).unwrap_or(0),
        _ => 0,
    }
}

/// Every version, in one sequential pass.
fn from_versions(
    conn: &Db,
    filters: &Filters,
    targets: &Targets,
    events: &mut Events<'_>,
) -> db::Result<()> {
    let suspended_types = targets.type_ids();
    conn.each(
        &format!(
            "SELECT depot_id, type_id, owner, lot, {VERSION_COLUMNS}
             FROM holding_version NOT INDEXED"
        ),
        &[],
        |r| {
            let depot: i64 = r.get(0)?;
            let type_id: i64 = r.get(1)?;
            // Text read in place: a million versions, no copies.
            let owner = r.text(2)?;
            if !events.names.passes(filters, depot, type_id, owner) {
                return Ok(());
            }
            let group = events.group(depot, type_id, owner);
            let v = version(r, 4)?;
            // The days force-wide suspensions naming the lot are in force.
            let mut suspended: Vec<(i32, i32)> = Vec::new();
            if v.lot && suspended_types.binary_search(&type_id).is_ok() {
                let lot: String = r.get(3)?;
                for t in targets.of(type_id, &lot) {
                    let until = t.until.map_or(i32::MAX, |u| u.num_days_from_ce());
                    suspended.push((t.from.num_days_from_ce(), until));
                }
            }
            events.version(group, &v, &suspended);
            Ok(())
        },
    )
}

/// Where a row's owner is (None: not read), and the owners a filter lets
/// through, packed (None: all).
struct Owners {
    column: Option<usize>,
    only: Option<rustc_hash::FxHashSet<u32>>,
}

/// The aggregates from each depot's first snapshot, and the versions that
/// ended or began later (see [`events`]).
fn from_aggregates(
    conn: &Db,
    filters: &Filters,
    by_owner: bool,
    events: &mut Events<'_>,
) -> db::Result<()> {
    let ids = events.names.ids(filters);
    let only = filters.packed_owners();
    let owners = |column: usize| Owners {
        column: by_owner.then_some(column),
        only: only.clone(),
    };
    // Each depot's first snapshot date, as stored and as a day.
    let firsts: Vec<(i64, String)> = conn.rows(
        "SELECT depot_id, min(as_of) FROM snapshot GROUP BY depot_id ORDER BY depot_id",
        &[],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut first: FxHashMap<i64, i32> = FxHashMap::default();
    for (depot, date) in &firsts {
        first.insert(*depot, crate::model::stored_date(date)?.num_days_from_ce());
    }
    // Equipment by status (under a suspended code: NMCS, as `bucket`
    // counts it, which figures alike), lots by status, lots suspended: by
    // depot and type, or by depot and owner (all types as type 0).
    let sums = if by_owner {
        "SELECT depot_id, 0, fmc, pmc, nmcm, nmcs, ammo_fmc, ammo_pmc, ammo_nmcm, ammo_nmcs,
                ammo_susp, owner
         FROM readiness_depot_owner"
    } else {
        crate::state::CURRENT_SUMS
    };
    let in_sums = owners(11);
    conn.each(sums, &[], |r| {
        let Some((group, day)) = events.start(r, &first, &ids, &in_sums)? else {
            return Ok(());
        };
        for (i, state) in (0..4).chain(KINDS..KINDS + 4).enumerate() {
            events.span(group, state, r.get(2 + i)?, day, None);
        }
        events.span(group, SUSPENDED + KINDS, r.get(10)?, day, None);
        Ok(())
    })?;
    // Their lots with an expiry, expired from the day after it.
    let in_lots = owners(5);
    conn.each(
        "SELECT depot_id, type_id, expires, status, quantity, owner FROM readiness_expiry",
        &[],
        |r| {
            let Some((group, day)) = events.start(r, &first, &ids, &in_lots)? else {
                return Ok(());
            };
            let expires: NaiveDate = r.get(2)?;
            let status = status_index(r.value(3)?);
            let t = (expires.num_days_from_ce() + 1).max(day);
            let q: i64 = r.get(4)?;
            events.span(group, status + KINDS, -q, t, None);
            events.span(group, EXPIRED + KINDS, q, t, None);
            Ok(())
        },
    )?;
    // The versions that ended, and those still in force that began after
    // their depot's first snapshot, depot by depot, each a range of the
    // depot indexes (a server's planner, not knowing how few qualify,
    // scanned them all).
    let sql = format!(
        "SELECT h.depot_id, h.type_id, {VERSION_COLUMNS}, h.owner
         FROM holding_version h WHERE h.depot_id = ?1 AND h.valid_to IS NOT NULL
         UNION ALL
         SELECT h.depot_id, h.type_id, {VERSION_COLUMNS}, h.owner
         FROM holding_version h WHERE h.depot_id = ?1 AND h.valid_from > ?2 AND h.valid_to IS NULL"
    );
    let in_versions = owners(9);
    for (depot, first_day) in firsts.iter().filter(|(d, _)| ids.depot_passes(*d)) {
        changed_versions(
            conn,
            &sql,
            *depot,
            first_day,
            &first,
            &ids,
            &in_versions,
            events,
        )?;
    }
    Ok(())
}

/// The versions of one depot that ended, or began after its first
/// snapshot: taken out of the aggregates as they count them, then added
/// from their own days.
#[allow(clippy::too_many_arguments)]
fn changed_versions(
    conn: &Db,
    sql: &str,
    depot: i64,
    first_day: &str,
    first: &FxHashMap<i64, i32>,
    ids: &Ids,
    owners: &Owners,
    events: &mut Events<'_>,
) -> db::Result<()> {
    conn.each(sql, &[&depot, &first_day], |r| {
        let Some((group, day)) = events.start(r, first, ids, owners)? else {
            return Ok(());
        };
        let v = version(r, 2)?;
        if v.to.is_none() {
            let offset = if v.lot { KINDS } else { 0 };
            let counted = match (v.code_suspended, v.lot) {
                (true, true) => SUSPENDED + KINDS,
                (true, false) => NMCS,
                (false, _) => v.status + offset,
            };
            events.span(group, counted, -v.quantity, day, None);
            if let (Some(expires), true, false) = (v.expires, v.lot, v.code_suspended) {
                let t = (expires + 1).max(day);
                events.span(group, counted, v.quantity, t, None);
                events.span(group, EXPIRED + KINDS, -v.quantity, t, None);
            }
        }
        events.version(group, &v, &[]);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn months_cut_at_the_last_day() {
        assert_eq!(
            months(d("2026-10-15"), d("2026-12-06")),
            vec![
                (d("2026-10-01"), d("2026-10-31")),
                (d("2026-11-01"), d("2026-11-30")),
                (d("2026-12-01"), d("2026-12-06")),
            ]
        );
        assert_eq!(
            months(d("2024-02-29"), d("2024-02-29")),
            vec![(d("2024-02-01"), d("2024-02-29"))]
        );
        assert!(months(d("2026-12-07"), d("2026-12-06")).is_empty());
    }
}
