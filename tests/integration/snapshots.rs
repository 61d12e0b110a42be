//! Snapshot rules (SPEC §3): newer replaces current, older becomes history,
//! a conflicting same-date snapshot is refused, history grows with change.

use crate::util::{Lcg, Work, export};

fn vehicles(depot: &str, date: &str, statuses: &[&str]) -> String {
    let rows: Vec<String> = statuses
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{depot},{date},LEOPARD-2A6,MBT,,{depot}-{i},1,{s},DEU,24,,,"))
        .collect();
    export(&rows.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn newer_snapshot_replaces_current_older_one_becomes_history() {
    let w = Work::new();
    w.import(&w.write(
        "oct.csv",
        vehicles("DE-AUG-01", "2026-10-01", &["FMC", "FMC", "NMCM", "NMCM"]),
    ))
    .ok();
    w.import(&w.write(
        "nov.csv",
        vehicles(
            "DE-AUG-01",
            "2026-11-01",
            &["FMC", "FMC", "FMC", "FMC", "PMC"],
        ),
    ))
    .ok();
    let now = w.json(&["report"]);
    assert_eq!(now["total"]["on_hand"], 5);
    assert_eq!(now["total"]["mc"], 5);
    let past = w.json(&["report", "--as-of", "2026-10-15"]);
    assert_eq!(past["total"]["on_hand"], 4);
    assert_eq!(past["total"]["mc"], 2);
    // Before any snapshot nothing was on record: refused, never "0 %".
    let before = w.run(["report", "--as-of", "2026-09-30"]).code(65);
    assert!(
        before
            .stderr
            .contains("before the first snapshot (2026-10-01)"),
        "{}",
        before.stderr
    );

    // A September export arriving late is history: the current state stays.
    let r = w
        .import(&w.write("sep.csv", vehicles("DE-AUG-01", "2026-09-01", &["NMCS"])))
        .ok();
    assert!(r.stdout.contains("added as history"), "{}", r.stdout);
    assert_eq!(w.json(&["report"]), now);
    assert_eq!(w.json(&["report", "--as-of", "2026-10-15"]), past);
    assert_eq!(
        w.json(&["report", "--as-of", "2026-09-15"])["total"]["nmcs"],
        1
    );
    let history = w.json(&["history"]);
    let dates: Vec<&str> = history["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["as_of"].as_str().unwrap())
        .collect();
    assert_eq!(dates, ["2026-09-01", "2026-10-01", "2026-11-01"]);
    w.run(["check"]).ok();
}

#[test]
fn a_different_snapshot_for_the_same_date_needs_replace() {
    let w = Work::new();
    let first = w.write(
        "a.csv",
        vehicles("DE-AUG-01", "2026-11-01", &["FMC", "FMC"]),
    );
    w.import(&first).ok();
    let before = w.state();
    let second = w.write(
        "b.csv",
        vehicles("DE-AUG-01", "2026-11-01", &["FMC", "NMCM", "NMCM"]),
    );
    let r = w.import(&second).code(65);
    assert!(
        r.stderr
            .contains("DE-AUG-01 already has a different snapshot as of 2026-11-01"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(
            "hint: use --replace to overwrite the snapshot of DE-AUG-01 as of 2026-11-01"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(w.state(), before);
    let r = w
        .run(["import", "--replace", second.to_str().unwrap()])
        .ok();
    assert!(r.stdout.contains("1 replaced"), "{}", r.stdout);
    let report = w.json(&["report"]);
    assert_eq!(report["total"]["on_hand"], 3);
    assert_eq!(report["total"]["nmcm"], 2);
    w.run(["check"]).ok();
}

#[test]
fn reimporting_is_idempotent_and_says_so() {
    let w = Work::new();
    let f = w.write(
        "a.csv",
        vehicles("DE-AUG-01", "2026-11-01", &["FMC", "PMC"]),
    );
    w.import(&f).ok();
    let before = w.state();
    let r = w.import(&f).ok();
    assert!(
        r.stdout
            .contains("already imported (ledger entry 1, same SHA-256); nothing changed"),
        "{}",
        r.stdout
    );
    assert_eq!(w.state(), before);
    // Same holdings, other bytes (semicolons, rows reordered): unchanged.
    let text = vehicles("DE-AUG-01", "2026-11-01", &["FMC", "PMC"]).replace(',', ";");
    let mut lines: Vec<&str> = text.lines().collect();
    lines[1..].reverse();
    let g = w.write("b.csv", lines.join("\n"));
    let r = w.import(&g).ok();
    assert!(
        r.stdout.contains("unchanged (already stored)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("nothing changed"), "{}", r.stdout);
    assert_eq!(w.state(), before);
}

#[test]
fn history_grows_with_change_not_with_snapshots() {
    let w = Work::new();
    let n = 300;
    let mut statuses = vec!["FMC"; n];
    for week in 0..10 {
        // Three items change status each week: 1 % of the rows.
        for k in 0..3 {
            let i = (week * 7 + k * 101) % n;
            statuses[i] = if statuses[i] == "FMC" { "NMCM" } else { "FMC" };
        }
        let date = format!("2026-{:02}-{:02}", 9 + week / 4, 1 + (week % 4) * 7);
        w.import(&w.write(
            &format!("w{week}.csv"),
            vehicles("PL-POW-01", &date, &statuses),
        ))
        .ok();
    }
    let r = w
        .run([
            "query",
            "--format",
            "json",
            "SELECT count(*) AS n FROM holding_version",
        ])
        .ok()
        .json();
    let versions = r["rows"][0]["n"].as_i64().unwrap();
    // 300 first, then at most 3 new versions a week for 9 weeks.
    assert!(
        versions <= 300 + 27,
        "{versions} versions stored for 10 snapshots of 300 rows"
    );
    assert!(versions > 300);
    w.run(["check"]).ok();
}

#[test]
fn one_file_may_hold_several_depots_and_dates_in_any_order() {
    let w = Work::new();
    let rows = [
        "A-1,2026-10-01,T,OTHER,,S1,1,FMC,FRA,1,,,",
        "B-1,2026-11-01,T,OTHER,,S1,1,FMC,FRA,1,,,",
        "A-1,2026-11-01,T,OTHER,,S1,1,NMCM,FRA,1,,,",
        "A-1,2026-10-01,T,OTHER,,S2,1,FMC,FRA,1,,,",
        "B-1,2026-11-01,T,OTHER,,S2,1,PMC,FRA,1,,,",
        "A-1,2026-11-01,T,OTHER,,S2,1,FMC,FRA,1,,,",
    ];
    let r = w.import(&w.write("mixed.csv", export(&rows))).ok();
    assert!(r.stdout.contains("6 rows read, 6 imported"), "{}", r.stdout);
    let sorted = Work::new();
    let mut s = rows.to_vec();
    s.sort();
    sorted.import(&sorted.write("sorted.csv", export(&s))).ok();
    for date in ["2026-10-01", "2026-11-01"] {
        let args = ["report", "--by", "depot,type", "--as-of", date];
        assert_eq!(w.json(&args), sorted.json(&args));
    }
    assert_eq!(w.json(&["report"])["total"]["on_hand"], 4);
    assert_eq!(w.json(&["report"])["total"]["mc"], 3);
    w.run(["check"]).ok();
}

/// Weekly snapshots of two depots with random changes: statuses flip, items
/// leave and come back, identical ammunition lines repeat.
fn random_history(seed: u64) -> Vec<(String, String)> {
    let mut rng = Lcg(seed);
    let statuses = ["FMC", "PMC", "NMCM", "NMCS"];
    let mut files = Vec::new();
    for depot in ["D-1", "D-2"] {
        let mut state: Vec<Option<&str>> = (0..12).map(|_| Some("FMC")).collect();
        for week in 0..6 {
            for _ in 0..4 {
                let i = rng.next(12) as usize;
                state[i] = match rng.next(5) {
                    0 => None,
                    k => Some(statuses[(k - 1) as usize]),
                };
            }
            let date = format!("2026-10-{:02}", 1 + week * 5);
            let mut rows: Vec<String> = state
                .iter()
                .enumerate()
                .filter_map(|(i, s)| {
                    s.map(|s| {
                        // An item now and then changes hands.
                        let owner = if (i + week) % 5 == 0 { "DEU" } else { "POL" };
                        format!(
                            "{depot},{date},TANK,MBT,,V{i},1,{s},{owner},{},,,",
                            12 * (i % 3)
                        )
                    })
                })
                .collect();
            for k in 0..rng.next(3) {
                let owner = ["POL", "DEU", ""][k as usize];
                rows.push(format!(
                    "{depot},{date},SHELL,AMMO,,,10,FMC,{owner},48,L1,2026-10-12,"
                ));
            }
            files.push((
                format!("{depot}-{week}.csv"),
                export(&rows.iter().map(String::as_str).collect::<Vec<_>>()),
            ));
        }
    }
    files
}

fn every_view(w: &Work) -> Vec<String> {
    let mut views = Vec::new();
    for day in 1..=31 {
        let date = format!("2026-10-{day:02}");
        let mut lines: Vec<String> = w
            .run(["export", "--raw", "--as-of", &date])
            .ok()
            .stdout
            .lines()
            .map(String::from)
            .collect();
        lines.sort();
        views.push(lines.join("\n"));
        views.push(
            w.json(&["report", "--by", "depot,type", "--as-of", &date])
                .to_string(),
        );
    }
    views.push(w.json(&["report", "--by", "depot,type"]).to_string());
    // By owner, from the force-wide sums each import keeps by difference.
    views.push(w.json(&["report", "--by", "owner,type"]).to_string());
    views.push(w.json(&["report", "--by", "depot,owner"]).to_string());
    views.push(
        w.json(&["deployable", "--within", "24h", "--by", "owner"])
            .to_string(),
    );
    views.push(w.json(&["history", "--by", "depot"]).to_string());
    views
}

#[test]
fn any_arrival_order_and_replacements_give_the_same_history() {
    for seed in 1..=3u64 {
        let files = random_history(seed);
        let in_order = Work::new();
        for (name, text) in &files {
            in_order.import(&in_order.write(name, text)).ok();
        }
        let expected = every_view(&in_order);

        let shuffled = Work::new();
        let mut order: Vec<usize> = (0..files.len()).collect();
        let mut rng = Lcg(seed * 7919);
        for i in (1..order.len()).rev() {
            order.swap(i, rng.next(i as u64 + 1) as usize);
        }
        for (k, &i) in order.iter().enumerate() {
            let (name, text) = &files[i];
            // Every third file first arrives wrong, then is replaced.
            if k % 3 == 0 {
                let wrong = text.replace(",FMC,", ",NMCS,");
                let f = shuffled.write(&format!("wrong-{name}"), wrong);
                shuffled.import(&f).ok();
                let r = shuffled
                    .run([
                        "import",
                        "--replace",
                        shuffled.write(name, text).to_str().unwrap(),
                    ])
                    .ok();
                assert!(
                    r.stdout.contains("replaced") || r.stdout.contains("unchanged"),
                    "{}",
                    r.stdout
                );
            } else {
                shuffled.import(&shuffled.write(name, text)).ok();
            }
        }
        let got = every_view(&shuffled);
        for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
            assert_eq!(g, e, "seed {seed}, view {i}, order {order:?}");
        }
        shuffled.run(["check"]).ok();
        // No two versions of one line touch: history is stored minimally.
        let r = shuffled
            .run([
                "query",
                "--format",
                "json",
                "SELECT count(*) AS n FROM holding_version a JOIN holding_version b
                 ON a.depot_id = b.depot_id AND a.content_hash = b.content_hash AND a.valid_to = b.valid_from",
            ])
            .ok()
            .json();
        assert_eq!(r["rows"][0]["n"], 0, "seed {seed}: touching versions");
    }
}

#[test]
fn one_file_with_every_snapshot_in_random_row_order_gives_the_same_history() {
    for seed in 1..=3u64 {
        let files = random_history(seed);
        let in_order = Work::new();
        for (name, text) in &files {
            in_order.import(&in_order.write(name, text)).ok();
        }
        let expected = every_view(&in_order);
        // Every row of every week of both depots in one file: once grouped
        // by snapshot, once in random order (depots and dates interleaved).
        let header = files[0].1.lines().next().unwrap().to_string();
        let mut rows: Vec<String> = files
            .iter()
            .flat_map(|(_, text)| text.lines().skip(1).map(String::from))
            .collect();
        let grouped = Work::new();
        grouped
            .import(&grouped.write("all.csv", format!("{header}\n{}\n", rows.join("\n"))))
            .ok();
        let mut rng = Lcg(seed * 104_729);
        for i in (1..rows.len()).rev() {
            rows.swap(i, rng.next(i as u64 + 1) as usize);
        }
        let shuffled = Work::new();
        let r = shuffled
            .import(&shuffled.write("all.csv", format!("{header}\n{}\n", rows.join("\n"))))
            .ok();
        assert!(
            r.stdout
                .contains(&format!("{n} rows read, {n} imported", n = rows.len())),
            "{}",
            r.stdout
        );
        // (Both depots number their tanks V1…V12: each shared serial is
        // rightly warned about as a possible double count.)
        assert!(r.stderr.contains("possible double count"), "{}", r.stderr);
        for (who, w) in [("grouped", &grouped), ("shuffled", &shuffled)] {
            let got = every_view(w);
            for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
                assert_eq!(g, e, "{who}, seed {seed}, view {i}");
            }
            w.run(["check"]).ok();
        }
    }
}

#[test]
fn history_agrees_with_the_report_on_every_date() {
    // The fixtures (requirements, expired lots, two dates for four depots)
    // and a random history (items leaving and coming back, replacements).
    let fixtures = crate::util::with_fixtures();
    let random = Work::new();
    for (name, text) in &random_history(5) {
        random.import(&random.write(name, text)).ok();
    }
    // Lots that expire between snapshots: expired from the snapshot after.
    let f = random.write(
        "expiring.csv",
        export(&[
            "D-9,2026-10-01,SHELL,AMMO,,,50,FMC,FRA,1,EXP-1,2026-10-04,",
            "D-9,2026-10-01,SHELL,AMMO,,,20,PMC,FRA,1,EXP-2,2026-10-20,",
            "D-9,2026-10-01,SHELL,AMMO,,,7,FMC,FRA,1,EXP-3,2026-10-08,",
        ]),
    );
    random.import(&f).ok();
    let g = random.write(
        "expiring2.csv",
        export(&[
            "D-9,2026-10-08,SHELL,AMMO,,,50,FMC,FRA,1,EXP-1,2026-10-04,",
            "D-9,2026-10-08,SHELL,AMMO,,,20,PMC,FRA,1,EXP-2,2026-10-20,",
            // Expires on the snapshot's own date: not yet expired on it.
            "D-9,2026-10-08,SHELL,AMMO,,,7,FMC,FRA,1,EXP-3,2026-10-08,",
        ]),
    );
    random.import(&g).ok();
    for w in [&fixtures, &random] {
        for by in ["depot", "depot,type", "category,owner"] {
            history_is_the_report_on_each_date(w, by);
        }
    }
}

/// `history --by BY` gives, on each of its dates, the rows `report --by BY
/// --as-of DATE` gives (those that hold anything).
pub(crate) fn history_is_the_report_on_each_date(w: &Work, by: &str) {
    let history = w.json(&["history", "--by", by]);
    let rows = history["rows"].as_array().unwrap();
    let mut dates: Vec<&str> = rows.iter().map(|r| r["as_of"].as_str().unwrap()).collect();
    dates.dedup();
    assert!(!dates.is_empty(), "history --by {by} has no dates");
    for date in dates {
        let mut from_history: Vec<serde_json::Value> = rows
            .iter()
            .filter(|r| r["as_of"] == date)
            .map(|r| {
                let mut r = r.clone();
                r.as_object_mut().unwrap().shift_remove("as_of");
                r.as_object_mut().unwrap().shift_remove("depots");
                r
            })
            .collect();
        let report = w.json(&["report", "--by", by, "--as-of", date]);
        let mut from_report: Vec<serde_json::Value> = report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| {
                r["on_hand"].as_i64().unwrap_or(0) > 0
                    || r["ammo_on_hand"].as_i64().unwrap_or(0) > 0
            })
            .cloned()
            .collect();
        let key = |v: &serde_json::Value| v.to_string();
        from_history.sort_by_key(key);
        from_report.sort_by_key(key);
        assert_eq!(from_history, from_report, "--by {by} on {date}");
    }
}
