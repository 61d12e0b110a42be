//! Force-wide ammunition suspensions (SPEC §12): a notice from above that
//! lots of an NSN — or all of them — must not be issued, from a date on,
//! until it is lifted.
//!
//! A suspension is a ledger entry (file name `stockpile suspend`, its
//! content the notice as JSON), chained like every import, so that `check`
//! notices one altered, removed or reordered. It is applied when the state
//! is read, never by rewriting holdings: the export stays what the depot
//! said, the figure says what headquarters ordered, and a later snapshot
//! or a `--replace` cannot undo it.

use chrono::NaiveDate;
use serde_json::json;

use crate::db::{self, Db};
use crate::error::{Error, Result};
use crate::model::{ConditionCode, Nsn, iso, parse_date};

/// The ledger's file name for suspension entries.
pub const LEDGER_NAME: &str = "stockpile suspend";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspension {
    /// Its ledger entry: the id `--lift` names.
    pub id: i64,
    pub nsn: String,
    /// The lots suspended; empty: every lot of the NSN.
    pub lots: Vec<String>,
    pub from: NaiveDate,
    pub reason: String,
    pub recorded_at: String,
    pub recorded_by: String,
    /// The lift's ledger entry and the date it applies from.
    pub lifted: Option<(i64, NaiveDate)>,
}

impl Suspension {
    /// In force on `date`: from its date on, and before its lift's.
    pub fn in_force(&self, date: NaiveDate) -> bool {
        self.from <= date && self.lifted.is_none_or(|(_, to)| date < to)
    }

    pub fn covers_lot(&self, lot: &str) -> bool {
        self.lots.is_empty() || self.lots.iter().any(|l| l == lot)
    }

    /// The days it is in force: [from, lift).
    pub fn span(&self) -> (NaiveDate, Option<NaiveDate>) {
        (self.from, self.lifted.map(|l| l.1))
    }
}

/// Every suspension recorded, with its lift, oldest first.
pub fn all(conn: &Db) -> db::Result<Vec<Suspension>> {
    let entries: Vec<(i64, String, String, String)> = conn.rows(
        "SELECT id, content, imported_at, os_user FROM import_ledger WHERE file_name = ?1 ORDER BY id",
        &[&LEDGER_NAME],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let mut out: Vec<Suspension> = Vec::new();
    for (id, content, at, user) in entries {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&content) else {
            continue;
        };
        let date = |v: &serde_json::Value| v.as_str().and_then(|d| parse_date(d, None).ok());
        if let Some(s) = v.get("suspend") {
            let (Some(nsn), Some(from)) = (s["nsn"].as_str(), date(&s["from"])) else {
                continue;
            };
            out.push(Suspension {
                id,
                nsn: nsn.to_string(),
                lots: s["lots"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|l| l.as_str().map(String::from))
                    .collect(),
                from,
                reason: s["reason"].as_str().unwrap_or("").to_string(),
                recorded_at: at,
                recorded_by: user,
                lifted: None,
            });
        } else if let Some(l) = v.get("lift") {
            let (Some(target), Some(from)) = (l["suspension"].as_i64(), date(&l["from"])) else {
                continue;
            };
            if let Some(s) = out.iter_mut().find(|s| s.id == target) {
                s.lifted = Some((id, from));
            }
        }
    }
    Ok(out)
}

/// What the suspensions apply to, in type ids (an NSN names a type): each
/// (type id, lot or every lot, from, until).
#[derive(Debug, Clone, Default)]
pub struct Targets {
    pub rules: Vec<Target>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub type_id: i64,
    /// None: every lot of the type.
    pub lot: Option<String>,
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
    /// The suspension's ledger entry.
    pub id: i64,
}

