//! The readiness figures by owner nation, force-wide per type
//! (`readiness_owner`, `readiness_owner_notice`). Unlike a depot's
//! aggregates, which its own snapshot recounts, these are shared by every
//! depot, so an import changes them by difference: what each snapshot
//! that becomes current opens, less what it closes (or, when it replaces
//! its depot's current state whole, less that state), summed over the
//! file and then added to the stored rows of the (type, owner) pairs it
//! touched.

use rustc_hash::{FxHashMap, FxHashSet};

use super::store::{Counted, Placed, add_rows, fill_pairs, notice_key, notice_of_key};
use crate::db::{self, Bulk, Db};
use crate::model::{pack_nation, unpack_nation};

/// A (type, owner) pair; the owner packed by [`pack_nation`], 0 for none.
type Pair = (i64, u32);

/// Owner figures, or a change to them: per (type, owner) the quantity in
/// each [`crate::model::bucket`], and per ([`notice_key`], owner) the FMC
/// and PMC items, then the FMC and PMC rounds. A few thousand pairs for a
/// force (9,300 for a million holdings), tens of thousands with notices.
///
/// A depot's own split by owner, all types together, is the same with
/// type 0 (`readiness_depot_owner`, `readiness_depot_owner_notice`).
///
/// Kept in a small map per type: a force-wide export arrives sorted by
/// type, so a line's update finds its type's few hundred entries in cache,
/// where one map of every (type, owner, notice) key (64,483 for a million
/// holdings) cost a cache miss a line and left its doublings behind in
/// the heap.
#[derive(Default, PartialEq, Eq)]
pub struct OwnerRows {
    types: FxHashMap<i64, TypeOwners>,
}

/// One type's owner figures: by owner, and by the notice part of
/// [`notice_key`] (its low 32 bits) and owner.
#[derive(Default, PartialEq, Eq)]
struct TypeOwners {
    by_owner: FxHashMap<u32, [i64; 9]>,
    by_notice: FxHashMap<(u32, u32), [i64; 4]>,
}

/// The notice part of a [`notice_key`].
fn notice_part(key: u64) -> u32 {
    key as u32
}

impl OwnerRows {
    /// Adds a line's quantity (`sign` 1) or takes a version's back out
    /// (`sign` -1).
    pub(super) fn count(&mut self, c: &Counted, sign: i64) {
        self.add(c.type_id, c, c.placed(), sign);
    }

    /// The same for a line already placed, counted under `type_id` (0: all
    /// types together): only the notice part of its key is kept, which
    /// does not depend on the type.
    pub(super) fn add(&mut self, type_id: i64, c: &Counted, (bucket, mc): Placed, sign: i64) {
        let quantity = sign * c.quantity;
        let t = self.types.entry(type_id).or_default();
        t.by_owner.entry(c.owner).or_default()[bucket] += quantity;
        if let Some((key, slot)) = mc {
            t.by_notice.entry((notice_part(key), c.owner)).or_default()[slot] += quantity;
        }
    }

    /// Whether it holds any quantity (or changes any).
    pub(super) fn is_empty(&self) -> bool {
        self.by_type().all(|(_, q)| q.iter().all(|&x| x == 0))
            && self.by_notice().all(|(_, q)| q.iter().all(|&x| x == 0))
    }

    /// Every (type, owner) row.
    fn by_type(&self) -> impl Iterator<Item = (Pair, &[i64; 9])> {
        self.types.iter().flat_map(|(&type_id, t)| {
            t.by_owner
                .iter()
                .map(move |(&owner, q)| ((type_id, owner), q))
        })
    }

    /// Every ([`notice_key`], owner) row.
    fn by_notice(&self) -> impl Iterator<Item = ((u64, u32), &[i64; 4])> {
        self.types.iter().flat_map(|(&type_id, t)| {
            t.by_notice.iter().map(move |(&(low, owner), q)| {
                ((((type_id as u64) << 32) | u64::from(low), owner), q)
            })
        })
    }

    fn insert_type_row(&mut self, (type_id, owner): Pair, q: [i64; 9]) {
        self.types
            .entry(type_id)
            .or_default()
            .by_owner
            .insert(owner, q);
    }

    fn insert_notice_row(&mut self, (key, owner): (u64, u32), q: [i64; 4]) {
        let type_id = notice_of_key(key).0;
        self.types
            .entry(type_id)
            .or_default()
            .by_notice
            .insert((notice_part(key), owner), q);
    }

