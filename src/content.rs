//! The identity of a holding line: a 64-bit hash of its canonical content,
//! and the SHA-256 digest of a snapshot made from those hashes. Import and
//! `check` both compute them here, from the same canonical fields, so a line
//! edited behind stockpile's back no longer matches its digest.

use sha2::{Digest, Sha256};
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

/// The fields that make a line what it is. NSN and category belong to the
/// type, depot and date to the snapshot, so they are not part of a line.
#[derive(Debug, Clone, Copy)]
pub struct LineContent<'a> {
    pub type_code: &'a str,
    pub status: &'a str,
    pub quantity: u32,
    pub serial: Option<&'a str>,
    pub owner: Option<&'a str>,
    pub notice_hours: Option<u32>,
    pub lot: Option<&'a str>,
    pub expires: Option<&'a str>,
    pub last_inspected: Option<&'a str>,
    pub remarks: Option<&'a str>,
    pub condition: Option<&'a str>,
    pub next_test: Option<&'a str>,
}

impl LineContent<'_> {
    /// Length-prefixed fields, so that no two different lines encode alike.
    pub fn hash(&self, buf: &mut Vec<u8>) -> u64 {
        buf.clear();
        let mut text = |s: Option<&str>| match s {
            Some(s) => {
                buf.push(1);
                buf.extend_from_slice(&(s.len() as u32).to_le_bytes());
                buf.extend_from_slice(s.as_bytes());
            }
            None => buf.push(0),
        };
        text(Some(self.type_code));
        text(Some(self.status));
        text(self.serial);
        text(self.owner);
        text(self.lot);
        text(self.expires);
        text(self.last_inspected);
        text(self.remarks);
        buf.extend_from_slice(&self.quantity.to_le_bytes());
        match self.notice_hours {
            Some(h) => {
                buf.push(1);
                buf.extend_from_slice(&h.to_le_bytes());
            }
            None => buf.push(0),
        }
        // Fields added later (SPEC §12) are encoded only when present, so
        // a line without them keeps the identity it was stored under.
        if self.condition.is_some() || self.next_test.is_some() {
            buf.push(2);
            for field in [self.condition, self.next_test] {
                match field {
                    Some(s) => {
                        buf.push(1);
                        buf.extend_from_slice(&(s.len() as u32).to_le_bytes());
                        buf.extend_from_slice(s.as_bytes());
                    }
                    None => buf.push(0),
                }
            }
        }
        xxh3_64(buf)
    }
}

/// The key of the `occurrence`-th identical copy of a line within one
/// snapshot (0 for the first), stored as SQLite's signed 64-bit integer.
pub fn line_key(content_hash: u64, occurrence: u32) -> i64 {
    let key = if occurrence == 0 {
        content_hash
    } else {
        xxh3_64_with_seed(&content_hash.to_le_bytes(), u64::from(occurrence))
    };
    key as i64
}

/// Where `key` is, or would go, in `sorted`, a slice ordered by
/// `key_of` over 64-bit hashes (a line key as `hash_order`, a serial's
/// hash). Hashes spread evenly over their range, so the search starts
/// where the key's value says and widens from there: a few probes, where a
/// binary search takes a cache miss per halving — on a million keys split
/// among 200 depots, most of a next week's import went to those misses.
pub fn find_hashed<T>(sorted: &[T], key: u64, key_of: impl Fn(&T) -> u64) -> Result<usize, usize> {
    let n = sorted.len();
    let guess = ((u128::from(key) * n as u128) >> 64) as usize;
    let (mut lo, mut hi) = (guess, guess);
    let mut step = 8;
    while lo > 0 && key_of(&sorted[lo - 1]) >= key {
        lo = lo.saturating_sub(step);
        step *= 2;
    }
    step = 8;
    while hi < n && key_of(&sorted[hi]) < key {
        hi = (hi + step).min(n);
        step *= 2;
    }
    // The key, if present, is at the first index not below it: in lo..=hi.
    let end = (hi + 1).min(n);
    sorted[lo..end]
        .binary_search_by_key(&key, key_of)
        .map(|i| i + lo)
        .map_err(|i| i + lo)
}

/// A line key's place in the order of unsigned hashes (keys are stored
/// as signed integers and sorted as such).
pub fn hash_order(key: i64) -> u64 {
    (key as u64) ^ (1 << 63)
}

