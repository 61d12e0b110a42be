//! The connection to the file, and its bulk load on the other core.
//!
//! Inserting a holding version into the file (its row and two index
//! entries) is most of an import's time; reading, validating and diffing
//! the next rows is the rest. So rows for the bulk tables are packed into
//! a batch, and a full batch is written on a second thread, which shares
//! the connection (behind a reentrant lock), while this one fills the next
//! batch. Every other statement first waits for the batch in flight and
//! writes what is buffered, so every read sees every write and the order of
//! writes is the order they were asked for (within a batch, only holding
//! versions of different depots are reordered, see
//! `Batch::in_depot_order`) — except statements run
//! [`Sqlite::beside_bulk`], which take the connection between two rows of
//! the batch being written.

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::{ReentrantMutex, ReentrantMutexGuard};
use rusqlite::Connection;

use super::super::batch::Batch;
use super::super::{Bulk, Param};
use crate::error::DbError;

/// A batch being written, and the thread writing it (which says how it
/// went).
type Loading = (JoinHandle<rusqlite::Result<()>>, Arc<Batch>);

/// Rows the writing thread inserts between chances it gives a waiting
/// statement to run.
const YIELD_EVERY: usize = 64;

pub struct Sqlite {
    /// Shared with the thread writing a batch. Reentrant: a statement may
    /// run while another one's rows are read, as rusqlite allows.
    conn: Arc<ReentrantMutex<Connection>>,
    loading: RefCell<Option<Loading>>,
    /// Rows buffered for the bulk tables, not yet written.
    pending: RefCell<Batch>,
    /// The batch buffer the last load gave back, to fill next.
    spare: RefCell<Batch>,
    /// Inside [`Sqlite::beside_bulk`]: statements need not wait for the
    /// buffered rows.
    beside: Cell<bool>,
}

pub type Guard<'a> = ReentrantMutexGuard<'a, Connection>;

fn nested() -> DbError {
    DbError::Internal("rows were written while another statement's rows were being read".into())
}

impl Sqlite {
    pub fn new(conn: Connection) -> Sqlite {
        Sqlite {
            conn: Arc::new(ReentrantMutex::new(conn)),
            loading: RefCell::new(None),
            pending: RefCell::new(Batch::default()),
            spare: RefCell::new(Batch::default()),
            beside: Cell::new(false),
        }
    }