    /// Every depot's split by owner as stored, by depot: one scan of each
    /// table for all depots (on a server, a query per depot was 400 round
    /// trips a next week).
    pub(super) fn of_depots(conn: &Db) -> db::Result<FxHashMap<i64, OwnerRows>> {
        let mut depots: FxHashMap<i64, OwnerRows> = FxHashMap::default();
        conn.each(
            "SELECT depot_id, owner, fmc, pmc, nmcm, nmcs, ammo_fmc, ammo_pmc, ammo_nmcm,
                    ammo_nmcs, ammo_susp
             FROM readiness_depot_owner",
            &[],
            |r| {
                let mut q = [0i64; 9];
                for (i, v) in q.iter_mut().enumerate() {
                    *v = r.get(2 + i)?;
                }
                depots
                    .entry(r.get(0)?)
                    .or_default()
                    .insert_type_row((0, packed(r.get(1)?)), q);
                Ok(())
            },
        )?;
        conn.each(
            "SELECT depot_id, owner, notice_hours, priority, fmc, pmc, ammo_fmc, ammo_pmc
             FROM readiness_depot_owner_notice",
            &[],
            |r| {
                let key = notice_key(0, r.get(2)?, r.get::<i64>(3)? != 0);
                let q = [r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?];
                depots
                    .entry(r.get(0)?)
                    .or_default()
                    .insert_notice_row((key, packed(r.get(1)?)), q);
                Ok(())
            },
        )?;
        Ok(depots)
    }

    /// Writes a depot's split by owner, in key order (its stored rows
    /// deleted first).
    pub(super) fn append_for_depot(&self, conn: &Db, depot_id: i64) -> db::Result<()> {
        let tables = [Bulk::ReadinessDepotOwner, Bulk::ReadinessDepotOwnerNotice];
        self.append(conn, tables, Some(depot_id), |_, _| true)
    }

    /// Appends the rows `keep` lets through to `tables` (the figures by
    /// bucket, then by notice), in key order, each row led by `first` (a
    /// depot), or by its type when None, and its owner.
    fn append(
        &self,
        conn: &Db,
        [sums, notices]: [Bulk; 2],
        first: Option<i64>,
        keep: impl Fn(Pair, &[i64]) -> bool,
    ) -> db::Result<()> {
        let mut by_type: Vec<_> = self.by_type().filter(|(p, q)| keep(*p, &q[..])).collect();
        by_type.sort_unstable();
        for ((type_id, owner), q) in by_type {
            let lead = first.unwrap_or(type_id);
            let owner = unpack_nation(owner);
            let mut row: Vec<&dyn db::Param> = vec![&lead, &owner];
            row.extend(q.iter().map(|v| v as &dyn db::Param));
            conn.append(sums, &row)?;
        }
        let mut by_notice: Vec<_> = self
            .by_notice()
            .filter(|((key, owner), q)| keep((notice_of_key(*key).0, *owner), &q[..]))
            .collect();
        by_notice.sort_unstable();
        for ((key, owner), q) in by_notice {
            let (type_id, notice, priority) = notice_of_key(key);
            let (lead, owner, priority) = (
                first.unwrap_or(type_id),
                unpack_nation(owner),
                i64::from(priority),
            );
            let mut row: Vec<&dyn db::Param> = vec![&lead, &owner, &notice, &priority];
            row.extend(q.iter().map(|v| v as &dyn db::Param));
            conn.append(notices, &row)?;
        }
        Ok(())
    }

    /// Adds another change to this one.
    pub(super) fn absorb(&mut self, other: OwnerRows) {
        for (type_id, theirs) in other.types {
            let mine = self.types.entry(type_id).or_default();
            add_rows(&mut mine.by_owner, theirs.by_owner, |_| {});
            add_rows(&mut mine.by_notice, theirs.by_notice, |_| {});
            // An empty type compares as an absent one.
            if mine.by_owner.is_empty() && mine.by_notice.is_empty() {
                self.types.remove(&type_id);
            }
        }
    }

