//! Serial checks (SPEC §3): a serial is unique within a snapshot, and one
//! held by two depots on the same date is warned about (possible double
//! count).
//!
//! Serials are kept as 64-bit hashes in memory, per snapshot date, while a
//! file streams past; other depots' serials are then read once per date with
//! one scan. An index on `holding_version(serial)` would answer the same
//! question, but maintaining it cost a third of the import time (random
//! inserts into a text B-tree) for a warning.

use crate::db::{self, Db};
use chrono::{Datelike, NaiveDate};
use rustc_hash::FxHashMap;
use xxhash_rust::xxh3::xxh3_64;

use crate::content::find_hashed;
use crate::error::RowError;
use crate::model::iso;

/// Where a serial was first seen in this file: 8 bytes, so that a million
/// serials fit in a few megabytes.
#[derive(Clone, Copy)]
struct Seen {
    depot_id: u32,
    line: u32,
}

/// Serials a date's map takes before they join its sorted vector.
const RECENT: usize = 2048;

/// The serials of one snapshot date in this file, by 64-bit hash: the
/// older ones in a vector sorted by hash, exactly sized (16 bytes each),
/// the newest in a small map merged into it when full. A hash map of a
/// million entries would take twice the memory (its table doubles, and
/// stands half empty after each doubling).
struct DateBook {
    date: NaiveDate,
    sorted: Vec<(u64, Seen)>,
    recent: FxHashMap<u64, Seen>,
    /// The depots of this file with serials on this date.
    depots: rustc_hash::FxHashSet<i64>,
}

impl DateBook {
    fn get(&self, hash: u64) -> Option<Seen> {
        if let Some(&seen) = self.recent.get(&hash) {
            return Some(seen);
        }
        find_hashed(&self.sorted, hash, |e| e.0)
            .ok()
            .map(|i| self.sorted[i].1)
    }

    fn insert(&mut self, hash: u64, seen: Seen) {
        self.recent.insert(hash, seen);
        if self.recent.len() >= RECENT {
            self.settle();
        }
    }

    /// Merges the map into the sorted vector, in place from the back.
    fn settle(&mut self) {
        let mut new: Vec<(u64, Seen)> = self.recent.drain().collect();
        new.sort_unstable_by_key(|e| e.0);
        let old_len = self.sorted.len();
        self.sorted.reserve_exact(new.len());
        self.sorted.extend_from_slice(&new);
        let (mut i, mut j, mut k) = (old_len, new.len(), self.sorted.len());
        while j > 0 {
            k -= 1;
            if i > 0 && self.sorted[i - 1].0 > new[j - 1].0 {
                i -= 1;
                self.sorted[k] = self.sorted[i];
            } else {
                j -= 1;
                self.sorted[k] = new[j];
            }
        }
    }
}

/// The books of a file's dates. A depot's export holds one or a few; a
/// force-wide file one per depot (`gen.py`: 200), where a scan of the
/// books per row cost more than the rest of the serial check.
#[derive(Default)]
pub struct SerialBook {
    dates: Vec<DateBook>,
    by_date: FxHashMap<NaiveDate, usize>,
    /// One bit per (serial, date) hash, set when one is recorded: a serial
    /// whose bit is clear is surely new, and needs no search of its date's
    /// book (a search is a dozen cache misses in a million serials; most
    /// serials are new). 4 MB, touched only as serials come.
    seen_bits: Vec<u64>,
}

const SEEN_BITS_LOG2: u32 = 25;

impl SerialBook {
    /// Records a row's serial. A serial already held by the same depot on the
    /// same date is an invalid row; by another depot, a warning.
    pub fn record(
        &mut self,
        serial: &str,
        depot_id: i64,
        depot: &str,
        as_of: NaiveDate,
        line: u64,
    ) -> Result<Option<String>, RowError> {
        let book = match self.by_date.get(&as_of) {
            Some(&i) => &mut self.dates[i],
            None => {
                self.by_date.insert(as_of, self.dates.len());
                self.dates.push(DateBook {
                    date: as_of,
                    sorted: Vec::new(),
                    recent: FxHashMap::default(),
                    depots: Default::default(),
                });
                self.dates.last_mut().expect("just pushed")
            }
        };
        book.depots.insert(depot_id);
        let hash = xxh3_64(serial.as_bytes());
        if self.seen_bits.is_empty() {
            self.seen_bits = vec![0; 1 << (SEEN_BITS_LOG2 - 6)];
        }
        // The date mixed in, so that a depot's serials on two dates do not
        // set each other's bits.
        let bit = ((hash
            ^ (i64::from(as_of.num_days_from_ce()) as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))
            >> (64 - SEEN_BITS_LOG2)) as usize;
        let (word, mask) = (bit >> 6, 1u64 << (bit & 63));
        let maybe_seen = self.seen_bits[word] & mask != 0;
        self.seen_bits[word] |= mask;
        match maybe_seen.then(|| book.get(hash)).flatten() {
            Some(first) if i64::from(first.depot_id) == depot_id => Err(RowError {
                line,
                column: "serial".into(),
                message: format!(
                    "\"{serial}\" is already held by line {} of this snapshot ({depot} as of {}); a serial is unique within a snapshot",
                    first.line,
                    iso(as_of)
                ),
            }),
            Some(first) => Ok(Some(format!(
                "line {line}: serial {serial} of {depot} as of {} is also held on that date by line {} of this file (another depot; possible double count)",
                iso(as_of),
                first.line
            ))),
            None => {
                let seen_at = Seen {
                    depot_id: depot_id as u32,
                    line: line.min(u64::from(u32::MAX)) as u32,
                };
                book.insert(hash, seen_at);
                Ok(None)
            }
        }
    }

