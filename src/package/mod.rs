//! Force packages (SPEC §7): a TOML file of lines, each a quantity of
//! interchangeable types, and the allocation of holdings that answers
//! whether the stockpile can issue it within a window.

pub mod allocate;
pub mod file;

use std::collections::HashMap;

use crate::db::{self, Db};
use chrono::NaiveDate;

use crate::error::{Error, Result};
use crate::model::MAX_NOTICE_HOURS;
use crate::output::group_thousands;
use crate::state::{self, Filters};
use allocate::{Demand, Supply, allocate};
use file::Package;

/// What `package check` is asked beyond the file.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Overrides the file's window.
    pub within: Option<u32>,
    pub as_of: Option<NaiveDate>,
    /// The date the current state is judged on (when `as_of` is None).
    pub today: NaiveDate,
    /// Only holdings of these depots and owners (national release).
    pub depots: Vec<String>,
    pub owners: Vec<String>,
}

/// One holding group a line draws on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub depot: String,
    pub type_code: String,
    pub quantity: i64,
    pub notice_hours: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LineResult {
    pub name: String,
    pub needed: i64,
    pub allocated: i64,
    pub sources: Vec<Source>,
}

impl LineResult {
    pub fn shortfall(&self) -> i64 {
        self.needed - self.allocated
    }

    pub fn fill_rate(&self) -> f64 {
        if self.needed == 0 {
            1.0
        } else {
            self.allocated as f64 / self.needed as f64
        }
    }

    /// The longest notice among its sources: when the line is ready.
    pub fn notice_hours(&self) -> Option<u32> {
        self.sources.iter().map(|s| s.notice_hours).max()
    }
}

/// A package checked against the stockpile.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub name: String,
    pub file: String,
    pub within_hours: u32,
    pub lines: Vec<LineResult>,
    pub ready_within_hours: Option<u32>,
    /// Types the database has never seen (they may be held nowhere yet).
    pub warnings: Vec<String>,
}

impl Evaluation {
    pub fn needed(&self) -> i64 {
        self.lines.iter().map(|l| l.needed).sum()
    }

    pub fn allocated(&self) -> i64 {
        self.lines.iter().map(|l| l.allocated).sum()
    }

    /// The lowest line fill: a package is as ready as its weakest line.
    pub fn fill_rate(&self) -> f64 {
        self.lines
            .iter()
            .map(LineResult::fill_rate)
            .fold(1.0, f64::min)
    }

    pub fn complete(&self) -> bool {
        self.lines.iter().all(|l| l.allocated >= l.needed)
    }

    /// One line a planner can read aloud: `complete within 48 h`, or
    /// `at most 80 % within 72 h: short 400 × 155 mm HE`.
    pub fn verdict(&self) -> String {
        if self.complete() {
            let ready = self.ready_within_hours.unwrap_or(0);
            return if ready < self.within_hours {
                format!("complete within {ready} h (window {} h)", self.within_hours)
            } else {
                format!("complete within {ready} h")
            };
        }
        let short: Vec<String> = self
            .lines
            .iter()
            .filter(|l| l.shortfall() > 0)
            .map(|l| format!("{} × {}", group_thousands(l.shortfall()), l.name))
            .collect();
        format!(
            "at most {} % within {} h: short {}",
            percent(self.fill_rate()),
            self.within_hours,
            short.join(", ")
        )
    }
}

/// A fill as the tables show it (one decimal), except that an incomplete
/// package never reads "100 %".
fn percent(rate: f64) -> String {
    let tenths = ((rate * 1000.0).round() / 10.0).min(99.9);
    if tenths.fract() == 0.0 {
        format!("{tenths:.0}")
    } else {
        format!("{tenths:.1}")
    }
}

