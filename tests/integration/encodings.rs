//! Text in every script imports intact or is refused — never mojibake:
//! detection without `--encoding`, every WHATWG label and Windows code-page
//! name with it, decoding errors refused at their line.

use serde_json::Value;

use crate::util::{Work, fixtures};

/// (label, remarks in that script) of the legacy encodings of the force's
/// Asian contributors.
const SCRIPTS: [(&str, &str); 4] = [
    ("shift_jis", "点検済み、部品待ち：油圧ポンプ"),
    ("euc-kr", "엔진 점검 완료, 궤도 교체 예정"),
    ("gb18030", "发动机检修完毕，等待零件"),
    ("big5", "引擎檢修完畢，等待零件"),
];

fn encoded(label: &str, delimiter: char, remarks: &[&str]) -> Vec<u8> {
    let encoding = encoding_rs::Encoding::for_label(label.as_bytes()).unwrap();
    let d = delimiter;
    let mut text = format!("depot{d}as_of{d}type{d}status{d}serial{d}remarks\r\n");
    for (i, r) in remarks.iter().enumerate() {
        text.push_str(&format!(
            "AS-1{d}2026-11-01{d}T-1{d}FMC{d}S-{i:03}{d}\"{r}\"\r\n"
        ));
    }
    let (bytes, _, unmappable) = encoding.encode(&text);
    assert!(!unmappable, "{label} can write {text}");
    bytes.into_owned()
}

