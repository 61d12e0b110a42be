//! The embedded SQLite file, the default backend: pragmas, busy timeout,
//! permissions, schema creation and the schema-version check.

use std::fs::OpenOptions;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

mod load;

pub use load::{Guard, Sqlite};

use super::{Access, Param, Value};
use crate::error::{DbError, is_busy};

/// The schema compiled into the binary.
pub const SCHEMA: &str = include_str!("../../../schema.sql");
/// Where `schema.sql` turns from the SQLite file to the PostgreSQL server.
pub const POSTGRES_PART: &str = "\n-- PostgreSQL\n";

/// The SQLite part of `schema.sql`: its tables, then its migrations.
pub fn schema() -> &'static str {
    SCHEMA.split(POSTGRES_PART).next().unwrap_or(SCHEMA)
}

/// SQLite's page cache, in KiB.
pub const CACHE_KIB: i64 = 8000;
/// The page cache during an import: its inserts come sorted by depot in
/// batches (`load`), so a bigger cache bought nothing measurable (1M
/// interleaved rows: 2.8–2.9 s with 2, 4, 6 or 8 MB) and cost the memory.
pub const IMPORT_CACHE_KIB: i64 = 2000;

/// What `Db::begin_import` changed, as it was.
pub fn import_settings_undone() -> String {
    format!("PRAGMA foreign_keys = ON; PRAGMA cache_size = -{CACHE_KIB}")
}

/// `PRAGMA user_version` of a database made by this build.
pub const SCHEMA_VERSION: i64 = 8;
/// `PRAGMA application_id`: marks a file as a stockpile database ("STKP").
pub const APPLICATION_ID: i64 = 0x53544b50;
/// How long a writer waits for another one before giving up with exit 75,
/// unless `STOCKPILE_BUSY_TIMEOUT` (seconds) says otherwise.
pub const BUSY_TIMEOUT_SECS: u64 = 60;

pub fn busy_timeout_secs() -> u64 {
    std::env::var("STOCKPILE_BUSY_TIMEOUT")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(BUSY_TIMEOUT_SECS)
}

