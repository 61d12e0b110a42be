//! A PostgreSQL server, for many sites importing and reading at once
//! (SPEC §10): the connection, the schema and its version table, the
//! writers' queue (an advisory lock), the bulk load of holding versions
//! (binary `COPY`), and the few spellings SQLite's SQL has that
//! PostgreSQL's lacks.

mod service;
mod tls;
mod url;
mod wire;

use std::cell::RefCell;
use std::collections::HashMap;

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{ToSql, Type};
use postgres::{Client, GenericClient, Statement};

pub use url::{Server, is_conninfo};
pub(crate) use wire::value;

use super::batch::Batch;
use super::{Access, Backend, Bulk, Db, Param, Value, sqlite};
use crate::error::DbError;

/// The lock every writer takes for its transaction: imports queue one at a
/// time, as they do on the SQLite file, because the versioning rule and the
/// double-count check read other depots' holdings. ("STKP" again.)
const WRITE_LOCK: i64 = 0x5354_4b50_0001;
/// Taken while the schema is created, so two first imports make it once.
const SCHEMA_LOCK: i64 = 0x5354_4b50_0002;
/// Rows loaded by one transaction after which it refreshes the planner's
/// statistics (a fixed sample: ~0.3 s whatever the table's size).
const ANALYZE_AFTER: usize = 20_000;

/// A bulk load in flight: the thread holds the connection until it ends.
type Loading = std::thread::JoinHandle<(Client, Batch, Result<(), postgres::Error>)>;

/// A connection and what it keeps between statements.
pub struct Pg {
    /// The connection, away (None) while a `COPY` runs on it.
    client: RefCell<Option<Client>>,
    /// The `COPY` running on another thread while this one reads on: it
    /// gives the connection back when joined, before any other statement.
    copying: RefCell<Option<Loading>>,
    statements: RefCell<HashMap<String, Statement>>,
    /// Rows of each bulk table not yet sent, and how many in all.
    pending: RefCell<Batch>,
    /// The batch buffer the last `COPY` gave back, to fill next.
    spare: RefCell<Batch>,
    /// Versions loaded by the open transaction. Aggregate rows are not
    /// counted: a next week's import rewrites a changed type's rows whole
    /// (over 90,000 of them for a 1M stockpile), which is no reason to
    /// read every table again (0.46–0.76 s).
    loaded: std::cell::Cell<usize>,
    shown: String,
}

/// The SQL above the seam, in PostgreSQL's spelling: `$N` for `?N`, and
/// SQLite's planner hints and conflict clauses dropped.
pub fn translate(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut quoted = false;
    let mut next = 0;
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => {
                out.push('$');
                if chars.peek().is_some_and(char::is_ascii_digit) {
                    while let Some(d) = chars.next_if(char::is_ascii_digit) {
                        out.push(d);
                    }
                } else {
                    next += 1;
                    out.push_str(&next.to_string());
                }
            }
            _ => out.push(c),
        }
    }
    out.replace(" NOT INDEXED", "")
        .replace("UPDATE OR FAIL ", "UPDATE ")
}

fn nested() -> DbError {
    DbError::Internal("a statement was run while another one's rows were being read".into())
}

