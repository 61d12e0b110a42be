//! What needs attention (SPEC §8 `watch`): lots expired or about to, items
//! whose inspection is overdue, depots that have stopped reporting; lots
//! suspended and lots whose surveillance test is overdue (SPEC §12).

use crate::db::{self, Db, Owned as SqlValue};
use chrono::NaiveDate;
use rustc_hash::FxHashMap;

use crate::model::iso;
use crate::state::Filters;

/// The kinds, in the order they are listed: a silent depot first (nothing
/// it holds can be trusted), then what must not be issued (suspended), what
/// has expired, what will, and what is due for a surveillance test or an
/// inspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    StaleDepot,
    Suspended,
    Expired,
    Expiring,
    TestOverdue,
    InspectionOverdue,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::StaleDepot => "stale_depot",
            Kind::Suspended => "suspended",
            Kind::Expired => "expired",
            Kind::TestOverdue => "test_overdue",
            Kind::Expiring => "expiring",
            Kind::InspectionOverdue => "inspection_overdue",
        }
    }
}

/// One depot's rows of one kind, as a morning brief reads them: how many,
/// how much, and the worst case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepotKind {
    pub kind: Kind,
    pub depot: String,
    pub items: i64,
    /// Summed over the rows that have one (rounds of lots, items of
    /// serials: a depot's row of one kind holds one or the other).
    pub quantity: Option<i64>,
    /// The soonest expiry for lots expiring, the oldest for everything
    /// overdue: (its date, its days).
    pub worst: Option<(NaiveDate, i64)>,
}

/// Rows grouped by depot × kind as they are found, for a morning brief:
/// a force's half a million rows are never held at once.
#[derive(Default)]
pub struct Summary {
    groups: Vec<DepotKind>,
    at: FxHashMap<(Kind, i64), usize>,
}

impl Summary {
    pub fn add(&mut self, a: &Found<'_>) {
        let worst = a.date.zip(a.days);
        self.add_items(a.kind, a.depot_id, a.depot, 1, a.quantity, worst);
    }

    /// Adds `items` rows of one depot and kind at once: their summed
    /// quantity, and their worst (date, days) if they have one.
    fn add_items(
        &mut self,
        kind: Kind,
        depot_id: i64,
        depot: &str,
        items: i64,
        quantity: Option<i64>,
        worst: Option<(NaiveDate, i64)>,
    ) {
        let groups = &mut self.groups;
        let i = *self.at.entry((kind, depot_id)).or_insert_with(|| {
            groups.push(DepotKind {
                kind,
                depot: depot.to_string(),
                items: 0,
                quantity: None,
                worst: None,
            });
            groups.len() - 1
        });
        let g = &mut self.groups[i];
        g.items += items;
        if let Some(q) = quantity {
            g.quantity = Some(g.quantity.unwrap_or(0) + q);
        }
        if let Some((date, days)) = worst
            && g.worst
                .is_none_or(|(_, d)| badness(kind, days) > badness(kind, d))
        {
            g.worst = Some((date, days));
        }
    }

    /// The groups, kinds in their order of urgency and the worst depot
    /// first within each.
    pub fn groups(mut self) -> Vec<DepotKind> {
        self.groups.sort_by(|a, b| {
            let worst = |g: &DepotKind| g.worst.map(|(_, d)| badness(g.kind, d));
            a.kind
                .cmp(&b.kind)
                .then(worst(b).cmp(&worst(a)))
                .then(a.depot.cmp(&b.depot))
        });
        self.groups
    }
}

/// Days left to an expiry: fewer is worse; days past anything else: more
/// is worse.
fn badness(kind: Kind, days: i64) -> i64 {
    if kind == Kind::Expiring { -days } else { days }
}

/// The windows of `watch`, in days.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub today: NaiveDate,
    pub expiring: i64,
    pub inspection: i64,
    pub stale: i64,
}

impl Limits {
    /// SPEC §8's defaults: 90 days for expiry, 180 for inspections, 14 for
    /// a depot's silence.
    pub fn default_windows(today: NaiveDate) -> Limits {
        Limits {
            today,
            expiring: 90,
            inspection: 180,
            stale: 14,
        }
    }
}

/// One row of `watch`. `days` counts from `date` to the day it is judged
/// by: days past an expiry, left to one, past a surveillance test's due
/// date, since the last inspection (on the snapshot's date), since the
/// last snapshot, since a suspension began. `note` says why a lot is
/// suspended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attention {
    pub kind: Kind,
    pub depot: String,
    pub type_code: Option<String>,
    pub serial: Option<String>,
    pub lot: Option<String>,
    pub quantity: Option<i64>,
    pub date: Option<NaiveDate>,
    pub days: Option<i64>,
    pub note: Option<String>,
}

