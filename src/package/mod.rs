//! Force packages (SPEC §7): a TOML file of lines, each a quantity of
//! interchangeable types, and the allocation of holdings that answers
//! whether the stockpile can issue it within a window — from which depots,
//! whose items, how soon, and why a line is short.

pub mod allocate;
pub mod file;
mod flow;
mod items;
pub mod movement;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::NaiveDate;

use crate::db::{self, Db};
use crate::error::{Error, Result};
use crate::known;
use crate::model::{MAX_NOTICE_HOURS, Status};
use crate::output::group_thousands;
use crate::state::{self, Filters, Held};
use allocate::{Demand, Supply, Timing, allocate_to, best_lines, closure, losses, max_fill};
use file::Package;
pub use items::Item;
use movement::{Leg, LegKind, Movement};

/// What `package check` is asked beyond the files.
/// The times of the time-phased view when none are given (SPEC §11).
pub const DEFAULT_PHASES: [u32; 6] = [12, 24, 48, 72, 96, 168];

#[derive(Debug, Clone)]
pub struct Options {
    /// Overrides each file's window.
    pub within: Option<u32>,
    pub as_of: Option<NaiveDate>,
    /// Which snapshots to read, when not those in force on `as_of`
    /// (`changes --packages` reads each depot's previous one).
    pub on: Option<state::On>,
    /// The date the current state is judged on (when `as_of` is None).
    pub today: NaiveDate,
    /// Only holdings of these depots and owners (national release).
    pub depots: Vec<String>,
    pub owners: Vec<String>,
    /// Depots left out: lost, cut off or withheld.
    pub without: Vec<String>,
    /// A type within a small edit of a known one is taken as meant, not
    /// refused as a typo.
    pub allow_unknown_types: bool,
    /// Each file against the whole stockpile, rather than by priority.
    pub separately: bool,
    /// A destination and the movement file timing the way there: override
    /// the package's own `to` and `movement`.
    pub to: Option<String>,
    pub movement: Option<std::path::PathBuf>,
    /// Times (hours) of the time-phased view; empty: none.
    pub phases: Vec<u32>,
    /// How long the search for the fewest depots may run.
    pub search_time: Duration,
    /// Data older than this many days before the date is stale.
    pub stale_days: i64,
    /// The readiness policy: whether PMC equipment may be issued.
    pub rules: crate::policy::Rules,
}

impl Options {
    pub fn new(today: NaiveDate) -> Options {
        Options {
            within: None,
            as_of: None,
            on: None,
            today,
            depots: Vec::new(),
            owners: Vec::new(),
            without: Vec::new(),
            allow_unknown_types: false,
            separately: false,
            to: None,
            movement: None,
            phases: Vec::new(),
            search_time: allocate::SEARCH_TIME,
            stale_days: 14,
            rules: crate::policy::Rules::default(),
        }
    }

    /// The date the figures are about.
    pub fn date(&self) -> NaiveDate {
        self.as_of.unwrap_or(self.today)
    }

    /// The snapshots the figures stand on.
    pub fn on(&self) -> state::On {
        self.on.unwrap_or(match self.as_of {
            Some(d) => state::On::Date(d),
            None => state::On::Latest,
        })
    }
}

/// Units drawn from one depot's holdings of one type, owner, status and
/// notice.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub depot: String,
    pub type_code: String,
    pub owner: Option<String>,
    pub status: Status,
    /// Rounds of a lot, or equipment items.
    pub ammo: bool,
    pub quantity: i64,
    pub notice_hours: u32,
    /// The serials and lots to draw: the hand receipt.
    pub items: Vec<Item>,
    /// To a destination: when it leaves, arrives, and by what leg.
    pub way: Option<Way>,
}

/// A source's way to the destination (SPEC §11), in hours from the order
/// to move.
#[derive(Debug, Clone, PartialEq)]
pub struct Way {
    pub leaves_hours: f64,
    pub arrives_hours: f64,
    pub leg_hours: f64,
    pub leg: LegKind,
    pub by: Option<String>,
}

