//! Crash safety and concurrent use (SPEC §6): a killed import leaves the
//! database valid with the file wholly imported or absent; concurrent
//! importers queue, readers never see half a file.

use std::process::{Child, Command};
use std::thread;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::util::{Work, export};

fn big_export(depot: &str, date: &str, rows: usize) -> String {
    let mut lines = Vec::with_capacity(rows);
    for i in 0..rows {
        let status = ["FMC", "FMC", "FMC", "PMC", "NMCM", "NMCS"][i % 6];
        lines.push(if i % 7 == 0 {
            format!(
                "{depot},{date},155MM-HE,AMMO,,,{},{status},USA,48,L{i},2030-01-01,",
                10 + i % 50
            )
        } else {
            format!(
                "{depot},{date},TANK-{},MBT,,{depot}-{i},1,{status},DEU,{},,,\"note, {i}\"",
                i % 9,
                12 * (i % 4)
            )
        });
    }
    export(&lines.iter().map(String::as_str).collect::<Vec<_>>())
}

fn snapshot_lines(w: &Work, depot: &str) -> Option<i64> {
    let conn = Connection::open(w.db()).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    conn.query_row(
        "SELECT s.line_count FROM snapshot s JOIN depot d ON d.id = s.depot_id WHERE d.code = ?1",
        [depot],
        |r| r.get(0),
    )
    .ok()
}

#[test]
fn a_killed_import_leaves_the_file_wholly_imported_or_absent() {
    crate::file_only!();
    let w = Work::new();
    w.import(&w.write("base.csv", big_export("BASE-1", "2026-11-01", 50)))
        .ok();
    let rows = 30_000;
    let big = w.write("big.csv", big_export("BIG-1", "2026-11-01", rows));
    // How long a whole import takes here, to spread the kills over it.
    let probe = Work::new();
    let started = Instant::now();
    probe.import(&big).ok();
    let full = started.elapsed();

    let mut absent = 0;
    for k in 0..8u32 {
        let delay = full.mul_f64(f64::from(k) / 7.0 * 1.1);
        let mut child = w.spawn(&["import", big.to_str().unwrap()]);
        thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        match snapshot_lines(&w, "BIG-1") {
            None => absent += 1,
            Some(n) => assert_eq!(
                n, rows as i64,
                "kill {k} after {delay:?}: a partial snapshot"
            ),
        }
        // Absent, the depot is unknown (a report of it is refused, never
        // answered with 0); present, it is whole.
        let report = w.run(["report", "--depot", "BIG-1", "--format", "json"]);
        match report.code {
            65 => assert!(
                report.stderr.contains("matches no depot"),
                "{}",
                report.stderr
            ),
            _ => assert_eq!(
                report.ok().json()["total"]["on_hand"],
                probe.json(&["report"])["total"]["on_hand"]
            ),
        }
        w.run(["check"]).ok();
        if snapshot_lines(&w, "BIG-1").is_some() {
            break;
        }
    }
    assert!(
        absent > 0,
        "no kill landed before the commit; the test proved nothing"
    );
    // The next import of the same file completes normally.
    let r = w.import(&big).ok();
    assert!(
        r.stdout.contains("already imported") || r.stdout.contains("30,000 imported"),
        "{}",
        r.stdout
    );
    assert_eq!(snapshot_lines(&w, "BIG-1"), Some(rows as i64));
    w.run(["check"]).ok();
}