    /// A depot's current state as stored, taken back out: what a snapshot
    /// that replaces it whole changes, before its own lines are added.
    pub(super) fn take_out_current(&mut self, conn: &Db, depot_id: i64) -> db::Result<()> {
        conn.each(
            "SELECT type_id, owner, status, CASE WHEN lot IS NULL THEN 0 ELSE 1 END,
                    condition_code, notice_hours, sum(quantity)
             FROM holding_version WHERE depot_id = ?1 AND valid_to IS NULL
             GROUP BY type_id, owner, status, 4, condition_code, notice_hours",
            &[&depot_id],
            |r| {
                self.count(
                    &Counted {
                        type_id: r.get(0)?,
                        owner: packed(r.get(1)?),
                        status: r.get(2)?,
                        ammo: r.get::<i64>(3)? != 0,
                        condition: r.get(4)?,
                        notice: r.get(5)?,
                        quantity: r.get(6)?,
                        expires: None,
                        serial: false,
                        last_inspected: None,
                        next_test: None,
                    },
                    -1,
                );
                Ok(())
            },
        )
    }

    /// Adds the change to the stored rows: the rows of every (type, owner)
    /// pair it changes are read, deleted and written again as they now
    /// stand; the others are left alone.
    pub(super) fn write(self, conn: &Db) -> db::Result<()> {
        let mut pairs: FxHashSet<Pair> = FxHashSet::default();
        for (pair, q) in self.by_type() {
            if q.iter().any(|&x| x != 0) {
                pairs.insert(pair);
            }
        }
        for ((key, owner), q) in self.by_notice() {
            if q.iter().any(|&x| x != 0) {
                pairs.insert((notice_of_key(key).0, owner));
            }
        }
        if pairs.is_empty() {
            return Ok(());
        }
        // The stored rows are added to the change, not the change to a
        // copy of them: a first import's change is every pair there is.
        let mut rows = self;
        let mut stored_rows = OwnerRows::default();
        let mut stored: FxHashSet<Pair> = FxHashSet::default();
        conn.each(
            "SELECT type_id, owner, fmc, pmc, nmcm, nmcs, ammo_fmc, ammo_pmc, ammo_nmcm, ammo_nmcs,
                    ammo_susp
             FROM readiness_owner",
            &[],
            |r| {
                let pair = (r.get(0)?, packed(r.get(1)?));
                if pairs.contains(&pair) {
                    let mut q = [0i64; 9];
                    for (i, v) in q.iter_mut().enumerate() {
                        *v = r.get(2 + i)?;
                    }
                    stored_rows.insert_type_row(pair, q);
                    stored.insert(pair);
                }
                Ok(())
            },
        )?;
        conn.each(
            "SELECT type_id, owner, notice_hours, priority, fmc, pmc, ammo_fmc, ammo_pmc
             FROM readiness_owner_notice",
            &[],
            |r| {
                let pair = (r.get(0)?, packed(r.get(1)?));
                if pairs.contains(&pair) {
                    let key = notice_key(pair.0, r.get(2)?, r.get::<i64>(3)? != 0);
                    let q = [r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?];
                    stored_rows.insert_notice_row((key, pair.1), q);
                    stored.insert(pair);
                }
                Ok(())
            },
        )?;
        rows.absorb(stored_rows);
        delete_pairs(conn, &stored)?;
        let tables = [Bulk::ReadinessOwner, Bulk::ReadinessOwnerNotice];
        rows.append(conn, tables, None, |pair, q| {
            pairs.contains(&pair) && q.iter().any(|&x| x != 0)
        })
    }
}

/// An owner code as stored, packed (0 for none).
pub(crate) fn packed(owner: Option<String>) -> u32 {
    owner.map_or(0, |o| pack_nation(o.as_bytes()))
}

/// Deletes the stored rows of these pairs from both owner tables, in one
/// pass over each (they have no index: a few thousand rows).
fn delete_pairs(conn: &Db, pairs: &FxHashSet<Pair>) -> db::Result<()> {
    if pairs.is_empty() {
        return Ok(());
    }
    let pairs: Vec<(i64, String)> = pairs
        .iter()
        .map(|&(t, o)| (t, unpack_nation(o).unwrap_or_default()))
        .collect();
    fill_pairs(
        conn,
        "changed_owner (type_id BIGINT NOT NULL, owner TEXT NOT NULL, PRIMARY KEY (type_id, owner))",
        &pairs,
    )?;
    for table in ["readiness_owner", "readiness_owner_notice"] {
        conn.execute(
            &format!(
                "DELETE FROM {table} WHERE EXISTS (SELECT 1 FROM changed_owner c
                     WHERE c.type_id = {table}.type_id AND c.owner = coalesce({table}.owner, ''))"
            ),
            &[],
        )?;
    }
    Ok(())
}