    /// Serials of this file that other depots hold on the same date, as
    /// stored: (serial, this file's depot, the other depot, date). Depots
    /// this file writes are compared in memory as it streams; each other
    /// depot is read once per snapshot of its that is in force on one of
    /// this file's dates (usually once: its latest), through the
    /// (depot, valid_to) index — never once per date, which on a force-wide
    /// export of 200 dates would read the table 200 times.
    pub fn held_elsewhere(
        &self,
        conn: &Db,
        limit: usize,
    ) -> db::Result<Vec<(String, i64, String, NaiveDate)>> {
        let mut found = Vec::new();
        if self.dates.is_empty() {
            return Ok(found);
        }
        let mine: rustc_hash::FxHashSet<i64> = self
            .dates
            .iter()
            .flat_map(|b| b.depots.iter().copied())
            .collect();
        let latest_book = self.dates.iter().map(|b| b.date).max().map(iso);
        let snapshots: Vec<(i64, String, NaiveDate)> = conn.rows(
            "SELECT s.depot_id, d.code, s.as_of FROM snapshot s JOIN depot d ON d.id = s.depot_id
             WHERE s.as_of <= ?1 ORDER BY s.depot_id, s.as_of",
            &[&latest_book],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let mut by_depot: std::collections::BTreeMap<i64, (String, Vec<NaiveDate>)> =
            Default::default();
        for (id, code, date) in snapshots {
            if mine.contains(&id) {
                continue;
            }
            by_depot
                .entry(id)
                .or_insert_with(|| (code, Vec::new()))
                .1
                .push(date);
        }
        for (other_id, (other, dates)) in by_depot {
            // The other depot's snapshot in force on each of this file's
            // dates, and the dates it answers for.
            let mut in_force: std::collections::BTreeMap<NaiveDate, Vec<&DateBook>> =
                Default::default();
            for book in &self.dates {
                if let Some(&e) = dates.iter().rev().find(|&&s| s <= book.date) {
                    in_force.entry(e).or_default().push(book);
                }
            }
            for (effective, books) in in_force {
                conn.each(
                    "SELECT serial FROM holding_version
                     WHERE depot_id = ?1 AND (valid_to IS NULL OR valid_to > ?2) AND valid_from <= ?2
                       AND serial IS NOT NULL ORDER BY id",
                    &[&other_id, &iso(effective)],
                    |r| {
                        let db::Value::Text(serial) = r.value(0)? else {
                            return Ok(());
                        };
                        let hash = xxh3_64(serial.as_bytes());
                        for book in &books {
                            if let Some(first) = book.get(hash)
                                && found.len() < limit
                            {
                                found.push((
                                    serial.to_string(),
                                    i64::from(first.depot_id),
                                    other.clone(),
                                    book.date,
                                ));
                            }
                        }
                        Ok(())
                    },
                )?;
                if found.len() >= limit {
                    return Ok(found);
                }
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn book() -> DateBook {
        DateBook {
            date: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            sorted: Vec::new(),
            recent: FxHashMap::default(),
            depots: Default::default(),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Whatever the hashes (clustered, extreme, repeated) and however
        /// many merges, a date's book answers as a map would.
        #[test]
        fn a_date_book_answers_as_a_map_would(
            keys in prop::collection::vec(
                prop_oneof![any::<u64>(), 0u64..64, (u64::MAX - 64)..=u64::MAX],
                0..3 * RECENT,
            ),
            probes in prop::collection::vec(any::<u64>(), 0..64),
        ) {
            let mut b = book();
            let mut reference = std::collections::HashMap::new();
            for (line, &k) in keys.iter().enumerate() {
                if b.get(k).is_none() {
                    let seen = Seen { depot_id: 1, line: line as u32 };
                    b.insert(k, seen);
                    reference.insert(k, line as u32);
                }
            }
            prop_assert!(b.sorted.windows(2).all(|w| w[0].0 < w[1].0));
            for k in keys.iter().chain(&probes) {
                prop_assert_eq!(b.get(*k).map(|s| s.line), reference.get(k).copied());
            }
        }
    }
}
