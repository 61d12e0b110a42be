//! `stockpile backup FILE`: a consistent copy of the whole database —
//! history, requirements, ledger — made with SQLite's online backup while
//! other stockpiles may be writing.

use std::fs::OpenOptions;
use std::path::Path;

use rusqlite::Connection;
use rusqlite::backup::Backup;

use super::Context;
use crate::cli::BackupArgs;
use crate::db::{self, Access};
use crate::error::{DbError, Error, Result};

pub fn run(args: &BackupArgs, ctx: &mut Context) -> Result<()> {
    let target = &args.file;
    let Some(db_path) = ctx.db.file() else {
        return Err(Error::Usage(format!(
            "backup copies a stockpile file; {} is a server: back it up with the server's own tools (pg_dump --format=custom, or its replication), which keep every table stockpile made there",
            ctx.db
        )));
    };
    if same_file(db_path, target) {
        return Err(Error::Usage(format!(
            "{}: that is the database itself; name another file",
            target.display()
        )));
    }
    if target.exists() {
        if !args.force {
            return Err(Error::Usage(format!(
                "{}: already exists; name another file, or give --force to overwrite it",
                target.display()
            )));
        }
        for suffix in ["", "-wal", "-shm"] {
            let mut p = target.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(&p);
        }
    }
    let db = db::open(&ctx.db, Access::Read)?;
    let source = db.sqlite()?.expect("a file is a SQLite database");
    // The copy holds where a force keeps its weapons: its owner only, from
    // the first byte.
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(target).map_err(|source| Error::Io {
        path: target.clone(),
        source,
    })?;
    let copy = || -> rusqlite::Result<Connection> {
        let mut dest = Connection::open(target)?;
        // One step: the whole database is read under one read lock, so the
        // copy is one consistent state even while an import commits.
        Backup::new(&source, &mut dest)?.step(-1)?;
        Ok(dest)
    };
    let dest = copy().map_err(|e| {
        let _ = std::fs::remove_file(target);
        Error::Db(DbError::Open {
            path: target.display().to_string(),
            message: format!("cannot write the backup: {e}"),
        })
    })?;
    let entries: i64 = dest.query_row("SELECT count(*) FROM import_ledger", [], |r| r.get(0))?;
    let head: String = dest.query_row(
        "SELECT coalesce((SELECT entry_hash FROM import_ledger ORDER BY id DESC LIMIT 1), '')",
        [],
        |r| r.get(0),
    )?;
    let head = super::check::short_head(&head);
    drop(dest);
    let size = std::fs::metadata(target).map(|m| m.len()).unwrap_or(0);
    if !ctx.quiet {
        writeln!(
            ctx.err,
            "backed up {} to {} ({} bytes, {entries} ledger entries, head {head})\nto restore: use it as it is (--db {}), or copy it over the database while no stockpile runs; stockpile check --expect {head} proves later that the ledger still holds everything up to now",
            ctx.db,
            target.display(),
            size,
            target.display()
        )?;
    }
    Ok(())
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}
