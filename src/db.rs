//! The one place that opens a database: pragmas, busy timeout, permissions,
//! schema creation and the schema-version check.

use std::fs::OpenOptions;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::{DbError, is_busy};

/// The schema compiled into the binary.
pub const SCHEMA: &str = include_str!("../schema.sql");
/// `PRAGMA user_version` of a database made by this build.
pub const SCHEMA_VERSION: i64 = 2;
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

/// What a command needs from the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Create the file with its schema if missing; writes allowed.
    Write,
    /// The file must exist; nothing is written by the command.
    Read,
    /// Like `Read`, but opened read-only at the SQLite level as well, for
    /// arbitrary user SQL.
    ReadOnly,
}

pub fn open(path: &Path, access: Access) -> Result<Connection, DbError> {
    let exists = path.exists();
    if !exists && access != Access::Write {
        return Err(DbError::Missing(path.to_path_buf()));
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
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| classify(path, e))?;
    if version == 0 {
        if access != Access::Write {
            if is_empty(&conn).map_err(|e| classify(path, e))? {
                return Err(DbError::Missing(path.to_path_buf()));
            }
            return Err(DbError::NotStockpile(path.to_path_buf()));
        }
        create_schema(&conn, path)?;
    } else {
        check_identity(&conn, path, version)?;
        if version < SCHEMA_VERSION && access != Access::ReadOnly {
            migrate(&conn, path)?;
        }
    }
    if access != Access::ReadOnly {
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| classify(path, e))?;
        // NORMAL is durable across application crashes in WAL mode; only a
        // power loss can drop the last commits, never corrupt the file.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
    }
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Large imports spill their sort and staging data to temporary files
    // rather than memory, keeping the process small.
    conn.pragma_update(None, "cache_size", -8000)?;
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
            path: path.to_path_buf(),
            message: format!("cannot create the database: {e}"),
        }),
    }
}

fn is_empty(conn: &Connection) -> rusqlite::Result<bool> {
    let n: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    Ok(n == 0)
}

fn create_schema(conn: &Connection, path: &Path) -> Result<(), DbError> {
    // Larger pages halve the B-tree work of a large import; this only takes
    // effect on an empty file, before its first table.
    conn.pragma_update(None, "page_size", 16384)
        .map_err(|e| classify(path, e))?;
    // Two processes may create the same new file at once: the exclusive
    // transaction lets one of them do it and the other see it done.
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| classify(path, e))?;
    let result = (|| {
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version != 0 {
            return Ok(Some(version));
        }
        if !is_empty(conn)? {
            return Ok(None);
        }
        conn.execute_batch(SCHEMA)?;
        conn.pragma_update(None, "application_id", APPLICATION_ID)?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        Ok(Some(SCHEMA_VERSION))
    })();
    match result {
        Ok(Some(version)) => {
            conn.execute_batch("COMMIT")
                .map_err(|e| classify(path, e))?;
            check_identity(conn, path, version)
        }
        Ok(None) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(DbError::NotStockpile(path.to_path_buf()))
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(classify(path, e))
        }
    }
}

/// The statements of `schema.sql` from its `-- migration N:` line on.
fn migration(step: i64) -> Option<&'static str> {
    let marker = format!("\n-- migration {step}:");
    SCHEMA.find(&marker).map(|at| {
        let rest = &SCHEMA[at + 1..];
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
        .map_err(|e| classify(path, e))?;
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
        Ok(()) => conn.execute_batch("COMMIT").map_err(|e| classify(path, e)),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(classify(path, e))
        }
    }
}

fn check_identity(conn: &Connection, path: &Path, version: i64) -> Result<(), DbError> {
    let app: i64 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(|e| classify(path, e))?;
    if app != APPLICATION_ID {
        return Err(DbError::NotStockpile(path.to_path_buf()));
    }
    if version > SCHEMA_VERSION {
        return Err(DbError::NewerSchema {
            path: path.to_path_buf(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}

fn open_error(path: &Path, e: rusqlite::Error) -> DbError {
    DbError::Open {
        path: path.to_path_buf(),
        message: format!("cannot open the database: {e}"),
    }
}

/// Names the common failures in words a user can act on.
pub fn classify(path: &Path, e: rusqlite::Error) -> DbError {
    use rusqlite::ErrorCode as C;
    if is_busy(&e) {
        return DbError::Busy(path.to_path_buf(), busy_timeout_secs());
    }
    match e.sqlite_error_code() {
        Some(C::NotADatabase) => DbError::NotStockpile(path.to_path_buf()),
        Some(C::ReadOnly) => DbError::Open {
            path: path.to_path_buf(),
            message:
                "the database is read-only here (check the file's and its folder's permissions)"
                    .into(),
        },
        Some(C::CannotOpen) | Some(C::PermissionDenied) => open_error(path, e),
        _ => DbError::Sqlite(e),
    }
}

/// Deletes a database this command created when nothing was imported into
/// it (no ledger entry): checked under the write lock, so another importer
/// that got there first keeps its work.
pub fn remove_if_empty(conn: Connection, path: &Path) -> Result<(), DbError> {
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| classify(path, e))?;
    let entries: i64 = conn
        .query_row("SELECT count(*) FROM import_ledger", [], |r| r.get(0))
        .map_err(|e| classify(path, e))?;
    let _ = conn.execute_batch("ROLLBACK");
    drop(conn);
    if entries == 0 {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(DbError::Open {
                        path: path.to_path_buf(),
                        message: format!("cannot remove the empty database: {e}"),
                    });
                }
            }
        }
    }
    Ok(())
}

/// A throw-away in-memory database with the schema, for `--dry-run` against
/// a database that does not exist yet (creating the file would be a write).
pub fn open_scratch() -> Result<Connection, DbError> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(SCHEMA)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}
