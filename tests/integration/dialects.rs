//! Real-world exports: delimiters, encodings, line ends, quoting, national
//! mapping profiles and date formats all give the same holdings.

use serde_json::Value;

use crate::util::{Work, fixtures, samples};

const HEADER: [&str; 9] = [
    "depot",
    "as_of",
    "type",
    "serial",
    "quantity",
    "status",
    "owner",
    "notice_hours",
    "remarks",
];
const ROWS: [[&str; 9]; 5] = [
    [
        "FR-MOU-01",
        "2026-10-12",
        "CAESAR-8X8",
        "C-1",
        "1",
        "FMC",
        "FRA",
        "12",
        "révision « annuelle » faite",
    ],
    [
        "FR-MOU-01",
        "2026-10-12",
        "CAESAR-8X8",
        "C-2",
        "1",
        "PMC",
        "FRA",
        "12",
        "pièces; moteur, \"pompe\"",
    ],
    [
        "FR-MOU-01",
        "2026-10-12",
        "VBCI",
        "V-1",
        "1",
        "NMCM",
        "FRA",
        "36h",
        "line one\nline two",
    ],
    [
        "FR-MOU-01",
        "2026-10-12",
        "155MM-LU211",
        "",
        "480",
        "FMC",
        "FRA",
        "2d",
        "",
    ],
    [
        "FR-MOU-01",
        "2026-10-12",
        "155MM-LU211",
        "",
        "120",
        "nmcs",
        "BEL",
        "48",
        "Bruxelles | dépôt",
    ],
];

/// The holdings as CSV text with the given delimiter and line end, every
/// field quoted when needed.
fn text(delimiter: char, newline: &str, padded: bool) -> String {
    let quote = |f: &str| {
        if f.contains(delimiter) || f.contains('"') || f.contains('\n') {
            format!("\"{}\"", f.replace('"', "\"\""))
        } else if padded {
            format!("  {f} ")
        } else {
            f.to_string()
        }
    };
    let mut s = HEADER.map(quote).join(&delimiter.to_string());
    s.push_str(newline);
    for r in ROWS {
        s.push_str(&r.map(quote).join(&delimiter.to_string()));
        s.push_str(newline);
    }
    s
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut out = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for unit in text.encode_utf16() {
        out.extend(if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    out
}

fn views(w: &Work) -> (Value, String) {
    (
        w.json(&["report", "--by", "type,owner"]),
        w.run(["export", "--raw"]).ok().stdout,
    )
}

#[test]
fn every_dialect_imports_without_options_to_the_same_holdings() {
    let canonical = Work::new();
    canonical
        .import(&canonical.write("c.csv", text(',', "\n", false)))
        .ok();
    let expected = views(&canonical);
    assert_eq!(expected.0["total"]["on_hand"], 603);

    let mut variants: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "semicolon-crlf-bom",
            [
                b"\xEF\xBB\xBF".as_slice(),
                text(';', "\r\n", false).as_bytes(),
            ]
            .concat(),
            "semicolon",
        ),
        ("tab", text('\t', "\n", false).into_bytes(), "tab"),
        ("pipe-padded", text('|', "\r\n", true).into_bytes(), "pipe"),
        (
            "utf16le",
            utf16(&text('\t', "\r\n", false), false),
            "UTF-16LE",
        ),
        ("utf16be", utf16(&text(';', "\n", false), true), "UTF-16BE"),
        (
            "windows1252",
            encoding_rs::WINDOWS_1252
                .encode(&text(';', "\r\n", false))
                .0
                .into_owned(),
            "windows-1252",
        ),
        (
            "trailing-blank-lines",
            format!("{}\n\n;;;;;;;;\n\n", text(';', "\n", true)).into_bytes(),
            "semicolon",
        ),
    ];
    variants.push(("comma-padded", text(',', "\n", true).into_bytes(), "comma"));
    for (name, bytes, detected) in variants {
        let w = Work::new();
        let r = w.import(&w.write(&format!("{name}.csv"), bytes)).ok();
        assert!(
            r.stdout.contains(detected),
            "{name}: summary should name {detected}: {}",
            r.stdout
        );
        assert!(
            r.stdout.contains("5 rows read, 5 imported"),
            "{name}: {}",
            r.stdout
        );
        let got = views(&w);
        assert_eq!(got.0, expected.0, "{name}: report differs");
        assert_eq!(got.1, expected.1, "{name}: holdings differ");
    }
}

#[test]
fn overrides_win_and_wrong_overrides_say_so() {
    let w = Work::new();
    let latin = w.write(
        "latin.csv",
        &encoding_rs::WINDOWS_1252.encode(&text(';', "\n", false)).0,
    );
    let r = w
        .run(["import", "--encoding", "utf-8", latin.to_str().unwrap()])
        .code(65);
    assert!(r.stderr.contains("is not valid UTF-8"), "{}", r.stderr);
    assert!(r.stderr.contains("--encoding windows-1252"), "{}", r.stderr);
    let r = w
        .run(["import", "--delimiter", ",", latin.to_str().unwrap()])
        .code(65);
    assert!(r.stderr.contains("missing required column"), "{}", r.stderr);
    assert!(r.stderr.contains("the header read was"), "{}", r.stderr);
    let bom = w.write("bom.csv", utf16(&text(',', "\n", false), false));
    let r = w
        .run([
            "import",
            "--encoding",
            "windows-1252",
            bom.to_str().unwrap(),
        ])
        .code(65);
    assert!(
        r.stderr.contains("contradicts the file's byte-order mark"),
        "{}",
        r.stderr
    );
    w.run(["import", "--encoding", "klingon", bom.to_str().unwrap()])
        .code(2);
    w.run(["import", "--delimiter", "ab", bom.to_str().unwrap()])
        .code(2);
    assert_eq!(w.state(), "(nothing imported)");
    w.run([
        "import",
        "--encoding",
        "latin1",
        "--delimiter",
        "semicolon",
        latin.to_str().unwrap(),
    ])
    .ok();
    assert_eq!(w.json(&["report"])["total"]["on_hand"], 603);
}