/// A row of `watch` as it is found, its text borrowed from the row read.
pub struct Found<'a> {
    pub kind: Kind,
    pub depot_id: i64,
    pub depot: &'a str,
    pub type_code: Option<&'a str>,
    pub serial: Option<&'a str>,
    pub lot: Option<&'a str>,
    pub quantity: Option<i64>,
    pub date: Option<NaiveDate>,
    pub days: Option<i64>,
    pub note: Option<String>,
}

impl Found<'_> {
    pub fn to_attention(&self) -> Attention {
        Attention {
            kind: self.kind,
            depot: self.depot.to_string(),
            type_code: self.type_code.map(String::from),
            serial: self.serial.map(String::from),
            lot: self.lot.map(String::from),
            quantity: self.quantity,
            date: self.date,
            days: self.days,
            note: self.note.clone(),
        }
    }
}

/// Every row that needs attention on `limits.today`, in no order ([`in_order`]
/// sorts them as `--items` lists them).
pub fn watch(conn: &Db, filters: &Filters, limits: Limits) -> db::Result<Vec<Attention>> {
    let mut rows = Vec::new();
    each(conn, filters, limits, |f| rows.push(f.to_attention()))?;
    Ok(rows)
}

/// The rows that need attention on `limits.today`, one per depot × kind:
/// from the sums kept at import (`attention_day`) when they can answer,
/// else from the versions.
pub fn summary(conn: &Db, filters: &Filters, limits: Limits) -> db::Result<Vec<DepotKind>> {
    let mut summary = Summary::default();
    if !from_sums(conn, filters, limits, &mut summary)? {
        each(conn, filters, limits, |f| summary.add(&f))?;
    }
    Ok(summary.groups())
}

/// Adds to `summary` what `attention_day` says needs attention, and
/// returns true; or returns false, having added nothing, when the sums
/// cannot say it: they are kept by depot for the current state, so not
/// for a type, category or owner, nor on a day before a depot's latest
/// snapshot, nor while a suspension notice (by type and lot, which the
/// sums do not tell apart) is in force.
fn from_sums(
    conn: &Db,
    filters: &Filters,
    limits: Limits,
    summary: &mut Summary,
) -> db::Result<bool> {
    if !(filters.types.is_empty() && filters.categories.is_empty() && filters.owners.is_empty()) {
        return Ok(false);
    }
    let (snapshot_of, later) = snapshots_on(conn, limits.today)?;
    if later {
        return Ok(false);
    }
    let in_force = crate::suspension::Targets::load(conn)?.on(limits.today);
    if !in_force.type_ids().is_empty() {
        return Ok(false);
    }
    stale_depots(conn, filters, limits, &mut |f| summary.add(&f))?;
    let names = crate::state::Names::load(conn)?;
    let ids = names.ids(filters);
    // A few depots asked for: their rows only (through the index of
    // `attention_day`; the lots' sums have none and are read whole).
    let few = ids
        .few_depots()
        .map(|few| crate::state::in_list("depot_id", few));
    let today = limits.today;
    let expiring_limit = iso(today + chrono::Duration::days(limits.expiring));
    // Lots expired or expiring, from the lots' sums; the rest by day.
    let lots = format!(
        "SELECT depot_id, 'expires', expires, lots, quantity FROM readiness_expiry
         WHERE expires <= ?1{}",
        few.as_ref()
            .map(|f| format!(" AND {f}"))
            .unwrap_or_default()
    );
    let rest = format!(
        "SELECT depot_id, kind, day, items, quantity FROM attention_day {}",
        few.as_ref()
            .map_or("NOT INDEXED".to_string(), |f| format!("WHERE {f}"))
    );
    for (sql, params) in [
        (lots, vec![&expiring_limit as &dyn db::Param]),
        (rest, vec![]),
    ] {
        conn.each(&sql, &params, |r| {
            let depot_id: i64 = r.get(0)?;
            let Some(&snapshot) = snapshot_of.get(&depot_id) else {
                return Ok(());
            };
            if !ids.depot_passes(depot_id) {
                return Ok(());
            }
            let depot = names.depot_code(depot_id).unwrap_or_default();
            let (items, quantity): (i64, i64) = (r.get(3)?, r.get(4)?);
            let mut add = |kind, worst: Option<(NaiveDate, i64)>| {
                summary.add_items(kind, depot_id, depot, items, Some(quantity), worst);
            };
            let day: Option<NaiveDate> = r.get(2)?;
            match (r.text(1)?.unwrap_or_default(), day) {
                // Since its snapshot, as the versions say it.
                ("suspended", _) => add(
                    Kind::Suspended,
                    Some((snapshot, (today - snapshot).num_days().max(0))),
                ),
                ("expires", Some(expires)) => {
                    let left = (expires - today).num_days();
                    if left < 0 {
                        add(Kind::Expired, Some((expires, -left)));
                    } else if left <= limits.expiring {
                        add(Kind::Expiring, Some((expires, left)));
                    }
                }
                ("inspected", Some(inspected)) => {
                    let age = (snapshot - inspected).num_days();
                    if age > limits.inspection {
                        add(Kind::InspectionOverdue, Some((inspected, age)));
                    }
                }
                ("uninspected", _) => add(Kind::InspectionOverdue, None),
                ("test_due", Some(due)) => {
                    let late = (today - due).num_days();
                    if late > 0 {
                        add(Kind::TestOverdue, Some((due, late)));
                    }
                }
                _ => {}
            }
            Ok(())
        })?;
    }
    Ok(true)
}

