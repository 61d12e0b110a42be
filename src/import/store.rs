//! Writing validated holdings: the depot and type registry, snapshots as
//! versioned holdings (history that grows with change), the readiness
//! aggregates of each depot's current state, and the ledger entry.
//!
//! All of it runs inside the one transaction of the file being imported.

use std::collections::{BTreeMap, HashMap};

use rustc_hash::{FxHashMap, FxHashSet};

use crate::db::{self, Bulk, Db};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::owners::OwnerRows;
use super::row::Holding;
use crate::content::{
    GENESIS, LineContent, Provenance, find_hashed, hash_order, line_key, snapshot_digest,
};
use crate::error::RowError;
use crate::model::{
    Category, ConditionCode, DepotCode, IsoDate, Nsn, Status, TypeCode, iso, near_miss_key,
};

/// Day number of a date, for compact comparisons in memory.
fn day(d: NaiveDate) -> i32 {
    d.num_days_from_ce()
}

/// A date in 23 bits, never 0: its day number from year 1, moved up so
/// that year 0000 (which an export may give, day -365) is still above 0.
/// Dates of four-digit years fit (9999-12-31 is 3,653,059 + 1,000).
fn packed_day(d: NaiveDate) -> u32 {
    u32::try_from(day(d) + DAY_SHIFT).map_or(1, |n| n.clamp(1, 0x7f_ffff))
}

fn unpacked_day(packed: u32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(packed as i32 - DAY_SHIFT).unwrap_or(NaiveDate::MIN)
}

const DAY_SHIFT: i32 = 1_000;

fn day_of_text(text: &str) -> db::Result<i32> {
    crate::model::stored_date(text).map(day)
}

const OPEN_END: i32 = i32::MAX;

struct TypeInfo {
    id: i64,
    nsn: Option<String>,
    category: Option<Category>,
}

/// Depots and types known to the database, loaded once per file; new codes
/// are registered on first sight and compared with the known ones for
/// likely typos.
pub struct Registry {
    depots: HashMap<String, i64>,
    types: HashMap<String, TypeInfo>,
    depot_keys: HashMap<String, String>,
    type_keys: HashMap<String, String>,
    pub new_depots: Vec<String>,
    pub new_types: Vec<String>,
}

impl Registry {
    pub fn load(conn: &Db) -> db::Result<Registry> {
        let mut depots = HashMap::new();
        let mut depot_keys = HashMap::new();
        let rows = conn.rows("SELECT id, code FROM depot ORDER BY id", &[], |r| {
            Ok((r.get::<i64>(0)?, r.get::<String>(1)?))
        })?;
        for (id, code) in rows {
            depot_keys.insert(near_miss_key(&code), code.clone());
            depots.insert(code, id);
        }
        let mut types = HashMap::new();
        let mut type_keys = HashMap::new();
        let rows = conn.rows(
            "SELECT id, code, nsn, category FROM equipment_type ORDER BY id",
            &[],
            |r| {
                Ok((
                    r.get::<String>(1)?,
                    TypeInfo {
                        id: r.get(0)?,
                        nsn: r.get(2)?,
                        category: r.get(3)?,
                    },
                ))
            },
        )?;
        for (code, info) in rows {
            type_keys.insert(near_miss_key(&code), code.clone());
            types.insert(code, info);
        }
        Ok(Registry {
            depots,
            types,
            depot_keys,
            type_keys,
            new_depots: Vec::new(),
            new_types: Vec::new(),
        })
    }

    pub fn depot_code(&self, id: i64) -> Option<&str> {
        self.depots
            .iter()
            .find(|(_, v)| **v == id)
            .map(|(k, _)| k.as_str())
    }

    /// A row whose NSN or category contradicts what its type already has is
    /// invalid: a type keeps one of each.
    pub fn check_type(&self, h: &Holding, line: u64) -> Result<(), RowError> {
        let Some(info) = self.types.get(h.type_code.as_str()) else {
            return Ok(());
        };
        if let (Some(known), Some(given)) = (&info.nsn, &h.nsn)
            && known != given.as_str()
        {
            return Err(RowError {
                line,
                column: "nsn".into(),
                message: format!(
                    "\"{}\" differs from NSN {known} already recorded for type {} (a type keeps one NSN)",
                    given.as_str(),
                    h.type_code
                ),
            });
        }
        if let (Some(known), Some(given)) = (info.category, h.category)
            && known != given
        {
            return Err(RowError {
                line,
                column: "category".into(),
                message: format!(
                    "\"{given}\" differs from category {known} already recorded for type {} (a type keeps one category)",
                    h.type_code
                ),
            });
        }
        Ok(())
    }

    /// The depot's id, registering it if new. Returns a warning when the new
    /// code looks like a typo of a known one.
    pub fn depot_id(
        &mut self,
        conn: &Db,
        code: &DepotCode,
        ledger_id: i64,
    ) -> db::Result<(i64, Option<String>)> {
        if let Some(&id) = self.depots.get(code.as_str()) {
            return Ok((id, None));
        }
        let id = conn.insert(
            "INSERT INTO depot (code, first_seen) VALUES (?1, ?2)",
            &[code, &ledger_id],
        )?;
        let warning = near_miss(&mut self.depot_keys, code.as_str(), "depot");
        self.depots.insert(code.as_str().to_string(), id);
        self.new_depots.push(code.as_str().to_string());
        Ok((id, warning))
    }

    pub fn type_id(
        &mut self,
        conn: &Db,
        code: &TypeCode,
        nsn: Option<&Nsn>,
        category: Option<Category>,
        ledger_id: i64,
    ) -> db::Result<(i64, Option<String>)> {
        let nsn = nsn.map(|n| n.as_str().to_string());
        if let Some(info) = self.types.get_mut(code.as_str()) {
            // The first export to give an NSN or category sets it.
            if info.nsn.is_none() && nsn.is_some() {
                conn.execute(
                    "UPDATE equipment_type SET nsn = ?1 WHERE id = ?2",
                    &[&nsn, &info.id],
                )?;
                info.nsn = nsn;
            }
            if info.category.is_none() && category.is_some() {
                conn.execute(
                    "UPDATE equipment_type SET category = ?1 WHERE id = ?2",
                    &[&category, &info.id],
                )?;
                info.category = category;
            }
            return Ok((info.id, None));
        }
        let id = conn.insert(
            "INSERT INTO equipment_type (code, category, nsn, first_seen) VALUES (?1, ?2, ?3, ?4)",
            &[code, &category, &nsn, &ledger_id],
        )?;
        let warning = near_miss(&mut self.type_keys, code.as_str(), "type");
        self.types
            .insert(code.as_str().to_string(), TypeInfo { id, nsn, category });
        self.new_types.push(code.as_str().to_string());
        Ok((id, warning))
    }
}

fn near_miss(keys: &mut HashMap<String, String>, code: &str, what: &str) -> Option<String> {
    let key = near_miss_key(code);
    match keys.get(&key) {
        Some(known) if known != code => Some(format!(
            "new {what} {code} looks like the known {what} {known} (a typo?); it was registered as a separate {what}"
        )),
        Some(_) => None,
        None => {
            keys.insert(key, code.to_string());
            None
        }
    }
}

/// A version live on the snapshot date, in memory: 16 bytes (see [`Live`]).
/// Its validity interval is kept (in `spans`) only when the snapshot is not
/// the depot's newest: for the newest, every live version began before it
/// and is still open. Whether the snapshot has a line for it is the sign of
/// `id` (row ids are positive): a flag beside the key, where a vector of
/// flags of its own cost a second cache miss per line of a next week's
/// import.
#[derive(Clone, Copy)]
struct LiveVersion {
    key: i64,
    id: i64,
}

impl LiveVersion {
    fn id(self) -> i64 {
        self.id.abs()
    }

    fn seen(self) -> bool {
        self.id < 0
    }

    fn mark_seen(&mut self) {
        self.id = -self.id.abs();
    }
}

/// The versions live on a snapshot's date, in the order of the lines that
/// last gave them (their line numbers), with an index by key. A depot's
/// export keeps its order from week to week, so the version a line repeats
/// is most often the one after the last line's: reading them in that order
/// spares a next week's import a search, and the cache misses of one, for
/// nearly every line.
struct Live {
    versions: Vec<LiveVersion>,
    /// `hash_order` of each key, sorted, and where its version is.
    keys: Vec<u64>,
    at: Vec<u32>,
    /// Where the next line's version is expected.
    next: usize,
}

impl Live {
    fn new(mut by_line: Vec<(i64, LiveVersion)>) -> Live {
        by_line.sort_unstable_by_key(|&(line, v)| (line, v.id));
        // Each sized exactly: 200 depots' vectors are held at once.
        let mut versions = Vec::with_capacity(by_line.len());
        versions.extend(by_line.iter().map(|&(_, v)| v));
        drop(by_line);
        let mut index: Vec<(u64, u32)> = Vec::with_capacity(versions.len());
        index.extend(
            versions
                .iter()
                .enumerate()
                .map(|(i, v)| (hash_order(v.key), i as u32)),
        );
        index.sort_unstable_by_key(|e| e.0);
        let mut keys = Vec::with_capacity(index.len());
        let mut at = Vec::with_capacity(index.len());
        for (k, i) in index {
            keys.push(k);
            at.push(i);
        }
        Live {
            versions,
            keys,
            at,
            next: 0,
        }
    }

    /// Where the version of this key is, if one is live.
    fn find(&self, key: i64) -> Option<usize> {
        if self.versions.get(self.next).is_some_and(|v| v.key == key) {
            return Some(self.next);
        }
        let i = find_hashed(&self.keys, hash_order(key), |k| *k).ok()?;
        Some(self.at[i] as usize)
    }
}

