//! Typed errors, one enum per layer, and the one place that turns them into
//! the exit codes of the contract (SPEC §5).

use std::fmt;
use std::io;
use std::path::PathBuf;

use thiserror::Error;

/// Exit codes of SPEC §5 (sysexits.h numbering).
pub mod exit {
    pub const OK: u8 = 0;
    pub const THRESHOLD: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const DATA: u8 = 65;
    pub const NO_INPUT: u8 = 66;
    pub const SOFTWARE: u8 = 70;
    pub const IO: u8 = 74;
    pub const BUSY: u8 = 75;
}

/// One invalid cell or row: `FILE:LINE: COLUMN: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub column: String,
    pub message: String,
}

/// Every invalid row of a file, printed in the order found; at most
/// `SHOWN` are listed, then a count of the rest.
#[derive(Debug)]
pub struct RowErrors {
    pub file: String,
    pub errors: Vec<RowError>,
    pub total: usize,
}

impl RowErrors {
    pub const SHOWN: usize = 50;
}

/// Longest quoted value a message repeats whole: past it, the start, an
/// ellipsis and the value's length (a 2 GB cell must not put 2 GB on the
/// terminal, and no one reads past a line of it).
const QUOTED_MAX: usize = 80;

/// A value as an error message quotes it: whole up to [`QUOTED_MAX`]
/// characters, else its first sixty, an ellipsis and its length.
pub fn clip(value: &str) -> std::borrow::Cow<'_, str> {
    match value.char_indices().nth(QUOTED_MAX) {
        None => value.into(),
        Some(_) => {
            let end = value.char_indices().nth(60).map_or(value.len(), |(i, _)| i);
            format!("{}… ({} characters)", &value[..end], value.chars().count()).into()
        }
    }
}

/// `message` with each quoted value longer than [`QUOTED_MAX`] characters
/// cut to its first sixty and its length.
pub fn elide(message: &str) -> std::borrow::Cow<'_, str> {
    if message.len() <= QUOTED_MAX + 2 {
        return message.into();
    }
    let mut out = String::new();
    let mut rest = message;
    let mut changed = false;
    while let Some(open) = rest.find('"') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('"') else { break };
        let value = &after[..close];
        out.push_str(&rest[..=open]);
        match clip(value) {
            std::borrow::Cow::Owned(cut) => {
                // `start…" (N characters)`: the length outside the quotes.
                let (start, length) = cut.split_once("… ").unwrap_or((&cut, ""));
                out.push_str(&format!("{start}…\" {length}"));
                changed = true;
            }
            std::borrow::Cow::Borrowed(v) => {
                out.push_str(v);
                out.push('"');
            }
        }
        rest = &after[close + 1..];
    }
    if !changed {
        return message.into();
    }
    out.push_str(rest);
    out.into()
}

impl fmt::Display for RowErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().take(Self::SHOWN).enumerate() {
            if i > 0 {
                writeln!(f)?;
                f.write_str("error: ")?;
            }
            write!(
                f,
                "{}:{}: {}: {}",
                self.file,
                e.line,
                e.column,
                elide(&e.message)
            )?;
        }
        if self.total > Self::SHOWN {
            write!(
                f,
                "\nerror: … and {} more invalid rows in {}",
                self.total - Self::SHOWN,
                self.file
            )?;
        }
        write!(
            f,
            "\nerror: {}: {} invalid {}; nothing from this file was imported\nhint: fix the rows, or use --skip-invalid --rejects FILE to import the valid ones and keep the rest",
            self.file,
            self.total,
            if self.total == 1 { "row" } else { "rows" }
        )
    }
}

#[derive(Debug, Error)]
pub enum ImportError {
    #[error("{0}")]
    Rows(RowErrors),
    #[error(
        "{file}: {depot} already has a different snapshot as of {as_of} (imported from {existing}); nothing from this file was imported\nhint: use --replace to overwrite the snapshot of {depot} as of {as_of}"
    )]
    Conflict {
        file: String,
        depot: String,
        as_of: String,
        existing: String,
    },
    #[error("{file}:{line}: {message}")]
    Header {
        file: String,
        line: u64,
        message: String,
    },
    #[error("{file}:{line}: {message}")]
    Malformed {
        file: String,
        line: u64,
        message: String,
    },
    #[error("{file}:{line}: {message}")]
    Encoding {
        file: String,
        line: u64,
        message: String,
    },
    #[error("{file}: {message}")]
    Workbook { file: String, message: String },
    #[error("{file}:{line}: {message}")]
    Profile {
        file: String,
        line: usize,
        message: String,
    },
}