impl Pg {
    fn client(&self) -> Result<std::cell::RefMut<'_, Client>, DbError> {
        self.join()?;
        let slot = self.client.try_borrow_mut().map_err(|_| nested())?;
        std::cell::RefMut::filter_map(slot, Option::as_mut).map_err(|_| nested())
    }

    /// Waits for the bulk load in flight, and reports how it went.
    fn join(&self) -> Result<(), DbError> {
        let Some(handle) = self.copying.try_borrow_mut().map_err(|_| nested())?.take() else {
            return Ok(());
        };
        let (client, mut batch, result) = handle
            .join()
            .map_err(|_| DbError::Internal("the bulk load's thread failed".into()))?;
        batch.clear();
        *self.spare.try_borrow_mut().map_err(|_| nested())? = batch;
        *self.client.try_borrow_mut().map_err(|_| nested())? = Some(client);
        Ok(result?)
    }

    fn statement(&self, client: &mut Client, sql: &str) -> Result<Statement, DbError> {
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let statement = client.prepare(&translate(sql))?;
        self.statements
            .borrow_mut()
            .insert(sql.to_string(), statement.clone());
        Ok(statement)
    }

    pub(super) fn each<E: From<DbError>>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        mut f: impl FnMut(&postgres::Row) -> Result<(), E>,
    ) -> Result<(), E> {
        self.flush()?;
        let mut client = self.client()?;
        let statement = self.statement(&mut client, sql)?;
        let mut rows = client
            .query_raw(&statement, params.iter().map(|p| p.value()))
            .map_err(DbError::from)?;
        while let Some(row) = rows.next().map_err(DbError::from)? {
            f(&row)?;
        }
        Ok(())
    }

    pub(super) fn execute(&self, sql: &str, params: &[&dyn Param]) -> Result<u64, DbError> {
        self.flush()?;
        let mut client = self.client()?;
        let statement = self.statement(&mut client, sql)?;
        let values: Vec<Value> = params.iter().map(|p| p.value()).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v as _).collect();
        Ok(client.execute(&statement, &refs)?)
    }

    pub(super) fn batch(&self, sql: &str) -> Result<(), DbError> {
        self.flush()?;
        Ok(self.client()?.batch_execute(sql)?)
    }

    pub(super) fn append(&self, bulk: Bulk, row: &[&dyn Param]) -> Result<(), DbError> {
        let full = {
            let mut pending = self.pending.try_borrow_mut().map_err(|_| nested())?;
            pending.push(bulk, row);
            if bulk == Bulk::HoldingVersion {
                self.loaded.set(self.loaded.get() + 1);
            }
            pending.is_full()
        };
        if full { self.flush() } else { Ok(()) }
    }

    /// Sends the buffered rows, one binary `COPY` per table, on another
    /// thread: the server stores one batch while this thread validates the
    /// next (the next statement waits for it).
    fn flush(&self) -> Result<(), DbError> {
        if self.pending.try_borrow().map_err(|_| nested())?.is_empty() {
            return Ok(());
        }
        self.join()?;
        let batch = {
            let mut pending = self.pending.try_borrow_mut().map_err(|_| nested())?;
            let mut spare = self.spare.try_borrow_mut().map_err(|_| nested())?;
            std::mem::replace(&mut *pending, std::mem::take(&mut *spare))
        };
        let mut client = self
            .client
            .try_borrow_mut()
            .map_err(|_| nested())?
            .take()
            .ok_or_else(nested)?;
        let handle = std::thread::spawn(move || {
            let result = copy(&mut client, &batch);
            (client, batch, result)
        });
        *self.copying.try_borrow_mut().map_err(|_| nested())? = Some(handle);
        Ok(())
    }
}

/// One binary `COPY` per table with rows in the batch, in depot order.
fn copy(client: &mut Client, batch: &Batch) -> Result<(), postgres::Error> {
    let mut values: Vec<Value> = Vec::with_capacity(16);
    let ordered = batch.in_depot_order();
    for bulk in Bulk::ALL {
        let mut rows = ordered.iter().filter(|r| r.bulk == bulk).peekable();
        if rows.peek().is_none() {
            continue;
        }
        let sink = client.copy_in(&format!(
            "COPY {} ({}) FROM STDIN (FORMAT binary)",
            bulk.table(),
            bulk.column_list()
        ))?;
        let types: Vec<Type> = bulk
            .columns()
            .iter()
            .map(|&(_, text)| if text { Type::TEXT } else { Type::INT8 })
            .collect();
        let mut writer = BinaryCopyInWriter::new(sink, &types);
        for row in rows {
            values.clear();
            values.extend(row.values());
            writer.write_raw(values.iter())?;
        }
        writer.finish()?;
    }
    Ok(())
}