/// A depot's readiness in the making: per type, quantity by reported
/// status, equipment (FMC, PMC, NMCM, NMCS) then ammunition (the same for
/// lots); per type and notice, the FMC and PMC quantity of each kind; and
/// the lots that have an expiry date, for a report to take back those
/// expired by its date. A few hundred entries a depot for the first two,
/// one per lot line for the last. (One map for the first two, keyed by
/// type and notice or state, saved a cache miss a line but took 10 MB
/// more on wide data: 200 depots' maps doubled past their sizes at once.)
#[derive(Default)]
struct AggregateRows {
    /// By [`crate::model::bucket`]: equipment by status, lots by status,
    /// lots suspended by their condition code.
    by_type: FxHashMap<i64, [i64; 9]>,
    /// By [`notice_key`]: 24 bytes an entry where a (type, notice) tuple
    /// key took 32; a force-wide file holds hundreds of thousands at once.
    by_notice: FxHashMap<u64, [i64; 4]>,
    /// Lots with an expiry, by [`LotKey`]: their rounds and how many lot
    /// lines (what `watch` counts), one entry per line (summed when
    /// written): 32 bytes a lot line, no map to grow.
    expiring: Vec<(LotKey, Lots)>,
    /// By owner, all types together (type 0): a few dozen owners a depot.
    by_owner: OwnerRows,
    /// What needs attention, by [`attention_key`]: items and quantity.
    /// A few hundred entries a depot (a day's inspections; the lots'
    /// expiry days are in `expiring`).
    attention: FxHashMap<u32, [i64; 2]>,
}

/// The kinds of `attention_day`, by their index in an [`attention_key`].
pub(crate) const ATTENTION_KINDS: [&str; 5] = [
    "suspended",
    "expires",
    "inspected",
    "uninspected",
    "test_due",
];
/// The index of a kind of `attention_day` in [`ATTENTION_KINDS`].
pub(crate) fn attention_kind(name: &str) -> Option<usize> {
    ATTENTION_KINDS.iter().position(|k| *k == name)
}
pub(crate) const SUSPENDED: u32 = 0;
pub(crate) const EXPIRES: u32 = 1;
pub(crate) const INSPECTED: u32 = 2;
pub(crate) const UNINSPECTED: u32 = 3;
pub(crate) const TEST_DUE: u32 = 4;

/// A kind of `attention_day` and its day in one integer: 3 bits of kind
/// above 23 of its day ([`packed_day`]; 0 for none).
fn attention_key(kind: u32, on: Option<NaiveDate>) -> u32 {
    let day = on.map_or(0, packed_day);
    (kind << 23) | day
}

/// The kind's name and the day of an [`attention_key`].
fn attention_of_key(key: u32) -> (&'static str, Option<NaiveDate>) {
    let day = key & 0x7f_ffff;
    (
        ATTENTION_KINDS[(key >> 23) as usize],
        (day != 0).then(|| unpacked_day(day)),
    )
}

/// A lot's [`expiry_key`] and its owner (packed, 0 for none): an owner's
/// lots expired by a date are taken back from its figures as a depot's
/// are from the depot's.
type LotKey = (u64, u32);

/// Rounds, and the lot lines that hold them.
type Lots = [i64; 2];

/// A type and a notice to move in one integer, ordered as the (type,
/// notice) pair was (no notice first): type ids are row ids of the type
/// registry, far below 2^32; notices are at most 8,760 hours.
/// Bit 31 marks condition C (priority issue, SPEC §12), which packages
/// draw before A and B.
pub(super) fn notice_key(type_id: i64, notice: Option<u32>, priority: bool) -> u64 {
    debug_assert!((0..1 << 32).contains(&type_id));
    ((type_id as u64) << 32) | (u64::from(priority) << 31) | notice.map_or(0, |n| u64::from(n) + 1)
}

pub(super) fn notice_of_key(key: u64) -> (i64, Option<u32>, bool) {
    let low = (key & 0x7fff_ffff) as u32;
    ((key >> 32) as i64, low.checked_sub(1), key & (1 << 31) != 0)
}

/// A lot's type, notice, priority, expiry and status in one integer,
/// ordered by type first: 24 bits of type id, 14 of notice (+1, 0 for
/// none: at most 8,761), 1 for condition C, 23 of the expiry's day
/// ([`packed_day`]) and 2 of status.
fn expiry_key(
    type_id: i64,
    notice: Option<u32>,
    priority: bool,
    expires: NaiveDate,
    status: Status,
) -> u64 {
    debug_assert!((0..1 << 24).contains(&type_id));
    let notice = notice.map_or(0, |n| u64::from(n) + 1);
    let day = u64::from(packed_day(expires));
    ((type_id as u64) << 40)
        | (notice << 26)
        | (u64::from(priority) << 25)
        | (day << 2)
        | status_index(status) as u64
}

fn expiry_of_key(key: u64) -> (i64, Option<u32>, bool, NaiveDate, Status) {
    let type_id = (key >> 40) as i64;
    let notice = (((key >> 26) & 0x3fff) as u32).checked_sub(1);
    let priority = key & (1 << 25) != 0;
    let date = unpacked_day(((key >> 2) & 0x7f_ffff) as u32);
    (
        type_id,
        notice,
        priority,
        date,
        STATUSES[(key & 3) as usize],
    )
}

const STATUSES: [Status; 4] = [Status::Fmc, Status::Pmc, Status::Nmcm, Status::Nmcs];

fn status_index(status: Status) -> usize {
    match status {
        Status::Fmc => 0,
        Status::Pmc => 1,
        Status::Nmcm => 2,
        Status::Nmcs => 3,
    }
}

/// `STOCKPILE_RECOUNT` set: every snapshot's aggregates are counted from
/// all its lines, as a first import counts them; a knob for the test that
/// proves counting by difference gives the same database.
fn recount_forced() -> bool {
    std::env::var_os("STOCKPILE_RECOUNT").is_some()
}

/// What one line (or stored version) adds to its depot's aggregates, and
/// to its owner's.
pub(super) struct Counted {
    pub type_id: i64,
    /// Packed by [`crate::model::pack_nation`], 0 for none.
    pub owner: u32,
    pub quantity: i64,
    pub status: Status,
    pub ammo: bool,
    pub condition: Option<ConditionCode>,
    pub notice: Option<u32>,
    pub expires: Option<NaiveDate>,
    /// What `watch` judges it by (counted in `attention_day`).
    pub serial: bool,
    pub last_inspected: Option<NaiveDate>,
    pub next_test: Option<NaiveDate>,
}

impl Counted {
    fn of(type_id: i64, h: &Holding) -> Counted {
        Counted {
            type_id,
            owner: h
                .owner
                .as_ref()
                .map_or(0, |o| crate::model::pack_nation(o.as_str().as_bytes())),
            quantity: i64::from(h.quantity),
            status: h.status,
            ammo: h.lot.is_some(),
            condition: h.condition,
            notice: h.notice_hours,
            expires: h.expires,
            serial: h.serial.is_some(),
            last_inspected: h.last_inspected,
            next_test: h.next_test,
        }
    }

    fn priority(&self) -> bool {
        self.condition
            .is_some_and(crate::model::ConditionCode::is_priority)
    }

    /// Where it counts: its [`crate::model::bucket`], and for a
    /// mission-capable line its [`notice_key`] and slot among FMC and PMC
    /// items, then FMC and PMC rounds.
    pub(super) fn placed(&self) -> Placed {
        let b = crate::model::bucket(self.status, self.ammo, self.condition);
        let mc = matches!(b, 0 | 1 | 4 | 5).then(|| {
            (
                notice_key(self.type_id, self.notice, self.priority()),
                (b & 1) + if self.ammo { 2 } else { 0 },
            )
        });
        (b, mc)
    }
}

/// A line's bucket, and its notice key and slot when mission capable
/// ([`Counted::placed`]).
pub(super) type Placed = (usize, Option<(u64, usize)>);

impl AggregateRows {
    /// Adds a line's quantity (`sign` 1), or takes a closed version's
    /// back out (`sign` -1, a next week's import counting only what
    /// changed). Returns where it counted, for the owner figures.
    fn count(&mut self, c: &Counted, sign: i64) -> Placed {
        let quantity = sign * c.quantity;
        let placed @ (b, mc) = c.placed();
        self.by_type.entry(c.type_id).or_default()[b] += quantity;
        if let Some((key, slot)) = mc {
            self.by_notice.entry(key).or_default()[slot] += quantity;
        }
        self.by_owner.add(0, c, placed, sign);
        // A suspended lot counts as suspended whether or not it has
        // expired: it takes no part in the expiry's correction.
        if let (true, Some(expires), false) = (c.ammo, c.expires, b == 8) {
            self.expiring.push((
                (
                    expiry_key(c.type_id, c.notice, c.priority(), expires, c.status),
                    c.owner,
                ),
                [quantity, sign],
            ));
        }
        self.count_attention(c, sign);
        placed
    }

    /// Where a line counts for `watch`: as suspended under its code, or
    /// else under each date it is judged by.
    fn count_attention(&mut self, c: &Counted, sign: i64) {
        let mut add = |kind, on| {
            let row = self.attention.entry(attention_key(kind, on)).or_default();
            row[0] += sign;
            row[1] += sign * c.quantity;
        };
        if c.condition.is_some_and(ConditionCode::is_suspended) {
            add(SUSPENDED, None);
            return;
        }
        // A lot's expiry is counted with its type's (`expiring`).
        if let (Some(expires), false) = (c.expires, c.ammo) {
            add(EXPIRES, Some(expires));
        }
        match c.last_inspected {
            Some(inspected) => add(INSPECTED, Some(inspected)),
            None if c.serial => add(UNINSPECTED, None),
            None => {}
        }
        if let Some(due) = c.next_test {
            add(TEST_DUE, Some(due));
        }
    }