#[derive(Debug, Error)]
pub enum DbError {
    #[error(
        "{0}: no such database\nhint: import exports first (stockpile import FILE…), or point --db or STOCKPILE_DB at the database"
    )]
    Missing(String),
    /// A database with its tables but nothing in them: a first import
    /// that was refused made it (and another stockpile may already be
    /// writing to it, so it is never removed).
    #[error(
        "{0}: nothing imported yet\nhint: import exports first (stockpile import FILE…); a first import that was refused leaves the empty database in place"
    )]
    Empty(String),
    #[error(
        "{0}: not a stockpile database\nhint: check --db (or STOCKPILE_DB); stockpile never changes a file it did not create"
    )]
    NotStockpile(String),
    #[error(
        "{0}: holds stockpile's tables but not its marks (PRAGMA application_id and user_version), as a database rebuilt with the sqlite3 shell's .dump has lost them\nhint: if it was rebuilt from a stockpile database of this version, restore the marks with:\n  sqlite3 {0} 'PRAGMA application_id = {app}; PRAGMA user_version = {version};'\nthen run stockpile check; `stockpile backup` makes copies that keep them",
        app = crate::db::APPLICATION_ID,
        version = crate::db::SCHEMA_VERSION
    )]
    Rebuilt(String),
    #[error(
        "{path}: database schema version {found} is newer than this stockpile understands ({supported}); use a newer stockpile"
    )]
    NewerSchema {
        path: String,
        found: i64,
        supported: i64,
    },
    #[error(
        "{0}: the database is busy (another stockpile kept it locked for more than {1} seconds); try again later"
    )]
    Busy(String, u64),
    #[error("{path}: {message}")]
    Open { path: String, message: String },
    #[error(
        "{server}: cannot connect to the database server: {message}\nhint: check the URL in --db (or STOCKPILE_DB), that the server runs, that the database exists (createdb), and that it accepts this user from here"
    )]
    Unreachable { server: String, message: String },
    /// A write sent to a PostgreSQL hot standby (exit 74).
    #[error(
        "{server} is a read-only hot standby{}: imports, requirements, suspensions and policies are written on the primary, which the standby follows\nhint: point --db at the primary for this command; keep the standby for reading",
        primary.as_ref().map(|p| format!(" of the primary at {p}")).unwrap_or_default()
    )]
    Standby {
        server: String,
        primary: Option<String>,
    },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database error: {}", pg_message(.0))]
    Postgres(#[from] postgres::Error),
    /// A stored value that is not what its column should hold.
    #[error("database error: column {index}: {message}")]
    Column { index: usize, message: String },
    /// Something stockpile itself got wrong (exit 70).
    #[error("internal error: {0}")]
    Internal(String),
    /// The site's ledger key cannot be used (unreadable, short, or open to
    /// others).
    #[error("{0}")]
    LedgerKey(String),
}

/// The server's own words (with its detail), or the client's.
fn pg_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(d) => format!("{} ({d})", db.message()),
            None => db.message().to_string(),
        },
        None => e.to_string(),
    }
}