impl Pg {
    pub(super) fn begin_write(&self) -> Result<(), DbError> {
        self.batch(&format!(
            "BEGIN; SET LOCAL lock_timeout = '{}s'",
            sqlite::busy_timeout_secs()
        ))?;
        let locked = self
            .client()?
            .execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK]);
        match locked {
            Ok(_) => Ok(()),
            Err(e) => {
                let _ = self.client()?.batch_execute("ROLLBACK");
                Err(classify(&self.shown, e))
            }
        }
    }

    /// Whether `loaded` rows make the planner's statistics out of date: the
    /// versions were never analysed, or the load is a tenth of them (the
    /// server's own autovacuum threshold). A next week's import, 1 % of
    /// the versions, then skips the 0.34 s of an ANALYZE at 1M.
    fn stale_statistics(&self, loaded: usize) -> Result<bool, DbError> {
        let estimate: f32 = self
            .client()?
            .query_one(
                "SELECT reltuples FROM pg_class WHERE oid = 'holding_version'::regclass",
                &[],
            )
            .map_err(|e| classify(&self.shown, e))?
            .get(0);
        Ok(estimate <= 0.0 || loaded as f32 >= estimate / 10.0)
    }

    pub(super) fn end(&self, sql: &str) -> Result<(), DbError> {
        let loaded = self.loaded.replace(0);
        if sql == "COMMIT" {
            self.flush()?;
            if loaded >= ANALYZE_AFTER && self.stale_statistics(loaded)? {
                // Fresh statistics before the first report: without them the
                // planner takes a just-loaded table for empty and reads a
                // million versions through their index, 4× slower.
                self.client()?.batch_execute(
                    "ANALYZE holding_version, readiness_current, readiness_notice, readiness_expiry,
                        readiness_owner, readiness_owner_notice, readiness_depot_owner,
                        readiness_depot_owner_notice, snapshot",
                )?;
            }
        } else {
            if let Ok(mut pending) = self.pending.try_borrow_mut() {
                pending.clear();
            }
            // A failed load only matters to a commit.
            let _ = self.join();
        }
        self.client()?
            .batch_execute(sql)
            .map_err(|e| classify(&self.shown, e))
    }

    /// Runs user SQL as `query` does: prepared, so that the columns' names
    /// and types are known before any row.
    pub fn user_query(
        &self,
        sql: &str,
        timeout: std::time::Duration,
        mut f: impl FnMut(&[String], &postgres::Row) -> Result<(), crate::error::Error>,
    ) -> Result<Vec<String>, crate::error::Error> {
        let mut client = self.client()?;
        client
            .batch_execute(&format!(
                "SET LOCAL statement_timeout = {}",
                timeout.as_millis()
            ))
            .map_err(user_error)?;
        let statement = client.prepare(sql).map_err(user_error)?;
        let names: Vec<String> = statement
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect();
        let mut rows = client
            .query_raw(&statement, std::iter::empty::<Value>())
            .map_err(user_error)?;
        while let Some(row) = rows.next().map_err(user_error)? {
            f(&names, &row)?;
        }
        Ok(names)
    }
}

/// A user's query refused or failed: the server's own words.
fn user_error(e: postgres::Error) -> crate::error::Error {
    match e.as_db_error() {
        Some(db) if db.code() == &postgres::error::SqlState::READ_ONLY_SQL_TRANSACTION => {
            crate::error::Error::Query(
                "query: refused: query only reads (the transaction is read-only); change data with import".into(),
            )
        }
        Some(db) => crate::error::Error::Query(format!("query: {}", db.message())),
        None => crate::error::Error::Db(DbError::Postgres(e)),
    }
}

/// The PostgreSQL part of `schema.sql`.
fn schema() -> &'static str {
    super::SCHEMA
        .split_once(sqlite::POSTGRES_PART)
        .map(|(_, pg)| pg)
        .expect("schema.sql has its PostgreSQL part")
}

/// Names a failure in words a user can act on: a lock held past the busy
/// timeout, a server that cannot be reached.
pub fn classify(shown: &str, e: postgres::Error) -> DbError {
    use postgres::error::SqlState;
    if let Some(db) = e.as_db_error()
        && (db.code() == &SqlState::LOCK_NOT_AVAILABLE || db.code() == &SqlState::QUERY_CANCELED)
    {
        return DbError::Busy(shown.to_string(), sqlite::busy_timeout_secs());
    }
    if e.is_closed() {
        return DbError::Unreachable {
            server: shown.to_string(),
            message: "the connection to the server was lost".into(),
        };
    }
    DbError::Postgres(e)
}

