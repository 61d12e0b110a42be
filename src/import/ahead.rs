//! Reading ahead: the records of a file read, decoded and (mostly)
//! validated on a thread of their own while the import writes those before
//! them. With next to nothing to write for most lines of a next week's
//! export, reading and validating were half of its time on one core.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use indicatif::ProgressBar;

use super::row::{Holding, Validator, is_blank};
use super::{Input, Records};
use crate::error::{Error, RowError};

/// Chunks read ahead of the writer: enough to ride out a depot's first
/// row (its stored state read) without holding much of the file.
const CHUNKS_AHEAD: usize = 16;
const CHUNK_ROWS: usize = 512;
/// A chunk ends past this many bytes of text: a hostile file's long lines
/// (each up to `dialect::MAX_LINE_BYTES`) must not fill 512 rows apiece.
const CHUNK_BYTES: usize = 256 * 1024;

/// A record and what validating it gave.
struct Parsed {
    line: u64,
    record: csv::StringRecord,
    /// None until validated (by the reader, or by the writer if it would
    /// otherwise wait).
    holding: Option<Result<Holding, Vec<RowError>>>,
}

/// Records read ahead, with how far into the file they reach.
#[derive(Default)]
struct Chunk {
    rows: Vec<Parsed>,
    len: usize,
    position: u64,
    validated: bool,
}

/// Calls `take` with each non-blank record of `records` in order — its
/// line, the record, and what validating it gave — reading on another
/// thread meanwhile. Stops at the first error of either.
pub(super) fn each_record(
    records: &mut Records,
    file: &str,
    input: &Input,
    validator: &Validator,
    progress: Option<&ProgressBar>,
    mut take: impl FnMut(
        u64,
        &csv::StringRecord,
        &mut Result<Holding, Vec<RowError>>,
    ) -> Result<(), Error>,
) -> Result<(), Error> {
    let waiting = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let (ready, parsed) = mpsc::sync_channel(CHUNKS_AHEAD);
        let (refill, empty) = mpsc::channel();
        for _ in 0..CHUNKS_AHEAD {
            let _ = refill.send(Chunk::default());
        }
        let queue = &waiting;
        scope.spawn(move || read_ahead(records, file, input, validator, queue, &ready, &empty));
        for chunk in parsed {
            let mut chunk = chunk?;
            waiting.fetch_sub(1, Ordering::Relaxed);
            let validated_here = !chunk.validated;
            for p in &mut chunk.rows[..chunk.len] {
                let holding = p
                    .holding
                    .get_or_insert_with(|| validator.validate(&p.record, p.line));
                take(p.line, &p.record, holding)?;
                // Freed where it was made.
                if validated_here {
                    p.holding = None;
                }
            }
            if let Some(p) = progress {
                p.set_position(chunk.position);
            }
            // Back to be refilled, the records' buffers reused.
            let _ = refill.send(chunk);
        }
        Ok(())
    })
}

/// Reads the records on a thread of its own while the import writes those
/// before them: with nothing to write for most lines of a next week's
/// export, reading and validating were half of its time. Non-blank records
/// go out in order, a chunk at a time, in chunks that come back empty
/// through `empty`; an error goes after the rows read before it. A chunk is
/// validated here while the writer has others `waiting`, and left to the
/// writer when it would otherwise wait: the two cores share the work
/// whichever side is slower (a first import writes much, a next week's
/// little). Stops when the writer stops taking chunks.
fn read_ahead(
    records: &mut Records,
    file: &str,
    input: &Input,
    validator: &Validator,
    waiting: &AtomicUsize,
    ready: &mpsc::SyncSender<Result<Chunk, Error>>,
    empty: &mpsc::Receiver<Chunk>,
) {
    let mut done = false;
    while !done {
        let Ok(mut chunk) = empty.recv() else { return };
        chunk.len = 0;
        let mut bytes = 0;
        let mut failed = None;
        while chunk.len < CHUNK_ROWS && bytes < CHUNK_BYTES {
            if chunk.rows.len() == chunk.len {
                chunk.rows.push(Parsed {
                    line: 0,
                    record: csv::StringRecord::new(),
                    holding: None,
                });
            }
            let p = &mut chunk.rows[chunk.len];
            p.holding = None;
            // A record that held a long line gives its buffer back rather
            // than keep it for a slot of ordinary ones.
            if p.record.as_slice().len() > CHUNK_BYTES / 16 {
                p.record = csv::StringRecord::new();
            }
            match records.read(file, &mut p.record) {
                Ok(Some(_)) if is_blank(&p.record) => {}
                Ok(Some(line)) => {
                    p.line = line;
                    bytes += p.record.as_slice().len();
                    chunk.len += 1;
                }
                Ok(None) => {
                    done = true;
                    break;
                }
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        chunk.validated = waiting.load(Ordering::Relaxed) > 0;
        if chunk.validated {
            for p in &mut chunk.rows[..chunk.len] {
                p.holding = Some(validator.validate(&p.record, p.line));
            }
        }
        if chunk.len > 0 {
            chunk.position = records.position(&chunk.rows[chunk.len - 1].record, input);
            waiting.fetch_add(1, Ordering::Relaxed);
            if ready.send(Ok(chunk)).is_err() {
                return;
            }
        }
        if let Some(e) = failed {
            waiting.fetch_add(1, Ordering::Relaxed);
            let _ = ready.send(Err(e));
            return;
        }
    }
}
