//! What changed between two snapshots of each depot (SPEC §8): the summary
//! a morning meeting reads, and the items behind it.
//!
//! Only the versions that begin or end between the two dates are read (the
//! two indexes on the version boundaries find them), so the cost follows
//! what changed, not the size of the stockpile. The on-hand and MC totals of
//! each side come from the snapshot rows, where the import recorded them.

use std::collections::{BTreeMap, HashMap};

use crate::db::{self, Db};
use chrono::NaiveDate;

use crate::model::{State, Status, iso, stored_date_opt};

/// One snapshot of a depot, with the totals its import recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub depot_id: i64,
    pub depot: String,
    pub as_of: NaiveDate,
    pub quantity: i64,
    pub mc: i64,
}

/// Every snapshot, by depot code then date.
pub fn snapshots(conn: &Db) -> db::Result<Vec<Snapshot>> {
    conn.rows(
        "SELECT s.depot_id, d.code, s.as_of, s.quantity, coalesce(s.mc, 0)
         FROM snapshot s JOIN depot d ON d.id = s.depot_id ORDER BY d.code, s.as_of",
        &[],
        |r| {
            Ok(Snapshot {
                depot_id: r.get(0)?,
                depot: r.get(1)?,
                as_of: r.get(2)?,
                quantity: r.get(3)?,
                mc: r.get(4)?,
            })
        },
    )
}

/// The kinds of change, in the order a maintenance meeting reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change {
    BecameNmc,
    ReturnedToMc,
    MovedOut,
    MovedIn,
    Arrived,
    Departed,
    Quantity,
    Status,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::BecameNmc => "became_nmc",
            Change::ReturnedToMc => "returned_to_mc",
            Change::MovedOut => "moved_out",
            Change::MovedIn => "moved_in",
            Change::Arrived => "arrived",
            Change::Departed => "departed",
            Change::Quantity => "quantity",
            Change::Status => "status",
        }
    }
}

/// What an item was or became: a status, a depot, or a quantity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Side {
    Text(String),
    Quantity(i64),
}

/// One changed serial or lot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub depot: String,
    pub type_code: String,
    pub category: Option<String>,
    pub owner: Option<String>,
    pub serial: Option<String>,
    pub lot: Option<String>,
    pub change: Change,
    pub from: Option<Side>,
    pub to: Option<Side>,
    /// Items for the summary's counts: 1 for a serial, the quantity for a lot.
    pub count: i64,
    pub note: Option<String>,
}

/// One depot's comparison; `from` is None when it has nothing to compare.
#[derive(Debug, Clone, PartialEq)]
pub struct DepotChange {
    pub depot: String,
    pub from: Option<Snapshot>,
    pub to: Snapshot,
    pub counts: BTreeMap<Change, i64>,
}

impl DepotChange {
    pub fn count(&self, change: Change) -> i64 {
        self.counts.get(&change).copied().unwrap_or(0)
    }
}

/// Which snapshots to compare: each depot's latest on or before `as_of`
/// (its latest of all when None) with its latest on or before `since`
/// (the one before, when None).
#[derive(Debug, Clone, Copy, Default)]
pub struct Window {
    pub since: Option<NaiveDate>,
    pub as_of: Option<NaiveDate>,
}

pub struct Comparison {
    pub depots: Vec<DepotChange>,
    pub items: Vec<Item>,
}

/// The pair of snapshots each depot is compared on.
pub fn pairs(snapshots: &[Snapshot], window: Window) -> Vec<(Option<Snapshot>, Snapshot)> {
    let mut by_depot: BTreeMap<&str, Vec<&Snapshot>> = BTreeMap::new();
    for s in snapshots {
        by_depot.entry(&s.depot).or_default().push(s);
    }
    let mut pairs = Vec::new();
    for list in by_depot.values() {
        let on_or_before =
            |d: Option<NaiveDate>| list.iter().rposition(|s| d.is_none_or(|d| s.as_of <= d));
        let Some(t) = on_or_before(window.as_of) else {
            continue; // had not reported by then
        };
        let f = match window.since {
            Some(_) => on_or_before(window.since).filter(|&f| f < t),
            None => t.checked_sub(1),
        };
        pairs.push((f.map(|f| list[f].clone()), list[t].clone()));
    }
    pairs
}

/// A stored line as the comparison reads it.
#[derive(Debug, Clone)]
struct Line {
    key: i64,
    type_code: String,
    category: Option<String>,
    status: Status,
    quantity: i64,
    serial: Option<String>,
    owner: Option<String>,
    lot: Option<String>,
    expires: Option<NaiveDate>,
}

