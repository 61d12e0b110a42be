//! `history` in one pass: the readiness facts on every snapshot date from
//! one sequential read of the versioned holdings, instead of one read per
//! date.
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

use crate::model::{State, pack_nation};
use crate::policy::Rules;
use crate::readiness::{Fact, Key};
use crate::state::{Filters, Names, STATES, SUSPENDED};
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
fn events(conn: &Db, by: &[Key], filters: &Filters) -> db::Result<(Names, Vec<Event>)> {
    let names = Names::load(conn)?;
    let has = |k: Key| by.contains(&k);
    let kinds = STATES.len() as u8;
    let expired = STATES
        .iter()
        .position(|s| *s == State::Expired)
        .unwrap_or(4) as u8;
    let targets = Targets::load(conn)?;
    let suspended_types = targets.type_ids();
    // Events: (day, group, kind and state) → quantity added (or taken away).
    let mut events: FxHashMap<(i32, Group, u8), i64> = FxHashMap::default();
    conn.each(
        "SELECT depot_id, type_id, owner, status, quantity, expires, valid_from, valid_to,
                CASE WHEN lot IS NULL THEN 0 ELSE 1 END,
                CASE WHEN condition_code IN ('J', 'K', 'L', 'M', 'N') THEN 1 ELSE 0 END, lot
         FROM holding_version NOT INDEXED",
        &[],
        |r| {
            let depot: i64 = r.get(0)?;
            let type_id: i64 = r.get(1)?;
            // Text read in place: a million versions, no copies.
            let owner = match r.value(2)? {
                Value::Text(t) => Some(t),
                _ => None,
            };
            if !names.passes(filters, depot, type_id, owner) {
                return Ok(());
            }
            let owner = if has(Key::Owner) {
                owner.map_or(0, |o| pack_nation(o.as_bytes()))
            } else {
                0
            };
            let status = match r.value(3)? {
                Value::Text(t) => STATES.iter().position(|s| s.as_str() == t),
                _ => None,
            };
            let quantity: i64 = r.get(4)?;
            let lot = r.get::<i64>(8)? != 0;
            let day = |i: usize| -> db::Result<Option<i32>> {
                Ok(r.get::<Option<NaiveDate>>(i)?.map(|d| d.num_days_from_ce()))
            };
            let (expires, from, to) = (day(5)?, day(6)?.unwrap_or(i32::MIN), day(7)?);
            let group = (
                if has(Key::Depot) { depot } else { -1 },
                if has(Key::Type) { type_id } else { -1 },
                if has(Key::Category) {
                    names.category_index(type_id)
                } else {
                    -1
                },
                owner,
            );
            let offset = if lot { kinds } else { 0 };
            let reported = status.unwrap_or(0) as u8 + offset;
            let mut span = |a: i32, b: Option<i32>, state: u8| {
                if b.is_none_or(|b| a < b) {
                    *events.entry((a, group, state)).or_insert(0) += quantity;
                    if let Some(b) = b {
                        *events.entry((b, group, state)).or_insert(0) -= quantity;
                    }
                }
            };
            if r.get::<i64>(9)? != 0 {
                span(from, to, SUSPENDED + offset);
                return Ok(());
            }
            // The days force-wide suspensions naming the lot are in force.
            let mut suspended: Vec<(i32, i32)> = Vec::new();
            if lot && suspended_types.binary_search(&type_id).is_ok() {
                let lot: String = r.get(10)?;
                for t in targets.of(type_id, &lot) {
                    let until = t.until.map_or(i32::MAX, |u| u.num_days_from_ce());
                    suspended.push((t.from.num_days_from_ce(), until));
                }
            }
            // Expired from the day after its expiry: only lots expire.
            let expiry = expires.filter(|_| lot).map(|x| x + 1);
            if suspended.is_empty() {
                match expiry {
                    Some(t) if t <= from => span(from, to, expired + offset),
                    Some(t) if to.is_none_or(|to| t < to) => {
                        span(from, Some(t), reported);
                        span(t, to, expired + offset);
                    }
                    _ => span(from, to, reported),
                }
                return Ok(());
            }
            // Cut the version's days where its state may change, and give
            // each piece the state of its first day.
            let mut cuts: Vec<i32> = vec![from];
            cuts.extend(expiry);
            for &(a, b) in &suspended {
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
                    expired + offset
                } else {
                    reported
                };
                span(a, b, state);
            }
            Ok(())
        },
    )?;
    let mut events: Vec<Event> = events.into_iter().filter(|(_, q)| *q != 0).collect();
    events.sort_unstable_by_key(|((day, ..), _)| *day);
    Ok((names, events))
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