fn stored_remarks(w: &Work) -> Vec<String> {
    let r = w.json(&[
        "query",
        "SELECT remarks FROM current_holdings ORDER BY serial",
    ]);
    r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["remarks"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn every_script_imports_intact_with_its_encoding_and_never_as_mojibake_without() {
    for (label, sample) in SCRIPTS {
        let remarks: Vec<&str> = sample
            .split(['、', ',', '，', '：'])
            .map(str::trim)
            .collect();
        for delimiter in [',', '|', ';', '\t'] {
            let bytes = encoded(label, delimiter, &remarks);
            // Told the encoding: intact.
            let w = Work::new();
            let f = w.write("legacy.csv", &bytes);
            w.run([
                "import".as_ref(),
                "--encoding".as_ref(),
                label.as_ref(),
                f.as_os_str(),
            ])
            .ok();
            assert_eq!(stored_remarks(&w), remarks, "{label} {delimiter:?}");
            // Not told: detected and intact, or refused with a hint.
            let w = Work::new();
            let f = w.write("legacy.csv", &bytes);
            let r = w.import(&f);
            match r.code {
                0 => {
                    assert_eq!(
                        stored_remarks(&w),
                        remarks,
                        "{label} {delimiter:?} detected"
                    );
                    assert!(!r.stdout.contains("UTF-8"), "{}", r.stdout);
                }
                65 => assert!(r.stderr.contains("--encoding"), "{}", r.stderr),
                other => panic!("{label}: exit {other}: {}", r.stderr),
            }
        }
    }
}

#[test]
fn the_asian_scripts_are_detected_on_exports_of_realistic_size() {
    // Twenty rows of each script: enough text for the detector to be sure.
    for (label, sample) in SCRIPTS {
        let remarks: Vec<String> = (0..20).map(|i| format!("{sample} {i}")).collect();
        let refs: Vec<&str> = remarks.iter().map(String::as_str).collect();
        let w = Work::new();
        let f = w.write("legacy.csv", encoded(label, ',', &refs));
        let r = w.import(&f).ok();
        let name = encoding_rs::Encoding::for_label(label.as_bytes())
            .unwrap()
            .name();
        // GB18030 text is read by its GBK subset's decoder, the same for it.
        let shown = if name == "gb18030" { "GBK" } else { name };
        assert!(
            r.stdout.contains(&format!("({shown}, comma)")),
            "{label}: {}",
            r.stdout
        );
        assert_eq!(stored_remarks(&w), remarks, "{label}");
    }
}

#[test]
fn windows_and_python_code_page_names_are_accepted() {
    for (name, label, sample) in [
        ("cp932", "shift_jis", "点検済み"),
        ("cp949", "euc-kr", "점검 완료"),
        ("cp936", "gbk", "检修完毕"),
        ("cp950", "big5", "檢修完畢"),
        ("cp1250", "windows-1250", "Przegląd zakończony"),
        ("CP1251", "windows-1251", "Проверка завершена"),
    ] {
        let w = Work::new();
        let f = w.write("cp.csv", encoded(label, ',', &[sample]));
        w.run([
            "import".as_ref(),
            "--encoding".as_ref(),
            name.as_ref(),
            f.as_os_str(),
        ])
        .ok();
        assert_eq!(stored_remarks(&w), [sample], "{name}");
    }
    let w = Work::new();
    let f = w.write("cp.csv", encoded("euc-kr", ',', &["x"]));
    let r = w.run([
        "import".as_ref(),
        "--encoding".as_ref(),
        "cp999".as_ref(),
        f.as_os_str(),
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn a_wrong_encoding_is_refused_at_its_line() {
    // Korean text read as Japanese: line 4 holds the first Hangul.
    let w = Work::new();
    let f = w.write(
        "korean.csv",
        encoded(
            "euc-kr",
            ',',
            &["plain", "ascii only", "정비중 보급대기 사격통제장치"],
        ),
    );
    let r = w.run([
        "import".as_ref(),
        "--encoding".as_ref(),
        "shift_jis".as_ref(),
        f.as_os_str(),
    ]);
    assert_eq!(r.code, 65, "{}", r.stderr);
    assert!(r.stderr.contains("korean.csv:4:"), "{}", r.stderr);
    assert!(
        r.stderr.contains("this is not Shift_JIS text"),
        "{}",
        r.stderr
    );
    assert_eq!(w.state(), "(nothing imported)");
    // Japanese text told to be Windows-1252 hits bytes 1252 does not have.
    let w = Work::new();
    let f = w.write(
        "japanese.csv",
        encoded("shift_jis", ',', &["ok", "部品待ち：油圧ポンプ"]),
    );
    let r = w.run([
        "import".as_ref(),
        "--encoding".as_ref(),
        "windows-1252".as_ref(),
        f.as_os_str(),
    ]);
    assert_eq!(r.code, 65, "{}", r.stderr);
    assert!(r.stderr.contains("japanese.csv:3:"), "{}", r.stderr);
}

#[test]
fn the_korean_and_japanese_fixtures_read_with_their_profiles() {
    let w = Work::new();
    for (profile, file, depot, remark) in [
        ("kr.toml", "kr-dra-01.csv", "PL-DRA-01", "엔진 점검 완료"),
        ("jp.toml", "jp-cnd-02.csv", "RO-CND-02", "点検済み"),
    ] {
        let map = fixtures().join("profiles").join(profile);
        let f = fixtures().join("national").join(file);
        w.run([
            "import".as_ref(),
            "--map".as_ref(),
            map.as_os_str(),
            f.as_os_str(),
        ])
        .ok();
        let r = w.json(&["query", &format!("SELECT count(*) AS n FROM current_holdings WHERE depot = '{depot}' AND remarks = '{remark}'")]);
        assert!(r["rows"][0]["n"].as_i64().unwrap() > 0, "{file}: {r:#}");
    }
    let report = w.json(&["report", "--by", "depot"]);
    let rows: Vec<&Value> = report["rows"].as_array().unwrap().iter().collect();
    assert_eq!(rows.len(), 2);
    // Korean status words became statuses: some items are not all FMC.
    assert!(rows.iter().all(|r| r["on_hand"].as_i64().unwrap() > 0));
    assert!(
        rows.iter()
            .any(|r| r["nmcm"].as_i64().unwrap() + r["nmcs"].as_i64().unwrap() > 0)
    );
}

/// One depot's export in a legacy code page, as of a date.
fn export(label: &str, depot: &str, as_of: &str, remarks: &[&str]) -> Vec<u8> {
    let encoding = encoding_rs::Encoding::for_label(label.as_bytes()).unwrap();
    let mut text = String::from("depot,as_of,type,status,serial,remarks\r\n");
    for (i, r) in remarks.iter().enumerate() {
        text.push_str(&format!("{depot},{as_of},T-1,FMC,S-{i:03},\"{r}\"\r\n"));
    }
    let (bytes, _, unmappable) = encoding.encode(&text);
    assert!(!unmappable, "{label} can write {text}");
    bytes.into_owned()
}

#[test]
fn short_remarks_that_read_as_sense_in_two_code_pages_are_asked_about_then_remembered() {
    let w = Work::new();
    // Russian in Windows-1251 reads as Cyrillic in ISO-8859-5 too, and as
    // Chinese or Japanese: a detector's guess once stored it as Greek.
    let week1 = w.write(
        "ru_2026-11-01.csv",
        export("windows-1251", "RU-ABC-01", "2026-11-01", &["Ремонт", "ОК"]),
    );
    let r = w.import(&week1);
    assert_eq!(r.code, 65, "{}", r.stderr);
    assert!(r.stderr.contains("ru_2026-11-01.csv:2:"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("reads as sense in more than one encoding"),
        "{}",
        r.stderr
    );
    let line = r
        .stderr
        .lines()
        .find(|l| l.contains("Ремонт"))
        .unwrap_or_default();
    assert!(line.contains("windows-1251 (Cyrillic)"), "{}", r.stderr);
    assert!(r.stderr.contains("--encoding NAME"), "{}", r.stderr);
    assert!(
        !r.stderr.contains("Πεμξνς") || r.stderr.contains("windows-1253"),
        "{}",
        r.stderr
    );
    assert_eq!(w.state(), "(nothing imported)");
    // Told once, the depot's next export is read the same way.
    let r = w
        .run([
            "import".as_ref(),
            "--encoding".as_ref(),
            "cp1251".as_ref(),
            week1.as_os_str(),
        ])
        .ok();
    assert!(r.stdout.contains("(windows-1251, comma)"), "{}", r.stdout);
    let week2 = w.write(
        "ru_2026-11-08.csv",
        export(
            "windows-1251",
            "RU-ABC-01",
            "2026-11-08",
            &["Ремонт", "ОК", "Норма"],
        ),
    );
    let r = w.import(&week2).ok();
    assert!(r.stdout.contains("(windows-1251, comma)"), "{}", r.stdout);
    assert_eq!(stored_remarks(&w), ["Ремонт", "ОК", "Норма"]);
    // Another depot's ambiguous file is still asked about.
    let other = w.write(
        "ua.csv",
        export("windows-1251", "UA-XYZ-01", "2026-11-08", &["Ремонт"]),
    );
    assert_eq!(w.import(&other).code, 65);
    // A Polish file whose one accented letter is `ą` reads as `š` in
    // ISO-8859-2: both are shown, the right one with its code page.
    let pl = w.write(
        "pl.csv",
        export("windows-1250", "PL-POW-09", "2026-11-08", &["gąsienic"]),
    );
    let r = w.import(&pl);
    assert_eq!(r.code, 65, "{}", r.stderr);
    for (reading, page) in [("gąsienic", "windows-1250"), ("gšsienic", "ISO-8859-2")] {
        let line = r
            .stderr
            .lines()
            .find(|l| l.ends_with(reading))
            .unwrap_or_default();
        assert!(line.contains(page), "{reading}: {}", r.stderr);
    }
}

#[test]
fn western_text_reads_as_windows_1252_and_misread_text_never_does() {
    let w = Work::new();
    // Guillemets alone once read as Czech `Ť ť` (ISO-8859-2).
    let f = w.write(
        "fr.csv",
        export(
            "windows-1252",
            "FR-MOU-09",
            "2026-11-01",
            &["« vu »", "pièces à commander", "dépôt"],
        ),
    );
    let r = w.import(&f).ok();
    assert!(r.stdout.contains("(windows-1252, comma)"), "{}", r.stdout);
    assert_eq!(
        stored_remarks(&w),
        ["« vu »", "pièces à commander", "dépôt"]
    );
    // Turkish, Czech and Polish words whose bytes are Western letters too.
    for (label, remark) in [
        ("windows-1254", "arıza"),
        ("windows-1250", "točí"),
        ("windows-1250", "zmęczenie"),
        ("windows-1250", "ellenőrzés"),
        ("windows-1257", "dzinēja"),
    ] {
        let w = Work::new();
        let f = w.write("x.csv", export(label, "XX-ABC-01", "2026-11-01", &[remark]));
        let r = w.import(&f);
        match r.code {
            0 => assert_eq!(stored_remarks(&w), [remark], "{label}"),
            65 => assert!(
                r.stderr.lines().any(|l| l.ends_with(remark)),
                "{label} {remark}: {}",
                r.stderr
            ),
            other => panic!("{label}: exit {other}: {}", r.stderr),
        }
    }
}

#[test]
fn a_utf8_file_with_one_pasted_windows_byte_is_named_at_its_line() {
    let w = Work::new();
    let mut bytes = "depot,as_of,type,status,serial,remarks\nDE-AUG-09,2026-11-01,T-1,FMC,S-1,fällig\nDE-AUG-09,2026-11-01,T-1,FMC,S-2,it"
        .as_bytes()
        .to_vec();
    bytes.push(0x92);
    bytes.extend_from_slice("s ok\nDE-AUG-09,2026-11-01,T-1,FMC,S-3,Übung\n".as_bytes());
    let f = w.write("de.csv", &bytes);
    let r = w.import(&f);
    assert_eq!(r.code, 65, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("de.csv:3: the file is UTF-8 but for byte 0x92"),
        "{}",
        r.stderr
    );
    assert_eq!(w.state(), "(nothing imported)");
    // Told the wrong encoding outright, the hint names the likely one.
    let f = w.write(
        "pl.csv",
        export(
            "windows-1250",
            "PL-POW-09",
            "2026-11-01",
            &["Wymiana gąsienic, część zamienna"],
        ),
    );
    let r = w.run([
        "import".as_ref(),
        "--encoding".as_ref(),
        "utf-8".as_ref(),
        f.as_os_str(),
    ]);
    assert_eq!(r.code, 65, "{}", r.stderr);
    assert!(
        r.stderr.contains("try --encoding windows-1250"),
        "{}",
        r.stderr
    );
}
