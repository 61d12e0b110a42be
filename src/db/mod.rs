//! The storage seam.
//!
//! Everything above it — validation, the versioning rule, readiness,
//! allocation, every report — is written once and speaks one SQL through
//! [`Db`]: the common ground of SQLite and PostgreSQL, with `?N` parameters,
//! ISO dates as text and integers as 64-bit. Below it each backend keeps
//! only what must differ:
//!
//! - [`sqlite`]: the embedded file (pragmas, WAL, read-only media, the
//!   schema-version marks), the default, needing no server;
//! - [`postgres`]: a server for many sites (connection, the schema and its
//!   version table, advisory locks, `COPY` for the bulk load of holdings,
//!   the few spellings the dialects do not share).

mod batch;
pub mod postgres;
pub mod sqlite;
mod value;

use std::fmt;
use std::path::{Path, PathBuf};

pub use sqlite::{APPLICATION_ID, SCHEMA, SCHEMA_VERSION, busy_timeout_secs, read_only_note};
pub use value::{Cell, Owned, Param, Value};

use crate::error::DbError;

pub type Result<T, E = DbError> = std::result::Result<T, E>;

/// Where the database is: a file (SQLite) or a server (PostgreSQL).
#[derive(Debug, Clone)]
pub enum Location {
    File(PathBuf),
    Server(Box<postgres::Server>),
}

impl Location {
    /// `postgresql://…` (or `postgres://…`) or a libpq connection string
    /// (`host=… dbname=…`) names a server; another URL scheme is refused;
    /// anything else is a path. What a user would not mean as a file name
    /// is never created as one.
    pub fn parse(text: &str) -> Result<Location, String> {
        if text.starts_with("postgresql://")
            || text.starts_with("postgres://")
            || postgres::is_conninfo(text)
        {
            return postgres::Server::parse(text).map(|s| Location::Server(Box::new(s)));
        }
        if let Some((scheme, _)) = text.split_once("://")
            && !scheme.is_empty()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.')
        {
            return Err(format!(
                "\"{text}\" is a {scheme}:// address: stockpile opens a database file (a path) or a PostgreSQL server (postgresql://… or host=… dbname=…)"
            ));
        }
        Ok(Location::File(PathBuf::from(text)))
    }

    /// Whether the database exists already; a server is asked when opened.
    pub fn is_new_file(&self) -> bool {
        matches!(self, Location::File(p) if !p.exists())
    }

    pub fn file(&self) -> Option<&Path> {
        match self {
            Location::File(p) => Some(p),
            Location::Server(_) => None,
        }
    }
}

/// The path, or the server's URL without its password.
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File(p) => write!(f, "{}", p.display()),
            Location::Server(s) => write!(f, "{s}"),
        }
    }
}

/// What a command needs from the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Create the database with its schema if missing; writes allowed.
    Write,
    /// The database must exist; nothing is written by the command.
    Read,
    /// Like `Read`, but read-only at the database level as well, for
    /// arbitrary user SQL.
    ReadOnly,
}

/// An open database of either backend.
pub struct Db {
    backend: Backend,
    location: String,
    /// Whether opening it created it (the file, or the schema on a server).
    created: bool,
}

pub(crate) enum Backend {
    Sqlite(Box<sqlite::Sqlite>),
    Postgres(Box<postgres::Pg>),
}

/// One row of a result, read by column index.
pub struct Row<'a>(RowOf<'a>);

enum RowOf<'a> {
    Sqlite(&'a rusqlite::Row<'a>),
    Postgres(&'a ::postgres::Row),
}

impl Row<'_> {
    pub fn get<T: Cell>(&self, index: usize) -> Result<T> {
        let value = match &self.0 {
            RowOf::Sqlite(r) => sqlite::value(r, index)?,
            RowOf::Postgres(r) => postgres::value(r, index)?,
        };
        T::from_value(value).map_err(|message| DbError::Column { index, message })
    }

    /// A text column in place (None for NULL or any other kind): for a
    /// scan that tells most rows apart before copying anything.
    pub fn text(&self, index: usize) -> Result<Option<&str>> {
        Ok(match self.value(index)? {
            Value::Text(t) => Some(t),
            _ => None,
        })
    }

    /// The raw value, when its kind decides what to do.
    pub fn value(&self, index: usize) -> Result<Value<'_>> {
        match &self.0 {
            RowOf::Sqlite(r) => sqlite::value(r, index),
            RowOf::Postgres(r) => postgres::value(r, index),
        }
    }
}