/// SHA-256 over a snapshot's sorted line keys.
pub fn snapshot_digest(keys: &mut [i64]) -> String {
    keys.sort_unstable();
    let mut hasher = Sha256::new();
    for k in keys.iter() {
        hasher.update(k.to_be_bytes());
    }
    hex::encode(hasher.finalize())
}

/// Keys of a snapshot rebuilt from its lines' content hashes: identical lines
/// get occurrences 0, 1, 2 … exactly as the import numbered them.
pub fn keys_from_hashes(mut hashes: Vec<u64>) -> Vec<i64> {
    hashes.sort_unstable();
    let mut keys = Vec::with_capacity(hashes.len());
    let mut previous = None;
    let mut occurrence = 0u32;
    for h in hashes {
        occurrence = if previous == Some(h) {
            occurrence + 1
        } else {
            0
        };
        previous = Some(h);
        keys.push(line_key(h, occurrence));
    }
    keys
}

/// A depot's provenance fingerprint: over every holding version it has
/// (history included), the wrapping sum of a 128-bit hash of what `trace`
/// reads from it — its line key, the ledger entry that recorded it and the
/// line of that file. Each import adds what it writes and the ledger seals
/// the sum after it, so a line number or file moved behind stockpile's back
/// changes the sum `check` recomputes, even to a number no other holding
/// uses. A sum, not a digest of a sorted list, because versions change
/// hands (a late snapshot takes over the stretch it begins) and a sum
/// follows that by difference. Not a proof against someone who can
/// compute it: that is the ledger key's job, over the sealed sum.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Provenance([u64; 2]);

impl Provenance {
    /// Adds one version (`line` None for one stored before line numbers
    /// were kept).
    pub fn add(&mut self, key: i64, entry: i64, line: Option<i64>) {
        self.add_times(key, entry, line, 1);
    }

    /// Adds `n` versions alike (a stretch split by late snapshots).
    pub fn add_times(&mut self, key: i64, entry: i64, line: Option<i64>, n: u64) {
        let mut bytes = [0u8; 24];
        bytes[..8].copy_from_slice(&key.to_le_bytes());
        bytes[8..16].copy_from_slice(&entry.to_le_bytes());
        bytes[16..].copy_from_slice(&line.unwrap_or(-1).to_le_bytes());
        let h = xxhash_rust::xxh3::xxh3_128(&bytes);
        self.0[0] = self.0[0].wrapping_add((h as u64).wrapping_mul(n));
        self.0[1] = self.0[1].wrapping_add(((h >> 64) as u64).wrapping_mul(n));
    }

    /// Adds another depot's or import's sum.
    pub fn merge(&mut self, other: Provenance) {
        self.0[0] = self.0[0].wrapping_add(other.0[0]);
        self.0[1] = self.0[1].wrapping_add(other.0[1]);
    }

    pub fn to_hex(self) -> String {
        format!("{:016x}{:016x}", self.0[1], self.0[0])
    }

    pub fn from_hex(text: &str) -> Option<Provenance> {
        if text.len() != 32 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let high = u64::from_str_radix(&text[..16], 16).ok()?;
        let low = u64::from_str_radix(&text[16..], 16).ok()?;
        Some(Provenance([low, high]))
    }
}

/// The ledger chain: each entry's hash covers the previous entry's hash and
/// every stored field of the entry.
pub fn ledger_entry_hash(prev_hash: &str, fields: &[&str]) -> String {
    let mut hasher = Sha256::new();
    feed_entry(prev_hash, fields, |b| hasher.update(b));
    hex::encode(hasher.finalize())
}

/// What an entry's hash covers, in order: the previous hash, then each
/// field with its length (so that no two field lists read the same).
fn feed_entry(prev_hash: &str, fields: &[&str], mut update: impl FnMut(&[u8])) {
    update(prev_hash.as_bytes());
    for f in fields {
        update(&(f.len() as u64).to_le_bytes());
        update(f.as_bytes());
    }
}

/// An entry sealed with the site's ledger key: HMAC-SHA-256 over what
/// [`ledger_entry_hash`] covers, marked so that `check` knows it needs the
/// key. Whoever can write the database but has not the key cannot recompute
/// such a chain.
pub const KEYED: &str = "hmac-";

/// The entry's hash: keyed when the site has a ledger key.
pub fn seal_hash(prev_hash: &str, fields: &[&str], key: Option<&[u8]>) -> String {
    use hmac::{KeyInit, Mac};
    let Some(key) = key else {
        return ledger_entry_hash(prev_hash, fields);
    };
    let mut mac =
        hmac::Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    feed_entry(prev_hash, fields, |b| mac.update(b));
    format!("{KEYED}{}", hex::encode(mac.finalize().into_bytes()))
}