    /// The snapshot's own figures on `as_of`: equipment items on hand and
    /// mission capable, rounds on hand, rounds serviceable and not expired,
    /// and rounds under a suspended condition code. All follow from the
    /// aggregates (every quantity is positive, and a serviceable lot with
    /// an expiry is in `expiring` under its status), so a next week's
    /// import that only counts what changed gets them too.
    fn figures(&self, as_of: NaiveDate) -> [i64; 5] {
        let mut f = [0i64; 5];
        for q in self.by_type.values() {
            f[0] += q[..4].iter().sum::<i64>();
            f[1] += q[0] + q[1];
            f[2] += q[4..].iter().sum::<i64>();
            f[3] += q[4] + q[5];
            f[4] += q[8];
        }
        let cutoff = day(as_of);
        for &((key, _), [quantity, _]) in &self.expiring {
            let (_, _, _, expires, status) = expiry_of_key(key);
            if matches!(status, Status::Fmc | Status::Pmc) && day(expires) < cutoff {
                f[3] -= quantity;
            }
        }
        f
    }

    /// Adds `delta` (what a next week's snapshot changed, closed versions
    /// counted negative) to the stored aggregates, dropping what comes to
    /// nothing: no line is left of it, as quantities are positive. Returns
    /// the types whose rows changed, and those whose lots with an expiry
    /// did, as `changed_types` would find them.
    fn merge(&mut self, mut delta: AggregateRows) -> Changed {
        delta.expiring();
        let mut types = FxHashSet::default();
        add_rows(&mut self.by_type, delta.by_type, |t| {
            types.insert(t);
        });
        add_rows(&mut self.by_notice, delta.by_notice, |k| {
            types.insert(notice_of_key(k).0);
        });
        let owners = !delta.by_owner.is_empty();
        self.by_owner.absorb(delta.by_owner);
        let mut attention = Vec::new();
        add_rows(&mut self.attention, delta.attention, |k| attention.push(k));
        attention.sort_unstable();
        let mut lot_types = FxHashSet::default();
        let stored = std::mem::take(&mut self.expiring);
        let mut merged = Vec::with_capacity(stored.len() + delta.expiring.len());
        let (mut i, mut j) = (0, 0);
        while i < stored.len() || j < delta.expiring.len() {
            let (key, quantity) = match (stored.get(i), delta.expiring.get(j)) {
                (Some(s), Some(d)) if s.0 == d.0 => {
                    i += 1;
                    j += 1;
                    if d.1 != [0, 0] {
                        lot_types.insert(expiry_of_key(s.0.0).0);
                    }
                    (s.0, [s.1[0] + d.1[0], s.1[1] + d.1[1]])
                }
                (Some(s), d) if d.is_none_or(|d| s.0 < d.0) => {
                    i += 1;
                    *s
                }
                (_, Some(d)) => {
                    j += 1;
                    if d.1 != [0, 0] {
                        lot_types.insert(expiry_of_key(d.0.0).0);
                    }
                    *d
                }
                (_, None) => break,
            };
            // No rounds left: no lot is (quantities are positive).
            if quantity[0] != 0 {
                merged.push((key, quantity));
            }
        }
        self.expiring = merged;
        let sorted = |set: FxHashSet<i64>| {
            let mut v: Vec<i64> = set.into_iter().collect();
            v.sort_unstable();
            v
        };
        Changed {
            types: sorted(types),
            lot_types: sorted(lot_types),
            owners,
            attention,
            stored: true,
        }
    }

    /// The lots with an expiry, one entry per key, sorted.
    fn expiring(&mut self) -> &[(LotKey, Lots)] {
        let lines = &mut self.expiring;
        lines.sort_unstable_by_key(|&(k, _)| k);
        lines.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1[0] += later.1[0];
                kept.1[1] += later.1[1];
            }
            same
        });
        lines
    }
}

/// Adds each row of `delta` that changes anything to its row in `rows`,
/// removing a row that comes to nothing, and names its key to `touched`.
pub(super) fn add_rows<K: std::hash::Hash + Eq + Copy, const N: usize>(
    rows: &mut FxHashMap<K, [i64; N]>,
    delta: FxHashMap<K, [i64; N]>,
    mut touched: impl FnMut(K),
) {
    for (k, q) in delta {
        if q.iter().any(|&x| x != 0) {
            let row = rows.entry(k).or_insert([0; N]);
            for (a, b) in row.iter_mut().zip(q) {
                *a += b;
            }
            if row.iter().all(|&x| x == 0) {
                rows.remove(&k);
            }
            touched(k);
        }
    }
}

/// Keys of the lines a snapshot adds, in chunks of 1,024: a force-wide
/// file grows 200 writers' keys at once, and vectors doubling as they grow
/// stood a third empty on average (13 MB for the 8 MB of a million keys).
#[derive(Default)]
struct Keys {
    chunks: Vec<Vec<i64>>,
}

const KEY_CHUNK: usize = 1024;

impl Keys {
    fn push(&mut self, key: i64) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < KEY_CHUNK => chunk.push(key),
            _ => {
                let mut chunk = Vec::with_capacity(KEY_CHUNK);
                chunk.push(key);
                self.chunks.push(chunk);
            }
        }
    }

    fn len(&self) -> usize {
        self.chunks.iter().map(Vec::len).sum()
    }

    /// Appends every key to `out`, freeing each chunk once copied.
    fn drain_into(self, out: &mut Vec<i64>) {
        out.reserve_exact(self.len());
        for chunk in self.chunks {
            out.extend_from_slice(&chunk);
        }
    }
}

/// What became of a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A new snapshot that is now its depot's current state.
    Created,
    /// A new snapshot older than its depot's latest: kept as history.
    History,
    /// `--replace` overwrote the snapshot of that depot and date.
    Replaced,
    /// The same depot, date and lines were already stored.
    Unchanged,
    /// A different snapshot of that depot and date exists (no `--replace`).
    Conflict,
}

#[derive(Debug, Clone, Serialize)]
pub struct SnapshotRecord {
    pub depot: String,
    pub as_of: String,
    pub lines: u64,
    pub quantity: u64,
    pub digest: String,
    pub outcome: Outcome,
    /// For a replaced snapshot, the ledger entry that had put the old one in force.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaces_ledger: Option<i64>,
    #[serde(skip)]
    pub existing_file: Option<String>,
    /// What the snapshot added to its depot's provenance sum, or None when
    /// it rewrote history (a late or replaced snapshot moves, splits and
    /// deletes versions): the depot's sum is then counted afresh.
    #[serde(skip)]
    pub provenance: Option<Provenance>,
}

struct Existing {
    id: i64,
    digest: String,
    ledger_id: i64,
    file: String,
}

/// One snapshot being written. Rows are diffed against the versions live on
/// its date as they stream past; `finish` closes what the snapshot lacks.
///
/// To put snapshot S of a depot at date d, with n the depot's next snapshot
/// date after d (if any), and a line's key its content hash and occurrence:
/// 1. each version live at d whose key S lacks ends at d (or is deleted if it
///    began at d); if it ran past n, its remainder [n, old end) is kept;
/// 2. each key of S not live at d joins a version of that key ending at d
///    and/or one beginning at n, or else is inserted as [d, n).
///
/// The common case, a snapshot newer than all others, is step 2's insert and
/// step 1's close with nothing else to look up.
pub struct SnapshotWriter {
    pub depot_id: i64,
    pub depot: DepotCode,
    pub as_of: NaiveDate,
    as_of_text: String,
    next: Option<NaiveDate>,
    next_text: Option<String>,
    becomes_current: bool,
    existing: Option<Existing>,
    live: Live,
    spans: FxHashMap<i64, (i32, i32)>,
    ending: FxHashMap<i64, i64>,
    beginning: FxHashMap<i64, (i64, i32)>,
    /// Keys of the lines this snapshot adds, for its digest.
    new_keys: Keys,
    /// The depot's serials with leading zeros in the state this snapshot
    /// follows, by the serial without them: to notice `000123` come back as
    /// `123`.
    zero_padded: FxHashMap<String, String>,
    /// When replacing: versions that began on this date and that the new
    /// file repeats, with the line it repeats them on (their provenance
    /// moves to the file now in force).
    repeated: Vec<(i64, u64)>,
    /// The same for lines without a serial, the only ones that can repeat
    /// identically within a snapshot (a serial is unique in it): a small set
    /// instead of one entry per vehicle.
    repeatable: FxHashSet<i64>,
    /// For a line repeated in this snapshot, the first occurrence number
    /// its next copy may take (every lower one is taken): the k-th copy of
    /// a line starts there instead of trying all k before it, so a file of
    /// identical lines imports in linear time.
    next_occurrence: FxHashMap<u64, u32>,
    readiness: AggregateRows,
    /// The snapshot follows the depot's current state: `readiness` then
    /// counts only what changed (new lines, and at the end the versions it
    /// closes, negative), added to the stored aggregates when it is done.
    counts_changes: bool,
    /// The depot's stored aggregates, when counting changes.
    stored: Option<AggregateRows>,
    /// What this snapshot changes in the owner figures.
    owners: OwnerCount,
    /// The versions this snapshot inserts, for its depot's provenance sum
    /// (kept only when it is the newest, as then it only inserts and
    /// closes).
    provenance: Provenance,
    newest: bool,
    lines: u64,
    quantity: u64,
    hash_buf: Vec<u8>,
}