pub fn open(path: &Path, access: Access) -> Result<Connection, DbError> {
    let exists = path.exists();
    if !exists && access != Access::Write {
        return Err(DbError::Missing(path.display().to_string()));
    }
    if !exists {
        create_private_file(path)?;
    }
    let flags = match access {
        Access::ReadOnly => OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        _ => OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    };
    let conn = Connection::open_with_flags(path, flags).map_err(|e| open_error(path, e))?;
    conn.busy_timeout(Duration::from_secs(busy_timeout_secs()))?;
    let version: i64 = match conn.query_row("PRAGMA user_version", [], |r| r.get(0)) {
        Ok(v) => v,
        // A database in a folder this user cannot write (a backup share, a
        // DVD) cannot get the shared-memory file WAL reading needs: read it
        // as the immutable file it is there.
        Err(e) if access != Access::Write && !is_busy(&e) => {
            drop(conn);
            return open_immutable(path, access).map_err(|fallback| match fallback {
                DbError::Open { .. } | DbError::Rebuilt(_) | DbError::NewerSchema { .. } => {
                    fallback
                }
                _ => classify(path.display(), e),
            });
        }
        Err(e) => return Err(classify(path.display(), e)),
    };
    // Another stockpile may be creating this file's schema right now: its
    // version, tables and marks are read together, in one read transaction,
    // so that a schema half seen is never taken for a rebuilt file.
    let (version, rebuilt) = if version == 0 {
        conn.execute_batch("BEGIN DEFERRED")
            .map_err(|e| classify(path.display(), e))?;
        let read = conn
            .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
            .map(|v| (v, v == 0 && looks_rebuilt(&conn)));
        let _ = conn.execute_batch("COMMIT");
        read.map_err(|e| classify(path.display(), e))?
    } else {
        (version, false)
    };
    if version == 0 {
        if rebuilt {
            return Err(DbError::Rebuilt(path.display().to_string()));
        }
        if access != Access::Write {
            if is_empty(&conn).map_err(|e| classify(path.display(), e))? {
                return Err(DbError::Missing(path.display().to_string()));
            }
            return Err(DbError::NotStockpile(path.display().to_string()));
        }
        create_schema(&conn, path)?;
    } else {
        check_identity(&conn, path, version)?;
        if version < SCHEMA_VERSION && access != Access::ReadOnly {
            migrate(&conn, path)?;
        }
        // Tables a first import made and then had refused hold nothing:
        // there is nothing to read yet. (The file is kept, never removed:
        // another stockpile may have opened it and be importing already.)
        if access != Access::Write {
            let imported: bool = conn
                .query_row("SELECT EXISTS (SELECT 1 FROM import_ledger)", [], |r| {
                    r.get(0)
                })
                .map_err(|e| classify(path.display(), e))?;
            if !imported {
                return Err(DbError::Empty(path.display().to_string()));
            }
        }
    }
    if access == Access::Write {
        // (WAL is a lasting property of the file, set when it is created;
        // a reading command sets nothing, so that it works where it cannot
        // write.)
        // Switching a new file to WAL needs it to itself, and SQLite does
        // not wait for that as it waits for a lock: a second stockpile
        // creating the same file at once retries for the busy timeout.
        let deadline = std::time::Instant::now() + Duration::from_secs(busy_timeout_secs());
        loop {
            match conn.pragma_update(None, "journal_mode", "WAL") {
                Ok(()) => break,
                Err(e) if is_busy(&e) && std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => return Err(classify(path.display(), e)),
            }
        }
        // FULL: a commit is on disk when it returns, so an import that says
        // "imported" survives a power cut too (NORMAL in WAL mode would
        // only survive a crash of the program). One file is one commit: the
        // cost is one fsync of the log per file.
        conn.pragma_update(None, "synchronous", "FULL")?;
        // The log is checkpointed after each commit (SQLite's automatic
        // checkpoint; readers are short, so it completes), and its file cut
        // back to this size when it restarts: a million-row import leaves
        // no 150 MB log file behind.
        conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
    }
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Large imports spill their sort and staging data to temporary files
    // rather than memory, keeping the process small.
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    if access == Access::ReadOnly {
        conn.pragma_update(None, "query_only", "ON")?;
    }
    if access != Access::Write {
        // A reading command runs several queries (names, figures,
        // requirements); one read transaction makes them all see the same
        // committed state even while an import commits in between.
        conn.execute_batch("BEGIN DEFERRED")?;
    }
    Ok(conn)
}

/// Why the last database was opened read-only, for the command to say so.
static READ_ONLY_NOTE: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// A note for the user when a database had to be read as an immutable file.
pub fn read_only_note() -> Option<String> {
    READ_ONLY_NOTE.lock().ok().and_then(|n| n.clone())
}