/// Each depot's snapshot in force on `today` (the latest on or before it),
/// and whether any depot has one dated after it.
fn snapshots_on(conn: &Db, today: NaiveDate) -> db::Result<(FxHashMap<i64, NaiveDate>, bool)> {
    let mut snapshot_of: FxHashMap<i64, NaiveDate> = FxHashMap::default();
    let mut later = false;
    conn.each(
        "SELECT depot_id, max(CASE WHEN as_of <= ?1 THEN as_of END), max(as_of)
         FROM snapshot GROUP BY depot_id",
        &[&iso(today)],
        |r| {
            if let Some(date) = r.get::<Option<NaiveDate>>(1)? {
                snapshot_of.insert(r.get(0)?, date);
            }
            later |= r.get::<NaiveDate>(2)? > today;
            Ok(())
        },
    )?;
    Ok((snapshot_of, later))
}

/// Gives `found` each depot whose latest snapshot (as of today) is older
/// than the window.
fn stale_depots(
    conn: &Db,
    filters: &Filters,
    limits: Limits,
    found: &mut dyn FnMut(Found<'_>),
) -> db::Result<()> {
    let mut params: Vec<SqlValue> = vec![SqlValue::Text(iso(limits.today))];
    let depot_only = Filters {
        depots: filters.depots.clone(),
        ..Filters::default()
    };
    let sql = format!(
        "SELECT s.depot_id, d.code, max(s.as_of) FROM snapshot s JOIN depot d ON d.id = s.depot_id
         WHERE s.as_of <= ?1 {} GROUP BY s.depot_id, d.code ORDER BY d.code",
        depot_only.sql(&mut params)
    );
    conn.each(&sql, &db::refs(&params), |r| {
        let latest: NaiveDate = r.get(2)?;
        let age = (limits.today - latest).num_days();
        if age > limits.stale {
            let depot: String = r.get(1)?;
            found(Found {
                kind: Kind::StaleDepot,
                depot_id: r.get(0)?,
                depot: &depot,
                type_code: None,
                serial: None,
                lot: None,
                quantity: None,
                date: Some(latest),
                days: Some(age),
                note: None,
            });
        }
        Ok(())
    })
}

/// Gives `found` every row that needs attention on `limits.today`, in no
/// order.
pub fn each(
    conn: &Db,
    filters: &Filters,
    limits: Limits,
    mut found: impl FnMut(Found<'_>),
) -> db::Result<()> {
    let today = iso(limits.today);
    stale_depots(conn, filters, limits, &mut found)?;

    // Lines of each depot's snapshot in force today that expire within the
    // window, whose inspection is older than the window before their
    // snapshot (or missing on a serialized item), whose surveillance test
    // is overdue, or that are suspended by their code or from above.
    let notices = crate::suspension::all(conn)?;
    let in_force = crate::suspension::Targets::load(conn)?.on(limits.today);
    // No rule: a list that matches nothing.
    let suspended_types = crate::state::in_list("src.type_id", in_force.type_ids());
    let expiring_limit = iso(limits.today + chrono::Duration::days(limits.expiring));
    let mut params: Vec<SqlValue> = vec![
        SqlValue::Text(today.clone()),
        SqlValue::Text(expiring_limit),
        // A bound below every snapshot's own one (each is on or before
        // today): the exact age is taken against the snapshot below.
        SqlValue::Text(iso(limits.today - chrono::Duration::days(limits.inspection))),
    ];
    // One sequential pass over the versions: reaching each depot's through
    // its index visits the pages of interleaved depots once per depot.
    // Each depot's snapshot in force today holds its open versions, unless
    // a snapshot is dated after today; codes and snapshot dates are looked
    // up here rather than joined for every row.
    let names = crate::state::Names::load(conn)?;
    let (snapshot_of, later) = snapshots_on(conn, limits.today)?;
    let (effective, valid) = if later {
        (
            "WITH effective AS (
                 SELECT depot_id, max(as_of) AS as_of FROM snapshot WHERE as_of <= ?1
                 GROUP BY depot_id)",
            "CROSS JOIN effective e
             WHERE e.depot_id = src.depot_id
               AND src.valid_from <= e.as_of AND (src.valid_to IS NULL OR src.valid_to > e.as_of)",
        )
    } else {
        ("", "WHERE src.valid_to IS NULL")
    };
    let filter = filters.sql(&mut params);
    let joins = if filter.is_empty() {
        ""
    } else {
        "JOIN depot d ON d.id = src.depot_id JOIN equipment_type t ON t.id = src.type_id"
    };
    // A few depots asked for: each one's versions through its index (one
    // depot of 200: 8 ms instead of a 0.18 s pass over every depot's).
    let (scan, depots) = match names.ids(filters).few_depots() {
        Some(ids) => ("", crate::state::ids_in("src.depot_id", &ids)),
        None => ("NOT INDEXED", String::new()),
    };
    let sql = format!(
        "{effective}
         SELECT src.depot_id, src.type_id, src.serial, src.lot, src.quantity, src.expires,
                src.last_inspected, src.condition_code, src.next_test
         FROM holding_version src {scan} {joins} {valid}{depots}
           AND ((src.expires IS NOT NULL AND src.expires <= ?2)
             OR (src.last_inspected IS NOT NULL AND src.last_inspected < ?3)
             OR (src.serial IS NOT NULL AND src.last_inspected IS NULL)
             OR src.next_test < ?1
             OR src.condition_code IN ('J', 'K', 'L', 'M', 'N')
             OR (src.lot IS NOT NULL AND {suspended_types})) {filter}"
    );
    conn.each(&sql, &db::refs(&params), |r| {
        let (depot, type_id): (i64, i64) = (r.get(0)?, r.get(1)?);
        let Some(&snapshot_date) = snapshot_of.get(&depot) else {
            return Ok(());
        };
        let (serial, lot, quantity) = (r.text(2)?, r.text(3)?, r.get(4)?);
        let row = |kind, date: Option<NaiveDate>, days| Found {
            kind,
            depot_id: depot,
            depot: names.depot_code(depot).unwrap_or_default(),
            type_code: names.type_code_of(type_id),
            serial,
            lot,
            quantity: Some(quantity),
            date,
            days,
            note: None,
        };
        // Suspended: by its code (since its snapshot), or by the notices
        // in force (since the earliest); nothing else about it matters
        // until it is released.
        let code = r
            .get::<Option<String>>(7)?
            .and_then(|c| crate::model::ConditionCode::parse(&c).ok())
            .filter(|c| c.is_suspended());
        let by = match lot {
            Some(l) => in_force.notices_of(type_id, l, &notices),
            None => Vec::new(),
        };
        if code.is_some() || !by.is_empty() {
            let since = code
                .map(|_| snapshot_date)
                .into_iter()
                .chain(by.iter().map(|n| n.from))
                .min();
            let mut a = row(
                Kind::Suspended,
                since,
                since.map(|s| (limits.today - s).num_days().max(0)),
            );
            a.note = Some(crate::suspension::why(code, &by));
            found(a);
            return Ok(());
        }
        if let Some(due) = r.get::<Option<NaiveDate>>(8)? {
            let late = (limits.today - due).num_days();
            if late > 0 {
                found(row(Kind::TestOverdue, Some(due), Some(late)));
            }
        }
        if let Some(expires) = r.get::<Option<NaiveDate>>(5)? {
            let left = (expires - limits.today).num_days();
            if left < 0 {
                found(row(Kind::Expired, Some(expires), Some(-left)));
            } else if left <= limits.expiring {
                found(row(Kind::Expiring, Some(expires), Some(left)));
            }
        }
        match r.get::<Option<NaiveDate>>(6)? {
            Some(inspected) => {
                let age = (snapshot_date - inspected).num_days();
                if age > limits.inspection {
                    found(row(Kind::InspectionOverdue, Some(inspected), Some(age)));
                }
            }
            None if serial.is_some() => {
                found(row(Kind::InspectionOverdue, None, None));
            }
            None => {}
        }
        Ok(())
    })
}

/// Rows as `watch --items` lists them: by kind, the most urgent first (the
/// soonest expiry; otherwise the longest overdue, an inspection never
/// recorded before any), then by depot, type, serial and lot.
pub fn in_order(rows: &mut [Attention]) {
    let urgency = |x: &Attention| match x.kind {
        Kind::Expiring => x.days.unwrap_or(0),
        _ => -x.days.unwrap_or(i64::MAX),
    };
    // Stable: rows equal in all of these stay in the versions' order.
    rows.sort_by(|a, b| {
        (
            a.kind,
            urgency(a),
            &a.depot,
            &a.type_code,
            &a.serial,
            &a.lot,
        )
            .cmp(&(
                b.kind,
                urgency(b),
                &b.depot,
                &b.type_code,
                &b.serial,
                &b.lot,
            ))
    });
}