impl SnapshotWriter {
    pub fn open(
        conn: &Db,
        depot_id: i64,
        depot: DepotCode,
        as_of: NaiveDate,
        lots: &mut StoredLots,
    ) -> db::Result<SnapshotWriter> {
        let as_of_text = iso(as_of);
        let mut dates = Vec::new();
        conn.each(
            "SELECT as_of FROM snapshot WHERE depot_id = ?1",
            &[&depot_id],
            |r| {
                dates.push(day_of_text(&r.get::<String>(0)?)?);
                Ok(())
            },
        )?;
        let d = day(as_of);
        let latest = dates.iter().copied().max();
        let next = dates.iter().copied().filter(|&x| x > d).min();
        let next = next.map(|n| NaiveDate::from_num_days_from_ce_opt(n).expect("stored date"));
        let existing = conn.row(
            "SELECT s.id, s.digest, s.ledger_id, l.file_name FROM snapshot s
             JOIN import_ledger l ON l.id = s.ledger_id
             WHERE s.depot_id = ?1 AND s.as_of = ?2",
            &[&depot_id, &as_of_text],
            |r| {
                Ok(Existing {
                    id: r.get(0)?,
                    digest: r.get(1)?,
                    ledger_id: r.get(2)?,
                    file: r.get(3)?,
                })
            },
        )?;
        let newest = latest.is_none_or(|l| d > l);
        let counts_changes = latest.is_some_and(|l| d > l) && !recount_forced();
        let stored = match counts_changes {
            true => Some(stored_rows(conn, depot_id, lots)?),
            false => None,
        };
        let becomes_current = latest.is_none_or(|l| d >= l);
        let owners = if !becomes_current {
            OwnerCount::Not
        } else if counts_changes || latest.is_none() {
            OwnerCount::Shared
        } else {
            let mut own = OwnerRows::default();
            own.take_out_current(conn, depot_id)?;
            OwnerCount::Own(own)
        };

        let mut live = Vec::new();
        let mut zero_padded = FxHashMap::default();
        let mut spans = FxHashMap::default();
        let mut ending = FxHashMap::default();
        let mut beginning = FxHashMap::default();
        {
            // Versions live at d: the current ones when d is the newest date
            // (their dates then unread: every one began before d and is
            // open). Only a serial with a leading zero is wanted, and
            // that is one in a thousand: the others stay on the server.
            let sql = if newest {
                "SELECT content_hash, id, NULL, NULL,
                        CASE WHEN substr(serial, 1, 1) = '0' THEN serial END, source_line
                 FROM holding_version WHERE depot_id = ?1 AND valid_to IS NULL"
            } else {
                "SELECT content_hash, id, valid_from, valid_to,
                        CASE WHEN substr(serial, 1, 1) = '0' THEN serial END, source_line
                 FROM holding_version
                 WHERE depot_id = ?1 AND (valid_to IS NULL OR valid_to > ?2) AND valid_from <= ?2"
            };
            let by_depot: [&dyn db::Param; 1] = [&depot_id];
            let by_date: [&dyn db::Param; 2] = [&depot_id, &as_of_text];
            let params: &[&dyn db::Param] = if newest { &by_depot } else { &by_date };
            conn.each(sql, params, |r| {
                let version = LiveVersion {
                    key: r.get(0)?,
                    id: r.get(1)?,
                };
                // The state this snapshot follows: its serials with leading
                // zeros, to notice them come back without.
                if let db::Value::Text(serial) = r.value(4)?
                    && serial.starts_with('0')
                {
                    let bare = serial.trim_start_matches('0');
                    if !bare.is_empty() {
                        zero_padded.insert(bare.to_string(), serial.to_string());
                    }
                }
                if !newest {
                    let from = day_of_text(&r.get::<String>(2)?)?;
                    let to = match r.get::<Option<String>>(3)? {
                        Some(t) => day_of_text(&t)?,
                        None => OPEN_END,
                    };
                    spans.insert(version.id, (from, to));
                }
                live.push((r.get::<i64>(5)?, version));
                Ok(())
            })?;
        }
        let live = Live::new(live);
        if !newest {
            conn.each(
                "SELECT content_hash, id FROM holding_version WHERE depot_id = ?1 AND valid_to = ?2",
                &[&depot_id, &as_of_text],
                |r| {
                    ending.insert(r.get(0)?, r.get(1)?);
                    Ok(())
                },
            )?;
            if let Some(n) = next {
                conn.each(
                    "SELECT content_hash, id, valid_to FROM holding_version
                     WHERE depot_id = ?1 AND (valid_to IS NULL OR valid_to > ?2) AND valid_from = ?2",
                    &[&depot_id, &iso(n)],
                    |r| {
                        let to = match r.get::<Option<String>>(2)? {
                            Some(t) => day_of_text(&t)?,
                            None => OPEN_END,
                        };
                        beginning.insert(r.get::<i64>(0)?, (r.get::<i64>(1)?, to));
                        Ok(())
                    },
                )?;
            }
        }
        Ok(SnapshotWriter {
            depot_id,
            depot,
            as_of,
            as_of_text,
            next_text: next.map(iso),
            next,
            becomes_current,
            existing,
            live,
            spans,
            ending,
            beginning,
            new_keys: Keys::default(),
            zero_padded,
            repeated: Vec::new(),
            repeatable: FxHashSet::default(),
            next_occurrence: FxHashMap::default(),
            readiness: AggregateRows::default(),
            counts_changes,
            stored,
            owners,
            provenance: Provenance::default(),
            newest,
            lines: 0,
            quantity: 0,
            hash_buf: Vec::with_capacity(256),
        })
    }

    /// The serial with leading zeros that `serial` stood for in the depot's
    /// earlier snapshot, when it comes back without them.
    pub fn lost_zeros(&self, serial: &str) -> Option<&str> {
        if serial.starts_with('0') {
            return None;
        }
        self.zero_padded.get(serial).map(String::as_str)
    }

    /// Adds one holding, read from `line` of the file being imported;
    /// `owners` is the file's change to the owner figures.
    pub fn add(
        &mut self,
        conn: &Db,
        h: &Holding,
        type_id: i64,
        ledger_id: i64,
        line: u64,
        owners: &mut OwnerRows,
    ) -> db::Result<()> {
        let expires = h.expires.map(IsoDate::new);
        let last_inspected = h.last_inspected.map(IsoDate::new);
        let next_test = h.next_test.map(IsoDate::new);
        let condition = h.condition.map(|c| c.as_str());
        let content = LineContent {
            type_code: h.type_code.as_str(),
            status: h.status.as_str(),
            quantity: h.quantity,
            serial: h.serial.as_deref(),
            owner: h.owner.as_ref().map(|o| o.as_str()),
            notice_hours: h.notice_hours,
            lot: h.lot.as_deref(),
            expires: expires.as_ref().map(IsoDate::as_str),
            last_inspected: last_inspected.as_ref().map(IsoDate::as_str),
            remarks: h.remarks.as_deref(),
            condition: h.condition.map(|c| c.as_str()),
            next_test: next_test.as_ref().map(IsoDate::as_str),
        };
        let hash = content.hash(&mut self.hash_buf);
        self.lines += 1;
        self.quantity += u64::from(h.quantity);
        if !self.counts_changes {
            let counted = Counted::of(type_id, h);
            let placed = self.readiness.count(&counted, 1);
            self.count_owner(owners, &counted, placed);
        }

        // Most files repeat no line: no lookup for them.
        let start = if self.next_occurrence.is_empty() {
            0
        } else {
            self.next_occurrence.get(&hash).copied().unwrap_or(0)
        };
        let mut occurrence = start;
        let key = loop {
            let key = line_key(hash, occurrence);
            if let Some(i) = self.live.find(key) {
                if !self.live.versions[i].seen() {
                    if occurrence > 0 {
                        self.next_occurrence.insert(hash, occurrence + 1);
                    }
                    self.live.versions[i].mark_seen();
                    self.live.next = i + 1;
                    let id = self.live.versions[i].id();
                    if self.existing.is_some()
                        && self.spans.get(&id).is_some_and(|s| s.0 == day(self.as_of))
                    {
                        self.repeated.push((id, line));
                    }
                    return Ok(());
                }
            } else if h.serial.is_some() || !self.repeatable.contains(&key) {
                break key;
            }
            occurrence += 1;
        };
        if occurrence > 0 {
            self.next_occurrence.insert(hash, occurrence + 1);
        }
        if self.counts_changes {
            let counted = Counted::of(type_id, h);
            let placed = self.readiness.count(&counted, 1);
            self.count_owner(owners, &counted, placed);
        }
        self.new_keys.push(key);
        if h.serial.is_none() {
            self.repeatable.insert(key);
        }

        let ending = self.ending.remove(&key);
        let beginning = self.beginning.remove(&key);
        match (ending, beginning) {
            (Some(e), Some((b, b_to))) => {
                conn.execute("DELETE FROM holding_version WHERE id = ?1", &[&b])?;
                set_valid_to(conn, e, to_text(b_to).as_deref())?;
            }
            (Some(e), None) => set_valid_to(conn, e, self.next_text.as_deref())?,
            (None, Some((b, _))) => {
                // The version now begins with this (older) snapshot, whose
                // file is where it was first recorded.
                conn.execute(
                    "UPDATE holding_version SET valid_from = ?1, opened_by = ?2, source_line = ?3
                     WHERE id = ?4",
                    &[&self.as_of_text, &ledger_id, &line, &b],
                )?;
            }
            (None, None) => {
                if self.newest {
                    self.provenance.add(key, ledger_id, Some(line as i64));
                }
                conn.append(
                    Bulk::HoldingVersion,
                    &[
                        &self.depot_id,
                        &key,
                        &type_id,
                        &h.status,
                        &h.quantity,
                        &h.serial,
                        &h.owner,
                        &h.notice_hours,
                        &h.lot,
                        &expires,
                        &last_inspected,
                        &h.remarks,
                        &self.as_of_text,
                        &self.next_text,
                        &ledger_id,
                        &line,
                        &condition,
                        &next_test,
                    ],
                )?;
            }
        }
        Ok(())
    }

    fn count_owner(&mut self, shared: &mut OwnerRows, c: &Counted, placed: Placed) {
        match &mut self.owners {
            OwnerCount::Not => {}
            OwnerCount::Shared => shared.add(c.type_id, c, placed, 1),
            OwnerCount::Own(own) => own.add(c.type_id, c, placed, 1),
        }
    }