impl Line {
    fn mc_on(&self, date: NaiveDate) -> i64 {
        mc(self.status, self.expires, date, self.quantity)
    }
}

/// The quantity when the line is mission capable on `date` (an expired lot
/// is not), else 0.
fn mc(status: Status, expires: Option<NaiveDate>, date: NaiveDate, quantity: i64) -> i64 {
    if State::of(status, expires, date).is_mc() {
        quantity
    } else {
        0
    }
}

const LINE_COLUMNS: &str = "h.content_hash, t.code, t.category, h.status, h.quantity, h.serial,
    h.owner, h.lot, h.expires";

fn line(r: &db::Row) -> db::Result<Line> {
    Ok(Line {
        key: r.get(0)?,
        type_code: r.get(1)?,
        category: r.get(2)?,
        status: r.get(3)?,
        quantity: r.get(4)?,
        serial: r.get(5)?,
        owner: r.get(6)?,
        lot: r.get(7)?,
        expires: stored_date_opt(r.get(8)?)?,
    })
}

/// Lines live on `from` but not on `to`, and lines live on `to` but not on
/// `from`, with lines that left and came back identical cancelled out.
fn changed_lines(
    conn: &Db,
    depot_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> db::Result<(Vec<Line>, Vec<Line>)> {
    let (f, t) = (iso(from), iso(to));
    let mut gone: Vec<Line> = conn.rows(
        &format!(
            "SELECT {LINE_COLUMNS} FROM holding_version h JOIN equipment_type t ON t.id = h.type_id
             WHERE h.depot_id = ?1 AND h.valid_to > ?2 AND h.valid_to <= ?3 AND h.valid_from <= ?2
             ORDER BY h.id"
        ),
        &[&depot_id, &f, &t],
        line,
    )?;
    let mut new: Vec<Line> = conn.rows(
        &format!(
            "SELECT {LINE_COLUMNS} FROM holding_version h JOIN equipment_type t ON t.id = h.type_id
             WHERE h.depot_id = ?1 AND h.valid_from > ?2 AND h.valid_from <= ?3
               AND (h.valid_to IS NULL OR h.valid_to > ?3)
             ORDER BY h.id"
        ),
        &[&depot_id, &f, &t],
        line,
    )?;
    let mut gone_keys: HashMap<i64, usize> = HashMap::new();
    for l in &gone {
        *gone_keys.entry(l.key).or_insert(0) += 1;
    }
    let mut back: HashMap<i64, usize> = HashMap::new();
    new.retain(|l| match gone_keys.get_mut(&l.key) {
        Some(n) if *n > 0 => {
            *n -= 1;
            *back.entry(l.key).or_insert(0) += 1;
            false
        }
        _ => true,
    });
    gone.retain(|l| match back.get_mut(&l.key) {
        Some(n) if *n > 0 => {
            *n -= 1;
            false
        }
        _ => true,
    });
    Ok((gone, new))
}

/// A lot by type and lot number (None: a type's unserialized lines
/// without a lot).
type LotKey = (String, Option<String>);

/// A lot's changed lines on one side of the window.
#[derive(Default)]
struct LotSide {
    quantity: i64,
    mc: i64,
    statuses: Vec<Status>,
}

impl LotSide {
    fn add(&mut self, l: &Line, date: NaiveDate) {
        self.quantity += l.quantity;
        self.mc += l.mc_on(date);
        if !self.statuses.contains(&l.status) {
            self.statuses.push(l.status);
        }
    }

    fn statuses(&self) -> Option<Side> {
        let names: Vec<&str> = self.statuses.iter().map(|s| s.as_str()).collect();
        Some(Side::Text(names.join("+")))
    }
}

/// A depot's changed lots, waiting for the part of each that did not change.
struct PendingLots {
    depot_id: i64,
    depot: String,
    from: NaiveDate,
    to: NaiveDate,
    /// Per lot: the changed lines on each side, a sample line, and the
    /// unchanged part (quantity, MC on `from`, MC on `to`).
    lots: BTreeMap<LotKey, (LotSide, LotSide, Line, Unchanged)>,
}

/// A lot's lines held unchanged across a window: (quantity, MC on `from`,
/// MC on `to`).
type Unchanged = (i64, i64, i64);

/// Adds to each changed lot the unserialized lines held unchanged across its
/// depot's window, so that `from` and `to` are whole lots. One sequential
/// pass for every depot: reading each depot's lines through its index visits
/// most pages once per depot when depots arrived interleaved.
fn unchanged_lots(conn: &Db, pending: &mut [PendingLots]) -> db::Result<()> {
    let types: HashMap<i64, String> = conn
        .rows("SELECT id, code FROM equipment_type", &[], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .into_iter()
        .collect();
    let by_depot: HashMap<i64, usize> = pending
        .iter()
        .enumerate()
        .map(|(i, p)| (p.depot_id, i))
        .collect();
    conn.each(
        "SELECT depot_id, type_id, lot, status, quantity, expires, valid_from, valid_to
         FROM holding_version NOT INDEXED WHERE serial IS NULL",
        &[],
        |r| unchanged_line(r, &by_depot, &types, pending),
    )
}

fn unchanged_line(
    r: &db::Row,
    by_depot: &HashMap<i64, usize>,
    types: &HashMap<i64, String>,
    pending: &mut [PendingLots],
) -> db::Result<()> {
    {
        let Some(&i) = by_depot.get(&r.get::<i64>(0)?) else {
            return Ok(());
        };
        let p = &mut pending[i];
        let (from, to) = (iso(p.from), iso(p.to));
        let valid_from: String = r.get(6)?;
        let valid_to: Option<String> = r.get(7)?;
        if valid_from > from || valid_to.as_deref().is_some_and(|v| v <= to.as_str()) {
            return Ok(());
        }
        let Some(type_code) = types.get(&r.get::<i64>(1)?) else {
            return Ok(());
        };
        let key = (type_code.clone(), r.get::<Option<String>>(2)?);
        let Some(entry) = p.lots.get_mut(&key) else {
            return Ok(());
        };
        let (status, quantity): (Status, i64) = (r.get(3)?, r.get(4)?);
        let expires = stored_date_opt(r.get(5)?)?;
        entry.3.0 += quantity;
        entry.3.1 += mc(status, expires, p.from, quantity);
        entry.3.2 += mc(status, expires, p.to, quantity);
    }
    Ok(())
}

/// What became of one lot, from its changed lines and its unchanged part.
fn lot_item(
    depot: &str,
    sample: &Line,
    was: &LotSide,
    now: &LotSide,
    (uq, umc0, umc1): Unchanged,
) -> Option<Item> {
    let (from_q, to_q) = (was.quantity + uq, now.quantity + uq);
    let (from_mc, to_mc) = (was.mc + umc0, now.mc + umc1);
    let q = |n| Some(Side::Quantity(n));
    let (change, from, to, count) = if from_q == 0 {
        (Change::Arrived, None, q(to_q), to_q)
    } else if to_q == 0 {
        (Change::Departed, q(from_q), None, from_q)
    } else if from_q != to_q {
        (Change::Quantity, q(from_q), q(to_q), to_q - from_q)
    } else if to_mc < from_mc {
        (
            Change::BecameNmc,
            was.statuses(),
            now.statuses(),
            from_mc - to_mc,
        )
    } else if to_mc > from_mc {
        (
            Change::ReturnedToMc,
            was.statuses(),
            now.statuses(),
            to_mc - from_mc,
        )
    } else if was.statuses != now.statuses {
        (Change::Status, was.statuses(), now.statuses(), 0)
    } else {
        return None;
    };
    Some(Item {
        depot: depot.to_string(),
        type_code: sample.type_code.clone(),
        category: sample.category.clone(),
        owner: sample.owner.clone(),
        serial: None,
        lot: sample.lot.clone(),
        change,
        from,
        to,
        count,
        note: None,
    })
}

/// Compares every depot; moves are matched across depots by type and serial.
pub fn compare(conn: &Db, window: Window) -> db::Result<Comparison> {
    let all = snapshots(conn)?;
    let mut depots = Vec::new();
    let mut items = Vec::new();
    // (type, serial) → (item index) of serials that left or appeared.
    let mut departures: Vec<usize> = Vec::new();
    let mut arrivals: HashMap<(String, String), usize> = HashMap::new();
    let mut pending: Vec<PendingLots> = Vec::new();

    for (from, to) in pairs(&all, window) {
        let Some(from_snap) = from.clone() else {
            depots.push(DepotChange {
                depot: to.depot.clone(),
                from: None,
                to,
                counts: BTreeMap::new(),
            });
            continue;
        };
        let (gone, new) = changed_lines(conn, to.depot_id, from_snap.as_of, to.as_of)?;
        let item = |l: &Line, change, from: Option<Side>, to_side: Option<Side>, count| Item {
            depot: to.depot.clone(),
            type_code: l.type_code.clone(),
            category: l.category.clone(),
            owner: l.owner.clone(),
            serial: l.serial.clone(),
            lot: l.lot.clone(),
            change,
            from,
            to: to_side,
            count,
            note: None,
        };

        // Serialized items: matched by type and serial within the depot.
        let mut was: HashMap<(&str, &str), &Line> = HashMap::new();
        for l in gone.iter().filter(|l| l.serial.is_some()) {
            was.insert((&l.type_code, l.serial.as_deref().unwrap_or_default()), l);
        }
        for l in new.iter().filter(|l| l.serial.is_some()) {
            let serial = l.serial.as_deref().unwrap_or_default();
            let status = |l: &Line| Some(Side::Text(l.status.as_str().into()));
            match was.remove(&(l.type_code.as_str(), serial)) {
                Some(old) => {
                    let (before, after) = (old.mc_on(from_snap.as_of) > 0, l.mc_on(to.as_of) > 0);
                    let change = match (before, after) {
                        (true, false) => Change::BecameNmc,
                        (false, true) => Change::ReturnedToMc,
                        _ if old.status != l.status => Change::Status,
                        _ => continue, // another detail changed, not its condition
                    };
                    items.push(item(l, change, status(old), status(l), 1));
                }
                None => {
                    arrivals.insert((l.type_code.clone(), serial.to_string()), items.len());
                    items.push(item(l, Change::Arrived, None, status(l), 1));
                }
            }
        }
        let mut left: Vec<&Line> = was.into_values().collect();
        left.sort_by(|a, b| (&a.type_code, &a.serial).cmp(&(&b.type_code, &b.serial)));
        for l in left {
            departures.push(items.len());
            let status = Some(Side::Text(l.status.as_str().into()));
            items.push(item(l, Change::Departed, status, None, 1));
        }

        // Lots (and unserialized lines without a lot): whole quantities.
        let mut lots: BTreeMap<LotKey, (LotSide, LotSide, &Line)> = BTreeMap::new();
        for l in gone.iter().filter(|l| l.serial.is_none()) {
            let e = lots
                .entry((l.type_code.clone(), l.lot.clone()))
                .or_insert_with(|| (LotSide::default(), LotSide::default(), l));
            e.0.add(l, from_snap.as_of);
        }
        for l in new.iter().filter(|l| l.serial.is_none()) {
            let e = lots
                .entry((l.type_code.clone(), l.lot.clone()))
                .or_insert_with(|| (LotSide::default(), LotSide::default(), l));
            e.1.add(l, to.as_of);
        }
        if !lots.is_empty() {
            pending.push(PendingLots {
                depot_id: to.depot_id,
                depot: to.depot.clone(),
                from: from_snap.as_of,
                to: to.as_of,
                lots: lots
                    .into_iter()
                    .map(|(k, (was, now, sample))| (k, (was, now, sample.clone(), (0, 0, 0))))
                    .collect(),
            });
        }
        depots.push(DepotChange {
            depot: to.depot.clone(),
            from: Some(from_snap),
            to,
            counts: BTreeMap::new(),
        });
    }

    if !pending.is_empty() {
        unchanged_lots(conn, &mut pending)?;
    }
    for p in pending {
        for (_, (was, now, sample, (uq, umc0, umc1))) in p.lots {
            if let Some(item) = lot_item(&p.depot, &sample, &was, &now, (uq, umc0, umc1)) {
                items.push(item);
            }
        }
    }

    // A serial that left one depot and appeared at another is a move.
    for d in departures {
        let key = (
            items[d].type_code.clone(),
            items[d].serial.clone().unwrap_or_default(),
        );
        match arrivals.remove(&key) {
            Some(a) => {
                let (from_depot, to_depot) = (items[d].depot.clone(), items[a].depot.clone());
                items[d].change = Change::MovedOut;
                items[d].from = Some(Side::Text(from_depot.clone()));
                items[d].to = Some(Side::Text(to_depot.clone()));
                items[a].change = Change::MovedIn;
                items[a].from = Some(Side::Text(from_depot));
                items[a].to = Some(Side::Text(to_depot));
            }
            None => {
                items[d].note =
                    Some("reported by no depot since: possibly lost or miscounted".to_string());
            }
        }
    }

    for d in &mut depots {
        for i in items.iter().filter(|i| i.depot == d.depot) {
            let n = if i.change == Change::Quantity {
                continue;
            } else {
                i.count
            };
            *d.counts.entry(i.change).or_insert(0) += n;
        }
    }
    items.sort_by(|a, b| {
        (a.change, &a.depot, &a.type_code, &a.serial, &a.lot).cmp(&(
            b.change,
            &b.depot,
            &b.type_code,
            &b.serial,
            &b.lot,
        ))
    });
    Ok(Comparison { depots, items })
}