#[test]
fn dates_are_never_guessed_but_a_format_can_be_given() {
    let w = Work::new();
    let f = w.write(
        "d.csv",
        "depot,as_of,type,status,lot,quantity,expires\nA-1,12/10/2026,T,FMC,L,5,01/02/2026\n",
    );
    let r = w.import(&f).code(65);
    assert!(
        r.stderr
            .contains("as_of: \"12/10/2026\" is not an ISO date"),
        "{}",
        r.stderr
    );
    w.run(["import", "--date-format", "%d/%m", f.to_str().unwrap()])
        .code(2);
    w.run(["import", "--date-format", "%d/%m/%Y", f.to_str().unwrap()])
        .ok();
    let r = w.json(&["report", "--as-of", "2026-10-12"]);
    assert_eq!(
        r["total"]["ammo_expired"], 5,
        "01/02/2026 read as 1 February, before 12 October"
    );
}

#[test]
fn the_spreadsheet_samples_give_their_documented_figures() {
    let Some(dir) = samples() else {
        eprintln!("skipped: ../shared/samples is not beside this checkout");
        return;
    };
    for (file, extra) in [
        ("calc-semicolon-windows1252.csv", None),
        ("calc-tab-utf16.csv", None),
        ("calc-comma-utf8-ddmmyyyy.csv", Some("%d/%m/%Y")),
    ] {
        let w = Work::new();
        let path = dir.join(file);
        if let Some(fmt) = extra {
            w.import(&path).code(65);
            assert_eq!(
                w.state(),
                "(nothing imported)",
                "{file}: refused without a date format, nothing written"
            );
            w.run(["import", "--date-format", fmt, path.to_str().unwrap()])
                .ok();
        } else {
            w.import(&path).ok();
        }
        crate::util::assert_sample_figures(&w, file);
    }
}

#[test]
fn national_profiles_read_their_exports_to_the_same_holdings() {
    let mut reports = Vec::new();
    for (profile, file) in [
        ("fr", "fr-cnc-01.csv"),
        ("de", "de-mun-01.csv"),
        ("pl", "pl-swi-01.csv"),
    ] {
        let w = Work::new();
        let export = fixtures().join("national").join(file);
        // Without its profile the export's headers mean nothing.
        w.import(&export).code(65);
        let map = fixtures().join("profiles").join(format!("{profile}.toml"));
        let r = w
            .run([
                "import",
                "--map",
                map.to_str().unwrap(),
                export.to_str().unwrap(),
            ])
            .ok();
        assert!(
            r.stdout.contains("38 rows read, 38 imported"),
            "{profile}: {}",
            r.stdout
        );
        reports.push(w.json(&["report", "--by", "type,category,owner"]));
        w.run(["check"]).ok();
    }
    assert_eq!(reports[0], reports[1]);
    assert_eq!(reports[0], reports[2]);
    assert!(reports[0]["total"]["on_hand"].as_i64().unwrap() > 0);
    // Each system words its lots' condition codes its own way: one lot of
    // 48 rounds is suspended ("gesperrt", "wstrzymany", J), one lot is
    // issued first (C).
    assert_eq!(reports[0]["total"]["ammo_suspended"], 48);
    assert_eq!(reports[0]["total"]["ammo_unserviceable"], 0);
}

#[test]
fn profile_errors_name_the_profile_line() {
    let w = Work::new();
    let data = w.write(
        "x.csv",
        "Lager;Stichtag;Typ;Zustand\nA;01.11.2026;T;einsatzbereit\n",
    );
    for (profile, line, message) in [
        (
            "[columns]\n\"Lager\" = \"depot\"\n\"Typ\" = \"modell\"\n",
            3,
            "is not a stockpile column",
        ),
        (
            "date_format = \"%d.%m.%Y\"\n[status]\n\"einsatzbereit\" = \"READY\"\n",
            3,
            "is not a readiness status",
        ),
        ("\n\ndate_format = \"%Q\"\n", 3, "date format"),
        ("[columns\n", 1, ""),
        ("colour = \"red\"\n", 1, "unknown field"),
    ] {
        let p = w.write("p.toml", profile);
        let r = w
            .run([
                "import",
                "--map",
                p.to_str().unwrap(),
                data.to_str().unwrap(),
            ])
            .code(65);
        let place = format!("{}:{line}: ", p.display());
        assert!(
            r.stderr.contains(&place),
            "expected {place:?}: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains(message),
            "expected {message:?}: {}",
            r.stderr
        );
    }
    let good = w.write("good.toml", "date_format = \"%d.%m.%Y\"\n[columns]\n\"Lager\" = \"depot\"\n\"Stichtag\" = \"as_of\"\n\"Typ\" = \"type\"\n\"Zustand\" = \"status\"\n[status]\n\"einsatzbereit\" = \"FMC\"\n");
    w.run([
        "import",
        "--map",
        good.to_str().unwrap(),
        data.to_str().unwrap(),
    ])
    .ok();
    assert_eq!(w.json(&["report"])["total"]["fmc"], 1);
}