#[derive(Debug, Error)]
pub enum Error {
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{path}: {source}")]
    NoInput { path: PathBuf, source: io::Error },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Data(String),
    #[error("{0}")]
    Query(String),
    /// Several files failed; each error was already printed.
    #[error("{count} of {files} files were not imported")]
    SomeFilesFailed {
        count: usize,
        files: usize,
        code: u8,
    },
    #[error("threshold breached: {0}")]
    Threshold(String),
    /// A malformed package file (SPEC §7).
    #[error("{file}:{line}: {message}")]
    Package {
        file: String,
        line: usize,
        message: String,
    },
    #[error("check found {0} problem(s)")]
    CheckFailed(usize),
    #[error("output: {0}")]
    Output(io::Error),
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Db(DbError::Sqlite(e))
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Output(e)
    }
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Import(_) | Error::Data(_) | Error::Package { .. } => exit::DATA,
            Error::SomeFilesFailed { code, .. } => *code,
            Error::CheckFailed(_) => exit::DATA,
            Error::Db(DbError::Missing(_) | DbError::Empty(_)) | Error::NoInput { .. } => {
                exit::NO_INPUT
            }
            Error::Db(DbError::Busy(..)) => exit::BUSY,
            Error::Db(DbError::Sqlite(e)) if is_busy(e) => exit::BUSY,
            Error::Db(DbError::Postgres(e)) if is_pg_busy(e) => exit::BUSY,
            Error::Db(DbError::Unreachable { .. } | DbError::Standby { .. }) => exit::IO,
            e if e.connection_lost() => exit::IO,
            e if e.write_failure().is_some() => exit::IO,
            Error::Db(
                DbError::NotStockpile(_) | DbError::NewerSchema { .. } | DbError::Rebuilt(_),
            ) => exit::DATA,
            Error::Db(DbError::Open { .. }) | Error::Io { .. } | Error::Output(_) => exit::IO,
            Error::Db(
                DbError::Sqlite(_)
                | DbError::Postgres(_)
                | DbError::Column { .. }
                | DbError::Internal(_),
            ) => exit::SOFTWARE,
            Error::Usage(_) | Error::Query(_) | Error::Db(DbError::LedgerKey(_)) => exit::USAGE,
            Error::Threshold(_) => exit::THRESHOLD,
        }
    }

    /// Whether the server went away under the command: the connection
    /// closed, or the server ended the session (shut down, restarted, or
    /// an administrator's `pg_terminate_backend`).
    pub fn connection_lost(&self) -> bool {
        use postgres::error::SqlState;
        let Error::Db(DbError::Postgres(e)) = self else {
            return false;
        };
        // "error communicating with the server": the socket failed under
        // it (over TLS a terminated session shows up so).
        let io = std::error::Error::source(e).is_some_and(|s| s.is::<io::Error>());
        e.is_closed()
            || io
            || e.code().is_some_and(|c| {
                [
                    SqlState::ADMIN_SHUTDOWN,
                    SqlState::CRASH_SHUTDOWN,
                    SqlState::CANNOT_CONNECT_NOW,
                ]
                .contains(c)
            })
    }

    /// Why a write to the database failed, when the disk or the system
    /// refused it (full disk, file-size limit, I/O error, read-only medium):
    /// exit 74, not an internal error.
    pub fn write_failure(&self) -> Option<&'static str> {
        use rusqlite::ErrorCode as C;
        if let Error::Db(DbError::Postgres(e)) = self {
            return pg_write_failure(e);
        }
        let Error::Db(DbError::Sqlite(e)) = self else {
            return None;
        };
        match e.sqlite_error_code()? {
            C::DiskFull => Some("no space left: the disk is full or a file-size limit was reached"),
            C::SystemIoFailure => Some(
                "a write failed (the disk may be full, a file-size limit reached, or the medium failing)",
            ),
            C::ReadOnly => Some("the database is read-only here"),
            C::CannotOpen | C::PermissionDenied => {
                Some("the database file cannot be opened for writing")
            }
            _ => None,
        }
    }

    /// A closed pipe (`stockpile report | head`) is not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Output(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

pub fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// A lock or a transaction the server gave up on: try again later.
pub fn is_pg_busy(e: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    e.code().is_some_and(|c| {
        c == &SqlState::LOCK_NOT_AVAILABLE
            || c == &SqlState::T_R_DEADLOCK_DETECTED
            || c == &SqlState::T_R_SERIALIZATION_FAILURE
    })
}

fn pg_write_failure(e: &postgres::Error) -> Option<&'static str> {
    use postgres::error::SqlState;
    let code = e.code()?;
    if code == &SqlState::DISK_FULL {
        Some("the server's disk is full")
    } else if code == &SqlState::IO_ERROR {
        Some("the server could not write (an I/O error)")
    } else if code == &SqlState::READ_ONLY_SQL_TRANSACTION {
        Some("the server is read-only (a replica?); import on the primary")
    } else {
        None
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_in_messages() {
        let long = "Q".repeat(5000);
        let m = format!("\"{long}\" is not a readiness status (expected FMC, PMC, NMCM or NMCS)");
        let e = elide(&m);
        assert!(e.len() < 200, "{e}");
        assert!(
            e.starts_with(&format!("\"{}…\" (5000 characters) is not", "Q".repeat(60))),
            "{e}"
        );
        let short = "\"FOO\" is not a status, \"BAR\" neither";
        assert_eq!(elide(short), short);
        assert_eq!(elide("an \"unclosed quote"), "an \"unclosed quote");
    }
}
