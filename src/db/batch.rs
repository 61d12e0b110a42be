//! Rows of the bulk tables waiting to be written, packed into one byte
//! vector reused from batch to batch: each value a tag byte, integers as
//! variable-length numbers, text inline. Handing a million rows to the
//! writing thread then allocates nothing per row (a vector per row and a
//! string per field, freed on the other thread, cost more than the overlap
//! won when it was tried), and a batch long enough to give each depot a
//! run of rows (see `sqlite::load`) stays small: ~110 bytes a holding.

use super::{Bulk, Param, Value};

/// Rows a batch takes before it is handed over: the longer the batch, the
/// longer each depot's run of rows in it (24,576 rows over 200 depots:
/// ~120 each; at 4,096 the 1M-row interleaved import took 1.2× as long,
/// at 32,768 no less time than now, but 2.6 MB more memory).
pub const ROWS: usize = 24_576;
/// `ROWS`, or `STOCKPILE_BATCH_ROWS` when set: the tests run the whole
/// suite again with batches of a few rows, so that every import they make
/// hands rows to the other thread many times.
fn rows_per_batch() -> usize {
    static ROWS_SET: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *ROWS_SET.get_or_init(|| {
        std::env::var("STOCKPILE_BATCH_ROWS")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&n| n > 0)
            .unwrap_or(ROWS)
    })
}

/// Bytes a batch takes before it is handed over (remarks can be long).
const BYTES: usize = 8 << 20;

const NULL: u8 = 0;
const INT: u8 = 1;
const REAL: u8 = 2;
const TEXT: u8 = 3;

#[derive(Default)]
pub struct Batch {
    /// Each row's table and where its values start.
    rows: Vec<(Bulk, u32)>,
    bytes: Vec<u8>,
}

impl Batch {
    pub fn push(&mut self, bulk: Bulk, row: &[&dyn Param]) {
        self.rows.push((bulk, self.bytes.len() as u32));
        for p in row {
            match p.value() {
                Value::Null => self.bytes.push(NULL),
                Value::Int(i) => {
                    self.bytes.push(INT);
                    put_varint(&mut self.bytes, zigzag(i));
                }
                Value::Real(r) => {
                    self.bytes.push(REAL);
                    self.bytes.extend_from_slice(&r.to_bits().to_le_bytes());
                }
                Value::Text(t) => {
                    self.bytes.push(TEXT);
                    put_varint(&mut self.bytes, t.len() as u64);
                    self.bytes.extend_from_slice(t.as_bytes());
                }
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Whether the batch should be handed over now.
    pub fn is_full(&self) -> bool {
        self.rows.len() >= rows_per_batch() || self.bytes.len() >= BYTES
    }

    pub fn clear(&mut self) {
        self.rows.clear();
        self.bytes.clear();
    }

    /// Every row, in the order they were pushed.
    pub fn rows(&self) -> impl Iterator<Item = BatchRow<'_>> {
        self.rows.iter().enumerate().map(|(i, &(bulk, start))| {
            let end = self
                .rows
                .get(i + 1)
                .map_or(self.bytes.len(), |&(_, next)| next as usize);
            BatchRow {
                bulk,
                bytes: &self.bytes[start as usize..end],
            }
        })
    }
}

impl Batch {
    /// The rows in the order to write them: every other table's rows as
    /// pushed, then the holding versions depot by depot, in the order
    /// pushed within each depot. Rows of a force-wide file arrive with
    /// their depots interleaved, and each depot's index entries sit
    /// together (on the file and on a server alike), so that order turns
    /// scattered B-tree inserts into runs. Nothing reads a version's id
    /// across depots as file order; within a depot, ids keep the file's
    /// order.
    pub fn in_depot_order(&self) -> Vec<BatchRow<'_>> {
        let mut rows: Vec<(i64, BatchRow)> = self
            .rows()
            .map(|row| {
                let depot = match row.bulk {
                    Bulk::HoldingVersion => row.first_int().unwrap_or(0),
                    _ => i64::MIN,
                };
                (depot, row)
            })
            .collect();
        rows.sort_by_key(|(depot, _)| *depot);
        rows.into_iter().map(|(_, row)| row).collect()
    }
}

fn zigzag(i: i64) -> u64 {
    ((i << 1) ^ (i >> 63)) as u64
}

fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

fn put_varint(out: &mut Vec<u8>, mut u: u64) {
    while u >= 0x80 {
        out.push((u as u8) | 0x80);
        u >>= 7;
    }
    out.push(u as u8);
}

/// One row of a batch.
#[derive(Clone, Copy)]
pub struct BatchRow<'a> {
    pub bulk: Bulk,
    bytes: &'a [u8],
}

