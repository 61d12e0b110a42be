//! One module per subcommand, each with one `run`; this module dispatches
//! and holds what they share.

pub mod backup;
pub mod changes;
pub mod check;
pub mod deployable;
pub mod export;
pub mod history;
pub mod import;
pub mod package;
pub mod policy;
pub mod query;
pub mod rates;
pub mod reference;
pub mod report;
pub mod requirements;
pub mod suspend;
pub mod trace;
pub mod watch;

use std::io::Write;

use chrono::NaiveDate;

use crate::cli::{
    Cli, Command, Filter, PackageCommand, PolicyCommand, RequirementsCommand, Selection,
};
use crate::error::{Error, Result};
use crate::model::{Category, DepotCode, Nation, TypeCode, parse_date};
use crate::output::{Format, Style};
use crate::state::Filters;

/// What every command gets: where the database is, how to print, and the
/// two streams (figures to `out`, everything else to `err`).
pub struct Context<'a> {
    pub db: crate::db::Location,
    pub format: Format,
    /// Whether `--format` was given (a command with no table of its own
    /// refuses an explicit `--format table` rather than ignore it).
    pub format_given: bool,
    pub quiet: bool,
    pub style: Style,
    /// Show a progress bar on stderr (a terminal, and not --quiet).
    pub progress: bool,
    /// Colour `warning:` on stderr.
    pub err_color: bool,
    /// Which readiness policy figures are judged by (SPEC §13).
    pub policy: crate::policy::Choice,
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
}

impl Context<'_> {
    /// A warning on stderr, in lines that fit the terminal.
    pub fn warn(&mut self, message: &str) {
        if self.quiet {
            return;
        }
        let text = format!("warning: {}", crate::output::visible(message, true));
        let width = self.style.width.map_or(usize::MAX, usize::from);
        let mut first = true;
        for line in text.lines() {
            for part in crate::output::wrap_words(line, width) {
                // Wrapped as plain text; the label coloured after.
                let part = match part.strip_prefix("warning:") {
                    Some(rest) if first => {
                        format!("{}{rest}", crate::output::label("warning", self.err_color))
                    }
                    _ => part,
                };
                first = false;
                let _ = writeln!(self.err, "{part}");
            }
        }
    }
}

pub fn run(command: Command, ctx: &mut Context) -> Result<()> {
    match command {
        Command::Import(args) => import::run(&args, ctx),
        Command::Report(args) => report::run(&args, ctx),
        Command::Deployable(args) => deployable::run(&args, ctx),
        Command::History(args) => history::run(&args, ctx),
        Command::Requirements(RequirementsCommand::Import { file }) => {
            requirements::run(&file, ctx)
        }
        Command::Rates(args) => rates::run(&args, ctx),
        Command::Policy(PolicyCommand::Import { file }) => policy::import(&file, ctx),
        Command::Policy(PolicyCommand::Show { all }) => policy::show(all, ctx),
        Command::Depots => reference::depots(ctx),
        Command::Types => reference::types(ctx),
        Command::Export(args) => export::run(&args, ctx),
        Command::Query(args) => query::run(&args, ctx),
        Command::Check(args) => check::run(&args, ctx),
        Command::Backup(args) => backup::run(&args, ctx),
        Command::Changes(args) => changes::run(&args, ctx),
        Command::Watch(args) => watch::run(&args, ctx),
        Command::Trace(args) => trace::run(&args, ctx),
        Command::Suspend(args) => suspend::run(&args, ctx),
        Command::Suspensions(args) => suspend::list(&args, ctx),
        Command::Package(PackageCommand::Check(args)) => package::check(&args, ctx),
        Command::Package(PackageCommand::List(args)) => package::list(&args, ctx),
        Command::Package(PackageCommand::Resilience(args)) => package::resilience(&args, ctx),
        Command::Manpage { dir } => {
            let command = <crate::cli::Cli as clap::CommandFactory>::command();
            match dir {
                Some(dir) => {
                    crate::manual::write_all(command, &dir).map_err(|source| Error::Io {
                        path: dir.clone(),
                        source,
                    })?;
                    if !ctx.quiet {
                        writeln!(ctx.err, "wrote the manual pages to {}", dir.display())?;
                    }
                }
                None => {
                    let mut command = command.disable_help_subcommand(true);
                    command.build();
                    crate::manual::render(&command, true, ctx.out)?;
                }
            }
            Ok(())
        }
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "stockpile", ctx.out);
            Ok(())
        }
    }
}

