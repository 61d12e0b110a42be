//! Ammunition as it is accounted for (SPEC §12): supply condition codes,
//! force-wide suspensions and surveillance tests, seen by every command.

use serde_json::Value;

use crate::util::{TODAY, Work, row};

const HEADER: &str = "depot,as_of,type,category,nsn,serial,quantity,status,owner,notice_hours,lot,expires,condition_code,next_test\n";

fn file(rows: &[&str]) -> String {
    let mut s = HEADER.to_string();
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

fn int(v: &Value, field: &str) -> i64 {
    v[field]
        .as_i64()
        .unwrap_or_else(|| panic!("{field} in {v:#}"))
}

/// One lot under each code, of quantities that are powers of two so that
/// every sum names the codes in it; two tanks, one under A, one under J.
#[test]
fn every_condition_code_counts_as_the_spec_says() {
    let w = Work::new();
    let codes = [
        "A", "B", "C", "D", "E", "F", "G", "H", "P", "J", "K", "L", "M", "N",
    ];
    let mut rows: Vec<String> = codes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            format!(
                "CC-1,2026-11-29,155MM-HE,AMMO,1320-01-111-1111,,{},,USA,24,LOT-{c},2028-01-01,{c},",
                1 << i
            )
        })
        .collect();
    rows.push("CC-1,2026-11-29,TANK,MBT,,T-1,1,,USA,24,,,A,".into());
    rows.push("CC-1,2026-11-29,TANK,MBT,,T-2,1,,USA,24,,,d,".into());
    rows.push("CC-1,2026-11-29,TANK,MBT,,T-3,1,FMC,USA,24,,,J,".into());
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    let f = w.write("cc.csv", file(&refs));
    w.import(&f).ok();
    let sum = |letters: &[&str]| -> i64 {
        codes
            .iter()
            .enumerate()
            .filter(|(_, c)| letters.contains(c))
            .map(|(i, _)| 1i64 << i)
            .sum()
    };
    let r = w.json(&["report", "--by", "type"]);
    let ammo = row(&r, "type", "155MM-HE");
    assert_eq!(int(ammo, "ammo_serviceable"), sum(&["A", "B", "C"]));
    assert_eq!(
        int(ammo, "ammo_unserviceable"),
        sum(&["D", "E", "F", "G", "H", "P"])
    );
    assert_eq!(int(ammo, "ammo_suspended"), sum(&["J", "K", "L", "M", "N"]));
    assert_eq!(int(ammo, "ammo_expired"), 0);
    assert_eq!(int(ammo, "ammo_on_hand"), (1 << codes.len()) - 1);
    // Equipment: A is FMC, D (lower case read as D) NMCM, J not mission
    // capable (NMCS) though the depot wrote FMC.
    let tanks = row(&r, "type", "TANK");
    assert_eq!(
        (
            int(tanks, "fmc"),
            int(tanks, "nmcm"),
            int(tanks, "nmcs"),
            int(tanks, "mc")
        ),
        (1, 1, 1, 1)
    );
    // What can move: the serviceable rounds only.
    let d = w.json(&["deployable", "--within", "48h", "--by", "type"]);
    assert_eq!(
        int(row(&d, "type", "155MM-HE"), "ammo_deployable"),
        sum(&["A", "B", "C"])
    );
    // The same figures from the versions (a past date) as from the
    // import-time aggregates.
    let past = w.json(&["report", "--by", "type", "--as-of", "2026-11-30"]);
    assert_eq!(
        row(&past, "type", "155MM-HE")["ammo_suspended"],
        ammo["ammo_suspended"]
    );
    let h = w.json(&["history", "--by", "type"]);
    assert_eq!(
        int(row(&h, "type", "155MM-HE"), "ammo_suspended"),
        sum(&["J", "K", "L", "M", "N"])
    );
    // A package draws serviceable lots only: asked for everything held,
    // it gets A+B+C and says the rest is unserviceable or suspended.
    let p = w.write(
        "all.toml",
        format!(
            "name = \"all\"\nwithin = \"48h\"\n[[line]]\nname = \"155\"\ntypes = [\"155MM-HE\"]\nquantity = {}\n",
            (1 << codes.len()) - 1
        ),
    );
    let c = w.json(&["package", "check", p.to_str().unwrap()]);
    let line = &c["rows"][0];
    assert_eq!(int(line, "allocated"), sum(&["A", "B", "C"]), "{c:#}");
    assert_eq!(int(line, "short_nmc"), sum(&["D", "E", "F", "G", "H", "P"]));
    assert_eq!(
        int(line, "short_suspended"),
        sum(&["J", "K", "L", "M", "N"])
    );
    // Watch lists each suspended lot (and the tank), with the code.
    let watch = w.json(&["watch", "--items"]);
    let suspended: Vec<&Value> = watch["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "suspended")
        .collect();
    assert_eq!(suspended.len(), 6, "{watch:#}");
    assert!(
        suspended
            .iter()
            .any(|r| r["lot"] == "LOT-K" && r["note"] == "condition code K")
    );
    w.run(["check"]).ok();
    // An export carries the codes and re-imports to the same figures.
    let exported = w.run(["export"]).ok().stdout;
    assert!(
        exported
            .lines()
            .next()
            .unwrap()
            .ends_with("condition_code,next_test")
    );
    let again = Work::new();
    again.import(&again.write("again.csv", exported)).ok();
    assert_eq!(again.json(&["report", "--by", "type"]), r);
}