impl<'a> BatchRow<'a> {
    /// The row's first value as an integer (a bulk row's first column is
    /// its depot).
    pub fn first_int(&self) -> Option<i64> {
        match self.values().next() {
            Some(Value::Int(i)) => Some(i),
            _ => None,
        }
    }

    pub fn values(&self) -> Values<'a> {
        Values { bytes: self.bytes }
    }
}

/// The values of a row, decoded as they are read.
pub struct Values<'a> {
    bytes: &'a [u8],
}

impl Values<'_> {
    fn varint(&mut self) -> u64 {
        // Most values (ids, quantities, lengths) take one byte.
        if let Some((&b, rest)) = self.bytes.split_first()
            && b < 0x80
        {
            self.bytes = rest;
            return u64::from(b);
        }
        let mut u = 0u64;
        let mut shift = 0;
        while let Some((&b, rest)) = self.bytes.split_first() {
            self.bytes = rest;
            u |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                break;
            }
            shift += 7;
        }
        u
    }
}

impl<'a> Iterator for Values<'a> {
    type Item = Value<'a>;

    fn next(&mut self) -> Option<Value<'a>> {
        let (&tag, rest) = self.bytes.split_first()?;
        self.bytes = rest;
        Some(match tag {
            INT => Value::Int(unzigzag(self.varint())),
            REAL => {
                let (bits, rest) = self.bytes.split_at(8);
                self.bytes = rest;
                Value::Real(f64::from_bits(u64::from_le_bytes(
                    bits.try_into().expect("8 bytes split off"),
                )))
            }
            TEXT => {
                let len = self.varint() as usize;
                let (text, rest) = self.bytes.split_at(len);
                self.bytes = rest;
                // Written from a `&str` by `push`: valid, checked anyway
                // (a few dozen bytes a row).
                Value::Text(std::str::from_utf8(text).expect("pushed as text"))
            }
            _ => Value::Null,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_come_back_as_pushed_with_their_tables() {
        let mut batch = Batch::default();
        let none: Option<&str> = None;
        batch.push(Bulk::ReadinessNotice, &[&1i64, &"ab", &none]);
        batch.push(
            Bulk::HoldingVersion,
            &[&"", &-2i64, &i64::MIN, &i64::MAX, &0.5f64],
        );
        batch.push(Bulk::ReadinessNotice, &[&"héllo", &3i64, &"c"]);
        let all: Vec<(Bulk, Vec<Value>)> = batch
            .rows()
            .map(|r| (r.bulk, r.values().collect()))
            .collect();
        assert_eq!(
            all,
            vec![
                (
                    Bulk::ReadinessNotice,
                    vec![Value::Int(1), Value::Text("ab"), Value::Null]
                ),
                (
                    Bulk::HoldingVersion,
                    vec![
                        Value::Text(""),
                        Value::Int(-2),
                        Value::Int(i64::MIN),
                        Value::Int(i64::MAX),
                        Value::Real(0.5)
                    ]
                ),
                (
                    Bulk::ReadinessNotice,
                    vec![Value::Text("héllo"), Value::Int(3), Value::Text("c")]
                ),
            ]
        );
        assert_eq!(batch.rows().nth(2).and_then(|r| r.first_int()), None);
        assert_eq!(batch.rows().next().and_then(|r| r.first_int()), Some(1));
        batch.clear();
        assert!(batch.is_empty() && batch.rows().next().is_none());
    }
}