/// Writes a command's table as a workbook instead of printing it.
pub fn write_xlsx(
    ctx: &mut Context,
    path: &std::path::Path,
    sheet: &str,
    report: &crate::output::Report,
) -> Result<()> {
    crate::xlsx::write(path, sheet, report)?;
    if !ctx.quiet {
        writeln!(
            ctx.err,
            "wrote {} rows to {}",
            report.rows.len(),
            path.display()
        )?;
    }
    Ok(())
}

/// The filters of a report, each value checked so that a typo is an error
/// rather than an empty report.
pub fn filters(selection: &Filter) -> Result<Filters> {
    let usage = |m: String| Error::Usage(m);
    Ok(Filters {
        depots: selection
            .depot
            .iter()
            .map(|d| {
                DepotCode::parse(d)
                    .map(|c| c.as_str().to_string())
                    .map_err(usage)
            })
            .collect::<Result<_>>()?,
        types: selection
            .type_code
            .iter()
            .map(|t| {
                TypeCode::parse(t)
                    .map(|c| c.as_str().to_string())
                    .map_err(usage)
            })
            .collect::<Result<_>>()?,
        categories: selection
            .category
            .iter()
            .map(|c| {
                Category::parse(c)
                    .map(|c| c.as_str().to_string())
                    .map_err(usage)
            })
            .collect::<Result<_>>()?,
        owners: selection
            .owner
            .iter()
            .map(|o| {
                Nation::parse(o)
                    .map(|n| n.as_str().to_string())
                    .map_err(usage)
            })
            .collect::<Result<_>>()?,
    })
}

/// The date the current state is judged on (a lot expired by then counts
/// as expired): `STOCKPILE_TODAY` when set (reproducible runs, tests,
/// "how will it stand on…"), otherwise this machine's date.
pub fn today() -> Result<NaiveDate> {
    match std::env::var("STOCKPILE_TODAY") {
        Ok(text) if !text.trim().is_empty() => {
            parse_date(text.trim(), None).map_err(|m| Error::Usage(format!("STOCKPILE_TODAY: {m}")))
        }
        _ => Ok(chrono::Local::now().date_naive()),
    }
}

/// Opens the database to answer a question about `date` (None: the
/// current state) under `filters`, refusing codes it has never seen and a
/// date before every snapshot; with the date the figures are about.
pub fn open_question(
    ctx: &Context,
    filters: &Filters,
    date: Option<NaiveDate>,
) -> Result<(crate::db::Db, NaiveDate)> {
    let conn = crate::db::open(&ctx.db, crate::db::Access::Read)?;
    crate::known::check_filters(&conn, filters)?;
    crate::known::check_date(&conn, "--as-of", date)?;
    let judged = match date {
        Some(d) => d,
        None => today()?,
    };
    Ok((conn, judged))
}

/// The readiness policy this command judges by (SPEC §13).
pub fn policy(ctx: &Context, conn: &crate::db::Db) -> Result<crate::policy::InForce> {
    crate::policy::choose(conn, ctx.policy)
}

/// What a table's JSON says it stands on: the date its figures are about
/// and the policy they were judged by.
pub fn meta(
    judged: NaiveDate,
    policy: &crate::policy::InForce,
) -> Vec<(String, serde_json::Value)> {
    let mut meta = report::date_meta(judged);
    meta.push(("policy".into(), policy.json()));
    meta
}

pub fn as_of(selection: &Selection) -> Result<Option<NaiveDate>> {
    selection
        .as_of
        .as_deref()
        .map(|d| parse_date(d, None).map_err(|m| Error::Usage(format!("--as-of: {m}"))))
        .transpose()
}