/// Opens a database that cannot be written here as an immutable file: no
/// locks, no shared memory, nothing written. Only safe when no other
/// process can change it and nothing waits in its `-wal` file; otherwise
/// the user is told to copy both files somewhere writable.
fn open_immutable(path: &Path, access: Access) -> Result<Connection, DbError> {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        return Err(DbError::Open {
            path: path.display().to_string(),
            message: format!(
                "cannot be read here: its last changes are still in {} and this folder cannot be written to merge them; copy both files to a writable folder (or read a `stockpile backup`)",
                std::path::Path::new(&wal).display()
            ),
        });
    }
    let absolute = path
        .canonicalize()
        .map_err(|e| open_error(path, rusqlite::Error::InvalidPath(e.to_string().into())))?;
    let mut uri = String::from("file:");
    for b in absolute.to_string_lossy().bytes() {
        match b {
            b'?' | b'#' | b'%' => uri.push_str(&format!("%{b:02X}")),
            _ => uri.push(char::from(b)),
        }
    }
    uri.push_str("?immutable=1");
    let conn = Connection::open_with_flags(
        &uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| open_error(path, e))?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| classify(path.display(), e))?;
    if version == 0 {
        return Err(if looks_rebuilt(&conn) {
            DbError::Rebuilt(path.display().to_string())
        } else {
            DbError::NotStockpile(path.display().to_string())
        });
    }
    check_identity(&conn, path, version)?;
    if version < SCHEMA_VERSION && access != Access::ReadOnly {
        return Err(DbError::Open {
            path: path.display().to_string(),
            message: format!(
                "was made by an older stockpile (schema {version}) and is read-only here, so it cannot be upgraded: copy it to a writable folder first"
            ),
        });
    }
    conn.pragma_update(None, "query_only", "ON")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    if let Ok(mut note) = READ_ONLY_NOTE.lock() {
        *note = Some(format!(
            "{} cannot be written here (read-only folder or medium): read as it is on disk, without locks",
            path.display()
        ));
    }
    conn.execute_batch("BEGIN DEFERRED")?;
    Ok(conn)
}

/// The database is created readable and writable by its owner only: it holds
/// where a force keeps its weapons.
fn create_private_file(path: &Path) -> Result<(), DbError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(DbError::Open {
            path: path.display().to_string(),
            message: format!("cannot create the database: {e}"),
        }),
    }
}

/// stockpile's own tables without its marks: a `.dump` rebuilt into a new file.
fn looks_rebuilt(conn: &Connection) -> bool {
    conn.query_row(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table'
           AND name IN ('holding_version', 'import_ledger', 'snapshot', 'depot')",
        [],
        |r| r.get::<_, i64>(0),
    )
    .is_ok_and(|n| n == 4)
}

fn is_empty(conn: &Connection) -> rusqlite::Result<bool> {
    let n: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    Ok(n == 0)
}

fn create_schema(conn: &Connection, path: &Path) -> Result<(), DbError> {
    // Larger pages halve the B-tree work of a large import; this only takes
    // effect on an empty file, before its first table.
    conn.pragma_update(None, "page_size", 16384)
        .map_err(|e| classify(path.display(), e))?;
    // Two processes may create the same new file at once: the exclusive
    // transaction lets one of them do it and the other see it done.
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| classify(path.display(), e))?;
    let result = (|| {
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version != 0 {
            return Ok(Some(version));
        }
        if !is_empty(conn)? {
            return Ok(None);
        }
        conn.execute_batch(schema())?;
        conn.pragma_update(None, "application_id", APPLICATION_ID)?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        Ok(Some(SCHEMA_VERSION))
    })();
    match result {
        Ok(Some(version)) => {
            conn.execute_batch("COMMIT")
                .map_err(|e| classify(path.display(), e))?;
            check_identity(conn, path, version)
        }
        Ok(None) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(DbError::NotStockpile(path.display().to_string()))
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(classify(path.display(), e))
        }
    }
}

/// The statements of `schema.sql` from its `-- migration N:` line on.
fn migration(step: i64) -> Option<&'static str> {
    migration_in(schema(), step)
}