/// Checks the package's types against the database (an unknown type is a
/// warning, a category guard broken is an error at the type's line) and
/// allocates the mission-capable holdings within the window.
pub fn evaluate(conn: &Db, package: &Package, options: &Options) -> Result<Evaluation> {
    let known = type_categories(conn, &package.type_codes())?;
    let mut warnings = Vec::new();
    for line in &package.lines {
        for (code, at) in &line.types {
            match known.get(code.as_str()) {
                None => warnings.push(format!(
                    "{}:{at}: line \"{}\": type {code} is not in the database (held nowhere yet?)",
                    package.file, line.name
                )),
                Some(found) => {
                    if let (Some(guard), Some(cat)) = (line.category, found)
                        && cat != guard.as_str()
                    {
                        return Err(Error::Package {
                            file: package.file.clone(),
                            line: *at,
                            message: format!(
                                "line \"{}\": type {code} is of category {cat}, not {}",
                                line.name,
                                guard.as_str()
                            ),
                        });
                    }
                }
            }
        }
    }

    let within = options
        .within
        .or(package.within)
        .unwrap_or(MAX_NOTICE_HOURS);
    let filters = Filters {
        depots: options.depots.clone(),
        types: package.type_codes(),
        categories: Vec::new(),
        owners: options.owners.clone(),
    };
    let supplies = supplies(conn, &filters, options, within)?;
    let demands: Vec<Demand> = package
        .lines
        .iter()
        .map(|l| Demand {
            needed: l.needed,
            types: l
                .types
                .iter()
                .map(|(t, _)| t.as_str().to_string())
                .collect(),
        })
        .collect();
    let allocation = allocate(&demands, &supplies);
    let lines = package
        .lines
        .iter()
        .zip(&allocation.taken)
        .map(|(line, taken)| {
            let mut sources: Vec<Source> = taken
                .iter()
                .map(|&(s, quantity)| Source {
                    depot: supplies[s].depot.clone(),
                    type_code: supplies[s].type_code.clone(),
                    quantity,
                    notice_hours: supplies[s].notice_hours,
                })
                .collect();
            sources.sort_by(|a, b| {
                a.notice_hours
                    .cmp(&b.notice_hours)
                    .then(b.quantity.cmp(&a.quantity))
                    .then(a.depot.cmp(&b.depot))
                    .then(a.type_code.cmp(&b.type_code))
            });
            LineResult {
                name: line.name.clone(),
                needed: line.needed,
                allocated: sources.iter().map(|s| s.quantity).sum(),
                sources,
            }
        })
        .collect();
    Ok(Evaluation {
        name: package.name.clone(),
        file: package.file.clone(),
        within_hours: within,
        lines,
        ready_within_hours: allocation.ready_within_hours,
        warnings,
    })
}

/// Category of each of `codes` the database knows (None: category unknown).
fn type_categories(conn: &Db, codes: &[String]) -> db::Result<HashMap<String, Option<String>>> {
    let mut found = HashMap::new();
    for code in codes {
        if let Some(category) = conn.row(
            "SELECT category FROM equipment_type WHERE code = ?1",
            &[code],
            |r| r.get::<Option<String>>(0),
        )? {
            found.insert(code.clone(), category);
        }
    }
    Ok(found)
}

/// The day a package drawn within `within` hours is issued: the date its
/// figures are about plus the window in whole days, rounded up. A lot must
/// not have expired by then (SPEC §7).
pub fn day_of_issue(date: NaiveDate, within: u32) -> NaiveDate {
    date + chrono::Days::new(u64::from(within.div_ceil(24)))
}

/// Mission-capable holdings (FMC or PMC, not an expired lot) with a notice
/// within the window, summed by depot × type × notice.
fn supplies(
    conn: &Db,
    filters: &Filters,
    options: &Options,
    within: u32,
) -> db::Result<Vec<Supply>> {
    let issue = day_of_issue(options.as_of.unwrap_or(options.today), within);
    let mut supplies: Vec<Supply> = state::issuable(conn, filters, options.as_of, issue, within)?
        .into_iter()
        .filter(|&(_, _, _, quantity)| quantity > 0)
        .map(|(depot, type_code, notice_hours, quantity)| Supply {
            depot,
            type_code,
            notice_hours,
            quantity,
        })
        .collect();
    // A fixed order, so that equal-cost allocations come out the same on
    // every run.
    supplies.sort_by(|a, b| {
        (a.notice_hours, &a.depot, &a.type_code).cmp(&(b.notice_hours, &b.depot, &b.type_code))
    });
    Ok(supplies)
}