/// The tables an import fills row by row: holding versions, and each
/// depot's readiness aggregates. SQLite inserts them one statement at a
/// time (in-process, that is cheapest); a server gets them in bulk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bulk {
    HoldingVersion,
    ReadinessCurrent,
    ReadinessNotice,
    ReadinessExpiry,
    ReadinessOwner,
    ReadinessOwnerNotice,
    ReadinessDepotOwner,
    ReadinessDepotOwnerNotice,
    AttentionDay,
}

impl Bulk {
    pub(crate) const ALL: [Bulk; 9] = [
        Bulk::HoldingVersion,
        Bulk::ReadinessCurrent,
        Bulk::ReadinessNotice,
        Bulk::ReadinessExpiry,
        Bulk::ReadinessOwner,
        Bulk::ReadinessOwnerNotice,
        Bulk::ReadinessDepotOwner,
        Bulk::ReadinessDepotOwnerNotice,
        Bulk::AttentionDay,
    ];

    pub(crate) fn table(self) -> &'static str {
        match self {
            Bulk::HoldingVersion => "holding_version",
            Bulk::ReadinessCurrent => "readiness_current",
            Bulk::ReadinessNotice => "readiness_notice",
            Bulk::ReadinessExpiry => "readiness_expiry",
            Bulk::ReadinessOwner => "readiness_owner",
            Bulk::ReadinessOwnerNotice => "readiness_owner_notice",
            Bulk::ReadinessDepotOwner => "readiness_depot_owner",
            Bulk::ReadinessDepotOwnerNotice => "readiness_depot_owner_notice",
            Bulk::AttentionDay => "attention_day",
        }
    }

    /// The columns a row gives, in order, and whether each is text.
    pub(crate) fn columns(self) -> &'static [(&'static str, bool)] {
        match self {
            Bulk::HoldingVersion => &[
                ("depot_id", false),
                ("content_hash", false),
                ("type_id", false),
                ("status", true),
                ("quantity", false),
                ("serial", true),
                ("owner", true),
                ("notice_hours", false),
                ("lot", true),
                ("expires", true),
                ("last_inspected", true),
                ("remarks", true),
                ("valid_from", true),
                ("valid_to", true),
                ("opened_by", false),
                ("source_line", false),
                ("condition_code", true),
                ("next_test", true),
            ],
            Bulk::ReadinessCurrent => &[
                ("depot_id", false),
                ("type_id", false),
                ("fmc", false),
                ("pmc", false),
                ("nmcm", false),
                ("nmcs", false),
                ("ammo_fmc", false),
                ("ammo_pmc", false),
                ("ammo_nmcm", false),
                ("ammo_nmcs", false),
                ("ammo_susp", false),
            ],
            Bulk::ReadinessNotice => &[
                ("depot_id", false),
                ("type_id", false),
                ("notice_hours", false),
                ("fmc", false),
                ("pmc", false),
                ("ammo_fmc", false),
                ("ammo_pmc", false),
                ("priority", false),
            ],
            Bulk::ReadinessExpiry => &[
                ("depot_id", false),
                ("type_id", false),
                ("notice_hours", false),
                ("expires", true),
                ("status", true),
                ("quantity", false),
                ("priority", false),
                ("owner", true),
                ("lots", false),
            ],
            Bulk::ReadinessDepotOwner => &[
                ("depot_id", false),
                ("owner", true),
                ("fmc", false),
                ("pmc", false),
                ("nmcm", false),
                ("nmcs", false),
                ("ammo_fmc", false),
                ("ammo_pmc", false),
                ("ammo_nmcm", false),
                ("ammo_nmcs", false),
                ("ammo_susp", false),
            ],
            Bulk::ReadinessDepotOwnerNotice => &[
                ("depot_id", false),
                ("owner", true),
                ("notice_hours", false),
                ("priority", false),
                ("fmc", false),
                ("pmc", false),
                ("ammo_fmc", false),
                ("ammo_pmc", false),
            ],
            Bulk::AttentionDay => &[
                ("depot_id", false),
                ("kind", true),
                ("day", true),
                ("items", false),
                ("quantity", false),
            ],
            Bulk::ReadinessOwner => &[
                ("type_id", false),
                ("owner", true),
                ("fmc", false),
                ("pmc", false),
                ("nmcm", false),
                ("nmcs", false),
                ("ammo_fmc", false),
                ("ammo_pmc", false),
                ("ammo_nmcm", false),
                ("ammo_nmcs", false),
                ("ammo_susp", false),
            ],
            Bulk::ReadinessOwnerNotice => &[
                ("type_id", false),
                ("owner", true),
                ("notice_hours", false),
                ("priority", false),
                ("fmc", false),
                ("pmc", false),
                ("ammo_fmc", false),
                ("ammo_pmc", false),
            ],
        }
    }

    pub(crate) fn column_list(self) -> String {
        self.columns()
            .iter()
            .map(|(c, _)| *c)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Db {
    pub(crate) fn new(backend: Backend, location: String, created: bool) -> Db {
        Db {
            backend,
            location,
            created,
        }
    }

    /// Whether this command created the database when it opened it.
    pub fn created(&self) -> bool {
        self.created
    }

    /// What the storage check verified, when it found nothing.
    pub fn storage_checked(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "SQLite integrity_check and foreign_key_check: ok",
            Backend::Postgres(_) => {
                "PostgreSQL enforces the keys; every version's depot, type and ledger entry exist"
            }
        }
    }

    /// This connection will only scan tables: on the file, its page cache
    /// gives way to the storage check's, whose index reads need it.
    pub fn for_scans(&self) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(s) => Ok(s.conn()?.execute_batch("PRAGMA cache_size = -2000")?),
            Backend::Postgres(_) => Ok(()),
        }
    }

    /// The SQLite connection, for what only SQLite has (online backup,
    /// the authorizer of `query`).
    pub fn sqlite(&self) -> Result<Option<sqlite::Guard<'_>>> {
        match &self.backend {
            Backend::Sqlite(s) => s.conn().map(Some),
            Backend::Postgres(_) => Ok(None),
        }
    }

    pub fn sqlite_mut(&mut self) -> Result<Option<&mut rusqlite::Connection>> {
        match &mut self.backend {
            Backend::Sqlite(s) => s.connection_mut().map(Some),
            Backend::Postgres(_) => Ok(None),
        }
    }

    pub fn postgres(&self) -> Option<&postgres::Pg> {
        match &self.backend {
            Backend::Postgres(p) => Some(p),
            Backend::Sqlite(_) => None,
        }
    }

    /// Runs `f` on each row, streaming: a scan of every holding never holds
    /// them all. `f` must not run another statement on this database.
    pub fn each(
        &self,
        sql: &str,
        params: &[&dyn Param],
        f: impl FnMut(&Row) -> Result<()>,
    ) -> Result<()> {
        self.try_each(sql, params, f)
    }

    /// `each`, for a callback whose own errors are not the database's
    /// (writing the rows out as they come).
    pub fn try_each<E: From<DbError>>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        mut f: impl FnMut(&Row) -> Result<(), E>,
    ) -> Result<(), E> {
        match &self.backend {
            Backend::Sqlite(s) => {
                let c = s.conn()?;
                let mut stmt = c.prepare_cached(sql).map_err(DbError::from)?;
                sqlite::bind(&mut stmt, params)?;
                let mut rows = stmt.raw_query();
                while let Some(r) = rows.next().map_err(DbError::from)? {
                    f(&Row(RowOf::Sqlite(r)))?;
                }
                Ok(())
            }
            Backend::Postgres(p) => p.each(sql, params, |r| f(&Row(RowOf::Postgres(r)))),
        }
    }

    /// Every row, each mapped by `f`.
    pub fn rows<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        mut f: impl FnMut(&Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        self.each(sql, params, |r| {
            out.push(f(r)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// The first row, if any.
    pub fn row<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        f: impl FnOnce(&Row) -> Result<T>,
    ) -> Result<Option<T>> {
        let mut f = Some(f);
        let mut out = None;
        self.each(sql, params, |r| {
            if let Some(f) = f.take() {
                out = Some(f(r)?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// The one value of a query that always returns a row (`count(*)`).
    pub fn value<T: Cell>(&self, sql: &str, params: &[&dyn Param]) -> Result<T> {
        self.row(sql, params, |r| r.get(0))?
            .ok_or_else(|| DbError::Internal(format!("no row from {sql}")))
    }

    /// Runs one statement; returns the rows it changed.
    pub fn execute(&self, sql: &str, params: &[&dyn Param]) -> Result<u64> {
        match &self.backend {
            Backend::Sqlite(s) => {
                let c = s.conn()?;
                let mut stmt = c.prepare_cached(sql)?;
                sqlite::bind(&mut stmt, params)?;
                Ok(stmt.raw_execute()? as u64)
            }
            Backend::Postgres(p) => p.execute(sql, params),
        }
    }

    /// Runs an `INSERT` and returns the new row's `id`.
    pub fn insert(&self, sql: &str, params: &[&dyn Param]) -> Result<i64> {
        let returning = format!("{sql} RETURNING id");
        self.value(&returning, params)
    }

    /// Runs statements without parameters (schema, temporary tables).
    /// After an import: the file's write-ahead log checkpointed and cut
    /// back to nothing, waiting at most a second for readers still on an
    /// older state (they are short; one that is not leaves it to SQLite's
    /// own checkpoint after the next commit). The import is committed
    /// already: a checkpoint that cannot finish is not an error.
    fn settle_log(&self) {
        if let Backend::Sqlite(s) = &self.backend
            && let Ok(conn) = s.conn()
        {
            let _ = conn.busy_timeout(std::time::Duration::from_secs(1));
            let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            let _ = conn.busy_timeout(std::time::Duration::from_secs(sqlite::busy_timeout_secs()));
        }
    }

    pub fn batch(&self, sql: &str) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(s) => Ok(s.conn()?.execute_batch(sql)?),
            Backend::Postgres(p) => p.batch(sql),
        }
    }

    /// Inserts one row of a bulk table, buffered and written in batches on
    /// another thread (SQLite's inserts, a server's binary `COPY`); the
    /// batch is written before any other statement runs, so every read
    /// sees it.
    pub fn append(&self, bulk: Bulk, row: &[&dyn Param]) -> Result<()> {
        debug_assert_eq!(row.len(), bulk.columns().len());
        match &self.backend {
            Backend::Sqlite(s) => s.append(bulk, row),
            Backend::Postgres(p) => p.append(bulk, row),
        }
    }

    /// Runs `f`, whose statements neither change the bulk tables nor read
    /// rows appended since the last statement outside such a block (the
    /// registry of depots and types; a depot's stored versions, read
    /// before any row of its from this file): on the file, they run
    /// between two rows of the batch being written instead of waiting for
    /// the whole of it — a depot met every few thousand rows would
    /// otherwise stop the overlap each time.
    pub fn beside_bulk<T>(&self, f: impl FnOnce() -> T) -> T {
        match &self.backend {
            Backend::Sqlite(s) => s.beside_bulk(f),
            Backend::Postgres(_) => f(),
        }
    }

    /// Begins the transaction of a change (one file, one requirements
    /// import): writers queue one at a time, for at most the busy timeout.
    pub fn begin_write(&self) -> Result<Tx<'_>> {
        self.begin(false)
    }

    /// Begins the transaction of an import, whose bulk rows are not looked
    /// up in the depot, type and ledger tables one by one as SQLite's
    /// declared foreign keys would (three B-tree searches a row, an eighth
    /// of a million-row import): the ids they carry are the ones this
    /// transaction registered or read, no import deletes a depot, type or
    /// ledger entry, and `check` verifies every reference. A server leaves
    /// these references undeclared for the same reason. The file's page
    /// cache is smaller meanwhile (see `sqlite::IMPORT_CACHE_KIB`).
    pub fn begin_import(&self) -> Result<Tx<'_>> {
        self.begin(true)
    }

    fn begin(&self, import: bool) -> Result<Tx<'_>> {
        let mut relaxed = false;
        match &self.backend {
            Backend::Sqlite(s) => {
                let conn = s.conn()?;
                if import {
                    conn.execute_batch(&format!(
                        "PRAGMA foreign_keys = OFF; PRAGMA cache_size = -{}",
                        sqlite::IMPORT_CACHE_KIB
                    ))?;
                    relaxed = true;
                }
                if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
                    drop(conn);
                    if relaxed {
                        let _ = self.batch(&sqlite::import_settings_undone());
                    }
                    return Err(sqlite::classify(&self.location, e));
                }
            }
            Backend::Postgres(p) => p.begin_write()?,
        }
        Ok(Tx {
            db: self,
            open: true,
            relaxed,
        })
    }

    fn end(&self, sql: &str) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(s) => {
                if sql != "COMMIT" {
                    s.discard();
                }
                s.conn()?
                    .execute_batch(sql)
                    .map_err(|e| sqlite::classify(&self.location, e))
            }
            Backend::Postgres(p) => p.end(sql),
        }
    }
}

