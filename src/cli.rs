//! Command-line arguments: global options and one enum of commands. Doc
//! comments here are the `--help` text users read.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::output::Format;

const OVERVIEW: &str = "\
Workflow:
  1. stockpile import exports/*.csv          load depot exports (one transaction per file)
  2. stockpile requirements import req.csv   load authorised levels (optional)
  3. stockpile report --by depot             readiness: R-level, S-level, overall level
  4. stockpile deployable --within 48h       what can move within a window
  5. stockpile history                       the trend, per snapshot date
     stockpile rates --monthly               the period MC rate, month by month
     stockpile changes / watch / trace       what changed, what needs attention, where a figure came from
  6. stockpile package check force.toml      can this force be issued, from where, how fast

The database is ./stockpile.db unless --db PATH or STOCKPILE_DB says otherwise.
Every command has examples in its --help.";

/// Inventory database for prepositioned heavy-weapons stockpiles: import
/// depot CSV exports and ask how ready the stockpile is, where, of what, and
/// what can move within N hours.
#[derive(Debug, Parser)]
#[command(name = "stockpile", version, after_help = OVERVIEW)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    /// Without a command, the overview is printed.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Database file (created with its schema on first import), or a
    /// PostgreSQL server: postgresql://USER@HOST[:PORT]/DATABASE
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "STOCKPILE_DB",
        default_value = "stockpile.db",
        value_name = "PATH|URL",
        value_parser = crate::db::Location::parse
    )]
    pub db: crate::db::Location,
    /// Output format: table for people, csv or json for programs [default: table]
    #[arg(long, global = true, value_enum, help_heading = "Global options")]
    pub format: Option<Format>,
    /// Print only errors (no summary, warnings or progress)
    #[arg(long, short, global = true, help_heading = "Global options")]
    pub quiet: bool,
    /// Colour levels and labels: auto (a terminal, not TERM=dumb, no NO_COLOR), always, never
    #[arg(
        long,
        global = true,
        value_enum,
        default_value_t = ColorChoice::Auto,
        help_heading = "Global options"
    )]
    pub color: ColorChoice,
    /// Judge by the readiness policy of this ledger entry (the one a past
    /// report named), or `default` for SPEC §4's, instead of the latest
    #[arg(
        long,
        global = true,
        value_name = "ENTRY",
        help_heading = "Global options",
        value_parser = crate::policy::Choice::parse,
        value_hint = clap::ValueHint::Other
    )]
    pub policy: Option<crate::policy::Choice>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import depot exports: CSV files, workbooks, or directories of them
    #[command(after_help = "\
Examples:
  stockpile import fixtures/exports/
  stockpile import --dry-run pl-pow-01.csv
  stockpile import --depot DE-AUG-01 --as-of 2026-11-01 augustdorf.csv
  stockpile import --skip-invalid --rejects rejects.csv big-export.csv
  stockpile import --date-format %d.%m.%Y --delimiter ';' --encoding windows-1252 old.csv
  stockpile import --map fixtures/profiles/de.toml bundeswehr.csv
  stockpile import fixtures/workbooks/no-set-01.xlsx
  stockpile import --sheet Holdings --header-row 3 depot-book.ods
  stockpile import --map fixtures/profiles/kr.toml fixtures/national/kr-dra-01.csv

Each file is imported in one transaction: if any row is invalid nothing from
the file is written and every invalid row is listed (exit 65).")]
    Import(ImportArgs),
    /// Readiness table: on hand, status counts, MC rate, R/S levels, overall level
    #[command(after_help = "\
Examples:
  stockpile report                         one row per depot
  stockpile report --by category           one row per category
  stockpile report --by depot,type --depot PL-POW-01
  stockpile report --as-of 2026-10-01      the state on a past date
  stockpile report --fail-below 2          exit 1 if any depot is at level 3 or 4
  stockpile report --html brief.html       a one-page brief to print or send
  stockpile report --by depot,type --xlsx readiness.xlsx
  stockpile report --html brief.html --packages fixtures/packages/
  stockpile report --html brief.html --packages fixtures/packages/ \\
      --movement fixtures/movement.toml --to AA-EAST    with a map and each package's closure

Levels: R1 MC rate >= 90 %, R2 >= 70 %, R3 >= 60 %, R4 below. S1 fill >= 90 %,
S2 >= 80 %, S3 >= 65 %, S4 below. Overall level: the worse of the two. A
readiness policy (stockpile policy import) sets other thresholds; the line
under the table names the one used.")]
    Report(ReportArgs),
    /// Mission-capable quantity that can move within a time window
    #[command(after_help = "\
Examples:
  stockpile deployable --within 48h
  stockpile deployable --within 3d --by depot --category MBT

Only FMC and PMC items with a notice-to-move at or under the window count;
items without a notice never do.")]
    Deployable(DeployableArgs),
    /// Readiness on every snapshot date: the trend
    #[command(after_help = "\
Examples:
  stockpile history
  stockpile history --by depot --depot PL-POW-01")]
    History(HistoryArgs),
    /// Period MC rate: item-days mission capable over item-days possessed
    #[command(after_help = "\
Examples:
  stockpile rates --from 2026-11-01 --to 2026-11-30
  stockpile rates --from 2026-11-01 --to 2026-11-30 --by depot --category MBT
  stockpile rates --monthly                    one row per calendar month since the first snapshot
  stockpile rates --monthly --by depot --xlsx rates.xlsx

As the monthly maintenance report computes it (SPEC §13): each day of the
period counts the equipment items as report --as-of that day gives them
(each depot's latest snapshot on or before it; days before a depot's first
snapshot are not possessed); mc_rate = mc_item_days / possessed_item_days.
Rounds are not items and never count. A month still running counts the days
up to today.")]
    Rates(RatesArgs),
    /// Load authorised levels (required quantities per depot and type)
    #[command(subcommand)]
    Requirements(RequirementsCommand),
    /// The readiness policy: level thresholds, whether PMC is mission capable, when data is stale
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Depots with their latest snapshot, on-hand quantity and MC rate
    #[command(after_help = "\
Examples:
  stockpile depots
  stockpile depots --format csv > depots.csv")]
    Depots,
    /// Equipment types with category, NSN, on-hand quantity and MC rate
    #[command(after_help = "\
Examples:
  stockpile types
  stockpile types --format json")]
    Types,
    /// Write holdings as canonical CSV, JSON or a workbook (re-importable)
    #[command(after_help = "\
Examples:
  stockpile export > holdings.csv
  stockpile export --as-of 2026-10-01 --depot PL-POW-01 > october.csv
  stockpile export --raw > backup.csv       exact values, for re-import
  stockpile export --xlsx holdings.xlsx     a workbook to filter (re-imports as it is)

Cells starting with = + - @ or a tab are prefixed with ' so that a spreadsheet
does not run them as formulas, unless --raw.")]
    Export(ExportArgs),
    /// Run read-only SQL over the database
    #[command(after_help = "\
Examples:
  stockpile query \"SELECT depot, type, status, quantity FROM current_holdings LIMIT 10\"
  stockpile query --format csv \"SELECT * FROM depot\"

The database is opened read-only: statements that would write are refused.")]
    Query(QueryArgs),
    /// Verify the database and the import ledger (tamper evidence)
    #[command(after_help = "\
Examples:
  stockpile check                 exit 0 when everything matches, 65 when anything does not
  stockpile check --format json

  stockpile check --expect 3f2a9c0d41b7e655
                                  also prove the ledger still holds the entry
                                  whose head hash was noted then

Runs SQLite's integrity and foreign-key checks, walks the ledger's hash chain,
recomputes every snapshot's digest from the stored holdings, recomputes
the readiness aggregates, and checks that every holding still names the
file and line it was imported from (what trace shows), against the sum
each depot's last import sealed. Each problem is named by depot, date and
file.

The last line, anchor, gives the ledger head's hash. A chain cannot show
that its last entries were deleted with what they wrote: note the head
(backup prints it too) somewhere the database's writers cannot reach, and
--expect HASH later fails if that entry is gone.")]
    Check(CheckArgs),
    /// What changed since the last snapshot: per depot, or item by item
    #[command(after_help = "\
Examples:
  stockpile changes                            each depot's latest snapshot against the one before
  stockpile changes --items                    every serial and lot that changed
  stockpile changes --since 2026-10-01 --depot PL-POW-01 --items
  stockpile changes --as-of 2026-11-01 --format csv
  stockpile changes --packages fixtures/packages/   packages that slipped, and why

Items come in the order a maintenance meeting reads them: newly not mission
capable, expired, suspended (by a lot's code, or by a force-wide suspension in
force on the later date; for the current state, today), returned to service,
a notice to move changed, moves between depots, arrivals, departures (a serial
no depot reports any more is flagged), quantity changes. The summary counts equipment items; rounds stand
in ammo_change, ammo_serviceable_change and ammo_suspended_change, never in
the same sum.")]
    Changes(ChangesArgs),
    /// What needs attention: suspended, expired and expiring lots, overdue tests and inspections, stale depots
    #[command(after_help = "\
Examples:
  stockpile watch                              one row per depot and kind, worst first
  stockpile watch --items                      every lot, serial and depot
  stockpile watch --expiring 30d --inspection 365d --stale 7d
  stockpile watch --depot PL-POW-01 --format csv
  stockpile watch --fail-on-any > /dev/null || mail-the-duty-officer

Lots are judged against today (--today DATE to choose another day), a last
inspection against its snapshot's date, a depot against today. A lot is
suspended by its condition code (J-N) or by a force-wide suspension in force
(stockpile suspensions); test_overdue is a lot whose next_test date has
passed.")]
    Watch(WatchArgs),
    /// Where a figure came from: the export lines behind a depot × type
    #[command(after_help = "\
Examples:
  stockpile trace --depot DE-AUG-01 --type LEOPARD-2A6
  stockpile trace --depot DE-AUG-01 --type LEOPARD-2A6 --serial DE-LEOPAR-0004
  stockpile trace --depot PL-POW-01 --type 155MM-HE-M795 --as-of 2026-10-01 --format json

Each line shows the file and line it was read from, the import (ledger entry,
SHA-256 of the file, time, OS user) and the later snapshots that repeated it
unchanged.")]
    Trace(TraceArgs),
    /// Force packages: can the stockpile issue this force within a window?
    #[command(subcommand)]
    Package(PackageCommand),
    /// Suspend ammunition force-wide (a lot, or every lot of an NSN), or lift a suspension
    #[command(after_help = "\
Examples:
  stockpile suspend --nsn 1320-12-345-6789 --lot DM-2025-01 --reason \"fuze failure, notice 14/26\"
  stockpile suspend --nsn 1320-12-345-6789 --from 2026-12-01 --reason \"propellant stability\"
  stockpile suspend --lift 12 --from 2026-12-20

From its date (default: today) every matching lot in every depot counts as
suspended, whatever the depots' exports say, until lifted: it leaves the
serviceable rounds, packages never draw it, and watch lists it. The notice is
an entry of the import ledger (chained, verified by check); holdings are never
rewritten, so a later snapshot or a --replace does not undo it.")]
    Suspend(SuspendArgs),
    /// The force-wide ammunition suspensions: in force, lifted, or not yet begun
    #[command(after_help = "\
Examples:
  stockpile suspensions
  stockpile suspensions --today 2026-12-20
  stockpile suspensions --format json")]
    Suspensions(SuspensionsArgs),
    /// A consistent copy of the whole database (history, requirements, ledger)
    #[command(after_help = "\
Examples:
  stockpile backup /mnt/share/stockpile-2026-11-29.db
  stockpile backup --force nightly.db

The copy is made with SQLite's online backup while other stockpiles may be
importing, and is readable by its owner only. A backup is a database: read it
with --db FILE, or restore it by copying it over the database while no
stockpile runs. A plain cp of the database file can miss what is still in its
-wal file.")]
    Backup(BackupArgs),
    /// Print a shell completion script
    #[command(after_help = "\
Examples:
  stockpile completions bash > /etc/bash_completion.d/stockpile
  stockpile completions zsh > ~/.zfunc/_stockpile
  stockpile completions fish > ~/.config/fish/completions/stockpile.fish")]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. stockpile manpage > stockpile.1
    #[command(after_help = "\
Examples:
  stockpile manpage > /usr/local/share/man/man1/stockpile.1 && man stockpile
  stockpile manpage --dir ~/.local/share/man/man1     every page: stockpile.1, stockpile-report.1, …")]
    Manpage {
        /// Write the main page and one per subcommand (the stockpile-*(1) pages
        /// the main page refers to) into DIR, instead of the main page to stdout
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// CSV files, workbooks (.xlsx .xlsm .xls .ods), or directories of them (sorted)
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Depot code for files without a depot column
    #[arg(long)]
    pub depot: Option<String>,
    /// Snapshot date (YYYY-MM-DD) for files without an as_of column
    #[arg(long, value_name = "DATE", value_hint = clap::ValueHint::Other)]
    pub as_of: Option<String>,
    /// Validate and report, write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Import the valid rows, reject the others (see --rejects)
    #[arg(long)]
    pub skip_invalid: bool,
    /// With --skip-invalid: write rejected rows, with line and reason, to this CSV
    #[arg(long, value_name = "FILE", requires = "skip_invalid")]
    pub rejects: Option<PathBuf>,
    /// Overwrite an existing, different snapshot of the same depot and date
    #[arg(long)]
    pub replace: bool,
    /// Field delimiter (, ; tab |), detected when not given
    #[arg(long)]
    pub delimiter: Option<String>,
    /// Text encoding (utf-8, utf-16le, utf-16be, windows-1252, windows-1250 …), detected when not given
    #[arg(long)]
    pub encoding: Option<String>,
    /// Date format of non-ISO dates, strftime style, e.g. %d.%m.%Y
    #[arg(long, value_name = "FORMAT", value_hint = clap::ValueHint::Other)]
    pub date_format: Option<String>,
    /// Mapping profile (TOML) of a national export style
    #[arg(long, value_name = "FILE")]
    pub map: Option<PathBuf>,
    /// Leave out a column that looks like a stockpile column but is not one (repeatable)
    #[arg(long, value_name = "NAME", value_hint = clap::ValueHint::Other)]
    pub ignore_column: Vec<String>,
    /// The line the header stands on, when title lines come above it
    #[arg(long, value_name = "N", value_hint = clap::ValueHint::Other)]
    pub header_row: Option<u64>,
    /// The sheet of a workbook (.xlsx, .xlsm, .xls, .ods) to read (default: the first)
    #[arg(long, value_name = "NAME", value_hint = clap::ValueHint::Other)]
    pub sheet: Option<String>,
}

/// Which holdings a report looks at: the filters and a date.
#[derive(Debug, Args, Clone, Default)]
pub struct Selection {
    #[command(flatten)]
    pub filter: Filter,
    /// The state on this date (each depot's latest snapshot on or before it)
    #[arg(long, value_name = "DATE", value_hint = clap::ValueHint::Other)]
    pub as_of: Option<String>,
}

/// The `--depot`, `--type`, `--category` and `--owner` filters.
#[derive(Debug, Args, Clone, Default)]
pub struct Filter {
    /// Only these depots (repeatable, or comma-separated)
    #[arg(long, value_delimiter = ',', value_hint = clap::ValueHint::Other)]
    pub depot: Vec<String>,
    /// Only these types (repeatable, or comma-separated)
    #[arg(
        long = "type",
        value_delimiter = ',',
        value_name = "TYPE",
        value_hint = clap::ValueHint::Other
    )]
    pub type_code: Vec<String>,
    /// Only these categories: MBT IFV APC SPH TAH MLRS AD ENG REC LOG AMMO OTHER
    #[arg(long, value_delimiter = ',', value_hint = clap::ValueHint::Other)]
    pub category: Vec<String>,
    /// Only items owned by these nations (ISO alpha-3)
    #[arg(long, value_delimiter = ',', value_hint = clap::ValueHint::Other)]
    pub owner: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Group by one or more of depot,type,category,owner
    #[arg(long, default_value = "depot", value_hint = clap::ValueHint::Other)]
    pub by: String,
    #[command(flatten)]
    pub selection: Selection,
    /// Exit 1 when any group's overall level is worse than LEVEL (1-4)
    #[arg(long, value_name = "LEVEL", value_hint = clap::ValueHint::Other)]
    pub fail_below: Option<String>,
    /// Write a one-page readiness brief (self-contained HTML) to FILE
    #[arg(long, value_name = "FILE")]
    pub html: Option<std::path::PathBuf>,
    /// With --html: add each force package in DIR (*.toml) with its fill and ready time
    #[arg(long, value_name = "DIR", requires = "html")]
    pub packages: Option<std::path::PathBuf>,
    /// With --html: draw the depots on a map at their positions in the movement
    /// file FILE, with their ways to the destinations, and time the packages by it
    #[arg(long, value_name = "FILE", requires = "html")]
    pub movement: Option<std::path::PathBuf>,
    /// With --packages: every package's times by arrival at DEST (default: each
    /// package's own `to`)
    #[arg(long, value_name = "DEST", requires = "packages", value_hint = clap::ValueHint::Other)]
    pub to: Option<String>,
    /// Write the table as a workbook (.xlsx) to FILE: typed cells, levels coloured
    #[arg(long, value_name = "FILE", conflicts_with = "html")]
    pub xlsx: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct DeployableArgs {
    /// Time window: hours (48, 48h) or days (3d)
    #[arg(long, value_name = "DURATION", value_hint = clap::ValueHint::Other)]
    pub within: String,
    /// Group by one or more of depot,type,category,owner
    #[arg(long, default_value = "type", value_hint = clap::ValueHint::Other)]
    pub by: String,
    #[command(flatten)]
    pub selection: Selection,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Group each date by one or more of depot,type,category,owner
    #[arg(long, default_value = "", value_hint = clap::ValueHint::Other)]
    pub by: String,
    #[command(flatten)]
    pub selection: Selection,
}

#[derive(Debug, Args)]
pub struct RatesArgs {
    /// First day of the period (YYYY-MM-DD)
    #[arg(
        long,
        value_name = "DATE",
        required_unless_present = "monthly",
        requires = "to"
    , value_hint = clap::ValueHint::Other)]
    pub from: Option<String>,
    /// Last day of the period, counted (YYYY-MM-DD; at the latest today)
    #[arg(long, value_name = "DATE", requires = "from", value_hint = clap::ValueHint::Other)]
    pub to: Option<String>,
    /// One period per calendar month, from the first snapshot's month to today's
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub monthly: bool,
    /// Group by one or more of depot,type,category,owner
    #[arg(long, default_value = "", value_hint = clap::ValueHint::Other)]
    pub by: String,
    #[command(flatten)]
    pub filter: Filter,
    /// Write the table as a workbook (.xlsx) to FILE
    #[arg(long, value_name = "FILE")]
    pub xlsx: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Record a readiness policy (TOML) as the one reports judge by
    #[command(after_help = "\
Example:
  stockpile policy import fixtures/policy.toml

The file (every key optional; a missing one keeps SPEC §4's value):
  name = \"Force readiness standard 2027\"
  r_levels = [90, 70, 60]       # % MC rate of R1, R2, R3; below the last: R4
  s_levels = [90, 80, 65]       # % fill of S1, S2, S3; below the last: S4
  pmc_is_mission_capable = true # false: PMC equipment is outside mc, deployable and packages
  stale_days = 14               # a depot's data is stale after this many days

The policy is an entry of the import ledger (chained, verified by check).
Every report names the entry it was judged by; --policy ENTRY judges by an
earlier one, --policy default by SPEC §4's values.")]
    Import {
        /// The policy file (TOML)
        file: PathBuf,
    },
    /// Print the policy in force (or the one --policy names), or every one recorded
    #[command(after_help = "\
Examples:
  stockpile policy show
  stockpile policy show --all
  stockpile policy show --format json")]
    Show {
        /// Every policy recorded, oldest first
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RequirementsCommand {
    /// Load a CSV with columns depot,type,required (replaces those pairs)
    #[command(after_help = "\
Example:
  stockpile requirements import fixtures/requirements.csv")]
    Import {
        /// CSV file with depot,type,required
        file: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct ChangesArgs {
    /// Compare with each depot's snapshot on or before this date (default: the one before)
    #[arg(long, value_name = "DATE", value_hint = clap::ValueHint::Other)]
    pub since: Option<String>,
    /// One row per changed serial or lot instead of one per depot
    #[arg(long)]
    pub items: bool,
    /// Write the table as a workbook (.xlsx) to FILE
    #[arg(long, value_name = "FILE")]
    pub xlsx: Option<PathBuf>,
    /// Also list each force package in DIR (*.toml) whose fill or times changed, and why
    #[arg(long, value_name = "DIR")]
    pub packages: Option<PathBuf>,
    #[command(flatten)]
    pub selection: Selection,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The day to judge by (default: today's date on this machine)
    #[arg(long, value_name = "DATE", value_hint = clap::ValueHint::Other)]
    pub today: Option<String>,
    /// Lots expiring within this window are listed
    #[arg(long, value_name = "DURATION", default_value = "90d", value_hint = clap::ValueHint::Other)]
    pub expiring: String,
    /// An inspection older than this before its snapshot is overdue
    #[arg(long, value_name = "DURATION", default_value = "180d", value_hint = clap::ValueHint::Other)]
    pub inspection: String,
    /// A depot whose latest snapshot is older than this is stale [default: the policy's stale_days, 14d without one]
    #[arg(long, value_name = "DURATION", value_hint = clap::ValueHint::Other)]
    pub stale: Option<String>,
    /// Exit 1 when anything is listed (for cron)
    #[arg(long)]
    pub fail_on_any: bool,
    /// One row per lot, serial or depot instead of one per depot and kind
    #[arg(long)]
    pub items: bool,
    #[command(flatten)]
    pub filter: Filter,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["nsn", "lift"])))]
pub struct SuspendArgs {
    /// The NSN suspended (13 digits, dashes optional)
    #[arg(
        long,
        value_name = "NSN",
        conflicts_with = "lift",
        requires = "reason",
        value_hint = clap::ValueHint::Other
    )]
    pub nsn: Option<String>,
    /// Only this lot (repeat for several); none: every lot of the NSN
    #[arg(long = "lot", value_name = "LOT", requires = "nsn", value_hint = clap::ValueHint::Other)]
    pub lots: Vec<String>,
    /// Lift the suspension with this id (`stockpile suspensions` lists them)
    #[arg(long, value_name = "ID", value_hint = clap::ValueHint::Other)]
    pub lift: Option<i64>,
    /// The first day it applies (YYYY-MM-DD; default today)
    #[arg(long, value_name = "DATE", value_hint = clap::ValueHint::Other)]
    pub from: Option<String>,
    /// Why: the notice's reference and cause, as the brief should read it
    #[arg(long, value_name = "TEXT", conflicts_with = "lift", value_hint = clap::ValueHint::Other)]
    pub reason: Option<String>,
}

#[derive(Debug, Args)]
pub struct SuspensionsArgs {
    /// The day "in force" is judged by (default: today)
    #[arg(long, value_name = "DATE", value_hint = clap::ValueHint::Other)]
    pub today: Option<String>,
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The depot of the figure
    #[arg(long)]
    pub depot: String,
    /// The type of the figure
    #[arg(long = "type", value_name = "TYPE", value_hint = clap::ValueHint::Other)]
    pub type_code: String,
    /// Only this serial
    #[arg(long)]
    pub serial: Option<String>,
    /// The state on this date (the depot's latest snapshot on or before it)
    #[arg(long, value_name = "DATE", value_hint = clap::ValueHint::Other)]
    pub as_of: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum PackageCommand {
    /// Allocate holdings to a package's lines: fill, shortfall and why, sources, times
    #[command(after_help = "\
Examples:
  stockpile package check fixtures/packages/spearhead-company-team.toml
  stockpile package check battlegroup.toml --within 72h --owner DEU,NLD
  stockpile package check battlegroup.toml --as-of 2026-10-01 --format json
  stockpile package check battlegroup.toml --without PL-POW-01     that depot lost
  stockpile package check spearhead.toml battlegroup.toml          by priority
  stockpile package check battlegroup.toml --items                 the hand receipt
  stockpile package check battlegroup.toml --fail-below 90         exit 1 below 90 % fill

A holding serves a line when its type is one of the line's, it is FMC or PMC
(a lot not expired on the day of issue: the date plus the window) and its
notice to move is set and within the window. The allocation fills as much as
possible over all lines (lines that share types compete), then fills the
weakest line best, drawing only on what the shortest sufficient notice
allows; then it takes the fewest depots, the fewest (line, depot) pairs, the
fewest types per line, FMC before PMC, each line's order of preference, and
the shorter notice. The package fill is its weakest line's fill; it is ready
within the window only when every line is complete.")]
    Check(PackageCheckArgs),
    /// Every package in a folder with its fill and ready time, worst first
    #[command(after_help = "\
Examples:
  stockpile package list fixtures/packages/
  stockpile package list fixtures/packages/ --within 48h --fail-below 100")]
    List(PackageListArgs),
    /// What the loss of each depot (or pair) does to a package: fill and time, worst first
    #[command(after_help = "\
Examples:
  stockpile package resilience fixtures/packages/mechanised-battlegroup.toml
  stockpile package resilience spearhead.toml --to AA-EAST --movement fixtures/movement.toml
  stockpile package resilience brigade.toml --pairs --fail-on-single-point

One row per loss, after a `none` row for today: the package's fill, its
change, whether it is complete, and when it completes (closes at the
destination with --to), worst first. A single point of failure is a depot
whose loss makes a package complete today incomplete: disperse its stocks.")]
    Resilience(PackageResilienceArgs),
}

/// What `package check` and `package list` share.
#[derive(Debug, Args, Clone, Default)]
pub struct PackageArgs {
    /// Window (48h, 3d); overrides the file's `within`
    #[arg(long, value_name = "DURATION", value_hint = clap::ValueHint::Other)]
    pub within: Option<String>,
    /// The state on this date (each depot's latest snapshot on or before it)
    #[arg(long, value_name = "DATE", value_hint = clap::ValueHint::Other)]
    pub as_of: Option<String>,
    /// Only holdings of these depots (repeatable, or comma-separated)
    #[arg(long, value_delimiter = ',', value_hint = clap::ValueHint::Other)]
    pub depot: Vec<String>,
    /// Only items owned by these nations: national release (ISO alpha-3)
    #[arg(long, value_delimiter = ',', value_hint = clap::ValueHint::Other)]
    pub owner: Vec<String>,
    /// Leave these depots out: lost, cut off or withheld (repeatable, or comma-separated)
    #[arg(long, value_delimiter = ',', value_name = "DEPOT", value_hint = clap::ValueHint::Other)]
    pub without: Vec<String>,
    /// Exit 1 when a package's fill is below PCT percent (for monitoring)
    #[arg(long, value_name = "PCT", value_hint = clap::ValueHint::Other)]
    pub fail_below: Option<String>,
    /// A type near a known one is taken as a type held nowhere yet, not refused as a typo
    #[arg(long)]
    pub allow_unknown_types: bool,
    /// Count items when they arrive at this destination of the movement file (SPEC §11)
    #[arg(long, value_name = "DEST", value_hint = clap::ValueHint::Other)]
    pub to: Option<String>,
    /// The movement file (TOML: depot positions and issue rates, destinations, routes)
    #[arg(long, value_name = "FILE")]
    pub movement: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PackageCheckArgs {
    /// Package files (TOML: name, within, [[line]] tables); several are checked by priority
    #[arg(value_name = "FILE.toml", required = true)]
    pub files: Vec<PathBuf>,
    /// Check each file against the whole stockpile rather than by priority
    #[arg(long)]
    pub separately: bool,
    /// List the serials and lots to draw, source by source (the hand receipt)
    #[arg(long)]
    pub items: bool,
    /// The time-phased view: how much of each line can have arrived by each time (hours)
    #[arg(
        long,
        value_name = "HOURS",
        num_args = 0..=1,
        require_equals = false,
        default_missing_value = "12,24,48,72,96,168"
    , value_hint = clap::ValueHint::Other)]
    pub phases: Option<String>,
    /// Write the allocation (a row per source) as a workbook (.xlsx) to FILE
    #[arg(long, value_name = "FILE")]
    pub xlsx: Option<PathBuf>,
    #[command(flatten)]
    pub options: PackageArgs,
}

#[derive(Debug, Args)]
pub struct PackageResilienceArgs {
    /// Package file (TOML)
    #[arg(value_name = "FILE.toml")]
    pub file: PathBuf,
    /// Every two depots lost together, not only each one
    #[arg(long)]
    pub pairs: bool,
    /// Exit 1 when one depot's (or pair's) loss makes the complete package incomplete
    #[arg(long)]
    pub fail_on_single_point: bool,
    #[command(flatten)]
    pub options: PackageArgs,
}

#[derive(Debug, Args)]
pub struct PackageListArgs {
    /// Folder of package files (every *.toml inside)
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub options: PackageArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A ledger head noted earlier (from check or backup; at least 12 hex
    /// digits): fail unless the ledger still holds that entry
    #[arg(long, value_name = "HASH", value_hint = clap::ValueHint::Other)]
    pub expect: Option<String>,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The file to write (refused if it exists, unless --force)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Overwrite FILE if it exists
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub selection: Selection,
    /// Write cells exactly as stored (no spreadsheet-formula neutralising)
    #[arg(long)]
    pub raw: bool,
    /// Write a workbook (.xlsx) to FILE instead: typed cells, frozen header, autofilter
    #[arg(long, value_name = "FILE")]
    pub xlsx: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// One SQL statement (read-only)
    pub sql: String,
    /// Stop the statement after this many seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_hint = clap::ValueHint::Other)]
    pub timeout: u64,
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_consistent() {
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}
