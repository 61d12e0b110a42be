//! The `stockpile` binary: parse arguments, run the command, map its error
//! to an exit code. Everything else lives in the library.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use stockpile::cli::{Cli, ColorChoice};
use stockpile::cmd::{self, Context};
use stockpile::error::exit;
use stockpile::output::{Style, visible};

/// The static (musl) build's allocator, which also replaces malloc for the
/// C inside (SQLite): with musl's own, a 1M-row import took 1.61-1.70x
/// the glibc build's time; with this, 1.28x.
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help and version to stdout (exit 0), usage errors
            // to stderr (exit 2).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    let Some(command) = cli.command else {
        // No command: the overview of the workflow, as `--help` shows it.
        let _ = <Cli as clap::CommandFactory>::command().write_long_help(&mut io::stderr());
        return ExitCode::from(exit::USAGE);
    };
    let stdout_tty = io::stdout().is_terminal();
    let choose = |tty: bool| match cli.global.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => stockpile::output::auto_color(tty),
    };
    let color = choose(stdout_tty);
    let err_color = choose(io::stderr().is_terminal());
    // The tables colour through crossterm, which honours NO_COLOR on its
    // own: the choice made here (`--color always` over NO_COLOR) is final.
    crossterm::style::force_color_output(color);
    let width = terminal_width(stdout_tty);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut err = io::stderr();
    let db = cli.global.db.clone();
    let mut ctx = Context {
        db: cli.global.db,
        format: cli
            .global
            .format
            .unwrap_or(stockpile::output::Format::Table),
        format_given: cli.global.format.is_some(),
        quiet: cli.global.quiet,
        style: Style { color, width },
        progress: !cli.global.quiet && io::stderr().is_terminal(),
        err_color,
        policy: cli.global.policy.unwrap_or_default(),
        out: &mut out,
        err: &mut err,
    };
    let result = cmd::run(command, &mut ctx).and_then(|()| ctx.out.flush().map_err(Into::into));
    if let (Some(note), false) = (stockpile::db::read_only_note(), cli.global.quiet) {
        let _ = writeln!(io::stderr(), "note: {note}");
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            let _ = out.flush();
            let message = match e.write_failure() {
                Some(reason) => format!(
                    "{db}: cannot write: {reason} ({e}); the command's changes were rolled back"
                ),
                None if e.connection_lost() => format!(
                    "{db}: the connection to the server was lost ({e}); what the command had not committed was not kept (the server rolls back a transaction whose connection is gone)\nhint: once the server answers, run the command again: an import the ledger already holds says so and changes nothing"
                ),
                None => e.to_string(),
            };
            let _ = writeln!(
                io::stderr(),
                "{} {}",
                stockpile::output::label("error", err_color),
                visible(&message, true)
            );
            ExitCode::from(e.exit_code())
        }
    }
}

/// An explicit `COLUMNS` wins; otherwise the terminal's own width, and no
/// limit when output goes to a file or a pipe.
fn terminal_width(tty: bool) -> Option<u16> {
    // A width of 0 (a terminal that does not say, `COLUMNS=0`) is unknown,
    // not one character a column.
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok())
        .filter(|&w: &u16| w > 0)
        .or_else(|| {
            if tty {
                crossterm::terminal::size()
                    .ok()
                    .map(|(w, _)| w)
                    .filter(|&w| w > 0)
            } else {
                None
            }
        })
}