/// Why a line is short, counted from the units of its types no line drew
/// (they may exceed the shortfall: they say what could close it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shortfall {
    /// Held but not mission capable.
    pub nmc: i64,
    /// Lots suspended (by condition code, or force-wide: SPEC §12).
    pub suspended: i64,
    /// Lots expired by the day of issue.
    pub expired: i64,
    /// Mission capable, with no notice to move set.
    pub no_notice: i64,
    /// Mission capable, with a notice longer than the window.
    pub beyond_window: i64,
    /// Mission capable in time, but drawn by other lines (or, by
    /// priority, by packages checked before this one).
    pub elsewhere: i64,
    /// To a destination: ready in time at the gate, but arriving after the
    /// window (the depot's rate, the leg, or no way there at all).
    pub arrives_late: i64,
    /// What remains of the shortfall after the above.
    pub not_held: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LineResult {
    pub name: String,
    pub needed: i64,
    pub allocated: i64,
    pub sources: Vec<Source>,
    pub short: Option<Shortfall>,
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

    pub fn complete(&self) -> bool {
        self.allocated >= self.needed
    }

    /// The longest notice among its sources: when the line is ready.
    pub fn notice_hours(&self) -> Option<u32> {
        self.sources.iter().map(|s| s.notice_hours).max()
    }

    /// To a destination: when its last item arrives, in whole hours.
    pub fn arrival_hours(&self) -> Option<u32> {
        self.sources
            .iter()
            .filter_map(|s| s.way.as_ref())
            .map(|w| hours_up(w.arrives_hours))
            .max()
    }
}

/// Who must agree to release what is drawn: per owner nation, items and
/// rounds apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub owner: Option<String>,
    pub items: i64,
    pub rounds: i64,
}

/// The snapshots a verdict stands on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DataAsOf {
    pub oldest: Option<NaiveDate>,
    pub newest: Option<NaiveDate>,
    /// Each depot drawn from (or, when none was, each depot holding the
    /// package's types), with its snapshot's date.
    pub depots: Vec<(String, NaiveDate)>,
}