#[test]
fn concurrent_importers_queue_and_readers_see_whole_files() {
    let w = Work::new();
    w.import(&w.write("seed.csv", big_export("SEED-1", "2026-10-01", 10)))
        .ok();
    let depots = ["CON-1", "CON-2", "CON-3", "CON-4"];
    let rows = 4_000;
    let files: Vec<_> = depots
        .iter()
        .map(|d| w.write(&format!("{d}.csv"), big_export(d, "2026-11-01", rows)))
        .collect();
    let expected = {
        let one = Work::new();
        one.import(&files[0]).ok();
        one.json(&["report"])["total"]["on_hand"].as_i64().unwrap()
    };
    let importers: Vec<Child> = files
        .iter()
        .map(|f| w.spawn(&["import", f.to_str().unwrap()]))
        .collect();
    let mut reads = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut running = importers;
    let mut outputs = Vec::new();
    while !running.is_empty() && Instant::now() < deadline {
        let r = w.run(["report", "--format", "json"]);
        assert_eq!(
            r.code, 0,
            "a reader failed while importers ran: {}",
            r.stderr
        );
        for row in r.json()["rows"].as_array().unwrap() {
            let depot = row["depot"].as_str().unwrap();
            if depot.starts_with("CON-") {
                assert_eq!(
                    row["on_hand"].as_i64().unwrap(),
                    expected,
                    "{depot} seen half imported"
                );
            }
        }
        reads += 1;
        let mut still = Vec::new();
        for mut c in running {
            match c.try_wait().unwrap() {
                Some(_) => outputs.push(c.wait_with_output().unwrap()),
                None => still.push(c),
            }
        }
        running = still;
    }
    assert!(running.is_empty(), "importers did not finish in time");
    for o in &outputs {
        assert!(
            o.status.success(),
            "an importer failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    assert!(reads > 0);
    let report = w.json(&["report"]);
    for d in depots {
        assert_eq!(
            crate::util::row(&report, "depot", d)["on_hand"]
                .as_i64()
                .unwrap(),
            expected
        );
    }
    w.run(["check"]).ok();
}

#[test]
fn a_writer_gives_up_with_75_only_after_the_busy_timeout() {
    crate::file_only!();
    let w = Work::new();
    w.import(&w.write("a.csv", big_export("A-1", "2026-11-01", 5)))
        .ok();
    let lock = Connection::open(w.db()).unwrap();
    lock.execute_batch("BEGIN IMMEDIATE").unwrap();
    let f = w.write("b.csv", big_export("B-1", "2026-11-01", 5));
    let started = Instant::now();
    let out = Command::new(assert_cmd::cargo::cargo_bin("stockpile"))
        .env("STOCKPILE_BUSY_TIMEOUT", "2")
        .arg("--db")
        .arg(w.db_arg())
        .args(["import", f.to_str().unwrap()])
        .output()
        .unwrap();
    let waited = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(75), "{stderr}");
    assert!(waited >= Duration::from_secs(2), "gave up after {waited:?}");
    assert!(stderr.contains("busy"), "{stderr}");
    // Readers are not blocked by a writer.
    w.run(["report"]).ok();
    lock.execute_batch("ROLLBACK").unwrap();
    w.import(&f).ok();
}

#[test]
fn a_write_the_disk_refuses_exits_74_and_leaves_the_database_as_it_was() {
    crate::file_only!();
    let w = crate::util::with_fixtures();
    let before = w.state();
    let db = std::fs::read(w.db()).unwrap();
    let big = w.write("big.csv", big_export("FULL-01", "2026-11-01", 30_000));
    // A file-size limit stands in for a full disk: every write past it
    // fails with EFBIG (SIGXFSZ ignored, as a shell's trap leaves it).
    let bin = assert_cmd::cargo::cargo_bin("stockpile");
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {}; exec \"$0\" --db \"$1\" import \"$2\"",
            db.len() / 1024 + 256
        ))
        .arg(&bin)
        .arg(w.db_arg())
        .arg(&big)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(74), "{stderr}");
    assert!(stderr.contains("cannot write:"), "{stderr}");
    assert!(
        stderr.contains("disk may be full") || stderr.contains("no space left"),
        "{stderr}"
    );
    assert!(stderr.contains(w.db_arg().to_str().unwrap()), "{stderr}");
    assert_eq!(w.state(), before, "every table as it was");
    assert_eq!(
        std::fs::read(w.db()).unwrap(),
        db,
        "the database file byte for byte"
    );
    w.run(["check"]).ok();
    // With room again, the same file imports.
    w.import(&big).ok();
}

/// Eight importers and four readers at once for 15 s: the write-ahead log
/// stays bounded (each import checkpoints it; readers, which are short, do
/// not hold it back), every import lands, and `check` passes.
#[test]
fn the_log_stays_bounded_under_eight_importers_and_four_readers() {
    crate::file_only!();
    let w = std::sync::Arc::new(Work::new());
    w.import(&w.write("seed.csv", big_export("SEED-1", "2026-01-01", 50)))
        .ok();
    let wal = {
        let mut p = w.db().into_os_string();
        p.push("-wal");
        std::path::PathBuf::from(p)
    };
    let deadline = Instant::now() + Duration::from_secs(15);
    let largest = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let watcher = {
        let (wal, largest) = (wal.clone(), largest.clone());
        thread::spawn(move || {
            while Instant::now() < deadline {
                let size = std::fs::metadata(&wal).map_or(0, |m| m.len());
                largest.fetch_max(size, std::sync::atomic::Ordering::Relaxed);
                thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let importers: Vec<_> = (0..8)
        .map(|i| {
            let w = w.clone();
            thread::spawn(move || {
                let mut imported = 0;
                let mut day = chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
                while Instant::now() < deadline {
                    let depot = format!("IMP-{i}");
                    let file = w.write(
                        &format!("imp-{i}-{day}.csv"),
                        big_export(&depot, &day.to_string(), 2_000),
                    );
                    let r = w.run(["import", "-q", file.to_str().unwrap()]);
                    assert!(r.code == 0 || r.code == 75, "{}", r.stderr);
                    if r.code == 0 {
                        imported += 1;
                    }
                    day = day.succ_opt().unwrap();
                }
                (format!("IMP-{i}"), imported)
            })
        })
        .collect();
    let readers: Vec<_> = (0..4)
        .map(|i| {
            let w = w.clone();
            thread::spawn(move || {
                let args: &[&str] = match i {
                    0 => &["report", "--by", "depot,type"],
                    1 => &["history"],
                    2 => &["watch"],
                    _ => &["changes", "--items"],
                };
                while Instant::now() < deadline {
                    w.run(args).ok();
                }
            })
        })
        .collect();
    let done: Vec<(String, i64)> = importers.into_iter().map(|t| t.join().unwrap()).collect();
    for r in readers {
        r.join().unwrap();
    }
    watcher.join().unwrap();
    let largest = largest.load(std::sync::atomic::Ordering::Relaxed);
    // One import of 2,000 rows writes about 2 MB of log; eight queue.
    assert!(largest < 48 << 20, "the log grew to {} MB", largest >> 20);
    // Every import that said so is there.
    for (depot, imported) in done {
        let snapshots = w.json(&["query", &format!(
            "SELECT count(*) AS n FROM snapshot s JOIN depot d ON d.id = s.depot_id WHERE d.code = '{depot}'"
        )])["rows"][0]["n"]
            .as_i64()
            .unwrap();
        assert_eq!(snapshots, imported, "{depot}");
    }
    eprintln!("largest log: {} KB", largest >> 10);
    w.run(["check"]).ok();
    // With no reader left, an import leaves no log behind.
    w.import(&w.write("last.csv", big_export("LAST-1", "2026-01-01", 2_000)))
        .ok();
    assert_eq!(std::fs::metadata(&wal).map_or(0, |m| m.len()), 0);
}
