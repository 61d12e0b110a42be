//! Writes a realistic force-wide export in the canonical format, for the
//! benchmarks: ~200 depots, ~300 types, ~15 % ammunition lots, serialized
//! vehicles, some expired lots, remarks with commas and quotes.
//!
//! ```sh
//! cargo run --release --example generate -- --rows 1000000 --seed 1 --week 0 > week0.csv
//! cargo run --release --example generate -- --rows 1000000 --seed 1 --week 1 > week1.csv
//! ```
//!
//! The same seed and row count give the same holdings; each further week
//! changes about 1 % of the rows (status flips, lots drawn down) and moves the
//! snapshot date on by seven days.

use std::io::{self, BufWriter, Write};

const CATEGORIES: [&str; 12] = [
    "MBT", "IFV", "APC", "SPH", "TAH", "MLRS", "AD", "ENG", "REC", "LOG", "AMMO", "OTHER",
];
const NATIONS: [&str; 12] = [
    "USA", "DEU", "FRA", "POL", "NLD", "NOR", "GBR", "ITA", "ESP", "ROU", "LTU", "BEL",
];
const STATUSES: [&str; 4] = ["FMC", "PMC", "NMCM", "NMCS"];
const NOTICE: [u32; 6] = [12, 24, 48, 72, 96, 168];

/// SplitMix64: small, seeded, and the same on every machine.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("a whole number"))
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let rows = arg(&args, "--rows", 100_000);
    let seed = arg(&args, "--seed", 1);
    let week = arg(&args, "--week", 0);
    let depots = arg(&args, "--depots", 200);
    let types = 300u64;

    let day = 1 + week * 7;
    let as_of = format!(
        "2026-{:02}-{:02}",
        1 + (day - 1) / 28 % 12,
        1 + (day - 1) % 28
    );
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    writeln!(
        out,
        "depot,as_of,type,category,nsn,serial,quantity,status,owner,notice_hours,lot,expires,last_inspected,remarks"
    )?;
    // Rows are spread evenly over depots, written depot by depot as a
    // force-wide export would be.
    let per_depot = rows.div_ceil(depots);
    let mut written = 0u64;
    for d in 0..depots {
        let depot = format!(
            "{}-D{:03}-01",
            NATIONS[(d % 12) as usize].get(..2).unwrap_or("XX"),
            d
        );
        for i in 0..per_depot {
            if written == rows {
                break;
            }
            written += 1;
            // Each line's base content depends only on (seed, depot, line).
            let mut rng = Rng(seed ^ (d << 32) ^ i.wrapping_mul(0x9E37_79B9));
            let ammo = rng.below(100) < 15;
            // A depot holds a limited set of types: 6 ammunition and 24
            // vehicle types of its own, drawn from the force's 300.
            let slot = if ammo {
                rng.below(6)
            } else {
                6 + rng.below(24)
            };
            let mut pick = Rng(seed ^ 0x5EED ^ (d << 16) ^ slot);
            let t = if ammo {
                pick.below(45)
            } else {
                45 + pick.below(types - 45)
            };
            let category = match (ammo, CATEGORIES[(t % 11) as usize]) {
                (true, _) => "AMMO",
                (false, "AMMO") => "OTHER",
                (false, c) => c,
            };
            let type_code = format!("{}-T{:03}", category, t);
            let nsn = format!(
                "{:04}-{:02}-{:03}-{:04}",
                1000 + t * 7 % 9000,
                t % 90 + 10,
                t,
                t * 13 % 10000
            );
            // Owner and notice-to-move belong to the depot's stock of a type,
            // with a few items lent by another nation or on longer notice.
            let owner =
                NATIONS[((d + if rng.below(10) == 0 { 1 + slot % 3 } else { 0 }) % 12) as usize];
            let notice = NOTICE[((slot + if rng.below(10) == 0 { 1 } else { 0 }) % 6) as usize];
            let mut status = STATUSES[[0, 0, 0, 0, 0, 0, 0, 1, 2, 3][rng.below(10) as usize]];
            let mut quantity = if ammo { 24 * (1 + rng.below(40)) } else { 1 };
            // The weekly churn: about 1 % of lines differ from week 0 in a
            // given week, and a line's change persists once made.
            let mut churn = Rng(seed ^ 0xC0FFEE ^ (d << 32) ^ i);
            for w in 1..=week {
                if churn.below(100) == 0 {
                    if ammo {
                        quantity = quantity.saturating_sub(24).max(1);
                    } else {
                        status = STATUSES[((w + i) % 4) as usize];
                    }
                }
            }
            let (serial, lot, expires) = if ammo {
                let year = 2025 + rng.below(8);
                (
                    String::new(),
                    format!("L{t:03}-{:05}", i),
                    format!("{year}-{:02}-28", 1 + rng.below(12)),
                )
            } else {
                (
                    format!("{depot}-{t:03}-{i:06}"),
                    String::new(),
                    String::new(),
                )
            };
            let remarks = match rng.below(20) {
                0 => "\"annual service done, awaiting \"\"track pads\"\"\"",
                1 => "\"stored in hall 3, row B\"",
                _ => "",
            };
            writeln!(
                out,
                "{depot},{as_of},{type_code},{category},{nsn},{serial},{quantity},{status},{owner},{notice},{lot},{expires},2026-09-{:02},{remarks}",
                1 + rng.below(28)
            )?;
        }
    }
    out.flush()
}
