//! Where a figure came from (SPEC §8 `trace`): the export lines behind a
//! depot × type on a date, each with the import that recorded it and the
//! later snapshots that repeated it unchanged.

use crate::db::{self, Db};
use chrono::NaiveDate;

use crate::model::iso;

/// A snapshot that repeated a line unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
    pub as_of: NaiveDate,
    pub ledger_entry: i64,
    pub file: String,
}

/// One stored line behind the figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub serial: Option<String>,
    pub lot: Option<String>,
    pub status: String,
    pub quantity: i64,
    pub notice_hours: Option<i64>,
    pub expires: Option<String>,
    pub condition_code: Option<String>,
    pub next_test: Option<String>,
    /// The force-wide suspensions naming this lot in force on the date
    /// judged (SPEC §12).
    pub suspended_by: Vec<crate::suspension::Suspension>,
    /// The snapshot date this line was first recorded for.
    pub since: NaiveDate,
    pub file: String,
    /// Where the record starts in the file; None for lines stored before
    /// provenance was kept.
    pub line: Option<i64>,
    pub ledger_entry: i64,
    pub file_sha256: String,
    pub imported_at: String,
    pub os_user: String,
    pub confirmed_by: Vec<Confirmation>,
}

pub struct Trace {
    /// The snapshot in force on the date asked for.
    pub as_of: NaiveDate,
    pub sources: Vec<Source>,
}

pub enum Lookup {
    Found(Trace),
    NoDepot,
    NoType,
    /// The depot had not reported by that date.
    NoSnapshot,
}

pub fn trace(
    conn: &Db,
    depot: &str,
    type_code: &str,
    serial: Option<&str>,
    on: Option<NaiveDate>,
    judged: NaiveDate,
) -> db::Result<Lookup> {
    let Some(depot_id) = conn.row("SELECT id FROM depot WHERE code = ?1", &[&depot], |r| {
        r.get::<i64>(0)
    })?
    else {
        return Ok(Lookup::NoDepot);
    };
    let Some(type_id) = conn.row(
        "SELECT id FROM equipment_type WHERE code = ?1",
        &[&type_code],
        |r| r.get::<i64>(0),
    )?
    else {
        return Ok(Lookup::NoType);
    };
    let mut snapshots: Vec<Confirmation> = conn.rows(
        "SELECT s.as_of, s.ledger_id, l.file_name FROM snapshot s
         JOIN import_ledger l ON l.id = s.ledger_id
         WHERE s.depot_id = ?1 ORDER BY s.as_of",
        &[&depot_id],
        |r| {
            Ok(Confirmation {
                as_of: r.get(0)?,
                ledger_entry: r.get(1)?,
                file: r.get(2)?,
            })
        },
    )?;
    snapshots.retain(|s| on.is_none_or(|d| s.as_of <= d));
    let Some(as_of) = snapshots.last().map(|s| s.as_of) else {
        return Ok(Lookup::NoSnapshot);
    };
    let rows = conn.rows(
        "SELECT h.serial, h.lot, h.status, h.quantity, h.notice_hours, h.expires,
                h.valid_from, h.valid_to, h.source_line,
                l.id, l.file_name, l.file_sha256, l.imported_at, l.os_user,
                h.condition_code, h.next_test
         FROM holding_version h JOIN import_ledger l ON l.id = h.opened_by
         WHERE h.depot_id = ?1 AND h.type_id = ?2
           AND h.valid_from <= ?3 AND (h.valid_to IS NULL OR h.valid_to > ?3)
           AND (CAST(?4 AS TEXT) IS NULL OR h.serial = ?4)
         ORDER BY l.id, h.source_line, h.serial, h.lot, h.id",
        &[&depot_id, &type_id, &iso(as_of), &serial],
        |r| {
            let since = r.get(6)?;
            let until = crate::model::stored_date_opt(r.get(7)?)?;
            let source = Source {
                serial: r.get(0)?,
                lot: r.get(1)?,
                status: r.get(2)?,
                quantity: r.get(3)?,
                notice_hours: r.get(4)?,
                expires: r.get(5)?,
                condition_code: r.get(14)?,
                next_test: r.get(15)?,
                suspended_by: Vec::new(),
                since,
                line: r.get(8)?,
                ledger_entry: r.get(9)?,
                file: r.get(10)?,
                file_sha256: r.get(11)?,
                imported_at: r.get(12)?,
                os_user: r.get(13)?,
                confirmed_by: Vec::new(),
            };
            Ok((source, until))
        },
    )?;
    let notices = crate::suspension::all(conn)?;
    let in_force = crate::suspension::Targets::load(conn)?.on(judged);
    let mut sources = Vec::new();
    for row in rows {
        // Confirmed by the depot's snapshots after the first, while the
        // line stayed unchanged, up to the date asked for.
        let (mut s, until) = row;
        s.confirmed_by = snapshots
            .iter()
            .filter(|c| c.as_of > s.since && until.is_none_or(|u| c.as_of < u))
            .cloned()
            .collect();
        if let Some(lot) = &s.lot {
            s.suspended_by = in_force
                .notices_of(type_id, lot, &notices)
                .into_iter()
                .cloned()
                .collect();
        }
        sources.push(s);
    }
    Ok(Lookup::Found(Trace { as_of, sources }))
}
