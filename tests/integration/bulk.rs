//! The bulk load on the other core (src/db/sqlite/load.rs): rows handed to
//! a second thread in batches while the next are validated, statements
//! beside the bulk tables run between its rows, every other statement
//! after them.

use crate::util::{Work, export};

/// Every test of the suite runs again with batches of three rows, so that
/// each import hands rows to the other thread many times, with statements
/// of every kind (registry, replays, closes, rollbacks, failures) falling
/// between batches.
#[test]
fn the_integration_suite_passes_with_batches_of_three_rows() {
    if std::env::var_os("STOCKPILE_BATCH_ROWS").is_some() || crate::pg::on_postgres() {
        return;
    }
    crate::util::run_suite_again(
        "with batches of three rows",
        ("STOCKPILE_BATCH_ROWS", "3"),
        &["postgres::", "bulk::"],
        80,
    );
}

/// Depots interleaved row by row, so that every batch mixes them and the
/// other thread reorders each batch by depot: ids within a depot keep the
/// file's order, and the database equals the one from the rows grouped.
#[test]
fn interleaved_rows_written_in_batches_keep_each_depots_file_order() {
    let depots = ["DE-A-01", "FR-B-02", "PL-C-03", "NL-D-04", "IT-E-05"];
    let mut interleaved = Vec::new();
    for i in 0..400 {
        let depot = depots[i % depots.len()];
        interleaved.push(format!(
            "{depot},2026-10-01,T-{},MBT,,V{i:04},1,{},DEU,{},,,",
            i % 7,
            ["FMC", "PMC", "NMCM", "NMCS"][i % 4],
            [6, 24, 48][i % 3]
        ));
    }
    let mut grouped = interleaved.clone();
    grouped.sort_by_key(|r| r.split(',').next().unwrap().to_string());
    let views = |rows: &[String], batch: &str| {
        let w = Work::new();
        let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
        let f = w.write("all.csv", export(&rows));
        w.run_with(
            &[("STOCKPILE_BATCH_ROWS", batch)],
            [std::path::Path::new("import"), &f],
        )
        .ok();
        w.run(["check"]).ok();
        // Each depot's versions in id order are its rows in file order.
        let order = w.json(&[
            "query",
            "SELECT d.code AS depot, h.serial FROM holding_version h JOIN depot d ON d.id = h.depot_id ORDER BY d.code, h.id",
        ]);
        let reports: Vec<String> = [
            vec!["report", "--by", "depot,type"],
            vec!["deployable", "--within", "24h", "--by", "depot"],
            vec!["export"],
        ]
        .iter()
        .map(|args| {
            let mut args = args.clone();
            args.extend(["--format", "csv"]);
            w.run(args).ok().stdout
        })
        .collect();
        (order, reports)
    };
    let (order, reports) = views(&interleaved, "7");
    let serials: Vec<&str> = order["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["serial"].as_str().unwrap())
        .collect();
    let mut expected: Vec<(&str, String)> = (0..400)
        .map(|i| (depots[i % depots.len()], format!("V{i:04}")))
        .collect();
    expected.sort_by_key(|(d, _)| *d);
    let expected: Vec<&str> = expected.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(serials, expected);
    for (batch, rows) in [
        ("7", &grouped),
        ("100000", &interleaved),
        ("100000", &grouped),
    ] {
        let (_, other) = views(rows, batch);
        assert_eq!(other, reports, "batch {batch}");
    }
}
