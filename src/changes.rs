//! What changed between two snapshots of each depot (SPEC §8): the summary
//! a morning meeting reads, and the items behind it.
//!
//! Only the versions that begin or end between the two dates are read (the
//! two indexes on the version boundaries find them), so the cost follows
//! what changed, not the size of the stockpile. The on-hand and MC totals of
//! each side come from the snapshot rows, where the import recorded them.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::db::{self, Db};
use chrono::NaiveDate;

use crate::model::{ConditionCode, State, Status, iso, stored_date_opt};
use crate::policy::Rules;
use crate::suspension::Targets;

/// One snapshot of a depot, with the figures its import recorded:
/// equipment items and rounds apart, rounds judged on the snapshot's date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub depot_id: i64,
    pub depot: String,
    pub as_of: NaiveDate,
    pub on_hand: i64,
    pub mc: i64,
    pub ammo_on_hand: i64,
    pub ammo_serviceable: i64,
    /// Rounds suspended: by the depot's condition codes as imported, and
    /// by the force-wide suspensions in force on the date the comparison
    /// judges this side on (`apply_suspensions`).
    pub ammo_suspended: i64,
}

/// Every snapshot, by depot code then date.
pub fn snapshots(conn: &Db) -> db::Result<Vec<Snapshot>> {
    conn.rows(
        "SELECT s.depot_id, d.code, s.as_of, s.on_hand, coalesce(s.mc, 0), s.ammo_on_hand,
                s.ammo_serviceable, s.ammo_suspended
         FROM snapshot s JOIN depot d ON d.id = s.depot_id ORDER BY d.code, s.as_of",
        &[],
        |r| {
            Ok(Snapshot {
                depot_id: r.get(0)?,
                depot: r.get(1)?,
                as_of: r.get(2)?,
                on_hand: r.get(3)?,
                mc: r.get(4)?,
                ammo_on_hand: r.get(5)?,
                ammo_serviceable: r.get(6)?,
                ammo_suspended: r.get(7)?,
            })
        },
    )
}

/// The kinds of change, in the order a maintenance meeting reads them:
/// what was lost (down, expired), what came back, what will move later
/// (a longer notice breaks a package as surely as a breakdown), then moves,
/// arrivals, departures and quantities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change {
    BecameNmc,
    Expired,
    Suspended,
    ReturnedToMc,
    Notice,
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
            Change::Expired => "expired",
            Change::Suspended => "suspended",
            Change::ReturnedToMc => "returned_to_mc",
            Change::Notice => "notice",
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
    /// What it counts for: 1 for a serial, the quantity of an unserialized
    /// line, the rounds of a lot.
    pub count: i64,
    /// A lot (rounds), never counted with equipment items.
    pub ammo: bool,
    /// For a notice change: whether the new notice is longer (none at all
    /// is the longest).
    pub longer: bool,
    pub note: Option<String>,
}

/// One depot's comparison; `from` is None when it has nothing to compare.
#[derive(Debug, Clone, PartialEq)]
pub struct DepotChange {
    pub depot: String,
    pub from: Option<Snapshot>,
    pub to: Snapshot,
    /// Equipment items by kind of change (rounds are in the snapshots'
    /// ammunition figures, never in these counts).
    pub counts: BTreeMap<Change, i64>,
    /// Equipment items whose notice to move grew longer.
    pub notice_longer: i64,
}

impl DepotChange {
    pub fn count(&self, change: Change) -> i64 {
        self.counts.get(&change).copied().unwrap_or(0)
    }
}

/// Notice hours as a change shows them.
fn hours(notice: Option<u32>) -> Option<Side> {
    Some(match notice {
        Some(h) => Side::Quantity(i64::from(h)),
        None => Side::Text("none".into()),
    })
}