    /// Closes what the snapshot lacks, records the snapshot, and rebuilds the
    /// depot's readiness aggregates when it is the depot's current state;
    /// what it changes in the owner figures goes into `owners`.
    pub fn finish(
        mut self,
        conn: &Db,
        ledger_id: i64,
        replace: bool,
        owners: &mut OwnerRows,
    ) -> db::Result<(SnapshotRecord, Option<Aggregates>)> {
        let mut keys: Vec<i64> = self
            .live
            .versions
            .iter()
            .filter(|v| v.seen())
            .map(|v| v.key)
            .collect();
        std::mem::take(&mut self.new_keys).drain_into(&mut keys);
        let digest = snapshot_digest(&mut keys);
        let mut record = SnapshotRecord {
            depot: self.depot.as_str().to_string(),
            as_of: self.as_of_text.clone(),
            lines: self.lines,
            quantity: self.quantity,
            digest: digest.clone(),
            outcome: Outcome::Created,
            replaces_ledger: None,
            existing_file: None,
            provenance: self.newest.then_some(self.provenance),
        };
        if let Some(existing) = &self.existing {
            if existing.digest == digest {
                record.outcome = Outcome::Unchanged;
                record.provenance = Some(Provenance::default());
                return Ok((record, None));
            }
            if !replace {
                record.outcome = Outcome::Conflict;
                record.existing_file = Some(existing.file.clone());
                return Ok((record, None));
            }
        }

        let d = day(self.as_of);
        let n = self.next.map(day);
        let mut closing = Vec::new();
        // In key order, as the versions were once kept: the statements, and
        // the ids of any versions split off, come out as they did.
        let mut lacking: Vec<LiveVersion> = self
            .live
            .versions
            .iter()
            .filter(|v| !v.seen())
            .copied()
            .collect();
        lacking.sort_unstable_by_key(|v| v.key);
        for v in &lacking {
            let id = v.id();
            let (from, to) = self.spans.get(&id).copied().unwrap_or((i32::MIN, OPEN_END));
            let runs_past_next = n.is_some_and(|n| to > n);
            if from == d {
                if runs_past_next {
                    conn.execute(
                        "UPDATE holding_version SET valid_from = ?1 WHERE id = ?2",
                        &[&self.next_text, &id],
                    )?;
                } else {
                    conn.execute("DELETE FROM holding_version WHERE id = ?1", &[&id])?;
                }
            } else {
                closing.push(id);
                if runs_past_next {
                    conn.execute(
                        "INSERT INTO holding_version (depot_id, content_hash, type_id, status, quantity,
                            serial, owner, notice_hours, lot, expires, last_inspected, remarks,
                            valid_from, valid_to, opened_by, source_line, condition_code, next_test)
                         SELECT depot_id, content_hash, type_id, status, quantity,
                            serial, owner, notice_hours, lot, expires, last_inspected, remarks,
                            ?1, ?2, opened_by, source_line, condition_code, next_test
                         FROM holding_version WHERE id = ?3",
                        &[&self.next_text, &to_text(to), &id],
                    )?;
                }
            }
        }
        let (rows, changed) = if self.counts_changes {
            let mut delta = self.readiness;
            close_versions(
                conn,
                &mut closing,
                &self.as_of_text,
                Some((&mut delta, owners)),
            )?;
            let mut rows = self
                .stored
                .take()
                .expect("read when the snapshot opened, as it counts changes");
            let changed = rows.merge(delta);
            (rows, Some(changed))
        } else {
            close_versions(conn, &mut closing, &self.as_of_text, None)?;
            let mut rows = self.readiness;
            rows.expiring();
            (rows, None)
        };
        let [on_hand, mc, ammo_on_hand, ammo_serviceable, ammo_suspended] =
            rows.figures(self.as_of);
        match &self.existing {
            Some(existing) => {
                conn.execute(
                    "UPDATE snapshot SET ledger_id = ?1, line_count = ?2, quantity = ?3, digest = ?4, mc = ?5,
                        on_hand = ?6, ammo_on_hand = ?7, ammo_serviceable = ?8, ammo_suspended = ?9
                     WHERE id = ?10",
                    &[
                        &ledger_id,
                        &self.lines,
                        &self.quantity,
                        &digest,
                        &mc,
                        &on_hand,
                        &ammo_on_hand,
                        &ammo_serviceable,
                        &ammo_suspended,
                        &existing.id,
                    ],
                )?;
                record.outcome = Outcome::Replaced;
                record.replaces_ledger = Some(existing.ledger_id);
                for (id, line) in &self.repeated {
                    conn.execute(
                        "UPDATE holding_version SET opened_by = ?1, source_line = ?2 WHERE id = ?3",
                        &[&ledger_id, line, id],
                    )?;
                }
            }
            None => {
                conn.execute(
                    "INSERT INTO snapshot (depot_id, as_of, ledger_id, line_count, quantity, digest, mc,
                        on_hand, ammo_on_hand, ammo_serviceable, ammo_suspended)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                    &[
                        &self.depot_id,
                        &self.as_of_text,
                        &ledger_id,
                        &self.lines,
                        &self.quantity,
                        &digest,
                        &mc,
                        &on_hand,
                        &ammo_on_hand,
                        &ammo_serviceable,
                        &ammo_suspended,
                    ],
                )?;
                record.outcome = if self.becomes_current {
                    Outcome::Created
                } else {
                    Outcome::History
                };
            }
        }
        if let OwnerCount::Own(own) = std::mem::replace(&mut self.owners, OwnerCount::Not) {
            owners.absorb(own);
        }
        let aggregates = self.becomes_current.then_some(Aggregates {
            depot_id: self.depot_id,
            rows,
            changed,
        });
        Ok((record, aggregates))
    }
}

/// Where a snapshot counts what it changes in the owner figures.
enum OwnerCount {
    /// Nowhere: it does not become its depot's current state.
    Not,
    /// Into the file's shared change, line by line: the snapshot is sure
    /// to be kept (no snapshot of its depot and date exists), and it adds
    /// to its depot's current state (or is its first).
    Shared,
    /// Into its own, folded into the file's when it is kept: it replaces
    /// its depot's current state whole (the same date again, or every
    /// line recounted), whose stored lines it starts taken out.
    Own(OwnerRows),
}

/// A depot's readiness aggregates, to be put in place of its old ones.
pub struct Aggregates {
    depot_id: i64,
    rows: AggregateRows,
    /// Known when they were counted by difference; else found by
    /// comparing with the stored rows.
    changed: Option<Changed>,
}

/// A depot's stored aggregates (the current state a snapshot follows), for
/// a next week's import to add what changed to: its rows through their
/// index, and its lots with an expiry from `lots`. Read as the depot's
/// first line arrives, while the other core reads the file on.
fn stored_rows(conn: &Db, depot_id: i64, lots: &mut StoredLots) -> db::Result<AggregateRows> {
    let mut rows = AggregateRows {
        expiring: lots.take(conn, depot_id)?,
        ..AggregateRows::default()
    };
    conn.each(
        "SELECT type_id, fmc, pmc, nmcm, nmcs, ammo_fmc, ammo_pmc, ammo_nmcm, ammo_nmcs, ammo_susp
         FROM readiness_current WHERE depot_id = ?1",
        &[&depot_id],
        |r| {
            let mut q = [0i64; 9];
            for (i, v) in q.iter_mut().enumerate() {
                *v = r.get(1 + i)?;
            }
            rows.by_type.insert(r.get(0)?, q);
            Ok(())
        },
    )?;
    conn.each(
        "SELECT type_id, notice_hours, fmc, pmc, ammo_fmc, ammo_pmc, priority
         FROM readiness_notice WHERE depot_id = ?1",
        &[&depot_id],
        |r| {
            let key = notice_key(r.get(0)?, r.get(1)?, r.get::<i64>(6)? != 0);
            rows.by_notice
                .insert(key, [r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?]);
            Ok(())
        },
    )?;
    rows.by_owner = lots.take_owners(conn, depot_id)?;
    rows.attention = stored_attention(conn, depot_id)?;
    Ok(rows)
}

/// A depot's rows of `attention_day`, through its index.
fn stored_attention(conn: &Db, depot_id: i64) -> db::Result<FxHashMap<u32, [i64; 2]>> {
    let mut rows = FxHashMap::default();
    conn.each(
        "SELECT kind, day, items, quantity FROM attention_day WHERE depot_id = ?1",
        &[&depot_id],
        |r| {
            let name = r.text(0)?.unwrap_or_default();
            let kind = attention_kind(name).ok_or_else(|| {
                crate::error::DbError::Internal(format!("attention_day: kind {name:?}"))
            })?;
            rows.insert(
                attention_key(kind as u32, r.get(1)?),
                [r.get(2)?, r.get(3)?],
            );
            Ok(())
        },
    )?;
    Ok(rows)
}

/// The lots with an expiry as stored, by depot: read in one scan of the
/// (unindexed) table when the first depot that needs them opens, and
/// forgotten once the file's new aggregates are written.
#[derive(Default)]
pub struct StoredLots(Option<FxHashMap<i64, Vec<(LotKey, Lots)>>>, StoredOwners);

/// The depots' splits by owner as stored, read the same way.
#[derive(Default)]
struct StoredOwners(Option<FxHashMap<i64, OwnerRows>>);

impl StoredLots {
    fn take(&mut self, conn: &Db, depot_id: i64) -> db::Result<Vec<(LotKey, Lots)>> {
        if self.0.is_none() {
            self.0 = Some(stored_expiry(conn)?);
        }
        Ok(self
            .0
            .as_mut()
            .and_then(|lots| lots.remove(&depot_id))
            .unwrap_or_default())
    }

    /// A depot's split by owner as stored.
    fn take_owners(&mut self, conn: &Db, depot_id: i64) -> db::Result<OwnerRows> {
        let owners = &mut self.1.0;
        if owners.is_none() {
            *owners = Some(OwnerRows::of_depots(conn)?);
        }
        Ok(owners
            .as_mut()
            .and_then(|o| o.remove(&depot_id))
            .unwrap_or_default())
    }

    /// After aggregates are written: what was read is out of date.
    pub fn forget(&mut self) {
        self.0 = None;
        self.1.0 = None;
    }
}

fn to_text(day: i32) -> Option<String> {
    (day != OPEN_END).then(|| iso(NaiveDate::from_num_days_from_ce_opt(day).expect("stored date")))
}