/// The statements of one part of `schema.sql` (the file's or the
/// server's) from its `-- migration N:` line to the next.
pub(crate) fn migration_in(schema: &'static str, step: i64) -> Option<&'static str> {
    let marker = format!("\n-- migration {step}:");
    schema.find(&marker).map(|at| {
        let rest = &schema[at + 1..];
        let next = rest[1..]
            .find("\n-- migration ")
            .map_or(rest.len(), |n| n + 1);
        &rest[..next]
    })
}

/// Brings a database of an older version up to this one, step by step, in
/// one exclusive transaction: another stockpile either sees it all done or
/// not begun.
fn migrate(conn: &Connection, path: &Path) -> Result<(), DbError> {
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| classify(path.display(), e))?;
    let result = (|| {
        let mut version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        while version < SCHEMA_VERSION {
            version += 1;
            let step = migration(version).expect("every version has its migration in schema.sql");
            conn.execute_batch(step)?;
            conn.pragma_update(None, "user_version", version)?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => conn
            .execute_batch("COMMIT")
            .map_err(|e| classify(path.display(), e)),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(classify(path.display(), e))
        }
    }
}

fn check_identity(conn: &Connection, path: &Path, version: i64) -> Result<(), DbError> {
    let app: i64 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(|e| classify(path.display(), e))?;
    if app != APPLICATION_ID {
        return Err(DbError::NotStockpile(path.display().to_string()));
    }
    if version > SCHEMA_VERSION {
        return Err(DbError::NewerSchema {
            path: path.display().to_string(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}

fn open_error(path: &Path, e: rusqlite::Error) -> DbError {
    DbError::Open {
        path: path.display().to_string(),
        message: format!("cannot open the database: {e}"),
    }
}

/// Names the common failures in words a user can act on.
pub fn classify(place: impl ToString, e: rusqlite::Error) -> DbError {
    use rusqlite::ErrorCode as C;
    let place = place.to_string();
    if is_busy(&e) {
        return DbError::Busy(place, busy_timeout_secs());
    }
    match e.sqlite_error_code() {
        Some(C::NotADatabase) => DbError::NotStockpile(place),
        Some(C::ReadOnly) => DbError::Open {
            path: place,
            message:
                "the database is read-only here (check the file's and its folder's permissions)"
                    .into(),
        },
        Some(C::CannotOpen) | Some(C::PermissionDenied) => DbError::Open {
            path: place,
            message: format!("cannot open the database: {e}"),
        },
        _ => DbError::Sqlite(e),
    }
}

/// A throw-away in-memory database with the schema, for `--dry-run` against
/// a database that does not exist yet (creating the file would be a write).
pub fn open_scratch() -> Result<Connection, DbError> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(schema())?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

/// A column's value, as the seam reads it.
pub(super) fn value<'a>(row: &'a rusqlite::Row<'a>, index: usize) -> Result<Value<'a>, DbError> {
    use rusqlite::types::ValueRef;
    Ok(match row.get_ref(index)? {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) => Value::Text(std::str::from_utf8(t).map_err(|e| DbError::Column {
            index,
            message: format!("stored text is not UTF-8: {e}"),
        })?),
        ValueRef::Blob(_) => {
            return Err(DbError::Column {
                index,
                message: "a binary value where stockpile stores text or numbers".into(),
            });
        }
    })
}

impl rusqlite::ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match *self {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(i),
            Value::Real(r) => ValueRef::Real(r),
            Value::Text(t) => ValueRef::Text(t.as_bytes()),
        }))
    }
}

pub(super) fn bind(
    stmt: &mut rusqlite::CachedStatement,
    params: &[&dyn Param],
) -> Result<(), DbError> {
    for (i, p) in params.iter().enumerate() {
        stmt.raw_bind_parameter(i + 1, p.value())?;
    }
    Ok(())
}

/// `PRAGMA integrity_check` and `foreign_key_check`: (check, problem).
pub(super) fn storage_problems(db: &super::Db) -> Result<Vec<(&'static str, String)>, DbError> {
    let mut problems = Vec::new();
    let integrity: Vec<String> = db.rows("PRAGMA integrity_check", &[], |r| r.get(0))?;
    if integrity != ["ok"] {
        problems.extend(integrity.into_iter().map(|line| ("integrity", line)));
    }
    let fk = db.rows("PRAGMA foreign_key_check", &[], |r| {
        Ok(format!(
            "{} row {} refers to a missing {} row",
            r.get::<String>(0)?,
            r.get::<Option<i64>>(1)?.unwrap_or(0),
            r.get::<String>(2)?
        ))
    })?;
    problems.extend(fk.into_iter().take(100).map(|p| ("foreign keys", p)));
    Ok(problems)
}