    /// The connection, for one statement: once every row asked for is
    /// written, or, beside the bulk tables, between two rows of the batch
    /// being written.
    pub fn conn(&self) -> Result<Guard<'_>, DbError> {
        if !self.beside.get() {
            self.sync()?;
        }
        Ok(self.conn.lock())
    }

    /// Runs statements that neither read the rows appended since the last
    /// statement that waited for them, nor change the bulk tables (the
    /// registry of depots and types; a depot's stored versions before any
    /// of its rows in this file): they run while the batch is written.
    pub fn beside_bulk<T>(&self, f: impl FnOnce() -> T) -> T {
        let before = self.beside.replace(true);
        let out = f();
        self.beside.set(before);
        out
    }

    /// The connection itself, every row written and no batch in flight.
    pub fn connection_mut(&mut self) -> Result<&mut Connection, DbError> {
        self.sync()?;
        Arc::get_mut(&mut self.conn)
            .map(ReentrantMutex::get_mut)
            .ok_or_else(nested)
    }

    pub fn into_connection(mut self) -> Result<Connection, DbError> {
        self.connection_mut()?;
        Arc::try_unwrap(self.conn)
            .map(ReentrantMutex::into_inner)
            .map_err(|_| nested())
    }

    /// Buffers one row of a bulk table; a full batch goes to the other
    /// thread.
    pub fn append(&self, bulk: Bulk, row: &[&dyn Param]) -> Result<(), DbError> {
        let full = {
            let mut pending = self.pending.try_borrow_mut().map_err(|_| nested())?;
            pending.push(bulk, row);
            pending.is_full()
        };
        if full { self.ship() } else { Ok(()) }
    }

    /// Forgets the buffered rows (the transaction is being rolled back).
    pub fn discard(&self) {
        if let Ok(mut pending) = self.pending.try_borrow_mut() {
            pending.clear();
        }
        // A failed load only matters to a commit.
        let _ = self.join();
    }

    /// Waits for the batch in flight, and reports how it went.
    fn join(&self) -> Result<(), DbError> {
        let mut loading = self.loading.try_borrow_mut().map_err(|_| nested())?;
        if loading.is_none() {
            return Ok(());
        }
        // The thread needs the connection this one would be holding.
        if self.conn.is_owned_by_current_thread() {
            return Err(nested());
        }
        let (handle, batch) = loading.take().expect("checked above");
        let result = handle
            .join()
            .map_err(|_| DbError::Internal("the bulk load's thread failed".into()))?;
        self.reuse(batch)?;
        Ok(result?)
    }

    /// Writes what is buffered, here: the next statement waits for it
    /// anyway.
    fn sync(&self) -> Result<(), DbError> {
        self.join()?;
        let mut pending = self.pending.try_borrow_mut().map_err(|_| nested())?;
        if pending.is_empty() {
            return Ok(());
        }
        let result = load(&mut self.conn.lock(), &pending);
        pending.clear();
        Ok(result?)
    }

    /// Hands the full batch to another thread, after the batch before it
    /// is written; if no thread can be had, it is written here.
    fn ship(&self) -> Result<(), DbError> {
        self.join()?;
        let batch = {
            let mut pending = self.pending.try_borrow_mut().map_err(|_| nested())?;
            let mut spare = self.spare.try_borrow_mut().map_err(|_| nested())?;
            std::mem::replace(&mut *pending, std::mem::take(&mut *spare))
        };
        let conn = self.conn.clone();
        let batch = Arc::new(batch);
        let theirs = batch.clone();
        let spawned = std::thread::Builder::new()
            .name("stockpile-load".into())
            .spawn(move || load(&mut conn.lock(), &theirs));
        match spawned {
            Ok(handle) => {
                *self.loading.try_borrow_mut().map_err(|_| nested())? = Some((handle, batch));
                Ok(())
            }
            Err(_) => {
                let result = load(&mut self.conn.lock(), &batch);
                self.reuse(batch)?;
                Ok(result?)
            }
        }
    }

    /// Keeps a written batch's buffers for the next one, once the thread
    /// that wrote it has let go of it.
    fn reuse(&self, batch: Arc<Batch>) -> Result<(), DbError> {
        if let Ok(mut batch) = Arc::try_unwrap(batch) {
            batch.clear();
            *self.spare.try_borrow_mut().map_err(|_| nested())? = batch;
        }
        Ok(())
    }
}

/// Writes a batch, in depot order (`Batch::in_depot_order`).
///
/// Every few rows a statement waiting to run beside the bulk tables gets
/// the connection (its guard is bumped; statements are not held open
/// across it).
fn load(conn: &mut Guard, batch: &Batch) -> rusqlite::Result<()> {
    for chunk in batch.in_depot_order().chunks(YIELD_EVERY) {
        let mut statements: [Option<rusqlite::CachedStatement>; Bulk::ALL.len()] =
            std::array::from_fn(|_| None);
        for row in chunk {
            let stmt = match &mut statements[row.bulk as usize] {
                Some(stmt) => stmt,
                slot => slot.insert(conn.prepare_cached(insert_sql(row.bulk))?),
            };
            for (i, value) in row.values().enumerate() {
                stmt.raw_bind_parameter(i + 1, value)?;
            }
            stmt.raw_execute()?;
        }
        drop(statements);
        ReentrantMutexGuard::bump(conn);
    }
    Ok(())
}

/// The INSERT for a bulk table, made once from `Bulk::columns` so the
/// column list has one definition for both backends.
fn insert_sql(bulk: Bulk) -> &'static str {
    static SQL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let all = SQL.get_or_init(|| {
        Bulk::ALL
            .iter()
            .map(|bulk| {
                let places = (1..=bulk.columns().len())
                    .map(|i| format!("?{i}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!(
                    "INSERT INTO {} ({}) VALUES ({places})",
                    bulk.table(),
                    bulk.column_list()
                )
            })
            .collect()
    });
    &all[bulk as usize]
}
