//! Readiness policy and period rates (SPEC §13): thresholds a force sets,
//! PMC judged not mission capable, and item-days computed by hand.

use proptest::prelude::*;
use serde_json::Value;

use crate::util::{Work, export, row};

/// Two depots, hand-made (judged on 2026-12-06):
/// - TST-01 from 2026-11-01: 10 tanks, 8 FMC and 2 NMCM, and a lot of
///   100 rounds that expired on 2026-11-10 (rounds never count in item-days);
///   from 2026-11-16: 6 FMC, 2 PMC, 2 NMCS.
/// - TST-02 from 2026-11-21 (first reported inside November): 5 FMC, 1 PMC.
fn history() -> Work {
    let w = Work::new();
    let tanks = |date: &str, statuses: &[(&str, usize)]| -> Vec<String> {
        let mut rows = Vec::new();
        let mut n = 0;
        for (status, count) in statuses {
            for _ in 0..*count {
                n += 1;
                rows.push(format!(
                    "TST-01,{date},LEOPARD-2A6,MBT,,T-{n},1,{status},DEU,24,,,"
                ));
            }
        }
        rows
    };
    let mut first = tanks("2026-11-01", &[("FMC", 8), ("NMCM", 2)]);
    first.push("TST-01,2026-11-01,120MM-DM11,AMMO,,,100,FMC,DEU,24,A-1,2026-11-10,".into());
    let second = tanks("2026-11-16", &[("FMC", 6), ("PMC", 2), ("NMCS", 2)]);
    for (name, rows) in [("a1.csv", first), ("a2.csv", second)] {
        let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
        let f = w.write(name, export(&refs));
        w.import(&f).ok();
    }
    let mut b: Vec<String> = (1..=5)
        .map(|n| format!("TST-02,2026-11-21,LEOPARD-2A6,MBT,,B-{n},1,FMC,NLD,24,,,"))
        .collect();
    b.push("TST-02,2026-11-21,LEOPARD-2A6,MBT,,B-6,1,PMC,NLD,24,,,".into());
    let refs: Vec<&str> = b.iter().map(String::as_str).collect();
    let f = w.write("b.csv", export(&refs));
    w.import(&f).ok();
    w
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

#[test]
fn november_item_days_by_hand() {
    let w = history();
    let r = w.json(&["rates", "--from", "2026-11-01", "--to", "2026-11-30"]);
    // TST-01: 15 days × 10 items (8 MC), then 15 days × 10 (6 FMC + 2 PMC);
    // TST-02: 10 days × 6 (all MC). The expired lot's rounds count nowhere.
    let t = &r["total"];
    assert_eq!(int(&t["days"]), 30);
    assert_eq!(int(&t["possessed_item_days"]), 150 + 150 + 60);
    assert_eq!(int(&t["mc_item_days"]), 120 + 120 + 60);
    assert!((t["mc_rate"].as_f64().unwrap() - 300.0 / 360.0).abs() < 1e-12);
    assert_eq!(t["r_level"], "R2");
    assert_eq!(r["from"], "2026-11-01");
    assert_eq!(r["policy"]["ledger_entry"], Value::Null);

    let r = w.json(&[
        "rates",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--by",
        "depot",
    ]);
    let a = row(&r, "depot", "TST-01");
    assert_eq!(
        (int(&a["possessed_item_days"]), int(&a["mc_item_days"])),
        (300, 240)
    );
    let b = row(&r, "depot", "TST-02");
    assert_eq!(
        (int(&b["possessed_item_days"]), int(&b["mc_item_days"])),
        (60, 60)
    );

    // Days before a depot's first snapshot are not possessed.
    let r = w.json(&["rates", "--from", "2026-10-25", "--to", "2026-11-05"]);
    assert_eq!(int(&r["total"]["days"]), 12);
    assert_eq!(int(&r["total"]["possessed_item_days"]), 50);
    assert_eq!(int(&r["total"]["mc_item_days"]), 40);
    // A day on which a snapshot changes counts its new state.
    let r = w.json(&["rates", "--from", "2026-11-16", "--to", "2026-11-16"]);
    assert_eq!(int(&r["total"]["possessed_item_days"]), 10);
    assert_eq!(int(&r["total"]["mc_item_days"]), 8);

    // The table says what it sums, and names late depots and the policy.
    let out = w
        .run(["rates", "--from", "2026-11-01", "--to", "2026-11-30"])
        .ok()
        .stdout;
    assert!(
        out.contains("Over 30 days: 83.3 % mission capable (R2), 300 of 360 item-days"),
        "{out}"
    );
    assert!(
        out.contains("First reported more than a week into the period: TST-02 (2026-11-21)"),
        "{out}"
    );
    assert!(out.contains("Policy: SPEC §4 defaults"), "{out}");
}

#[test]
fn monthly_rows_run_from_the_first_snapshot_to_today() {
    let w = history();
    let r = w.json(&["rates", "--monthly"]);
    let rows = r["rows"].as_array().unwrap();
    let months: Vec<&str> = rows.iter().map(|m| m["month"].as_str().unwrap()).collect();
    assert_eq!(months, ["2026-11", "2026-12"]);
    assert_eq!(int(&rows[0]["possessed_item_days"]), 360);
    // December to today (2026-12-06): 6 days of 10 + 6 items, 8 + 6 MC.
    assert_eq!(rows[1]["to"], "2026-12-06");
    assert_eq!(int(&rows[1]["days"]), 6);
    assert_eq!(int(&rows[1]["possessed_item_days"]), 96);
    assert_eq!(int(&rows[1]["mc_item_days"]), 84);
    assert_eq!(int(&r["total"]["possessed_item_days"]), 456);
    assert_eq!(int(&r["total"]["days"]), 36);
    // CSV carries the same columns; a workbook is written.
    let csv = w
        .run(["--format", "csv", "rates", "--monthly", "--by", "depot"])
        .ok()
        .stdout;
    assert!(
        csv.starts_with(
            "month,from,to,depot,days,possessed_item_days,mc_item_days,mc_rate,r_level"
        ),
        "{csv}"
    );
    assert!(
        csv.contains("2026-12,2026-12-01,2026-12-06,TST-02,6,36,36,1"),
        "{csv}"
    );
    let x = w.path("rates.xlsx");
    w.run([
        "rates".as_ref(),
        "--monthly".as_ref(),
        "--xlsx".as_ref(),
        x.as_os_str(),
    ])
    .ok();
    assert!(std::fs::metadata(&x).unwrap().len() > 1000);
}

#[test]
fn rates_refuse_what_they_cannot_answer() {
    let w = history();
    let e = w
        .run(["rates", "--from", "2026-12-01", "--to", "2026-12-31"])
        .code(2);
    assert!(
        e.stderr.contains("must end by today (2026-12-06)"),
        "{}",
        e.stderr
    );
    let e = w
        .run(["rates", "--from", "2026-11-30", "--to", "2026-11-01"])
        .code(2);
    assert!(e.stderr.contains("is after --to"), "{}", e.stderr);
    let e = w
        .run(["rates", "--from", "2026-01-01", "--to", "2026-01-31"])
        .code(65);
    assert!(
        e.stderr
            .contains("--to: 2026-01-31 is before the first snapshot"),
        "{}",
        e.stderr
    );
    let e = w.run([
        "rates",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--depot",
        "NOPE-01",
    ]);
    assert_ne!(e.code, 0);
    w.run(["rates", "--to", "2026-11-30"]).code(2);
}

#[test]
fn a_policy_with_pmc_not_mission_capable_changes_every_figure_alike() {
    let w = history();
    let p = w.write(
        "policy.toml",
        "name = \"Deployment standard\"\nr_levels = [95, 85, 75]\npmc_is_mission_capable = false\nstale_days = 30\n",
    );
    let out = w
        .run(["policy".as_ref(), "import".as_ref(), p.as_os_str()])
        .ok()
        .stdout;
    assert!(out.contains("policy recorded as ledger entry 4"), "{out}");

    // Today: TST-01 6 FMC + 2 PMC + 2 NMCS, TST-02 5 FMC + 1 PMC.
    let r = w.json(&["report"]);
    let a = row(&r, "depot", "TST-01");
    assert_eq!((int(&a["pmc"]), int(&a["mc"])), (2, 6));
    assert_eq!(a["r_level"], "R4"); // 60 % < 75 %
    let b = row(&r, "depot", "TST-02");
    assert_eq!(int(&b["mc"]), 5);
    assert_eq!(b["r_level"], "R3"); // 83.3 %: ≥ 75, < 85
    assert_eq!(r["policy"]["ledger_entry"], 4);
    assert_eq!(r["policy"]["pmc_is_mission_capable"], false);

    let d = w.json(&["deployable", "--within", "48h"]);
    assert_eq!(int(&d["total"]["mc"]), 11);
    assert_eq!(int(&d["total"]["deployable"]), 11);

    let r = w.json(&["rates", "--from", "2026-11-01", "--to", "2026-11-30"]);
    assert_eq!(int(&r["total"]["mc_item_days"]), 120 + 90 + 50);

    // Changes: T-7 and T-8 went from FMC to PMC on 2026-11-16, which under
    // this policy is going down (and merely a status change under §4's).
    let c = w.json(&["changes", "--depot", "TST-01"]);
    assert_eq!(int(&c["rows"][0]["mc_change"]), -2, "{c:#}");
    assert_eq!(int(&c["rows"][0]["became_nmc"]), 2, "{c:#}");
    let c = w.json(&["--policy", "default", "changes", "--depot", "TST-01"]);
    assert_eq!(int(&c["rows"][0]["mc_change"]), 0, "{c:#}");
    assert_eq!(int(&c["rows"][0]["became_nmc"]), 0, "{c:#}");

    let h = w.json(&["history"]);
    let last = h["rows"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(int(&last["mc"]), 11);

    // A package of 12 tanks within 48 h: 11 may be drawn, the 3 PMC not.
    let pkg = w.write(
        "pkg.toml",
        "name = \"Tank company\"\nwithin = \"48h\"\n[[line]]\nname = \"Tanks\"\ntypes = [\"LEOPARD-2A6\"]\nquantity = 12\n",
    );
    let c = w.json(&["package", "check", pkg.to_str().unwrap()]);
    assert_eq!(int(&c["rows"][0]["allocated"]), 11, "{c:#}");
    assert_eq!(c["policy"]["ledger_entry"], 4);
    // The same under SPEC §4's defaults, asked for by name.
    let c = w.json(&[
        "--policy",
        "default",
        "package",
        "check",
        pkg.to_str().unwrap(),
    ]);
    assert_eq!(int(&c["rows"][0]["allocated"]), 12, "{c:#}");
    let r = w.json(&["--policy", "default", "report"]);
    assert_eq!(int(&row(&r, "depot", "TST-01")["mc"]), 8);

    // The table names the policy under it; the brief in its footer.
    let out = w.run(["report"]).ok().stdout;
    assert!(
        out.contains("Policy: ledger entry 4 \"Deployment standard\""),
        "{out}"
    );
    let page = w.path("brief.html");
    w.run(["report".as_ref(), "--html".as_ref(), page.as_os_str()])
        .ok();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("R1 MC rate ≥ 95 %"), "footer thresholds");
    assert!(html.contains("id=\"period-rates\""), "period rates card");
    assert!(
        html.contains("2026-11: <span class=\"l4\">72.2%</span>"),
        "{html}"
    );

    // stale_days is watch's default.
    let watch = w.json(&["watch", "--items"]);
    assert!(
        !watch["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["kind"] == "stale_depot"),
        "data 15 days old is not stale under a 30-day policy: {watch:#}"
    );
    let watch = w.json(&["--policy", "default", "watch", "--items"]);
    assert!(
        watch["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["kind"] == "stale_depot")
    );

    // show, and check verifies the entry in the chain.
    let show = w.run(["policy", "show"]).ok().stdout;
    assert!(show.contains("R1 MC rate >= 95 %"), "{show}");
    assert!(show.contains("PMC: not mission capable"), "{show}");
    w.run(["check"]).ok();
}

#[test]
fn a_policy_file_is_checked_line_by_line() {
    let w = history();
    for (text, line, says) in [
        (
            "r_levels = [90, 95, 60]\n",
            1,
            "must be below the one before",
        ),
        (
            "name = \"x\"\ns_levels = [90, 80, 101]\n",
            2,
            "101 is not a percentage",
        ),
        ("\nr_level = [90, 70, 60]\n", 2, "unknown field `r_level`"),
        ("r_levels = [90, 70]\n", 1, "give three thresholds"),
        ("stale_days = -3\n", 1, "stale_days"),
        ("pmc_is_mission_capable = \"no\"\n", 1, ""),
        ("r_levels = [90, 70, 60\n", 1, ""),
    ] {
        let p = w.write("bad.toml", text);
        let e = w
            .run(["policy".as_ref(), "import".as_ref(), p.as_os_str()])
            .code(65);
        let want = format!("bad.toml:{line}:");
        assert!(
            e.stderr.contains(&want) && e.stderr.contains(says),
            "{text:?}: {}",
            e.stderr
        );
    }
    // Nothing was recorded: the defaults stand.
    let r = w.json(&["policy", "show"]);
    assert_eq!(r["ledger_entry"], Value::Null);
    assert_eq!(r["r_levels"], serde_json::json!([90, 70, 60]));
    w.run(["--policy", "7", "report"]).code(2);
    w.run(["--policy", "soon", "report"]).code(2);
}

// A random history of a few depots and snapshots: `rates` over one day
// must give what `report --as-of` that day gives (SPEC §13's definition).
proptest! {
    #![proptest_config(ProptestConfig { cases: 10, .. ProptestConfig::default() })]

    #[test]
    fn one_day_rates_equal_the_report_of_that_day(
        snapshots in proptest::collection::vec(
            (0usize..3, 0i64..40, proptest::collection::vec(0usize..4, 1..6)),
            1..6,
        ),
        probes in proptest::collection::vec(0i64..50, 3),
        pmc_mc in any::<bool>(),
    ) {
        let w = Work::new();
        let base = chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        let statuses = ["FMC", "PMC", "NMCM", "NMCS"];
        let mut seen = std::collections::HashSet::new();
        for (i, (depot, offset, items)) in snapshots.iter().enumerate() {
            let date = base + chrono::Duration::days(*offset);
            if !seen.insert((*depot, date)) {
                continue;
            }
            let rows: Vec<String> = items
                .iter()
                .enumerate()
                .map(|(k, s)| format!("P-0{depot},{date},T-{k},MBT,,S-{depot}-{k},1,{},DEU,24,,,", statuses[*s]))
                .chain(std::iter::once(format!("P-0{depot},{date},AMMO-X,AMMO,,,50,FMC,DEU,24,L-{i},2026-10-20,")))
                .collect();
            let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
            let f = w.write(&format!("s{i}.csv"), export(&refs));
            w.import(&f).ok();
        }
        if !pmc_mc {
            let p = w.write("p.toml", "pmc_is_mission_capable = false\n");
            w.run(["policy".as_ref(), "import".as_ref(), p.as_os_str()]).ok();
        }
        let first = seen.iter().map(|(_, d)| *d).min().unwrap();
        for p in probes {
            let day = base + chrono::Duration::days(p);
            if day < first {
                continue;
            }
            let d = day.to_string();
            let report = w.json(&["report", "--as-of", &d]);
            let rates = w.json(&["rates", "--from", &d, "--to", &d]);
            prop_assert_eq!(int(&rates["total"]["possessed_item_days"]), int(&report["total"]["on_hand"]), "{}", d);
            prop_assert_eq!(int(&rates["total"]["mc_item_days"]), int(&report["total"]["mc"]), "{}", d);
        }
    }
}
