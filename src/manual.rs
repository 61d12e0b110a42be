//! The manual pages: clap_mangen's sections, each command's examples under
//! EXAMPLES (where clap_mangen would say "EXTRA"), and on the main page
//! what `--help` leaves out and a manual must say: the exit status, the
//! environment, the files and where the full manual is.

use std::io::{self, Write};
use std::path::Path;

use clap::Command;

/// Exit codes (SPEC §5), as the main page and `docs/reference.md` list them.
pub const EXIT_STATUS: &[(u8, &str)] = &[
    (0, "Success."),
    (
        1,
        "A threshold was breached: --fail-below, --fail-on-any, --fail-on-single-point.",
    ),
    (
        2,
        "Usage error: a bad option or value, a refused query, a mistake in --db.",
    ),
    (
        65,
        "Invalid input data: a bad row, header, encoding, profile or package file; a snapshot conflict; a failed check; not a stockpile database. Nothing was written.",
    ),
    (
        66,
        "An input file or the database is missing or unreadable, or nothing is imported yet.",
    ),
    (
        70,
        "Internal error: a fault in stockpile; please report it.",
    ),
    (
        74,
        "Other I/O error: a read-only or full disk, a server that cannot be reached, a write sent to a read-only standby.",
    ),
    (
        75,
        "The database is busy: another writer held it longer than STOCKPILE_BUSY_TIMEOUT.",
    ),
];

/// The environment stockpile reads.
pub const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "STOCKPILE_DB",
        "The database, as --db: a file, or a PostgreSQL URL or connection string.",
    ),
    (
        "STOCKPILE_TODAY",
        "The date (YYYY-MM-DD) the current state is judged on, for reproducible runs.",
    ),
    (
        "STOCKPILE_BUSY_TIMEOUT",
        "Seconds a writer waits for another before exit 75 (default 60).",
    ),
    (
        "STOCKPILE_LEDGER_KEY",
        "A file of at least 32 secret bytes (mode 600): every write is sealed with it, and check needs it.",
    ),
    ("COLUMNS", "The width tables are fitted to."),
    ("NO_COLOR, TERM=dumb", "No colour, unless --color always."),
    (
        "PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD",
        "What a PostgreSQL --db leaves out, as libpq reads them.",
    ),
    (
        "PGSERVICE, PGSERVICEFILE, PGSYSCONFDIR",
        "A service of the connection service file (pg_service.conf) to connect to.",
    ),
    ("PGPASSFILE", "The password file (default ~/.pgpass)."),
    (
        "PGSSLMODE, PGSSLROOTCERT, PGSSLCERT, PGSSLKEY",
        "TLS to the server: the mode, the authorities to trust, the client certificate and key.",
    ),
];

const FILES: &str = "./stockpile.db (and its -wal and -shm files while in use): the database, unless --db or STOCKPILE_DB names another. ~/.pgpass, ~/.pg_service.conf, ~/.postgresql/: as libpq reads them, for a server.";

const SEE_ALSO: &str = "The manual: /usr/share/doc/stockpile/docs/index.md when installed from the .deb, else docs/ in the source. Each command has a page: stockpile-import(1), stockpile-report(1) and the others named under SUBCOMMANDS.";

/// Writes the main page and one page per command (and per subcommand of
/// a command) into `dir`.
pub fn write_all(cmd: Command, dir: &Path) -> io::Result<()> {
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    write_tree(&cmd, dir, true)
}

fn write_tree(cmd: &Command, dir: &Path, main: bool) -> io::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_tree(sub, dir, false)?;
    }
    let man = clap_mangen::Man::new(cmd.clone());
    let mut file = std::fs::File::create(dir.join(man.get_filename()))?;
    render(cmd, main, &mut file)?;
    file.flush()
}

/// One page: clap_mangen's sections, then ours.
pub fn render(cmd: &Command, main: bool, w: &mut dyn Write) -> io::Result<()> {
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(w)?;
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(w)?;
    }
    if let Some(text) = cmd.get_after_help() {
        let text = text.to_string();
        // "Examples:" heads most commands' text; the main page's is its
        // workflow.
        let (heading, body) = match text.strip_prefix("Examples:\n") {
            Some(rest) => ("EXAMPLES", rest.to_string()),
            None => ("WORKFLOW", text.clone()),
        };
        section(w, heading)?;
        preformatted(w, &body)?;
    }
    if main {
        section(w, "EXIT STATUS")?;
        for (code, meaning) in EXIT_STATUS {
            tagged(w, &code.to_string(), meaning)?;
        }
        section(w, "ENVIRONMENT")?;
        for (name, meaning) in ENVIRONMENT {
            tagged(w, name, meaning)?;
        }
        section(w, "FILES")?;
        writeln!(w, "{}", escape(FILES))?;
        section(w, "SEE ALSO")?;
        writeln!(w, "{}", escape(SEE_ALSO))?;
    }
    if cmd.get_version().is_some() {
        man.render_version_section(w)?;
    }
    Ok(())
}

fn section(w: &mut dyn Write, heading: &str) -> io::Result<()> {
    writeln!(w, ".SH \"{heading}\"")
}

fn tagged(w: &mut dyn Write, tag: &str, text: &str) -> io::Result<()> {
    writeln!(w, ".TP\n\\fB{}\\fR\n{}", escape(tag), escape(text))
}

/// Lines as they are (examples line up in columns).
fn preformatted(w: &mut dyn Write, text: &str) -> io::Result<()> {
    writeln!(w, ".nf")?;
    for line in text.trim_end().lines() {
        writeln!(w, "{}", escape(line))?;
    }
    writeln!(w, ".fi")
}

/// Text safe in roff: backslashes and hyphens escaped, and a line never
/// starting with a control character.
fn escape(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roff_control_characters_are_escaped() {
        assert_eq!(escape(".hidden"), "\\&.hidden");
        assert_eq!(escape("a\\b-c"), "a\\eb\\-c");
    }
}
