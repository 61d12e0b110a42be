//! `history` in one pass: the readiness facts on every snapshot date from
//! one sequential read of the versioned holdings, instead of one read per
//! date.
//!
//! A version adds its quantity to its depot's state from the snapshot it
//! begins with and takes it away at the one it ends at; a lot moves from its
//! status to "expired" the day after its expiry. Summing these events by
//! depot, date and group, then taking for each depot the running total at
//! its snapshot in force on each date, gives every date's state in
//! O(versions + depots × dates × groups).

use std::collections::BTreeMap;

use crate::db::{self, Db};
use chrono::{Datelike, NaiveDate};
use rustc_hash::FxHashMap;

use crate::model::{State, pack_nation};
use crate::readiness::{Fact, Key};
use crate::state::{Filters, Names, STATES};

/// (depot, type, category index, owner) as grouped; -1 / 0 where not.
type Group = (i64, i64, i64, u32);

/// Quantities by group and state.
type Totals = FxHashMap<(Group, u8), i64>;

/// A depot's changes by day: (group, state, quantity added or removed).
type Changes = BTreeMap<i32, Vec<(Group, u8, i64)>>;

/// Facts on each of `dates` (each depot's snapshot in force on the date).
pub fn facts_on_dates(
    conn: &Db,
    by: &[Key],
    filters: &Filters,
    dates: &[NaiveDate],
) -> db::Result<Vec<Vec<Fact>>> {
    let names = Names::load(conn)?;
    let has = |k: Key| by.contains(&k);
    // Each depot's snapshot days, sorted.
    let mut snapshots: FxHashMap<i64, Vec<i32>> = FxHashMap::default();
    conn.each(
        "SELECT depot_id, as_of FROM snapshot ORDER BY depot_id, as_of",
        &[],
        |r| {
            let day = r.get::<NaiveDate>(1)?.num_days_from_ce();
            snapshots.entry(r.get(0)?).or_default().push(day);
            Ok(())
        },
    )?;
    // Events: (depot, day, group, state) → quantity added (or taken away).
    let mut events: FxHashMap<(i64, i32, Group, u8), i64> = FxHashMap::default();
    let expired = STATES
        .iter()
        .position(|s| *s == State::Expired)
        .unwrap_or(4) as u8;
    conn.each(
        "SELECT depot_id, type_id, owner, status, quantity, expires, valid_from, valid_to
         FROM holding_version NOT INDEXED",
        &[],
        |r| {
            let depot: i64 = r.get(0)?;
            let type_id: i64 = r.get(1)?;
            let owner: Option<String> = r.get(2)?;
            if !names.passes(filters, depot, type_id, owner.as_deref()) {
                return Ok(());
            }
            let status: String = r.get(3)?;
            let quantity: i64 = r.get(4)?;
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
                if has(Key::Owner) {
                    owner.as_deref().map_or(0, |o| pack_nation(o.as_bytes()))
                } else {
                    0
                },
            );
            let reported = STATES
                .iter()
                .position(|s| s.as_str() == status)
                .unwrap_or(0) as u8;
            let mut add = |day: i32, state: u8, q: i64| {
                *events.entry((depot, day, group, state)).or_insert(0) += q;
            };
            // Expired on snapshots dated after the expiry day.
            let turn = expires.map(|x| x + 1);
            let mut span = |a: i32, b: Option<i32>, state: u8| {
                if b.is_none_or(|b| a < b) {
                    add(a, state, quantity);
                    if let Some(b) = b {
                        add(b, state, -quantity);
                    }
                }
            };
            match turn {
                Some(t) if t <= from => span(from, to, expired),
                Some(t) if to.is_none_or(|to| t < to) => {
                    span(from, Some(t), reported);
                    span(t, to, expired);
                }
                _ => span(from, to, reported),
            }
            Ok(())
        },
    )?;
    // Each depot's running totals at each of its snapshot days.
    let mut by_depot: FxHashMap<i64, Changes> = FxHashMap::default();
    for ((depot, day, group, state), q) in events {
        if q != 0 {
            by_depot
                .entry(depot)
                .or_default()
                .entry(day)
                .or_default()
                .push((group, state, q));
        }
    }
    let mut at_snapshot: FxHashMap<i64, Vec<(i32, Totals)>> = FxHashMap::default();
    for (depot, days) in &snapshots {
        let mut running = Totals::default();
        let mut pending = by_depot
            .remove(depot)
            .unwrap_or_default()
            .into_iter()
            .peekable();
        let mut states = Vec::with_capacity(days.len());
        for &s in days {
            while let Some((_, changes)) = pending.next_if(|(d, _)| *d <= s) {
                for (group, state, q) in changes {
                    *running.entry((group, state)).or_insert(0) += q;
                }
            }
            running.retain(|_, q| *q != 0);
            states.push((s, running.clone()));
        }
        at_snapshot.insert(*depot, states);
    }
    // Every date: each depot's state at its snapshot in force.
    Ok(dates
        .iter()
        .map(|d| {
            let day = d.num_days_from_ce();
            let mut sums = Totals::default();
            for states in at_snapshot.values() {
                let Some((_, state)) = states.iter().rev().find(|(s, _)| *s <= day) else {
                    continue;
                };
                for (k, q) in state {
                    *sums.entry(*k).or_insert(0) += q;
                }
            }
            sums.into_iter()
                .filter(|(_, q)| *q > 0)
                .map(|((group, state), quantity)| names.fact(by, group, state, None, quantity))
                .collect()
        })
        .collect())
}