fn set_valid_to(conn: &Db, id: i64, valid_to: Option<&str>) -> db::Result<()> {
    conn.execute(
        "UPDATE holding_version SET valid_to = ?1 WHERE id = ?2",
        &[&valid_to, &id],
    )?;
    Ok(())
}

/// Ends these versions on `valid_to`, in id order (neighbouring rows share
/// a page). `OR FAIL`: SQLite then keeps no statement journal of the pages
/// each statement changes (twice the write-ahead log's bytes, 270 MB for a
/// next week's 1M import): a failure ends the import, whose transaction is
/// rolled back whole anyway. With `taken_out` (a next week's import, counting what changed),
/// each version's quantity is taken back out of it as the same statement
/// returns the version: its page is visited once, not twice.
fn close_versions(
    conn: &Db,
    ids: &mut [i64],
    valid_to: &str,
    taken_out: Option<(&mut AggregateRows, &mut OwnerRows)>,
) -> db::Result<()> {
    ids.sort_unstable();
    let Some((delta, owners)) = taken_out else {
        return for_ids(
            "UPDATE OR FAIL holding_version SET valid_to = ?1 WHERE id IN (?ids)",
            &[&valid_to],
            ids,
            |sql, params| conn.execute(sql, params).map(drop),
        );
    };
    for_ids(
        "UPDATE OR FAIL holding_version SET valid_to = ?1 WHERE id IN (?ids)
         RETURNING type_id, status, quantity, CASE WHEN lot IS NULL THEN 0 ELSE 1 END,
             condition_code, notice_hours, expires, owner,
             CASE WHEN serial IS NULL THEN 0 ELSE 1 END, last_inspected, next_test",
        &[&valid_to],
        ids,
        |sql, params| {
            conn.each(sql, params, |r| {
                let closed = Counted {
                    type_id: r.get(0)?,
                    owner: super::owners::packed(r.get(7)?),
                    status: r.get(1)?,
                    quantity: r.get(2)?,
                    ammo: r.get::<i64>(3)? != 0,
                    condition: r.get(4)?,
                    notice: r.get(5)?,
                    expires: r.get(6)?,
                    serial: r.get::<i64>(8)? != 0,
                    last_inspected: r.get(9)?,
                    next_test: r.get(10)?,
                };
                let placed = delta.count(&closed, -1);
                owners.add(closed.type_id, &closed, placed, -1);
                Ok(())
            })
        },
    )
}

/// Runs `sql`, whose `?1`, `?2` … are `leading` and whose `IN (?ids)`
/// takes ids, for every id in `ids`, many to a statement: on a server, one
/// round trip per id would cost a next week's import more than its reading
/// and validating. Batches of 256 ids, the last one padded to 4, 16, 64 or
/// 256 by repeating its last id (a repeat changes nothing an `IN` list
/// selects): each batch is one statement, and the distinct statements
/// (each prepared once) are four. Padded, a depot's closings or changed
/// types are one statement where batches of 256, 16 and 1 took up to 30
/// (on a server, a next week's 1M import ran 7,760 statements; padded,
/// 2,300).
fn execute_for_ids(
    conn: &Db,
    sql: &str,
    leading: &[&dyn db::Param],
    ids: &[i64],
) -> db::Result<()> {
    for_ids(sql, leading, ids, |sql, params| {
        conn.execute(sql, params).map(drop)
    })
}

/// The batching of [`execute_for_ids`], each batch given to `run` with its
/// statement and parameters.
fn for_ids(
    sql: &str,
    leading: &[&dyn db::Param],
    ids: &[i64],
    mut run: impl FnMut(&str, &[&dyn db::Param]) -> db::Result<()>,
) -> db::Result<()> {
    const SIZES: [usize; 4] = [4, 16, 64, 256];
    let first = leading.len() + 1;
    let mut statements: [Option<String>; 4] = Default::default();
    for batch in ids.chunks(SIZES[3]) {
        let i = SIZES.iter().position(|&s| s >= batch.len()).unwrap_or(3);
        let size = SIZES[i];
        let sql = statements[i].get_or_insert_with(|| {
            let marks = (first..size + first)
                .map(|i| format!("?{i}"))
                .collect::<Vec<_>>()
                .join(", ");
            sql.replace("?ids", &marks)
        });
        let mut params: Vec<&dyn db::Param> = Vec::with_capacity(size + leading.len());
        params.extend_from_slice(leading);
        params.extend(batch.iter().map(|id| id as &dyn db::Param));
        let last = batch.last().expect("chunks are never empty");
        params.resize(size + leading.len(), last as &dyn db::Param);
        run(sql, &params)?;
    }
    Ok(())
}

/// Puts the depots' new aggregates in place of their stored rows, type by
/// type: only the types whose rows differ are deleted and written again
/// (a next week's export changes a few types of each depot; rewriting
/// all 405,000 rows of a 1M-holding stockpile took a third of a second).
/// Every delete goes first, then the new rows, in one bulk load per table
/// on a server (not two per depot).
pub fn write_aggregates(conn: &Db, all: &[Aggregates], lots: &mut StoredLots) -> db::Result<()> {
    let mut changed = Vec::with_capacity(all.len());
    let mut expiry_pairs = Vec::new();
    // Depots whose split by owner is written again, deleted together (on a
    // server, a statement per depot was 400 round trips a next week).
    let mut owner_depots = Vec::new();
    // The (depot, kind and day) rows of `attention_day` that change.
    let mut changed_days = Vec::new();
    // Every depot's stored lots are taken before the first is deleted.
    for a in all {
        let c = match &a.changed {
            Some(c) => c.clone(),
            None => changed_types(
                conn,
                a,
                lots.take(conn, a.depot_id)?,
                lots.take_owners(conn, a.depot_id)?,
            )?,
        };
        // A first import's depots have nothing stored to delete (on a
        // server, a statement is a round trip).
        if c.stored {
            for table in ["readiness_current", "readiness_notice"] {
                delete_types(conn, table, a.depot_id, &c.types)?;
            }
            if c.owners {
                owner_depots.push(a.depot_id);
            }
            changed_days.extend(c.attention.iter().map(|&k| {
                let (kind, on) = attention_of_key(k);
                (a.depot_id, day_key(kind, on))
            }));
            expiry_pairs.extend(c.lot_types.iter().map(|&t| (a.depot_id, t)));
        }
        changed.push(c);
    }
    delete_expiry_pairs(conn, &expiry_pairs)?;
    owner_depots.sort_unstable();
    for table in ["readiness_depot_owner", "readiness_depot_owner_notice"] {
        let sql = format!("DELETE FROM {table} WHERE depot_id IN (?ids)");
        execute_for_ids(conn, &sql, &[], &owner_depots)?;
    }
    delete_days(conn, &changed_days)?;
    lots.forget();
    for (a, c) in all.iter().zip(&changed) {
        append_aggregates(conn, a.depot_id, &a.rows, c)?;
        if c.owners {
            a.rows.by_owner.append_for_depot(conn, a.depot_id)?;
        }
        append_attention(conn, a.depot_id, &a.rows.attention, &c.attention)?;
    }
    Ok(())
}

/// The stored lots with an expiry, by depot, sorted by key: one scan of
/// the (unindexed) table for all depots.
fn stored_expiry(conn: &Db) -> db::Result<FxHashMap<i64, Vec<(LotKey, Lots)>>> {
    let mut lots: FxHashMap<i64, Vec<(LotKey, Lots)>> = FxHashMap::default();
    conn.each(
        "SELECT depot_id, type_id, notice_hours, expires, status, quantity, priority, owner, lots
         FROM readiness_expiry",
        &[],
        |r| {
            let expires: NaiveDate = r.get(3)?;
            lots.entry(r.get(0)?).or_default().push((
                (
                    expiry_key(
                        r.get(1)?,
                        r.get(2)?,
                        r.get::<i64>(6)? != 0,
                        expires,
                        r.get(4)?,
                    ),
                    super::owners::packed(r.get(7)?),
                ),
                [r.get(5)?, r.get(8)?],
            ));
            Ok(())
        },
    )?;
    for depot in lots.values_mut() {
        depot.sort_unstable_by_key(|&(k, _)| k);
    }
    Ok(lots)
}

/// A row of `attention_day` as one text, its kind and day, as
/// [`delete_days`] matches it.
fn day_key(kind: &str, on: Option<NaiveDate>) -> String {
    format!("{kind} {}", on.map(iso).unwrap_or_default())
}

/// Deletes these (depot, [`day_key`]) rows from `attention_day` in one
/// pass over it: a next week changes a few days of each depot, where
/// writing every changed depot's rows again rewrote all 56,000 of a
/// million holdings.
fn delete_days(conn: &Db, days: &[(i64, String)]) -> db::Result<()> {
    delete_paired(
        conn,
        "attention_day",
        "changed_day (depot_id BIGINT NOT NULL, day_key TEXT NOT NULL, PRIMARY KEY (depot_id, day_key))",
        "c.depot_id = attention_day.depot_id
         AND c.day_key = attention_day.kind || ' ' || coalesce(attention_day.day, '')",
        days,
    )
}

/// Deletes the lots of these (depot, type) pairs from `readiness_expiry`
/// in one pass over it: the table has no index (see schema.sql), and a
/// statement per depot would read it once per depot.
fn delete_expiry_pairs(conn: &Db, pairs: &[(i64, i64)]) -> db::Result<()> {
    delete_paired(
        conn,
        "readiness_expiry",
        "changed_pair (depot_id BIGINT NOT NULL, type_id BIGINT NOT NULL, PRIMARY KEY (depot_id, type_id))",
        "c.depot_id = readiness_expiry.depot_id AND c.type_id = readiness_expiry.type_id",
        pairs,
    )
}