/// Whether `to` is a longer notice than `from`; no notice is the longest
/// (the item cannot be moved at all).
fn is_longer(from: Option<u32>, to: Option<u32>) -> bool {
    match (from, to) {
        (Some(f), Some(t)) => t > f,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// Which snapshots to compare: each depot's latest on or before `as_of`
/// (its latest of all when None) with its latest on or before `since`
/// (the one before, when None).
#[derive(Debug, Clone, Copy, Default)]
pub struct Window {
    pub since: Option<NaiveDate>,
    pub as_of: Option<NaiveDate>,
    /// The date force-wide suspensions are judged on for the later side:
    /// the date the comparison is about (today for the current state — a
    /// notice received today applies to last week's snapshot now). None:
    /// the later snapshot's own date. The earlier side is judged on its
    /// own date.
    pub judged: Option<NaiveDate>,
    /// The readiness policy: whether PMC equipment is mission capable
    /// (SPEC §13), so that "went down" means what the report says.
    pub rules: Rules,
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
    type_id: i64,
    type_code: String,
    category: Option<String>,
    status: Status,
    quantity: i64,
    serial: Option<String>,
    owner: Option<String>,
    lot: Option<String>,
    expires: Option<NaiveDate>,
    notice: Option<u32>,
    condition: Option<ConditionCode>,
}

impl Line {
    /// Suspended by its code, or by a force-wide suspension among
    /// `suspensions` (those in force on the date judged).
    fn suspended(&self, suspensions: &Targets) -> bool {
        suspended(
            self.condition,
            self.type_id,
            self.lot.as_deref(),
            suspensions,
        )
    }

    fn mc_on(&self, date: NaiveDate, suspensions: &Targets, rules: Rules) -> i64 {
        mc(
            self.status,
            self.lot.is_some(),
            self.expires,
            date,
            self.quantity,
            self.suspended(suspensions),
            rules,
        )
    }
}

fn suspended(
    condition: Option<ConditionCode>,
    type_id: i64,
    lot: Option<&str>,
    suspensions: &Targets,
) -> bool {
    condition.is_some_and(ConditionCode::is_suspended)
        || lot.is_some_and(|lot| suspensions.of(type_id, lot).next().is_some())
}

/// The quantity when the line is mission capable on `date` (an expired or
/// suspended lot is not; PMC equipment is not under a policy that says
/// so), else 0.
fn mc(
    status: Status,
    lot: bool,
    expires: Option<NaiveDate>,
    date: NaiveDate,
    quantity: i64,
    suspended: bool,
    rules: Rules,
) -> i64 {
    if !suspended && rules.counts(State::of(status, lot, expires, date), lot) {
        quantity
    } else {
        0
    }
}

fn condition(code: Option<String>) -> Option<ConditionCode> {
    code.and_then(|c| ConditionCode::parse(&c).ok())
}

const LINE_COLUMNS: &str = "h.content_hash, t.code, t.category, h.status, h.quantity, h.serial,
    h.owner, h.lot, h.expires, h.notice_hours, h.type_id, h.condition_code";

fn line(r: &db::Row) -> db::Result<Line> {
    Ok(Line {
        key: r.get(0)?,
        type_id: r.get(10)?,
        condition: condition(r.get(11)?),
        type_code: r.get(1)?,
        category: r.get(2)?,
        status: r.get(3)?,
        quantity: r.get(4)?,
        serial: r.get(5)?,
        owner: r.get(6)?,
        lot: r.get(7)?,
        expires: stored_date_opt(r.get(8)?)?,
        notice: r.get(9)?,
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
    /// Mission capable on the side's date, and by status alone (the
    /// difference is what expired).
    mc: i64,
    reported_mc: i64,
    /// Suspended (by code or a force-wide suspension).
    suspended: i64,
    /// The suspended condition code among its lines, if any.
    code: Option<ConditionCode>,
    statuses: Vec<Status>,
    notices: Vec<Option<u32>>,
}

impl LotSide {
    fn add(&mut self, l: &Line, date: NaiveDate, suspensions: &Targets, rules: Rules) {
        self.quantity += l.quantity;
        self.mc += l.mc_on(date, suspensions, rules);
        if l.suspended(suspensions) {
            self.suspended += l.quantity;
        }
        if let Some(c) = l.condition.filter(|c| c.is_suspended()) {
            self.code = Some(c);
        }
        if rules.counts(State::Reported(l.status), l.lot.is_some()) {
            self.reported_mc += l.quantity;
        }
        if !self.statuses.contains(&l.status) {
            self.statuses.push(l.status);
        }
        if !self.notices.contains(&l.notice) {
            self.notices.push(l.notice);
            self.notices.sort();
        }
    }

    fn statuses(&self) -> Option<Side> {
        let names: Vec<&str> = self.statuses.iter().map(|s| s.as_str()).collect();
        Some(Side::Text(names.join("+")))
    }

    fn notices(&self) -> Option<Side> {
        match self.notices[..] {
            [one] => hours(one),
            _ => Some(Side::Text(
                self.notices
                    .iter()
                    .map(|n| n.map_or("none".into(), |h| h.to_string()))
                    .collect::<Vec<_>>()
                    .join("+"),
            )),
        }
    }

    /// The longest notice among its lines (none the longest of all).
    /// `sample` as this side has it: its suspended code, if any.
    fn line(&self, sample: &Line) -> Line {
        Line {
            condition: self.code,
            ..sample.clone()
        }
    }

    fn longest_notice(&self) -> Option<u32> {
        if self.notices.contains(&None) {
            None
        } else {
            self.notices.iter().flatten().max().copied()
        }
    }
}

/// A depot's changed lots, waiting for the part of each that did not change.
struct PendingLots {
    depot_id: i64,
    depot: String,
    from: NaiveDate,
    to: NaiveDate,
    /// Per lot: the changed lines on each side, a sample line, and the
    /// unchanged part.
    lots: BTreeMap<LotKey, (LotSide, LotSide, Line, Unchanged)>,
    /// Lots held unchanged across the window that expired, were suspended
    /// or saw their suspension lifted within it, with a sample line and
    /// the rounds concerned.
    unchanged: BTreeMap<(Change, LotKey), (Line, i64)>,
    /// The force-wide suspensions in force on each side's date.
    suspensions: (Targets, Targets),
    rules: Rules,
    /// `from` and `to` as stored.
    window: (String, String),
    /// The types of the changed lots, and those either side's suspensions
    /// name.
    lot_types: HashSet<String>,
    suspended_types: HashSet<i64>,
}

/// A lot's lines held unchanged across a window: quantity, MC on `from`,
/// MC on `to`, MC by status alone, suspended on `from` and on `to`.
#[derive(Debug, Clone, Copy, Default)]
struct Unchanged {
    quantity: i64,
    mc_from: i64,
    mc_to: i64,
    reported_mc: i64,
    suspended_from: i64,
    suspended_to: i64,
}

/// Adds to each changed lot the unserialized lines held unchanged across its
/// depot's window, so that `from` and `to` are whole lots, and finds the
/// lots that did not change but expired within it. One sequential pass for
/// every depot: reading each depot's lines through its index visits most
/// pages once per depot when depots arrived interleaved; `by_index`, when
/// a question names a few depots, reads theirs through their index.
fn unchanged_lots(conn: &Db, pending: &mut [PendingLots], by_index: bool) -> db::Result<()> {
    let types: HashMap<i64, (String, Option<String>)> = conn
        .rows("SELECT id, code, category FROM equipment_type", &[], |r| {
            Ok((r.get(0)?, (r.get(1)?, r.get(2)?)))
        })?
        .into_iter()
        .collect();
    let by_depot: HashMap<i64, usize> = pending
        .iter()
        .enumerate()
        .map(|(i, p)| (p.depot_id, i))
        .collect();
    let (scan, depots) = if by_index {
        let ids: Vec<i64> = by_depot.keys().copied().collect();
        ("", crate::state::ids_in("depot_id", &ids))
    } else {
        ("NOT INDEXED", String::new())
    };
    conn.each(
        &format!(
            "SELECT depot_id, type_id, lot, status, quantity, expires, valid_from, valid_to,
                    owner, notice_hours, content_hash, condition_code
             FROM holding_version {scan} WHERE serial IS NULL{depots}"
        ),
        &[],
        |r| unchanged_line(r, &by_depot, &types, pending),
    )
}

fn unchanged_line(
    r: &db::Row,
    by_depot: &HashMap<i64, usize>,
    types: &HashMap<i64, (String, Option<String>)>,
    pending: &mut [PendingLots],
) -> db::Result<()> {
    let Some(&i) = by_depot.get(&r.get::<i64>(0)?) else {
        return Ok(());
    };
    let p = &mut pending[i];
    // Most of a million lines matter to no lot: they are told apart by
    // their text in place, before anything is copied.
    let (from, to) = (p.window.0.as_str(), p.window.1.as_str());
    if r.text(6)?.is_none_or(|v| v > from) || r.text(7)?.is_some_and(|v| v <= to) {
        return Ok(());
    }
    let type_id: i64 = r.get(1)?;
    let Some((type_code, category)) = types.get(&type_id) else {
        return Ok(());
    };
    // Unchanged and of no changed lot's type, it changes nothing unless it
    // expired within the window (on `from` not yet, on `to` so) or a
    // force-wide suspension names its type.
    let expires_within = r.text(5)?.is_some_and(|e| from <= e && e < to);
    if !p.lot_types.contains(type_code) && !expires_within && !p.suspended_types.contains(&type_id)
    {
        return Ok(());
    }
    let key = (type_code.clone(), r.get::<Option<String>>(2)?);
    let (status, quantity): (Status, i64) = (r.get(3)?, r.get(4)?);
    let lot = key.1.is_some();
    let expires = stored_date_opt(r.get(5)?)?;
    let code = condition(r.get(11)?);
    let (susp_from, susp_to) = (
        suspended(code, type_id, key.1.as_deref(), &p.suspensions.0),
        suspended(code, type_id, key.1.as_deref(), &p.suspensions.1),
    );
    let (mc_from, mc_to) = (
        mc(status, lot, expires, p.from, quantity, susp_from, p.rules),
        mc(status, lot, expires, p.to, quantity, susp_to, p.rules),
    );
    let rounds = |suspended: bool| if suspended { quantity } else { 0 };
    match p.lots.get_mut(&key) {
        Some(entry) => {
            let u = &mut entry.3;
            u.quantity += quantity;
            u.mc_from += mc_from;
            u.mc_to += mc_to;
            if p.rules.counts(State::Reported(status), lot) {
                u.reported_mc += quantity;
            }
            u.suspended_from += rounds(susp_from);
            u.suspended_to += rounds(susp_to);
        }
        None => {
            // Unchanged, yet its standing changed: suspended (or lifted)
            // from above, or expired in between.
            let change = match (susp_from, susp_to) {
                (false, true) => Some((Change::Suspended, quantity)),
                (true, false) if mc_to > 0 => Some((Change::ReturnedToMc, mc_to)),
                _ if mc_from > mc_to => Some((Change::Expired, mc_from - mc_to)),
                _ => None,
            };
            if let Some((change, count)) = change {
                let sample = Line {
                    key: r.get(10)?,
                    type_id,
                    type_code: type_code.clone(),
                    category: category.clone(),
                    status,
                    quantity,
                    serial: None,
                    owner: r.get(8)?,
                    lot: key.1.clone(),
                    expires,
                    notice: r.get(9)?,
                    condition: code,
                };
                p.unchanged.entry((change, key)).or_insert((sample, 0)).1 += count;
            }
        }
    }
    Ok(())
}

fn rounds_text(n: i64) -> String {
    if n == 1 {
        "1 round".into()
    } else {
        format!("{} rounds", crate::output::group_thousands(n))
    }
}

/// Why a lot counts as suspended on the side judged with `suspensions`:
/// its code, or the notices naming it.
fn suspension_note(
    line: &Line,
    suspensions: &Targets,
    list: &[crate::suspension::Suspension],
) -> String {
    let by = match &line.lot {
        Some(lot) => suspensions.notices_of(line.type_id, lot, list),
        None => Vec::new(),
    };
    crate::suspension::why(line.condition, &by)
}

/// What became of one lot, from its changed lines and its unchanged part.
fn lot_item(
    depot: &str,
    sample: &Line,
    was: &LotSide,
    now: &LotSide,
    unchanged: Unchanged,
) -> Vec<Item> {
    let (from_q, to_q) = (
        was.quantity + unchanged.quantity,
        now.quantity + unchanged.quantity,
    );
    let (from_mc, to_mc) = (was.mc + unchanged.mc_from, now.mc + unchanged.mc_to);
    // Mission capable by status alone: a drop that the statuses do not
    // explain is the lot's expiry.
    let (from_reported, to_reported) = (was.reported_mc, now.reported_mc);
    let q = |n| Some(Side::Quantity(n));
    let item = |change, from, to, count| Item {
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
        ammo: sample.lot.is_some(),
        longer: false,
        note: None,
    };
    let mut items = Vec::new();
    let (from_susp, to_susp) = (
        was.suspended + unchanged.suspended_from,
        now.suspended + unchanged.suspended_to,
    );
    if from_q == 0 {
        items.push(item(Change::Arrived, None, q(to_q), to_q));
    } else if to_q == 0 {
        items.push(item(Change::Departed, q(from_q), None, from_q));
    } else if from_q != to_q {
        items.push(item(Change::Quantity, q(from_q), q(to_q), to_q - from_q));
    } else if to_susp > from_susp {
        // Its own change, below.
    } else if to_mc < from_mc && to_reported >= from_reported {
        let mut expired = item(
            Change::Expired,
            was.statuses(),
            Some(Side::Text("expired".into())),
            from_mc - to_mc,
        );
        expired.note = sample.expires.map(|e| format!("expired on {}", iso(e)));
        items.push(expired);
    } else if to_mc < from_mc {
        items.push(item(
            Change::BecameNmc,
            was.statuses(),
            now.statuses(),
            from_mc - to_mc,
        ));
    } else if to_mc > from_mc {
        items.push(item(
            Change::ReturnedToMc,
            was.statuses(),
            now.statuses(),
            to_mc - from_mc,
        ));
    } else if was.statuses != now.statuses {
        items.push(item(Change::Status, was.statuses(), now.statuses(), 0));
    }
    // Suspended (by its code or from above), whatever else became of it.
    if to_q > 0 && to_susp > from_susp {
        items.push(item(
            Change::Suspended,
            if from_q == 0 { None } else { was.statuses() },
            Some(Side::Text("suspended".into())),
            to_susp - from_susp,
        ));
    }
    // Still held and mission capable, but at another notice: a change of
    // its own.
    if from_q > 0 && to_q > 0 && to_mc > 0 && was.notices != now.notices {
        let mut notice = item(Change::Notice, was.notices(), now.notices(), to_mc);
        notice.longer = is_longer(was.longest_notice(), now.longest_notice());
        items.push(notice);
    }
    items
}

/// A snapshot's ammunition figures under the force-wide suspensions in
/// force on the date it is judged: its lots they name count as suspended
/// (those already suspended by their code are counted so already), and
/// leave the serviceable rounds if they were serviceable on its date.
fn apply_suspensions(conn: &Db, snap: &mut Snapshot, suspensions: &Targets) -> db::Result<()> {
    if suspensions.is_empty() {
        return Ok(());
    }
    let mut params: Vec<db::Owned> = vec![
        db::Owned::Int(snap.depot_id),
        db::Owned::Text(iso(snap.as_of)),
    ];
    let with = suspensions.sql(&mut params);
    let sql = format!(
        "WITH {with}
         SELECT h.status, h.expires, h.quantity FROM holding_version h
         WHERE h.depot_id = ?1 AND h.lot IS NOT NULL
           AND h.valid_from <= ?2 AND (h.valid_to IS NULL OR h.valid_to > ?2)
           AND (h.condition_code IS NULL OR h.condition_code NOT IN ('J', 'K', 'L', 'M', 'N'))
           AND EXISTS (SELECT 1 FROM susp s WHERE s.type_id = h.type_id
                       AND (s.lot IS NULL OR s.lot = h.lot))"
    );
    let lines: Vec<(Status, Option<String>, i64)> = conn.rows(&sql, &db::refs(&params), |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    let as_of = iso(snap.as_of);
    for (status, expires, quantity) in lines {
        snap.ammo_suspended += quantity;
        if status.is_mc() && expires.is_none_or(|e| e >= as_of) {
            snap.ammo_serviceable -= quantity;
        }
    }
    Ok(())
}

/// A snapshot's mission-capable items under a policy that does not count
/// PMC (SPEC §13): the import-time figure counts FMC and PMC, so the PMC
/// equipment of that snapshot is taken back out. Read only when the
/// policy asks: one indexed sum per snapshot compared.
fn apply_policy(conn: &Db, snap: &mut Snapshot, rules: Rules) -> db::Result<()> {
    if rules.pmc_is_mission_capable {
        return Ok(());
    }
    let as_of = iso(snap.as_of);
    let pmc: Option<i64> = conn.value(
        "SELECT sum(quantity) FROM holding_version
         WHERE depot_id = ?1 AND valid_from <= ?2 AND (valid_to IS NULL OR valid_to > ?2)
           AND lot IS NULL AND status = 'PMC'
           AND (condition_code IS NULL OR condition_code NOT IN ('J', 'K', 'L', 'M', 'N'))",
        &[&snap.depot_id, &as_of],
    )?;
    snap.mc -= pmc.unwrap_or(0);
    Ok(())
}

/// Compares every depot, or the `shown` ones (none: every one): moves are
/// matched across every depot by type and serial, but the lots only of
/// the depots shown are completed and listed — the other depots' lots
/// take a pass over their unserialized versions that a question about
/// one depot has no use for (one depot of 200: 0.25 → 0.12 s).
pub fn compare(conn: &Db, window: Window, shown: &[String]) -> db::Result<Comparison> {
    let all = snapshots(conn)?;
    let notices = crate::suspension::all(conn)?;
    let targets = Targets::load(conn)?;
    let mut depots = Vec::new();
    let mut items = Vec::new();
    // (type, serial) → (item index) of serials that left or appeared.
    let mut departures: Vec<usize> = Vec::new();
    let mut arrivals: HashMap<(String, String), usize> = HashMap::new();
    let mut pending: Vec<PendingLots> = Vec::new();

    let rules = window.rules;
    for (from, mut to) in pairs(&all, window) {
        let to_judged = window.judged.unwrap_or(to.as_of).max(to.as_of);
        let to_suspensions = targets.on(to_judged);
        apply_suspensions(conn, &mut to, &to_suspensions)?;
        apply_policy(conn, &mut to, rules)?;
        let Some(mut from_snap) = from.clone() else {
            depots.push(DepotChange {
                depot: to.depot.clone(),
                from: None,
                to,
                counts: BTreeMap::new(),
                notice_longer: 0,
            });
            continue;
        };
        let from_suspensions = targets.on(from_snap.as_of);
        apply_suspensions(conn, &mut from_snap, &from_suspensions)?;
        apply_policy(conn, &mut from_snap, rules)?;
        let sides = (&from_suspensions, &to_suspensions);
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
            ammo: l.lot.is_some(),
            longer: false,
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
                    let (before, after) = (
                        old.mc_on(from_snap.as_of, sides.0, rules) > 0,
                        l.mc_on(to.as_of, sides.1, rules) > 0,
                    );
                    let change = match (before, after) {
                        (true, false) if l.suspended(sides.1) => Some(Change::Suspended),
                        (true, false)
                            if rules.counts(State::Reported(old.status), false)
                                && rules.counts(State::Reported(l.status), false) =>
                        {
                            Some(Change::Expired)
                        }
                        (true, false) => Some(Change::BecameNmc),
                        (false, true) => Some(Change::ReturnedToMc),
                        _ if old.status != l.status => Some(Change::Status),
                        _ => None, // another detail changed, not its condition
                    };
                    if let Some(change) = change {
                        items.push(item(l, change, status(old), status(l), 1));
                    }
                    // Still mission capable at another notice.
                    if after && old.notice != l.notice {
                        let mut notice =
                            item(l, Change::Notice, hours(old.notice), hours(l.notice), 1);
                        notice.longer = is_longer(old.notice, l.notice);
                        items.push(notice);
                    }
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
            e.0.add(l, from_snap.as_of, sides.0, rules);
        }
        for l in new.iter().filter(|l| l.serial.is_none()) {
            let e = lots
                .entry((l.type_code.clone(), l.lot.clone()))
                .or_insert_with(|| (LotSide::default(), LotSide::default(), l));
            e.1.add(l, to.as_of, sides.1, rules);
        }
        // Every compared depot is read for lots that expired unchanged.
        let lot_types: HashSet<String> = lots.keys().map(|(t, _)| t.clone()).collect();
        pending.push(PendingLots {
            rules,
            depot_id: to.depot_id,
            depot: to.depot.clone(),
            from: from_snap.as_of,
            to: to.as_of,
            lots: lots
                .into_iter()
                .map(|(k, (was, now, sample))| {
                    (k, (was, now, sample.clone(), Unchanged::default()))
                })
                .collect(),
            unchanged: BTreeMap::new(),
            window: (iso(from_snap.as_of), iso(to.as_of)),
            lot_types,
            suspended_types: from_suspensions
                .type_ids()
                .into_iter()
                .chain(to_suspensions.type_ids())
                .collect(),
            suspensions: (from_suspensions.clone(), to_suspensions.clone()),
        });
        depots.push(DepotChange {
            depot: to.depot.clone(),
            from: Some(from_snap),
            to,
            counts: BTreeMap::new(),
            notice_longer: 0,
        });
    }

    if !shown.is_empty() {
        pending.retain(|p| shown.contains(&p.depot));
    }
    if !pending.is_empty() {
        let by_index = !shown.is_empty() && shown.len() <= crate::state::FEW_DEPOTS;
        unchanged_lots(conn, &mut pending, by_index)?;
    }
    for p in pending {
        let (before, after) = &p.suspensions;
        for (_, (was, now, sample, unchanged)) in p.lots {
            let mut lot = lot_item(&p.depot, &sample, &was, &now, unchanged);
            for i in &mut lot {
                match i.change {
                    Change::Suspended => {
                        i.note = Some(format!(
                            "{}: {}",
                            rounds_text(i.count),
                            suspension_note(&now.line(&sample), after, &notices)
                        ));
                    }
                    Change::ReturnedToMc if was.suspended + unchanged.suspended_from > 0 => {
                        i.note = Some(format!(
                            "no longer suspended (was: {})",
                            suspension_note(&was.line(&sample), before, &notices)
                        ));
                    }
                    _ => {}
                }
            }
            items.extend(lot);
        }
        for ((change, _), (sample, rounds)) in p.unchanged {
            let status = sample.status.as_str();
            let (from, to, note) = match change {
                Change::Suspended => (
                    status.to_string(),
                    "suspended".to_string(),
                    Some(format!(
                        "{}: {}",
                        rounds_text(rounds),
                        suspension_note(&sample, after, &notices)
                    )),
                ),
                Change::ReturnedToMc => (
                    "suspended".to_string(),
                    status.to_string(),
                    Some(format!(
                        "suspension lifted (was: {})",
                        suspension_note(&sample, before, &notices)
                    )),
                ),
                _ => (
                    status.to_string(),
                    "expired".to_string(),
                    sample.expires.map(|e| format!("expired on {}", iso(e))),
                ),
            };
            items.push(Item {
                depot: p.depot.clone(),
                type_code: sample.type_code.clone(),
                category: sample.category.clone(),
                owner: sample.owner.clone(),
                serial: None,
                lot: sample.lot.clone(),
                change,
                from: Some(Side::Text(from)),
                to: Some(Side::Text(to)),
                count: rounds,
                ammo: sample.lot.is_some(),
                longer: false,
                note,
            });
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

    // The summary counts equipment items; rounds stand in the snapshots'
    // ammunition figures, never in one sum with them.
    for d in &mut depots {
        for i in items.iter().filter(|i| i.depot == d.depot && !i.ammo) {
            match i.change {
                Change::Quantity | Change::Status => {}
                Change::Notice => {
                    if i.longer {
                        d.notice_longer += i.count;
                    }
                }
                // Equipment under a suspended code is not mission capable.
                Change::Suspended => *d.counts.entry(Change::BecameNmc).or_insert(0) += i.count,
                change => *d.counts.entry(change).or_insert(0) += i.count,
            }
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