/// A package checked against the stockpile.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub name: String,
    pub file: String,
    /// The date the figures are about.
    pub date: NaiveDate,
    pub within_hours: u32,
    pub lines: Vec<LineResult>,
    /// The smallest notice at which the best fill within the window is
    /// reached.
    pub best_fill_hours: Option<u32>,
    /// The smallest notice at which the package is complete, beyond the
    /// window too.
    pub complete_hours: Option<u32>,
    /// Whether the fewest depots, pairs and types were proven.
    pub depots_exact: bool,
    /// Whether, among every set of that many depots, the fewest pairs and
    /// types were proven too.
    pub ties_exact: bool,
    pub data_as_of: DataAsOf,
    pub stale_days: i64,
    /// Types the database has never seen (they may be held nowhere yet),
    /// depots with no place in the movement file.
    pub warnings: Vec<String>,
    /// The destination the times are by arrival at (SPEC §11).
    pub destination: Option<String>,
    /// The time-phased view: per time, the best of each line by then.
    pub phases: Vec<(u32, Vec<i64>)>,
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
        self.lines.iter().all(LineResult::complete)
    }

    /// The package's fill from what each line has (the weakest line's).
    pub fn fill_of(&self, per_line: &[i64]) -> f64 {
        self.lines
            .iter()
            .zip(per_line)
            .map(|(l, &x)| {
                if l.needed > 0 {
                    x as f64 / l.needed as f64
                } else {
                    1.0
                }
            })
            .fold(1.0, f64::min)
    }

    pub fn lines_complete(&self) -> usize {
        self.lines.iter().filter(|l| l.complete()).count()
    }

    /// The line with the lowest fill (the first of equals), when any line
    /// is short.
    pub fn limiting_line(&self) -> Option<&LineResult> {
        self.lines
            .iter()
            .filter(|l| !l.complete())
            .min_by(|a, b| a.fill_rate().total_cmp(&b.fill_rate()))
    }

    /// Ready within the window: only a complete package ever is.
    pub fn ready_within_hours(&self) -> Option<u32> {
        self.best_fill_hours.filter(|_| self.complete())
    }

    /// Each owner nation whose items are drawn, with what.
    pub fn release(&self) -> Vec<Release> {
        let mut by_owner: BTreeMap<Option<String>, (i64, i64)> = BTreeMap::new();
        for s in self.lines.iter().flat_map(|l| &l.sources) {
            let e = by_owner.entry(s.owner.clone()).or_default();
            if s.ammo {
                e.1 += s.quantity;
            } else {
                e.0 += s.quantity;
            }
        }
        by_owner
            .into_iter()
            .map(|(owner, (items, rounds))| Release {
                owner,
                items,
                rounds,
            })
            .collect()
    }

    /// Days between the oldest snapshot the verdict stands on and its date,
    /// when more than the stale window.
    pub fn stale(&self) -> Option<i64> {
        let oldest = self.data_as_of.oldest?;
        let age = (self.date - oldest).num_days();
        (age > self.stale_days).then_some(age)
    }

    /// One line a planner can read aloud: `complete within 48 h`, or
    /// `at most 80 % within 72 h: short 400 × 155 mm HE; complete at 96 h`.
    pub fn verdict(&self) -> String {
        // To a destination, everything is by arrival there.
        let (complete, at) = match &self.destination {
            Some(d) => ("closes on", format!(" at {d}")),
            None => ("complete", String::new()),
        };
        if let Some(ready) = self.ready_within_hours() {
            return match &self.destination {
                Some(d) => format!(
                    "{complete} {d} within {ready} h (window {} h)",
                    self.within_hours
                ),
                None if ready < self.within_hours => {
                    format!("complete within {ready} h (window {} h)", self.within_hours)
                }
                None => format!("complete within {ready} h"),
            };
        }
        let short: Vec<String> = self
            .lines
            .iter()
            .filter(|l| l.shortfall() > 0)
            .map(|l| format!("{} × {}", group_thousands(l.shortfall()), l.name))
            .collect();
        let later = match (self.complete_hours, &self.destination) {
            (Some(h), Some(_)) => format!("; closes at {h} h"),
            (Some(h), None) => format!("; complete at {h} h"),
            (None, _) => "; never complete from mission-capable holdings".into(),
        };
        format!(
            "at most {} %{at} within {} h: short {}{later}",
            percent(self.fill_rate()),
            self.within_hours,
            short.join(", ")
        )
    }

    /// The total a table prints instead of adding different lines' units:
    /// "3 of 6 lines complete; limiting: Main battle tanks 0 of 85".
    pub fn lines_summary(&self) -> String {
        let mut text = format!(
            "{} of {} lines complete",
            self.lines_complete(),
            self.lines.len()
        );
        if let Some(l) = self.limiting_line() {
            text.push_str(&format!(
                "; limiting: {} {} of {}",
                l.name,
                group_thousands(l.allocated),
                group_thousands(l.needed)
            ));
        }
        text
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

/// The day a package drawn within `within` hours is issued: the date its
/// figures are about plus the window in whole days, rounded up. A lot must
/// not have expired by then (SPEC §7).
pub fn day_of_issue(date: NaiveDate, within: u32) -> NaiveDate {
    date + chrono::Days::new(u64::from(within.div_ceil(24)))
}

/// Checks each package's types against the database: a type never seen is
/// a warning (it may be held nowhere yet), unless it is within a small
/// edit of a known one — then it is most likely a typo, refused with the
/// suggestion; a category guard broken is an error at the type's line.
fn check_types(conn: &Db, package: &Package, options: &Options) -> Result<Vec<String>> {
    let known = type_categories(conn)?;
    let mut warnings = Vec::new();
    for line in &package.lines {
        for (code, at) in &line.types {
            match known.get(code.as_str()) {
                None => {
                    let near = known::nearest(code.as_str(), known.keys().map(String::as_str))
                        .filter(|k| known::looks_like_typo(code.as_str(), k));
                    match near {
                        Some(meant) if !options.allow_unknown_types => {
                            return Err(Error::Package {
                                file: package.file.clone(),
                                line: *at,
                                message: format!(
                                    "line \"{}\": type {code} is not in the database; did you mean {meant}? (give --allow-unknown-types if {code} is a type held nowhere yet)",
                                    line.name
                                ),
                            });
                        }
                        _ => warnings.push(format!(
                            "{}:{at}: line \"{}\": type {code} is not in the database (held nowhere yet?)",
                            package.file, line.name
                        )),
                    }
                }
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
    Ok(warnings)
}

/// The category of every type the database knows (None: not yet named).
fn type_categories(conn: &Db) -> db::Result<HashMap<String, Option<String>>> {
    Ok(conn
        .rows("SELECT code, category FROM equipment_type", &[], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .into_iter()
        .collect())
}

/// Checks one package against the whole stockpile.
pub fn evaluate(conn: &Db, package: &Package, options: &Options) -> Result<Evaluation> {
    let mut all = evaluate_all(conn, std::slice::from_ref(package), options)?;
    Ok(all.remove(0))
}

/// Checks packages by priority: the first draws on the whole stockpile,
/// each next one on what the ones before it left (or each on the whole
/// stockpile, with `options.separately`).
pub fn evaluate_all(conn: &Db, packages: &[Package], options: &Options) -> Result<Vec<Evaluation>> {
    let mut warnings = Vec::new();
    for p in packages {
        warnings.push(check_types(conn, p, options)?);
    }
    let mut types: Vec<String> = packages.iter().flat_map(Package::type_codes).collect();
    types.sort();
    types.dedup();
    let filters = Filters {
        depots: options.depots.clone(),
        types,
        categories: Vec::new(),
        owners: options.owners.clone(),
    };
    let mut held = state::held(conn, &filters, options.on(), options.date())?;
    held.retain(|h| !options.without.contains(&h.depot));
    apply_policy(&mut held, options.rules);
    let snapshots = snapshot_dates(conn, options.on())?;
    let picker_dates = (options.on() != state::On::Latest).then(|| snapshots.clone());
    let suspensions = crate::suspension::Targets::load(conn)?.on(options.date());
    let new_picker = || {
        items::Picker::new(
            conn,
            picker_dates.clone(),
            &filters.owners,
            &filters.types,
            suspensions.clone(),
        )
    };
    let mut picker = new_picker();
    let mut left: Vec<i64> = held.iter().map(|h| h.quantity).collect();
    let mut out = Vec::new();
    for (package, warnings) in packages.iter().zip(warnings) {
        let quantities = if options.separately {
            // The whole stockpile again, items and all.
            picker = new_picker();
            held.iter().map(|h| h.quantity).collect()
        } else {
            left.clone()
        };
        let (evaluation, drawn) = check(
            package,
            options,
            &held,
            &quantities,
            &snapshots,
            &mut picker,
        )?;
        if !options.separately {
            for (i, q) in drawn {
                left[i] -= q;
            }
        }
        let mut all = warnings;
        all.extend(evaluation.warnings.iter().cloned());
        out.push(Evaluation {
            warnings: all,
            ..evaluation
        });
    }
    Ok(out)
}

/// Each depot's snapshot in the state read.
fn snapshot_dates(conn: &Db, on: state::On) -> db::Result<HashMap<String, NaiveDate>> {
    let mut params = Vec::new();
    let effective = state::effective(on, &mut params);
    Ok(conn
        .rows(
            &format!(
                "SELECT d.code, e.as_of FROM ({effective}) e JOIN depot d ON d.id = e.depot_id"
            ),
            &db::refs(&params),
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?
        .into_iter()
        .collect())
}

/// Under a policy that does not count PMC as mission capable (SPEC §13),
/// PMC equipment is held but not issuable: it is judged as not mission
/// capable throughout (never drawn; a shortfall counts it as held but not
/// MC). Rounds are judged by their condition code, not by the policy.
fn apply_policy(held: &mut [Held], rules: crate::policy::Rules) {
    if rules.pmc_is_mission_capable {
        return;
    }
    for h in held
        .iter_mut()
        .filter(|h| !h.ammo && h.status == Status::Pmc)
    {
        h.status = Status::Nmcm;
    }
}

/// Whether a holding group can serve with a notice of at most `hours`,
/// its lots judged on the day of issue `judge` hours after the date.
fn eligible(h: &Held, hours: u32, judge: u32, date: NaiveDate) -> bool {
    let issue = day_of_issue(date, judge);
    matches!(h.status, Status::Fmc | Status::Pmc)
        && h.notice_hours.is_some_and(|n| n <= hours)
        && !(h.ammo && h.expires.is_some_and(|e| e < issue))
}

/// The way from each depot to a package's destination, as the allocator
/// reads it; the depots that hold what it needs but have no place in the
/// movement file are warned about once.
fn timing(
    movement: &Movement,
    destination: &str,
    held: &[Held],
    wanted: &dyn Fn(&Held) -> bool,
    warnings: &mut Vec<String>,
) -> Result<(Timing, HashMap<String, Leg>)> {
    let mut timing = Timing::default();
    let mut legs = HashMap::new();
    let mut unplaced: Vec<&str> = Vec::new();
    for h in held.iter().filter(|h| wanted(h)) {
        if legs.contains_key(&h.depot) || unplaced.contains(&h.depot.as_str()) {
            continue;
        }
        match movement.leg(&h.depot, destination)? {
            Some(leg) => {
                timing
                    .depots
                    .insert(h.depot.clone(), (leg.hours, movement.rate(&h.depot)));
                legs.insert(h.depot.clone(), leg);
            }
            None => unplaced.push(&h.depot),
        }
    }
    for depot in unplaced {
        warnings.push(format!(
            "{depot} holds what the package needs but has no place in {}: it cannot send anything to {destination}",
            movement.file
        ));
    }
    Ok((timing, legs))
}

/// When each drawn group leaves its depot: a depot with an issue rate
/// hands its items over one after another in notice order (lines in file
/// order within a notice), each taking 24 / rate hours and none before its
/// notice; bulk lots, and depots without a rate, at their notice. Keyed by
/// (line, supply index).
fn departures(
    taken: &[Vec<(usize, i64)>],
    supplies: &[Supply],
    timing: &Timing,
) -> HashMap<(usize, usize), f64> {
    let mut queues: HashMap<&str, Vec<(u32, usize, usize, i64)>> = HashMap::new();
    let mut out = HashMap::new();
    for (l, t) in taken.iter().enumerate() {
        for &(s, q) in t {
            let sup = &supplies[s];
            match timing.depots.get(&sup.depot) {
                Some(&(_, Some(_))) if !sup.bulk => {
                    queues
                        .entry(&sup.depot)
                        .or_default()
                        .push((sup.notice_hours, l, s, q))
                }
                _ => {
                    out.insert((l, s), f64::from(sup.notice_hours));
                }
            }
        }
    }
    for (depot, mut queue) in queues {
        let Some(&(_, Some(rate))) = timing.depots.get(depot) else {
            continue;
        };
        queue.sort_unstable();
        let step = 24.0 / f64::from(rate);
        let mut t = 0.0f64;
        for (notice, l, s, q) in queue {
            t = t.max(f64::from(notice)) + q as f64 * step;
            out.insert((l, s), t);
        }
    }
    out
}

/// Whole hours, rounded up (SPEC §11).
pub fn hours_up(h: f64) -> u32 {
    (h - 1e-9).ceil().max(0.0) as u32
}

/// One package against holdings with `quantities` left: its evaluation,
/// and what it drew from each holding group.
fn check(
    package: &Package,
    options: &Options,
    held: &[Held],
    quantities: &[i64],
    snapshots: &HashMap<String, NaiveDate>,
    picker: &mut items::Picker,
) -> Result<(Evaluation, Vec<(usize, i64)>)> {
    let within = options
        .within
        .or(package.within)
        .unwrap_or(MAX_NOTICE_HOURS);
    let date = options.date();
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
    let wanted = |h: &Held| demands.iter().any(|d| d.types.contains(&h.type_code));
    let mut warnings = Vec::new();
    // To a destination: the way there from each depot, and its rate.
    let destination = options.to.clone().or_else(|| package.to.clone());
    let route = match &destination {
        None => None,
        Some(dest) => {
            let path = options
                .movement
                .clone()
                .or_else(|| package.movement.clone())
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "{}: a destination ({dest}) needs a movement file (--movement FILE, or movement = \"FILE\" in the package)",
                        package.file
                    ))
                })?;
            let movement = movement::load(&path)?;
            movement.check_destination(dest)?;
            Some(timing(&movement, dest, held, &wanted, &mut warnings)?)
        }
    };
    let timing = route.as_ref().map(|r| &r.0);
    // The supplies with a notice of at most `hours`, lots judged on the
    // day of issue `judge` hours on, each a holding group's quantity left.
    let supplies_judged = |hours: u32, judge: u32| -> (Vec<Supply>, Vec<usize>) {
        let mut supplies = Vec::new();
        let mut group = Vec::new();
        for (i, h) in held.iter().enumerate() {
            if quantities[i] > 0 && wanted(h) && eligible(h, hours, judge, date) {
                supplies.push(Supply {
                    depot: h.depot.clone(),
                    type_code: h.type_code.clone(),
                    notice_hours: h.notice_hours.unwrap_or(0),
                    pmc: h.status == Status::Pmc,
                    priority: h.priority,
                    bulk: h.ammo,
                    quantity: quantities[i],
                });
                group.push(i);
            }
        }
        (supplies, group)
    };
    // Beyond the window a lot is judged on its own, later, day of issue.
    let supplies_at = |hours: u32| supplies_judged(hours, hours.max(within));
    // To a destination every notice may arrive in time; lots are judged
    // on the window's day of issue.
    let anything = || supplies_judged(MAX_NOTICE_HOURS, within).0;
    let (supplies, group) = supplies_at(within);
    let allocation = allocate_to(&demands, &supplies, timing, within, options.search_time);
    let leaves = timing.map(|t| departures(&allocation.taken, &supplies, t));

    // What each line draws, group by group, then item by item.
    let mut drawn: Vec<(usize, i64)> = Vec::new();
    let mut lines = Vec::new();
    for (l, line) in package.lines.iter().enumerate() {
        let mut sources = Vec::new();
        for &(s, q) in &allocation.taken[l] {
            let h = &held[group[s]];
            drawn.push((group[s], q));
            let way = match (&leaves, &route) {
                (Some(leaves), Some((_, legs))) => {
                    let leg = &legs[&h.depot];
                    let left = leaves.get(&(l, s)).copied().unwrap_or(0.0);
                    Some(Way {
                        leaves_hours: left,
                        arrives_hours: left + leg.hours,
                        leg_hours: leg.hours,
                        leg: leg.kind,
                        by: leg.by.clone(),
                    })
                }
                _ => None,
            };
            for (owner, items) in picker.pick(h, q)? {
                sources.push(Source {
                    depot: h.depot.clone(),
                    type_code: h.type_code.clone(),
                    owner,
                    status: h.status,
                    ammo: h.ammo,
                    quantity: items.iter().map(|i| i.quantity).sum(),
                    notice_hours: h.notice_hours.unwrap_or(0),
                    items,
                    way: way.clone(),
                });
            }
        }
        sources.sort_by(|a, b| {
            (a.notice_hours, &a.depot, &a.type_code, &a.owner, a.status).cmp(&(
                b.notice_hours,
                &b.depot,
                &b.type_code,
                &b.owner,
                b.status,
            ))
        });
        lines.push(LineResult {
            name: line.name.clone(),
            needed: line.needed,
            allocated: allocation.taken[l].iter().map(|t| t.1).sum(),
            sources,
            short: None,
        });
    }
    shortfalls(&mut lines, &demands, held, quantities, &drawn, within, date);

    // Complete at some notice (or, to a destination, some hour of
    // arrival) beyond the window: the first at which what is left fills
    // every line (lots judged on each one's own day of issue, so a later
    // notice can lose what an earlier had).
    let needed: i64 = demands.iter().map(|d| d.needed.max(0)).sum();
    let complete_hours = if allocation.filled == needed {
        allocation.best_fill_hours
    } else if let Some(timing) = timing {
        closure(&demands, &anything(), timing)
    } else {
        let mut later: Vec<u32> = held
            .iter()
            .filter_map(|h| h.notice_hours)
            .filter(|&n| n > within)
            .collect();
        later.sort_unstable();
        later.dedup();
        later
            .into_iter()
            .find(|&h| max_fill(&demands, &supplies_at(h).0, None, u32::MAX) == needed)
    };
    // The time-phased view: the best of each line by each time.
    let phases = options
        .phases
        .iter()
        .map(|&p| {
            let lines = match timing {
                Some(t) => best_lines(&demands, &anything(), Some(t), p),
                None => best_lines(&demands, &supplies_at(p).0, None, u32::MAX),
            };
            (p, lines)
        })
        .collect();

    // What the verdict stands on: the snapshots of the depots drawn from,
    // or of every depot holding the package's types when none was.
    let mut depots: Vec<&str> = lines
        .iter()
        .flat_map(|l| l.sources.iter().map(|s| s.depot.as_str()))
        .collect();
    if depots.is_empty() {
        depots = held
            .iter()
            .filter(|h| wanted(h))
            .map(|h| h.depot.as_str())
            .collect();
    }
    depots.sort_unstable();
    depots.dedup();
    let depot_dates: Vec<(String, NaiveDate)> = depots
        .iter()
        .filter_map(|d| snapshots.get(*d).map(|s| (d.to_string(), *s)))
        .collect();
    let data_as_of = DataAsOf {
        oldest: depot_dates.iter().map(|d| d.1).min(),
        newest: depot_dates.iter().map(|d| d.1).max(),
        depots: depot_dates,
    };
    Ok((
        Evaluation {
            name: package.name.clone(),
            file: package.file.clone(),
            date,
            within_hours: within,
            lines,
            best_fill_hours: allocation.best_fill_hours,
            complete_hours,
            depots_exact: allocation.exact,
            ties_exact: allocation.ties_exact,
            data_as_of,
            stale_days: options.stale_days,
            warnings,
            destination,
            phases,
        },
        drawn,
    ))
}

/// Why each short line is short, from the units of its types in scope.
fn shortfalls(
    lines: &mut [LineResult],
    demands: &[Demand],
    held: &[Held],
    left: &[i64],
    drawn: &[(usize, i64)],
    within: u32,
    date: NaiveDate,
) {
    let issue = day_of_issue(date, within);
    for l in 0..lines.len() {
        let shortfall = lines[l].shortfall();
        if shortfall <= 0 {
            continue;
        }
        let mine = |t: &str| demands[l].types.iter().any(|x| x == t);
        let mut s = Shortfall::default();
        for (i, h) in held.iter().enumerate().filter(|(_, h)| mine(&h.type_code)) {
            let expired = h.ammo && h.expires.is_some_and(|e| e < issue);
            let q = h.quantity;
            match (h.status, h.notice_hours) {
                _ if h.suspended => s.suspended += q,
                _ if expired => s.expired += q,
                (Status::Nmcm | Status::Nmcs, _) => s.nmc += q,
                (_, None) => s.no_notice += q,
                (_, Some(n)) if n > within => s.beyond_window += q,
                // In time: what earlier packages took from it, and (to a
                // destination) what this one left because it would arrive
                // too late.
                _ => {
                    s.elsewhere += q - left[i];
                    let taken: i64 = drawn.iter().filter(|d| d.0 == i).map(|d| d.1).sum();
                    s.arrives_late += left[i] - taken;
                }
            }
        }
        // In time and drawn by the package's other lines.
        s.elsewhere += lines
            .iter()
            .enumerate()
            .filter(|(k, _)| *k != l)
            .flat_map(|(_, other)| &other.sources)
            .filter(|src| mine(&src.type_code))
            .map(|src| src.quantity)
            .sum::<i64>();
        s.not_held = (shortfall
            - s.nmc
            - s.suspended
            - s.expired
            - s.no_notice
            - s.beyond_window
            - s.elsewhere)
            .max(0);
        lines[l].short = Some(s);
    }
}

/// Refuses a `--without` depot the database does not know.
pub fn check_without(conn: &Db, without: &[String]) -> Result<()> {
    if without.is_empty() {
        return Ok(());
    }
    let known = known::depots(conn)?;
    known::check_codes("depot", "--without", without, &known, "depots")?;
    Ok(())
}

/// The date a state's figures are about when it is each depot's previous
/// snapshot: the newest of the snapshots that are earlier than their
/// depot's compared one (a depot with one snapshot only does not move it).
pub fn state_date(conn: &Db, on: state::On) -> db::Result<Option<NaiveDate>> {
    let later = match on {
        state::On::Previous { as_of: Some(d), .. } => state::On::Date(d),
        _ => state::On::Latest,
    };
    let mut params = Vec::new();
    let earlier = state::effective(on, &mut params);
    let later = state::effective(later, &mut params);
    let before: Option<NaiveDate> = conn.value(
        &format!(
            "SELECT max(e.as_of) FROM ({earlier}) e JOIN ({later}) l ON l.depot_id = e.depot_id
             WHERE e.as_of < l.as_of"
        ),
        &db::refs(&params),
    )?;
    match before {
        Some(d) => Ok(Some(d)),
        None => {
            let mut params = Vec::new();
            let all = state::effective(on, &mut params);
            conn.value(
                &format!("SELECT max(as_of) FROM ({all}) e"),
                &db::refs(&params),
            )
        }
    }
}

/// A package whose fill or times changed between two states, and the lines
/// behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct Slip {
    pub from: Evaluation,
    pub to: Evaluation,
    /// (line index) of the lines whose allocation or notice changed.
    pub lines: Vec<usize>,
}

impl Slip {
    /// Worse now: less filled, or later (a time lost counts as later).
    pub fn worse(&self) -> bool {
        let late = |h: Option<u32>| h.map_or(u32::MAX, |h| h);
        self.to.fill_rate() < self.from.fill_rate()
            || late(self.to.ready_within_hours()) > late(self.from.ready_within_hours())
            || late(self.to.complete_hours) > late(self.from.complete_hours)
    }

    /// The changes behind it, in words: "155 mm SPH 6 → 0 of 6".
    pub fn because(&self) -> String {
        self.lines
            .iter()
            .map(|&l| {
                let (a, b) = (&self.from.lines[l], &self.to.lines[l]);
                let mut text = format!(
                    "{} {} → {} of {}",
                    b.name,
                    group_thousands(a.allocated),
                    group_thousands(b.allocated),
                    group_thousands(b.needed)
                );
                if a.notice_hours() != b.notice_hours() {
                    let h = |n: Option<u32>| n.map_or("–".into(), |h| format!("{h} h"));
                    text.push_str(&format!(
                        " (notice {} → {})",
                        h(a.notice_hours()),
                        h(b.notice_hours())
                    ));
                }
                text
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The packages (matched by file) whose fill or times differ between two
/// evaluations of the same files.
pub fn slips(from: &[Evaluation], to: &[Evaluation]) -> Vec<Slip> {
    let mut out = Vec::new();
    for b in to {
        let Some(a) = from.iter().find(|a| a.file == b.file) else {
            continue;
        };
        let times = |e: &Evaluation| (e.best_fill_hours, e.ready_within_hours(), e.complete_hours);
        if a.fill_rate() == b.fill_rate() && times(a) == times(b) && a.complete() == b.complete() {
            continue;
        }
        let lines = (0..b.lines.len().min(a.lines.len()))
            .filter(|&l| {
                a.lines[l].allocated != b.lines[l].allocated
                    || a.lines[l].notice_hours() != b.lines[l].notice_hours()
            })
            .collect();
        out.push(Slip {
            from: a.clone(),
            to: b.clone(),
            lines,
        });
    }
    out
}

/// What the loss of some depots does to a package.
#[derive(Debug, Clone, PartialEq)]
pub struct Loss {
    /// The depots lost (none: today).
    pub lost: Vec<String>,
    pub fill_rate: f64,
    pub complete: bool,
    /// When it completes at any notice (closes at the destination), if
    /// ever.
    pub complete_hours: Option<u32>,
}

/// Every depot whose holdings could serve the package, and the package's
/// fill and completion without each (or, with `pairs`, each two): a `none`
/// row first, for today. Fill and times only, no tie-break: which depots
/// would be drawn on does not change what the loss costs.
pub fn resilience(
    conn: &Db,
    package: &Package,
    options: &Options,
    pairs: bool,
) -> Result<(Vec<Loss>, Vec<String>)> {
    let mut warnings = check_types(conn, package, options)?;
    let filters = Filters {
        depots: options.depots.clone(),
        types: package.type_codes(),
        categories: Vec::new(),
        owners: options.owners.clone(),
    };
    let mut held = state::held(conn, &filters, options.on(), options.date())?;
    held.retain(|h| !options.without.contains(&h.depot));
    apply_policy(&mut held, options.rules);
    let within = options
        .within
        .or(package.within)
        .unwrap_or(MAX_NOTICE_HOURS);
    let date = options.date();
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
    let wanted = |h: &Held| demands.iter().any(|d| d.types.contains(&h.type_code));
    let destination = options.to.clone().or_else(|| package.to.clone());
    let timing = match &destination {
        None => None,
        Some(dest) => {
            let path = options
                .movement
                .clone()
                .or_else(|| package.movement.clone())
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "{}: a destination ({dest}) needs a movement file (--movement FILE, or movement = \"FILE\" in the package)",
                        package.file
                    ))
                })?;
            let movement = movement::load(&path)?;
            movement.check_destination(dest)?;
            Some(timing(&movement, dest, &held, &wanted, &mut warnings)?.0)
        }
    };
    let supply = |h: &Held| Supply {
        depot: h.depot.clone(),
        type_code: h.type_code.clone(),
        notice_hours: h.notice_hours.unwrap_or(0),
        pmc: h.status == Status::Pmc,
        priority: h.priority,
        bulk: h.ammo,
        quantity: h.quantity,
    };
    // Lots judged on the window's day of issue throughout.
    let at = |hours: u32| -> Vec<Supply> {
        held.iter()
            .filter(|h| wanted(h) && eligible(h, hours, within, date))
            .map(supply)
            .collect()
    };
    let mut depots: Vec<String> = held
        .iter()
        .filter(|h| wanted(h) && matches!(h.status, Status::Fmc | Status::Pmc))
        .map(|h| h.depot.clone())
        .collect();
    depots.sort();
    depots.dedup();
    let mut lost: Vec<Vec<String>> = vec![Vec::new()];
    for (i, a) in depots.iter().enumerate() {
        lost.push(vec![a.clone()]);
        if pairs {
            for b in &depots[i + 1..] {
                lost.push(vec![a.clone(), b.clone()]);
            }
        }
    }
    let results = losses(
        &demands,
        &at(within),
        &at(MAX_NOTICE_HOURS),
        timing.as_ref(),
        within,
        &lost,
    );
    let mut out: Vec<Loss> = lost
        .into_iter()
        .zip(results)
        .map(|(lost, (lines, complete_hours))| Loss {
            lost,
            fill_rate: demands
                .iter()
                .zip(&lines)
                .map(|(d, &x)| {
                    if d.needed > 0 {
                        x as f64 / d.needed as f64
                    } else {
                        1.0
                    }
                })
                .fold(1.0, f64::min),
            complete: demands.iter().zip(&lines).all(|(d, &x)| x >= d.needed),
            complete_hours,
        })
        .collect();
    // Worst first after today: the lowest fill, then the latest (never
    // the latest of all), then by name.
    let late = |l: &Loss| l.complete_hours.map_or(u32::MAX, |h| h);
    out[1..].sort_by(|a, b| {
        a.fill_rate
            .total_cmp(&b.fill_rate)
            .then(late(b).cmp(&late(a)))
            .then(a.lost.cmp(&b.lost))
    });
    Ok((out, warnings))
}