/// Connects to the server and checks (or, for a writer, creates) the schema.
pub fn open(server: &Server, access: Access) -> Result<Db, DbError> {
    let shown = server.shown.clone();
    let mut client = server.connect().map_err(|message| DbError::Unreachable {
        server: format!("{shown} (host {})", server.host()),
        message,
    })?;
    // No JIT: its compiling (25 ms and more a query, measured at 1M)
    // costs more than the short scans it would speed up.
    client.batch_execute("SET client_min_messages = warning; SET jit = off")?;
    // Exports come in every script; a database in a narrower encoding
    // would refuse them one by one, mid-import.
    let encoding: String = client.query_one("SHOW server_encoding", &[])?.get(0);
    if encoding != "UTF8" && access == Access::Write {
        return Err(DbError::Open {
            path: shown,
            message: format!(
                "the database's encoding is {encoding}, and stockpile stores text in every script: create it with `createdb -E UTF8 -T template0 NAME`"
            ),
        });
    }
    // A hot standby answers every reading command (as of what it has
    // replayed) and refuses writes, naming where they go.
    let standby: bool = client.query_one("SELECT pg_is_in_recovery()", &[])?.get(0);
    if standby && access == Access::Write {
        return Err(DbError::Standby {
            server: shown,
            primary: primary_of(&mut client),
        });
    }
    let marked = tables(&mut client, &["stockpile_schema"])?;
    let (version, created) = match marked {
        true => (read_marks(&mut client, &shown)?, false),
        false if access != Access::Write => {
            // The server database exists (we are connected to it): it is
            // not missing, it has nothing imported yet.
            return Err(if has_our_tables(&mut client)? {
                DbError::NotStockpile(shown)
            } else {
                DbError::Empty(shown)
            });
        }
        false => create_schema(&mut client, &shown)?,
    };
    if version > sqlite::SCHEMA_VERSION {
        return Err(DbError::NewerSchema {
            path: shown,
            found: version,
            supported: sqlite::SCHEMA_VERSION,
        });
    }
    if version < sqlite::SCHEMA_VERSION && standby {
        return Err(DbError::Open {
            path: shown,
            message: format!(
                "this standby's schema is version {version} and this stockpile reads version {}: it is upgraded by the first import on the primary{}, and the standby follows",
                sqlite::SCHEMA_VERSION,
                primary_of(&mut client)
                    .map(|p| format!(" ({p})"))
                    .unwrap_or_default()
            ),
        });
    }
    if version < sqlite::SCHEMA_VERSION && access != Access::ReadOnly {
        migrate(&mut client, &shown)?;
    }
    if access != Access::Write {
        // Tables made by a first import that was refused hold nothing: as
        // with no file, there is nothing to read yet. (They are kept, not
        // dropped: another stockpile may be using them already.)
        let imported: bool = client
            .query_one("SELECT EXISTS (SELECT 1 FROM import_ledger)", &[])?
            .get(0);
        if !imported {
            return Err(DbError::Empty(shown));
        }
        if standby {
            standby_note(&mut client, &shown);
        }
        // One snapshot for the whole command, as a SQLite read transaction:
        // figures never mix two imports.
        // The first query fixes the snapshot and the read-only mode: a
        // user's `SET TRANSACTION READ WRITE` can no longer change it.
        client.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT 1")?;
    }
    Ok(Db::new(
        Backend::Postgres(Box::new(Pg {
            client: RefCell::new(Some(client)),
            copying: RefCell::new(None),
            loaded: std::cell::Cell::new(0),
            statements: RefCell::new(HashMap::new()),
            pending: RefCell::new(Batch::default()),
            spare: RefCell::new(Batch::default()),
            shown: shown.clone(),
        })),
        shown,
        created,
    ))
}

/// The primary a standby streams from (`host:port`), when the server lets
/// this role see it.
fn primary_of(client: &mut Client) -> Option<String> {
    let row = client
        .query_opt(
            "SELECT sender_host, sender_port FROM pg_stat_wal_receiver",
            &[],
        )
        .ok()??;
    let host: Option<String> = row.get(0);
    let port: Option<i32> = row.get(1);
    Some(match port {
        Some(port) => format!("{}:{port}", host?),
        None => host?,
    })
}

/// Says, once, that the figures come from a standby, and how recent its
/// copy is: the primary's last change it has replayed.
fn standby_note(client: &mut Client, shown: &str) {
    let replayed: Option<String> = client
        .query_one(
            "SELECT to_char(pg_last_xact_replay_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')",
            &[],
        )
        .ok()
        .and_then(|r| r.get(0));
    let of = primary_of(client)
        .map(|p| format!(" of {p}"))
        .unwrap_or_default();
    eprintln!(
        "note: {shown} is a read-only hot standby{of}; its figures are the primary's as of the last change it replayed{}",
        replayed
            .map(|t| format!(", committed {t} UTC"))
            .unwrap_or_default()
    );
}

