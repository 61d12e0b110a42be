//! From a quantity drawn of a holding group to the serials and lots to
//! draw, and whose they are: the hand receipt, and the nations that must
//! release them.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::db::{self, Db};
use crate::model::{ConditionCode, Status, iso, stored_date_opt};
use crate::state::Held;
use crate::suspension::Targets;

/// One serial, or a quantity of one lot, to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub serial: Option<String>,
    pub lot: Option<String>,
    pub quantity: i64,
}

/// A stored line of a depot, with what earlier draws left of it.
struct Line {
    type_code: String,
    serial: Option<String>,
    lot: Option<String>,
    owner: Option<String>,
    status: Status,
    notice: Option<u32>,
    expires: Option<NaiveDate>,
    /// Condition C (priority issue).
    priority: bool,
    /// By its code or a suspension in force: never drawn.
    suspended: bool,
    left: i64,
}

impl Line {
    fn belongs_to(&self, h: &Held) -> bool {
        self.type_code == h.type_code
            && self.lot.is_some() == h.ammo
            && self.status == h.status
            && self.notice == h.notice_hours
            && (!h.ammo || self.expires == h.expires)
            && (!h.ammo || self.priority == h.priority)
            && !self.suspended
            && !h.suspended
    }
}

/// Picks items depot by depot, each depot's lines read once, on its first
/// draw; an item drawn once is not drawn again (by another line, or a
/// package checked after).
pub(crate) struct Picker<'a> {
    conn: &'a Db,
    /// Each depot's snapshot date, when not its latest.
    dates: Option<HashMap<String, NaiveDate>>,
    owners: Vec<String>,
    /// The package's types: a depot's other lines are never read.
    types: Vec<String>,
    /// The force-wide suspensions in force on the date judged.
    suspensions: Targets,
    depots: HashMap<String, Vec<Line>>,
}

impl<'a> Picker<'a> {
    pub fn new(
        conn: &'a Db,
        dates: Option<HashMap<String, NaiveDate>>,
        owners: &[String],
        types: &[String],
        suspensions: Targets,
    ) -> Picker<'a> {
        Picker {
            conn,
            dates,
            owners: owners.to_vec(),
            types: types.to_vec(),
            suspensions,
            depots: HashMap::new(),
        }
    }

    fn load(&self, depot: &str) -> db::Result<Vec<Line>> {
        // The package's types by id (row ids the database gave, never
        // user text: safe to splice), checked before a row is read.
        let ids: Vec<String> = self
            .conn
            .rows("SELECT id, code FROM equipment_type", &[], |r| {
                Ok((r.get::<i64>(0)?, r.get::<String>(1)?))
            })?
            .into_iter()
            .filter(|(_, code)| self.types.binary_search(code).is_ok())
            .map(|(id, _)| id.to_string())
            .collect();
        let columns = format!(
            "SELECT t.code, h.serial, h.lot, h.owner, h.status, h.notice_hours, h.expires, h.quantity,
                    h.condition_code, h.type_id
             FROM holding_version h JOIN equipment_type t ON t.id = h.type_id
             WHERE h.depot_id = (SELECT id FROM depot WHERE code = ?1)
               AND h.type_id IN ({})",
            if ids.is_empty() { "NULL".into() } else { ids.join(", ") }
        );
        // Two statements, each a range of the (depot, valid_to) index: one
        // with an OR between them would read the whole table per depot.
        let current = format!("{columns} AND h.valid_to IS NULL");
        let past =
            format!("{columns} AND h.valid_from <= ?2 AND (h.valid_to IS NULL OR h.valid_to > ?2)");
        let date = self
            .dates
            .as_ref()
            .map(|d| d.get(depot).copied().map(iso).unwrap_or_default());
        let (sql, params): (&str, Vec<&dyn db::Param>) = match &date {
            None => (&current, vec![&depot]),
            Some(d) => (&past, vec![&depot, d]),
        };
        let mut lines = Vec::new();
        self.conn.each(sql, &params, |r| {
            // The type first, to skip the depot's other types unread.
            let type_code: String = r.get(0)?;
            if self.types.binary_search(&type_code).is_ok() {
                let code = r
                    .get::<Option<String>>(8)?
                    .and_then(|c| ConditionCode::parse(&c).ok());
                let lot: Option<String> = r.get(2)?;
                let type_id: i64 = r.get(9)?;
                let suspended = code.is_some_and(ConditionCode::is_suspended)
                    || lot
                        .as_deref()
                        .is_some_and(|l| self.suspensions.of(type_id, l).next().is_some());
                lines.push(Line {
                    priority: code.is_some_and(ConditionCode::is_priority),
                    suspended,
                    type_code,
                    serial: r.get(1)?,
                    lot,
                    owner: r.get(3)?,
                    status: r.get(4)?,
                    notice: r.get(5)?,
                    expires: stored_date_opt(r.get(6)?)?,
                    left: r.get(7)?,
                });
            }
            Ok(())
        })?;
        if !self.owners.is_empty() {
            lines.retain(|l| l.owner.as_ref().is_some_and(|o| self.owners.contains(o)));
        }
        // Serials and lots in order, so that a hand receipt reads down.
        lines.sort_by(|a, b| {
            (&a.type_code, &a.serial, &a.lot).cmp(&(&b.type_code, &b.serial, &b.lot))
        });
        Ok(lines)
    }

    /// `quantity` units of the group `h`, by owner: the owner with the
    /// most of them first (the fewest nations to ask), then serial or lot
    /// in order.
    pub fn pick(
        &mut self,
        h: &Held,
        quantity: i64,
    ) -> db::Result<Vec<(Option<String>, Vec<Item>)>> {
        if !self.depots.contains_key(&h.depot) {
            let lines = self.load(&h.depot)?;
            self.depots.insert(h.depot.clone(), lines);
        }
        let lines = self.depots.get_mut(&h.depot).expect("loaded above");
        let mut owners: Vec<(Option<String>, i64)> = Vec::new();
        for l in lines.iter().filter(|l| l.left > 0 && l.belongs_to(h)) {
            match owners.iter_mut().find(|(o, _)| *o == l.owner) {
                Some(o) => o.1 += l.left,
                None => owners.push((l.owner.clone(), l.left)),
            }
        }
        owners.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut want = quantity;
        let mut out = Vec::new();
        for (owner, _) in owners {
            if want == 0 {
                break;
            }
            let mut items = Vec::new();
            for l in lines
                .iter_mut()
                .filter(|l| l.left > 0 && l.owner == owner && l.belongs_to(h))
            {
                if want == 0 {
                    break;
                }
                let q = want.min(l.left);
                l.left -= q;
                want -= q;
                items.push(Item {
                    serial: l.serial.clone(),
                    lot: l.lot.clone(),
                    quantity: q,
                });
            }
            out.push((owner, items));
        }
        if want > 0 {
            // The aggregates hold more than the lines (check names the
            // difference): the rest stands without items or owner.
            out.push((
                None,
                vec![Item {
                    serial: None,
                    lot: None,
                    quantity: want,
                }],
            ));
        }
        Ok(out)
    }
}