impl Targets {
    pub fn load(conn: &Db) -> db::Result<Targets> {
        let list = all(conn)?;
        if list.is_empty() {
            return Ok(Targets::default());
        }
        let types: Vec<(i64, Option<String>)> = conn.rows(
            "SELECT id, nsn FROM equipment_type WHERE nsn IS NOT NULL",
            &[],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let mut rules = Vec::new();
        for s in &list {
            for (type_id, _) in types.iter().filter(|(_, n)| n.as_deref() == Some(&s.nsn)) {
                let (from, until) = s.span();
                if s.lots.is_empty() {
                    rules.push(Target {
                        type_id: *type_id,
                        lot: None,
                        from,
                        until,
                        id: s.id,
                    });
                }
                for lot in &s.lots {
                    rules.push(Target {
                        type_id: *type_id,
                        lot: Some(lot.clone()),
                        from,
                        until,
                        id: s.id,
                    });
                }
            }
        }
        Ok(Targets { rules })
    }

    /// Those in force on `date`.
    pub fn on(&self, date: NaiveDate) -> Targets {
        Targets {
            rules: self
                .rules
                .iter()
                .filter(|t| t.from <= date && t.until.is_none_or(|u| date < u))
                .cloned()
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules that apply to a lot of this type, whenever in force.
    pub fn of(&self, type_id: i64, lot: &str) -> impl Iterator<Item = &Target> {
        self.rules
            .iter()
            .filter(move |t| t.type_id == type_id && t.lot.as_deref().is_none_or(|l| l == lot))
    }

    /// The notices among `all` whose rules here name this lot, oldest
    /// first.
    pub fn notices_of<'a>(
        &self,
        type_id: i64,
        lot: &str,
        all: &'a [Suspension],
    ) -> Vec<&'a Suspension> {
        all.iter()
            .filter(|n| self.of(type_id, lot).any(|t| t.id == n.id))
            .collect()
    }

    /// The type ids any rule names, sorted.
    pub fn type_ids(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self.rules.iter().map(|t| t.type_id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// `susp(type_id, lot)` as a SQL common table of the rules, for a
    /// query's `WITH`: type ids spliced (row ids the database gave), lots
    /// bound. `lot` NULL stands for every lot.
    pub fn sql(&self, params: &mut Vec<db::Owned>) -> String {
        let rows: Vec<String> = self
            .rules
            .iter()
            .map(|t| match &t.lot {
                Some(l) => {
                    params.push(db::Owned::Text(l.clone()));
                    format!("({}, CAST(?{} AS TEXT))", t.type_id, params.len())
                }
                None => format!("({}, CAST(NULL AS TEXT))", t.type_id),
            })
            .collect();
        format!("susp(type_id, lot) AS (VALUES {})", rows.join(", "))
    }
}

/// Why a lot counts as suspended, in the words every command prints: its
/// suspended code, then each notice ("suspension 3 from 2026-11-15: …").
pub fn why(code: Option<ConditionCode>, notices: &[&Suspension]) -> String {
    let code = code.filter(|c| c.is_suspended());
    code.iter()
        .map(|c| format!("condition code {c}"))
        .chain(
            notices
                .iter()
                .map(|n| format!("suspension {} from {}: {}", n.id, iso(n.from), n.reason)),
        )
        .collect::<Vec<_>>()
        .join("; ")
}

/// Records a suspension: one ledger entry, chained. Returns its id.
pub fn record(conn: &Db, nsn: &Nsn, lots: &[String], from: NaiveDate, reason: &str) -> Result<i64> {
    let content = json!({
        "suspend": {
            "nsn": nsn.as_str(),
            "lots": lots,
            "from": iso(from),
            "reason": reason,
        }
    })
    .to_string();
    write_entry(conn, LEDGER_NAME, &content)
}

/// Lifts suspension `id` from `from` on. Returns the lift's ledger entry.
pub fn lift(conn: &Db, id: i64, from: NaiveDate) -> Result<i64> {
    let list = all(conn)?;
    let Some(s) = list.iter().find(|s| s.id == id) else {
        let known: Vec<String> = list
            .iter()
            .filter(|s| s.lifted.is_none())
            .map(|s| format!("{} ({})", s.id, s.nsn))
            .collect();
        return Err(Error::Usage(format!(
            "--lift {id}: no suspension has that id ({}; `stockpile suspensions` lists them)",
            if known.is_empty() {
                "none is in force".to_string()
            } else {
                format!("in force: {}", known.join(", "))
            }
        )));
    };
    if let Some((lift, date)) = s.lifted {
        return Err(Error::Usage(format!(
            "--lift {id}: suspension {id} ({}) was lifted from {} already (ledger entry {lift})",
            s.nsn,
            iso(date)
        )));
    }
    if from < s.from {
        return Err(Error::Usage(format!(
            "--from {}: suspension {id} ({}) applies from {}; it cannot be lifted before it began",
            iso(from),
            s.nsn,
            iso(s.from)
        )));
    }
    let content = json!({ "lift": { "suspension": id, "from": iso(from) } }).to_string();
    write_entry(conn, LEDGER_NAME, &content)
}

/// Writes one entry of the ledger that is not an import (a suspension, a
/// lift, a policy), chained like every import. Returns its id.
pub fn write_entry(conn: &Db, name: &str, content: &str) -> Result<i64> {
    use sha2::{Digest, Sha256};
    let tx = conn.begin_write()?;
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let sha = hex::encode(Sha256::digest(content.as_bytes()));
    let id =
        crate::import::store::open_ledger_entry(&tx, name, &sha, &at, &crate::import::os_user())?;
    crate::import::store::seal_ledger_entry(&tx, id, content)?;
    tx.commit()?;
    Ok(id)
}