/// Deletes from `table` each row that `matches` (an SQL condition on it
/// and `c`, a row of the temporary table `temp`) pairs with one of
/// `pairs`, put in `temp` by [`fill_pairs`].
fn delete_paired<A: db::Param, B: db::Param>(
    conn: &Db,
    table: &str,
    temp: &str,
    matches: &str,
    pairs: &[(A, B)],
) -> db::Result<()> {
    if pairs.is_empty() {
        return Ok(());
    }
    fill_pairs(conn, temp, pairs)?;
    let name = temp.split_whitespace().next().unwrap_or(temp);
    conn.execute(
        &format!("DELETE FROM {table} WHERE EXISTS (SELECT 1 FROM {name} c WHERE {matches})"),
        &[],
    )?;
    Ok(())
}

/// Empties the temporary table `table` (`name (columns)`, made the first
/// time) and fills it with `pairs`, 256 to a statement: what a delete of
/// many keys joins with, in one pass over the table it deletes from.
pub(super) fn fill_pairs<A: db::Param, B: db::Param>(
    conn: &Db,
    table: &str,
    pairs: &[(A, B)],
) -> db::Result<()> {
    let name = table.split_whitespace().next().unwrap_or(table);
    conn.batch(&format!(
        "CREATE TEMP TABLE IF NOT EXISTS {table}; DELETE FROM {name};"
    ))?;
    for chunk in pairs.chunks(256) {
        let marks: Vec<String> = (0..chunk.len())
            .map(|i| format!("(?{}, ?{})", 2 * i + 1, 2 * i + 2))
            .collect();
        let params: Vec<&dyn db::Param> = chunk
            .iter()
            .flat_map(|(a, b)| [a as &dyn db::Param, b as &dyn db::Param])
            .collect();
        conn.execute(
            &format!("INSERT INTO {name} VALUES {}", marks.join(", ")),
            &params,
        )?;
    }
    Ok(())
}

/// The types of a depot whose stored aggregate rows differ from `a`'s
/// (present on one side only, or with other figures), sorted, and whether
/// any row of the depot is stored.
fn changed_types(
    conn: &Db,
    a: &Aggregates,
    stored_lots: Vec<(LotKey, Lots)>,
    stored_owners: OwnerRows,
) -> db::Result<Changed> {
    let mut changed = FxHashSet::default();
    // Types whose lots with an expiry differ: most changes (a vehicle's
    // status) leave them alone.
    let mut lots_changed = FxHashSet::default();
    let mut stored_types = FxHashSet::default();
    conn.each(
        "SELECT type_id, fmc, pmc, nmcm, nmcs, ammo_fmc, ammo_pmc, ammo_nmcm, ammo_nmcs, ammo_susp
         FROM readiness_current WHERE depot_id = ?1",
        &[&a.depot_id],
        |r| {
            let type_id: i64 = r.get(0)?;
            let mut q = [0i64; 9];
            for (i, v) in q.iter_mut().enumerate() {
                *v = r.get(1 + i)?;
            }
            if a.rows.by_type.get(&type_id) != Some(&q) {
                changed.insert(type_id);
            }
            stored_types.insert(type_id);
            Ok(())
        },
    )?;
    let mut stored_notices = FxHashSet::default();
    conn.each(
        "SELECT type_id, notice_hours, fmc, pmc, ammo_fmc, ammo_pmc, priority
         FROM readiness_notice WHERE depot_id = ?1",
        &[&a.depot_id],
        |r| {
            let key = notice_key(r.get(0)?, r.get(1)?, r.get::<i64>(6)? != 0);
            let q = [r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?];
            if a.rows.by_notice.get(&key) != Some(&q) {
                changed.insert(notice_of_key(key).0);
            }
            stored_notices.insert(key);
            Ok(())
        },
    )?;
    // The stored lots with an expiry, merged against the new ones (both
    // sorted by key, the type first).
    let new_lots = &a.rows.expiring;
    let (mut i, mut j) = (0, 0);
    while i < stored_lots.len() || j < new_lots.len() {
        match (stored_lots.get(i), new_lots.get(j)) {
            (Some(s), Some(n)) if s == n => {
                i += 1;
                j += 1;
            }
            (Some(s), Some(n)) if s.0 == n.0 => {
                lots_changed.insert(expiry_of_key(s.0.0).0);
                i += 1;
                j += 1;
            }
            (Some(s), n) if n.is_none_or(|n| s.0 < n.0) => {
                lots_changed.insert(expiry_of_key(s.0.0).0);
                i += 1;
            }
            (_, Some(n)) => {
                lots_changed.insert(expiry_of_key(n.0.0).0);
                j += 1;
            }
            (_, None) => break,
        }
    }
    changed.extend(a.rows.by_type.keys().filter(|t| !stored_types.contains(*t)));
    changed.extend(
        a.rows
            .by_notice
            .keys()
            .filter(|k| !stored_notices.contains(*k))
            .map(|k| notice_of_key(*k).0),
    );
    let sorted = |set: FxHashSet<i64>| {
        let mut v: Vec<i64> = set.into_iter().collect();
        v.sort_unstable();
        v
    };
    let stored_attention = stored_attention(conn, a.depot_id)?;
    let mut attention: Vec<u32> = stored_attention
        .iter()
        .filter(|(k, q)| a.rows.attention.get(k) != Some(q))
        .map(|(k, _)| *k)
        .chain(
            a.rows
                .attention
                .keys()
                .filter(|k| !stored_attention.contains_key(k))
                .copied(),
        )
        .collect();
    attention.sort_unstable();
    Ok(Changed {
        types: sorted(changed),
        lot_types: sorted(lots_changed),
        owners: stored_owners != a.rows.by_owner,
        attention,
        stored: !stored_types.is_empty()
            || !stored_notices.is_empty()
            || !stored_lots.is_empty()
            || !stored_owners.is_empty()
            || !stored_attention.is_empty(),
    })
}

/// What a depot's new aggregates change: the types whose rows of
/// `readiness_current` or `readiness_notice` differ, those whose lots in
/// `readiness_expiry` do (each sorted), and whether anything was stored.
#[derive(Clone)]
struct Changed {
    types: Vec<i64>,
    lot_types: Vec<i64>,
    /// Whether its split by owner differs.
    owners: bool,
    /// The keys of its rows of `attention_day` that differ, sorted.
    attention: Vec<u32>,
    stored: bool,
}

/// Deletes a depot's rows of these types from an aggregate table.
fn delete_types(conn: &Db, table: &str, depot_id: i64, types: &[i64]) -> db::Result<()> {
    let sql = format!("DELETE FROM {table} WHERE depot_id = ?1 AND type_id IN (?ids)");
    execute_for_ids(conn, &sql, &[&depot_id], types)
}

/// Writes a depot's aggregate rows of the changed types, in key order.
fn append_aggregates(
    conn: &Db,
    depot_id: i64,
    readiness: &AggregateRows,
    changed: &Changed,
) -> db::Result<()> {
    let wanted = |type_id: &i64| changed.types.binary_search(type_id).is_ok();
    let mut rows: Vec<(&i64, &[i64; 9])> = readiness
        .by_type
        .iter()
        .filter(|(t, _)| wanted(t))
        .collect();
    rows.sort_unstable();
    for (type_id, q) in rows {
        conn.append(
            Bulk::ReadinessCurrent,
            &[
                &depot_id, type_id, &q[0], &q[1], &q[2], &q[3], &q[4], &q[5], &q[6], &q[7], &q[8],
            ],
        )?;
    }
    let mut notices: Vec<(&u64, &[i64; 4])> = readiness
        .by_notice
        .iter()
        .filter(|(k, _)| wanted(&notice_of_key(**k).0))
        .collect();
    notices.sort_unstable();
    for (key, q) in notices {
        let (type_id, notice, priority) = notice_of_key(*key);
        conn.append(
            Bulk::ReadinessNotice,
            &[
                &depot_id,
                &type_id,
                &notice,
                &q[0],
                &q[1],
                &q[2],
                &q[3],
                &i64::from(priority),
            ],
        )?;
    }
    for &((key, owner), [quantity, lots]) in &readiness.expiring {
        let (type_id, notice, priority, expires, status) = expiry_of_key(key);
        if changed.lot_types.binary_search(&type_id).is_ok() {
            conn.append(
                Bulk::ReadinessExpiry,
                &[
                    &depot_id,
                    &type_id,
                    &notice,
                    &iso(expires),
                    &status,
                    &quantity,
                    &i64::from(priority),
                    &crate::model::unpack_nation(owner),
                    &lots,
                ],
            )?;
        }
    }
    Ok(())
}

/// Writes a depot's rows of `attention_day` of these keys (sorted), in
/// key order.
fn append_attention(
    conn: &Db,
    depot_id: i64,
    attention: &FxHashMap<u32, [i64; 2]>,
    keys: &[u32],
) -> db::Result<()> {
    for key in keys {
        let Some([items, quantity]) = attention.get(key) else {
            continue; // none left of it
        };
        let (kind, on) = attention_of_key(*key);
        conn.append(
            Bulk::AttentionDay,
            &[&depot_id, &kind, &on.map(iso), items, quantity],
        )?;
    }
    Ok(())
}