/// The site's ledger key: the file `STOCKPILE_LEDGER_KEY` names (at least
/// 32 bytes, readable by its owner only, as a private key must be), read
/// once. `None` when the variable is unset.
pub fn ledger_key() -> Result<Option<&'static [u8]>, String> {
    static KEY: std::sync::OnceLock<Result<Option<Vec<u8>>, String>> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        let Some(path) = std::env::var_os("STOCKPILE_LEDGER_KEY") else {
            return Ok(None);
        };
        let shown = std::path::Path::new(&path).display().to_string();
        let meta = std::fs::metadata(&path)
            .map_err(|e| format!("STOCKPILE_LEDGER_KEY: {shown}: {e}"))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if meta.permissions().mode() & 0o077 != 0 {
                return Err(format!(
                    "STOCKPILE_LEDGER_KEY: {shown} may be read by others; a key anyone can read proves nothing (chmod 600 {shown})"
                ));
            }
        }
        let key = std::fs::read(&path).map_err(|e| format!("STOCKPILE_LEDGER_KEY: {shown}: {e}"))?;
        if key.len() < 32 {
            return Err(format!(
                "STOCKPILE_LEDGER_KEY: {shown} holds {} bytes; a ledger key is at least 32 (e.g. head -c 32 /dev/urandom > {shown})",
                key.len()
            ));
        }
        Ok(Some(key))
    })
    .as_ref()
    .map(|k| k.as_deref())
    .map_err(Clone::clone)
}

/// The `prev_hash` of the first ledger entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 of lines of fields (length-prefixed, sorted), for a table's
/// whole state.
fn rows_digest(mut rows: Vec<Vec<String>>) -> String {
    rows.sort();
    let mut hasher = Sha256::new();
    for row in &rows {
        for field in row {
            hasher.update((field.len() as u64).to_le_bytes());
            hasher.update(field.as_bytes());
        }
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

/// The registry as an import leaves it: every depot code, and every type
/// with its category and NSN. Recorded in each import's ledger entry, so
/// that `check` sees a category or NSN changed behind stockpile's back
/// (it moves equipment between the rows of `report --by category`).
pub fn registry_digest(conn: &crate::db::Db) -> crate::db::Result<String> {
    let mut rows: Vec<Vec<String>> = conn.rows(
        "SELECT code, coalesce(category, ''), coalesce(nsn, '') FROM equipment_type",
        &[],
        |r| Ok(vec!["type".to_string(), r.get(0)?, r.get(1)?, r.get(2)?]),
    )?;
    rows.extend(conn.rows("SELECT code FROM depot", &[], |r| {
        Ok(vec!["depot".to_string(), r.get(0)?])
    })?);
    Ok(rows_digest(rows))
}

/// Every requirement (depot, type, required), as the last `requirements
/// import` left them.
pub fn requirements_digest(conn: &crate::db::Db) -> crate::db::Result<String> {
    let rows = conn.rows(
        "SELECT d.code, t.code, r.required FROM requirement r
         JOIN depot d ON d.id = r.depot_id JOIN equipment_type t ON t.id = r.type_id",
        &[],
        |r| Ok(vec![r.get(0)?, r.get(1)?, r.get::<i64>(2)?.to_string()]),
    )?;
    Ok(rows_digest(rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(remarks: Option<&str>) -> LineContent<'_> {
        LineContent {
            type_code: "VBCI",
            status: "FMC",
            quantity: 1,
            serial: None,
            owner: Some("FRA"),
            notice_hours: Some(12),
            lot: None,
            expires: None,
            last_inspected: None,
            remarks,
            condition: None,
            next_test: None,
        }
    }

    #[test]
    fn hashes_distinguish_empty_from_absent() {
        let mut buf = Vec::new();
        assert_ne!(line(None).hash(&mut buf), line(Some("")).hash(&mut buf));
        assert_eq!(
            line(Some("x")).hash(&mut buf),
            line(Some("x")).hash(&mut buf)
        );
    }

    #[test]
    fn keys_number_identical_lines() {
        let keys = keys_from_hashes(vec![7, 7, 3]);
        assert_eq!(keys.len(), 3);
        assert!(keys.contains(&line_key(7, 0)));
        assert!(keys.contains(&line_key(7, 1)));
        assert!(keys.contains(&line_key(3, 0)));
    }
}