fn read_marks(client: &mut Client, shown: &str) -> Result<i64, DbError> {
    let row = client.query_opt("SELECT application_id, version FROM stockpile_schema", &[])?;
    match row {
        Some(r) if r.get::<_, i64>(0) == sqlite::APPLICATION_ID => Ok(r.get(1)),
        _ => Err(DbError::NotStockpile(shown.to_string())),
    }
}

fn has_our_tables(client: &mut impl GenericClient) -> Result<bool, DbError> {
    tables(client, &["holding_version", "import_ledger"])
}

/// Whether any of these tables is there, as of this statement: read from
/// `pg_class` like any table (`to_regclass` may answer from a catalog
/// snapshot older than the lock just taken, and miss a schema that another
/// stockpile committed meanwhile).
fn tables(client: &mut impl GenericClient, names: &[&str]) -> Result<bool, DbError> {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let row = client.query_one(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class
                        WHERE relname = ANY($1) AND pg_catalog.pg_table_is_visible(oid))",
        &[&names],
    )?;
    Ok(row.get(0))
}

/// Creates the schema unless another stockpile did while this one waited
/// for the lock: its version, and whether this one made it.
fn create_schema(client: &mut Client, shown: &str) -> Result<(i64, bool), DbError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
    if tables(&mut tx, &["stockpile_schema"])? {
        // Another stockpile created it while this one waited.
        drop(tx);
        return Ok((read_marks(client, shown)?, false));
    }
    if has_our_tables(&mut tx)? {
        return Err(DbError::NotStockpile(shown.to_string()));
    }
    tx.batch_execute(schema())?;
    tx.execute(
        "INSERT INTO stockpile_schema (application_id, version) VALUES ($1, $2)",
        &[&sqlite::APPLICATION_ID, &sqlite::SCHEMA_VERSION],
    )?;
    tx.commit()?;
    Ok((sqlite::SCHEMA_VERSION, true))
}

/// Brings the server's schema up to this version, step by step, in one
/// transaction under the schema lock: another stockpile sees it all done
/// or not begun (and one that waited finds nothing left to do).
fn migrate(client: &mut Client, shown: &str) -> Result<(), DbError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
    let mut version: i64 = tx
        .query_one("SELECT version FROM stockpile_schema", &[])?
        .get(0);
    while version < sqlite::SCHEMA_VERSION {
        version += 1;
        let step = sqlite::migration_in(schema(), version).ok_or_else(|| {
            DbError::Internal(format!("{shown}: no server migration to schema {version}"))
        })?;
        tx.batch_execute(step)?;
        tx.execute("UPDATE stockpile_schema SET version = $1", &[&version])?;
    }
    tx.commit()?;
    Ok(())
}

/// The references the holding versions leave undeclared on the server (for
/// the bulk load's sake, schema.sql): (check, problem).
pub(super) fn storage_problems(db: &Db) -> Result<Vec<(&'static str, String)>, DbError> {
    let lost: Vec<(i64, i64, i64)> = db.rows(
        // Joins, not NOT EXISTS per row: one pass hashing the small tables
        // (40 ms for 100k versions, against 1.8 s).
        "SELECT count(*) FILTER (WHERE d.id IS NULL), count(*) FILTER (WHERE t.id IS NULL),
                count(*) FILTER (WHERE l.id IS NULL)
         FROM holding_version h
         LEFT JOIN depot d ON d.id = h.depot_id
         LEFT JOIN equipment_type t ON t.id = h.type_id
         LEFT JOIN import_ledger l ON l.id = h.opened_by",
        &[],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let mut problems = Vec::new();
    for (depots, types, entries) in lost {
        for (n, what) in [
            (depots, "depot"),
            (types, "equipment_type"),
            (entries, "import_ledger"),
        ] {
            if n > 0 {
                problems.push((
                    "foreign keys",
                    format!("{n} holding_version rows refer to a missing {what} row"),
                ));
            }
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::translate;

    #[test]
    fn parameters_take_the_servers_spelling_outside_quotes() {
        assert_eq!(
            translate("SELECT ?1, '?2' FROM t NOT INDEXED WHERE a = ?12 AND b = ?"),
            "SELECT $1, '?2' FROM t WHERE a = $12 AND b = $1"
        );
    }
}