/// Each depot's provenance sum after this import's snapshots, stored with
/// the depot and returned for the ledger entry to seal (by depot code). A
/// depot whose snapshots only added (the newest, or a new depot's) adds
/// what they inserted to its stored sum; one whose history was rewritten,
/// or whose sum was never counted (a file made before schema 6), is
/// counted afresh from its versions.
pub fn seal_provenance(
    conn: &Db,
    snapshots: &[SnapshotRecord],
    new_depots: &[String],
) -> db::Result<BTreeMap<String, String>> {
    let mut added: BTreeMap<&str, Option<Provenance>> = BTreeMap::new();
    for s in snapshots {
        let sum = added
            .entry(s.depot.as_str())
            .or_insert(Some(Provenance::default()));
        *sum = match (*sum, s.provenance) {
            (Some(mut a), Some(b)) => {
                a.merge(b);
                Some(a)
            }
            _ => None,
        };
    }
    let mut sealed = BTreeMap::new();
    for (code, added) in added {
        let (id, stored): (i64, Option<String>) = conn
            .row(
                "SELECT id, provenance FROM depot WHERE code = ?1",
                &[&code],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?
            .ok_or_else(|| {
                crate::error::DbError::Internal(format!("depot {code} not registered"))
            })?;
        let base = match stored {
            Some(text) => Provenance::from_hex(&text),
            None if new_depots.iter().any(|d| d == code) => Some(Provenance::default()),
            None => None,
        };
        let sum = match (base, added) {
            (Some(mut base), Some(added)) => {
                base.merge(added);
                base
            }
            _ => provenance_of(conn, id)?,
        };
        let text = sum.to_hex();
        conn.execute(
            "UPDATE depot SET provenance = ?1 WHERE id = ?2",
            &[&text, &id],
        )?;
        sealed.insert(code.to_string(), text);
    }
    Ok(sealed)
}

/// A depot's provenance sum counted from its versions.
fn provenance_of(conn: &Db, depot_id: i64) -> db::Result<Provenance> {
    let mut sum = Provenance::default();
    conn.each(
        "SELECT content_hash, opened_by, source_line FROM holding_version WHERE depot_id = ?1",
        &[&depot_id],
        |r| {
            sum.add(r.get(0)?, r.get(1)?, r.get(2)?);
            Ok(())
        },
    )?;
    Ok(sum)
}

/// The first ledger entry of a file with these bytes: importing it again
/// would change nothing.
pub fn ledger_entry_for(conn: &Db, sha256: &str) -> db::Result<Option<i64>> {
    conn.row(
        "SELECT id FROM import_ledger WHERE file_sha256 = ?1 ORDER BY id LIMIT 1",
        &[&sha256],
        |r| r.get(0),
    )
}

/// The encoding the depot's latest snapshot's file was read in.
pub fn last_encoding(conn: &Db, depot: &str) -> db::Result<Option<&'static encoding_rs::Encoding>> {
    let content: Option<String> = conn.row(
        "SELECT l.content FROM import_ledger l
          WHERE l.id = (SELECT max(s.ledger_id) FROM snapshot s
                          JOIN depot d ON d.id = s.depot_id WHERE d.code = ?1)",
        &[&depot],
        |r| r.get(0),
    )?;
    Ok(content
        .and_then(|c| serde_json::from_str::<serde_json::Value>(&c).ok())
        .and_then(|c| {
            c["encoding"]
                .as_str()
                .and_then(|e| encoding_rs::Encoding::for_label(e.as_bytes()))
        }))
}

/// A ledger entry is opened before any row is written (holdings reference
/// it) and sealed with its content and chain hash once the file is done.
pub fn open_ledger_entry(
    conn: &Db,
    file_name: &str,
    sha256: &str,
    imported_at: &str,
    os_user: &str,
) -> db::Result<i64> {
    conn.insert(
        "INSERT INTO import_ledger (file_name, file_sha256, imported_at, os_user, content, prev_hash, entry_hash)
         VALUES (?1, ?2, ?3, ?4, '', '', 'pending:' || ?2 || ':' || ?3)",
        &[&file_name, &sha256, &imported_at, &os_user],
    )
}

pub fn seal_ledger_entry(conn: &Db, id: i64, content: &str) -> db::Result<String> {
    let prev: String = conn
        .row(
            "SELECT entry_hash FROM import_ledger WHERE id < ?1 ORDER BY id DESC LIMIT 1",
            &[&id],
            |r| r.get(0),
        )?
        .unwrap_or_else(|| GENESIS.to_string());
    let (file_name, sha, at, user): (String, String, String, String) = conn
        .row(
            "SELECT file_name, file_sha256, imported_at, os_user FROM import_ledger WHERE id = ?1",
            &[&id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?
        .ok_or_else(|| {
            crate::error::DbError::Internal(format!("ledger entry {id} vanished during its import"))
        })?;
    let id_text = id.to_string();
    let key = crate::content::ledger_key().map_err(crate::error::DbError::LedgerKey)?;
    let hash = crate::content::seal_hash(
        &prev,
        &[&id_text, &file_name, &sha, &at, &user, content],
        key,
    );
    conn.execute(
        "UPDATE import_ledger SET content = ?1, prev_hash = ?2, entry_hash = ?3 WHERE id = ?4",
        &[&content, &prev, &hash, &id],
    )?;
    Ok(hash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::row::Holding;
    use crate::model::{Status, TypeCode};

    /// Every id goes to exactly one statement, one statement per 256 ids,
    /// each given as many parameters as its SQL has marks.
    #[test]
    fn ids_are_batched_one_statement_per_256_padded_with_repeats() {
        for n in [0usize, 1, 3, 4, 5, 16, 17, 63, 64, 65, 255, 256, 257, 600] {
            let ids: Vec<i64> = (0..n as i64).map(|i| 1000 + 7 * i).collect();
            let mut seen = Vec::new();
            let mut statements = 0;
            for_ids(
                "UPDATE t SET x = ?1 WHERE id IN (?ids)",
                &[&"2026-12-07"],
                &ids,
                |sql, params| {
                    statements += 1;
                    let marks = sql.matches('?').count();
                    assert_eq!(marks, params.len(), "{sql}");
                    assert!([5, 17, 65, 257].contains(&marks), "{marks} marks");
                    let batch: Vec<i64> = params[1..]
                        .iter()
                        .map(|p| match p.value() {
                            db::Value::Int(i) => i,
                            other => panic!("{other:?}"),
                        })
                        .collect();
                    let mut distinct = batch.clone();
                    distinct.dedup();
                    // Padding repeats the batch's last id, nothing else.
                    assert!(
                        batch[distinct.len()..]
                            .iter()
                            .all(|&i| i == distinct[distinct.len() - 1])
                    );
                    seen.extend(distinct);
                    Ok(())
                },
            )
            .unwrap();
            assert_eq!(seen, ids, "{n} ids");
            assert_eq!(statements, n.div_ceil(256), "{n} ids");
        }
    }

    fn holding(depot: &DepotCode, as_of: NaiveDate, serial: &str, status: Status) -> Holding {
        Holding {
            depot: depot.clone(),
            as_of,
            type_code: TypeCode::parse("T").unwrap(),
            nsn: None,
            category: None,
            status,
            quantity: 1,
            serial: Some(serial.into()),
            owner: None,
            notice_hours: Some(24),
            lot: None,
            expires: None,
            last_inspected: None,
            remarks: None,
            condition: None,
            next_test: None,
        }
    }

    /// Puts one snapshot of depot D and returns what became of it.
    fn put(conn: &Db, day: u32, lines: &[(&str, Status)], replace: bool) -> Outcome {
        let n: i64 = conn
            .value("SELECT count(*) FROM import_ledger", &[])
            .unwrap();
        let ledger = open_ledger_entry(conn, "t.csv", &format!("sha{n}"), "now", "me").unwrap();
        let mut registry = Registry::load(conn).unwrap();
        let depot = DepotCode::parse("D").unwrap();
        let (depot_id, _) = registry.depot_id(conn, &depot, ledger).unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 10, day).unwrap();
        let mut lots = StoredLots::default();
        let mut owners = OwnerRows::default();
        let mut w = SnapshotWriter::open(conn, depot_id, depot.clone(), date, &mut lots).unwrap();
        for (line, (serial, status)) in (2..).zip(lines) {
            let h = holding(&depot, date, serial, *status);
            let (type_id, _) = registry
                .type_id(conn, &h.type_code, None, None, ledger)
                .unwrap();
            w.add(conn, &h, type_id, ledger, line, &mut owners).unwrap();
        }
        let (record, aggregates) = w.finish(conn, ledger, replace, &mut owners).unwrap();
        write_aggregates(conn, aggregates.as_slice(), &mut lots).unwrap();
        owners.write(conn).unwrap();
        record.outcome
    }

    fn versions(conn: &Db) -> Vec<(String, String, Option<String>)> {
        conn.rows(
            "SELECT serial || ':' || status, valid_from, valid_to FROM holding_version ORDER BY 1, 2",
            &[],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
    }

    #[test]
    fn a_late_snapshot_splits_history_without_touching_the_current_state() {
        let conn = crate::db::open_scratch().unwrap();
        use Status::*;
        assert_eq!(
            put(&conn, 1, &[("A", Fmc), ("B", Fmc)], false),
            Outcome::Created
        );
        assert_eq!(
            put(&conn, 20, &[("A", Fmc), ("B", Nmcm)], false),
            Outcome::Created
        );
        // October 10 arrives last: B was already broken then.
        assert_eq!(
            put(&conn, 10, &[("A", Fmc), ("B", Nmcm)], false),
            Outcome::History
        );
        let d = |n: u32| Some(format!("2026-10-{n:02}"));
        assert_eq!(
            versions(&conn),
            vec![
                ("A:FMC".into(), "2026-10-01".into(), None),
                ("B:FMC".into(), "2026-10-01".into(), d(10)),
                ("B:NMCM".into(), "2026-10-10".into(), None),
            ]
        );
        // The same date again: unchanged, or a conflict unless replaced.
        assert_eq!(
            put(&conn, 10, &[("A", Fmc), ("B", Nmcm)], false),
            Outcome::Unchanged
        );
        assert_eq!(
            put(&conn, 10, &[("A", Pmc), ("B", Nmcm)], false),
            Outcome::Conflict
        );
    }

    #[test]
    fn replacing_a_snapshot_rejoins_the_versions_around_it() {
        let conn = crate::db::open_scratch().unwrap();
        use Status::*;
        put(&conn, 1, &[("A", Fmc)], false);
        put(&conn, 10, &[("A", Nmcs)], false);
        put(&conn, 20, &[("A", Fmc)], false);
        assert_eq!(versions(&conn).len(), 3);
        // October 10 was wrong: A was FMC all along, one version again.
        assert_eq!(put(&conn, 10, &[("A", Fmc)], true), Outcome::Replaced);
        assert_eq!(
            versions(&conn),
            vec![("A:FMC".into(), "2026-10-01".into(), None)]
        );
    }
}