/// C is issued before A and B: of two depots that could each fill the
/// line at the same notice, the one holding condition C serves.
#[test]
fn packages_draw_condition_c_first() {
    let w = Work::new();
    let f = w.write(
        "two.csv",
        file(&[
            "AA-1,2026-11-29,155MM-HE,AMMO,1320-01-111-1111,,100,,USA,24,A-LOT,2028-01-01,A,",
            "ZZ-1,2026-11-29,155MM-HE,AMMO,1320-01-111-1111,,100,,USA,24,C-LOT,2028-01-01,C,",
        ]),
    );
    w.import(&f).ok();
    let p = w.write(
        "p.toml",
        "name = \"p\"\nwithin = \"48h\"\n[[line]]\nname = \"155\"\ntypes = [\"155MM-HE\"]\nquantity = 60\n",
    );
    let c = w.json(&["package", "check", p.to_str().unwrap(), "--items"]);
    let sources = c["rows"][0]["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 1, "{c:#}");
    assert_eq!(sources[0]["depot"], "ZZ-1", "{c:#}");
    assert_eq!(int(&sources[0], "quantity"), 60);
}

#[test]
fn a_code_and_a_status_that_disagree_are_refused_and_nothing_is_written() {
    let w = Work::new();
    let good = w.write(
        "good.csv",
        file(&["AA-1,2026-11-01,155MM-HE,AMMO,,,10,FMC,USA,24,L1,2028-01-01,A,"]),
    );
    w.import(&good).ok();
    let before = w.state();
    let bad = w.write(
        "bad.csv",
        file(&[
            "AA-1,2026-11-29,155MM-HE,AMMO,,,10,NMCM,USA,24,L1,2028-01-01,A,",
            "AA-1,2026-11-29,155MM-HE,AMMO,,,10,PMC,USA,24,L2,2028-01-01,F,",
            "AA-1,2026-11-29,155MM-HE,AMMO,,,10,FMC,USA,24,L3,2028-01-01,Q,",
            "AA-1,2026-11-29,155MM-HE,AMMO,,,10,,USA,24,L4,2028-01-01,,",
        ]),
    );
    let r = w.import(&bad).code(65);
    assert!(
        r.stderr.contains("bad.csv:2:") && r.stderr.contains("condition_code"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("disagrees with the status NMCM"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("bad.csv:3:"), "{}", r.stderr);
    assert!(
        r.stderr.contains("\"Q\" is not a supply condition code")
            && r.stderr.contains("J K L M N (suspended)"),
        "{}",
        r.stderr
    );
    // Neither a code nor a status: the status is missing.
    assert!(r.stderr.contains("bad.csv:5:"), "{}", r.stderr);
    assert_eq!(w.state(), before);
}

/// A national profile maps its own words to codes.
#[test]
fn a_profile_maps_its_words_to_condition_codes() {
    let w = Work::new();
    let profile = w.write(
        "de.toml",
        "delimiter = \";\"\n[columns]\n\"Zustandskode\" = \"condition_code\"\n\"Prüfung fällig\" = \"test_due\"\n[condition]\n\"verwendbar\" = \"A\"\n\"gesperrt\" = \"J\"\n\"unbrauchbar\" = \"H\"\n",
    );
    let f = w.write(
        "de.csv",
        "depot;as_of;type;quantity;status;lot;expires;Zustandskode;Prüfung fällig\n\
         DE-1;2026-11-29;120MM-DM11;40;;L1;2029-01-01;verwendbar;2026-12-01\n\
         DE-1;2026-11-29;120MM-DM11;30;;L2;2029-01-01;Gesperrt;\n\
         DE-1;2026-11-29;120MM-DM11;20;;L3;2029-01-01;unbrauchbar;\n",
    );
    w.run([
        "import",
        "--map",
        profile.to_str().unwrap(),
        f.to_str().unwrap(),
    ])
    .ok();
    let r = w.json(&["report"]);
    let t = &r["total"];
    assert_eq!(
        (
            int(t, "ammo_serviceable"),
            int(t, "ammo_suspended"),
            int(t, "ammo_unserviceable")
        ),
        (40, 30, 20)
    );
    // The serviceable lot's surveillance test was due on 2026-12-01.
    let watch = w.json(&["watch", "--items"]);
    let overdue = row(&watch, "kind", "test_overdue");
    assert_eq!(overdue["lot"], "L1");
    assert_eq!(overdue["date"], "2026-12-01");
    assert_eq!(int(overdue, "days"), 5);
}

/// Two depots, two weekly snapshots; lot X of NSN 1 held at both, lot Y
/// of it at one; every lot of NSN 2 at one.
fn stockpile() -> Work {
    let w = Work::new();
    let week = |date: &str| {
        file(&[
            &format!("AA-1,{date},155MM-HE,AMMO,1320-01-111-1111,,100,FMC,USA,24,X,2028-01-01,,"),
            &format!("AA-1,{date},155MM-HE,AMMO,1320-01-111-1111,,40,FMC,USA,24,Y,2028-01-01,,"),
            &format!("BB-1,{date},155MM-HE,AMMO,1320-01-111-1111,,60,FMC,USA,24,X,2028-01-01,,"),
            &format!("BB-1,{date},120MM-DM11,AMMO,1315-12-222-2222,,30,FMC,DEU,24,Z1,2028-01-01,,"),
            &format!("BB-1,{date},120MM-DM11,AMMO,1315-12-222-2222,,20,FMC,DEU,24,Z2,2028-01-01,,"),
            &format!("BB-1,{date},TANK,MBT,2350-01-333-3333,T-1,1,FMC,DEU,24,,,,"),
        ])
    };
    w.import(&w.write("w1.csv", week("2026-11-01"))).ok();
    w.import(&w.write("w2.csv", week("2026-11-29"))).ok();
    w
}

fn ammo(w: &Work, args: &[&str]) -> (i64, i64, i64) {
    let mut all = vec!["report"];
    all.extend(args);
    let r = w.json(&all);
    let t = &r["total"];
    (
        int(t, "ammo_on_hand"),
        int(t, "ammo_serviceable"),
        int(t, "ammo_suspended"),
    )
}

#[test]
fn a_suspension_of_a_lot_and_of_a_whole_nsn_stops_them_everywhere_until_lifted() {
    let w = stockpile();
    assert_eq!(ammo(&w, &[]), (250, 250, 0));
    let lot = w.json(&[
        "suspend",
        "--nsn",
        "1320011111111",
        "--lot",
        "X",
        "--from",
        "2026-11-15",
        "--reason",
        "fuze failure, notice 14/26",
    ]);
    assert_eq!(lot["held_now"]["rounds"], 160, "{lot:#}");
    assert_eq!(
        lot["held_now"]["depots"],
        serde_json::json!(["AA-1", "BB-1"])
    );
    let lot_id = lot["suspension"].as_i64().unwrap();
    let nsn = w.json(&[
        "suspend",
        "--nsn",
        "1315-12-222-2222",
        "--from",
        "2026-11-20",
        "--reason",
        "propellant stability",
    ]);
    let nsn_id = nsn["suspension"].as_i64().unwrap();
    assert_eq!(nsn["held_now"]["rounds"], 50);

    // Now (judged today, 2026-12-06) and on dates before and between.
    assert_eq!(ammo(&w, &[]), (250, 40, 210));
    assert_eq!(ammo(&w, &["--as-of", "2026-11-10"]), (250, 250, 0));
    assert_eq!(ammo(&w, &["--as-of", "2026-11-16"]), (250, 90, 160));
    assert_eq!(ammo(&w, &["--as-of", "2026-11-29"]), (250, 40, 210));
    // The tank is not ammunition: no suspension touches it.
    assert_eq!(int(&w.json(&["report"])["total"], "mc"), 1);
    let by = w.json(&["report", "--by", "depot,type"]);
    let pair = |d: &str, t: &str| -> Value {
        by["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["depot"] == d && r["type"] == t)
            .cloned()
            .unwrap()
    };
    assert_eq!(int(&pair("AA-1", "155MM-HE"), "ammo_suspended"), 100);
    assert_eq!(int(&pair("AA-1", "155MM-HE"), "ammo_serviceable"), 40);
    assert_eq!(int(&pair("BB-1", "155MM-HE"), "ammo_suspended"), 60);
    assert_eq!(int(&pair("BB-1", "120MM-DM11"), "ammo_suspended"), 50);
    // By owner nation, from the sums kept by owner: the same, and what
    // the versions give on the day.
    let owners = w.json(&["report", "--by", "owner"]);
    let owner = |o: &str| {
        let r = row(&owners, "owner", o);
        (int(r, "ammo_serviceable"), int(r, "ammo_suspended"))
    };
    assert_eq!(owner("USA"), (40, 160));
    assert_eq!(owner("DEU"), (0, 50));
    for args in [
        &["report", "--by", "owner"][..],
        &["report", "--by", "depot,owner"],
        &["report", "--owner", "USA"],
        &["deployable", "--within", "48h", "--by", "owner"],
        &["deployable", "--within", "48h", "--owner", "USA"],
        &["deployable", "--within", "48h", "--by", "depot,owner"],
    ] {
        let dated: Vec<&str> = args.iter().copied().chain(["--as-of", TODAY]).collect();
        assert_eq!(w.json(args), w.json(&dated), "{args:?}");
    }

    // History: each snapshot date judged with the suspensions then in force.
    let h = w.json(&["history"]);
    let on = |date: &str| {
        let r = row(&h, "as_of", date);
        (int(r, "ammo_serviceable"), int(r, "ammo_suspended"))
    };
    assert_eq!(on("2026-11-01"), (250, 0));
    assert_eq!(on("2026-11-29"), (40, 210));

    // Changes: each lot that became suspended is its own change, with why.
    let items = w.json(&["changes", "--items"]);
    let suspended: Vec<&Value> = items["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["change"] == "suspended")
        .collect();
    assert_eq!(suspended.len(), 4, "{items:#}");
    let x = suspended
        .iter()
        .find(|r| r["depot"] == "AA-1" && r["lot"] == "X")
        .unwrap();
    assert_eq!(
        x["note"],
        format!("100 rounds: suspension {lot_id} from 2026-11-15: fuze failure, notice 14/26"),
        "{x:#}"
    );
    let summary = w.json(&["changes"]);
    let bb = row(&summary, "depot", "BB-1");
    assert_eq!(int(bb, "ammo_suspended_change"), 110);
    assert_eq!(int(bb, "ammo_serviceable_change"), -110);
    assert_eq!(int(bb, "ammo_change"), 0);

    // A package never draws a suspended lot, and says so.
    let p = w.write(
        "fires.toml",
        "name = \"fires\"\nwithin = \"48h\"\n[[line]]\nname = \"155\"\ntypes = [\"155MM-HE\"]\nquantity = 100\n[[line]]\nname = \"120\"\ntypes = [\"120MM-DM11\"]\nquantity = 10\n",
    );
    let c = w.json(&["package", "check", p.to_str().unwrap()]);
    let line = |name: &str| {
        c["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["line"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} in {c:#}"))
    };
    assert_eq!(int(&line("155"), "allocated"), 40);
    assert_eq!(int(&line("155"), "short_suspended"), 160);
    assert_eq!(int(&line("120"), "allocated"), 0);
    assert_eq!(int(&line("120"), "short_suspended"), 50);
    // Before the notices, the same package is complete.
    let then = w.json(&[
        "package",
        "check",
        p.to_str().unwrap(),
        "--as-of",
        "2026-11-10",
    ]);
    assert_eq!(then["total"]["complete"], true, "{then:#}");

    // Watch lists every suspended lot with its notice.
    let watch = w.json(&["watch", "--items"]);
    let listed: Vec<(String, String)> = watch["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "suspended")
        .map(|r| {
            (
                r["depot"].as_str().unwrap().to_string(),
                r["lot"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(listed.len(), 4, "{watch:#}");
    assert!(listed.contains(&("BB-1".into(), "Z2".into())));

    // Trace names the suspension behind the lot.
    let t = w.json(&["trace", "--depot", "BB-1", "--type", "155MM-HE"]);
    assert_eq!(t["rows"][0]["suspended_by"][0]["suspension"], lot_id);
    let t = w.json(&["trace", "--depot", "AA-1", "--type", "155MM-HE"]);
    let y = t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["lot"] == "Y")
        .unwrap();
    assert_eq!(y["suspended"], false);

    // The brief: the card and a table of the suspended rounds.
    let brief = w.path("brief.html");
    w.run(["report", "--html", brief.to_str().unwrap()]).ok();
    let page = std::fs::read_to_string(&brief).unwrap();
    assert!(
        page.contains("<span id=\"ammo-suspended\">210</span>"),
        "{page}"
    );
    assert!(page.contains("<h3>Suspended lots (condition code or force-wide suspension) (4)</h3>"));
    let table = &page[page
        .find("id=\"suspended-lots\"")
        .expect("the suspended lots")..];
    assert!(table.contains("<th scope=\"row\">BB-1</th><td>120MM-DM11</td><td>50</td>"));
    // The workbook export of the report carries the figure.
    let book = w.path("r.xlsx");
    w.run(["report", "--xlsx", book.to_str().unwrap()]).ok();
    {
        use calamine::Reader;
        let mut wb = calamine::open_workbook_auto(&book).unwrap();
        let sheet = wb.sheet_names()[0].clone();
        let range = wb.worksheet_range(&sheet).unwrap();
        let rows: Vec<Vec<String>> = range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        let col = rows[0].iter().position(|h| h == "ammo_suspended").unwrap();
        let total = rows.iter().find(|r| r[0] == "TOTAL").expect("a total row");
        assert_eq!(total[col], "210");
    }

    // The list: both in force, what they hold now.
    let list = w.json(&["suspensions"]);
    assert_eq!(list["rows"].as_array().unwrap().len(), 2);
    assert_eq!(row(&list, "nsn", "1320-01-111-1111")["state"], "in force");
    assert_eq!(
        int(row(&list, "nsn", "1320-01-111-1111"), "rounds_held"),
        160
    );

    // A later snapshot, and a --replace of one, repeat what the depot
    // said: the suspension still stands.
    let week3 = file(&[
        "BB-1,2026-12-04,155MM-HE,AMMO,1320-01-111-1111,,60,FMC,USA,24,X,2028-01-01,A,",
        "BB-1,2026-12-04,120MM-DM11,AMMO,1315-12-222-2222,,30,FMC,DEU,24,Z1,2028-01-01,A,",
        "BB-1,2026-12-04,120MM-DM11,AMMO,1315-12-222-2222,,20,FMC,DEU,24,Z2,2028-01-01,,",
        "BB-1,2026-12-04,TANK,MBT,2350-01-333-3333,T-1,1,FMC,DEU,24,,,,",
    ]);
    w.import(&w.write("w3.csv", &week3)).ok();
    w.run(["import", "--replace", w.path("w3.csv").to_str().unwrap()])
        .ok();
    assert_eq!(ammo(&w, &[]), (250, 40, 210));

    // Lifted from 2026-12-01: Z1 and Z2 count again from that day; still
    // suspended on an earlier date.
    let lifted = w.json(&[
        "suspend",
        "--lift",
        &nsn_id.to_string(),
        "--from",
        "2026-12-01",
    ]);
    assert_eq!(lifted["lifted"], nsn_id);
    assert_eq!(ammo(&w, &[]), (250, 90, 160));
    assert_eq!(ammo(&w, &["--as-of", "2026-11-29"]), (250, 40, 210));
    assert_eq!(
        row(&w.json(&["suspensions"]), "nsn", "1315-12-222-2222")["state"],
        "lifted"
    );
    let c = w.json(&["package", "check", p.to_str().unwrap()]);
    assert_eq!(int(&c["rows"][1], "allocated"), 10, "{c:#}");
    // Returned to service is a change of its own too.
    let back = w.json(&["changes", "--items", "--depot", "BB-1"]);
    assert!(
        back["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["change"] == "returned_to_mc" && r["lot"] == "Z2"),
        "{back:#}"
    );
    // Lifting twice, or an unknown id, is refused.
    let again = w
        .run([
            "suspend",
            "--lift",
            &nsn_id.to_string(),
            "--from",
            "2026-12-02",
        ])
        .code(2);
    assert!(
        again.stderr.contains("lifted from 2026-12-01 already"),
        "{}",
        again.stderr
    );
    w.run(["suspend", "--lift", "999"]).code(2);
    w.run(["check"]).ok();
}

#[test]
fn a_suspension_is_recorded_with_what_it_needs_and_warns_of_what_no_one_holds() {
    let w = stockpile();
    let r = w.run(["suspend", "--nsn", "1320011111111"]).code(2);
    assert!(r.stderr.contains("--reason"), "{}", r.stderr);
    let r = w
        .run(["suspend", "--nsn", "1320-01-111", "--reason", "x"])
        .code(2);
    assert!(r.stderr.contains("is not an NSN"), "{}", r.stderr);
    let r = w
        .run([
            "suspend",
            "--nsn",
            "1320011111111",
            "--from",
            "2026-13-01",
            "--reason",
            "x",
        ])
        .code(2);
    assert!(r.stderr.contains("--from"), "{}", r.stderr);
    assert_eq!(
        w.json(&["suspensions"])["rows"].as_array().unwrap().len(),
        0
    );
    // A lot no depot holds: recorded, and the officer is told.
    let r = w
        .run([
            "suspend",
            "--nsn",
            "1320011111111",
            "--lot",
            "XX",
            "--reason",
            "typo?",
        ])
        .ok();
    assert!(r.stderr.contains("no depot holds lot XX"), "{}", r.stderr);
    assert!(r.stdout.contains("held now: 0 rounds"), "{}", r.stdout);
    // From today by default.
    let list = w.json(&["suspensions"]);
    assert_eq!(list["rows"][0]["from"], crate::util::TODAY);
}

#[test]
fn tampering_with_a_suspension_is_detected_by_check() {
    let w = stockpile();
    w.run([
        "suspend",
        "--nsn",
        "1320011111111",
        "--lot",
        "X",
        "--reason",
        "fuze",
    ])
    .ok();
    w.run(["check"]).ok();
    w.sql(
        "UPDATE import_ledger SET content = replace(content, '\"X\"', '\"Y\"')
         WHERE file_name = 'stockpile suspend'",
    );
    let r = w.run(["check"]).code(65);
    assert!(
        r.stdout
            .contains("(stockpile suspend) was altered after it was written"),
        "{}",
        r.stdout
    );
    // Removing it is noticed too, once a later entry chains to it.
    let w = stockpile();
    w.run([
        "suspend",
        "--nsn",
        "1320011111111",
        "--lot",
        "X",
        "--reason",
        "fuze",
    ])
    .ok();
    let later = std::fs::read_to_string(w.path("w2.csv"))
        .unwrap()
        .replace("2026-11-29", "2026-12-04");
    w.import(&w.write("w3.csv", later)).ok();
    w.sql("PRAGMA foreign_keys = OFF; DELETE FROM import_ledger WHERE file_name = 'stockpile suspend'");
    let r = w.run(["check"]).code(65);
    assert!(r.stdout.contains("FAILED"), "{}", r.stdout);
}

/// A lot the depot itself recodes from A to J between two snapshots is a
/// `suspended` change; recoded back to A, it has returned to service.
#[test]
fn a_lot_recoded_by_its_depot_is_a_change_of_its_own() {
    let w = Work::new();
    let week = |date: &str, code: &str| {
        file(&[
            &format!(
                "AA-1,{date},155MM-HE,AMMO,1320-01-111-1111,,100,,USA,24,X,2028-01-01,{code},"
            ),
            &format!("AA-1,{date},155MM-HE,AMMO,1320-01-111-1111,,40,,USA,24,Y,2028-01-01,A,"),
        ])
    };
    w.import(&w.write("w1.csv", week("2026-11-01", "A"))).ok();
    w.import(&w.write("w2.csv", week("2026-11-15", "J"))).ok();
    let items = w.json(&["changes", "--items"]);
    let x = row(&items, "lot", "X");
    assert_eq!(x["change"], "suspended", "{items:#}");
    assert_eq!(x["note"], "100 rounds: condition code J");
    let summary = w.json(&["changes"]);
    let aa = row(&summary, "depot", "AA-1");
    assert_eq!(int(aa, "ammo_suspended_change"), 100);
    assert_eq!(int(aa, "ammo_serviceable_change"), -100);
    w.import(&w.write("w3.csv", week("2026-11-29", "A"))).ok();
    let items = w.json(&["changes", "--items"]);
    let x = row(&items, "lot", "X");
    assert_eq!(x["change"], "returned_to_mc", "{items:#}");
    assert_eq!(
        int(
            row(&w.json(&["changes"]), "depot", "AA-1"),
            "ammo_suspended_change"
        ),
        -100
    );
    // The snapshot's recorded suspended rounds are checked against its lines.
    w.run(["check"]).ok();
    w.sql("UPDATE snapshot SET ammo_suspended = 7 WHERE as_of = '2026-11-15'");
    let r = w.run(["check"]).code(65);
    assert!(r.stdout.contains("suspended 7"), "{}", r.stdout);
}
