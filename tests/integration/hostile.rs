//! Hostile input: every malformed file of the corpus in tests/bad/ (and a
//! few too large to ship) is refused with exit 65, a message naming the file
//! and line, and an unchanged database; arbitrary bytes never panic.

use proptest::prelude::*;
use regex_lite::Regex;

use crate::util::{Work, bad_inputs, export};

fn base() -> Work {
    let w = Work::new();
    w.import(&w.write(
        "base.csv",
        export(&["DE-AUG-01,2026-11-01,LEOPARD-2A6,MBT,,L-1,1,FMC,DEU,24,,,"]),
    ))
    .ok();
    w
}

#[track_caller]
fn refused(w: &Work, file: &std::path::Path, before: &str) -> String {
    let r = w.import(file);
    assert_eq!(
        r.code,
        65,
        "{}: expected exit 65, got {}\n{}",
        file.display(),
        r.code,
        r.stderr
    );
    let place = Regex::new(&format!(
        "{}:[0-9]+: ",
        regex_lite::escape(&file.display().to_string())
    ))
    .unwrap();
    assert!(
        place.is_match(&r.stderr),
        "{}: no FILE:LINE in\n{}",
        file.display(),
        r.stderr
    );
    assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert_eq!(w.state(), before, "{} changed the database", file.display());
    r.stderr
}

#[test]
fn every_file_of_the_corpus_is_refused_cleanly() {
    let w = base();
    let before = w.state();
    let mut files: Vec<_> = std::fs::read_dir(bad_inputs())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "the corpus has {} files", files.len());
    for f in &files {
        refused(&w, f, &before);
    }
}

#[test]
fn a_ten_megabyte_field_is_refused() {
    let w = base();
    let before = w.state();
    let big = format!(
        "DE-AUG-01,2026-11-02,LEOPARD-2A6,MBT,,L-1,1,FMC,DEU,24,,,\"{}\"",
        "x".repeat(10 << 20)
    );
    let f = w.write("big.csv", export(&[&big]));
    let err = refused(&w, &f, &before);
    assert!(
        err.contains("remarks: is longer than 4000 characters"),
        "{}",
        &err[..err.len().min(500)]
    );
}

#[test]
fn a_hundred_thousand_columns_are_refused() {
    let w = base();
    let before = w.state();
    let header: Vec<String> = (0..100_000).map(|i| format!("c{i}")).collect();
    let row = vec!["1"; 100_000];
    let f = w.write(
        "wide.csv",
        format!("{}\n{}\n", header.join(","), row.join(",")),
    );
    let err = refused(&w, &f, &before);
    assert!(
        err.len() < 5000,
        "the message stays readable: {} bytes",
        err.len()
    );
    assert!(err.contains("100000 columns in all"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fuzz.csv");
        std::fs::write(&path, &bytes).unwrap();
        let conn = stockpile::db::open_scratch().unwrap();
        let _ = stockpile::import::import_file(&conn, &path, &Default::default(), None);
    }

    #[test]
    fn malformed_csv_never_panics(
        cells in proptest::collection::vec(
            proptest::collection::vec("[A-Za-z0-9 ,;|\"'\\-\\.\\n/:=@]{0,12}", 0..16),
            0..12,
        ),
        header in proptest::sample::subsequence(
            vec!["depot", "as_of", "type", "status", "quantity", "serial", "nsn", "category",
                 "owner", "notice_hours", "lot", "expires", "last_inspected", "remarks", "bogus"],
            0..15,
        ),
    ) {
        let mut text = header.join(",");
        text.push('\n');
        for row in &cells {
            text.push_str(&row.join(","));
            text.push('\n');
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fuzz.csv");
        std::fs::write(&path, text).unwrap();
        let conn = stockpile::db::open_scratch().unwrap();
        let result = stockpile::import::import_file(&conn, &path, &Default::default(), None);
        if let Err(e) = result {
            let code = e.exit_code();
            prop_assert!(code == 65, "unexpected exit {} for {}", code, e);
        }
    }
}