/// The storage's own findings, (check, problem), from a thread of their own.
pub type StorageCheck = std::thread::JoinHandle<Result<Vec<(&'static str, String)>>>;

/// Starts the storage's own checks on a connection of their own (another
/// core): SQLite's integrity and foreign-key checks of the file; on a
/// server, which enforces its declared keys, the references the holding
/// versions leave undeclared there.
pub fn check_storage(location: &Location) -> StorageCheck {
    let location = location.clone();
    std::thread::spawn(move || {
        let db = open(&location, Access::Read)?;
        match &db.backend {
            Backend::Sqlite(_) => sqlite::storage_problems(&db),
            Backend::Postgres(_) => postgres::storage_problems(&db),
        }
    })
}

/// A write transaction; dropped without `commit`, it rolls back.
pub struct Tx<'a> {
    db: &'a Db,
    open: bool,
    /// An import's settings were made for it, to be undone after.
    relaxed: bool,
}

impl Tx<'_> {
    pub fn commit(mut self) -> Result<()> {
        self.open = false;
        let result = self.db.end("COMMIT");
        if result.is_ok() && self.relaxed {
            self.db.settle_log();
        }
        self.restore();
        result
    }

    pub fn rollback(mut self) -> Result<()> {
        self.open = false;
        let result = self.db.end("ROLLBACK");
        self.restore();
        result
    }

    fn restore(&mut self) {
        if std::mem::take(&mut self.relaxed) {
            let _ = self.db.batch(&sqlite::import_settings_undone());
        }
    }
}

impl std::ops::Deref for Tx<'_> {
    type Target = Db;
    fn deref(&self) -> &Db {
        self.db
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.db.end("ROLLBACK");
        }
        self.restore();
    }
}

/// Opens the database at `location` for `access`.
pub fn open(location: &Location, access: Access) -> Result<Db> {
    match location {
        Location::File(path) => {
            let created = access == Access::Write && !path.exists();
            Ok(Db::new(
                Backend::Sqlite(Box::new(sqlite::Sqlite::new(sqlite::open(path, access)?))),
                path.display().to_string(),
                created,
            ))
        }
        Location::Server(server) => postgres::open(server, access),
    }
}

/// A throw-away in-memory database with the schema, for `--dry-run` against
/// a database that does not exist yet (creating it would be a write).
pub fn open_scratch() -> Result<Db> {
    Ok(Db::new(
        Backend::Sqlite(Box::new(sqlite::Sqlite::new(sqlite::open_scratch()?))),
        ":memory:".into(),
        false,
    ))
}

/// A run-time parameter list as the seam takes it.
pub fn refs(values: &[Owned]) -> Vec<&dyn Param> {
    values.iter().map(|v| v as &dyn Param).collect()
}
